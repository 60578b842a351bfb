import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ViewerServer } from '../../viewer/server/server.ts';
import { PROTOCOL_VERSION } from '../../viewer/server/protocol.ts';
import type { FakeRunnerLog } from './fakeRunner.ts';
import { closeFakes, connect, startFake, wait } from './harness.ts';

afterEach(closeFakes);

const start = (log: FakeRunnerLog, episodeSteps = 1000): Promise<ViewerServer> => startFake(log, { episodeSteps });

describe('viewer server', () => {
  it('streams scene, frames at >= 30 Hz, plans and metrics to every viewer', async () => {
    const s = await start({ resets: [], steps: 0, goals: [] });
    const [a, b] = await Promise.all([connect(s.port), connect(s.port)]);
    const scene = await a.next('scene');
    expect(scene.type === 'scene' && scene.scene.bodies.map((x) => x.id)).toEqual(['table', 'bottle', 'pusher']);
    const plan = await b.next('plan');
    expect(plan.type === 'plan' && plan.chosen.pusher.length).toBe(9);
    await a.next('metrics');
    const f0 = a.frames;
    await wait(1000);
    expect(a.frames - f0).toBeGreaterThanOrEqual(30);
    expect(b.frames).toBeGreaterThanOrEqual(30);
    a.ws.close();
    b.ws.close();
  });

  it('answers malformed, unknown and oversized messages with an error; the other viewer keeps its frames', async () => {
    const log: FakeRunnerLog = { resets: [], steps: 0, goals: [] };
    const s = await start(log);
    const [bad, good] = await Promise.all([connect(s.port), connect(s.port)]);
    await good.next('scene');
    const stepsBefore = log.steps;
    const resetsBefore = log.resets.length;
    const goodFramesBefore = good.frames;
    const payloads = ['{oops', JSON.stringify({ v: PROTOCOL_VERSION, type: 'selfDestruct' }),
      JSON.stringify({ v: PROTOCOL_VERSION, type: 'setGoal', x: 'far', z: 0 }), 'x'.repeat(40_000)];
    for (const p of payloads) bad.ws.send(p);
    await wait(300);
    const errors = bad.messages.filter((m) => m.type === 'error').map((m) => (m.type === 'error' ? m.message : ''));
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(/JSON/);
    expect(errors[1]).toMatch(/unknown command type/);
    expect(errors[2]).toMatch(/setGoal/);
    expect(errors[3]).toMatch(/exceeds/);
    expect(good.messages.some((m) => m.type === 'error')).toBe(false);
    expect(bad.ws.readyState).toBe(WebSocket.OPEN);
    // The sim kept running and was not reset or re-goaled by the garbage.
    expect(log.steps).toBeGreaterThan(stepsBefore);
    expect(log.resets.length).toBe(resetsBefore);
    expect(log.goals).toHaveLength(0);
    expect(good.frames - goodFramesBefore).toBeGreaterThan(5);
    // The same socket still works for a valid command afterwards.
    const n = bad.messages.length;
    bad.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'pause' }));
    const status = await bad.next('status', n);
    expect(status.type === 'status' && status.paused).toBe(true);
    bad.ws.close();
    good.ws.close();
  });

  it('ignores a flood of commands beyond the rate limit with one error reply', async () => {
    const log: FakeRunnerLog = { resets: [], steps: 0, goals: [] };
    const s = await start(log);
    const c = await connect(s.port);
    await c.next('scene');
    const resetsBefore = log.resets.length;
    for (let i = 0; i < 200; i++) c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'newEpisode' }));
    await wait(400);
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].type === 'error' && errors[0].message).toMatch(/commands per second/);
    // At most the allowed 40 got through (they coalesce into few resets).
    expect(c.messages.filter((m) => m.type === 'status').length).toBeLessThanOrEqual(40);
    expect(log.resets.length - resetsBefore).toBeLessThanOrEqual(40);
    c.ws.close();
  });

  it('refuses a foreign Origin and accepts its own', async () => {
    const s = await start({ resets: [], steps: 0, goals: [] });
    await expect(connect(s.port, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const own = await connect(s.port, { Origin: `http://127.0.0.1:${s.port}` });
    await own.next('scene');
    own.ws.close();
  });

  it('applies newEpisode, setGoal, pause/step and runs episodes back to back', async () => {
    const log: FakeRunnerLog = { resets: [], steps: 0, goals: [] };
    const s = await start(log, 3);
    const c = await connect(s.port);
    const ep = await c.next('episode');
    expect(ep.type === 'episode' && ep.outcome.kind).toBe('success');
    expect(ep.type === 'episode' && ep.tally.success).toBe(1);
    let n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'newEpisode', seed: 1234 }));
    await c.next('scene', n);
    expect(log.resets).toContain(1234);
    n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'setGoal', x: 0.2, z: 0.1 }));
    const scene = await c.next('scene', n);
    expect(scene.type === 'scene' && scene.goalPoint).toEqual([0.2, 0.1]);
    n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'setGoal', x: 3, z: 0 }));
    const err = await c.next('error', n);
    expect(err.type === 'error' && err.message).toMatch(/off the table/);
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'pause' }));
    await wait(300);
    const paused = log.steps;
    await wait(300);
    expect(log.steps).toBe(paused);
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'step' }));
    await wait(300);
    expect(log.steps).toBe(paused + 1);
    n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'setPlanner', planner: 'jepa-cem' }));
    const refused = await c.next('error', n);
    expect(refused.type === 'error' && refused.message).toMatch(/--model/);
    n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'setTask', task: 'tip' }));
    const switched = await c.next('scene', n);
    expect(switched.type === 'scene' && switched.task).toBe('tip');
    c.ws.close();
  });

  it('paused, stays on a finished episode; a step or resume starts the next one', async () => {
    const log: FakeRunnerLog = { resets: [], steps: 0, goals: [] };
    const s = await start(log, 3);
    const c = await connect(s.port);
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'pause' }));
    await wait(300);
    // A fresh 3-step episode, stepped to its end by hand.
    let n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'newEpisode', seed: 77 }));
    await c.next('scene', n);
    n = c.messages.length;
    for (let i = 0; i < 3; i++) {
      c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'step' }));
      await wait(250);
    }
    const ended = await c.next('episode', n);
    expect(ended.type === 'episode' && ended.steps).toBe(3);
    // Well past the hold (0.05 s here): no new episode while paused.
    const resets = log.resets.length, steps = log.steps;
    await wait(400);
    expect(log.resets.length).toBe(resets);
    expect(c.messages.slice(n).some((m) => m.type === 'scene')).toBe(false);
    // One step: the next episode starts and takes its first step.
    n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'step' }));
    await c.next('scene', n);
    await wait(300);
    expect(log.resets.length).toBe(resets + 1);
    expect(log.steps).toBe(steps + 1);
    // Resume runs episodes back to back again.
    n = c.messages.length;
    c.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'resume' }));
    await c.next('episode', n);
    await c.next('scene', n);
    c.ws.close();
  });

  it('serves the page over http and nothing outside its folder', async () => {
    const s = await start({ resets: [], steps: 0, goals: [] });
    const page = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/viewer/);
    expect((await fetch(`http://127.0.0.1:${s.port}/%2e%2e/%2e%2e/etc/passwd`)).status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`http://127.0.0.1:${s.port}/missing.js`)).status).toBe(404);
  });
});

describe('hub backpressure', () => {
  it('skips frames and plans for a client with a full buffer, keeps sending to the others, drops a dead one', async () => {
    const { Hub } = await import('../../viewer/server/hub.ts');
    const hub = new Hub({ frameBacklogBytes: 1000, maxBacklogBytes: 5000 });
    const mk = (buffered: number) => {
      const sent: unknown[] = [];
      const sock = {
        OPEN: 1, readyState: 1, bufferedAmount: buffered, terminated: false, sent,
        on() {}, send(d: unknown) { sent.push(d); }, terminate() { this.terminated = true; },
      };
      return sock;
    };
    const fast = mk(0);
    const slow = mk(2000);
    const dead = mk(10_000);
    for (const s of [fast, slow, dead]) hub.add(s as never);
    hub.broadcastFrame(new ArrayBuffer(8));
    hub.broadcast({ v: PROTOCOL_VERSION, type: 'error', message: 'plan-like' }, true);
    hub.broadcast({ v: PROTOCOL_VERSION, type: 'error', message: 'episode-like' }, false);
    expect(fast.sent).toHaveLength(3);
    expect(slow.sent).toHaveLength(1); // only the non-droppable message
    expect(hub.stats.framesSkipped).toBe(2);
    expect(dead.terminated).toBe(true);
  });
});
