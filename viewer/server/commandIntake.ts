// One page's incoming messages. Everything a page sends is untrusted: past the per-second budget
// it is dropped unread (one error reply per second says so), the rest is validated, and only a
// valid command reaches the session. Mistakes get an error reply naming what was wrong and one
// (rate-limited) log line; the socket stays open.
import type { WebSocket } from 'ws';
import { PROTOCOL_VERSION, type ServerMessage } from './protocol.ts';
import { parseCommand } from './validation.ts';
import type { Hub } from './hub.ts';
import type { Session } from './session.ts';

/** Commands per second one page may send; a runaway script gets error replies, not the sim. */
export const MAX_COMMANDS_PER_SECOND = 40;

const errorMessage = (message: string): ServerMessage => ({ v: PROTOCOL_VERSION, type: 'error', message });

export function acceptCommands(ws: WebSocket, who: string, hub: Hub, session: Session, logClientError: (line: string) => void): void {
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
        logClientError(`viewer: ${who} sent more than ${MAX_COMMANDS_PER_SECOND} commands in a second; ignoring the rest of that second`);
        hub.send(ws, errorMessage(`more than ${MAX_COMMANDS_PER_SECOND} commands per second; ignoring the rest of this second`));
      }
      return;
    }
    const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const parsed = parseCommand(isBinary ? raw : raw.toString('utf8'), isBinary);
    if (!parsed.ok) {
      logClientError(`viewer: rejected a message from ${who}: ${parsed.error}`);
      hub.send(ws, errorMessage(parsed.error));
      return;
    }
    session.handle(parsed.command).then(
      (reply) => { if (reply) hub.send(ws, reply); },
      (e: unknown) => hub.send(ws, errorMessage(`command ${parsed.command.type} failed: ${e instanceof Error ? e.message : String(e)}`)),
    );
  });
}
