// Test doubles for the planner tests: a linear latent "world model" and a point-mass environment
// with the same dynamics, so the optimum of a plan is known in closed form.
import * as tf from '@tensorflow/tfjs';
import type { WorldModel } from '../../agent/worldModel.ts';
import type { MpcEnv } from '../../agent/mpc.ts';
import type { ActionBounds, Action, Observation, Outcome, StepResult } from '../../sim/types.ts';

export const TOY_BOUNDS: ActionBounds = { low: [-0.25, -0.25, 0.015], high: [0.25, 0.25, 0.2] };
export const DT = 0.1;

/**
 * z = (x, z, h): z' = A z + B a with A = diag(1, 1, 0), B = diag(dt, dt, 1): the pusher moves by
 * its velocity and takes the commanded height. The encoder reads the latent from the "image".
 * `nanWhen` poisons the prediction of rows whose action matches it (to test NaN handling).
 */
export class LinearToyModel implements WorldModel {
  readonly kind: 'jepa' | 'generative';
  readonly latentDim = 3;
  readonly obsSize = { width: 2, height: 2 };
  readonly probeLabels = ['x', 'z', 'h'];
  predictCalls = 0;
  private readonly A = tf.tensor1d([1, 1, 0]);
  private readonly B = tf.tensor1d([DT, DT, 1]);

  constructor(private readonly nanWhen?: (a: tf.Tensor2D) => tf.Tensor1D, kind: 'jepa' | 'generative' = 'jepa') {
    this.kind = kind;
  }

  /** The "camera" sees (x, z, h) in the first three depth values; proprio is ignored. */
  encode(depth: Float32Array[], _proprio: Float32Array[]): tf.Tensor2D {
    return tf.tensor2d(depth.map((d) => Array.from(d.subarray(0, 3))), [depth.length, 3]);
  }

  predict(z: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    this.predictCalls += 1;
    return tf.tidy(() => {
      const next = tf.add(tf.mul(z, this.A), tf.mul(actions, this.B)) as tf.Tensor2D;
      if (!this.nanWhen) return next;
      const bad = tf.reshape(this.nanWhen(actions), [-1, 1]);
      return tf.where(tf.broadcastTo(bad, next.shape), tf.fill(next.shape, Number.NaN), next) as tf.Tensor2D;
    });
  }

  probe(z: tf.Tensor2D): tf.Tensor2D {
    return tf.clone(z);
  }

  dispose(): void {
    this.A.dispose();
    this.B.dispose();
  }
}

/** An observation of the point at (x, z) with height h; proprio is (x, y = h, z) as in the real Env. */
export function obsAt(x: number, z: number, h: number): Observation {
  return { depth: Float32Array.from([x, z, h, 0]), proprio: Float32Array.from([x, h, z]), state: Float32Array.from([x, z, h]) };
}

/** A point-mass env with the toy model's dynamics; success within `tolerance` of the goal (x, z). */
export class PointEnv implements MpcEnv {
  readonly spec = { actionBounds: TOY_BOUNDS, maxSteps: 30 };
  private p = [0, 0, 0.1];
  private goalXZ = [0, 0];
  private steps = 0;
  constructor(private readonly tolerance = 0.01) {}

  reset(seed: number): Observation {
    // Deterministic in the seed; the goal lies 8-12 cm away in a seed-dependent direction.
    const angle = (seed * 2.399963) % (2 * Math.PI);
    const r = 0.08 + 0.04 * ((seed * 0.618034) % 1);
    this.p = [0, 0, 0.1];
    this.goalXZ = [r * Math.cos(angle), r * Math.sin(angle)];
    this.steps = 0;
    return this.observe();
  }

  observe(): Observation {
    return obsAt(this.p[0], this.p[1], this.p[2]);
  }

  /** As in the real Env: the image shows the goal, proprio is the live pusher. */
  goalObservation(): Observation {
    return { ...obsAt(this.goalXZ[0], this.goalXZ[1], 0.1), proprio: this.observe().proprio };
  }

  outcome(): Outcome {
    const d = Math.hypot(this.p[0] - this.goalXZ[0], this.p[1] - this.goalXZ[1]);
    const success = d < this.tolerance;
    return { kind: success ? 'success' : this.steps >= this.spec.maxSteps ? 'timeout' : 'running', success, reason: '', distance: d };
  }

  step(action: Action): StepResult {
    const a = Array.from(action);
    const lo = TOY_BOUNDS.low;
    const hi = TOY_BOUNDS.high;
    const c = a.map((v, k) => Math.min(hi[k], Math.max(lo[k], v)));
    this.p = [this.p[0] + DT * c[0], this.p[1] + DT * c[1], c[2]];
    this.steps += 1;
    const outcome = this.outcome();
    return {
      observation: this.observe(), terminated: outcome.success, truncated: !outcome.success && this.steps >= this.spec.maxSteps,
      info: { outcome, step: this.steps, burst: false, contact: false, maxContactForce: 0, clipped: c.some((v, k) => v !== a[k]) },
    };
  }

  snapshot(): unknown {
    return { p: [...this.p], steps: this.steps };
  }

  restore(s: unknown): void {
    const snap = s as { p: number[]; steps: number };
    this.p = [...snap.p];
    this.steps = snap.steps;
  }
}
