// Task Description: tip, with the pusher starting on any side of the bottle: knock the upright
//   bottle over so it lies with its top toward a goal heading. A probe of one capability, going
//   round an object before pushing it: tip's pusher always starts on the side opposite the
//   heading, and `slide-far` and `slide-then-tip` mix going round with long pushes.
// Randomizations: as tip, except that the pusher starts 6-8 cm from the bottle in a uniformly
//   random direction relative to the heading, at a random height within the action bounds.
// Success Conditions: as tip: tilt over 70 deg with the top's heading within 30 deg of the goal,
//   not burst. Failure: tipped over toward another heading, or off the table.
//
// Use it with no change to the project: --tasks examples/tipAnySide.ts on bench or plan, with
// models/world, which was trained on tip's data. tip's own planner defaults come with it.
import type { Rng } from '../sim/rng.ts';
import type { Scene } from '../sim/scene.ts';
import type { TaskDefinition } from '../sim/task.ts';
import type { Vec3 } from '../sim/types.ts';
import { BOTTLE_ACTION_BOUNDS, pusherBehindBottle } from '../sim/tasks/bottle.ts';
import tip from '../sim/tasks/tip.ts';

const tipAnySide: TaskDefinition = {
  ...tip,
  id: 'tip-any-side',
  description: 'Knock the bottle over toward the goal heading (within 30 deg) from a pusher that starts on any side of it.',

  pusherStart(scene: Scene, _goal: Float32Array, rng: Rng): Vec3 {
    return pusherBehindBottle(scene, rng.uniform(0, 2 * Math.PI), rng, BOTTLE_ACTION_BOUNDS);
  },
};

export default tipAnySide;
