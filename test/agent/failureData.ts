// Synthetic episodes with failures, for the failure-head tests: the procedural pusher world of
// agent/bench/syntheticEpisodes.ts, where a high push that reaches the bottle tips it. Here the
// first tip ends the episode as a 'failure' (terminated after that transition), as a fall does in
// the real tasks; every third episode that never tips ends early as a 'success' (terminated, a
// negative), the rest run to the step limit ('timeout', truncated).
import type { EnvSpec, EpisodeData } from '../../sim/types.ts';
import { syntheticData } from './helpers.ts';

function cut(e: EpisodeData, T: number, hw: number, S: number): EpisodeData {
  return {
    ...e, length: T,
    depth: e.depth.slice(0, (T + 1) * hw), proprio: e.proprio.slice(0, (T + 1) * 3), state: e.state.slice(0, (T + 1) * S),
    actions: e.actions.slice(0, T * 3), terminations: new Uint8Array(T), truncations: new Uint8Array(T),
  };
}

export function syntheticFailureData(episodes: number, seed: number): { episodes: EpisodeData[]; spec: EnvSpec } {
  const data = syntheticData(episodes, seed);
  const hw = data.spec.obsSize.width * data.spec.obsSize.height;
  const S = data.spec.stateLabels.length;
  const tiltCol = data.spec.stateLabels.indexOf('tilt');
  const out = data.episodes.map((e, i) => {
    let tip = -1;
    for (let t = 0; t < e.length; t++) if (e.state[(t + 1) * S + tiltCol] > 0) { tip = t; break; }
    if (tip >= 0) {
      const c = cut(e, tip + 1, hw, S);
      c.terminations[tip] = 1;
      c.outcome = { kind: 'failure', success: false, reason: 'tipped (synthetic)', distance: 0 };
      return c;
    }
    if (i % 3 === 0) {
      const T = Math.max(2, e.length - 5);
      const c = cut(e, T, hw, S);
      c.terminations[T - 1] = 1;
      c.outcome = { kind: 'success', success: true, reason: 'synthetic success', distance: 0 };
      return c;
    }
    return e;
  });
  return { episodes: out, spec: data.spec };
}
