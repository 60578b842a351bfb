// Task Description: push the upright bottle so its centre reaches a goal spot on the table.
// Randomizations: bottle start within +-5 cm of the table centre; goal 6-15 cm from the start in
//   a uniformly random direction; pusher 6-8 cm behind the bottle on the side opposite the goal
//   (direction jittered +-25 deg), at a random sliding height of 1.5-4.5 cm (a fingertip resting
//   low; from high up, an approach that dips while it moves in tips the bottle before it slides).
// Success Conditions: centre within 3 cm of the goal, tilt under 10 deg, not burst.
//   Failure: tilt over 45 deg (fell over) or the bottle left the table.
import type { Rng } from '../rng.ts';
import type { Scene } from '../scene.ts';
import { UserError } from '../errors.ts';
import { WORKSPACE_HALF } from '../scene.ts';
import type { TaskDefinition } from '../task.ts';
import type { Outcome, Vec3 } from '../types.ts';
import {
  BOTTLE_ACTION_BOUNDS, BOTTLE_STATE_LABELS, DEG, STANDARD_BOTTLE, bottleState, bottleStateVector, offTableReason,
  pusherBehindBottle, tiltOf, type Bottle,
} from './bottle.ts';

export const SLIDE_SUCCESS_RADIUS = 0.03;
export const SLIDE_MAX_TILT = 10 * DEG;
export const SLIDE_FALLEN_TILT = 45 * DEG;
/**
 * The planners' height spread for slide-like tasks (TaskPlannerDefaults.heightStd): the pusher
 * keeps the sliding height it starts at, since a wider spread lets it climb while pushing fast
 * and the predictor does not foresee the fall that causes (docs/planning.md, Push height).
 */
export const SLIDE_PLANNER_HEIGHT_STD = 0.01;
/** Pusher start heights (m): low enough that a push slides the bottle (tipping starts ~7 cm). */
export const SLIDE_START_HEIGHTS: readonly [number, number] = [0.015, 0.045];

/**
 * Builds a slide-like task; `fragile` reuses it with a lower burst threshold and its own, shorter
 * bottle (`bottle`, default the standard 24 cm one).
 */
export function makeSlideTask(opts: { id: string; description: string; burstThreshold: number; maxSteps?: number; bottle?: Bottle }
  & Pick<TaskDefinition, 'plannerDefaults' | 'oracleDefaults' | 'explorationMix' | 'trainDefaults'>): TaskDefinition {
  // The task's own layers below the flags, as given (plannerDefaults has slide's as its default).
  const { id: _id, description: _description, burstThreshold: _burst, maxSteps: _maxSteps, plannerDefaults: _planner, bottle: _bottle, ...layers } = opts;
  const bottle = opts.bottle ?? STANDARD_BOTTLE;
  return {
    id: opts.id,
    description: opts.description,
    actionBounds: BOTTLE_ACTION_BOUNDS,
    maxSteps: opts.maxSteps ?? 40,
    burstThreshold: opts.burstThreshold,
    stateLabels: BOTTLE_STATE_LABELS,
    goalLabels: ['goal_x', 'goal_z'],
    // Pushes belong at the sliding height the pusher starts at; sampled as widely as the
    // velocities, the height drifted up while pushing and 7 of the 10 failed slide episodes fell.
    plannerDefaults: opts.plannerDefaults ?? { heightStd: SLIDE_PLANNER_HEIGHT_STD },
    ...layers,

    build: bottle.build,
    randomize: (scene: Scene, rng: Rng): void => bottle.randomize(scene, rng),

    sampleGoal(scene: Scene, rng: Rng): Float32Array {
      const p = bottleState(scene).position;
      const angle = rng.uniform(0, 2 * Math.PI);
      const dist = rng.uniform(0.06, 0.15);
      return Float32Array.from([p[0] + dist * Math.cos(angle), p[2] + dist * Math.sin(angle)]);
    },

    pusherStart(scene: Scene, goal: Float32Array, rng: Rng): Vec3 {
      const p = bottleState(scene).position;
      return pusherBehindBottle(scene, Math.atan2(goal[1] - p[2], goal[0] - p[0]), rng, BOTTLE_ACTION_BOUNDS, SLIDE_START_HEIGHTS);
    },

    placeAtGoal(scene: Scene, goal: Float32Array): void {
      bottle.placeUpright(scene, goal[0], goal[1]);
    },

    state: bottleStateVector,

    evaluate(scene: Scene, goal: Float32Array): Outcome {
      const s = bottleState(scene);
      const distance = Math.hypot(s.position[0] - goal[0], s.position[2] - goal[1]);
      const tilt = tiltOf(s.rotation);
      const off = offTableReason(s.position);
      if (off) return { kind: 'failure', success: false, reason: off, distance };
      if (tilt > SLIDE_FALLEN_TILT) {
        return { kind: 'failure', success: false, reason: `bottle fell over (tilt ${(tilt / DEG).toFixed(0)} deg)`, distance };
      }
      if (distance < SLIDE_SUCCESS_RADIUS && tilt < SLIDE_MAX_TILT) {
        return { kind: 'success', success: true, reason: `bottle within ${(distance * 100).toFixed(1)} cm of the goal, upright`, distance };
      }
      return { kind: 'running', success: false, reason: '', distance };
    },

    validateGoal(goal: Float32Array): Float32Array {
      const limit = WORKSPACE_HALF;
      if (goal.length !== 2 || !goal.every((v) => Number.isFinite(v) && Math.abs(v) <= limit)) {
        throw new UserError(
          `slide goal [${Array.from(goal).join(', ')}] is not a spot [x, z] inside the workspace (|x|, |z| <= ${limit} m)`,
          `pick a goal spot inside the workspace (-${limit}..${limit} m on x and z)`,
        );
      }
      return Float32Array.from(goal);
    },
  };
}

const slide = makeSlideTask({
  id: 'slide',
  description: 'Push the upright bottle to a goal spot (within 3 cm, tilt under 10 deg, without bursting it).',
  burstThreshold: 25,
});

export default slide;
