// Who may talk to the server. DNS rebinding (evil.example re-resolving to 127.0.0.1) lets a foreign
// page reach a local server, but its requests carry `Host: evil.example`: so every http request
// and websocket upgrade must name this server in Host. Bound to loopback, only loopback names
// pass; bound elsewhere, also IP literals (no DNS, so nothing to rebind), the bound name and this
// machine's own host name. A browser page from another site must not drive the sim (or read it)
// either, so a websocket's Origin, when present, must be this very server (same host:port).
// Non-browser clients send no Origin and are allowed.
import { isIP } from 'node:net';
import { hostname } from 'node:os';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || (isIP(h) === 4 && h.startsWith('127.'));
}

/** `name`, `name:port`, `[v6]` or `[v6]:port`; anything else (userinfo, a bad port) is malformed. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

/** The host name of a Host header, lowercased, or null when the header is malformed. */
export function hostnameOf(hostHeader: string): string | null {
  const m = HOST_HEADER.exec(hostHeader);
  if (!m) return null;
  const name = m[1].toLowerCase();
  if (name.startsWith('[') && isIP(name.slice(1, -1)) !== 6) return null;
  return name;
}

function isIpLiteral(name: string): boolean {
  return name.startsWith('[') ? isIP(name.slice(1, -1)) === 6 : isIP(name) === 4;
}

/** A header value as it may appear in a reply or a log line: printable and short. */
export function shown(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}...` : clean;
}

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkHost(hostHeader: string | undefined, boundHost: string, machineNames: readonly string[] = [hostname()]): OriginVerdict {
  if (!hostHeader) return { ok: false, reason: 'missing Host header' };
  const name = hostnameOf(hostHeader);
  if (name === null) return { ok: false, reason: `malformed Host header '${shown(hostHeader)}'` };
  if (isLoopbackHost(name)) return { ok: true };
  if (isLoopbackHost(boundHost)) {
    return { ok: false, reason: `Host '${shown(hostHeader)}' is not a loopback name for a server bound to ${boundHost} (a DNS-rebinding guard); open it as 127.0.0.1 or localhost` };
  }
  const own = [boundHost, ...machineNames.flatMap((n) => [n, `${n}.local`])].map((n) => n.toLowerCase());
  if (isIpLiteral(name) || own.includes(name)) return { ok: true };
  return {
    ok: false,
    reason: `Host '${shown(hostHeader)}' is not this machine (a DNS-rebinding guard); open it by IP address or as ${machineNames[0] ?? 'its host name'}, or bind with --host ${shown(name)}`,
  };
}

export function checkOrigin(origin: string | undefined, hostHeader: string | undefined, boundHost: string, machineNames?: readonly string[]): OriginVerdict {
  const host = checkHost(hostHeader, boundHost, machineNames);
  if (!host.ok || origin === undefined) return host;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return { ok: false, reason: `malformed Origin '${shown(origin)}'` };
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.host.toLowerCase() !== hostHeader!.toLowerCase()) {
    return { ok: false, reason: `foreign Origin '${shown(origin)}' (this server is ${shown(hostHeader!)})` };
  }
  return { ok: true };
}
