// Exploration policies for collecting training data. Data must cover contact, so most of the time
// the policy seeks the bottle (reading its position from the privileged state: exploration may,
// the planner may not) and pushes it low (it slides), gently (it slides without bursting), high
// (it tips), presses on it (it may burst), or slides it and then goes round it to tip it from
// another side, with wandering segments in between. Actions are smooth (held segments plus
// Ornstein–Uhlenbeck noise): white noise would jitter in place and rarely reach the bottle.
import { BOTTLE_APPROACH, approachPoint, wrapAngle } from './approach.ts';
import { Rng } from './rng.ts';
import type { ActionBounds, EnvSpec, Observation, Vec3 } from './types.ts';

export type SegmentKind = 'push-low' | 'push-gentle' | 'push-high' | 'press' | 'wander' | 'slide-tip';
export type ExplorationMix = Record<SegmentKind, number>;

/** Pusher heights (m) below which pushes slide the bottle / above which they tip it. Quasi-static
 * tipping starts at r/mu = 7 cm; a moving push tips lower, hence the margin. */
export const LOW_PUSH_MAX_HEIGHT = 0.045;
export const HIGH_PUSH_MIN_HEIGHT = 0.1;

export const SEGMENT_KINDS: readonly SegmentKind[] = ['push-low', 'push-gentle', 'push-high', 'press', 'wander', 'slide-tip'];

/**
 * Share of episodes by main kind, for a task that does not set its own (TaskDefinition.explorationMix).
 * Tipping and bursting end a slide episode, so one tipping or bursting segment decides the
 * episode: these shares set the behaviour mix almost directly. High pushes are a third of the
 * pushes even for slide: a slide planner must learn from them that high pushes tip the bottle
 * (with a tenth, models trained on 1000 episodes chose them).
 */
export const DEFAULT_EXPLORATION_MIX: Readonly<ExplorationMix> = { 'push-low': 0.5, 'push-gentle': 0, 'push-high': 0.3, press: 0.05, wander: 0.15, 'slide-tip': 0 };
/** Speeds of gentle pushes, as shares of the largest speed (fragile's burst-free pushes are up to ~0.3). */
const GENTLE_SPEED: readonly [number, number] = [0.08, 0.28];
/** Within an episode, the share of segments of its main kind; the rest wander. */
const MAIN_SHARE = 0.65;
/**
 * Share of pushes that wait, a few cm out, until the pusher has reached its push height. The rest
 * dip while they move in, which tips the bottle: a planner will try that, so the data must show it.
 */
const SETTLE_SHARE = 0.6;
/**
 * A slide-tip episode is three segments, then high pushes: a low push (the bottle slides), a trip
 * round the bottle to a side 60-180 deg away from where the pusher is, rising to a tipping height
 * on the way, and a high push from there (it tips toward the new side). No wandering in between,
 * so the tip follows the slide within one episode.
 */
const SLIDE_TIP_PHASES = ['slide', 'round', 'tip'] as const;
type SlideTipPhase = (typeof SLIDE_TIP_PHASES)[number];
/** Steps allowed to go round the bottle (up to half a turn on a 9 cm circle at half speed or more). */
const ROUND_STEPS = 25;

/**
 * The episode mix a task collects with: its own explorationMix (kinds it leaves out get no
 * episodes), else the default.
 */
export function explorationMixFor(task: { explorationMix?: Partial<ExplorationMix> }): ExplorationMix {
  const own = task.explorationMix;
  if (!own) return { ...DEFAULT_EXPLORATION_MIX };
  return Object.fromEntries(SEGMENT_KINDS.map((k) => [k, own[k] ?? 0])) as ExplorationMix;
}

export interface ExplorationPolicy {
  /** The next action (within the action bounds) for the current observation. */
  act(obs: Observation): Vec3;
  /** Kinds of the segments started so far (for tests and reports). */
  readonly segments: SegmentKind[];
}

interface Segment {
  kind: SegmentKind;
  left: number;
  height: number;
  speed: number;
  /** Sideways aim offset (m) from the bottle's axis: off-centre pushes also turn it. */
  lateral: number;
  /** Wait at a distance until the pusher has reached the push height (see SETTLE_SHARE). */
  settle: boolean;
  /** slide-tip only: which of its three segments this is, and for 'round', the coming push's direction (rad). */
  phase?: SlideTipPhase;
  pushAngle?: number;
}

/** Where the state vector keeps the object's x, z (if the task names them), for seeking. */
function objectIndex(labels: readonly string[]): { x: number; z: number } | null {
  const x = labels.indexOf('x');
  const z = labels.indexOf('z');
  return x >= 0 && z >= 0 ? { x, z } : null;
}

function clampTo(b: ActionBounds, a: Vec3): Vec3 {
  return [0, 1, 2].map((i) => Math.min(b.high[i], Math.max(b.low[i], a[i]))) as Vec3;
}

/**
 * A seeded exploration policy for one episode. The episode draws a main kind from the mix; its
 * segments of 4–15 steps are of that kind (the first always) or wander; within a segment, aim and
 * speed drift by OU noise so no two pushes are alike.
 */
export function makeExplorer(spec: EnvSpec, rng: Rng, mix: Readonly<ExplorationMix> = DEFAULT_EXPLORATION_MIX): ExplorationPolicy {
  const bounds = spec.actionBounds;
  const vmax = Math.min(Math.abs(bounds.low[0]), Math.abs(bounds.high[0]), Math.abs(bounds.low[1]), Math.abs(bounds.high[1]));
  const [hLow, hHigh] = [bounds.low[2], bounds.high[2]];
  const lowMax = Math.max(hLow, Math.min(hHigh, LOW_PUSH_MAX_HEIGHT));
  const idx = objectIndex(spec.stateLabels);
  const kinds = (Object.keys(mix) as SegmentKind[]).filter((k) => mix[k] > 0 && (idx !== null || k === 'wander'));
  const total = kinds.reduce((s, k) => s + mix[k], 0);
  if (kinds.length === 0 || !(total > 0)) throw new Error('exploration mix has no usable segment kind');
  const segments: SegmentKind[] = [];
  let seg: Segment | null = null;
  // OU state: angle offset (rad) and relative speed for pushes; velocity for wandering.
  let angleNoise = 0;
  let speedNoise = 0;
  let wander: [number, number] = [0, 0];

  const main = ((): SegmentKind => {
    let u = rng.uniform(0, total);
    for (const k of kinds) if ((u -= mix[k]) < 0) return k;
    return kinds[kinds.length - 1];
  })();

  const newSegment = (obs: Observation): Segment => {
    const kind = segments.length === 0 || main === 'slide-tip' || rng.next() < MAIN_SHARE ? main : 'wander';
    segments.push(kind);
    const left = rng.int(4, 16);
    const lateral = rng.uniform(-0.025, 0.025);
    const settle = rng.next() < SETTLE_SHARE;
    switch (kind) {
      case 'slide-tip': {
        // After the tip, high pushes only: dropping to a sliding height beside a bottle that is
        // still falling puts the pusher under it, and a bottle landing on the pusher bursts.
        const phase = SLIDE_TIP_PHASES[Math.min(segments.length, SLIDE_TIP_PHASES.length) - 1];
        const high = rng.uniform(Math.min(hHigh, HIGH_PUSH_MIN_HEIGHT), hHigh);
        if (phase === 'slide') return { kind, phase, settle, left, lateral, height: rng.uniform(hLow, lowMax), speed: (0.1 + 0.9 * rng.next() ** 1.5) * vmax };
        if (phase === 'tip') return { kind, phase, settle, left, lateral, height: high, speed: rng.uniform(0.3, 1) * vmax };
        // The push to come is turned 60-180 deg, either way, from the line the pusher is on now.
        const from = idx ? Math.atan2(obs.state[idx.z] - obs.proprio[2], obs.state[idx.x] - obs.proprio[0]) : 0;
        const pushAngle = from + (rng.next() < 0.5 ? -1 : 1) * rng.uniform(Math.PI / 3, Math.PI);
        return { kind, phase, settle, left: ROUND_STEPS, lateral: 0, height: high, speed: rng.uniform(0.5, 1) * vmax, pushAngle };
      }
      case 'push-low':
        return { kind, settle, left, lateral, height: rng.uniform(hLow, lowMax), speed: (0.1 + 0.9 * rng.next() ** 1.5) * vmax };
      case 'push-gentle':
        return { kind, settle, left, lateral, height: rng.uniform(hLow, lowMax), speed: rng.uniform(GENTLE_SPEED[0], GENTLE_SPEED[1]) * vmax };
      case 'push-high':
        return { kind, settle, left, lateral, height: rng.uniform(Math.min(hHigh, HIGH_PUSH_MIN_HEIGHT), hHigh), speed: rng.uniform(0.3, 1) * vmax };
      case 'press':
        return { kind, settle, left: left + 6, lateral: 0, height: hHigh, speed: vmax };
      case 'wander':
        wander = [rng.normal() * 0.5 * vmax, rng.normal() * 0.5 * vmax];
        // Wandering into the bottle high up tips it, so only tipping episodes wander at any height.
        return { kind, settle, left, lateral, height: rng.uniform(hLow, main === 'push-high' ? hHigh : lowMax), speed: 0.5 * vmax };
    }
  };

  const ou = (x: number, sigma: number): number => x - 0.3 * x + sigma * rng.normal();

  return {
    segments,
    act(obs: Observation): Vec3 {
      if (!seg || seg.left <= 0) seg = newSegment(obs);
      seg.left--;
      const px = obs.proprio[0];
      const pz = obs.proprio[2];
      if (seg.kind === 'wander' || !idx) {
        wander = [ou(wander[0], 0.3 * vmax), ou(wander[1], 0.3 * vmax)];
        return clampTo(bounds, [wander[0], wander[1], seg.height + 0.005 * rng.normal()]);
      }
      const bx = obs.state[idx.x];
      const bz = obs.state[idx.z];
      if (seg.phase === 'round' && seg.pushAngle !== undefined) {
        // Behind the bottle for the coming push: this segment is done, the high push comes next.
        if (Math.abs(wrapAngle(seg.pushAngle + Math.PI - Math.atan2(pz - bz, px - bx))) <= BOTTLE_APPROACH.behindWithin) seg.left = 0;
        const [tx, tz] = approachPoint(bx, bz, px, pz, seg.pushAngle, BOTTLE_APPROACH);
        const gap = Math.hypot(tx - px, tz - pz) || 1e-9;
        const speed = Math.min(seg.speed, gap / 0.1);
        return clampTo(bounds, [(speed * (tx - px)) / gap, (speed * (tz - pz)) / gap, seg.height]);
      }
      const dist = Math.hypot(bx - px, bz - pz) || 1e-9;
      // Aim beside the axis by `lateral`, perpendicular to the line of approach.
      const dx = bx - px - ((bz - pz) / dist) * seg.lateral;
      const dz = bz - pz + ((bx - px) / dist) * seg.lateral;
      angleNoise = ou(angleNoise, 0.12);
      speedNoise = ou(speedNoise, 0.1);
      const angle = Math.atan2(dz, dx) + angleNoise;
      let speed = seg.speed * (1 + speedNoise);
      let height = seg.height;
      // Settle to the push height before moving in: the height eases over a step, and a pusher
      // still high up when it reaches the bottle tips it instead of sliding it.
      if (seg.settle && Math.abs(obs.proprio[1] - height) > 0.02 && dist < 0.12 && seg.kind !== 'press') speed = 0;
      if (seg.kind === 'press') {
        // Come over the bottle at full height, then drive down onto it.
        if (dist < 0.03) {
          height = hLow;
          speed = Math.min(speed, dist / 0.1);
        }
      }
      return clampTo(bounds, [speed * Math.cos(angle), speed * Math.sin(angle), height]);
    },
  };
}

/** Per-episode behaviour of the object, judged from the recorded privileged states. */
export type Behaviour = 'slid' | 'tipped' | 'burst' | 'touched' | 'no-contact';
export const BEHAVIOUR_KINDS: readonly Behaviour[] = ['slid', 'tipped', 'burst', 'touched', 'no-contact'];

/** Displacement (m) and tilt (rad) beyond which the object counts as slid / tipped. */
export const SLID_DISPLACEMENT = 0.01;
export const TIPPED_TILT = (45 * Math.PI) / 180;

/**
 * burst if the burst flag was ever set; else tipped if the tilt ever passed 45 deg; else slid if
 * the centre ever moved more than 1 cm horizontally; else touched if the pusher touched it; else
 * no-contact. States are (T+1) rows of the task's stateLabels.
 */
export function classifyBehaviour(states: Float32Array, labels: readonly string[], touched: boolean): Behaviour {
  const S = labels.length;
  const rows = Math.floor(states.length / S);
  const col = (name: string): number => labels.indexOf(name);
  const [ix, iz, itilt, iburst] = [col('x'), col('z'), col('tilt'), col('burst')];
  let maxMove = 0;
  let maxTilt = 0;
  let burst = false;
  for (let t = 0; t < rows; t++) {
    const r = t * S;
    if (iburst >= 0 && states[r + iburst] > 0.5) burst = true;
    if (itilt >= 0) maxTilt = Math.max(maxTilt, states[r + itilt]);
    if (ix >= 0 && iz >= 0) maxMove = Math.max(maxMove, Math.hypot(states[r + ix] - states[ix], states[r + iz] - states[iz]));
  }
  if (burst) return 'burst';
  if (maxTilt > TIPPED_TILT) return 'tipped';
  if (maxMove > SLID_DISPLACEMENT) return 'slid';
  return touched ? 'touched' : 'no-contact';
}
