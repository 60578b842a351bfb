// Who may open the live socket. A browser page from another site must not drive the sim (or read
// it), so a browser Origin must be this very server (same host:port). Non-browser clients send no
// Origin and are allowed. When bound to loopback, the Host header must name loopback too, which
// defeats DNS-rebinding (evil.example resolving to 127.0.0.1 carries Host: evil.example).

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const i = hostHeader.lastIndexOf(':');
  return i < 0 ? hostHeader : hostHeader.slice(0, i);
}

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkOrigin(origin: string | undefined, hostHeader: string | undefined, boundHost: string): OriginVerdict {
  if (!hostHeader) return { ok: false, reason: 'missing Host header' };
  if (isLoopbackHost(boundHost) && !isLoopbackHost(hostnameOf(hostHeader))) {
    return { ok: false, reason: `Host '${hostHeader}' is not a loopback name for a server bound to ${boundHost}` };
  }
  if (origin === undefined) return { ok: true };
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return { ok: false, reason: `malformed Origin '${origin}'` };
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.host.toLowerCase() !== hostHeader.toLowerCase()) {
    return { ok: false, reason: `foreign Origin '${origin}' (this server is ${hostHeader})` };
  }
  return { ok: true };
}
