// Tiny real datasets for the agent tests: episodes from the physics Env (a built-in task) through the
// sim's own exploration rollout, in memory or written to an HDF5 file like `collect` does.
import { DatasetWriter } from '../../sim/dataset.ts';
import { Env } from '../../sim/env.ts';
import { deriveSeed } from '../../sim/rng.ts';
import { rollout } from '../../sim/rollout.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import type { EnvSpec, EpisodeData } from '../../sim/types.ts';

export async function realEpisodes(count: number, seed: number, obsSize = 16, taskId = 'slide'): Promise<{ episodes: EpisodeData[]; spec: EnvSpec }> {
  const env = await Env.create({ task: builtinTasks[taskId], obsSize });
  try {
    const episodes = Array.from({ length: count }, (_, i) => rollout(env, deriveSeed(seed, i)).episode);
    return { episodes, spec: env.spec };
  } finally {
    env.free();
  }
}

export async function writeRealDataset(path: string, data: { episodes: EpisodeData[]; spec: EnvSpec }): Promise<void> {
  const spec = data.spec;
  const w = await DatasetWriter.create(path, {
    taskId: spec.taskId, envSpec: spec, collectSeed: 1, createdBy: 'agent test',
    taskConfig: {
      actionBounds: spec.actionBounds, maxSteps: spec.maxSteps, burstThreshold: (builtinTasks[spec.taskId] ?? builtinTasks.slide).burstThreshold,
      stateLabels: spec.stateLabels, controlDt: spec.controlDt, substeps: spec.substeps,
    },
  });
  data.episodes.forEach((e, i) => w.append(e, i));
  w.finish();
}
