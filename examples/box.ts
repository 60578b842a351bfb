// Task Description: push a box across the table until its centre reaches a goal spot. A new
//   object, not the bottle: an 8 x 6 x 8 cm box that slides when pushed (it is wider than it is
//   tall, so a push below its top slides it rather than tipping it) and never bursts.
// Randomizations: box start within +-5 cm of the table centre, square to the axes; goal 6-12 cm
//   from the start in a random direction; pusher 8-10 cm from the box's centre on the side
//   opposite the goal (jittered +-20 deg), 1.5-4 cm above the table.
// Success Conditions: centre within 3 cm of the goal, tilt under 20 deg. Failure: tilt over 45 deg
//   (tipped over) or off the table.
//
// Use it with no change to the project: --task examples/box.ts on collect, train and plan.
// Every planner setting is the planners' global default: this file sets no plannerDefaults.
import type { Rng } from '../sim/rng.ts';
import type { Scene } from '../sim/scene.ts';
import { TABLE_HALF, WORKSPACE_HALF } from '../sim/scene.ts';
import type { TaskDefinition } from '../sim/task.ts';
import type { Outcome, Quat, Vec3 } from '../sim/types.ts';

const BOX_ID = 'box';
const HALF: Vec3 = [0.04, 0.03, 0.04];
const SQUARE: Quat = [0, 0, 0, 1];
const DEG = Math.PI / 180;

/** The box's pose now (scene.removed only matters for objects that can burst; kept for safety). */
function boxPose(scene: Scene): { position: Vec3; rotation: Quat; linvel: Vec3 } {
  const b = scene.get(BOX_ID);
  const s = b ? scene.bodyState(b) : scene.removed.get(BOX_ID);
  if (!s) throw new Error('the box is not in the scene: build() must run first');
  return { position: s.position, rotation: s.rotation, linvel: b ? s.linvel : [0, 0, 0] };
}

/** Angle (rad) between the box's up axis and the vertical. */
function tiltOf([x, , z]: Quat): number {
  return Math.acos(Math.max(-1, Math.min(1, 1 - 2 * (x * x + z * z))));
}

const box: TaskDefinition = {
  id: 'box',
  description: 'Push a box to a goal spot (centre within 3 cm, not tipped over).',
  actionBounds: { low: [-0.25, -0.25, 0.015], high: [0.25, 0.25, 0.2] },
  maxSteps: 40,
  burstThreshold: Infinity,
  stateLabels: ['x', 'y', 'z', 'qx', 'qy', 'qz', 'qw', 'vx', 'vy', 'vz', 'tilt'],
  goalLabels: ['goal_x', 'goal_z'],

  build(scene: Scene): void {
    scene.addBody(
      { id: BOX_ID, role: 'object', shape: { kind: 'box', halfExtents: HALF }, color: '#c98a3a', mass: 0.4, friction: 0.5 },
      { position: [0, HALF[1], 0], rotation: SQUARE },
    );
  },

  randomize(scene: Scene, rng: Rng): void {
    const b = scene.get(BOX_ID)!;
    scene.setBodyState(b, { position: [rng.uniform(-0.05, 0.05), HALF[1], rng.uniform(-0.05, 0.05)], rotation: SQUARE });
  },

  sampleGoal(scene: Scene, rng: Rng): Float32Array {
    const p = boxPose(scene).position;
    const angle = rng.uniform(0, 2 * Math.PI);
    const dist = rng.uniform(0.06, 0.12);
    return Float32Array.from([p[0] + dist * Math.cos(angle), p[2] + dist * Math.sin(angle)]);
  },

  pusherStart(scene: Scene, goal: Float32Array, rng: Rng): Vec3 {
    const p = boxPose(scene).position;
    // Behind the box: a short-horizon planner then only has to push, not go round it. 8 cm clears
    // the box's half-diagonal (5.7 cm) plus the pusher's radius from any side.
    const angle = Math.atan2(goal[1] - p[2], goal[0] - p[0]) + Math.PI + rng.uniform(-20, 20) * DEG;
    const dist = rng.uniform(0.08, 0.1);
    const clamp = (v: number): number => Math.max(-WORKSPACE_HALF, Math.min(WORKSPACE_HALF, v));
    return [clamp(p[0] + dist * Math.cos(angle)), rng.uniform(0.015, 0.04), clamp(p[2] + dist * Math.sin(angle))];
  },

  placeAtGoal(scene: Scene, goal: Float32Array): void {
    scene.setBodyState(scene.get(BOX_ID)!, { position: [goal[0], HALF[1], goal[1]], rotation: SQUARE });
  },

  state(scene: Scene): Float32Array {
    const s = boxPose(scene);
    return Float32Array.from([...s.position, ...s.rotation, ...s.linvel, tiltOf(s.rotation)]);
  },

  evaluate(scene: Scene, goal: Float32Array): Outcome {
    const s = boxPose(scene);
    const [x, y, z] = s.position;
    const distance = Math.hypot(x - goal[0], z - goal[1]);
    const tilt = tiltOf(s.rotation);
    if (Math.abs(x) > TABLE_HALF || Math.abs(z) > TABLE_HALF || y < -0.02) {
      return { kind: 'failure', success: false, reason: `box left the table at (${x.toFixed(2)}, ${z.toFixed(2)})`, distance };
    }
    if (tilt > 45 * DEG) return { kind: 'failure', success: false, reason: `box tipped over (tilt ${(tilt / DEG).toFixed(0)} deg)`, distance };
    if (distance < 0.03 && tilt < 20 * DEG) {
      return { kind: 'success', success: true, reason: `box within ${(distance * 100).toFixed(1)} cm of the goal`, distance };
    }
    return { kind: 'running', success: false, reason: '', distance };
  },
};

export default box;
