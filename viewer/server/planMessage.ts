// Turns a planner's result into the `plan` message a page draws: each elite's pusher path
// (integrated from its actions) and, when the model has a probe, its imagined bottle path.
import { PROTOCOL_VERSION, type PlanMessage, type PlanPath } from './protocol.ts';
import { integratePusherPath, type RunnerPlan } from './episodeRunner.ts';
import type { Vec3 } from '../../sim/types.ts';

/** Elites drawn per plan: enough to show the spread, few enough to keep messages small. */
export const MAX_ELITES_DRAWN = 16;

const round = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : 0);
const roundAll = (xs: ArrayLike<number>): number[] => Array.from(xs, round);
const cost = (x: number): number => (Number.isFinite(x) ? x : -1);

function path(start: Vec3, actions: Float32Array, bottle: Float32Array | null, c: number, dt: number): PlanPath {
  return {
    pusher: roundAll(integratePusherPath(start, actions, dt)),
    bottle: bottle ? roundAll(bottle) : null,
    cost: cost(c),
  };
}

export function planMessage(plan: RunnerPlan, pusherStart: Vec3, dt: number, episode: number, step: number): PlanMessage {
  const n = Math.min(plan.elites.length, MAX_ELITES_DRAWN);
  const elites: PlanPath[] = [];
  for (let i = 0; i < n; i++) {
    elites.push(path(pusherStart, plan.elites[i], plan.eliteBottlePaths?.[i] ?? null, plan.eliteCosts[i], dt));
  }
  return {
    v: PROTOCOL_VERSION, type: 'plan', episode, step, horizon: plan.horizon, elites,
    chosen: path(pusherStart, plan.chosen, plan.chosenBottlePath, plan.chosenCost, dt),
    actions: roundAll(plan.chosen),
  };
}
