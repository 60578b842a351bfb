// `npm run bench:subgoal`: would a hierarchy that first aims at a subgoal solve slide-then-tip
// with this model? Two measurements on held-out starts:
// 1. How the planner's goal distance (the scene part of the latent, and the keypoint dims alone)
//    ranks posed end states against the goal image: the bottle standing on the spot (the subgoal),
//    standing where it starts, and fallen the wrong way or in the wrong place.
// 2. Two-phase MPC with a posed subgoal: jepa-cem aims at the image of the bottle standing on the
//    spot until the bottle (read from the simulator, so this is an upper bound on a hierarchy
//    whose subgoal and switch are right) stands within --ready of it, then at the goal image.
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { initBackend, type BackendChoice } from '../backend.ts';
import { loadWorldModel } from '../checkpoint.ts';
import { envForModel, evalPlannerSeed, evalResetSeed } from '../plan.ts';
import { keypointColumns, goalDims, rowDistance } from '../planners/energy.ts';
import { createPlanner, SEARCH_DEFAULTS } from '../planners/factory.ts';
import { ACTION_DIM, type Planner } from '../planners/types.ts';
import type { WorldModel } from '../worldModel.ts';
import { UserError, formatUserError, isUserError } from '../../sim/errors.ts';
import { choiceFlag, floatFlag, floatListFlag, intFlag, textFlag } from '../../sim/flags.ts';
import { builtinTasks } from '../../sim/tasks/registry.ts';
import { BOTTLE_STATE_INDEX, DEG } from '../../sim/tasks/bottle.ts';
import { slideThenTipSpot } from '../../sim/tasks/slideThenTip.ts';
import type { Env } from '../../sim/env.ts';
import type { Observation } from '../../sim/types.ts';
import { renderPoses, slideThenTipPoses, standsAt } from './subgoalPoses.ts';

interface Options { model: string; seed: number; rankEpisodes: number; planEpisodes: number; ready: number; tipApproachWeights: number[]; tipKeypointWeight: number; backend: BackendChoice }

/** The poses are ranked by the planners' own goal distance. */
const DISTANCE = SEARCH_DEFAULTS.distance;
/** A standing bottle leans less than this (rad) when it is judged to stand on the spot. */
const UPRIGHT = 10 * DEG;

/** Mean distance of each pose's latent to the goal's, over the starts whose poses all fit the table, and how often the subgoal beat every fallen pose. */
function rankPoses(model: WorldModel, lying: Env, standing: Env, o: Options): string[] {
  const scene = goalDims(model) ?? model.latentDim;
  const kp = (model.keypointDims ?? 0) > 0 ? keypointColumns(model) : undefined;
  let names: string[] = [];
  let sums: number[][] = [];
  let counted = 0;
  const beats = [0, 0];
  for (let i = 0; i < o.rankEpisodes; i++) {
    const seed = evalResetSeed(o.seed, i);
    const obs = lying.reset(seed);
    standing.reset(seed);
    const poses = slideThenTipPoses([obs.state[BOTTLE_STATE_INDEX.x], obs.state[BOTTLE_STATE_INDEX.z]], lying.goal());
    const images = renderPoses(poses, lying, standing);
    if (!images) continue;
    if (names.length === 0) { names = poses.map((p) => p.name); sums = poses.map(() => [0, 0]); }
    const d = tf.tidy(() => {
      // Encoded as the planner encodes a goal: a scene at rest, its previous frame itself.
      const z = model.encode(images, images.map(() => obs.proprio), undefined, { depth: images, proprio: images.map(() => obs.proprio) });
      const goal = tf.slice(z, [0, 0], [1, -1]) as tf.Tensor2D;
      const part = (start: number, size: number) => rowDistance(tf.slice(z, [0, start], [-1, size]) as tf.Tensor2D, tf.slice(goal, [0, start], [1, size]) as tf.Tensor2D, DISTANCE);
      return [part(0, scene).arraySync(), kp ? part(kp.start, kp.size).arraySync() : poses.map(() => NaN)];
    });
    counted += 1;
    poses.forEach((_, j) => { sums[j][0] += d[0][j]; sums[j][1] += d[1][j]; });
    const sub = poses.findIndex((p) => p.subgoal);
    for (const m of [0, 1]) if (poses.every((p, j) => p.onTheWay || d[m][sub] < d[m][j])) beats[m] += 1;
  }
  if (counted === 0) throw new UserError(`none of the ${o.rankEpisodes} starts has all its poses inside the workspace`, 'pass a larger --rank-episodes');
  const f = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(3));
  return [
    `## How the goal distance ranks posed end states (${counted} starts of ${o.rankEpisodes}; the others have a pose off the table)`,
    '',
    `| pose | scene ${DISTANCE.toUpperCase()} to the goal | keypoint ${DISTANCE.toUpperCase()} to the goal |`,
    '|---|---|---|',
    ...names.map((n, j) => `| ${n} | ${f(sums[j][0] / counted)} | ${f(sums[j][1] / counted)} |`),
    '',
    `Standing on the spot is nearer the goal than every fallen pose at ${beats[0]}/${counted} starts by the scene distance, ${kp ? `${beats[1]}/${counted}` : '— (no keypoints)'} by the keypoints'.`,
    '',
  ];
}

interface PhaseRun { success: boolean; switchedAt: number; steps: number; outcome: string }

/** One episode: the slide planner toward the subgoal image, then the task's planner toward the goal image. */
function twoPhase(env: Env, standing: Env, slidePlanner: Planner, tipPlanner: Planner, i: number, o: Options): PhaseRun {
  const resetSeed = evalResetSeed(o.seed, i);
  let obs: Observation = env.reset(resetSeed);
  const goalObs = env.goalObservation();
  const [sx, sz] = slideThenTipSpot(env.goal());
  standing.reset(resetSeed);
  standing.setGoal(Float32Array.from([sx, sz]));
  slidePlanner.begin(standing.goalObservation(), evalPlannerSeed(o.seed, i));
  let planner = slidePlanner;
  let previous: Observation | undefined;
  let switchedAt = -1;
  for (let step = 0; ; step++) {
    if (switchedAt < 0 && standsAt(obs.state, sx, sz, o.ready, UPRIGHT)) {
      switchedAt = step;
      planner = tipPlanner;
      planner.begin(goalObs, evalPlannerSeed(o.seed, i));
    }
    const plan = planner.plan(obs, { previous });
    planner.advance(1);
    const r = env.step(plan.actions.slice(0, ACTION_DIM));
    previous = obs;
    obs = r.observation;
    if (r.terminated || r.truncated) {
      const out = env.outcome();
      return { success: out.success, switchedAt, steps: step + 1, outcome: out.kind === 'failure' && /fell/.test(out.reason) ? 'fell' : out.kind };
    }
  }
}

function planTwoPhase(model: WorldModel, env: Env, standing: Env, o: Options): string[] {
  const slidePlanner = createPlanner('jepa-cem', { env, model, task: builtinTasks.slide });
  const rows: string[] = [];
  try {
    for (const w of o.tipApproachWeights) {
      const tipPlanner = createPlanner('jepa-cem', { env, model, task: builtinTasks['slide-then-tip'], settings: { approachWeight: w, keypointWeight: o.tipKeypointWeight } });
      try {
        const runs: PhaseRun[] = [];
        for (let i = 0; i < o.planEpisodes; i++) {
          runs.push(twoPhase(env, standing, slidePlanner, tipPlanner, i, o));
          process.stderr.write(`subgoal: approach weight ${w}, episode ${i + 1}/${o.planEpisodes}: ${runs[i].outcome}, switched at step ${runs[i].switchedAt}\n`);
        }
        const reached = runs.filter((r) => r.switchedAt >= 0);
        const count = (k: string) => reached.filter((r) => r.outcome === k).length;
        const fallSteps = reached.filter((r) => r.outcome === 'fell').map((r) => r.steps - r.switchedAt).sort((a, b) => a - b);
        const median = fallSteps.length ? `${fallSteps[Math.floor(fallSteps.length / 2)]}` : '—';
        rows.push(`| ${w} | ${runs.filter((r) => r.success).length}/${runs.length} | ${reached.length}/${runs.length} | ${count('timeout')} | ${count('fell')} (${median}) | ${count('burst')} |`);
      } finally {
        tipPlanner.dispose();
      }
    }
  } finally {
    slidePlanner.dispose();
  }
  return [
    `## Two-phase plans with a posed subgoal (${o.planEpisodes} starts; switch once the bottle stands within ${(o.ready * 100).toFixed(1)} cm of the spot)`,
    '',
    `The first phase plans with slide's defaults, the second with slide-then-tip's, the approach weight shown and keypoint weight ${o.tipKeypointWeight}.`,
    '',
    '| approach weight after the switch | success | reached the spot | of those: timed out | fell (median steps after the switch) | burst |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

async function main(): Promise<void> {
  const o = new Command()
    .description('slide-then-tip: how the goal distance ranks posed end states, and two-phase plans through a posed subgoal (an upper bound on a hierarchy)')
    .option('--model <dir>', 'JEPA checkpoint', textFlag('a checkpoint directory'), 'models/world')
    .option('--seed <n>', 'evaluation seed (held-out starts)', intFlag(0), 424242)
    .option('--rank-episodes <n>', 'starts whose posed end states are ranked', intFlag(1), 40)
    .option('--plan-episodes <n>', 'two-phase episodes per approach weight (0: skip)', intFlag(0), 20)
    .option('--ready <m>', 'the switch: the bottle stands this close to the spot (m)', floatFlag(0.001), 0.015)
    .option('--tip-approach-weights <list>', 'approach weights of the second phase, comma-separated', floatListFlag(0), [0, 1])
    .option('--tip-keypoint-weight <w>', 'keypoint weight of the second phase (0: slide-then-tip\'s own, none)', floatFlag(0), 0)
    .option('--backend <name>', 'tfjs backend', choiceFlag<BackendChoice>(['auto', 'tensorflow', 'wasm', 'cpu']), 'wasm')
    .parse(process.argv)
    .opts<Options>();
  if (!existsSync(o.model)) throw new UserError(`model directory '${o.model}' does not exist`, 'pass --model <a JEPA checkpoint>, e.g. models/world');
  await initBackend(o.backend);
  const model = await loadWorldModel(o.model);
  if (model.kind !== 'jepa') throw new UserError(`'${o.model}' is a ${model.kind} model; this bench reads a JEPA's latent`, 'pass --model <a JEPA checkpoint>, e.g. models/world');
  if (o.tipKeypointWeight > 0 && !((model.keypointDims ?? 0) > 0)) {
    throw new UserError(`--tip-keypoint-weight ${o.tipKeypointWeight} needs a model with keypoint dims, and '${o.model}' has none`,
      'drop --tip-keypoint-weight, or pass --model <a checkpoint trained with --keypoints 4>, e.g. models/world');
  }
  const lying = await envForModel(builtinTasks['slide-then-tip'], model, undefined, o.model);
  const standing = await envForModel(builtinTasks.slide, model, undefined, o.model);
  try {
    const lines = [`# slide-then-tip through a subgoal: ${o.model}, seed ${o.seed}`, '', ...rankPoses(model, lying, standing, o)];
    if (o.planEpisodes > 0) lines.push(...planTwoPhase(model, lying, standing, o));
    process.stdout.write(lines.join('\n'));
  } finally {
    lying.free();
    standing.free();
    model.dispose();
  }
}

main().catch((e: unknown) => {
  if (isUserError(e)) {
    process.stderr.write(formatUserError(e) + '\n');
    process.exit(1);
  }
  throw e;
});
