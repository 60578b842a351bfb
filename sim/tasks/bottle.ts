// Shared pieces of the bottle tasks: the bottle itself (size, mass, friction), its pose
// arithmetic (tilt, heading of its top), the privileged state vector and start helpers.
import type { Rng } from '../rng.ts';
import type { BodySpec, BodyState, Scene } from '../scene.ts';
import { TABLE_HALF, WORKSPACE_HALF } from '../scene.ts';
import type { ActionBounds, Quat, Vec3 } from '../types.ts';

export const BOTTLE_ID = 'bottle';
export const BOTTLE_RADIUS = 0.035;
export const BOTTLE_MASS = 0.5;
/** Bottle-table friction (both 0.5, averaged): the quasi-static tipping height r/mu is 7 cm. */
export const BOTTLE_FRICTION = 0.5;

export const DEG = Math.PI / 180;

/** Action bounds shared by the bottle tasks: vx, vz in m/s, height of the pusher centre in m. */
export const BOTTLE_ACTION_BOUNDS: ActionBounds = { low: [-0.25, -0.25, 0.015], high: [0.25, 0.25, 0.26] };

export const BOTTLE_STATE_LABELS = [
  'x', 'y', 'z', 'qx', 'qy', 'qz', 'qw', 'vx', 'vy', 'vz', 'wx', 'wy', 'wz', 'tilt', 'axis_x', 'axis_z', 'burst',
];

/** Where bottleStateVector keeps the entries the tasks' own geometry reads. */
export const BOTTLE_STATE_INDEX = {
  x: BOTTLE_STATE_LABELS.indexOf('x'),
  z: BOTTLE_STATE_LABELS.indexOf('z'),
  tilt: BOTTLE_STATE_LABELS.indexOf('tilt'),
  axisX: BOTTLE_STATE_LABELS.indexOf('axis_x'),
  axisZ: BOTTLE_STATE_LABELS.indexOf('axis_z'),
} as const;

export const UPRIGHT: Quat = [0, 0, 0, 1];

/**
 * One kind of bottle: a cylinder of the shared radius, mass and friction, of its own height.
 * Bottles differ only in height (and colour), so the sliding friction that dominates a low push
 * (0.5 x 0.5 kg x 9.81 = 2.45 N) and the tipping height r/mu = 7 cm are the same for every one,
 * while the depth camera sees the difference.
 */
export interface Bottle {
  readonly halfHeight: number;
  readonly spec: BodySpec;
  /**
   * Horizontal distance (m) from where the bottle stood to its centre once it has tipped over
   * and come to rest: it turns about its leading bottom edge, so its bottom ends up at that edge
   * and its centre half a height beyond, radius + half height (0.155 m for the 24 cm bottle;
   * measured over 180 tipping pushes at 8-24 cm, 0.05-0.25 m/s: 0.148-0.178 m, mean 0.158).
   */
  readonly tipReach: number;
  /** Horizontal distance (m) from the standing spot to the centre while tipping about that edge, at tilt (rad). */
  tipAlong(tilt: number): number;
  /** Add the bottle, upright at the table centre (a task's build). */
  build(scene: Scene): void;
  /** Upright at a random spot within +-spread (m) of the table centre (a task's randomize). */
  randomize(scene: Scene, rng: Rng, spread?: number): void;
  /** Upright, at rest, centre above (x, z). */
  placeUpright(scene: Scene, x: number, z: number): void;
  /** Lying on its side at rest, centre at (x, z), top pointing along heading (rad). */
  placeLying(scene: Scene, x: number, z: number, heading: number): void;
}

function sceneBottle(scene: Scene) {
  const b = scene.get(BOTTLE_ID);
  if (!b) throw new Error('no bottle in the scene: build the task first');
  return b;
}

export function makeBottle(opts: { height: number; color: string }): Bottle {
  const halfHeight = opts.height / 2;
  const spec: BodySpec = {
    id: BOTTLE_ID,
    role: 'object',
    shape: { kind: 'cylinder', radius: BOTTLE_RADIUS, halfHeight },
    color: opts.color,
    mass: BOTTLE_MASS,
    friction: BOTTLE_FRICTION,
    reportForces: true,
  };
  const placeUpright = (scene: Scene, x: number, z: number): void => {
    scene.setBodyState(sceneBottle(scene), { position: [x, halfHeight, z], rotation: UPRIGHT });
  };
  return {
    halfHeight,
    spec,
    tipReach: halfHeight + BOTTLE_RADIUS,
    tipAlong: (tilt: number): number => BOTTLE_RADIUS * (1 - Math.cos(tilt)) + halfHeight * Math.sin(tilt),
    build(scene: Scene): void {
      scene.addBody(spec, { position: [0, halfHeight, 0], rotation: UPRIGHT });
    },
    randomize(scene: Scene, rng: Rng, spread = 0.05): void {
      placeUpright(scene, rng.uniform(-spread, spread), rng.uniform(-spread, spread));
    },
    placeUpright,
    placeLying(scene: Scene, x: number, z: number, heading: number): void {
      scene.setBodyState(sceneBottle(scene), { position: [x, BOTTLE_RADIUS, z], rotation: lyingRotation(heading) });
    },
  };
}

/** The bottle of slide, tip and the other 25 N tasks: 24 cm tall. */
export const STANDARD_BOTTLE = makeBottle({ height: 0.24, color: '#3f8fd2' });
/**
 * fragile's bottle: 18 cm tall, so a model trained on every task can see which bottle bursts at
 * 4.6 N. Its top is 6 cm lower, which a 32x32 depth image shows (docs/tasks.md).
 */
export const SHORT_BOTTLE = makeBottle({ height: 0.18, color: '#d2603f' });

/** The standard bottle's members under their older names (user task files may import them). */
export const BOTTLE_HALF_HEIGHT = STANDARD_BOTTLE.halfHeight;
export const BOTTLE_SPEC: BodySpec = STANDARD_BOTTLE.spec;
export function addBottle(scene: Scene): void {
  STANDARD_BOTTLE.build(scene);
}

/** The bottle's current state, or its last one if it burst (was removed). */
export function bottleState(scene: Scene): BodyState {
  const b = scene.get(BOTTLE_ID);
  if (b) return scene.bodyState(b);
  const last = scene.removed.get(BOTTLE_ID);
  if (!last) throw new Error('bottle is neither in the scene nor recorded as removed');
  return { ...last, linvel: [0, 0, 0], angvel: [0, 0, 0] };
}

/** The bottle's axis (bottom to top) in world coordinates. */
export function bottleAxis(q: Quat): Vec3 {
  const [x, y, z, w] = q;
  return [2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x)];
}

/** Angle (rad) between the bottle's axis and the vertical. */
export function tiltOf(q: Quat): number {
  return Math.acos(Math.max(-1, Math.min(1, bottleAxis(q)[1])));
}

/** Direction (rad, atan2(z, x)) the top points to in the table plane. */
export function headingOf(q: Quat): number {
  const a = bottleAxis(q);
  return Math.atan2(a[2], a[0]);
}

export function angleDiff(a: number, b: number): number {
  let d = (a - b) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  return Math.abs(d);
}

/**
 * Position, quaternion, linear and angular velocity, tilt (rad), the horizontal part of the
 * bottle's axis (axis_x, axis_z: its heading scaled by sin(tilt); a bare heading angle would jump
 * about while the bottle is upright) and the burst flag.
 */
export function bottleStateVector(scene: Scene): Float32Array {
  const s = bottleState(scene);
  const axis = bottleAxis(s.rotation);
  return Float32Array.from([
    ...s.position, ...s.rotation, ...s.linvel, ...s.angvel,
    tiltOf(s.rotation), axis[0], axis[2], scene.burst ? 1 : 0,
  ]);
}

/** A reason if the bottle has left the table, else null. */
export function offTableReason(p: Vec3): string | null {
  if (Math.abs(p[0]) > TABLE_HALF || Math.abs(p[2]) > TABLE_HALF || p[1] < -0.02) {
    return `bottle left the table at (${p[0].toFixed(2)}, ${p[2].toFixed(2)})`;
  }
  return null;
}

/** The standard bottle upright at a random spot near the table centre. */
export function randomizeUprightBottle(scene: Scene, rng: Rng, spread = 0.05): void {
  STANDARD_BOTTLE.randomize(scene, rng, spread);
}

/**
 * Pusher start behind the bottle: on the side opposite `towardAngle` (the direction the bottle
 * should move), jittered by up to +-25 deg, 6-8 cm from the bottle's axis, at a random height
 * within `heights` (default: the whole action range).
 */
export function pusherBehindBottle(scene: Scene, towardAngle: number, rng: Rng, bounds: ActionBounds,
  heights: readonly [number, number] = [bounds.low[2], bounds.high[2]]): Vec3 {
  const p = bottleState(scene).position;
  const angle = towardAngle + Math.PI + rng.uniform(-25, 25) * DEG;
  const dist = rng.uniform(0.06, 0.08);
  const clamp = (v: number): number => Math.max(-WORKSPACE_HALF, Math.min(WORKSPACE_HALF, v));
  return [clamp(p[0] + dist * Math.cos(angle)), rng.uniform(heights[0], heights[1]), clamp(p[2] + dist * Math.sin(angle))];
}

/**
 * Pusher start anywhere in the workspace (uniform), at least `minDistance` (m) from the bottle's
 * axis, at a random height within `heights`. Rejection-sampled from `rng`.
 */
export function pusherAnywhere(scene: Scene, rng: Rng, minDistance: number, heights: readonly [number, number]): Vec3 {
  const p = bottleState(scene).position;
  for (;;) {
    const x = rng.uniform(-WORKSPACE_HALF, WORKSPACE_HALF);
    const z = rng.uniform(-WORKSPACE_HALF, WORKSPACE_HALF);
    if (Math.hypot(x - p[0], z - p[2]) >= minDistance) return [x, rng.uniform(heights[0], heights[1]), z];
  }
}

/** True when |x| and |z| are at most `limit` (m). */
export function insideSquare(x: number, z: number, limit: number): boolean {
  return Math.abs(x) <= limit && Math.abs(z) <= limit;
}

/**
 * A spot `distance` (m, uniform in the range) from (x, z) in a uniformly random direction,
 * redrawn from `rng` until `accept(spotX, spotZ)` holds (e.g. inside the workspace with a margin).
 */
export function spotAround(x: number, z: number, rng: Rng, distance: readonly [number, number],
  accept: (sx: number, sz: number) => boolean): [number, number] {
  for (let tries = 0; ; tries++) {
    if (tries > 10_000) throw new Error(`no spot ${distance[0]}-${distance[1]} m from (${x}, ${z}) is acceptable`);
    const angle = rng.uniform(0, 2 * Math.PI);
    const d = rng.uniform(distance[0], distance[1]);
    const sx = x + d * Math.cos(angle);
    const sz = z + d * Math.sin(angle);
    if (accept(sx, sz)) return [sx, sz];
  }
}

/** Quaternion turning the bottle's axis (+Y) to lie flat pointing along heading (rad). */
export function lyingRotation(heading: number): Quat {
  // Rotation of +Y onto d = (cos h, 0, sin h) by 90 deg about Y x d = (sin h, 0, -cos h).
  const s = Math.SQRT1_2;
  return [s * Math.sin(heading), 0, -s * Math.cos(heading), s];
}
