// Scripted set-ups shared by the sim tests: pose the bottle and pusher by hand, then push.
import type { Env } from '../../sim/env.ts';
import type { StepResult, Vec3 } from '../../sim/types.ts';
import { BOTTLE_ID, UPRIGHT } from '../../sim/tasks/bottle.ts';

/** Upright bottle at (x, z) and the pusher at `pusher`, after env.reset(seed). */
export function stage(env: Env, seed: number, bottleXZ: [number, number], pusher: Vec3): void {
  env.reset(seed);
  const scene = env.physics;
  const bottle = scene.get(BOTTLE_ID)!;
  if (bottle.spec.shape.kind !== 'cylinder') throw new Error('stage expects a cylindrical bottle');
  scene.setBodyState(bottle, { position: [bottleXZ[0], bottle.spec.shape.halfHeight, bottleXZ[1]], rotation: UPRIGHT });
  scene.setPusherPosition(pusher);
  scene.syncColliders();
}

/** Repeat one action for up to n steps or until the episode ends; returns every result. */
export function hold(env: Env, action: [number, number, number], n: number): StepResult[] {
  const out: StepResult[] = [];
  for (let i = 0; i < n; i++) {
    const r = env.step(action);
    out.push(r);
    if (r.terminated || r.truncated) break;
  }
  return out;
}

export function stateValue(env: Env, label: string): number {
  const i = env.spec.stateLabels.indexOf(label);
  if (i < 0) throw new Error(`no state label ${label}`);
  return env.observe().state[i];
}
