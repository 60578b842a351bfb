// Turning episode results into the numbers a user reads: success rate with a 95% Wilson interval,
// mean final distance, burst rate, median and p95 planning time per MPC step; and the Markdown
// table of the benchmark report.
import type { EpisodeResult } from './mpc.ts';

/** 95% Wilson score interval for k successes out of n (well-behaved at 0 and n, unlike k/n ± ...). */
export function wilsonInterval(k: number, n: number, z = 1.959964): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Linear-interpolated quantile of a list (NaN when empty). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export interface Summary {
  episodes: number;
  successes: number;
  successRate: number;
  successLow: number;
  successHigh: number;
  meanFinalDistance: number;
  bursts: number;
  burstRate: number;
  meanSteps: number;
  /** Over every plan() call of every episode. */
  medianPlanningMs: number;
  p95PlanningMs: number;
}

export function summarize(results: readonly EpisodeResult[]): Summary {
  const n = results.length;
  const successes = results.filter((r) => r.success).length;
  const bursts = results.filter((r) => r.burst).length;
  const ci = wilsonInterval(successes, n);
  const ms = results.flatMap((r) => r.planningMs);
  const finite = results.map((r) => r.finalDistance).filter(Number.isFinite);
  return {
    episodes: n,
    successes,
    successRate: n ? successes / n : Number.NaN,
    successLow: ci.low,
    successHigh: ci.high,
    meanFinalDistance: finite.length ? finite.reduce((s, d) => s + d, 0) / finite.length : Number.NaN,
    bursts,
    burstRate: n ? bursts / n : Number.NaN,
    meanSteps: n ? results.reduce((s, r) => s + r.steps, 0) / n : Number.NaN,
    medianPlanningMs: quantile(ms, 0.5),
    p95PlanningMs: quantile(ms, 0.95),
  };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '–');
const num = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** One line per episode, for the `plan` command. */
export function formatEpisodeLine(index: number, r: EpisodeResult): string {
  const median = quantile(r.planningMs, 0.5);
  return `episode ${String(index).padStart(3)}  seed ${r.resetSeed}  ${r.outcome.kind.padEnd(7)}  ` +
    `final distance ${num(r.finalDistance, 3)}  burst ${r.burst ? 'yes' : 'no '}  steps ${String(r.steps).padStart(3)}  ` +
    `planning ${num(median, 1)} ms/step (median)${r.outcome.reason ? `  (${r.outcome.reason})` : ''}`;
}

export function formatSummaryLine(label: string, s: Summary): string {
  return `${label}: success ${s.successes}/${s.episodes} = ${pct(s.successRate)} (95% CI ${pct(s.successLow)}–${pct(s.successHigh)}), ` +
    `mean final distance ${num(s.meanFinalDistance, 3)}, burst ${pct(s.burstRate)}, ` +
    `planning median ${num(s.medianPlanningMs, 1)} ms, p95 ${num(s.p95PlanningMs, 1)} ms per MPC step`;
}

/**
 * How the episodes that did not succeed ended, most common first. Reasons are grouped by their
 * wording without the measured detail ("bottle fell over (tilt 62 deg)" -> "bottle fell over"),
 * so a user sees at a glance whether a planner loses episodes to falls, bursts or the clock.
 */
export function failureBreakdown(results: readonly EpisodeResult[]): { reason: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const r of results) {
    if (r.success) continue;
    const reason = r.outcome.reason.split(/[(:]/)[0].replace(/\s+at\s*$/, '').trim() || r.outcome.kind;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** "7 bottle fell over, 3 no success within 40 steps" (empty when every episode succeeded). */
export function formatBreakdown(results: readonly EpisodeResult[]): string {
  return failureBreakdown(results).map(({ reason, count }) => `${count} ${reason}`).join(', ');
}

export interface ReportCell {
  task: string;
  planner: string;
  summary: Summary;
}

/**
 * The benchmark table. The first columns depend only on seeds and settings (identical for the same
 * command); the timing columns are wall-clock measurements and vary from run to run.
 */
export function markdownTable(cells: readonly ReportCell[]): string {
  const head = '| task | planner | success (95% CI) | mean final distance | burst rate | mean steps | planning ms median | planning ms p95 |';
  const rule = '|---|---|---|---|---|---|---|---|';
  const rows = cells.map(({ task, planner, summary: s }) =>
    `| ${task} | ${planner} | ${pct(s.successRate)} (${pct(s.successLow)}–${pct(s.successHigh)}) ` +
    `${s.successes}/${s.episodes} | ${num(s.meanFinalDistance, 3)} | ${pct(s.burstRate)} | ${num(s.meanSteps, 1)} | ` +
    `${num(s.medianPlanningMs, 1)} | ${num(s.p95PlanningMs, 1)} |`);
  return [head, rule, ...rows].join('\n');
}

/** Speed ratio generative-cem / jepa-* per task, the "≥ 5× faster" target. */
export function speedups(cells: readonly ReportCell[]): { task: string; planner: string; factor: number }[] {
  const out: { task: string; planner: string; factor: number }[] = [];
  for (const gen of cells.filter((c) => c.planner === 'generative-cem')) {
    for (const j of cells.filter((c) => c.task === gen.task && c.planner.startsWith('jepa-'))) {
      out.push({ task: gen.task, planner: j.planner, factor: gen.summary.medianPlanningMs / j.summary.medianPlanningMs });
    }
  }
  return out;
}
