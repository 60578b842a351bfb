// An agent action checked and clipped at the environment's edge: a NaN or an infinity is the
// caller's mistake (named by component), a value outside the task's bounds is clipped.
import { UserError } from './errors.ts';
import type { Action, ActionBounds, Vec3 } from './types.ts';

const ACTION_NAMES = ['vx', 'vz', 'height'];

/** The action within `bounds`, and whether any component had to be clipped; `where` names the step in errors. */
export function clipAction(action: Action, { low, high }: ActionBounds, where: string): { a: Vec3; clipped: boolean } {
  if (action == null || typeof action.length !== 'number' || action.length !== 3) {
    throw new UserError(`action must have 3 components (vx, vz, height), got ${action == null ? action : action.length}`, 'pass [vx, vz, height]');
  }
  const a: Vec3 = [0, 0, 0];
  let clipped = false;
  for (let i = 0; i < 3; i++) {
    const v = Number(action[i]);
    if (!Number.isFinite(v)) {
      throw new UserError(
        `action component ${ACTION_NAMES[i]} is ${action[i]} (${where})`,
        `pass finite numbers; ${ACTION_NAMES[i]} must lie in [${low[i]}, ${high[i]}]`,
      );
    }
    a[i] = v < low[i] ? low[i] : v > high[i] ? high[i] : v;
    if (a[i] !== v) clipped = true;
  }
  return { a, clipped };
}
