// Getting behind an object to push it a given way. A pusher on the wrong side that heads
// straight for the contact point would push the object the wrong way first, so it goes round
// instead, on a circle about the object: approachPoint is where to head next (exploration
// episodes that push from a new side), approachCost how far there is still to go (the tasks' oracle guidance).
import { WORKSPACE_HALF } from './scene.ts';

export interface ApproachGeometry {
  /** Distance (m) from the object's centre line at which the pusher touches it from behind. */
  contact: number;
  /** Radius (m) of the circle the pusher goes round on; the chords between waypoints must clear the object. */
  radius: number;
  /** Largest turn (rad) about the object between the pusher and its next waypoint. */
  step: number;
  /** Within this angle (rad) of the side behind the object, the pusher makes for the contact point itself. */
  behindWithin: number;
}

/**
 * The bottle tasks' geometry: contact 5 cm from the axis (3.5 cm bottle radius + 1 cm pusher + 5 mm),
 * a 9 cm circle whose 45 deg chords pass 8.3 cm from the axis, and a straight approach within 35 deg
 * of the push line.
 */
export const BOTTLE_APPROACH: ApproachGeometry = { contact: 0.05, radius: 0.09, step: Math.PI / 4, behindWithin: (35 * Math.PI) / 180 };

/** Signed angle a - b wrapped into (-pi, pi]. */
export function wrapAngle(a: number): number {
  let d = a % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d <= -Math.PI) d += 2 * Math.PI;
  return d;
}

/**
 * Where the pusher at (px, pz) should head next to push the object at (ox, oz) along the
 * direction `angle` (rad, atan2(z, x)): the contact point behind the object when the pusher is
 * already within `behindWithin` of that side, else the next waypoint round the object, turning
 * the shorter way. Clamped to the workspace. Returns [x, z].
 */
export function approachPoint(ox: number, oz: number, px: number, pz: number, angle: number,
  g: ApproachGeometry = BOTTLE_APPROACH): [number, number] {
  const behind = angle + Math.PI;
  const at = Math.atan2(pz - oz, px - ox);
  const turn = wrapAngle(behind - at);
  const clamp = (v: number): number => Math.max(-WORKSPACE_HALF, Math.min(WORKSPACE_HALF, v));
  if (Math.abs(turn) <= g.behindWithin) return [clamp(ox + g.contact * Math.cos(behind)), clamp(oz + g.contact * Math.sin(behind))];
  const next = at + Math.sign(turn) * Math.min(Math.abs(turn), g.step);
  return [clamp(ox + g.radius * Math.cos(next)), clamp(oz + g.radius * Math.sin(next))];
}

/**
 * How far (m) the pusher at (px, pz) still has to travel to push the object at (ox, oz) along
 * `angle`: the arc it must go round (at the circle's radius) until it is within `behindWithin`
 * of the side behind the object, then the straight way from there (its own radius kept) to the
 * contact point, plus the clearance it must gain to go round an object it is closer to than
 * the circle. Continuous in the pusher's position, so a planner that shortens it makes progress
 * all the way round, with no jump where a waypoint is passed.
 */
export function approachCost(ox: number, oz: number, px: number, pz: number, angle: number,
  g: ApproachGeometry = BOTTLE_APPROACH): number {
  const behind = angle + Math.PI;
  const r = Math.hypot(px - ox, pz - oz);
  const at = Math.atan2(pz - oz, px - ox);
  const turn = wrapAngle(behind - at);
  const excess = Math.max(0, Math.abs(turn) - g.behindWithin);
  // The pusher turned by the arc still to go, at its own radius.
  const a = at + Math.sign(turn) * excess;
  const [cx, cz] = [ox + g.contact * Math.cos(behind), oz + g.contact * Math.sin(behind)];
  const straight = Math.hypot(ox + r * Math.cos(a) - cx, oz + r * Math.sin(a) - cz);
  const clearance = Math.max(0, g.radius - r) * Math.min(1, excess / g.step);
  return g.radius * excess + straight + clearance;
}
