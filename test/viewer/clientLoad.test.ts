// Many viewers, and one that stops reading. Rates are judged against the server's own per-client
// frame counters, not wall-clock thresholds, so a loaded machine slows both sides alike.
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { encodeFrame } from '../../viewer/server/protocol.ts';
import { closeFakes, connect, rawWebSocket, startFake, until, wait, type Client } from './harness.ts';

afterEach(closeFakes);

describe('20 viewers at once', () => {
  it('all get the scene and every frame the stream sends, none skipped', async () => {
    const s = await startFake();
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(s.port)));
    await Promise.all(clients.map((c) => c.next('scene')));
    expect(s.hub.clients.size).toBe(20);
    const sockets = [...s.hub.clients];
    const sent = () => sockets.map((w) => s.hub.statsOf(w)!.framesSent);
    await wait(300);
    const before = sent();
    await wait(1000);
    const after = sent();
    const perClient = after.map((n, i) => n - before[i]);
    // One broadcast reaches all 20 in the same tick: the counts agree exactly, and the stream ran.
    expect(new Set(perClient).size).toBe(1);
    expect(perClient[0]).toBeGreaterThan(10);
    for (const w of sockets) expect(s.hub.statsOf(w)!.framesSkipped).toBe(0);
    // Stop the stream; then each client holds exactly the frames the server sent it: none lost.
    await s.session.stop();
    const total = sent();
    await until(() => clients.reduce((a, c) => a + c.frames, 0) >= total.reduce((a, b) => a + b, 0), 3000, 'the last frames');
    for (const c of clients) {
      const port = (c.ws as unknown as { _socket: Socket })._socket.localPort;
      const i = sockets.findIndex((w) => (w as unknown as { _socket: Socket })._socket.remotePort === port);
      expect(c.frames).toBe(total[i]);
    }
    for (const c of clients) c.ws.close();
  });
});

describe('a client that never reads', () => {
  it('is held to the frame backlog cap while frames stream, and the other client gets every frame', async () => {
    const frameCap = 128 * 1024;
    // 2000 extra bodies make each frame 56 KB; at 100 frames/s the stuck socket's kernel buffers fill in a moment.
    const s = await startFake(undefined, {
      extraBodies: 2000, frameHz: 100, heartbeatMs: 0, hub: { frameBacklogBytes: frameCap, maxBacklogBytes: 4 * 1024 * 1024 },
    });
    const frameBytes = encodeFrame({ epoch: 0, sentAt: 0, simTime: 0, step: 0, poses: new Float32Array(2003 * 7) }).byteLength;
    const normal: Client = await connect(s.port);
    await normal.next('scene');
    const stuck = await rawWebSocket(s.port);
    stuck.socket.pause();
    await until(() => s.hub.clients.size === 2, 2000, 'both clients');
    const [normalWs, stuckWs] = [...s.hub.clients] as WebSocket[];
    let maxBuffered = 0;
    const sampler = setInterval(() => { maxBuffered = Math.max(maxBuffered, stuckWs.bufferedAmount); }, 5);
    // Stream until the stuck client has missed 100 frames (its buffers are full), then some more.
    await until(() => s.hub.statsOf(stuckWs)!.framesSkipped >= 100, 15_000, 'the stuck client to start skipping');
    const skippedAt = s.hub.statsOf(stuckWs)!.framesSkipped;
    await until(() => s.hub.statsOf(stuckWs)!.framesSkipped >= skippedAt + 50, 10_000, '50 more frames');
    clearInterval(sampler);
    // Its server-side buffer never passed the cap by more than the frame that crossed it.
    expect(maxBuffered).toBeGreaterThan(frameCap);
    expect(maxBuffered).toBeLessThanOrEqual(frameCap + frameBytes);
    expect(s.hub.clients.has(stuckWs)).toBe(true);
    // The other client was never skipped and receives every frame it was sent.
    const normalStats = s.hub.statsOf(normalWs)!;
    expect(normalStats.framesSkipped).toBe(0);
    expect(normalStats.framesSent).toBeGreaterThanOrEqual(s.hub.statsOf(stuckWs)!.framesSent + 150);
    await s.session.stop();
    await until(() => normal.frames >= normalStats.framesSent, 5000, 'the normal client to receive every frame');
    await wait(100);
    expect(normal.frames).toBe(normalStats.framesSent);
    normal.ws.close();
  });
});
