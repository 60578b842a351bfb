// A fixed pinhole depth camera rendered by ray casts against the physics world. The table never
// moves, so its depth is cast once and cached; each frame only re-casts the pixels whose rays can
// reach a moving body (inside the projected outline of the body's oriented bounding box, and, for
// round shapes, through a slightly grown copy of the shape). That is exact, not an approximation:
// a ray outside those bounds cannot hit the body. A body whose pose has not changed since the
// previous frame (a resting bottle) reuses that frame's hits instead of casting again. Bodies of a
// second world (the distractors, sim/distractors.ts) are rendered the same way and composited by
// the nearest range, so the image is that of both worlds together.
import RAPIER from '@dimforge/rapier3d-compat';
import { CameraProjection, PAD, allRows, normalize, rotate, roundRayBound, type QuatLike, type Vec3Like } from './cameraGeometry.ts';
import type { Scene, SceneBody } from './scene.ts';
import type { CameraSpec, Vec3 } from './types.ts';

/** From above and in front of the workspace, framing the +-0.3 m pusher workspace. */
export function defaultCameraSpec(size = 32, showsPusher = false): CameraSpec {
  return { width: size, height: size, position: [0, 0.75, 0.5], target: [0, 0, 0.02], fovDeg: 38, near: 0.45, far: 1.25, showsPusher };
}

/** A body's hits in the last frame it was cast, and the pose they were cast at. */
interface BodyHits {
  pose: Float64Array;
  pixels: Int32Array;
  depths: Float32Array;
  count: number;
}

/** Bodies of another world the camera sees as well (the distractors); only these are rendered of it. */
export interface ExtraBodies {
  world: RAPIER.World;
  bodies: readonly SceneBody[];
}

export interface RenderOptions {
  /** Leave the pusher out. Default: as the spec says (`showsPusher: false` leaves it out; a spec
   * without the field, from before it existed, shows it). Goal images always leave it out. */
  hidePusher?: boolean;
}

export class DepthCamera {
  readonly spec: CameraSpec;
  /** The camera's frame and projection (cameraGeometry), shared with the probes' in-view test. */
  readonly view: CameraProjection;
  private readonly dirs: Float64Array;
  private readonly ray: RAPIER.Ray;
  /** Reused wasm-side vectors: Collider.castRay allocates and frees two per call, which cost
   * more than the ray cast itself. The raw call below is the one Collider.castRay makes. */
  private readonly rawOrigin: ReturnType<typeof RAPIER.VectorOps.intoRaw>;
  private readonly rawDir: ReturnType<typeof RAPIER.VectorOps.intoRaw>;
  private staticDepth: Float32Array | null = null;
  /** Per collider (a new world has new colliders, so nothing stale survives a reset). */
  private readonly hitCache = new WeakMap<RAPIER.Collider, BodyHits>();
  private readonly pose = new Float64Array(7);
  /** Projected bounding-box corners of the body being outlined (scratch). */
  private readonly cornerRows = new Float64Array(8);
  private readonly cornerCols = new Float64Array(8);
  private readonly projected = new Float64Array(3);
  /** Rays cast by the last render (for tests and benchmarks). */
  lastRayCount = 0;

  constructor(spec: CameraSpec) {
    this.spec = spec;
    const { width: W, height: H } = spec;
    this.view = new CameraProjection(spec);
    const { forward, right, up, tanHalf } = this.view;
    const aspect = W / H;
    this.dirs = new Float64Array(W * H * 3);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const x = (((j + 0.5) / W) * 2 - 1) * tanHalf * aspect;
        const y = (1 - ((i + 0.5) / H) * 2) * tanHalf;
        const d = normalize([
          forward[0] + x * right[0] + y * up[0],
          forward[1] + x * right[1] + y * up[1],
          forward[2] + x * right[2] + y * up[2],
        ]);
        this.dirs.set(d, (i * W + j) * 3);
      }
    }
    const [px, py, pz] = spec.position;
    this.ray = new RAPIER.Ray({ x: px, y: py, z: pz }, { x: 0, y: 0, z: 1 });
    this.rawOrigin = RAPIER.VectorOps.intoRaw({ x: px, y: py, z: pz });
    this.rawDir = RAPIER.VectorOps.intoRaw({ x: 0, y: 0, z: 1 });
  }

  /** Time of impact of the current ray with one collider of `world`, or -1 (as Collider.castRay). */
  private castOn(world: RAPIER.World, collider: RAPIER.Collider, maxToi: number): number {
    this.rawDir.x = this.ray.dir.x;
    this.rawDir.y = this.ray.dir.y;
    this.rawDir.z = this.ray.dir.z;
    return world.colliders.raw.coCastRay(collider.handle, this.rawOrigin, this.rawDir, maxToi, true);
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
   * PAD (Rapier reports grazing hits on rounded shapes up to ~2 mm outside them); the outline is
   * widened by a hundredth of a pixel against rounding. A row's stretch of the hull runs between
   * its crossings with the segments joining pairs of corners (the hull's edges are among them,
   * and every such segment lies inside the hull), which needs no hull construction: that version
   * cost V8 ~0.2 s to optimize, again after every deoptimization, in every worker.
   */
  private pixelSpans(entry: SceneBody, t: Vec3Like, q: QuatLike): number[] {
    const { width: W, height: H } = this.spec;
    const sh = entry.spec.shape;
    const he: Vec3 = sh.kind === 'box' ? sh.halfExtents : sh.kind === 'cylinder' ? [sh.radius, sh.halfHeight, sh.radius] : [sh.radius, sh.radius, sh.radius];
    const pi = this.cornerRows, pj = this.cornerCols;
    let iMin = Infinity, iMax = -Infinity;
    for (let c = 0; c < 8; c++) {
      const local: Vec3 = [(c & 1 ? 1 : -1) * (he[0] + PAD), (c & 2 ? 1 : -1) * (he[1] + PAD), (c & 4 ? 1 : -1) * (he[2] + PAD)];
      const w = rotate(q, local);
      const p = this.projected;
      this.view.project(t.x + w[0], t.y + w[1], t.z + w[2], p);
      if (p[2] <= 1e-6) return allRows(W, H);
      pi[c] = p[0];
      pj[c] = p[1];
      if (pi[c] < iMin) iMin = pi[c];
      if (pi[c] > iMax) iMax = pi[c];
    }
    const eps = 0.01;
    const spans: number[] = [];
    for (let row = Math.max(0, Math.ceil(iMin - eps)); row <= Math.min(H - 1, Math.floor(iMax + eps)); row++) {
      let lo = Infinity, hi = -Infinity;
      for (let a = 0; a < 8; a++) {
        for (let b = a + 1; b < 8; b++) {
          const ia = pi[a], ib = pi[b], ja = pj[a], jb = pj[b];
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
      }
      const j0 = Math.max(0, Math.ceil(lo - eps)), j1 = Math.min(W - 1, Math.floor(hi + eps));
      if (j0 <= j1) spans.push(row, j0, j1);
    }
    return spans;
  }

  /** Screen position [row, column] (pixel units, pixel centres at integers) of a world point. */
  project(p: Vec3): [number, number] {
    const out = [0, 0, 0];
    this.view.project(p[0], p[1], p[2], out);
    return [out[0], out[1]];
  }

  /** Depth image (row-major, top row first) of the scene, and of `extra`'s bodies, as they are now. */
  render(scene: Scene, opts: RenderOptions = {}, out?: Float32Array, extra?: ExtraBodies): Float32Array {
    const W = this.spec.width;
    const depth = out ?? new Float32Array(W * this.spec.height);
    depth.set(this.ensureStatic(scene));
    const movers = scene.bodies();
    if (!this.hidesPusher(opts)) movers.push(scene.pusher);
    let rays = this.composite(scene.world, movers, depth);
    if (extra) rays += this.composite(extra.world, extra.bodies, depth);
    this.lastRayCount = rays;
    return depth;
  }

  /** Min-composite the hits of `bodies` (of `world`) into `depth`; returns the rays cast. */
  private composite(world: RAPIER.World, bodies: readonly SceneBody[], depth: Float32Array): number {
    const maxToi = this.spec.far * 2;
    let rays = 0;
    for (const entry of bodies) {
      const t = entry.body.translation(), q = entry.body.rotation();
      const pose = this.pose;
      pose[0] = t.x; pose[1] = t.y; pose[2] = t.z; pose[3] = q.x; pose[4] = q.y; pose[5] = q.z; pose[6] = q.w;
      let hits = this.cachedHits(entry, pose);
      if (!hits) {
        const cast = this.castBody(world, entry, t, q, pose, maxToi);
        rays += cast.rays;
        hits = cast;
      }
      for (let k = 0; k < hits.count; k++) {
        const p = hits.pixels[k];
        if (hits.depths[k] < depth[p]) depth[p] = hits.depths[k];
      }
    }
    return rays;
  }

  /**
   * The body's hits from the previous frame if its pose is bit-identical (then so is every cast),
   * else null. The collider's pose is a function of the body's: Rapier only moves colliders by
   * propagating body poses, and the scene never places a collider on its own.
   */
  private cachedHits(entry: SceneBody, pose: Float64Array): BodyHits | null {
    const hit = this.hitCache.get(entry.collider);
    if (!hit) return null;
    for (let i = 0; i < 7; i++) if (!Object.is(hit.pose[i], pose[i])) return null;
    return hit;
  }

  /** Cast every ray that can reach the body; remember the hits with the pose they were cast at. */
  private castBody(world: RAPIER.World, entry: SceneBody, t: Vec3Like, q: QuatLike, pose: Float64Array, maxToi: number): BodyHits & { rays: number } {
    const W = this.spec.width;
    const spans = this.pixelSpans(entry, t, q);
    const bound = roundRayBound(entry.spec.shape, t, q, this.spec.position, this.dirs);
    let cap = 0;
    for (let s = 0; s < spans.length; s += 3) cap += spans[s + 2] - spans[s + 1] + 1;
    const pixels = new Int32Array(cap);
    const depths = new Float32Array(cap);
    let count = 0;
    let rays = 0;
    for (let s = 0; s < spans.length; s += 3) {
      const row = spans[s] * W;
      for (let j = spans[s + 1]; j <= spans[s + 2]; j++) {
        const p = row + j;
        if (bound && !bound(p)) continue;
        this.aimRay(p);
        rays++;
        const toi = this.castOn(world, entry.collider, maxToi);
        if (toi >= 0) {
          pixels[count] = p;
          depths[count] = this.normalizeDepth(toi);
          count++;
        }
      }
    }
    const hits = { pose: Float64Array.from(pose), pixels, depths, count };
    this.hitCache.set(entry.collider, hits);
    return { ...hits, rays };
  }

  private hidesPusher(opts: RenderOptions): boolean {
    return opts.hidePusher ?? this.spec.showsPusher === false;
  }

  /** Reference renderer: one world ray cast per pixel and world, no cache (in `extra`'s world only
   * its listed bodies count: not its table copy or walls). A world's query structure is refreshed
   * by stepping it, so call this right after a step. */
  renderBruteForce(scene: Scene, opts: RenderOptions = {}, extra?: ExtraBodies): Float32Array {
    const n = this.spec.width * this.spec.height;
    const out = new Float32Array(n);
    const maxToi = this.spec.far * 2;
    const seen = new Set(extra?.bodies.map((b) => b.collider.handle));
    const onlySeen = (c: RAPIER.Collider): boolean => seen.has(c.handle);
    for (let p = 0; p < n; p++) {
      this.aimRay(p);
      const hit = scene.world.castRay(this.ray, maxToi, true, undefined, undefined, this.hidesPusher(opts) ? scene.pusher.collider : undefined);
      let toi = hit ? hit.timeOfImpact : -1;
      if (extra && seen.size > 0) {
        const other = extra.world.castRay(this.ray, maxToi, true, undefined, undefined, undefined, undefined, onlySeen);
        if (other && (toi < 0 || other.timeOfImpact < toi)) toi = other.timeOfImpact;
      }
      out[p] = this.normalizeDepth(toi);
    }
    return out;
  }
}
