// The planning issue's targets, checked against a benchmark's cells. Only targets whose cells are
// present are reported (a run without generative-cem says nothing about the 5x speed target).
import type { ReportCell } from './report.ts';

export interface TargetCheck {
  ok: boolean;
  text: string;
}

const MIN_SUCCESS: Record<string, number> = { slide: 0.9, tip: 0.9, fragile: 0.8 };
const MAX_BURST: Record<string, number> = { slide: 0.02, tip: 0.02 };

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

export function checkTargets(cells: readonly ReportCell[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const get = (task: string, planner: string): ReportCell | undefined => cells.find((c) => c.task === task && c.planner === planner);
  for (const task of [...new Set(cells.map((c) => c.task))]) {
    const jepa = get(task, 'jepa-cem');
    if (!jepa) continue;
    const s = jepa.summary;
    if (MIN_SUCCESS[task] !== undefined) {
      out.push({ ok: s.successRate >= MIN_SUCCESS[task], text: `${task}: jepa-cem success ${pct(s.successRate)} >= ${pct(MIN_SUCCESS[task])}` });
    }
    if (MAX_BURST[task] !== undefined) {
      out.push({ ok: s.burstRate <= MAX_BURST[task], text: `${task}: jepa-cem burst rate ${pct(s.burstRate)} <= ${pct(MAX_BURST[task])}` });
    }
    const oracle = get(task, 'oracle');
    if (oracle) {
      const gap = oracle.summary.successRate - s.successRate;
      out.push({ ok: gap <= 0.1, text: `${task}: jepa-cem within 10 points of oracle (${pct(s.successRate)} vs ${pct(oracle.summary.successRate)})` });
    }
    const gen = get(task, 'generative-cem');
    if (gen) {
      const lead = s.successRate - gen.summary.successRate;
      out.push({ ok: lead >= 0.2, text: `${task}: jepa-cem at least 20 points above generative-cem (${pct(s.successRate)} vs ${pct(gen.summary.successRate)})` });
      const factor = gen.summary.medianPlanningMs / s.medianPlanningMs;
      out.push({ ok: factor >= 5, text: `${task}: jepa-cem plans ${factor.toFixed(1)}x faster than generative-cem (>= 5x; median ms per step)` });
    }
    out.push({ ok: s.medianPlanningMs <= 50, text: `${task}: jepa-cem median planning ${s.medianPlanningMs.toFixed(1)} ms per MPC step <= 50 ms` });
  }
  return out;
}
