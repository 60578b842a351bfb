// The websocket under hostile clients: messages of every wrong shape, frames no browser sends
// (oversized, endlessly fragmented, unmasked, bad UTF-8), a burst of 10 000 messages, a peer that
// stops answering, and more viewers than allowed. Each attack must cost its sender, never the
// other viewers or the server.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PROTOCOL_VERSION, type ServerMessage } from '../../viewer/server/protocol.ts';
import { WS_MAX_PAYLOAD } from '../../viewer/server/server.ts';
import { MAX_COMMANDS_PER_SECOND } from '../../viewer/server/commandIntake.ts';
import {
  clientFrame, closeFakes, connect, newLog, rawRequest, rawWebSocket, startFake, textMessages, until, upgradeRequest, wait,
} from './harness.ts';

afterEach(closeFakes);

const errorsOf = (msgs: ServerMessage[]) => msgs.flatMap((m) => (m.type === 'error' ? [m.message] : []));

describe('messages of the wrong shape', () => {
  it('answers each with its own error, keeps the socket open, and the sim never sees them', async () => {
    const log = newLog();
    const lines: string[] = [];
    const s = await startFake(log, { log: (l) => lines.push(l) });
    const c = await connect(s.port);
    await c.next('scene');
    const resets = log.resets.length;
    const bad: [string | Buffer, RegExp][] = [
      [Buffer.from([1, 2, 3]), /binary messages are not accepted/],
      ['null', /must be a JSON object/],
      ['42', /must be a JSON object/],
      ['"pause"', /must be a JSON object/],
      ['[{"v":1,"type":"pause"}]', /must be a JSON object/],
      ['{}', /unknown command type undefined/],
      ['{"v":1,"type":5}', /unknown command type 5/],
      ['{"v":1,"type":"pause","extra":true}', /Unrecognized key: "extra"/],
      ['{"v":1,"type":"pause","__proto__":{"paused":false}}', /Unrecognized key: "__proto__"/],
      ['{"v":1,"type":"newEpisode","seed":-1}', /invalid newEpisode command: seed/],
      ['{"v":1,"type":"newEpisode","seed":"1"}', /invalid newEpisode command: seed/],
      ['{"v":1,"type":"setGoal","x":1e400,"z":0}', /invalid setGoal command: x/],
      ['{"v":1,"type":"speed","factor":null}', /invalid speed command: factor/],
      ['{"v":2,"type":"pause"}', /protocol version 2 not supported/],
      ['{"v":1,"type":"setTask","task":"../../etc/passwd"}', /unknown task '..\/..\/etc\/passwd'/],
    ];
    for (const [msg] of bad) c.ws.send(msg);
    await until(() => errorsOf(c.messages).length >= bad.length, 3000, 'an error per message');
    const errors = errorsOf(c.messages);
    bad.forEach(([msg, reason], i) => expect(errors[i], String(msg)).toMatch(reason));
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(log.resets.length).toBe(resets);
    expect(c.messages.some((m) => m.type === 'status')).toBe(false);
    // One log line per rejected message (the last is the session's own refusal, for the page alone),
    // at most 10 a second: the rest are counted in one line with the next mistake after the second.
    expect(lines.filter((l) => l.includes('rejected a message'))).toHaveLength(10);
    await wait(1100);
    c.ws.send('{oops');
    await until(() => lines.some((l) => l.includes('suppressed')), 2000, 'the suppressed count');
    expect(lines).toContain(`viewer: ${bad.length - 1 - 10} more client-error line(s) suppressed`);
    expect(lines.some((l) => / at .*\.ts:\d+/.test(l))).toBe(false);
  });
});

describe('frames no browser sends', () => {
  it(`cuts a message declared larger than ${WS_MAX_PAYLOAD} bytes at its header (1009), before the payload arrives`, async () => {
    const lines: string[] = [];
    const s = await startFake(undefined, { log: (l) => lines.push(l) });
    const other = await connect(s.port);
    await other.next('scene');
    const raw = await rawWebSocket(s.port);
    const heapBefore = process.memoryUsage().heapUsed;
    // A text frame that says 100 MB is coming, then only 64 KiB of it; the peer never answers the close.
    raw.socket.write(clientFrame(1, Buffer.alloc(65536, 0x20), { declaredLength: 100_000_000 }).subarray(0, 14 + 65536));
    await until(() => raw.closed, 4000, 'the server to close the socket');
    expect(raw.closeCode()).toBe(1009);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50e6);
    expect(lines.some((l) => /closing the websocket of 127\.0\.0\.1:\d+: Max payload size exceeded/.test(l))).toBe(true);
    const f0 = other.frames;
    await wait(300);
    expect(other.frames).toBeGreaterThan(f0);
  });

  it('accepts a command split into fragments, and cuts endless fragments at the same cap', async () => {
    const s = await startFake();
    const raw = await rawWebSocket(s.port);
    raw.socket.write(Buffer.concat([
      clientFrame(1, '{"v":1,', { fin: false }), clientFrame(0, '"type":', { fin: false }), clientFrame(0, '"pause"}'),
    ]));
    await until(() => textMessages(raw.frames()).some((m) => m.type === 'status'), 3000, 'a status reply');
    const status = textMessages(raw.frames()).find((m) => m.type === 'status');
    expect(status?.type === 'status' && status.paused).toBe(true);
    // 1 KiB continuation frames without a final one: the total passes the cap and the socket closes.
    const frags = [clientFrame(1, Buffer.alloc(1024, 0x20), { fin: false })];
    for (let i = 0; i < WS_MAX_PAYLOAD / 1024 + 10; i++) frags.push(clientFrame(0, Buffer.alloc(1024, 0x20), { fin: false }));
    raw.socket.write(Buffer.concat(frags));
    await until(() => raw.closed, 4000, 'the server to close the socket');
    expect(raw.closeCode()).toBe(1009);
  });

  it('never negotiates compression, so no message can inflate past the size checks', async () => {
    const s = await startFake();
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`, { perMessageDeflate: true });
    await new Promise((r) => ws.once('open', r));
    expect(ws.extensions).toBe('');
    ws.close();
  });

  it('closes only the offending socket for bad UTF-8 (1007), an unmasked frame or a reserved opcode (1002)', async () => {
    const s = await startFake();
    const other = await connect(s.port);
    await other.next('scene');
    const attacks: [Buffer, number][] = [
      [clientFrame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
      [clientFrame(1, '{"v":1,"type":"pause"}', { mask: false }), 1002],
      [clientFrame(3, 'x'), 1002],
      [clientFrame(9, Buffer.alloc(200)), 1002], // a ping with a payload over 125 bytes
    ];
    for (const [bytes, code] of attacks) {
      const raw = await rawWebSocket(s.port);
      raw.socket.write(bytes);
      await until(() => raw.closed, 4000, `close ${code}`);
      expect(raw.closeCode()).toBe(code);
    }
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    const f0 = other.frames;
    await wait(300);
    expect(other.frames).toBeGreaterThan(f0);
    expect(s.hub.clients.size).toBe(1);
  });
});

describe('a burst of 10 000 messages', () => {
  it('lets at most the per-second budget through, queues nothing, and the other viewer keeps frames and answers', async () => {
    const log = newLog();
    const s = await startFake(log);
    const observer = await connect(s.port);
    await observer.next('scene');
    const raw = await rawWebSocket(s.port);
    const one = clientFrame(1, JSON.stringify({ v: PROTOCOL_VERSION, type: 'speed', factor: 1 }));
    const t0 = performance.now();
    raw.socket.write(Buffer.concat(Array.from({ length: 10_000 }, () => one)));
    const f0 = observer.frames;
    // While the burst is read, the observer's own command is applied and answered.
    const n = observer.messages.length;
    observer.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'speed', factor: 2 }));
    await until(() => observer.messages.slice(n).some((m) => m.type === 'status' && m.speed === 2), 2000, "the observer's reply");
    await wait(500);
    const windows = Math.ceil((performance.now() - t0) / 1000);
    const got = textMessages(raw.frames());
    const rateErrors = errorsOf(got).filter((m) => /commands per second/.test(m));
    const statuses = got.filter((m) => m.type === 'status');
    expect(rateErrors.length).toBeGreaterThanOrEqual(1);
    expect(rateErrors.length).toBeLessThanOrEqual(windows);
    // Every status the flooder saw answers one accepted command (its own or the observer's).
    expect(statuses.length).toBeLessThanOrEqual(MAX_COMMANDS_PER_SECOND * windows + 1);
    expect(observer.frames - f0).toBeGreaterThan(10);
    expect(raw.closed).toBe(false);
    // Nothing is left waiting: the server's send buffer to the flooder is empty.
    const flooder = [...s.hub.clients][1]; // clients are kept in connection order
    expect(s.hub.clients.size).toBe(2);
    expect(flooder.bufferedAmount).toBe(0);
  });
});

describe('peers that stop answering, and too many viewers', () => {
  it('drops a client that never answers pings (half-open), keeps one that does', async () => {
    const lines: string[] = [];
    const s = await startFake(undefined, { heartbeatMs: 250, log: (l) => lines.push(l) });
    const live = await connect(s.port);
    const silent = await rawWebSocket(s.port);
    silent.socket.pause(); // reads nothing from here on: no pong ever comes back
    expect(s.hub.clients.size).toBe(2);
    await until(() => s.hub.clients.size === 1, 3000, 'the silent client to be dropped');
    expect(lines.some((l) => /dropped a client that did not answer a ping within 0\.3 s/.test(l))).toBe(true);
    silent.socket.resume();
    await until(() => silent.closed, 2000, 'the silent socket to see its close');
    await wait(600);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    expect(s.hub.clients.size).toBe(1);
  });

  it('shuts down without waiting for a client that never answers the close frame', async () => {
    const s = await startFake(undefined, { heartbeatMs: 0 });
    const stuck = await rawWebSocket(s.port);
    stuck.socket.pause();
    const t0 = performance.now();
    await s.close();
    // ws alone would wait 30 s for the close reply.
    expect(performance.now() - t0).toBeLessThan(5000);
    stuck.socket.resume();
    await until(() => stuck.closed, 2000, 'the stuck socket to be cut');
  });

  it('refuses one viewer beyond the limit with 503 and a reason, and admits one again when a seat frees', async () => {
    const s = await startFake(undefined, { maxClients: 3 });
    const cs = await Promise.all([0, 1, 2].map(() => connect(s.port)));
    const r = await rawRequest(s.port, upgradeRequest(s.port));
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/already 3 viewers connected/);
    await expect(connect(s.port)).rejects.toThrow(/503/);
    cs[0].ws.close();
    await until(() => s.hub.clients.size === 2, 2000, 'the seat to free');
    const again = await connect(s.port);
    await again.next('scene');
    for (const c of [...cs.slice(1), again]) c.ws.close();
  });
});
