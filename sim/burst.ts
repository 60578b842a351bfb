// What happens when an object is pressed too hard: it is removed and a few fragments fly out
// from where it was. Fragment velocities come from the episode's seeded generator so a burst
// replays identically.
import type { Rng } from './rng.ts';
import type { BodySpec, Scene } from './scene.ts';
import type { Vec3 } from './types.ts';

export const FRAGMENT_COUNT = 6;
const FRAGMENT_HALF = 0.012;

/** Largest pusher contact force (N) on each object during one physics step. */
export function drainPusherForces(scene: Scene): Map<string, number> {
  const forces = new Map<string, number>();
  const pusherHandle = scene.pusher.collider.handle;
  scene.events.drainContactForceEvents((e) => {
    const a = e.collider1(), b = e.collider2();
    const other = a === pusherHandle ? b : b === pusherHandle ? a : -1;
    if (other < 0) return;
    const entry = scene.byCollider(other);
    if (!entry || entry.spec.role !== 'object') return;
    const f = e.totalForceMagnitude();
    if (f > (forces.get(entry.spec.id) ?? -1)) forces.set(entry.spec.id, f);
  });
  return forces;
}

/** Remove object `id` and spawn fragments around its last pose. */
export function burstObject(scene: Scene, id: string, rng: Rng): void {
  const entry = scene.get(id);
  if (!entry) return;
  const s = scene.bodyState(entry);
  scene.removeBody(id);
  for (let k = 0; k < FRAGMENT_COUNT; k++) {
    const spec: BodySpec = {
      id: `fragment-${id}-${k}`,
      role: 'fragment',
      shape: { kind: 'box', halfExtents: [FRAGMENT_HALF, FRAGMENT_HALF, FRAGMENT_HALF] },
      color: entry.spec.color,
      mass: entry.spec.mass / FRAGMENT_COUNT,
      friction: 0.6,
    };
    const angle = (2 * Math.PI * k) / FRAGMENT_COUNT + rng.uniform(-0.3, 0.3);
    const offset = rng.uniform(0.01, 0.03);
    const position: Vec3 = [
      s.position[0] + offset * Math.cos(angle),
      Math.max(FRAGMENT_HALF + 0.002, s.position[1] + rng.uniform(-0.05, 0.05)),
      s.position[2] + offset * Math.sin(angle),
    ];
    const speed = rng.uniform(0.3, 0.8);
    scene.addBody(spec, {
      position,
      rotation: [0, 0, 0, 1],
      linvel: [s.linvel[0] + speed * Math.cos(angle), rng.uniform(0.2, 0.8), s.linvel[2] + speed * Math.sin(angle)],
      angvel: [rng.uniform(-5, 5), rng.uniform(-5, 5), rng.uniform(-5, 5)],
    });
  }
}
