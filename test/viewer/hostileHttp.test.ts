// The viewer's http side under hostile requests, sent byte for byte over raw sockets (fetch and
// curl would normalize the paths first): traversal in every spelling, foreign and rebinding Host
// headers on plain requests and on websocket upgrades, and requests that never finish.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.ts';
import { fakeFactory } from './fakeRunner.ts';
import { closeFakes, connect, get, rawRequest, startFake, until, upgradeRequest } from './harness.ts';

const SECRET = 'top-secret-file-outside-the-page-folder';
let dir: string | undefined;
let own: ViewerServer | undefined;
afterEach(async () => {
  await own?.close();
  own = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  await closeFakes();
});

/** A page folder with a file in a subfolder, and secrets right next to it and one level up. */
async function pageServer(log: (l: string) => void = () => {}): Promise<ViewerServer> {
  dir = mkdtempSync(join(tmpdir(), 'viewer-traversal-'));
  const root = join(dir, 'site', 'dist');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>viewer</title>');
  writeFileSync(join(root, 'sub', 'a.js'), 'inner();');
  writeFileSync(join(dir, 'site', 'secret.txt'), SECRET);
  mkdirSync(join(dir, 'site', 'dist-private'));
  writeFileSync(join(dir, 'site', 'dist-private', 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  own = await startViewerServer({
    host: '127.0.0.1', port: 0, staticDir: root, factory: fakeFactory(), log,
    session: { task: 'slide', planner: 'random', tasks: ['slide'], planners: ['random'], seed: 1 },
  });
  return own;
}

describe('static files under traversal attempts', () => {
  it('never serves a file outside the page folder, however the path is spelled', async () => {
    const s = await pageServer();
    const p = s.port;
    // Each path as it goes on the wire, and the status it gets.
    const cases: [string, number][] = [
      ['/sub/a.js', 200],
      ['/../secret.txt', 404],
      ['/../../secret.txt', 404],
      ['/%2e%2e/secret.txt', 404],
      ['/%2E%2E%2Fsecret.txt', 404],
      ['/%2e%2e%2f%2e%2e%2fsecret.txt', 404],
      ['/sub/..%2f..%2f..%2fsecret.txt', 404],
      ['/%252e%252e/secret.txt', 404],
      ['/..%252fsecret.txt', 404],
      ['/..\\secret.txt', 404],
      ['/..%5csecret.txt', 400],
      ['/%5c..%5c..%5csecret.txt', 400],
      ['/../dist-private/secret.txt', 404],
      ['/%2e%2e/dist-private/secret.txt', 404],
      ['/%00', 400],
      ['/index.html%00.js', 400],
      ['/sub%00/../../secret.txt', 404], // the URL parser folds the dots first: /secret.txt,
      ['/%0d%0aSet-Cookie:%20x', 400],
      ['/%', 400],
      ['/%zz', 400],
      ['//secret.txt', 404],
      ['///../secret.txt', 404],
      ['http://evil.example/../secret.txt', 404],
      ['*', 400],
      ['/?f=../../secret.txt', 200],
      ['/sub/a.js?../../../secret.txt', 200],
      ['/sub/a.js#../../secret.txt', 200],
      [`/${'a'.repeat(8000)}`, 404],
      [`/${'../'.repeat(2000)}secret.txt`, 404],
    ];
    for (const [path, status] of cases) {
      const r = await get(p, path);
      expect(r.status, path).toBe(status);
      expect(r.body, path).not.toContain(SECRET);
    }
    // Past Node's 16 KiB header limit the request is refused before any handler runs.
    const huge = await get(p, `/${'a'.repeat(20_000)}`);
    expect(huge.status).toBe(431);
  });

  it('answers only GET and HEAD', async () => {
    const s = await pageServer();
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await rawRequest(s.port, `${method} / HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      expect(r.status, method).toBe(405);
    }
    const head = await rawRequest(s.port, `HEAD / HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('Host and Origin (DNS rebinding)', () => {
  it('refuses http requests whose Host is not a loopback name, with the reason and one log line each', async () => {
    const lines: string[] = [];
    const s = await pageServer((l) => lines.push(l));
    const p = s.port;
    const foreign = ['evil.com', `evil.com:${p}`, '127.0.0.1.evil.com', `127.0.0.1.evil.com:${p}`, `localhost:${p}@evil.com`, 'localhost:evil', '192.168.1.20'];
    for (const host of foreign) {
      const r = await get(p, '/', host);
      expect(r.status, host).toBe(403);
      expect(r.body, host).toMatch(/Host/);
      expect(r.body, host).not.toMatch(/<title>/);
    }
    const noHost = await rawRequest(p, 'GET / HTTP/1.0\r\n\r\n');
    expect(noHost.status).toBe(403);
    expect(noHost.body).toMatch(/missing Host/);
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`]) {
      expect((await get(p, '/', host)).status, host).toBe(200);
    }
    const refusals = lines.filter((l) => l.includes('refused http'));
    expect(refusals).toHaveLength(foreign.length + 1);
    expect(refusals[0]).toMatch(/refused http GET from 127\.0\.0\.1:\d+: Host 'evil\.com' is not a loopback name/);
    expect(lines.some((l) => / at .*\.ts:\d+/.test(l))).toBe(false);
  });

  it('refuses websocket upgrades with a foreign or rebinding Host, a foreign Origin or another path, saying why', async () => {
    const lines: string[] = [];
    const s = await startFake(undefined, { log: (l) => lines.push(l) });
    const p = s.port;
    const refused: [Parameters<typeof upgradeRequest>[1], number, RegExp][] = [
      [{ host: 'evil.com' }, 403, /Host 'evil\.com' is not a loopback name/],
      [{ host: `127.0.0.1.evil.com:${p}` }, 403, /not a loopback name/],
      [{ host: `localhost:${p}@evil.com` }, 403, /malformed Host/],
      [{ extra: 'Origin: http://evil.example\r\n' }, 403, /foreign Origin 'http:\/\/evil\.example'/],
      [{ extra: `Origin: http://127.0.0.1:${p + 1}\r\n` }, 403, /foreign Origin/],
      [{ extra: 'Origin: null\r\n' }, 403, /malformed Origin 'null'/],
      [{ path: '/ws/../admin' }, 404, /the viewer's socket is \/ws/],
    ];
    for (const [o, status, reason] of refused) {
      const r = await rawRequest(p, upgradeRequest(p, o));
      expect(r.status, JSON.stringify(o)).toBe(status);
      expect(r.body, JSON.stringify(o)).toMatch(reason);
    }
    expect(lines.filter((l) => l.includes('refused a websocket'))).toHaveLength(6);
    // The same handshake with this server's own Host and Origin is accepted.
    const ok = await connect(p, { Origin: `http://127.0.0.1:${p}` });
    await ok.next('scene');
    ok.ws.close();
  });
});

describe('requests that never finish', () => {
  it('closes an idle connection and a half-sent request after the headers timeout, and keeps serving', async () => {
    const s = await startFake(undefined, { headersTimeoutMs: 600 });
    const idle = tcpConnect(s.port, '127.0.0.1');
    const half = tcpConnect(s.port, '127.0.0.1');
    const halfUpgrade = tcpConnect(s.port, '127.0.0.1');
    const replies = new Map<string, string>();
    const closed = new Set<string>();
    for (const [name, sock] of [['idle', idle], ['half', half], ['halfUpgrade', halfUpgrade]] as const) {
      sock.on('data', (d) => replies.set(name, (replies.get(name) ?? '') + String(d)));
      sock.on('close', () => closed.add(name));
      sock.on('error', () => {});
    }
    half.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    halfUpgrade.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    // Meanwhile a complete request is answered at once.
    expect((await get(s.port, '/')).status).toBe(200);
    await until(() => closed.size === 3, 5000, 'the server to close all three');
    expect(replies.get('half') ?? '').toMatch(/^HTTP\/1\.1 408/);
    expect(replies.get('halfUpgrade') ?? '').toMatch(/^HTTP\/1\.1 408/);
  });
});
