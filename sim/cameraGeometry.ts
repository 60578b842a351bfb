// Geometry for the depth camera: small vector helpers, the pinhole projection (where a world point
// lands in the image, and whether it is in view), and conservative per-pixel tests that let the
// camera skip rays which cannot hit a round body.
import type { CameraSpec, ShapeDescription, Vec3 } from './types.ts';

export type Vec3Like = { x: number; y: number; z: number };
export type QuatLike = { x: number; y: number; z: number; w: number };

/** Grazing hits on rounded shapes land up to ~2 mm outside the shape (measured), so every bound
 * used to skip rays is grown by this much. */
export const PAD = 0.005;

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
export function normalize(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/**
 * A pinhole camera's frame and projection, computed once per camera: looking along `forward`,
 * `right` horizontal, `up` completing it. A camera looking straight down has no horizontal from
 * the world's up; its image's top is then the table's far side (-z), as for a camera tilted down
 * from the front.
 */
export class CameraProjection {
  readonly forward: Vec3;
  readonly right: Vec3;
  readonly up: Vec3;
  /** tan of half the vertical field of view. */
  readonly tanHalf: number;
  private readonly spec: CameraSpec;
  /** sees()'s projection (scratch: the probes test every held-out frame). */
  private readonly seen = new Float64Array(3);

  constructor(spec: CameraSpec) {
    this.spec = spec;
    this.forward = normalize(sub(spec.target, spec.position));
    const side = cross(this.forward, [0, 1, 0]);
    this.right = Math.hypot(...side) > 1e-9 ? normalize(side) : normalize(cross(this.forward, [0, 0, -1]));
    this.up = cross(this.right, this.forward);
    this.tanHalf = Math.tan((spec.fovDeg * Math.PI) / 360);
  }

  /**
   * Screen position of world point (x, y, z) into `out`: [row, column] in pixel units (pixel
   * centres at integers) and its distance along the view axis (negative behind the camera).
   */
  project(x: number, y: number, z: number, out: Float64Array | number[]): void {
    const { width: W, height: H, position: o } = this.spec;
    const d: Vec3 = [x - o[0], y - o[1], z - o[2]];
    const ahead = dot(d, this.forward);
    const xs = dot(d, this.right) / ahead / (this.tanHalf * (W / H));
    const ys = dot(d, this.up) / ahead / this.tanHalf;
    out[0] = ((1 - ys) / 2) * H - 0.5;
    out[1] = ((xs + 1) / 2) * W - 0.5;
    out[2] = ahead;
  }

  /** Whether world point (x, y, z) projects inside the image (in front of the camera, within its edges). */
  sees(x: number, y: number, z: number): boolean {
    const p = this.seen;
    this.project(x, y, z, p);
    return p[2] > 0 && p[0] >= -0.5 && p[0] <= this.spec.height - 0.5 && p[1] >= -0.5 && p[1] <= this.spec.width - 0.5;
  }
}

/** Rotate v by the unit quaternion q (x, y, z, w). */
export function rotate(q: QuatLike, v: Vec3): Vec3 {
  const u: Vec3 = [q.x, q.y, q.z];
  const t = cross(u, v).map((c) => 2 * c) as Vec3;
  const ut = cross(u, t);
  return [v[0] + q.w * t[0] + ut[0], v[1] + q.w * t[1] + ut[1], v[2] + q.w * t[2] + ut[2]];
}

/** Every pixel, as row spans (for a body reaching behind the camera). */
export function allRows(W: number, H: number): number[] {
  const spans: number[] = [];
  for (let i = 0; i < H; i++) spans.push(i, 0, W - 1);
  return spans;
}

/**
 * For spheres and cylinders, a test that is false only for pixels whose ray surely misses the
 * shape grown by PAD (the camera's bounding-box outline also lets through the box's corners,
 * where ~1/4 of those rays go). `dirs` holds each pixel's unit ray direction from `eye`. A
 * sphere is a distance test; for a cylinder (axis y) the ray is taken into the body's frame and
 * its range inside the infinite tube must overlap its range between the caps. Boxes return
 * null: their outline already is exact.
 */
export function roundRayBound(sh: ShapeDescription, t: Vec3Like, q: QuatLike, eye: Vec3, dirs: Float64Array): ((pixel: number) => boolean) | null {
  if (sh.kind === 'box') return null;
  const rel = sub(eye, [t.x, t.y, t.z]);
  if (sh.kind === 'sphere') {
    // Rotation-free, so in the world frame: the ray's nearest approach to the centre (for
    // s >= 0, along unit directions) against the grown radius.
    const r2 = (sh.radius + PAD) ** 2;
    const oo = dot(rel, rel);
    return (p) => {
      const b = rel[0] * dirs[3 * p] + rel[1] * dirs[3 * p + 1] + rel[2] * dirs[3 * p + 2];
      return oo <= r2 || (b <= 0 && oo - b * b <= r2);
    };
  }
  const inv = { x: -q.x, y: -q.y, z: -q.z, w: q.w };
  const [ox, oy, oz] = rotate(inv, rel);
  const r = sh.radius + PAD, h = sh.halfHeight + PAD;
  // Rows of the world-to-body rotation: the images of the world axes, transposed.
  const [m00, m10, m20] = rotate(inv, [1, 0, 0]);
  const [m01, m11, m21] = rotate(inv, [0, 1, 0]);
  const [m02, m12, m22] = rotate(inv, [0, 0, 1]);
  return (p) => {
    const wx = dirs[3 * p], wy = dirs[3 * p + 1], wz = dirs[3 * p + 2];
    const dx = m00 * wx + m01 * wy + m02 * wz;
    const dy = m10 * wx + m11 * wy + m12 * wz;
    const dz = m20 * wx + m21 * wy + m22 * wz;
    let lo = 0, hi = Infinity;
    // Between the caps: |oy + s dy| <= h.
    if (Math.abs(dy) < 1e-12) {
      if (Math.abs(oy) > h) return false;
    } else {
      const a = (-h - oy) / dy, b = (h - oy) / dy;
      lo = Math.max(lo, Math.min(a, b));
      hi = Math.min(hi, Math.max(a, b));
    }
    // Inside the tube: (ox + s dx)^2 + (oz + s dz)^2 <= r^2.
    const A = dx * dx + dz * dz, B = ox * dx + oz * dz, C = ox * ox + oz * oz - r * r;
    if (A < 1e-12) {
      if (C > 0) return false;
    } else {
      const disc = B * B - A * C;
      if (disc < 0) return false;
      const root = Math.sqrt(disc);
      lo = Math.max(lo, (-B - root) / A);
      hi = Math.min(hi, (-B + root) / A);
    }
    return lo <= hi;
  };
}
