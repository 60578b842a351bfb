// Task Description: slide the upright bottle to a spot, then knock it over there so that it lies
//   with its top toward a goal heading. One goal image shows the final state: the bottle lying
//   where a bottle tipped from the spot toward the heading comes to rest.
// Randomizations: bottle start within +-5 cm of the table centre; the spot 10-20 cm from the
//   start in a uniformly random direction, the heading uniform in 0..360 deg, both redrawn from
//   the goal's own generator until the spot and the lying bottle's centre lie within +-0.2 m on x
//   and z; pusher 6-8 cm behind the bottle on the side opposite the spot (jittered +-25 deg), at
//   a sliding height of 1.5-4.5 cm. The heading is independent of the way to the spot, so the
//   pusher usually has to change sides between the slide and the tip.
// Success Conditions: tilt over 70 deg, heading within 30 deg of the goal's, and the centre's
//   resting place within 5 cm of the goal's (see SLIDE_THEN_TIP_RADIUS), not burst. Failure: the
//   bottle fell (tilt over 70 deg) anywhere else or the wrong way, or left the table; burst.
// Goal vector: [goal_x, goal_z, heading_x, heading_z]: the lying bottle's centre (m) and the unit
//   heading of its top. The spot is goal - tipReach * heading.
import { UserError } from '../errors.ts';
import type { Rng } from '../rng.ts';
import type { Scene } from '../scene.ts';
import { WORKSPACE_HALF } from '../scene.ts';
import type { TaskDefinition } from '../task.ts';
import type { Outcome, Vec3 } from '../types.ts';
import { BOTTLE_APPROACH, approachCost } from '../approach.ts';
import {
  BOTTLE_ACTION_BOUNDS, BOTTLE_STATE_INDEX, BOTTLE_STATE_LABELS, DEG, STANDARD_BOTTLE, angleDiff, bottleState,
  bottleStateVector, headingOf, insideSquare, offTableReason, pusherBehindBottle, spotAround, tiltOf,
} from './bottle.ts';
import { SLIDE_START_HEIGHTS } from './slide.ts';
import { slideGuidance } from './slideFar.ts';
import { TIP_MAX_HEADING_ERROR, TIP_MIN_TILT } from './tip.ts';

const BOTTLE = STANDARD_BOTTLE;
export const SLIDE_THEN_TIP_SPOT_DISTANCE: readonly [number, number] = [0.1, 0.2];
/** The spot and the lying bottle's centre lie within +-this on x and z (m). */
export const SLIDE_THEN_TIP_LIMIT = 0.2;
/**
 * Success radius (m) about the goal centre. A tip from a given spot toward a given heading comes
 * to rest 0.148-0.178 m out (180 pushes at 8-24 cm high, 0.05-0.25 m/s, up to 1 cm off the axis;
 * tipReach is 0.155), so the landing itself adds up to 2.3 cm along the heading; the other 3 cm
 * are slide's tolerance for getting the bottle to the spot. A heading error turns the landing
 * spot about the spot: 5 cm also asks for the heading within about 18 deg.
 */
export const SLIDE_THEN_TIP_RADIUS = 0.05;
/** The oracle's guidance turns from sliding to tipping once the bottle stands this close (m) to the spot. */
const SPOT_READY = 0.015;
/**
 * A bottle that leans by this much (rad) within 45 deg of the heading, within twice SPOT_READY of
 * the spot, is left to go on tipping: a tipping push carries the bottom a little way, and a pusher that went back to sliding
 * would drop beside a leaning bottle, get under its rising edge and throw it.
 */
const TIPPING_TILT = 8 * DEG;
/** The oracle's price of leaning (per radian) while the bottle slides to its spot: it must not tip before it stands there. */
const SLIDE_TILT_WEIGHT = 1;
/** Heights (m) the guidance slides and tips at. */
const SLIDE_HEIGHT = 0.025;
const TIP_HEIGHT = 0.18;

/** The goal's heading (rad) and the spot (x, z) the bottle must stand on before it tips. */
function goalGeometry(gx: number, gz: number, hx: number, hz: number): { heading: number; spot: [number, number] } {
  const heading = Math.atan2(hz, hx);
  return { heading, spot: [gx - BOTTLE.tipReach * Math.cos(heading), gz - BOTTLE.tipReach * Math.sin(heading)] };
}

/** The spot (x, z) the bottle must stand on before it tips, from the goal vector. */
export function slideThenTipSpot(goal: Float32Array): [number, number] {
  return goalGeometry(goal[0], goal[1], goal[2], goal[3]).spot;
}

/**
 * Progress in metres, from the bottle's centre (x, z), tilt and lean heading (rad): how far the
 * spot it stands on (its centre less what tipping about its bottom edge has carried along the
 * lean) is from the goal's spot, how far its lean strays from the heading (the chord between the
 * two directions, times how far the tip has carried the centre), and how far along the tip it
 * still has to go. Upright on the spot it is tipReach, lying at the goal 0; tipped from the spot
 * the wrong way 2 x tipReach; lying on the goal's centre but pointing back 4 x tipReach. Upright,
 * the lean heading does not count.
 */
export function slideThenTipDistance(x: number, z: number, tilt: number, lean: number, goal: Float32Array): number {
  const { heading, spot } = goalGeometry(goal[0], goal[1], goal[2], goal[3]);
  const along = BOTTLE.tipAlong(Math.min(Math.PI / 2, Math.max(0, tilt)));
  const stands = [x - along * Math.cos(lean), z - along * Math.sin(lean)];
  const stray = 2 * Math.abs(Math.sin(angleDiff(lean, heading) / 2));
  return Math.hypot(stands[0] - spot[0], stands[1] - spot[1]) + along * stray + (BOTTLE.tipReach - along);
}

/**
 * Where the bottle stands (x, z): its centre, less how far tipping about its bottom edge has
 * carried the centre along the way it leans. Tipping on the spot leaves it on the spot.
 */
function standingSpot(state: Float32Array): [number, number] {
  const I = BOTTLE_STATE_INDEX;
  const lean = Math.hypot(state[I.axisX], state[I.axisZ]);
  const along = BOTTLE.tipAlong(Math.min(Math.PI / 2, Math.max(0, state[I.tilt])));
  if (lean < 1e-6) return [state[I.x], state[I.z]];
  return [state[I.x] - (along * state[I.axisX]) / lean, state[I.z] - (along * state[I.axisZ]) / lean];
}

const slideThenTip: TaskDefinition = {
  id: 'slide-then-tip',
  description: 'Slide the bottle to a spot, then tip it there toward a heading (lying within 5 cm of the goal, heading within 30 deg, without bursting it).',
  // Falling is the aim; where and which way it fell decides success.
  failureDependsOnGoal: true,
  // It slides low and tips high, so the planners sample heights as widely as tip's do.
  plannerDefaults: { heightStd: 0.5 },
  // Episodes that slide the bottle and then tip it from another side, besides plain pushes.
  explorationMix: { 'slide-tip': 0.45, 'push-low': 0.2, 'push-high': 0.15, press: 0.05, wander: 0.15 },
  actionBounds: BOTTLE_ACTION_BOUNDS,
  maxSteps: 80,
  burstThreshold: 25,
  stateLabels: BOTTLE_STATE_LABELS,
  goalLabels: ['goal_x', 'goal_z', 'heading_x', 'heading_z'],

  build: BOTTLE.build,
  randomize: (scene: Scene, rng: Rng): void => BOTTLE.randomize(scene, rng),

  sampleGoal(scene: Scene, rng: Rng): Float32Array {
    const p = bottleState(scene).position;
    for (;;) {
      const [sx, sz] = spotAround(p[0], p[2], rng, SLIDE_THEN_TIP_SPOT_DISTANCE, () => true);
      const heading = rng.uniform(0, 2 * Math.PI);
      const [hx, hz] = [Math.cos(heading), Math.sin(heading)];
      const [gx, gz] = [sx + BOTTLE.tipReach * hx, sz + BOTTLE.tipReach * hz];
      if (insideSquare(sx, sz, SLIDE_THEN_TIP_LIMIT) && insideSquare(gx, gz, SLIDE_THEN_TIP_LIMIT)) return Float32Array.from([gx, gz, hx, hz]);
    }
  },

  pusherStart(scene: Scene, goal: Float32Array, rng: Rng): Vec3 {
    const p = bottleState(scene).position;
    const { spot } = goalGeometry(goal[0], goal[1], goal[2], goal[3]);
    return pusherBehindBottle(scene, Math.atan2(spot[1] - p[2], spot[0] - p[0]), rng, BOTTLE_ACTION_BOUNDS, SLIDE_START_HEIGHTS);
  },

  placeAtGoal(scene: Scene, goal: Float32Array): void {
    BOTTLE.placeLying(scene, goal[0], goal[1], Math.atan2(goal[3], goal[2]));
  },

  state: bottleStateVector,

  evaluate(scene: Scene, goal: Float32Array): Outcome {
    const s = bottleState(scene);
    const tilt = tiltOf(s.rotation);
    const heading = headingOf(s.rotation);
    const distance = slideThenTipDistance(s.position[0], s.position[2], tilt, heading, goal);
    const off = offTableReason(s.position);
    if (off) return { kind: 'failure', success: false, reason: off, distance };
    if (tilt <= TIP_MIN_TILT) return { kind: 'running', success: false, reason: '', distance };
    // Judged as it passes 70 deg: where it will rest is the rest of the tip along its own heading
    // (within 7 mm of where it did come to rest in 95 % of the 180 measured tips).
    const rest = BOTTLE.tipReach - BOTTLE.tipAlong(Math.min(Math.PI / 2, tilt));
    const miss = Math.hypot(s.position[0] + rest * Math.cos(heading) - goal[0], s.position[2] + rest * Math.sin(heading) - goal[1]);
    const headingErr = angleDiff(heading, Math.atan2(goal[3], goal[2]));
    const where = `${(miss * 100).toFixed(1)} cm from the goal, heading error ${(headingErr / DEG).toFixed(0)} deg`;
    if (miss < SLIDE_THEN_TIP_RADIUS && headingErr < TIP_MAX_HEADING_ERROR) {
      return { kind: 'success', success: true, reason: `bottle tipped over at the goal (${where})`, distance };
    }
    return { kind: 'failure', success: false, reason: `bottle fell ${where}`, distance };
  },

  validateGoal(goal: Float32Array): Float32Array {
    const n = Math.hypot(goal[2], goal[3]);
    if (goal.length !== 4 || !goal.every((v) => Number.isFinite(v)) || !(n > 1e-6)) {
      throw new UserError(
        `slide-then-tip goal [${Array.from(goal).join(', ')}] is not [goal_x, goal_z, heading_x, heading_z] with a non-zero heading`,
        'pass the lying bottle\'s centre (m) and the direction its top should point to, e.g. [0.1, 0, 1, 0]',
      );
    }
    const { spot } = goalGeometry(goal[0], goal[1], goal[2], goal[3]);
    if (!insideSquare(goal[0], goal[1], WORKSPACE_HALF) || !insideSquare(spot[0], spot[1], WORKSPACE_HALF)) {
      throw new UserError(
        `slide-then-tip goal centre (${goal[0]}, ${goal[1]}) or its spot (${spot[0].toFixed(3)}, ${spot[1].toFixed(3)}) lies outside the workspace (|x|, |z| <= ${WORKSPACE_HALF} m)`,
        `pick a goal whose centre and spot (the centre less ${BOTTLE.tipReach} m along the heading) are inside the workspace`,
      );
    }
    return Float32Array.from([goal[0], goal[1], goal[2] / n, goal[3] / n]);
  },

  oracleGuidance(state: Float32Array, pusher: Vec3, goalState: Float32Array): number {
    const I = BOTTLE_STATE_INDEX;
    const n = Math.hypot(goalState[I.axisX], goalState[I.axisZ]) || 1;
    const { heading, spot } = goalGeometry(goalState[I.x], goalState[I.z], goalState[I.axisX] / n, goalState[I.axisZ] / n);
    const [sx, sz] = standingSpot(state);
    const toSpot = Math.hypot(sx - spot[0], sz - spot[1]);
    const tipGoesOn = (x: number, z: number, y: number): number => approachCost(sx, sz, x, z, heading, BOTTLE_APPROACH) + Math.abs(y - TIP_HEIGHT);
    const leansOnHeading = Math.cos(Math.atan2(state[I.axisZ], state[I.axisX]) - heading) > Math.SQRT1_2;
    const tipping = toSpot <= SPOT_READY || (state[I.tilt] >= TIPPING_TILT && leansOnHeading && toSpot <= 2 * SPOT_READY);
    if (tipping) return tipGoesOn(pusher[0], pusher[2], pusher[1]);
    // Sliding: what is left of the slide, then what the tip will take from the slide's contact
    // point, so that reaching the spot never looks like a setback; and leaning is priced, since
    // the bottle must not tip before it stands there.
    const toward = Math.atan2(spot[1] - sz, spot[0] - sx);
    const [cx, cz] = [sx - BOTTLE_APPROACH.contact * Math.cos(toward), sz - BOTTLE_APPROACH.contact * Math.sin(toward)];
    return slideGuidance(state, pusher, spot[0], spot[1], SLIDE_TILT_WEIGHT) + tipGoesOn(cx, cz, SLIDE_HEIGHT);
  },
};

export default slideThenTip;
