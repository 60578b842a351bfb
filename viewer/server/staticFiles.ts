// Serves the built page (viewer/client/dist) read-only. The URL parser folds "/../", "%2e%2e" and
// backslashes; what survives decoding is normalized as an absolute path (so ".." stops at "/") and
// must still resolve inside the root. NUL, other control characters and backslashes never name a
// built file and are refused as a bad path.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

function hasForbiddenChar(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

export function staticHandler(rootDir: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const root = resolve(rootDir);
  return async (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname: string;
    try {
      // A target is a path ("/a/b") or, from proxies, an absolute URL; "//x" is a path, not a host.
      const target = req.url ?? '/';
      pathname = decodeURIComponent(new URL(target.startsWith('/') ? `http://x${target}` : target).pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (hasForbiddenChar(pathname)) {
      res.writeHead(400).end('bad path');
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = resolve(join(root, normalize(pathname)));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      if (pathname === '/index.html') {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end('The viewer page is not built. Run `npm run build:viewer` (or `npm start`, which builds it).\n');
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      }
    }
  };
}
