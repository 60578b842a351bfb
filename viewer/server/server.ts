// The viewer's network edge: an http server for the built page and a ws endpoint (/ws) on the same
// port. Every socket joins one shared session; commands are validated before the session sees them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { UserError } from '../../sim/errors.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import { parseCommand } from './validation.ts';
import { checkOrigin } from './origin.ts';
import { Hub, type HubOptions } from './hub.ts';
import { Session, type SessionOptions } from './session.ts';
import { staticHandler } from './staticFiles.ts';
import type { RunnerFactory } from './episodeRunner.ts';

/** Hard cap enforced by ws itself (closes the socket); below it, >16 KiB gets a polite error reply. */
export const WS_MAX_PAYLOAD = 1024 * 1024;
/** Commands per second one page may send; a runaway script gets error replies, not the sim. */
export const MAX_COMMANDS_PER_SECOND = 40;

export interface ViewerServerOptions {
  host: string;
  port: number;
  staticDir: string;
  factory: RunnerFactory;
  session: SessionOptions;
  hub?: HubOptions;
  log?: (line: string) => void;
}

export interface ViewerServer {
  url: string;
  port: number;
  session: Session;
  hub: Hub;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`port ${port} on ${host} is already in use`, `pick another port, e.g. --port ${port + 1}`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UserError(`cannot bind to host '${host}'`, 'use --host 127.0.0.1 (the default)'));
      else if (e.code === 'EACCES') reject(new UserError(`not allowed to listen on port ${port}`, 'use a port above 1024, e.g. --port 8080'));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
}

export async function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const hub = new Hub(opts.hub);
  const session = new Session(opts.factory, hub, opts.session);
  await session.start();

  const serveFile = staticHandler(opts.staticDir);
  const http = createServer((req, res) => void serveFile(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });

  http.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    const verdict = checkOrigin(req.headers.origin, req.headers.host, opts.host);
    if (path !== '/ws' || !verdict.ok) {
      const status = path !== '/ws' ? '404 Not Found' : '403 Forbidden';
      if (!verdict.ok) opts.log?.(`viewer: refused a websocket: ${verdict.reason}`);
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    hub.add(ws);
    ws.on('error', () => ws.terminate());
    for (const msg of session.welcome()) hub.send(ws, msg);
    let windowStart = performance.now();
    let count = 0;
    ws.on('message', (data, isBinary) => {
      const now = performance.now();
      if (now - windowStart > 1000) {
        windowStart = now;
        count = 0;
      }
      if (++count > MAX_COMMANDS_PER_SECOND) {
        if (count === MAX_COMMANDS_PER_SECOND + 1) {
          hub.send(ws, { v: PROTOCOL_VERSION, type: 'error', message: `more than ${MAX_COMMANDS_PER_SECOND} commands per second; ignoring the rest of this second` });
        }
        return;
      }
      const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const parsed = parseCommand(isBinary ? raw : raw.toString('utf8'), isBinary);
      if (!parsed.ok) {
        hub.send(ws, { v: PROTOCOL_VERSION, type: 'error', message: parsed.error });
        return;
      }
      void session.handle(parsed.command).then((reply) => {
        if (reply) hub.send(ws, reply);
      });
    });
  }

  try {
    await listen(http, opts.port, opts.host);
  } catch (e) {
    await session.stop();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      hub.closeAll();
      await session.stop();
      await new Promise<void>((r) => wss.close(() => r()));
      for (const ws of hub.clients) ws.terminate();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    })();
    return closing;
  };
  return { url: `http://${shownHost}:${port}/`, port, session, hub, close };
}
