// A fixed pinhole depth camera rendered by ray casts against the physics world. The table never
// moves, so its depth is cast once and cached; each frame only re-casts the pixels whose rays can
// reach a moving body (inside the projected outline of the body's oriented bounding box). That is
// exact, not an approximation: a ray outside that outline cannot hit the body.
import RAPIER from '@dimforge/rapier3d-compat';
import type { Scene, SceneBody } from './scene.ts';
import type { CameraSpec, Vec3 } from './types.ts';

/** From above and in front of the workspace, framing the +-0.3 m pusher workspace. */
export function defaultCameraSpec(size = 32): CameraSpec {
  return { width: size, height: size, position: [0, 0.75, 0.5], target: [0, 0, 0.02], fovDeg: 38, near: 0.45, far: 1.25 };
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function normalize(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}
function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Rotate v by the unit quaternion q (x, y, z, w). */
function rotate(q: { x: number; y: number; z: number; w: number }, v: Vec3): Vec3 {
  const u: Vec3 = [q.x, q.y, q.z];
  const t = cross(u, v).map((c) => 2 * c) as Vec3;
  const ut = cross(u, t);
  return [v[0] + q.w * t[0] + ut[0], v[1] + q.w * t[1] + ut[1], v[2] + q.w * t[2] + ut[2]];
}

/** Convex hull (Andrew's monotone chain) of 2D points, counter-clockwise, no repeats. */
function convexHull(points: [number, number][]): [number, number][] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const turn = (o: [number, number], a: [number, number], b: [number, number]): number =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (pts: [number, number][]): [number, number][] => {
    const h: [number, number][] = [];
    for (const pt of pts) {
      while (h.length >= 2 && turn(h[h.length - 2], h[h.length - 1], pt) <= 0) h.pop();
      h.push(pt);
    }
    h.pop();
    return h;
  };
  const hull = [...half(p), ...half([...p].reverse())];
  return hull.length > 0 ? hull : [p[0]];
}

/** Every pixel, as row spans (for a body reaching behind the camera). */
function allRows(W: number, H: number): number[] {
  const spans: number[] = [];
  for (let i = 0; i < H; i++) spans.push(i, 0, W - 1);
  return spans;
}

export interface RenderOptions {
  /** Leave the pusher out (used for goal images, which show only the task's objects). */
  hidePusher?: boolean;
}

export class DepthCamera {
  readonly spec: CameraSpec;
  private readonly dirs: Float64Array;
  private readonly forward: Vec3;
  private readonly right: Vec3;
  private readonly up: Vec3;
  private readonly tanHalf: number;
  private readonly ray: RAPIER.Ray;
  /** Reused wasm-side vectors: Collider.castRay allocates and frees two per call, which cost
   * more than the ray cast itself. The raw call below is the one Collider.castRay makes. */
  private readonly rawOrigin: ReturnType<typeof RAPIER.VectorOps.intoRaw>;
  private readonly rawDir: ReturnType<typeof RAPIER.VectorOps.intoRaw>;
  private staticDepth: Float32Array | null = null;
  /** Rays cast by the last render (for tests and benchmarks). */
  lastRayCount = 0;

  constructor(spec: CameraSpec) {
    this.spec = spec;
    const { width: W, height: H } = spec;
    this.forward = normalize(sub(spec.target, spec.position));
    this.right = normalize(cross(this.forward, [0, 1, 0]));
    this.up = cross(this.right, this.forward);
    this.tanHalf = Math.tan((spec.fovDeg * Math.PI) / 360);
    const aspect = W / H;
    this.dirs = new Float64Array(W * H * 3);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const x = (((j + 0.5) / W) * 2 - 1) * this.tanHalf * aspect;
        const y = (1 - ((i + 0.5) / H) * 2) * this.tanHalf;
        const d = normalize([
          this.forward[0] + x * this.right[0] + y * this.up[0],
          this.forward[1] + x * this.right[1] + y * this.up[1],
          this.forward[2] + x * this.right[2] + y * this.up[2],
        ]);
        this.dirs.set(d, (i * W + j) * 3);
      }
    }
    const [px, py, pz] = spec.position;
    this.ray = new RAPIER.Ray({ x: px, y: py, z: pz }, { x: 0, y: 0, z: 1 });
    this.rawOrigin = RAPIER.VectorOps.intoRaw({ x: px, y: py, z: pz });
    this.rawDir = RAPIER.VectorOps.intoRaw({ x: 0, y: 0, z: 1 });
  }

  /** Time of impact of the current ray with one collider, or -1 (as Collider.castRay). */
  private castOn(scene: Scene, collider: RAPIER.Collider, maxToi: number): number {
    this.rawDir.x = this.ray.dir.x;
    this.rawDir.y = this.ray.dir.y;
    this.rawDir.z = this.ray.dir.z;
    return scene.world.colliders.raw.coCastRay(collider.handle, this.rawOrigin, this.rawDir, maxToi, true);
  }

  /** Release the wasm-side vectors (the camera is unusable afterwards). */
  free(): void {
    this.rawOrigin.free();
    this.rawDir.free();
  }

  private aimRay(pixel: number): void {
    this.ray.dir.x = this.dirs[pixel * 3];
    this.ray.dir.y = this.dirs[pixel * 3 + 1];
    this.ray.dir.z = this.dirs[pixel * 3 + 2];
  }

  /** Range along the ray mapped to 0..1 between near and far. */
  private normalizeDepth(toi: number): number {
    if (toi < 0) return 1;
    const d = (toi - this.spec.near) / (this.spec.far - this.spec.near);
    return d < 0 ? 0 : d > 1 ? 1 : d;
  }

  /** Depth of the static scene alone (the table), cast once and cached. */
  background(scene: Scene): Float32Array {
    return Float32Array.from(this.ensureStatic(scene));
  }

  private ensureStatic(scene: Scene): Float32Array {
    if (this.staticDepth) return this.staticDepth;
    const n = this.spec.width * this.spec.height;
    const out = new Float32Array(n);
    const maxToi = this.spec.far * 2;
    for (let p = 0; p < n; p++) {
      this.aimRay(p);
      out[p] = this.normalizeDepth(scene.table.collider.castRay(this.ray, maxToi, true));
    }
    this.staticDepth = out;
    return out;
  }

  /**
   * The pixels whose rays can hit the body, as row spans [row, firstColumn, lastColumn]. The body
   * lies inside its oriented bounding box; a ray through a pixel centre can only hit the box if
   * the centre lies inside the convex hull of the box's 8 projected corners. The box is grown by
   * 5 mm because Rapier's ray cast on rounded shapes reports grazing hits up to ~2 mm outside the
   * shape (measured); the hull is widened by a hundredth of a pixel against rounding.
   */
  private pixelSpans(entry: SceneBody): number[] {
    const { width: W, height: H } = this.spec;
    const t = entry.body.translation();
    const q = entry.body.rotation();
    const pad = 0.005;
    const sh = entry.spec.shape;
    const he: Vec3 = sh.kind === 'box' ? sh.halfExtents : sh.kind === 'cylinder' ? [sh.radius, sh.halfHeight, sh.radius] : [sh.radius, sh.radius, sh.radius];
    const pts: [number, number][] = [];
    for (let c = 0; c < 8; c++) {
      const local: Vec3 = [(c & 1 ? 1 : -1) * (he[0] + pad), (c & 2 ? 1 : -1) * (he[1] + pad), (c & 4 ? 1 : -1) * (he[2] + pad)];
      const w = rotate(q, local);
      const d = sub([t.x + w[0], t.y + w[1], t.z + w[2]], this.spec.position);
      const zc = dot(d, this.forward);
      if (zc <= 1e-6) return allRows(W, H);
      const xs = dot(d, this.right) / zc / (this.tanHalf * (W / H));
      const ys = dot(d, this.up) / zc / this.tanHalf;
      pts.push([((1 - ys) / 2) * H - 0.5, ((xs + 1) / 2) * W - 0.5]);
    }
    const hull = convexHull(pts);
    const eps = 0.01;
    let iMin = Infinity, iMax = -Infinity;
    for (const [i] of hull) {
      if (i < iMin) iMin = i;
      if (i > iMax) iMax = i;
    }
    const spans: number[] = [];
    for (let row = Math.max(0, Math.ceil(iMin - eps)); row <= Math.min(H - 1, Math.floor(iMax + eps)); row++) {
      let lo = Infinity, hi = -Infinity;
      for (let k = 0; k < hull.length; k++) {
        const [ia, ja] = hull[k];
        const [ib, jb] = hull[(k + 1) % hull.length];
        if (row < Math.min(ia, ib) - eps || row > Math.max(ia, ib) + eps) continue;
        if (Math.abs(ib - ia) < 1e-9) {
          lo = Math.min(lo, ja, jb);
          hi = Math.max(hi, ja, jb);
        } else {
          const u = Math.max(0, Math.min(1, (row - ia) / (ib - ia)));
          const j = ja + u * (jb - ja);
          lo = Math.min(lo, j);
          hi = Math.max(hi, j);
        }
      }
      const j0 = Math.max(0, Math.ceil(lo - eps)), j1 = Math.min(W - 1, Math.floor(hi + eps));
      if (j0 <= j1) spans.push(row, j0, j1);
    }
    return spans;
  }

  /** Screen position [row, column] (pixel units, pixel centres at integers) of a world point. */
  project(p: Vec3): [number, number] {
    const d = sub(p, this.spec.position);
    const zc = dot(d, this.forward);
    const xs = dot(d, this.right) / zc / (this.tanHalf * (this.spec.width / this.spec.height));
    const ys = dot(d, this.up) / zc / this.tanHalf;
    return [((1 - ys) / 2) * this.spec.height - 0.5, ((xs + 1) / 2) * this.spec.width - 0.5];
  }

  /** Depth image (row-major, top row first) of the scene as it is now. */
  render(scene: Scene, opts: RenderOptions = {}, out?: Float32Array): Float32Array {
    const W = this.spec.width;
    const depth = out ?? new Float32Array(W * this.spec.height);
    depth.set(this.ensureStatic(scene));
    const movers = scene.bodies();
    if (!opts.hidePusher) movers.push(scene.pusher);
    const maxToi = this.spec.far * 2;
    let rays = 0;
    for (const entry of movers) {
      const spans = this.pixelSpans(entry);
      for (let s = 0; s < spans.length; s += 3) {
        const row = spans[s] * W;
        for (let j = spans[s + 1]; j <= spans[s + 2]; j++) {
          const p = row + j;
          this.aimRay(p);
          rays++;
          const toi = this.castOn(scene, entry.collider, maxToi);
          if (toi >= 0) {
            const d = this.normalizeDepth(toi);
            if (d < depth[p]) depth[p] = d;
          }
        }
      }
    }
    this.lastRayCount = rays;
    return depth;
  }

  /** Reference renderer: one world ray cast per pixel, no cache. The world's query structure is
   * refreshed by world.step(), so call this right after a step. */
  renderBruteForce(scene: Scene, opts: RenderOptions = {}): Float32Array {
    const n = this.spec.width * this.spec.height;
    const out = new Float32Array(n);
    const maxToi = this.spec.far * 2;
    for (let p = 0; p < n; p++) {
      this.aimRay(p);
      const hit = scene.world.castRay(this.ray, maxToi, true, undefined, undefined, opts.hidePusher ? scene.pusher.collider : undefined);
      out[p] = this.normalizeDepth(hit ? hit.timeOfImpact : -1);
    }
    return out;
  }
}
