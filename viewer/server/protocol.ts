// The wire protocol between the viewer server and its pages. Shared by both sides, so it imports
// nothing from Node or the sim at run time (types only) and stays small enough for the browser.
// JSON messages carry `v`; binary frames carry the version and a message type in a fixed header,
// so a page built for another version refuses the stream instead of drawing garbage.
import type { BodyPose, Outcome, SceneDescription } from '../../sim/types.ts';

export const PROTOCOL_VERSION = 1;

/** Binary message types (the uint16 after the version in a binary header). */
export const BINARY_FRAME = 1;

/**
 * Frame header: uint16 version, uint16 type, uint32 scene epoch, float64 server send time (ms,
 * Date.now()), then Float32: sim time (s), agent step, and 7 floats per body (x, y, z, qx, qy, qz,
 * qw) in the order of the current scene message's bodies.
 */
export const FRAME_HEADER_BYTES = 16;
export const FLOATS_PER_BODY = 7;

export interface Frame {
  epoch: number;
  sentAt: number;
  simTime: number;
  step: number;
  /** bodies * 7 floats. */
  poses: Float32Array;
}

/** A grayscale image: 0 = near, 255 = far, base64 of width*height bytes. */
export interface GrayImage {
  width: number;
  height: number;
  data: string;
}

export interface Tally {
  episodes: number;
  success: number;
  burst: number;
  timeout: number;
  failure: number;
}

export interface SceneMessage {
  v: number;
  type: 'scene';
  /** Increments whenever the body list changes; frames from another epoch are ignored. */
  epoch: number;
  episode: number;
  seed: number;
  task: string;
  planner: string;
  scene: SceneDescription;
  /** Poses of the task's objects placed at the goal (drawn as a translucent ghost). */
  goalPoses: BodyPose[];
  /** Where the goal sits on the table (x, z), for a marker. */
  goalPoint: [number, number] | null;
  goalDepth: GrayImage;
  agentDepth: GrayImage;
  tasks: string[];
  planners: string[];
  paused: boolean;
  speed: number;
  tally: Tally;
}

export interface PlanPath {
  /** Pusher positions (x, y, z) * (H + 1), integrated from the actions. */
  pusher: number[];
  /** Bottle positions (x, y, z) * (H + 1) read from predicted latents by the probe, if any. */
  bottle: number[] | null;
  cost: number;
}

export interface PlanMessage {
  v: number;
  type: 'plan';
  episode: number;
  step: number;
  horizon: number;
  elites: PlanPath[];
  chosen: PlanPath;
  /** The chosen action sequence, H * 3 (vx, vz, height). */
  actions: number[];
}

export interface MetricsMessage {
  v: number;
  type: 'metrics';
  episode: number;
  step: number;
  /** Best (or mean elite) energy after each planner iteration. */
  energy: number[];
  planningMs: number;
  agentDepth: GrayImage;
}

export interface EpisodeMessage {
  v: number;
  type: 'episode';
  episode: number;
  steps: number;
  outcome: Outcome;
  tally: Tally;
}

export interface StatusMessage {
  v: number;
  type: 'status';
  paused: boolean;
  speed: number;
  task: string;
  planner: string;
}

export interface ErrorMessage {
  v: number;
  type: 'error';
  message: string;
}

export type ServerMessage = SceneMessage | PlanMessage | MetricsMessage | EpisodeMessage | StatusMessage | ErrorMessage;

export type ClientCommand =
  | { v: number; type: 'newEpisode'; seed?: number }
  | { v: number; type: 'setGoal'; x: number; z: number }
  | { v: number; type: 'setTask'; task: string }
  | { v: number; type: 'setPlanner'; planner: string }
  | { v: number; type: 'pause' }
  | { v: number; type: 'resume' }
  | { v: number; type: 'step' }
  | { v: number; type: 'speed'; factor: number };

export function encodeFrame(frame: Frame): ArrayBuffer {
  const buf = new ArrayBuffer(FRAME_HEADER_BYTES + 4 * (2 + frame.poses.length));
  const view = new DataView(buf);
  view.setUint16(0, PROTOCOL_VERSION, true);
  view.setUint16(2, BINARY_FRAME, true);
  view.setUint32(4, frame.epoch >>> 0, true);
  view.setFloat64(8, frame.sentAt, true);
  const f = new Float32Array(buf, FRAME_HEADER_BYTES);
  f[0] = frame.simTime;
  f[1] = frame.step;
  f.set(frame.poses, 2);
  return buf;
}

/** Decode a binary frame; throws on a wrong version, type or a truncated body. */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView): Frame {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < FRAME_HEADER_BYTES + 8) throw new Error(`binary message too short (${bytes.byteLength} bytes)`);
  // Copy into an aligned buffer: a Node Buffer slice may start at an odd offset.
  const buf = bytes.slice().buffer;
  const view = new DataView(buf);
  const v = view.getUint16(0, true);
  if (v !== PROTOCOL_VERSION) throw new Error(`protocol version ${v}, expected ${PROTOCOL_VERSION}`);
  const type = view.getUint16(2, true);
  if (type !== BINARY_FRAME) throw new Error(`unknown binary message type ${type}`);
  const floats = (buf.byteLength - FRAME_HEADER_BYTES) / 4;
  if (!Number.isInteger(floats) || (floats - 2) % FLOATS_PER_BODY !== 0) {
    throw new Error(`frame body of ${buf.byteLength - FRAME_HEADER_BYTES} bytes is not 2 + 7k floats`);
  }
  const f = new Float32Array(buf, FRAME_HEADER_BYTES);
  return { epoch: view.getUint32(4, true), sentAt: view.getFloat64(8, true), simTime: f[0], step: f[1], poses: f.subarray(2) };
}

/** Flatten poses in body order for a frame. */
export function posesToFloats(poses: readonly BodyPose[], out?: Float32Array): Float32Array {
  const f = out ?? new Float32Array(poses.length * FLOATS_PER_BODY);
  poses.forEach((p, i) => {
    f.set(p.position, i * FLOATS_PER_BODY);
    f.set(p.rotation, i * FLOATS_PER_BODY + 3);
  });
  return f;
}

/** Depth 0..1 -> base64 grayscale bytes (browser and Node both have btoa). */
export function depthToGray(depth: ArrayLike<number>, width: number, height: number): GrayImage {
  let s = '';
  for (let i = 0; i < width * height; i++) {
    const d = Number.isFinite(depth[i]) ? Math.min(1, Math.max(0, depth[i])) : 1;
    s += String.fromCharCode(Math.round(d * 255));
  }
  return { width, height, data: btoa(s) };
}

export function grayToBytes(img: GrayImage): Uint8Array {
  const s = atob(img.data);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
