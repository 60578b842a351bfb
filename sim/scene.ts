// The shared physical scene every task lives in: a fixed table, a kinematic fingertip pusher and
// whatever bodies the task adds. Bodies are created from plain specs so that a snapshot can
// re-create them (e.g. a burst bottle coming back on restore) on the same live world.
import RAPIER from '@dimforge/rapier3d-compat';
import type { Quat, ShapeDescription, Vec3 } from './types.ts';

let rapierReady: Promise<void> | null = null;

/** Rapier's wasm must be initialised once per process (per worker thread) before any world. */
export function initRapier(): Promise<void> {
  rapierReady ??= RAPIER.init();
  return rapierReady;
}

/** Physics step: 1/60 s (6 sub-steps per 0.1 s agent step). Slide/tip behaviour and resting
 * contacts match 1/120 s; Rapier's world.step is most of a transition's cost, so this halves it.
 * Burst thresholds are calibrated at this step (contact forces depend on it). */
export const PHYSICS_DT = 1 / 60;
export const CONTROL_DT = 0.1;
export const SUBSTEPS = Math.round(CONTROL_DT / PHYSICS_DT);

export const TABLE_HALF = 0.5;
export const TABLE_THICKNESS = 0.04;
export const PUSHER_RADIUS = 0.01;
/** The pusher's centre stays inside this square (x and z in [-W, W]). */
export const WORKSPACE_HALF = 0.3;

/** 'distractor': a body of the separate distractor world (sim/distractors.ts), seen by the camera only. */
export type BodyRole = 'table' | 'pusher' | 'object' | 'fragment' | 'distractor';

/** Everything needed to (re-)create a dynamic body. */
export interface BodySpec {
  id: string;
  role: BodyRole;
  shape: ShapeDescription;
  color: string;
  mass: number;
  friction: number;
  restitution?: number;
  /** Report contact forces on this body (needed for objects that can burst). */
  reportForces?: boolean;
}

export interface SceneBody {
  spec: BodySpec;
  body: RAPIER.RigidBody;
  collider: RAPIER.Collider;
}

export interface BodyState {
  position: Vec3;
  rotation: Quat;
  linvel: Vec3;
  angvel: Vec3;
}

/** Radius of the smallest sphere around the shape's centre that holds it. */
export function boundingRadius(shape: ShapeDescription): number {
  switch (shape.kind) {
    case 'box':
      return Math.hypot(...shape.halfExtents);
    case 'cylinder':
      return Math.hypot(shape.radius, shape.halfHeight);
    case 'sphere':
      return shape.radius;
  }
}

export function colliderDescFor(shape: ShapeDescription): RAPIER.ColliderDesc {
  switch (shape.kind) {
    case 'box':
      return RAPIER.ColliderDesc.cuboid(...shape.halfExtents);
    case 'cylinder': {
      // A plain cylinder resting exactly above the table's centre line fell through it (a
      // degenerate contact case); a 5 mm rounded edge gives robust contacts everywhere.
      const round = Math.min(0.005, shape.radius / 4, shape.halfHeight / 4);
      return RAPIER.ColliderDesc.roundCylinder(shape.halfHeight - round, shape.radius - round, round);
    }
    case 'sphere':
      return RAPIER.ColliderDesc.ball(shape.radius);
  }
}

export class Scene {
  readonly world: RAPIER.World;
  readonly events: RAPIER.EventQueue;
  readonly table: SceneBody;
  readonly pusher: SceneBody;
  /** Insertion-ordered, so describe()/poses() list bodies in a stable order. */
  private readonly dynamic = new Map<string, SceneBody>();
  private readonly byHandle = new Map<number, SceneBody>();
  /** Last pose of bodies removed from the world (e.g. a burst bottle), for state vectors. */
  readonly removed = new Map<string, BodyState>();
  burst = false;
  burstForce = 0;

  constructor() {
    this.world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
    this.world.timestep = PHYSICS_DT;
    this.events = new RAPIER.EventQueue(true);

    const tableBody = this.world.createRigidBody(
      RAPIER.RigidBodyDesc.fixed().setTranslation(0, -TABLE_THICKNESS / 2, 0),
    );
    const tableShape: ShapeDescription = { kind: 'box', halfExtents: [TABLE_HALF, TABLE_THICKNESS / 2, TABLE_HALF] };
    const tableCollider = this.world.createCollider(colliderDescFor(tableShape).setFriction(0.5), tableBody);
    this.table = {
      spec: { id: 'table', role: 'table', shape: tableShape, color: '#8b6f4e', mass: 0, friction: 0.5 },
      body: tableBody,
      collider: tableCollider,
    };

    const pusherBody = this.world.createRigidBody(
      RAPIER.RigidBodyDesc.kinematicPositionBased().setTranslation(0, 0.05, 0.2),
    );
    const pusherShape: ShapeDescription = { kind: 'sphere', radius: PUSHER_RADIUS };
    // The pusher reports every contact force (threshold 0): burst is judged on pusher contacts.
    const pusherCollider = this.world.createCollider(
      colliderDescFor(pusherShape)
        .setFriction(0.3)
        .setActiveEvents(RAPIER.ActiveEvents.CONTACT_FORCE_EVENTS)
        .setContactForceEventThreshold(0),
      pusherBody,
    );
    this.pusher = {
      spec: { id: 'pusher', role: 'pusher', shape: pusherShape, color: '#d33c3c', mass: 0, friction: 0.3 },
      body: pusherBody,
      collider: pusherCollider,
    };
  }

  addBody(spec: BodySpec, state: Omit<BodyState, 'linvel' | 'angvel'> & Partial<BodyState>): SceneBody {
    if (this.dynamic.has(spec.id) || spec.id === 'table' || spec.id === 'pusher') {
      throw new Error(`Scene already has a body with id '${spec.id}'`);
    }
    const [x, y, z] = state.position;
    const [qx, qy, qz, qw] = state.rotation;
    const desc = RAPIER.RigidBodyDesc.dynamic()
      .setTranslation(x, y, z)
      .setRotation({ x: qx, y: qy, z: qz, w: qw });
    if (state.linvel) desc.setLinvel(...state.linvel);
    if (state.angvel) desc.setAngvel({ x: state.angvel[0], y: state.angvel[1], z: state.angvel[2] });
    const body = this.world.createRigidBody(desc);
    let cdesc = colliderDescFor(spec.shape)
      .setMass(spec.mass)
      .setFriction(spec.friction)
      .setRestitution(spec.restitution ?? 0);
    if (spec.reportForces) {
      cdesc = cdesc.setActiveEvents(RAPIER.ActiveEvents.CONTACT_FORCE_EVENTS).setContactForceEventThreshold(0);
    }
    const collider = this.world.createCollider(cdesc, body);
    const entry: SceneBody = { spec, body, collider };
    this.dynamic.set(spec.id, entry);
    this.byHandle.set(collider.handle, entry);
    this.removed.delete(spec.id);
    return entry;
  }

  removeBody(id: string): void {
    const entry = this.dynamic.get(id);
    if (!entry) return;
    this.removed.set(id, this.bodyState(entry));
    this.byHandle.delete(entry.collider.handle);
    this.world.removeRigidBody(entry.body);
    this.dynamic.delete(id);
  }

  get(id: string): SceneBody | undefined {
    return this.dynamic.get(id);
  }

  /** The dynamic body owning a collider handle (e.g. from a contact event). */
  byCollider(handle: number): SceneBody | undefined {
    return this.byHandle.get(handle);
  }

  /** Dynamic bodies (objects and fragments) in insertion order. */
  bodies(): SceneBody[] {
    return [...this.dynamic.values()];
  }

  bodyState(entry: SceneBody): BodyState {
    const t = entry.body.translation();
    const r = entry.body.rotation();
    const v = entry.body.linvel();
    const w = entry.body.angvel();
    return { position: [t.x, t.y, t.z], rotation: [r.x, r.y, r.z, r.w], linvel: [v.x, v.y, v.z], angvel: [w.x, w.y, w.z] };
  }

  setBodyState(entry: SceneBody, s: Partial<BodyState>): void {
    const b = entry.body;
    if (s.position) b.setTranslation({ x: s.position[0], y: s.position[1], z: s.position[2] }, true);
    if (s.rotation) b.setRotation({ x: s.rotation[0], y: s.rotation[1], z: s.rotation[2], w: s.rotation[3] }, true);
    b.setLinvel({ x: s.linvel?.[0] ?? 0, y: s.linvel?.[1] ?? 0, z: s.linvel?.[2] ?? 0 }, true);
    b.setAngvel({ x: s.angvel?.[0] ?? 0, y: s.angvel?.[1] ?? 0, z: s.angvel?.[2] ?? 0 }, true);
  }

  /**
   * Wake the task objects the pusher at `p` could touch (within `margin` of their bounding
   * sphere). Rapier lets a body that has been still for ~2 s sleep, and a sleeping bottle made no
   * contact with the kinematic pusher: a slow pusher slid in under it and then carried its weight
   * (a steady 4.9 N with 20-30 N spikes, which burst the fragile bottle at 0.04 m/s but not at
   * 0.16 m/s). Objects out of reach may still sleep, so the camera can keep reusing their hits.
   */
  wakeObjectsNear(p: Vec3, margin: number): void {
    for (const e of this.dynamic.values()) {
      if (e.spec.role !== 'object' || !e.body.isSleeping()) continue;
      const t = e.body.translation();
      if (Math.hypot(t.x - p[0], t.y - p[1], t.z - p[2]) < boundingRadius(e.spec.shape) + PUSHER_RADIUS + margin) e.body.wakeUp();
    }
  }

  pusherPosition(): Vec3 {
    const t = this.pusher.body.translation();
    return [t.x, t.y, t.z];
  }

  /** Teleport the pusher (reset, restore); the next kinematic target is set to the same spot so
   * the teleport itself imparts no velocity. */
  setPusherPosition(p: Vec3): void {
    const v = { x: p[0], y: p[1], z: p[2] };
    this.pusher.body.setTranslation(v, true);
    this.pusher.body.setNextKinematicTranslation(v);
  }

  /**
   * One physics step of PHYSICS_DT, collecting contact-force events in `events`. Same as
   * world.step(events) minus its JS bookkeeping for bodies the engine creates by itself (soft-body
   * tears): it re-lists every body and collider handle through wasm callbacks after each step,
   * ~3 % of a transition here. Scene creates and removes every body through the World API, which
   * keeps those maps current itself, so there is nothing for it to find.
   */
  step(): void {
    const w = this.world;
    w.physicsPipeline.step(w.gravity, w.integrationParameters, w.islands, w.broadPhase, w.narrowPhase, w.bodies, w.colliders, w.softBodies, w.impulseJoints, w.multibodyJoints, w.ccdSolver, this.events);
  }

  /** Collider positions follow body poses set by hand (no step needed before ray casts). */
  syncColliders(): void {
    this.world.propagateModifiedBodyPositionsToColliders();
  }

  free(): void {
    this.events.free();
    this.world.free();
  }
}
