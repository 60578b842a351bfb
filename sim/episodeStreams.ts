// The random streams of one episode, all derived from its seed.
import { Rng } from './rng.ts';

/**
 * An episode's random streams, all from its seed: the task's start and goal (forks 1 and 2, as
 * they always were), and the distractors' (fork 3 and forks of it), which never draw from the
 * task's. The distractors' process and the sensor noise take per-step seeds derived from these,
 * so a snapshot needs only the episode seed and the step to replay them.
 */
export function episodeStreams(seed: number) {
  const rng = new Rng(seed);
  const start = rng.fork(1);
  const goal = rng.fork(2);
  const d = rng.fork(3);
  return {
    start, goal,
    layout: d.fork(1), process: d.fork(2).nextUint32(), noise: d.fork(3).nextUint32(),
    goalLayout: d.fork(4), goalProcess: d.fork(5).nextUint32(), goalNoise: d.fork(6).nextUint32(),
  };
}
