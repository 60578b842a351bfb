// One episode: reset the environment with a seed, let a policy act until the episode terminates
// or is truncated, and return the flat arrays the dataset stores. The policy's generator is
// derived from the same seed, so an episode is a pure function of (task, obs size, seed).
import type { Env } from './env.ts';
import { classifyBehaviour, explorationMixFor, makeExplorer, type ExplorationMix, type ExplorationPolicy } from './explore.ts';
import { Rng, deriveSeed } from './rng.ts';
import type { EpisodeData, Observation } from './types.ts';

/** Salt that separates the policy's random stream from the environment's (which uses `seed`). */
const POLICY_SALT = 0x9e11;

/**
 * Steps recorded after an episode terminates (not after a timeout), with the policy still acting
 * (Env.runOn): a second of the world going on. Without them a model never sees a bottle lying at
 * rest — slide episodes end at a 45 deg lean and tip episodes at 70 deg — yet that is what a tip
 * goal image shows.
 */
export const DEFAULT_TAIL_STEPS = 10;

export interface RolloutResult {
  episode: EpisodeData;
  /** Did the pusher touch a task object at any step. */
  touched: boolean;
  /** Largest pusher contact force on an object (N) during the episode. */
  maxContactForce: number;
}

/**
 * Run one episode with `policy` (default: the seeded exploration policy for this seed, with the
 * task's mix), and `tailSteps` more after it terminates.
 */
export function rollout(env: Env, seed: number, policy?: ExplorationPolicy, mix?: ExplorationMix, tailSteps = DEFAULT_TAIL_STEPS): RolloutResult {
  const spec = env.spec;
  const hw = env.spec.obsSize.width * env.spec.obsSize.height;
  const S = spec.stateLabels.length;
  const maxT = spec.maxSteps + tailSteps;
  let obs: Observation = env.reset(seed);
  const pol = policy ?? makeExplorer(spec, new Rng(deriveSeed(seed, POLICY_SALT)), mix ?? explorationMixFor(env.task));
  const depthLen = obs.depth.length;
  if (depthLen !== 0 && depthLen !== hw) throw new Error(`depth has ${depthLen} values, expected ${hw}`);
  const depth = new Float32Array((maxT + 1) * depthLen);
  const proprio = new Float32Array((maxT + 1) * 3);
  const state = new Float32Array((maxT + 1) * S);
  const actions = new Float32Array(maxT * 3);
  const terminations = new Uint8Array(maxT);
  const truncations = new Uint8Array(maxT);
  const record = (t: number, o: Observation): void => {
    depth.set(o.depth, t * depthLen);
    proprio.set(o.proprio, t * 3);
    state.set(o.state, t * S);
  };
  record(0, obs);
  let T = 0;
  let touched = false;
  let maxForce = 0;
  let outcome = env.outcome();
  let end = -1;
  let tail = 0;
  while (T < maxT) {
    const a = pol.act(obs);
    actions.set(a, T * 3);
    const r = env.step(a);
    obs = r.observation;
    T++;
    record(T, obs);
    terminations[T - 1] = r.terminated ? 1 : 0;
    truncations[T - 1] = r.truncated ? 1 : 0;
    if (end >= 0) {
      if (++tail >= tailSteps) break;
      continue;
    }
    touched ||= r.info.contact;
    maxForce = Math.max(maxForce, r.info.maxContactForce);
    outcome = r.info.outcome;
    if (r.truncated || (r.terminated && tailSteps === 0)) break;
    if (r.terminated) {
      end = T;
      env.runOn();
    }
  }
  const states = state.slice(0, (T + 1) * S);
  // The behaviour is the episode's, judged up to its end.
  const judged = end >= 0 ? state.slice(0, (end + 1) * S) : states;
  return {
    touched,
    maxContactForce: maxForce,
    episode: {
      seed, length: T, goal: env.goal(), outcome,
      depth: depth.slice(0, (T + 1) * depthLen),
      proprio: proprio.slice(0, (T + 1) * 3),
      actions: actions.slice(0, T * 3),
      state: states,
      terminations: terminations.slice(0, T),
      truncations: truncations.slice(0, T),
      behaviour: classifyBehaviour(judged, spec.stateLabels, touched),
      ...(tail > 0 ? { tail } : {}),
    },
  };
}
