// Task Description: slide-then-tip's second half alone: knock the upright bottle over so it lies
//   with its top toward a goal heading, from where a slide leaves the bottle and the pusher. A
//   probe of what slide-then-tip needs after its slide: tip's bottle stands near the table's centre
//   with the pusher 6-8 cm behind it on the right side; here the bottle stands anywhere a
//   slide-then-tip spot can be, and the pusher touches it on any side, low, as a slide ends.
// Randomizations: bottle start within +-17 cm of the table centre on x and z; goal heading uniform
//   in 0..360 deg, redrawn from the goal's generator until the lying bottle's centre lies within
//   slide-then-tip's +-0.2 m; pusher 0.5 cm from the bottle's side in a uniformly random direction,
//   at a sliding height of 1.5-4.5 cm.
// Success Conditions: as tip: tilt over 70 deg with the top's heading within 30 deg of the goal,
//   not burst. Failure: tipped over toward another heading, or off the table. 50 steps: what
//   slide-then-tip's 80 leave after a slide of up to 30.
//
// Use it with no change to the project: --tasks examples/tipAfterSlide.ts on bench or plan, with
// models/world. It plans with tipAnySide's defaults, since the pusher may have to go round.
import type { Rng } from '../sim/rng.ts';
import type { Scene } from '../sim/scene.ts';
import { PUSHER_RADIUS } from '../sim/scene.ts';
import type { TaskDefinition } from '../sim/task.ts';
import type { Vec3 } from '../sim/types.ts';
import { BOTTLE_RADIUS, STANDARD_BOTTLE, bottleState, insideSquare } from '../sim/tasks/bottle.ts';
import { SLIDE_START_HEIGHTS } from '../sim/tasks/slide.ts';
import { SLIDE_THEN_TIP_LIMIT } from '../sim/tasks/slideThenTip.ts';
import tipAnySide from './tipAnySide.ts';

/** How far (m) from the table's centre the bottle may stand: slide-then-tip's spots lie within +-0.2 m, most of them inside this. */
const SPREAD = 0.17;
/** The gap (m) between the pusher's surface and the bottle's at the start: a slide's push has just ended. */
const GAP = 0.005;

const tipAfterSlide: TaskDefinition = {
  ...tipAnySide,
  id: 'tip-after-slide',
  description: 'Knock the bottle over toward the goal heading (within 30 deg) from where a slide leaves it: anywhere on the table, the pusher touching it on any side.',
  maxSteps: 50,

  randomize: (scene: Scene, rng: Rng): void => STANDARD_BOTTLE.randomize(scene, rng, SPREAD),

  sampleGoal(scene: Scene, rng: Rng): Float32Array {
    const p = bottleState(scene).position;
    const reach = STANDARD_BOTTLE.tipReach;
    for (;;) {
      const h = rng.uniform(0, 2 * Math.PI);
      if (insideSquare(p[0] + reach * Math.cos(h), p[2] + reach * Math.sin(h), SLIDE_THEN_TIP_LIMIT)) {
        return Float32Array.from([Math.cos(h), Math.sin(h), p[0], p[2]]);
      }
    }
  },

  pusherStart(scene: Scene, _goal: Float32Array, rng: Rng): Vec3 {
    const p = bottleState(scene).position;
    const angle = rng.uniform(0, 2 * Math.PI);
    // 17 cm out plus 5 cm stays well inside the workspace, so no clamping moves the pusher off the bottle.
    const dist = BOTTLE_RADIUS + PUSHER_RADIUS + GAP;
    return [p[0] + dist * Math.cos(angle), rng.uniform(SLIDE_START_HEIGHTS[0], SLIDE_START_HEIGHTS[1]), p[2] + dist * Math.sin(angle)];
  },
};

export default tipAfterSlide;
