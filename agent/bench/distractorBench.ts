// `npm run bench:distractors`: does predicting in representation space hold up when the camera
// sees things that cannot be predicted? For each distractor level, the project's own commands:
// collect the task's data at that level, train the JEPA and the generative baseline on it with
// the same steps and batch, and bench both planners on the same held-out starts. Writes
// report.json, report.md (table and targets) and success-by-level.svg into --out.
// The defaults fit about an hour on a shared 2-core machine: 300 episodes, 1200 training steps
// per model, 30 bench episodes per cell. A level whose dataset, checkpoint or bench report is
// already in --out is reused, so an interrupted run continues where it stopped.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { writeFileAtomic } from '../../sim/atomicWrite.ts';
import { MAX_DISTRACTOR_LEVEL, distractorLevel } from '../../sim/distractorLevels.ts';
import { UserError, formatUserError, isUserError } from '../../sim/errors.ts';
import { intFlag, intListFlag } from '../../sim/flags.ts';
import type { BenchReport } from '../bench.ts';
import { distractorTable, distractorTargets, successByLevelSvg, type LevelRow } from '../distractorReport.ts';
import { modelDirFor } from '../modelDirs.ts';
import type { MetricsRecord } from '../trainLoop.ts';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../cli.ts');
const PLANNERS = ['jepa-cem', 'generative-cem'] as const;

interface Options { task: string; levels: number[]; episodes: number; steps: number; keypoints: number; benchEpisodes: number; seed: number; benchSeed: number; out: string; workers?: number }

/** Run `jepa-mpc <args>` in a child process (a fresh tfjs per command), its output passed through; returns the wall seconds. */
function jepaMpc(args: string[]): Promise<number> {
  const t0 = performance.now();
  process.stderr.write(`\n$ jepa-mpc ${args.join(' ')}\n`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...process.execArgv, CLI, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (code === 0) done((performance.now() - t0) / 1000);
      else fail(new UserError(`'jepa-mpc ${args.join(' ')}' failed (${signal ?? `exit ${code}`})`, 'see its message above; rerun to continue from what is already in --out'));
    });
  });
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/**
 * The checkpoint's last validation record, if it was trained to `steps`; a checkpoint with other
 * keypoints than asked is refused rather than reused.
 */
function finishedCheckpoint(dir: string, steps: number, keypoints: number): MetricsRecord | undefined {
  if (!existsSync(join(dir, 'config.json'))) return undefined;
  const cfg = readJson<{ training: { step: number }; metrics?: MetricsRecord; model?: { encoder?: { keypoints?: number } } }>(join(dir, 'config.json'));
  const has = cfg.model?.encoder?.keypoints ?? 0;
  if (has !== keypoints) {
    throw new UserError(`'${dir}' was trained with ${has} keypoints, not ${keypoints}`, `remove '${dir}' (and its level's bench/) to train it again, or pass --keypoints ${has}`);
  }
  return cfg.training.step === steps ? cfg.metrics : undefined;
}

async function runLevel(o: Options, level: number): Promise<LevelRow[]> {
  const dir = join(o.out, `d${level}`);
  mkdirSync(dir, { recursive: true });
  const data = join(dir, `${o.task}.h5`);
  if (!existsSync(data)) {
    await jepaMpc(['collect', '--task', o.task, '--episodes', `${o.episodes}`, '--seed', `${o.seed}`, '--distractors', `${level}`, '--out', data,
      ...(o.workers ? ['--workers', `${o.workers}`] : [])]);
  }
  const trainSeconds: Record<string, number> = {};
  const metrics: Record<string, MetricsRecord> = {};
  for (const planner of PLANNERS) {
    // Each level's models are that task's own: bench finds them by the same per-task layout.
    const model = modelDirFor(dir, o.task, planner, 'per-task')!;
    const keypoints = planner === 'generative-cem' ? 0 : o.keypoints;
    let m = finishedCheckpoint(model, o.steps, keypoints);
    if (!m) {
      trainSeconds[planner] = await jepaMpc(['train', '--data', data, '--out', model, '--steps', `${o.steps}`, '--eval-every', `${o.steps}`,
        ...(planner === 'generative-cem' ? ['--model', 'generative'] : ['--keypoints', `${o.keypoints}`])]);
      m = finishedCheckpoint(model, o.steps, keypoints);
    } else {
      trainSeconds[planner] = m.seconds;
    }
    if (!m) throw new UserError(`train did not leave a checkpoint at step ${o.steps} in '${model}'`, 'rerun the benchmark');
    metrics[planner] = m;
  }
  const benchOut = join(dir, 'bench');
  if (!existsSync(join(benchOut, 'report.json'))) {
    await jepaMpc(['bench', '--tasks', o.task, '--planners', PLANNERS.join(','), '--episodes', `${o.benchEpisodes}`, '--seed', `${o.benchSeed}`,
      '--models-dir', dir, '--models', 'per-task', '--out', benchOut, ...(o.workers ? ['--workers', `${o.workers}`] : [])]);
  }
  const report = readJson<BenchReport>(join(benchOut, 'report.json'));
  if ((report.distractors?.[o.task] ?? 0) !== level) {
    throw new UserError(`'${join(benchOut, 'report.json')}' was benched at distractor level ${report.distractors?.[o.task]}, not ${level}`, `remove '${benchOut}' and rerun`);
  }
  return PLANNERS.map((planner) => {
    const cell = report.cells.find((c) => c.planner === planner);
    if (!cell) throw new UserError(`'${join(benchOut, 'report.json')}' has no ${planner} cell`, `remove '${benchOut}' and rerun`);
    const m = metrics[planner];
    return { level, planner, summary: cell.summary, probeR2: m.val.probeR2, probePrediction: m.val.probePrediction, trainSeconds: trainSeconds[planner] };
  });
}

function reportMarkdown(o: Options, rows: LevelRow[], wallSeconds: number): string {
  return [
    '# Planning under distractors',
    '',
    `Task ${o.task}; levels ${o.levels.join(', ')} (docs/distractors.md). Per level: \`collect --episodes ${o.episodes} --seed ${o.seed} --distractors L\`,`,
    `then \`train --steps ${o.steps}\` of the JEPA (\`--keypoints ${o.keypoints}\`) and of the generative baseline (\`--model generative\`) on that data`,
    `(batch and every other flag at their defaults, the same for both), then \`bench --episodes ${o.benchEpisodes} --seed ${o.benchSeed}\` of jepa-cem and generative-cem, whose`,
    'episodes render at the level their models were trained at. Probe R² and the probe prediction error come from the',
    'checkpoint\'s validation on held-out episodes of the same level, on the frames that show the bottle (not burst, its centre',
    'in the image): a linear probe reads the bottle from the latent; the prediction error is the RMSE of the bottle\'s (x, z)',
    'read from the latent the predictor rolled out h steps, against the true state; the floor is the same read from the',
    'encoded true observation at t + h.',
    '',
    distractorTable(rows),
    '',
    '## Targets',
    '',
    ...distractorTargets(rows).map((t) => `- ${t.ok ? 'met' : 'NOT met'}: ${t.text}`),
    '',
    `Wall time ${(wallSeconds / 60).toFixed(1)} min.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = new Command()
    .description('Collect, train (JEPA and generative baseline) and bench at each distractor level; writes report.md, report.json, success-by-level.svg')
    .option('--task <id|file>', 'task', 'slide')
    .option('--levels <list>', `distractor levels, comma-separated (0-${MAX_DISTRACTOR_LEVEL})`, intListFlag(0, MAX_DISTRACTOR_LEVEL), [0, 1, 2, 3])
    .option('--episodes <n>', 'episodes collected per level', intFlag(10), 300)
    .option('--steps <n>', 'training steps of each model', intFlag(1), 1200)
    // As models/world is trained; the generative model has no keypoints.
    .option('--keypoints <n>', 'keypoints of the JEPA\'s depth encoder (train --keypoints)', intFlag(0, 16), 4)
    .option('--bench-episodes <n>', 'bench episodes per planner and level', intFlag(1), 30)
    .option('--seed <n>', 'collect seed', intFlag(0), 1)
    .option('--bench-seed <n>', 'bench evaluation seed (held-out starts)', intFlag(0), 1000)
    .option('--workers <n>', 'worker threads of collect and bench (default: theirs)', intFlag(1, 64))
    .option('--out <dir>', 'output folder (datasets, checkpoints, bench reports per level, and the report)', 'bench/report-distractors')
    .parse(process.argv)
    .opts<Options>();
  o.levels.forEach((l) => distractorLevel(l, '--levels'));
  const t0 = performance.now();
  const rows: LevelRow[] = [];
  for (const level of [...o.levels].sort((a, b) => a - b)) rows.push(...await runLevel(o, level));
  const wall = (performance.now() - t0) / 1000;
  writeFileAtomic(join(o.out, 'report.json'), JSON.stringify({ format: 'jepa-mpc-distractor-bench', version: 1, options: o, rows, wallSeconds: wall }, null, 1) + '\n');
  writeFileAtomic(join(o.out, 'report.md'), reportMarkdown(o, rows, wall));
  writeFileAtomic(join(o.out, 'success-by-level.svg'), successByLevelSvg(rows, `${o.task}: success by distractor level (${o.benchEpisodes} episodes per point)`));
  process.stderr.write(`\n${distractorTable(rows)}\n\nbench:distractors: wrote ${join(o.out, 'report.md')}, report.json, success-by-level.svg in ${(wall / 60).toFixed(1)} min\n`);
}

main().catch((e: unknown) => {
  if (isUserError(e)) {
    process.stderr.write(formatUserError(e) + '\n');
    process.exit(1);
  }
  throw e;
});
