// What a tip variant's resets look like, for the example tests: where the bottle stands and would
// lie, and where the pusher starts relative to it.
import { Env } from '../../sim/env.ts';
import { BOTTLE_STATE_INDEX as I, DEG, STANDARD_BOTTLE, angleDiff } from '../../sim/tasks/bottle.ts';
import type { TaskDefinition } from '../../sim/task.ts';

export interface TipStart {
  bottle: [number, number];
  /** Where the bottle's centre lies after a tip toward the goal heading (x, z). */
  lying: [number, number];
  /** How far (deg) the pusher's side is from tip's side, the one opposite the heading. */
  off: number;
  /** The pusher's distance (m) from the bottle's axis. */
  dist: number;
  pusher: number[];
}

/** The starts of resets firstSeed .. firstSeed + n - 1 of a task whose goal is tip's [hx, hz, ...]. */
export async function tipStarts(task: TaskDefinition, n: number, firstSeed: number): Promise<TipStart[]> {
  const env = await Env.create({ task, renderDepth: false });
  try {
    return Array.from({ length: n }, (_, i) => {
      const obs = env.reset(firstSeed + i);
      const [hx, hz] = env.goal();
      const [bx, bz] = [obs.state[I.x], obs.state[I.z]];
      const [px, pz] = [obs.proprio[0], obs.proprio[2]];
      const reach = STANDARD_BOTTLE.tipReach;
      return {
        bottle: [bx, bz], lying: [bx + reach * hx, bz + reach * hz],
        off: angleDiff(Math.atan2(pz - bz, px - bx), Math.atan2(-hz, -hx)) / DEG,
        dist: Math.hypot(px - bx, pz - bz), pusher: Array.from(obs.proprio),
      };
    });
  } finally {
    env.free();
  }
}
