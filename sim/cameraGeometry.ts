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
 * The camera's orthonormal frame: looking along `forward`, `right` horizontal, `up` completing it.
 * A camera looking straight down has no horizontal from the world's up; its image's top is then
 * the table's far side (-z), as for a camera tilted down from the front.
 */
export function cameraFrame(spec: Pick<CameraSpec, 'position' | 'target'>): { forward: Vec3; right: Vec3; up: Vec3 } {
  const forward = normalize(sub(spec.target, spec.position));
  const side = cross(forward, [0, 1, 0]);
  const right = Math.hypot(...side) > 1e-9 ? normalize(side) : normalize(cross(forward, [0, 0, -1]));
  return { forward, right, up: cross(right, forward) };
}

/**
 * Screen position [row, column] (pixel units, pixel centres at integers) of a world point, and
 * its distance along the view axis (negative behind the camera).
 */
export function projectPoint(spec: CameraSpec, p: Vec3): { row: number; col: number; ahead: number } {
  const { forward, right, up } = cameraFrame(spec);
  const tanHalf = Math.tan((spec.fovDeg * Math.PI) / 360);
  const d = sub(p, spec.position);
  const ahead = dot(d, forward);
  const xs = dot(d, right) / ahead / (tanHalf * (spec.width / spec.height));
  const ys = dot(d, up) / ahead / tanHalf;
  return { row: ((1 - ys) / 2) * spec.height - 0.5, col: ((xs + 1) / 2) * spec.width - 0.5, ahead };
}

/** Whether a world point projects inside the image (in front of the camera, within its edges). */
export function inView(spec: CameraSpec, p: Vec3): boolean {
  const { row, col, ahead } = projectPoint(spec, p);
  return ahead > 0 && row >= -0.5 && row <= spec.height - 0.5 && col >= -0.5 && col <= spec.width - 0.5;
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
