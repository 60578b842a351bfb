// The burst path with the real simulator: when the bottle bursts, the body list changes, so the
// server must send a fresh scene (new epoch, fragment bodies) before frames in the new layout,
// then the episode outcome.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Env } from '../../sim/env.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import type { BodyPose, SceneDescription, Vec3 } from '../../sim/types.ts';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.ts';
import { FLOATS_PER_BODY, PROTOCOL_VERSION, decodeFrame, type SceneMessage, type ServerMessage } from '../../viewer/server/protocol.ts';
import type { EpisodeRunner, RunnerStep } from '../../viewer/server/episodeRunner.ts';

/** Rams the pusher into the bottle at full speed, low: on `fragile` that bursts it. */
class RamRunner implements EpisodeRunner {
  readonly task = 'fragile';
  readonly planner = 'ram';
  readonly controlDt: number;
  constructor(private readonly env: Env) {
    this.controlDt = env.spec.controlDt;
  }
  reset(seed: number) { this.env.reset(seed); }
  describe(): SceneDescription { return this.env.describe(); }
  poses(): BodyPose[] { return this.env.poses(); }
  pusherPosition(): Vec3 { const p = this.env.observe().proprio; return [p[0], p[1], p[2]]; }
  goalPoses(): BodyPose[] { return []; }
  goalPoint(): [number, number] | null { return null; }
  depthSize() { return this.env.spec.obsSize; }
  agentDepth() { return this.env.observe().depth; }
  goalDepth() { return this.env.goalObservation().depth; }
  setGoal(): void {}
  dispose() { this.env.free(); }
  advance(): RunnerStep {
    const s = this.env.observe().state;
    const p = this.env.observe().proprio;
    const dx = s[0] - p[0], dz = s[2] - p[2], n = Math.hypot(dx, dz) || 1;
    const action = Float32Array.from([(0.25 * dx) / n, (0.25 * dz) / n, 0.04]);
    const r = this.env.step(action);
    return { plan: null, action, outcome: r.info.outcome, done: r.terminated || r.truncated, step: r.info.step };
  }
}

let server: ViewerServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('burst over the wire', () => {
  it('sends a new scene with fragments, frames in the new layout, then a burst outcome', async () => {
    server = await startViewerServer({
      host: '127.0.0.1', port: 0, staticDir: '/nonexistent',
      factory: async () => new RamRunner(await Env.create({ task: builtinTasks.fragile, obsSize: 16 })),
      session: { task: 'fragile', planner: 'ram', tasks: ['fragile'], planners: ['ram'], seed: 5, holdSeconds: 5 },
    });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
    const scenes: SceneMessage[] = [];
    const framesByEpoch = new Map<number, number>();
    const done = new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no episode outcome within 20 s')), 20_000);
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          const f = decodeFrame(data as Buffer);
          const scene = scenes.find((s) => s.epoch === f.epoch);
          if (scene) expect(f.poses.length).toBe(scene.scene.bodies.length * FLOATS_PER_BODY);
          framesByEpoch.set(f.epoch, (framesByEpoch.get(f.epoch) ?? 0) + 1);
          return;
        }
        const m = JSON.parse(String(data)) as ServerMessage;
        if (m.type === 'scene') {
          if (scenes.length === 0) ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'newEpisode', seed: 77 }));
          scenes.push(m);
        }
        if (m.type === 'episode' && scenes.length > 0 && m.episode > scenes[0].episode) {
          clearTimeout(timer);
          setTimeout(() => resolve(m), 200);
        }
      });
    });
    const outcome = await done;
    ws.close();
    expect(outcome.type === 'episode' && outcome.outcome.kind).toBe('burst');
    // The session started before this client connected: judge the episode it asked for.
    const first = scenes.find((s) => s.episode > scenes[0].episode)!;
    const after = scenes.find((s) => s.episode === first.episode && s.epoch > first.epoch);
    expect(after).toBeDefined();
    expect(first.scene.bodies.some((b) => b.role === 'fragment')).toBe(false);
    expect(after!.scene.bodies.some((b) => b.role === 'fragment')).toBe(true);
    expect(framesByEpoch.get(after!.epoch) ?? 0).toBeGreaterThan(0);
  });
});
