// Task Description: knock the upright bottle over so it lies with its top pointing toward a goal
//   direction (a heading in the table plane).
// Randomizations: bottle start within +-5 cm of the table centre; goal heading uniform in
//   0..360 deg; pusher 6-8 cm behind the bottle on the side opposite the heading (jittered
//   +-25 deg), at a random height within the action bounds.
// Success Conditions: tilt over 70 deg with the top's heading within 30 deg of the goal, not
//   burst. Failure: tipped over (tilt over 70 deg) toward another heading, or off the table.
// Goal vector: [heading_x, heading_z, anchor_x, anchor_z]: the unit heading, and where the bottle
//   stood at the start (only used to draw the goal image of the bottle lying there).
import { UserError } from '../errors.ts';
import type { Rng } from '../rng.ts';
import type { Scene } from '../scene.ts';
import type { TaskDefinition } from '../task.ts';
import type { Outcome, Vec3 } from '../types.ts';
import {
  BOTTLE_ACTION_BOUNDS, BOTTLE_STATE_LABELS, DEG, STANDARD_BOTTLE, angleDiff, bottleState, bottleStateVector, headingOf,
  offTableReason, pusherBehindBottle, tiltOf,
} from './bottle.ts';

export const TIP_MIN_TILT = 70 * DEG;
export const TIP_MAX_HEADING_ERROR = 30 * DEG;

const tip: TaskDefinition = {
  id: 'tip',
  description: 'Knock the bottle over so its top points toward the goal heading (within 30 deg), without bursting it.',
  // Falling is this task's aim; which way it fell decides success, so a fall is not to be avoided as such.
  failureDependsOnGoal: true,
  // The planner must find a tipping height, so it samples heights widely, but half as widely as
  // the velocities: at the full spread the pusher sometimes dropped 10 cm in one step onto the
  // falling bottle and burst it (jepa-cem: 2 of 50 episodes; 0 of 100 at 0.5).
  plannerDefaults: { heightStd: 0.5 },
  // Most episodes push high, so the data shows the bottle falling every way a push can send it.
  explorationMix: { 'push-low': 0.25, 'push-high': 0.55, press: 0.05, wander: 0.15 },
  actionBounds: BOTTLE_ACTION_BOUNDS,
  maxSteps: 30,
  burstThreshold: 25,
  stateLabels: BOTTLE_STATE_LABELS,
  goalLabels: ['heading_x', 'heading_z', 'anchor_x', 'anchor_z'],

  build: STANDARD_BOTTLE.build,
  randomize: (scene: Scene, rng: Rng): void => STANDARD_BOTTLE.randomize(scene, rng),

  sampleGoal(scene: Scene, rng: Rng): Float32Array {
    const p = bottleState(scene).position;
    const h = rng.uniform(0, 2 * Math.PI);
    return Float32Array.from([Math.cos(h), Math.sin(h), p[0], p[2]]);
  },

  pusherStart(scene: Scene, goal: Float32Array, rng: Rng): Vec3 {
    return pusherBehindBottle(scene, Math.atan2(goal[1], goal[0]), rng, BOTTLE_ACTION_BOUNDS);
  },

  placeAtGoal(scene: Scene, goal: Float32Array): void {
    const h = Math.atan2(goal[1], goal[0]);
    // Where a bottle tipped about its leading bottom edge comes to rest. Drawn short of it, the
    // goal image would rank a right tip little nearer than a wrong-way one that lands closer.
    const reach = STANDARD_BOTTLE.tipReach;
    STANDARD_BOTTLE.placeLying(scene, goal[2] + reach * Math.cos(h), goal[3] + reach * Math.sin(h), h);
  },

  state: bottleStateVector,

  evaluate(scene: Scene, goal: Float32Array): Outcome {
    const s = bottleState(scene);
    const tilt = tiltOf(s.rotation);
    const goalHeading = Math.atan2(goal[1], goal[0]);
    const headingErr = angleDiff(headingOf(s.rotation), goalHeading);
    // Heading is meaningless while upright, so the distance weighs it by how far the bottle leans.
    const distance = Math.max(0, TIP_MIN_TILT - tilt) + headingErr * Math.min(1, Math.sin(tilt) / Math.sin(TIP_MIN_TILT));
    const off = offTableReason(s.position);
    if (off) return { kind: 'failure', success: false, reason: off, distance };
    if (tilt > TIP_MIN_TILT) {
      if (headingErr < TIP_MAX_HEADING_ERROR) {
        return { kind: 'success', success: true, reason: `bottle tipped toward the goal (heading error ${(headingErr / DEG).toFixed(0)} deg)`, distance };
      }
      return { kind: 'failure', success: false, reason: `bottle tipped the wrong way (heading error ${(headingErr / DEG).toFixed(0)} deg)`, distance };
    }
    return { kind: 'running', success: false, reason: '', distance };
  },

  /** Accepts [hx, hz] (the anchor is then the bottle's current spot) or [hx, hz, ax, az]. */
  validateGoal(goal: Float32Array, scene: Scene): Float32Array {
    const n = Math.hypot(goal[0], goal[1]);
    if (!(n > 1e-6)) {
      throw new UserError(`tip goal heading [${goal[0]}, ${goal[1]}] has no direction`, 'pass a non-zero heading vector [hx, hz]');
    }
    const p = bottleState(scene).position;
    return Float32Array.from([goal[0] / n, goal[1] / n, goal.length >= 4 ? goal[2] : p[0], goal.length >= 4 ? goal[3] : p[2]]);
  },
};

export default tip;
