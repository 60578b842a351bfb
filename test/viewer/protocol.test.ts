import { describe, expect, it } from 'vitest';
import {
  PROTOCOL_VERSION, decodeFrame, depthToGray, encodeFrame, grayToBytes, posesToFloats,
} from '../../viewer/server/protocol.ts';
import { MAX_COMMAND_BYTES, parseCommand } from '../../viewer/server/validation.ts';
import { checkOrigin } from '../../viewer/server/origin.ts';
import { integratePusherPath, interpolatePoses } from '../../viewer/server/episodeRunner.ts';

describe('binary frames', () => {
  it('round-trips time, epoch, step and poses', () => {
    const poses = posesToFloats([
      { id: 'a', position: [0.1, 0.2, -0.3], rotation: [0, 0.7071, 0, 0.7071] },
      { id: 'b', position: [-1, 2, 3], rotation: [0, 0, 0, 1] },
    ]);
    const buf = encodeFrame({ epoch: 42, sentAt: 1_700_000_000_123.5, simTime: 1.25, step: 12, poses });
    // A Node Buffer copy at an odd offset must decode too (ws hands those out).
    const padded = Buffer.alloc(buf.byteLength + 1);
    Buffer.from(buf).copy(padded, 1);
    const f = decodeFrame(padded.subarray(1));
    expect(f.epoch).toBe(42);
    expect(f.sentAt).toBe(1_700_000_000_123.5);
    expect(f.simTime).toBeCloseTo(1.25);
    expect(f.step).toBe(12);
    expect(Array.from(f.poses)).toEqual(Array.from(poses));
  });

  it('rejects a wrong version, a wrong type and a truncated body', () => {
    const buf = encodeFrame({ epoch: 1, sentAt: 0, simTime: 0, step: 0, poses: new Float32Array(7) });
    const wrongVersion = new Uint8Array(buf.slice(0));
    new DataView(wrongVersion.buffer).setUint16(0, PROTOCOL_VERSION + 1, true);
    expect(() => decodeFrame(wrongVersion)).toThrow(/version/);
    const wrongType = new Uint8Array(buf.slice(0));
    new DataView(wrongType.buffer).setUint16(2, 99, true);
    expect(() => decodeFrame(wrongType)).toThrow(/type/);
    expect(() => decodeFrame(new Uint8Array(buf).subarray(0, buf.byteLength - 4))).toThrow(/not 2 \+ 7k/);
  });

  it('encodes depth as grayscale bytes, clamping and mapping non-finite to far', () => {
    const img = depthToGray([0, 0.5, 1, 2, Number.NaN, -1], 3, 2);
    expect(Array.from(grayToBytes(img))).toEqual([0, 128, 255, 255, 255, 0]);
  });
});

describe('client commands', () => {
  const ok = (o: unknown) => parseCommand(JSON.stringify(o));
  it('accepts every command type', () => {
    const cmds = [
      { v: 1, type: 'newEpisode' }, { v: 1, type: 'newEpisode', seed: 5 }, { v: 1, type: 'setGoal', x: 0.1, z: -0.05 },
      { v: 1, type: 'setTask', task: 'tip' }, { v: 1, type: 'setPlanner', planner: 'oracle' }, { v: 1, type: 'pause' },
      { v: 1, type: 'resume' }, { v: 1, type: 'step' }, { v: 1, type: 'speed', factor: 2 },
    ];
    for (const c of cmds) expect(ok(c)).toEqual({ ok: true, command: c });
  });

  it('rejects bad JSON, unknown types, bad fields, extra fields, wrong version and oversize with a reason', () => {
    const err = (r: ReturnType<typeof parseCommand>) => (r.ok ? '' : r.error);
    expect(err(parseCommand('{nope'))).toMatch(/not valid JSON/);
    expect(err(parseCommand('[1,2]'))).toMatch(/JSON object/);
    expect(err(ok({ v: 1, type: 'explode' }))).toMatch(/unknown command type "explode"/);
    expect(err(ok({ v: 1, type: 'setGoal', x: 'a', z: 0 }))).toMatch(/invalid setGoal command: x/);
    expect(err(ok({ v: 1, type: 'setGoal', x: 0 }))).toMatch(/z/);
    expect(err(ok({ v: 1, type: 'speed', factor: 1e9 }))).toMatch(/factor/);
    expect(err(ok({ v: 1, type: 'pause', extra: true }))).toMatch(/invalid pause/);
    expect(err(ok({ v: 99, type: 'pause' }))).toMatch(/protocol version 99/);
    expect(err(ok({ type: 'pause' }))).toMatch(/protocol version/);
    expect(err(parseCommand('x'.repeat(MAX_COMMAND_BYTES + 1)))).toMatch(/exceeds/);
    expect(err(parseCommand(new Uint8Array([1, 2]), true))).toMatch(/binary/);
  });
});

describe('origin check', () => {
  it('allows no Origin and the same host:port, rejects foreign origins and rebinding hosts', () => {
    expect(checkOrigin(undefined, '127.0.0.1:8080', '127.0.0.1').ok).toBe(true);
    expect(checkOrigin('http://127.0.0.1:8080', '127.0.0.1:8080', '127.0.0.1').ok).toBe(true);
    expect(checkOrigin('http://localhost:8080', 'localhost:8080', '127.0.0.1').ok).toBe(true);
    expect(checkOrigin('http://evil.example', '127.0.0.1:8080', '127.0.0.1').ok).toBe(false);
    expect(checkOrigin('http://127.0.0.1:9999', '127.0.0.1:8080', '127.0.0.1').ok).toBe(false);
    expect(checkOrigin('null', '127.0.0.1:8080', '127.0.0.1').ok).toBe(false);
    expect(checkOrigin('http://evil.example:8080', 'evil.example:8080', '127.0.0.1').ok).toBe(false);
    expect(checkOrigin(undefined, undefined, '127.0.0.1').ok).toBe(false);
    // Bound to all interfaces, a LAN name is fine as long as the page came from this server.
    expect(checkOrigin('http://box.lan:8080', 'box.lan:8080', '0.0.0.0').ok).toBe(true);
  });
});

describe('paths and interpolation', () => {
  it('integrates the pusher path from velocities and heights', () => {
    const p = integratePusherPath([0, 0.05, 0], new Float32Array([0.2, -0.1, 0.03, 0.2, 0, 0.1]), 0.1);
    expect(p.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 0.05, 0, 0.02, 0.03, -0.01, 0.04, 0.1, -0.01]);
  });

  it('interpolates positions linearly and rotations along the short arc', () => {
    const a = new Float32Array([0, 0, 0, 0, 0, 0, 1]);
    const s = Math.SQRT1_2;
    const b = new Float32Array([2, 0, 0, 0, -s, 0, -s]); // -q of a 90° turn about y
    const m = interpolatePoses(a, b, 0.5, new Float32Array(7));
    expect(m[0]).toBeCloseTo(1);
    // Halfway to 90° about y is 45° about y: (0, sin 22.5°, 0, cos 22.5°).
    expect(m[4]).toBeCloseTo(Math.sin(Math.PI / 8), 5);
    expect(m[6]).toBeCloseTo(Math.cos(Math.PI / 8), 5);
  });

  it('lets a body parked below the table (a distractor about to drop in, or gone) jump instead of gliding', () => {
    const parked = new Float32Array([0.4, -10, 0, 0, 0, 0, 1]);
    const table = new Float32Array([0.1, 0.05, -0.4, 0, 0, 0, 1]);
    expect(Array.from(interpolatePoses(parked, table, 0.3, new Float32Array(7)))).toEqual(Array.from(table));
    expect(Array.from(interpolatePoses(table, parked, 0.3, new Float32Array(7)))).toEqual(Array.from(parked));
  });
});
