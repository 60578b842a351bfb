// Everything a page sends is untrusted: it is size-checked, parsed and validated against a strict
// schema before the session sees it. A bad message yields an error text for the sender only.
import { z } from 'zod';
import { PROTOCOL_VERSION, type ClientCommand } from './protocol.ts';

/** Application-level cap: larger text messages get an error reply (the socket stays open). */
export const MAX_COMMAND_BYTES = 16 * 1024;

const v = z.literal(PROTOCOL_VERSION);
const finite = z.number().finite();
const name = z.string().min(1).max(200);

const commandSchema = z.discriminatedUnion('type', [
  z.strictObject({ v, type: z.literal('newEpisode'), seed: z.number().int().min(0).max(2 ** 31 - 1).optional() }),
  z.strictObject({ v, type: z.literal('setGoal'), x: finite.min(-10).max(10), z: finite.min(-10).max(10) }),
  z.strictObject({ v, type: z.literal('setTask'), task: name }),
  z.strictObject({ v, type: z.literal('setPlanner'), planner: name }),
  z.strictObject({ v, type: z.literal('pause') }),
  z.strictObject({ v, type: z.literal('resume') }),
  z.strictObject({ v, type: z.literal('step') }),
  z.strictObject({ v, type: z.literal('speed'), factor: finite.min(0.1).max(10) }),
]);

const COMMAND_TYPES = ['newEpisode', 'setGoal', 'setTask', 'setPlanner', 'pause', 'resume', 'step', 'speed'];

export type ParseResult = { ok: true; command: ClientCommand } | { ok: false; error: string };

/** Validate one incoming message (text or binary) into a command or a human-readable error. */
export function parseCommand(raw: string | Uint8Array, isBinary = false): ParseResult {
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (bytes > MAX_COMMAND_BYTES) {
    return { ok: false, error: `message of ${bytes} bytes exceeds the ${MAX_COMMAND_BYTES}-byte limit` };
  }
  if (isBinary) return { ok: false, error: 'binary messages are not accepted from clients; send JSON text' };
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'message must be a JSON object with a "type" field' };
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string' || !COMMAND_TYPES.includes(type)) {
    return { ok: false, error: `unknown command type ${JSON.stringify(type)}; expected one of: ${COMMAND_TYPES.join(', ')}` };
  }
  const version = (json as { v?: unknown }).v;
  if (version !== PROTOCOL_VERSION) {
    return { ok: false, error: `protocol version ${JSON.stringify(version)} not supported; expected v: ${PROTOCOL_VERSION}` };
  }
  const parsed = commandSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    return { ok: false, error: `invalid ${type} command: ${issues}` };
  }
  return { ok: true, command: parsed.data as ClientCommand };
}
