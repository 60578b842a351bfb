// The set of connected pages and how messages reach them. Sends never block the sim: a client
// whose socket buffer is above the cap simply misses frames (and superseded plans/metrics) until it
// catches up, so a page that stops reading costs at most the cap plus the few messages that
// cannot be skipped; one that falls hopelessly behind, or stops answering pings, is dropped.
import type { WebSocket } from 'ws';
import type { ServerMessage } from './protocol.ts';
import type { SessionSink } from './session.ts';

export interface HubOptions {
  /** Above this many buffered bytes a client skips frames and droppable messages. */
  frameBacklogBytes?: number;
  /** Above this a client is disconnected (it is not reading at all). */
  maxBacklogBytes?: number;
  log?: (line: string) => void;
}

export interface HubStats {
  framesSent: number;
  framesSkipped: number;
  clientsDropped: number;
}

/** What one client has been sent; `alive` is cleared by each ping and set again by its pong. */
export interface ClientStats {
  framesSent: number;
  framesSkipped: number;
  alive: boolean;
}

export const DEFAULT_FRAME_BACKLOG_BYTES = 256 * 1024;
export const DEFAULT_MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

export class Hub implements SessionSink {
  readonly clients = new Set<WebSocket>();
  readonly stats: HubStats = { framesSent: 0, framesSkipped: 0, clientsDropped: 0 };
  private readonly perClient = new WeakMap<WebSocket, ClientStats>();
  private readonly frameCap: number;
  private readonly hardCap: number;
  private readonly log: (line: string) => void;

  constructor(opts: HubOptions = {}) {
    this.frameCap = opts.frameBacklogBytes ?? DEFAULT_FRAME_BACKLOG_BYTES;
    this.hardCap = opts.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
    this.log = opts.log ?? (() => {});
  }

  add(ws: WebSocket): void {
    const stats: ClientStats = { framesSent: 0, framesSkipped: 0, alive: true };
    this.clients.add(ws);
    this.perClient.set(ws, stats);
    ws.on('close', () => this.clients.delete(ws));
    ws.on('pong', () => { stats.alive = true; });
  }

  hasClients(): boolean {
    return this.clients.size > 0;
  }

  statsOf(ws: WebSocket): ClientStats | undefined {
    return this.perClient.get(ws);
  }

  send(ws: WebSocket, msg: ServerMessage): void {
    if (ws.readyState !== ws.OPEN || this.droppedForBacklog(ws)) return;
    ws.send(JSON.stringify(msg));
  }

  broadcast(msg: ServerMessage, droppable: boolean): void {
    const text = JSON.stringify(msg);
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (droppable && ws.bufferedAmount > this.frameCap) continue;
      if (this.droppedForBacklog(ws)) continue;
      ws.send(text);
    }
  }

  broadcastFrame(frame: ArrayBuffer): void {
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      const stats = this.perClient.get(ws);
      if (ws.bufferedAmount > this.frameCap) {
        this.stats.framesSkipped++;
        if (stats) stats.framesSkipped++;
        continue;
      }
      this.stats.framesSent++;
      if (stats) stats.framesSent++;
      ws.send(frame, { binary: true });
    }
  }

  /** Drop the clients that did not answer the previous ping (stuck or gone), ping the rest. */
  heartbeat(intervalMs: number): void {
    for (const ws of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      const stats = this.perClient.get(ws);
      if (!stats) continue;
      if (!stats.alive) {
        this.drop(ws, `did not answer a ping within ${(intervalMs / 1000).toFixed(1)} s`);
        continue;
      }
      stats.alive = false;
      ws.ping();
    }
  }

  closeAll(code = 1001, reason = 'server shutting down'): void {
    for (const ws of this.clients) ws.close(code, reason);
  }

  private droppedForBacklog(ws: WebSocket): boolean {
    if (ws.bufferedAmount <= this.hardCap) return false;
    this.drop(ws, `has ${ws.bufferedAmount} bytes unread (limit ${this.hardCap})`);
    return true;
  }

  private drop(ws: WebSocket, why: string): void {
    this.stats.clientsDropped++;
    this.clients.delete(ws);
    this.log(`viewer: dropped a client that ${why}`);
    ws.terminate();
  }
}
