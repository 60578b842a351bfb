// The page's end of the socket: connects to /ws on the page's own host, decodes JSON and binary
// frames, reconnects after a drop, and sends commands stamped with the protocol version.
import { PROTOCOL_VERSION, decodeFrame, type ClientCommand, type Frame, type ServerMessage } from '../server/protocol.ts';

type Command = ClientCommand extends infer C ? (C extends { v: number } ? Omit<C, 'v'> : never) : never;

export interface ConnectionHandlers {
  onMessage(msg: ServerMessage): void;
  onFrame(frame: Frame): void;
  onState(state: 'connecting' | 'live' | 'lost'): void;
}

export class Connection {
  private ws: WebSocket | null = null;
  private retryMs = 500;

  constructor(private readonly url: string, private readonly h: ConnectionHandlers) {
    this.open();
  }

  static defaultUrl(): string {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  }

  private open(): void {
    this.h.onState('connecting');
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.retryMs = 500;
      this.h.onState('live');
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (ev.data instanceof ArrayBuffer) {
        try {
          this.h.onFrame(decodeFrame(ev.data));
        } catch (e) {
          console.warn('bad frame', e);
        }
        return;
      }
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.v !== PROTOCOL_VERSION) {
        console.warn(`server speaks protocol ${msg.v}, this page ${PROTOCOL_VERSION}: reload the page`);
        return;
      }
      this.h.onMessage(msg);
    };
    ws.onclose = () => {
      this.h.onState('lost');
      this.ws = null;
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
    this.ws = ws;
  }

  send(cmd: Command): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...cmd }));
  }
}
