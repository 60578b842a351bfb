// `jepa-mpc bench`: every planner on every task over the same evaluation episodes, in worker
// threads; writes report.json, report.md (table) and success.svg (chart) into --out.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ensureWritableTarget, writeFileAtomic } from '../sim/atomicWrite.ts';
import { UserError } from '../sim/errors.ts';
import type { TaskOracleDefaults, TaskPlannerDefaults } from '../sim/task.ts';
import { loadTask } from '../sim/tasks/registry.ts';
import type { BackendChoice } from './backend.ts';
import { runBenchPool } from './benchPool.ts';
import type { BenchChunk, WorkerSetup } from './benchWorker.ts';
import type { EpisodeResult } from './mpc.ts';
import { EVAL_SEED_BASE, evalResetSeed } from './plan.ts';
import { resolveSettings } from './planners/factory.ts';
import type { SearchSettings } from './planners/modelPlanner.ts';
import type { PlannerName } from './planners/types.ts';
import { modelDirFor, type ModelLayout } from './modelDirs.ts';
import { formatBreakdown, markdownTable, speedups, summarize, type ReportCell } from './report.ts';
import { successChartSvg } from './reportChart.ts';
import { checkTargets } from './benchTargets.ts';

export interface BenchOptions {
  tasks: string[];
  planners: PlannerName[];
  /** Default 50, or 10 with --quick. */
  episodes?: number;
  seed: number;
  out: string;
  modelsDir: string;
  /** 'world': <modelsDir>/world[-generative] for every task; 'per-task': <modelsDir>/<task>[-generative]. */
  models?: ModelLayout;
  quick: boolean;
  workers?: number;
  backend: BackendChoice;
  execute: number;
  settings: Partial<SearchSettings>;
  commandLine?: string;
  /** Progress and messages; defaults to stderr (bar on a TTY, plain lines otherwise). */
  log?: (line: string) => void;
}

export interface BenchReport {
  format: 'jepa-mpc-bench';
  version: 1;
  command: string;
  seed: number;
  seedScheme: string;
  episodes: number;
  quick: boolean;
  workers: number;
  execute: number;
  settings: Record<string, SearchSettings>;
  /**
   * Per task: its planner defaults (TaskDefinition.plannerDefaults), which the model planners used
   * below the flags, so below `settings`; keypointWeight only with a model trained with keypoints.
   */
  taskPlannerDefaults: Record<string, TaskPlannerDefaults>;
  /** Per task: the oracle's search (TaskDefinition.oracleDefaults), below the flags, so below `settings`. */
  taskOracleDefaults: Record<string, TaskOracleDefaults>;
  models: Record<string, string>;
  /** Per task: the distractor level its models were trained at, at which their episodes render (docs/distractors.md). */
  distractors: Record<string, number>;
  cells: (ReportCell & { episodes: (EpisodeResult & { episode: number })[] })[];
  wallSeconds: number;
}


const CHUNK = 5;

/** The distractor level in a checkpoint's config.json (read as JSON: the workers load and check the model itself, with tfjs). */
function trainedLevel(dir: string): number {
  let config: { envSpec?: { distractors?: unknown } };
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read '${join(dir, 'config.json')}': ${(e as Error).message}`, 'retrain the model into that folder');
  }
  const level = config.envSpec?.distractors ?? 0;
  return typeof level === 'number' ? level : Number.NaN;
}

/**
 * The distractor level of a task's models (0 without models): each renders its episodes at the
 * level it was trained at, so the planners of one task would see different scenes if they differed.
 */
function modelsLevel(taskId: string, planners: readonly PlannerName[], models: Record<string, string>): number {
  const levels = new Map<number, string[]>();
  for (const p of planners) {
    const dir = models[`${taskId}/${p}`];
    if (!dir) continue;
    const level = trainedLevel(dir);
    levels.set(level, [...(levels.get(level) ?? []), dir]);
  }
  if (levels.size > 1) {
    const list = [...levels].map(([l, dirs]) => `${dirs.join(', ')} at level ${l}`).join('; ');
    throw new UserError(`the models for task ${taskId} were trained at different distractor levels (${list})`,
      'bench models trained on data of one --distractors level together (one --models-dir per level)');
  }
  return [...levels.keys()][0] ?? 0;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const episodes = o.episodes ?? (o.quick ? 10 : 50);
  evalResetSeed(o.seed, episodes - 1);
  ensureWritableTarget(join(o.out, 'report.json'), 'report');
  // Validate everything up front, so a missing model fails in a second, not after ten minutes.
  const tasks = await Promise.all(o.tasks.map(async (spec) => ({ spec, def: await loadTask(spec) })));
  const ids = tasks.map((t) => t.def.id);
  if (new Set(ids).size !== ids.length) throw new UserError(`--tasks lists the same task twice (${ids.join(', ')})`, 'list each task once');
  const layout = o.models ?? 'world';
  const models: Record<string, string> = {};
  const missing = new Map<string, string[]>();
  for (const { def } of tasks) {
    for (const p of o.planners) {
      const dir = modelDirFor(o.modelsDir, def.id, p, layout);
      if (!dir) continue;
      models[`${def.id}/${p}`] = dir;
      if (!existsSync(join(dir, 'config.json'))) missing.set(dir, [...(missing.get(dir) ?? []), p]);
    }
  }
  if (missing.size > 0) {
    const list = [...missing].map(([dir, ps]) => `${dir} (for ${ps.join(', ')})`).join('; ');
    throw new UserError(`missing trained models: ${list}`,
      layout === 'world'
        ? `train them (jepa-mpc train --data data/slide.h5,data/tip.h5,data/fragile.h5 --out ${o.modelsDir}/world [--model generative --out ${o.modelsDir}/world-generative]), point --models-dir elsewhere, or leave those planners out of --planners`
        : `train them (jepa-mpc train --data data/<task>.h5 --out ${o.modelsDir}/<task> [--model generative --out ${o.modelsDir}/<task>-generative]), use --models world, or leave those planners out of --planners`);
  }
  const distractors = Object.fromEntries(tasks.map(({ def }) => [def.id, modelsLevel(def.id, o.planners, models)]));
  const settings = Object.fromEntries(o.planners.map((p) => [p, resolveSettings(p, o.settings)]));

  const chunks: BenchChunk[] = [];
  for (const { spec, def } of tasks) {
    for (const p of o.planners) {
      for (let s = 0; s < episodes; s += CHUNK) {
        chunks.push({ task: spec, planner: p, model: models[`${def.id}/${p}`], episodes: Array.from({ length: Math.min(CHUNK, episodes - s) }, (_, k) => s + k) });
      }
    }
  }
  const workers = Math.max(1, Math.min(o.workers ?? Math.min(2, availableParallelism()), chunks.length));
  const setup: WorkerSetup = { seed: o.seed, backend: o.backend, execute: o.execute, settings: o.settings };
  const results = new Map<string, (EpisodeResult & { episode: number })[]>();
  const total = chunks.reduce((s, c) => s + c.episodes.length, 0);
  const progress = makeProgress(total, log);
  const start = performance.now();
  log(`bench: ${ids.join(', ')} x ${o.planners.join(', ')}, ${episodes} episodes each (seeds ${EVAL_SEED_BASE + o.seed}..${EVAL_SEED_BASE + o.seed + episodes - 1}), ${workers} worker${workers > 1 ? 's' : ''}`);
  try {
    await runBenchPool(chunks, setup, workers, (chunk, episode, result) => {
      const key = `${chunk.task}\u0000${chunk.planner}`;
      const list = results.get(key) ?? [];
      list.push({ episode, ...result });
      results.set(key, list);
      progress.tick(`${chunk.planner} on ${chunk.task}`);
    });
  } finally {
    progress.stop();
  }
  const wallSeconds = (performance.now() - start) / 1000;

  const cells: BenchReport['cells'] = [];
  for (const { spec, def } of tasks) {
    for (const p of o.planners) {
      const eps = (results.get(`${spec}\u0000${p}`) ?? []).sort((a, b) => a.episode - b.episode);
      cells.push({ task: def.id, planner: p, summary: summarize(eps), episodes: eps });
    }
  }
  const report: BenchReport = {
    format: 'jepa-mpc-bench', version: 1, command: o.commandLine ?? '', seed: o.seed,
    seedScheme: `episode i resets the env with seed ${EVAL_SEED_BASE} + ${o.seed} + i; the planner RNG uses deriveSeed(seed ^ 0x2545f491, i)`,
    episodes, quick: o.quick, workers, execute: o.execute, settings,
    taskPlannerDefaults: Object.fromEntries(tasks.map(({ def }) => [def.id, def.plannerDefaults ?? {}])),
    taskOracleDefaults: Object.fromEntries(tasks.map(({ def }) => [def.id, def.oracleDefaults ?? {}])), models, distractors, cells, wallSeconds,
  };
  writeOutputs(o.out, report);
  log(markdownTable(cells));
  log(`bench: wrote ${join(o.out, 'report.json')}, report.md, success.svg in ${wallSeconds.toFixed(0)} s`);
  return report;
}

function writeOutputs(out: string, report: BenchReport): void {
  const cells = report.cells;
  const md = [
    `# Planning benchmark`,
    '',
    report.command ? `Command: \`jepa-mpc ${report.command}\`` : '',
    '',
    `${report.episodes} episodes per planner and task; ${report.seedScheme}. Every planner sees the same episodes.`,
    ...Object.entries(report.distractors).filter(([, l]) => l > 0).map(([t, l]) => `Task ${t} renders at distractor level ${l}, the level its models were trained at (docs/distractors.md).`),
    `Success rate with its 95% Wilson interval. The planning-time columns are wall-clock measurements`,
    `(one plan() call = one MPC step, ${report.execute} action(s) executed per replan) and vary between runs;`,
    `every other column is identical for the same command.`,
    '',
    markdownTable(cells),
    '',
    ...speedups(cells).map((s) => `- ${s.task}: ${s.planner} plans ${s.factor.toFixed(1)}x faster than generative-cem (median ms per step)`),
    '',
    '## How the unsuccessful episodes ended',
    '',
    ...cells.filter((c) => c.summary.successes < c.summary.episodes).map((c) => `- ${c.task} / ${c.planner}: ${formatBreakdown(c.episodes)}`),
    '',
    '## Targets',
    '',
    ...targetLines(cells),
    '',
    `Wall time ${report.wallSeconds.toFixed(0)} s with ${report.workers} worker(s).`,
    '',
  ].join('\n');
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  writeFileAtomic(join(out, 'report.md'), md);
  writeFileAtomic(join(out, 'success.svg'), successChartSvg(cells, `Planning success (${report.episodes} episodes per cell)`));
}

function targetLines(cells: readonly ReportCell[]): string[] {
  const checks = checkTargets(cells);
  if (checks.length === 0) return ['(the targets concern jepa-cem; this run has no jepa-cem results)'];
  return checks.map((t) => `- ${t.ok ? 'met' : 'NOT met'}: ${t.text}`);
}

function makeProgress(total: number, log: (line: string) => void): { tick(label: string): void; stop(): void } {
  let done = 0;
  if (process.stderr.isTTY) {
    // A live bar only on a terminal; logs and CI get plain lines.
    let bar: { update(n: number, p: object): void; stop(): void } | undefined;
    void import('cli-progress').then(({ default: cp }) => {
      bar = new cp.SingleBar({ format: 'bench [{bar}] {value}/{total} episodes | {label} | eta {eta}s', hideCursor: true }, cp.Presets.shades_classic);
      (bar as unknown as { start(t: number, v: number, p: object): void }).start(total, done, { label: '' });
    });
    return { tick(label) { done++; bar?.update(done, { label }); }, stop() { bar?.stop(); } };
  }
  let lastPct = -1;
  return {
    tick(label) {
      done++;
      const pct = Math.floor((100 * done) / total / 10) * 10;
      if (pct !== lastPct || done === total) { lastPct = pct; log(`bench: ${done}/${total} episodes (${label})`); }
    },
    stop() {},
  };
}
