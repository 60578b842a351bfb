// What the agent imagines and what it did: the elites' pusher paths (faint), the chosen plan
// (a bold tube), the imagined bottle paths read by the probe (dotted), and the executed pusher
// trail. Plus the burst effect, which must be impossible to miss.
import * as THREE from 'three';
import type { PlanMessage } from '../server/protocol.ts';

const TRAIL_MAX = 4096;

function pointsOf(flat: number[]): THREE.Vector3[] {
  const pts: THREE.Vector3[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) pts.push(new THREE.Vector3(flat[i], flat[i + 1], flat[i + 2]));
  return pts;
}

function disposeTree(group: THREE.Group): void {
  group.traverse((o) => {
    const m = o as THREE.Mesh;
    m.geometry?.dispose();
    const mat = m.material as THREE.Material | undefined;
    mat?.dispose();
  });
  group.clear();
}

export class PlanView {
  private readonly plans = new THREE.Group();
  private readonly trail: THREE.Line;
  private readonly trailPositions = new Float32Array(TRAIL_MAX * 3);
  private trailCount = 0;
  private readonly effects: { obj: THREE.Object3D; born: number; life: number; update: (age: number) => void }[] = [];
  /** How many plan messages were drawn (read by the end-to-end test). */
  drawn = 0;

  constructor(private readonly root: THREE.Group, private readonly flashEl: HTMLElement) {
    const geom = new THREE.BufferGeometry();
    geom.setAttribute('position', new THREE.BufferAttribute(this.trailPositions, 3));
    geom.setDrawRange(0, 0);
    this.trail = new THREE.Line(geom, new THREE.LineBasicMaterial({ color: '#fbbf24' }));
    this.trail.frustumCulled = false;
    root.add(this.plans, this.trail);
  }

  showPlan(msg: PlanMessage): void {
    disposeTree(this.plans);
    for (const e of msg.elites) {
      const line = new THREE.Line(
        new THREE.BufferGeometry().setFromPoints(pointsOf(e.pusher)),
        new THREE.LineBasicMaterial({ color: '#7dd3fc', transparent: true, opacity: 0.35, depthTest: false }),
      );
      line.renderOrder = 10;
      this.plans.add(line);
      if (e.bottle) {
        const dots = new THREE.Points(
          new THREE.BufferGeometry().setFromPoints(pointsOf(e.bottle)),
          new THREE.PointsMaterial({ color: '#c4b5fd', size: 0.006, transparent: true, opacity: 0.5, depthTest: false }),
        );
        dots.renderOrder = 10;
        this.plans.add(dots);
      }
    }
    const chosen = pointsOf(msg.chosen.pusher);
    if (chosen.length >= 2) {
      const curve = new THREE.CatmullRomCurve3(chosen);
      const tube = new THREE.Mesh(
        new THREE.TubeGeometry(curve, Math.max(8, chosen.length * 6), 0.0035, 8, false),
        new THREE.MeshBasicMaterial({ color: '#38bdf8', depthTest: false, transparent: true, opacity: 0.95 }),
      );
      // Imagined futures are drawn over the bodies: they often pass behind the bottle.
      tube.renderOrder = 11;
      this.plans.add(tube);
    }
    if (msg.chosen.bottle) {
      const pts = pointsOf(msg.chosen.bottle);
      const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints(pts), new THREE.LineDashedMaterial({ color: '#a78bfa', dashSize: 0.01, gapSize: 0.006, depthTest: false }));
      line.renderOrder = 10;
      line.computeLineDistances();
      this.plans.add(line);
      const end = pts[pts.length - 1];
      if (end) {
        const dot = new THREE.Mesh(new THREE.SphereGeometry(0.008, 12, 8), new THREE.MeshBasicMaterial({ color: '#a78bfa' }));
        dot.position.copy(end);
        this.plans.add(dot);
      }
    }
    this.drawn++;
  }

  clearPlans(): void {
    disposeTree(this.plans);
  }

  resetTrail(): void {
    this.trailCount = 0;
    this.trail.geometry.setDrawRange(0, 0);
  }

  /** Extend the executed pusher trail when the pusher has moved noticeably. */
  extendTrail(p: THREE.Vector3): void {
    const n = this.trailCount;
    if (n > 0) {
      const o = (n - 1) * 3;
      const dx = p.x - this.trailPositions[o], dy = p.y - this.trailPositions[o + 1], dz = p.z - this.trailPositions[o + 2];
      if (dx * dx + dy * dy + dz * dz < 1e-6) return;
    }
    if (n >= TRAIL_MAX) return;
    this.trailPositions.set([p.x, p.y, p.z], n * 3);
    this.trailCount++;
    const attr = this.trail.geometry.getAttribute('position') as THREE.BufferAttribute;
    attr.needsUpdate = true;
    this.trail.geometry.setDrawRange(0, this.trailCount);
  }

  /** A burst: white flash over the page, a light pulse, a ring shock wave and a spray of shards. */
  burst(at: THREE.Vector3, seed: number): void {
    this.flashEl.classList.remove('flash');
    void this.flashEl.offsetWidth; // restart the CSS animation
    this.flashEl.classList.add('flash');
    const now = performance.now();
    const light = new THREE.PointLight('#ffedd5', 30, 1.5);
    light.position.copy(at);
    this.root.add(light);
    this.effects.push({ obj: light, born: now, life: 600, update: (a) => { light.intensity = 30 * (1 - a); } });

    const ring = new THREE.Mesh(new THREE.RingGeometry(0.9, 1, 48), new THREE.MeshBasicMaterial({ color: '#f97316', transparent: true, side: THREE.DoubleSide }));
    ring.rotation.x = -Math.PI / 2;
    ring.position.set(at.x, 0.002, at.z);
    this.root.add(ring);
    this.effects.push({ obj: ring, born: now, life: 700, update: (a) => {
      ring.scale.setScalar(0.02 + a * 0.25);
      (ring.material as THREE.MeshBasicMaterial).opacity = 1 - a;
    } });

    // Deterministic spray (no Math.random): directions from a golden-angle spiral offset by the seed.
    const shards = new THREE.Group();
    const vel: THREE.Vector3[] = [];
    for (let i = 0; i < 40; i++) {
      const ang = (i + seed) * 2.39996;
      const up = 0.6 + ((i * 37) % 10) / 10;
      vel.push(new THREE.Vector3(Math.cos(ang) * 0.8, up, Math.sin(ang) * 0.8));
      const shard = new THREE.Mesh(new THREE.TetrahedronGeometry(0.006 + (i % 3) * 0.003), new THREE.MeshStandardMaterial({ color: i % 2 ? '#93c5fd' : '#fde68a', emissive: '#f97316', emissiveIntensity: 0.6 }));
      shard.position.copy(at);
      shards.add(shard);
    }
    this.root.add(shards);
    this.effects.push({ obj: shards, born: now, life: 1200, update: (a) => {
      const t = a * 1.2;
      shards.children.forEach((s, i) => {
        const v = vel[i];
        s.position.set(at.x + v.x * t * 0.5, Math.max(0.003, at.y + v.y * t - 4.9 * t * t), at.z + v.z * t * 0.5);
        s.rotation.set(t * 9 + i, t * 7, t * 5);
      });
    } });
  }

  /** Advance effects; returns true while any is alive. */
  tick(now: number): boolean {
    for (let i = this.effects.length - 1; i >= 0; i--) {
      const e = this.effects[i];
      const age = (now - e.born) / e.life;
      if (age >= 1) {
        this.root.remove(e.obj);
        if (e.obj instanceof THREE.Group) disposeTree(e.obj);
        this.effects.splice(i, 1);
      } else e.update(age);
    }
    return this.effects.length > 0;
  }
}
