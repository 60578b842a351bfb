// The burst calibration (README "Burst", docs/tasks.md): the peak pusher force of scripted low pushes on an
// upright bottle, and the share of pushes that would burst it at a few thresholds. Each push
// starts the pusher `gap` behind the bottle's axis, `lateral` to the side, at `height`, and holds
// one speed along +x for 1 s (the bottle never bursts here: the threshold is infinite).
//   npx tsx sim/bench/lowPushForces.ts [--bottle standard|short] [--speeds 0.05,0.08] [--thresholds 4.4,4.6]
import { Env } from '../env.ts';
import { STANDARD_BOTTLE, SHORT_BOTTLE } from '../tasks/bottle.ts';
import { makeSlideTask } from '../tasks/slide.ts';

const HEIGHTS = [0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045];
const LATERALS = [-0.015, -0.01, -0.005, 0, 0.005, 0.01, 0.015];
const GAPS = [0.055, 0.06, 0.065, 0.07, 0.075];
const PUSH_STEPS = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const numbers = (s: string): number[] => s.split(',').map(Number);

/** Peak pusher force (N) of every push of the grid at one speed. */
export function peakForces(env: Env, speed: number): number[] {
  const peaks: number[] = [];
  for (const h of HEIGHTS) {
    for (const lateral of LATERALS) {
      for (const gap of GAPS) {
        env.reset(1);
        const scene = env.physics;
        const bottle = scene.get('bottle');
        if (!bottle || bottle.spec.shape.kind !== 'cylinder') throw new Error('no bottle');
        scene.setBodyState(bottle, { position: [0, bottle.spec.shape.halfHeight, 0], rotation: [0, 0, 0, 1] });
        scene.setPusherPosition([-gap, h, lateral]);
        scene.syncColliders();
        let peak = 0;
        for (let t = 0; t < PUSH_STEPS && !env.isDone; t++) peak = Math.max(peak, env.step([speed, 0, h]).info.maxContactForce);
        peaks.push(peak);
      }
    }
  }
  return peaks;
}

async function main(): Promise<void> {
  const bottle = arg('bottle', 'short') === 'standard' ? STANDARD_BOTTLE : SHORT_BOTTLE;
  const speeds = numbers(arg('speeds', '0.05,0.06,0.08,0.1,0.12,0.15,0.2,0.25'));
  const thresholds = numbers(arg('thresholds', '4,4.4,4.5,4.6,4.8'));
  const task = makeSlideTask({ id: 'force-probe', description: 'peak forces', burstThreshold: Infinity, maxSteps: 1000, bottle });
  const env = await Env.create({ task, renderDepth: false });
  console.log(`bottle ${bottle.halfHeight * 200} cm tall; ${HEIGHTS.length * LATERALS.length * GAPS.length} pushes per speed`);
  console.log(`| speed | peak force, min-max (N) | ${thresholds.map((t) => `burst at ${t} N`).join(' | ')} |`);
  for (const v of speeds) {
    const peaks = peakForces(env, v);
    const share = (t: number) => `${Math.round((100 * peaks.filter((f) => f > t).length) / peaks.length)} %`;
    console.log(`| ${v.toFixed(2)} m/s | ${Math.min(...peaks).toFixed(1)}-${Math.max(...peaks).toFixed(2)} | ${thresholds.map(share).join(' | ')} |`);
  }
  env.free();
}

await main();
