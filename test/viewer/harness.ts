// Shared helpers for the viewer server tests: a server on a free port with the fake runner, a ws
// client that records what it gets, and raw-socket tools for what a well-behaved client never
// sends (hand-made frames, half-sent requests, a reader that stops reading).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startViewerServer, type ViewerServer, type ViewerServerOptions } from '../../viewer/server/server.ts';
import { decodeFrame, type ServerMessage } from '../../viewer/server/protocol.ts';
import { fakeFactory, type FakeRunnerLog } from './fakeRunner.ts';

export interface Client {
  ws: WebSocket;
  frames: number;
  messages: ServerMessage[];
  next(type: string, after?: number): Promise<ServerMessage>;
}

export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const newLog = (): FakeRunnerLog => ({ resets: [], steps: 0, goals: [] });

export interface FakeServerOptions extends Partial<Omit<ViewerServerOptions, 'session' | 'factory'>> {
  episodeSteps?: number;
  extraBodies?: number;
  frameHz?: number;
}

const running: { server: ViewerServer; staticDir: string }[] = [];

/** A server with the fake runner on 127.0.0.1 and a free port, serving a one-file page. */
export async function startFake(log: FakeRunnerLog = newLog(), opts: FakeServerOptions = {}): Promise<ViewerServer> {
  const { episodeSteps = 1000, extraBodies = 0, frameHz, ...rest } = opts;
  const staticDir = mkdtempSync(join(tmpdir(), 'viewer-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>viewer</title>');
  const server = await startViewerServer({
    host: '127.0.0.1', port: 0, staticDir, factory: fakeFactory(log, episodeSteps, extraBodies), ...rest,
    session: { task: 'slide', planner: 'random', tasks: ['slide', 'tip'], planners: ['random', 'oracle'], seed: 3, holdSeconds: 0.05, frameHz },
  });
  running.push({ server, staticDir });
  return server;
}

/** For afterEach: close every server startFake made. */
export async function closeFakes(): Promise<void> {
  for (const { server, staticDir } of running.splice(0)) {
    await server.close();
    rmSync(staticDir, { recursive: true, force: true });
  }
}

export function connect(port: number, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    const c: Client = {
      ws, frames: 0, messages: [],
      next(type, after = 0) {
        return new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error(`no '${type}' message`)), 5000);
          const check = () => {
            const m = c.messages.slice(after).find((x) => x.type === type);
            if (m) {
              clearTimeout(timer);
              res(m);
            } else setTimeout(check, 10);
          };
          check();
        });
      },
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        decodeFrame(data as Buffer);
        c.frames++;
      } else c.messages.push(JSON.parse(String(data)) as ServerMessage);
    });
    ws.once('open', () => resolve(c));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Until `cond` holds (polling), or throw after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(10);
  }
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Send bytes exactly as given (no URL normalization, any Host) and read the reply until close. */
export function rawRequest(port: number, text: string, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no reply to ${JSON.stringify(text.slice(0, 60))}`)); }, timeoutMs);
    s.on('data', (d) => { out += String(d); });
    s.on('close', () => {
      clearTimeout(timer);
      const i = out.indexOf('\r\n\r\n');
      const head = i < 0 ? out : out.slice(0, i);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: i < 0 ? '' : out.slice(i + 4) });
    });
    s.on('error', () => {});
    s.write(text);
  });
}

export const get = (port: number, path: string, host = `127.0.0.1:${port}`) =>
  rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

export function upgradeRequest(port: number, { path = '/ws', host = `127.0.0.1:${port}`, extra = '' } = {}): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

/** One server frame as a raw client sees it. */
export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export interface RawWebSocket {
  socket: Socket;
  /** Everything the server sent after the 101 response, parsed into frames as far as complete. */
  frames(): RawFrame[];
  closed: boolean;
  /** The close code of the server's close frame, if one arrived. */
  closeCode(): number | undefined;
}

/** A websocket handshake by hand; after it the socket speaks only what the test writes. */
export function rawWebSocket(port: number): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let open = false;
    const raw: RawWebSocket = {
      socket, closed: false,
      frames: () => parseFrames(buf),
      closeCode: () => {
        const c = raw.frames().find((f) => f.opcode === 8);
        return c && c.payload.length >= 2 ? c.payload.readUInt16BE(0) : undefined;
      },
    };
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (open) return;
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      const head = buf.subarray(0, i).toString();
      buf = buf.subarray(i + 4);
      open = true;
      if (head.startsWith('HTTP/1.1 101')) resolve(raw);
      else reject(new Error(head.split('\r\n')[0]));
    });
    socket.on('close', () => { raw.closed = true; });
    socket.on('error', () => {});
    socket.write(upgradeRequest(port));
  });
}

function parseFrames(buf: Buffer): RawFrame[] {
  const out: RawFrame[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    let len = buf[i + 1] & 0x7f;
    let o = i + 2;
    if (len === 126) {
      if (o + 2 > buf.length) break;
      len = buf.readUInt16BE(o);
      o += 2;
    } else if (len === 127) {
      if (o + 8 > buf.length) break;
      len = Number(buf.readBigUInt64BE(o));
      o += 8;
    }
    if (o + len > buf.length) break;
    out.push({ opcode: buf[i] & 0x0f, payload: buf.subarray(o, o + len) });
    i = o + len;
  }
  return out;
}

/** A client frame: masked unless told otherwise; `declaredLength` lies about the payload size. */
export function clientFrame(opcode: number, payload: Buffer | string, o: { fin?: boolean; mask?: boolean; declaredLength?: number } = {}): Buffer {
  const data = Buffer.from(payload);
  const len = o.declaredLength ?? data.length;
  let head: Buffer;
  if (len < 126) {
    head = Buffer.from([0, len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (o.fin === false ? 0 : 0x80) | opcode;
  if (o.mask === false) return Buffer.concat([head, data]);
  head[1] |= 0x80;
  const key = randomBytes(4);
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3];
  return Buffer.concat([head, key, data]);
}

/** The JSON text messages among raw frames. */
export const textMessages = (frames: RawFrame[]): ServerMessage[] =>
  frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString()) as ServerMessage);
