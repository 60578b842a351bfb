// The distractors' own Rapier world: a copy of the fixed table, invisible walls that keep its
// bodies on the table's far side, a fixed pool of light drop-in objects and, from level 2, bars
// whose height changes at random times. Nothing in it can touch the task's objects or the pusher
// (they live in another world), so the task's physics is the same at every level; the depth
// camera renders both worlds together. Every random event of agent step t comes from
// Rng(deriveSeed(processSeed, t)), so a restore to step t replays the same events.
import RAPIER from '@dimforge/rapier3d-compat';
import type { DistractorLevel } from './distractorLevels.ts';
import { Rng, deriveSeed } from './rng.ts';
import { PHYSICS_DT, TABLE_HALF, TABLE_THICKNESS, boundingRadius, colliderDescFor } from './scene.ts';
import type { BodySpec, BodyState, SceneBody } from './scene.ts';
import type { Quat, ShapeDescription, Vec3 } from './types.ts';

/** The strip the walls enclose: behind the workspace (|z| <= 0.3), inside what the camera sees
 * of the table (it sees the table to z ~ -0.43 and x ~ +-0.37 there). */
export const STRIP = { xMin: -0.4, xMax: 0.4, zMin: -0.46, zMax: -0.31 } as const;
/** Where drop-ins appear (m), above the visible part of the strip. */
const SPAWN = { xMin: -0.35, xMax: 0.35, zMin: -0.42, zMax: -0.34, yMin: 0.08, yMax: 0.16 } as const;
const WALL_HALF_THICKNESS = 0.01;
const WALL_HALF_HEIGHT = 0.15;
/** Inactive pool bodies wait here, disabled (out of every simulation and of the camera). */
export const PARK_Y = -10;
const BAR_Z = -0.36;
const BAR_HALF: Vec3 = [0.04, 0.08, 0.01];
/** Height of a bar's top above the table (m), and how fast it moves to a new one (m/s). */
const BAR_TOP = { min: 0.005, max: 0.14 } as const;
const BAR_SPEED = 0.4;
const COLORS = ['#e0b040', '#9b59b6', '#2ecc71', '#e67e22', '#1abc9c', '#f06292', '#bdc3c7', '#8d6e63'];
const BAR_COLOR = '#6d7a80';
const LINEAR_DAMPING = 0.3;
const ANGULAR_DAMPING = 0.6;

export interface DistractorSnapshot {
  specs: BodySpec[];
  states: BodyState[];
  active: boolean[];
  barTargets: number[];
}

const UPRIGHT: Quat = [0, 0, 0, 1];

function yaw(angle: number): Quat {
  return [0, Math.sin(angle / 2), 0, Math.cos(angle / 2)];
}

/** A random unit quaternion (uniform over rotations). */
function randomRotation(rng: Rng): Quat {
  const u1 = rng.next(), u2 = rng.next() * 2 * Math.PI, u3 = rng.next() * 2 * Math.PI;
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  return [a * Math.sin(u2), a * Math.cos(u2), b * Math.sin(u3), b * Math.cos(u3)];
}

function restingHeight(shape: ShapeDescription): number {
  return shape.kind === 'box' ? shape.halfExtents[1] : shape.kind === 'cylinder' ? shape.halfHeight : shape.radius;
}

function dropInSpec(i: number, rng: Rng): BodySpec {
  const kind = rng.pick(['sphere', 'box', 'cylinder'] as const);
  const shape: ShapeDescription = kind === 'sphere' ? { kind, radius: rng.uniform(0.025, 0.04) }
    : kind === 'box' ? { kind, halfExtents: [rng.uniform(0.015, 0.035), rng.uniform(0.015, 0.035), rng.uniform(0.015, 0.035)] }
      : { kind, radius: rng.uniform(0.02, 0.035), halfHeight: rng.uniform(0.02, 0.05) };
  return { id: `distractor-${i}`, role: 'distractor', shape, color: rng.pick(COLORS), mass: rng.uniform(0.02, 0.08), friction: 0.4, restitution: rng.uniform(0.1, 0.4) };
}

function barSpec(i: number): BodySpec {
  return { id: `distractor-bar-${i}`, role: 'distractor', shape: { kind: 'box', halfExtents: BAR_HALF }, color: BAR_COLOR, mass: 0, friction: 0.4 };
}

function barX(i: number, n: number): number {
  return -0.3 + (0.6 * (i + 0.5)) / n;
}

function parked(i: number): BodyState {
  return { position: [0.2 * i, PARK_Y, 0], rotation: UPRIGHT, linvel: [0, 0, 0], angvel: [0, 0, 0] };
}

export class DistractorWorld {
  readonly world: RAPIER.World;
  private readonly entries: SceneBody[] = [];
  private readonly active: boolean[];
  private readonly barTargets: number[];
  private visible: SceneBody[] = [];

  private constructor(readonly level: DistractorLevel, private readonly processSeed: number, s: DistractorSnapshot) {
    this.world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
    this.world.timestep = PHYSICS_DT;
    const fixed = (shape: ShapeDescription, at: Vec3): void => {
      const body = this.world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(...at));
      this.world.createCollider(colliderDescFor(shape).setFriction(0.5), body);
    };
    fixed({ kind: 'box', halfExtents: [TABLE_HALF, TABLE_THICKNESS / 2, TABLE_HALF] }, [0, -TABLE_THICKNESS / 2, 0]);
    const cx = (STRIP.xMin + STRIP.xMax) / 2, cz = (STRIP.zMin + STRIP.zMax) / 2;
    const hx = (STRIP.xMax - STRIP.xMin) / 2 + WALL_HALF_THICKNESS, hz = (STRIP.zMax - STRIP.zMin) / 2 + WALL_HALF_THICKNESS;
    for (const z of [STRIP.zMin - WALL_HALF_THICKNESS, STRIP.zMax + WALL_HALF_THICKNESS]) {
      fixed({ kind: 'box', halfExtents: [hx, WALL_HALF_HEIGHT, WALL_HALF_THICKNESS] }, [cx, WALL_HALF_HEIGHT, z]);
    }
    for (const x of [STRIP.xMin - WALL_HALF_THICKNESS, STRIP.xMax + WALL_HALF_THICKNESS]) {
      fixed({ kind: 'box', halfExtents: [WALL_HALF_THICKNESS, WALL_HALF_HEIGHT, hz] }, [x, WALL_HALF_HEIGHT, cz]);
    }
    s.specs.forEach((spec, i) => {
      const st = s.states[i];
      const bar = i >= level.dropIns;
      const desc = (bar ? RAPIER.RigidBodyDesc.kinematicPositionBased() : RAPIER.RigidBodyDesc.dynamic())
        .setTranslation(...st.position)
        .setRotation({ x: st.rotation[0], y: st.rotation[1], z: st.rotation[2], w: st.rotation[3] })
        .setEnabled(s.active[i]);
      if (!bar) {
        desc.setLinvel(...st.linvel).setAngvel({ x: st.angvel[0], y: st.angvel[1], z: st.angvel[2] })
          .setLinearDamping(LINEAR_DAMPING).setAngularDamping(ANGULAR_DAMPING);
      }
      const body = this.world.createRigidBody(desc);
      let cdesc = colliderDescFor(spec.shape).setFriction(spec.friction).setRestitution(spec.restitution ?? 0);
      if (!bar) cdesc = cdesc.setMass(spec.mass);
      this.entries.push({ spec, body, collider: this.world.createCollider(cdesc, body) });
    });
    this.active = [...s.active];
    this.barTargets = [...s.barTargets];
    this.world.propagateModifiedBodyPositionsToColliders();
    this.refreshVisible();
  }

  /** A new episode's distractors: shapes and the starting layout drawn from `rng`. */
  static create(level: DistractorLevel, rng: Rng, processSeed: number): DistractorWorld {
    const specs: BodySpec[] = [];
    const states: BodyState[] = [];
    const active: boolean[] = [];
    const taken: { x: number; z: number; r: number }[] = [];
    for (let b = 0; b < level.bars; b++) taken.push({ x: barX(b, level.bars), z: BAR_Z, r: Math.hypot(BAR_HALF[0], BAR_HALF[2]) });
    for (let i = 0; i < level.dropIns; i++) {
      const spec = dropInSpec(i, rng);
      specs.push(spec);
      const onTable = i < level.initialDropIns;
      let state = parked(i);
      if (onTable) {
        // At rest on the strip, clear of the others (a few tries; an overlap would fling them apart).
        const r = boundingRadius(spec.shape);
        let x = 0, z = 0;
        for (let attempt = 0; attempt < 20; attempt++) {
          x = rng.uniform(SPAWN.xMin, SPAWN.xMax);
          z = rng.uniform(SPAWN.zMin, SPAWN.zMax);
          if (taken.every((t) => Math.hypot(t.x - x, t.z - z) > t.r + r + 0.005)) break;
        }
        taken.push({ x, z, r });
        state = { position: [x, restingHeight(spec.shape) + 0.001, z], rotation: yaw(rng.uniform(0, 2 * Math.PI)), linvel: [0, 0, 0], angvel: [0, 0, 0] };
      }
      states.push(state);
      active.push(onTable);
    }
    const barTargets: number[] = [];
    for (let b = 0; b < level.bars; b++) {
      specs.push(barSpec(b));
      const top = rng.uniform(BAR_TOP.min, BAR_TOP.max);
      states.push({ position: [barX(b, level.bars), top - BAR_HALF[1], BAR_Z], rotation: UPRIGHT, linvel: [0, 0, 0], angvel: [0, 0, 0] });
      active.push(true);
      barTargets.push(top);
    }
    return new DistractorWorld(level, processSeed, { specs, states, active, barTargets });
  }

  /** The distractors exactly as captured (used for snapshot/restore). */
  static fromSnapshot(level: DistractorLevel, processSeed: number, s: DistractorSnapshot): DistractorWorld {
    return new DistractorWorld(level, processSeed, s);
  }

  snapshot(): DistractorSnapshot {
    return {
      specs: this.entries.map((e) => e.spec),
      states: this.entries.map((e) => {
        const t = e.body.translation(), r = e.body.rotation(), v = e.body.linvel(), w = e.body.angvel();
        return { position: [t.x, t.y, t.z], rotation: [r.x, r.y, r.z, r.w], linvel: [v.x, v.y, v.z], angvel: [w.x, w.y, w.z] };
      }),
      active: [...this.active],
      barTargets: [...this.barTargets],
    };
  }

  /** The random events of agent step `step` (drop-ins, vanishings, new bar heights); call before its sub-steps. */
  beginStep(step: number): void {
    const rng = new Rng(deriveSeed(this.processSeed, step));
    const { dropIns, spawnChance, despawnChance, barChangeChance } = this.level;
    let changed = false;
    for (let i = 0; i < dropIns; i++) {
      const e = this.entries[i];
      const u = rng.next();
      if (this.active[i] && u < despawnChance) {
        this.park(i);
        changed = true;
      } else if (!this.active[i] && u < spawnChance) {
        e.body.setEnabled(true);
        e.body.setTranslation({ x: rng.uniform(SPAWN.xMin, SPAWN.xMax), y: rng.uniform(SPAWN.yMin, SPAWN.yMax), z: rng.uniform(SPAWN.zMin, SPAWN.zMax) }, true);
        const q = randomRotation(rng);
        e.body.setRotation({ x: q[0], y: q[1], z: q[2], w: q[3] }, true);
        e.body.setLinvel({ x: rng.uniform(-0.3, 0.3), y: rng.uniform(-0.2, 0), z: rng.uniform(-0.15, 0.15) }, true);
        e.body.setAngvel({ x: rng.uniform(-6, 6), y: rng.uniform(-6, 6), z: rng.uniform(-6, 6) }, true);
        this.active[i] = true;
        changed = true;
      }
    }
    for (let b = 0; b < this.barTargets.length; b++) {
      if (rng.next() < barChangeChance) this.barTargets[b] = rng.uniform(BAR_TOP.min, BAR_TOP.max);
    }
    if (changed) this.refreshVisible();
  }

  private park(i: number): void {
    const e = this.entries[i];
    const p = parked(i).position;
    e.body.setTranslation({ x: p[0], y: p[1], z: p[2] }, false);
    e.body.setRotation({ x: 0, y: 0, z: 0, w: 1 }, false);
    e.body.setLinvel({ x: 0, y: 0, z: 0 }, false);
    e.body.setAngvel({ x: 0, y: 0, z: 0 }, false);
    e.body.setEnabled(false);
    this.active[i] = false;
  }

  /** One physics step: bars move toward their target heights, then the world steps. */
  substep(): void {
    const first = this.level.dropIns;
    for (let b = 0; b < this.barTargets.length; b++) {
      const body = this.entries[first + b].body;
      const t = body.translation();
      const goal = this.barTargets[b] - BAR_HALF[1];
      // Rapier stores poses in float32: a bar that has arrived reads back its target rounded so.
      if (t.y === Math.fround(goal)) continue;
      const dy = Math.max(-BAR_SPEED * PHYSICS_DT, Math.min(BAR_SPEED * PHYSICS_DT, goal - t.y));
      body.setNextKinematicTranslation({ x: t.x, y: Math.abs(goal - t.y) <= BAR_SPEED * PHYSICS_DT ? goal : t.y + dy, z: t.z });
    }
    const w = this.world;
    w.physicsPipeline.step(w.gravity, w.integrationParameters, w.islands, w.broadPhase, w.narrowPhase, w.bodies, w.colliders, w.softBodies, w.impulseJoints, w.multibodyJoints, w.ccdSolver);
  }

  /** Every pool body, parked ones too (the viewer's body list stays the same within an episode). */
  bodies(): readonly SceneBody[] {
    return this.entries;
  }

  /** The bodies the camera renders: those on the table (parked ones are skipped). */
  visibleBodies(): readonly SceneBody[] {
    return this.visible;
  }

  private refreshVisible(): void {
    this.visible = this.entries.filter((_, i) => this.active[i]);
  }

  free(): void {
    this.world.free();
  }
}
