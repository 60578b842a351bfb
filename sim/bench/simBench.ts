// `npm run bench:sim`: how fast the simulation produces transitions. (1) In one thread: the cost
// of Env.step without and with the depth camera against raw Rapier stepping of the same scene
// along the same pusher path. (2) Through the collect worker pool: transitions/s for 1 and 2
// workers, with and without the camera. Other processes share the CPU, so the load is printed.
import { loadavg, availableParallelism } from 'node:os';
import { Command } from 'commander';
import { runEpisodePool } from '../collectPool.ts';
import { Env } from '../env.ts';
import { intFlag } from '../flags.ts';
import { warmUpRapier } from '../rapierWarmup.ts';
import { deriveSeed } from '../rng.ts';
import { rollout } from '../rollout.ts';
import { PHYSICS_DT, SUBSTEPS, WORKSPACE_HALF } from '../scene.ts';
import { loadTask } from '../tasks/registry.ts';
import type { TaskDefinition } from '../task.ts';
import type { Vec3 } from '../types.ts';

interface Recorded { seed: number; actions: Vec3[] }

/** Wall and CPU clocks together: on a shared machine CPU time still measures our own work. */
interface Clock { wall: number; cpu: number }
const now = (): Clock => {
  const u = process.cpuUsage();
  return { wall: performance.now(), cpu: (u.user + u.system) / 1000 };
};
const since = (t: Clock): Clock => {
  const n = now();
  return { wall: n.wall - t.wall, cpu: n.cpu - t.cpu };
};
const add = (a: Clock, b: Clock): Clock => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
const per = (a: Clock, n: number): Clock => ({ wall: a.wall / n, cpu: a.cpu / n });

const smoothstep = (s: number): number => s * s * (3 - 2 * s);
const clampW = (v: number): number => Math.max(-WORKSPACE_HALF, Math.min(WORKSPACE_HALF, v));

/** Record exploration episodes (their seeds and actions) to replay identically below. */
function record(env: Env, seeds: number[]): Recorded[] {
  return seeds.map((seed) => {
    const ep = rollout(env, seed).episode;
    const actions: Vec3[] = [];
    for (let t = 0; t < ep.length; t++) actions.push([ep.actions[3 * t], ep.actions[3 * t + 1], ep.actions[3 * t + 2]]);
    return { seed, actions };
  });
}

/** Mean ms per transition of Env.step replaying the recorded actions (reset not timed). */
function timeEnvStep(env: Env, eps: Recorded[]): Clock {
  let total: Clock = { wall: 0, cpu: 0 };
  let steps = 0;
  for (const ep of eps) {
    env.reset(ep.seed);
    const t0 = now();
    for (const a of ep.actions) {
      env.step(a);
      if (env.isDone) break;
    }
    total = add(total, since(t0));
    steps += env.stepCount;
  }
  return per(total, steps);
}

/** Mean ms per transition of bare world.step() x SUBSTEPS moving the pusher along the same path. */
function timeRawRapier(env: Env, eps: Recorded[]): Clock {
  let total: Clock = { wall: 0, cpu: 0 };
  let steps = 0;
  for (const ep of eps) {
    env.reset(ep.seed);
    const scene = env.physics;
    const t0 = now();
    for (const a of ep.actions) {
      const [x0, y0, z0] = scene.pusherPosition();
      for (let k = 1; k <= SUBSTEPS; k++) {
        const t = k * PHYSICS_DT;
        scene.pusher.body.setNextKinematicTranslation({ x: clampW(x0 + a[0] * t), y: y0 + (a[2] - y0) * smoothstep(k / SUBSTEPS), z: clampW(z0 + a[1] * t) });
        scene.world.step(scene.events);
      }
      steps++;
    }
    total = add(total, since(t0));
  }
  return per(total, steps);
}

/** Throw-away episodes per built-in task each worker runs before timing: V8 has optimized the
 * hot JavaScript by then (fewer leave ~1 CPU-s of it inside a 40-episode window; measured). */
const BENCH_WORKER_WARMUP = 24;

interface PoolRate { wall: number; perCpu: number }

/** Steady transitions per wall second, and per CPU second of all the process's threads. */
async function poolRate(task: string, workers: number, renderDepth: boolean, seeds: number[]): Promise<PoolRate> {
  let steps = 0;
  let cpuAtStart = Number.NaN;
  const run = await runEpisodePool({ task, obsSize: 32, renderDepth, workers, warmUp: true, workerWarmupEpisodes: BENCH_WORKER_WARMUP }, seeds, (_i, r) => {
    steps += r.episode.length;
  }, undefined, () => (cpuAtStart = now().cpu));
  const cpuMs = now().cpu - cpuAtStart;
  return { wall: steps / ((run.endedAt - run.startedAt) / 1000), perCpu: steps / (cpuMs / 1000) };
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--task <id>', 'task to simulate', 'slide')
    .option('--episodes <n>', 'exploration episodes per measurement', intFlag(2), 40)
    .option('--seed <n>', 'seed of the episodes', intFlag(0), 1)
    .option('--repeats <n>', 'pool runs per setting, alternating 1 and 2 workers; the best counts', intFlag(1), 2)
    .parse(process.argv)
    .opts<{ task: string; episodes: number; seed: number; repeats: number }>();
  const task: TaskDefinition = await loadTask(opts.task);
  const seeds = Array.from({ length: opts.episodes }, (_, i) => deriveSeed(opts.seed, i));
  const load0 = loadavg()[0];
  console.log(`bench:sim  task=${opts.task}  episodes=${opts.episodes}  cores=${availableParallelism()}  load average (1 min) at start: ${load0.toFixed(2)}`);

  // Optimize Rapier's wasm first: otherwise the first seconds measure V8's baseline code while
  // its optimizing compiler occupies the other core (see rapierWarmup.ts).
  const c0 = now();
  const warm = await warmUpRapier(task);
  const wc = since(c0);
  console.log(`Rapier warm-up (once per process, before timing): ${wc.wall.toFixed(0)} ms wall, ${wc.cpu.toFixed(0)} CPU-ms, ${warm.transitions} transitions`);

  const plain = await Env.create({ task, obsSize: 32, renderDepth: false });
  const camera = await Env.create({ task, obsSize: 32, renderDepth: true });
  const eps = record(plain, seeds);
  // Warm up the JIT on a few episodes before timing.
  timeEnvStep(plain, eps.slice(0, 3));
  timeRawRapier(plain, eps.slice(0, 3));
  const raw = timeRawRapier(plain, eps);
  const envPlain = timeEnvStep(plain, eps);
  const envCam = timeEnvStep(camera, eps);
  plain.free();
  camera.free();

  const w = [34, 14, 14, 16];
  const line = (name: string, c: Clock): string => row([name, c.wall.toFixed(3), c.cpu.toFixed(3), (1000 / c.cpu).toFixed(0)], w);
  console.log('\nIn one thread (same episodes and pusher path; reset not timed)');
  console.log(row(['', 'wall ms/trans.', 'CPU ms/trans.', 'trans./CPU-s'], w));
  console.log(line(`raw Rapier: world.step() x ${SUBSTEPS}`, raw));
  console.log(line('Env.step, no camera', envPlain));
  console.log(line('Env.step, 32x32 depth camera', envCam));

  const rates: Record<string, PoolRate> = {};
  // Other processes come and go on a shared machine: alternate the settings and keep each one's
  // best run, so a burst of someone else's load does not decide the 2-worker / 1-worker ratio.
  for (let rep = 0; rep < opts.repeats; rep++) {
    for (const cam of [true, false]) {
      for (const workers of rep % 2 === 0 ? [1, 2] : [2, 1]) {
        const key = `${cam ? 'cam' : 'nocam'}-${workers}`;
        const got = await poolRate(opts.task, workers, cam, seeds);
        if (!rates[key] || got.wall > rates[key].wall) rates[key] = got;
      }
    }
  }
  const r = (k: string): string => rates[k].wall.toFixed(0);
  console.log(`\nCollect worker pool, transitions/s, best of ${opts.repeats} (exploration policy + env + transfer; worker start-up and JIT warm-up not timed)`);
  console.log(row(['', '1 worker', '2 workers', '2w CPU ms/trans.'], w));
  const cpuPer = (k: string): string => (1000 / rates[k].perCpu).toFixed(3);
  console.log(row(['32x32 depth camera', r('cam-1'), r('cam-2'), cpuPer('cam-2')], w));
  console.log(row(['no camera', r('nocam-1'), r('nocam-2'), cpuPer('nocam-2')], w));

  const speedup = rates['cam-2'].wall / rates['cam-1'].wall;
  // Wall time is the truer ratio on a quiet machine; CPU time also counts V8's background
  // threads (GC, the JavaScript compiler) but resists other processes' load.
  const overhead = envPlain.wall / raw.wall;
  const overheadCpu = envPlain.cpu / raw.cpu;
  const check = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  console.log('\nTargets');
  console.log(`  2 workers with camera >= 2000 transitions/s: ${r('cam-2')}  ${check(rates['cam-2'].wall >= 2000)}`);
  console.log(`  2 workers / 1 worker >= 1.7x: ${speedup.toFixed(2)}x  ${check(speedup >= 1.7)}`);
  console.log(`  Env.step (no camera) / raw Rapier <= 2x: ${overhead.toFixed(2)}x wall, ${overheadCpu.toFixed(2)}x CPU  ${check(overhead <= 2)}`);
  console.log(`\nload average (1 min) at end: ${loadavg()[0].toFixed(2)}; with load above ${availableParallelism()} the machine was shared and rates are low`);
}

await main();
