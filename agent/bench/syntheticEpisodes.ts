// A tiny procedural stand-in for the physics sim, for fast tests and the training benchmark:
// a top-down depth image of a table with a round "bottle" and a round pusher. The pusher moves
// with the action's velocity; when it reaches the bottle it shoves it along (a contact rule), and
// a push above a height tips it. It has the structure a world model must learn (action ->
// pusher motion, contact -> object motion) without needing Rapier.
import { Rng } from '../../sim/rng.ts';
import type { EnvSpec, EpisodeData } from '../../sim/types.ts';

const HALF = 0.2;
const CONTACT = 0.05;
const DT = 0.1;

export function syntheticSpec(size = 16, maxSteps = 20): EnvSpec {
  return {
    taskId: 'synthetic',
    obsSize: { width: size, height: size },
    camera: { width: size, height: size, position: [0, 1, 0], target: [0, 0, 0], fovDeg: 30, near: 0.5, far: 1.2 },
    actionBounds: { low: [-0.3, -0.3, 0.02], high: [0.3, 0.3, 0.12] },
    maxSteps,
    controlDt: DT,
    substeps: 1,
    stateLabels: ['x', 'y', 'z', 'tilt'],
    proprioDim: 3,
  };
}

function render(size: number, bx: number, bz: number, tilt: number, px: number, pz: number, ph: number, out: Float32Array, offset: number): void {
  const cell = (2 * HALF) / size;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const x = -HALF + (j + 0.5) * cell;
      const z = -HALF + (i + 0.5) * cell;
      let d = 0.8;
      // A tipped bottle lies lower and looks longer along x.
      const rx = (x - bx) / (0.035 * (1 + tilt)), rz = (z - bz) / 0.035;
      if (rx * rx + rz * rz < 1) d = 0.5 + 0.2 * Math.min(tilt, 1);
      if ((x - px) ** 2 + (z - pz) ** 2 < 0.025 ** 2) d = Math.min(d, 0.7 - ph);
      out[offset + i * size + j] = d;
    }
  }
}

/** `count` episodes from seed; each step the pusher heads roughly toward the bottle, with noise. */
export function syntheticEpisodes(count: number, seed: number, spec: EnvSpec = syntheticSpec()): EpisodeData[] {
  const size = spec.obsSize.width;
  const hw = size * size;
  const T = spec.maxSteps;
  const { low, high } = spec.actionBounds;
  const out: EpisodeData[] = [];
  for (let e = 0; e < count; e++) {
    const rng = new Rng(seed * 7919 + e);
    let bx = rng.uniform(-0.05, 0.05), bz = rng.uniform(-0.05, 0.05), tilt = 0;
    const ang = rng.uniform(0, 2 * Math.PI);
    let px = bx - 0.09 * Math.cos(ang), pz = bz - 0.09 * Math.sin(ang), ph = rng.uniform(low[2], high[2]);
    const depth = new Float32Array((T + 1) * hw);
    const proprio = new Float32Array((T + 1) * 3);
    const actions = new Float32Array(T * 3);
    const state = new Float32Array((T + 1) * 4);
    const record = (t: number) => {
      render(size, bx, bz, tilt, px, pz, ph, depth, t * hw);
      proprio.set([px, ph, pz], t * 3);
      state.set([bx, 0.1 * (1 - Math.min(tilt, 1)), bz, tilt], t * 4);
    };
    record(0);
    for (let t = 0; t < T; t++) {
      const toward = Math.atan2(bz - pz, bx - px) + rng.normal() * 0.8;
      const speed = rng.uniform(0, high[0]);
      const vx = Math.max(low[0], Math.min(high[0], speed * Math.cos(toward)));
      const vz = Math.max(low[1], Math.min(high[1], speed * Math.sin(toward)));
      const h = rng.next() < 0.15 ? rng.uniform(low[2], high[2]) : ph;
      actions.set([vx, vz, h], t * 3);
      px = Math.max(-HALF, Math.min(HALF, px + vx * DT));
      pz = Math.max(-HALF, Math.min(HALF, pz + vz * DT));
      ph = h;
      const dx = bx - px, dz = bz - pz, dist = Math.hypot(dx, dz);
      if (dist < CONTACT && dist > 1e-6) {
        bx = px + (dx / dist) * CONTACT;
        bz = pz + (dz / dist) * CONTACT;
        if (ph > 0.08) tilt = Math.min(1.5, tilt + 0.3);
      }
      record(t + 1);
    }
    out.push({
      seed: seed * 7919 + e, depth, proprio, actions, state,
      terminations: new Uint8Array(T), truncations: Uint8Array.from({ length: T }, (_, i) => (i === T - 1 ? 1 : 0)),
      goal: Float32Array.from([bx, bz]),
      outcome: { kind: 'timeout', success: false, reason: 'synthetic', distance: 0 },
      behaviour: tilt > 0 ? 'tipped' : 'slid', length: T,
    });
  }
  return out;
}
