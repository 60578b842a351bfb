// Posed end states of a slide-then-tip episode, rendered as goal images are (objects only, no
// pusher), for asking how a model's goal distance ranks them: the subgoal a hierarchy would aim
// for first (the bottle standing on the spot) against the fallen poses a planner reaches sooner.
import type { Env } from '../../sim/env.ts';
import { isUserError } from '../../sim/errors.ts';
import { BOTTLE_STATE_INDEX, STANDARD_BOTTLE } from '../../sim/tasks/bottle.ts';
import { slideThenTipSpot } from '../../sim/tasks/slideThenTip.ts';

export interface Pose {
  name: string;
  /** Upright at (x, z), or lying after a tip from (x, z) toward `heading` (rad). */
  kind: 'standing' | 'lying';
  x: number;
  z: number;
  heading: number;
  /** A pose the episode's goal can be reached from by a push or none (the subgoal, the goal); false for a fallen bottle elsewhere. */
  onTheWay: boolean;
  /** The subgoal a hierarchy would aim for first (exactly one pose). */
  subgoal?: true;
}

/**
 * The poses compared, from the bottle's start (x, z) and the slide-then-tip goal vector
 * [goal_x, goal_z, heading_x, heading_z]. The goal's own pose comes first.
 */
export function slideThenTipPoses(start: readonly [number, number], goal: Float32Array): Pose[] {
  const heading = Math.atan2(goal[3], goal[2]);
  const [sx, sz] = slideThenTipSpot(goal);
  const [bx, bz] = start;
  const toGoal = Math.atan2(goal[1] - bz, goal[0] - bx);
  return [
    { name: 'the goal: lying, tipped from the spot toward the heading', kind: 'lying', x: sx, z: sz, heading, onTheWay: true },
    { name: 'standing on the spot (the subgoal)', kind: 'standing', x: sx, z: sz, heading: 0, onTheWay: true, subgoal: true },
    { name: 'standing at the start', kind: 'standing', x: bx, z: bz, heading: 0, onTheWay: true },
    { name: 'lying, tipped from the spot the other way', kind: 'lying', x: sx, z: sz, heading: heading + Math.PI, onTheWay: false },
    { name: 'lying, tipped from the spot 90 deg off', kind: 'lying', x: sx, z: sz, heading: heading + Math.PI / 2, onTheWay: false },
    { name: 'lying, tipped from the start toward the heading', kind: 'lying', x: bx, z: bz, heading, onTheWay: false },
    { name: 'lying, tipped from the start toward the goal', kind: 'lying', x: bx, z: bz, heading: toGoal, onTheWay: false },
  ];
}

/**
 * Goal-style observations of each pose: `lyingEnv` is a slide-then-tip Env, `standingEnv` a slide
 * Env with the same camera (slide's goal image is the bottle upright at its goal). Both must have
 * been reset; their goals are restored afterwards. Returns undefined when a pose does not fit the
 * workspace (the task's own goal check refuses it).
 */
export function renderPoses(poses: readonly Pose[], lyingEnv: Env, standingEnv: Env): Float32Array[] | undefined {
  const keepLying = lyingEnv.goal();
  const keepStanding = standingEnv.goal();
  const R = STANDARD_BOTTLE.tipReach;
  try {
    return poses.map((p) => {
      if (p.kind === 'standing') {
        standingEnv.setGoal(Float32Array.from([p.x, p.z]));
        return standingEnv.goalObservation().depth;
      }
      lyingEnv.setGoal(Float32Array.from([p.x + R * Math.cos(p.heading), p.z + R * Math.sin(p.heading), Math.cos(p.heading), Math.sin(p.heading)]));
      return lyingEnv.goalObservation().depth;
    });
  } catch (e) {
    if (isUserError(e)) return undefined;
    throw e;
  } finally {
    lyingEnv.setGoal(keepLying);
    standingEnv.setGoal(keepStanding);
  }
}

/** Whether a bottle task's state has the bottle's centre within `radius` of (x, z) and its tilt under `maxTilt` (rad). */
export function standsAt(state: Float32Array, x: number, z: number, radius: number, maxTilt: number): boolean {
  const I = BOTTLE_STATE_INDEX;
  return Math.hypot(state[I.x] - x, state[I.z] - z) < radius && state[I.tilt] < maxTilt;
}
