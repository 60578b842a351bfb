// The viewer's network edge: an http server for the built page and a ws endpoint (/ws) on the same
// port. Every request must name this server in Host, every socket joins one shared session, and
// commands are validated before the session sees them. Refusals carry a reason for the client and
// leave one (rate-limited) line in the log; no client mistake reaches a stack trace.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { UserError } from '../../sim/errors.ts';
import { checkHost, checkOrigin, shown } from './origin.ts';
import { Hub, type HubOptions } from './hub.ts';
import { Session, type SessionOptions } from './session.ts';
import { staticHandler } from './staticFiles.ts';
import { acceptCommands } from './commandIntake.ts';
import { rateLimitedLog } from './logLimit.ts';
import type { RunnerFactory } from './episodeRunner.ts';

/** Hard cap enforced by ws itself (closes the socket, 1009); below it, >16 KiB gets a polite error reply. */
export const WS_MAX_PAYLOAD = 1024 * 1024;
/** Websocket clients at once; one more is refused (503), so a connection flood cannot grow memory. */
export const DEFAULT_MAX_CLIENTS = 50;
/** Ping interval: a client that has not answered the previous ping (stuck or gone) is dropped. */
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** A request (or upgrade) must send its headers within this; idle and half-sent ones get 408. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** On shutdown, how long clients get to answer the close frame before their sockets are cut. */
const CLOSE_GRACE_MS = 500;

export interface ViewerServerOptions {
  host: string;
  port: number;
  staticDir: string;
  factory: RunnerFactory;
  session: SessionOptions;
  hub?: HubOptions;
  maxClients?: number;
  /** 0 = no heartbeat. */
  heartbeatMs?: number;
  headersTimeoutMs?: number;
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

const peer = (req: IncomingMessage) => `${req.socket.remoteAddress}:${req.socket.remotePort}`;

function refuseUpgrade(socket: Duplex, status: string, reason: string): void {
  const body = `${reason}\n`;
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export async function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const clientLog = rateLimitedLog(opts.log ?? (() => {}));
  const maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const headersTimeout = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const hub = new Hub({ log: clientLog, ...opts.hub });
  const session = new Session(opts.factory, hub, opts.session);
  await session.start();

  const serveFile = staticHandler(opts.staticDir);
  const http = createServer({
    headersTimeout, requestTimeout: 2 * headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout / 2),
  }, (req, res) => {
    const host = checkHost(req.headers.host, opts.host);
    if (!host.ok) {
      clientLog(`viewer: refused http ${shown(req.method ?? '?')} from ${peer(req)}: ${host.reason}`);
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(`${host.reason}\n`);
      return;
    }
    serveFile(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500).end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws') {
      refuseUpgrade(socket, '404 Not Found', `no websocket at '${shown(path)}'; the viewer's socket is /ws`);
      return;
    }
    const verdict = checkOrigin(req.headers.origin, req.headers.host, opts.host);
    if (!verdict.ok) {
      clientLog(`viewer: refused a websocket from ${peer(req)}: ${verdict.reason}`);
      refuseUpgrade(socket, '403 Forbidden', verdict.reason);
      return;
    }
    if (hub.clients.size >= maxClients) {
      clientLog(`viewer: refused a websocket from ${peer(req)}: already ${maxClients} viewers`);
      refuseUpgrade(socket, '503 Service Unavailable', `already ${maxClients} viewers connected; close one and retry`);
      return;
    }
    const who = peer(req);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who));
  });

  function onConnection(ws: WebSocket, who: string): void {
    ws.on('error', (e) => {
      // ws has already sent the close frame (1009 too big, 1007 bad UTF-8, 1002 protocol error);
      // give it a moment to reach the client, then let go of the socket whatever the peer does.
      clientLog(`viewer: closing the websocket of ${who}: ${e.message}`);
      setTimeout(() => ws.terminate(), 1000).unref();
    });
    // Upgrades that were in flight together may overshoot the cap checked above.
    if (hub.clients.size >= maxClients) {
      ws.close(1013, `already ${maxClients} viewers connected; close one and retry`);
      return;
    }
    hub.add(ws);
    for (const msg of session.welcome()) hub.send(ws, msg);
    acceptCommands(ws, who, hub, session, clientLog);
  }

  try {
    await listen(http, opts.port, opts.host);
  } catch (e) {
    await session.stop();
    throw e;
  }
  const heartbeat = heartbeatMs > 0 ? setInterval(() => hub.heartbeat(heartbeatMs), heartbeatMs) : undefined;
  heartbeat?.unref();
  const port = (http.address() as AddressInfo).port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      hub.closeAll();
      await session.stop();
      // A client that never answers the close (stuck, or hostile) must not hold up the shutdown.
      const closed = new Promise<void>((r) => wss.close(() => r()));
      await Promise.race([closed, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS))]);
      for (const ws of wss.clients) ws.terminate();
      await closed;
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    })();
    return closing;
  };
  return { url: `http://${shownHost}:${port}/`, port, session, hub, close };
}
