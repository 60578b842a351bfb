// Small shared fixtures for the agent tests: tiny model options and an in-memory training run.
import { syntheticEpisodes, syntheticSpec } from '../../agent/bench/syntheticEpisodes.ts';
import { defaultLoopOptions, defaultModelOptions, trainLoop, type LoopOptions, type ModelOptions } from '../../agent/trainLoop.ts';
import type { EnvSpec, EpisodeData } from '../../sim/types.ts';

export const tinyModel: ModelOptions = { ...defaultModelOptions, latent: 16, hidden: 64, predictorHidden: 64, k: 4 };
export const tinyLoop: LoopOptions = { ...defaultLoopOptions, steps: 100, batch: 32, evalEvery: 100, lr: 2e-3 };

export function syntheticData(episodes = 24, seed = 3): { episodes: EpisodeData[]; spec: EnvSpec } {
  const spec = syntheticSpec(16, 16);
  return { episodes: syntheticEpisodes(episodes, seed, spec), spec };
}

export async function trainTiny(out: string, data: { episodes: EpisodeData[]; spec: EnvSpec }, model: Partial<ModelOptions>, loop: Partial<LoopOptions>) {
  return trainLoop({ out, episodes: data.episodes, spec: data.spec, data: { path: 'memory', sha256: 'none', episodes: data.episodes.length }, backend: 'test', commandLine: 'test' },
    { ...tinyModel, ...model }, { ...tinyLoop, ...loop });
}
