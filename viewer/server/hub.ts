// The set of connected pages and how messages reach them. Sends never block the sim: a client
// whose socket buffer is above the cap simply misses frames (and superseded plans/metrics) until it
// catches up; one that falls hopelessly behind is dropped.
import type { WebSocket } from 'ws';
import type { ServerMessage } from './protocol.ts';
import type { SessionSink } from './session.ts';

export interface HubOptions {
  /** Above this many buffered bytes a client skips frames and droppable messages. */
  frameBacklogBytes?: number;
  /** Above this a client is disconnected (it is not reading at all). */
  maxBacklogBytes?: number;
}

export interface HubStats {
  framesSent: number;
  framesSkipped: number;
  clientsDropped: number;
}

export class Hub implements SessionSink {
  readonly clients = new Set<WebSocket>();
  readonly stats: HubStats = { framesSent: 0, framesSkipped: 0, clientsDropped: 0 };
  private readonly frameCap: number;
  private readonly hardCap: number;

  constructor(opts: HubOptions = {}) {
    this.frameCap = opts.frameBacklogBytes ?? 256 * 1024;
    this.hardCap = opts.maxBacklogBytes ?? 16 * 1024 * 1024;
  }

  add(ws: WebSocket): void {
    this.clients.add(ws);
    ws.on('close', () => this.clients.delete(ws));
  }

  hasClients(): boolean {
    return this.clients.size > 0;
  }

  send(ws: WebSocket, msg: ServerMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.hardCap) {
      this.stats.clientsDropped++;
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(msg));
  }

  broadcast(msg: ServerMessage, droppable: boolean): void {
    const text = JSON.stringify(msg);
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (droppable && ws.bufferedAmount > this.frameCap) continue;
      if (ws.bufferedAmount > this.hardCap) {
        this.stats.clientsDropped++;
        ws.terminate();
        continue;
      }
      ws.send(text);
    }
  }

  broadcastFrame(frame: ArrayBuffer): void {
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > this.frameCap) {
        this.stats.framesSkipped++;
        continue;
      }
      this.stats.framesSent++;
      ws.send(frame, { binary: true });
    }
  }

  closeAll(code = 1001, reason = 'server shutting down'): void {
    for (const ws of this.clients) ws.close(code, reason);
  }
}
