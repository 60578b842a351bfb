// The distractor benchmark's report (npm run bench:distractors): per distractor level and model,
// planning success and burst rate from the bench, held-out probe R^2 and the probe's prediction
// error from the checkpoint's validation; a Markdown table and one SVG chart of success against
// level for both models (burst rate dashed). Pure functions of the measured rows.
import type { ProbePredictionError } from './probePrediction.ts';
import type { Summary } from './report.ts';

export interface LevelRow {
  level: number;
  planner: string;
  summary: Pick<Summary, 'episodes' | 'successes' | 'successRate' | 'successLow' | 'successHigh' | 'bursts' | 'burstRate' | 'medianPlanningMs'>;
  probeR2: Record<string, number>;
  probePrediction?: ProbePredictionError[];
  trainSeconds: number;
}

const COLORS: Record<string, string> = { 'jepa-cem': '#1f77b4', 'generative-cem': '#ff7f0e' };
const FALLBACK = ['#2ca02c', '#9467bd', '#8c564b'];

const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(0)} %` : '–');
const f2 = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : '–');
const f3 = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(3) : '–');

/** One row per level and planner: success (Wilson 95 %), bursts, probe R^2 x/z/tilt, probe prediction RMSE at each horizon. */
export function distractorTable(rows: readonly LevelRow[]): string {
  const horizons = [...new Set(rows.flatMap((r) => (r.probePrediction ?? []).map((p) => p.h)))].sort((a, b) => a - b);
  const head = ['level', 'planner', 'success', '95 % CI', 'bursts', 'probe R² x / z / tilt',
    ...horizons.map((h) => `probe pred. RMSE h${h} (floor), m`), 'median ms/step', 'train s'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of [...rows].sort((a, b) => a.level - b.level)) {
    const s = r.summary;
    const pred = horizons.map((h) => {
      const p = r.probePrediction?.find((q) => q.h === h);
      return p ? `${f3(p.rmse)} (${f3(p.floor)})` : '–';
    });
    lines.push(`| ${[r.level, r.planner, `${s.successes}/${s.episodes} = ${pct(s.successRate)}`, `${pct(s.successLow)}–${pct(s.successHigh)}`,
      `${s.bursts} (${pct(s.burstRate)})`, `${f2(r.probeR2.bottle_x)} / ${f2(r.probeR2.bottle_z)} / ${f2(r.probeR2.tilt)}`, ...pred,
      Number.isFinite(s.medianPlanningMs) ? s.medianPlanningMs.toFixed(0) : '–', r.trainSeconds.toFixed(0)].join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface TargetCheck { ok: boolean; text: string }

/** The issue's targets for the JEPA planner at the top level against level 0. */
export function distractorTargets(rows: readonly LevelRow[], planner = 'jepa-cem'): TargetCheck[] {
  const own = rows.filter((r) => r.planner === planner);
  if (own.length === 0) return [];
  const base = own.find((r) => r.level === 0);
  const top = own.reduce((a, b) => (b.level > a.level ? b : a));
  const out: TargetCheck[] = [];
  if (base && top.level > 0) {
    const drop = 100 * (base.summary.successRate - top.summary.successRate);
    // Rates are ratios of counts: 25/30 - 22/30 is 10 points, not the 10.000000000000009 floats make of it.
    out.push({ ok: drop <= 10 + 1e-9, text: `${planner} loses at most 10 points of success at level ${top.level} against level 0: ${pct(base.summary.successRate)} → ${pct(top.summary.successRate)} (${drop >= 0 ? '−' : '+'}${Math.abs(drop).toFixed(0)} points)` });
  }
  const x = top.probeR2.bottle_x, z = top.probeR2.bottle_z;
  out.push({ ok: x >= 0.85 && z >= 0.85, text: `${planner}'s held-out probe R² for bottle x / z at level ${top.level} is at least 0.85: ${f2(x)} / ${f2(z)}` });
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Success rate (solid, with 95 % whiskers) and burst rate (dashed) against distractor level, one colour per planner. */
export function successByLevelSvg(rows: readonly LevelRow[], title: string): string {
  const levels = [...new Set(rows.map((r) => r.level))].sort((a, b) => a - b);
  const planners = [...new Set(rows.map((r) => r.planner))];
  const color = (p: string, i: number): string => COLORS[p] ?? FALLBACK[i % FALLBACK.length];
  const left = 60, top = 40, plotW = 360, plotH = 240;
  const width = left + plotW + 40, height = top + plotH + 60 + 20 * planners.length;
  const x = (level: number): number => left + (levels.length === 1 ? plotW / 2 : (plotW * levels.indexOf(level)) / (levels.length - 1));
  const y = (v: number): number => Math.round(10 * (top + plotH * (1 - v))) / 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${(v * 100).toFixed(0)}%</text>`);
  }
  for (const l of levels) parts.push(`<text x="${x(l)}" y="${top + plotH + 16}" text-anchor="middle">${l}</text>`);
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 32}" text-anchor="middle" font-size="12">distractor level</text>`);
  parts.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">slide success (solid, 95% CI), burst rate (dashed)</text>`);
  planners.forEach((p, i) => {
    const own = rows.filter((r) => r.planner === p).sort((a, b) => a.level - b.level);
    const c = color(p, i);
    const path = (f: (r: LevelRow) => number): string => own.map((r) => `${x(r.level)},${y(f(r))}`).join(' ');
    parts.push(`<polyline points="${path((r) => r.summary.successRate)}" fill="none" stroke="${c}" stroke-width="2"/>`);
    parts.push(`<polyline points="${path((r) => r.summary.burstRate)}" fill="none" stroke="${c}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    for (const r of own) {
      const cx = x(r.level) + (i - (planners.length - 1) / 2) * 4;
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(r.summary.successHigh)}" y2="${y(r.summary.successLow)}" stroke="${c}"/>`);
      parts.push(`<circle cx="${x(r.level)}" cy="${y(r.summary.successRate)}" r="3.5" fill="${c}"><title>${esc(`${p}, level ${r.level}: ${r.summary.successes}/${r.summary.episodes}`)}</title></circle>`);
    }
    const ly = top + plotH + 52 + 20 * i;
    parts.push(`<rect x="${left}" y="${ly - 10}" width="12" height="12" fill="${c}"/>`);
    parts.push(`<text x="${left + 18}" y="${ly}">${esc(p)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
