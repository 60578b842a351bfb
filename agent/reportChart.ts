// The benchmark's SVG chart: success rate per planner, grouped by task, with 95% Wilson
// intervals as whiskers, and the median planning time printed under each bar. Plain SVG text,
// no dependencies, readable in a browser or a Markdown viewer.
import type { ReportCell } from './report.ts';

const COLORS: Record<string, string> = {
  'jepa-cem': '#1f77b4', 'jepa-mppi': '#17becf', 'generative-cem': '#ff7f0e', oracle: '#2ca02c', random: '#7f7f7f',
};
const FALLBACK = ['#9467bd', '#8c564b', '#e377c2', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function successChartSvg(cells: readonly ReportCell[], title: string): string {
  const tasks = [...new Set(cells.map((c) => c.task))];
  const planners = [...new Set(cells.map((c) => c.planner))];
  const color = (p: string, i: number): string => COLORS[p] ?? FALLBACK[i % FALLBACK.length];
  const bar = 26;
  const gap = 30;
  const groupW = planners.length * bar + gap;
  const left = 56;
  const top = 40;
  const plotH = 240;
  const width = Math.max(420, left + tasks.length * groupW + 20);
  const height = top + plotH + 90 + 20 * Math.ceil(planners.length / 3);
  const y = (v: number): number => Math.round(10 * (top + plotH * (1 - v))) / 10;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${(v * 100).toFixed(0)}%</text>`);
  }
  parts.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">success rate (95% CI)</text>`);
  tasks.forEach((task, ti) => {
    const gx = left + gap / 2 + ti * groupW;
    planners.forEach((planner, pi) => {
      const cell = cells.find((c) => c.task === task && c.planner === planner);
      if (!cell) return;
      const s = cell.summary;
      const x = gx + pi * bar;
      const rate = Number.isFinite(s.successRate) ? s.successRate : 0;
      parts.push(`<rect x="${x + 2}" y="${y(rate)}" width="${bar - 4}" height="${Math.round(10 * plotH * rate) / 10}" fill="${color(planner, pi)}">` +
        `<title>${esc(`${task} / ${planner}: ${s.successes}/${s.episodes}`)}</title></rect>`);
      const cx = x + bar / 2;
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.successHigh)}" y2="${y(s.successLow)}" stroke="black"/>`);
      parts.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(s.successHigh)}" y2="${y(s.successHigh)}" stroke="black"/>`);
      parts.push(`<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(s.successLow)}" y2="${y(s.successLow)}" stroke="black"/>`);
      const ms = Number.isFinite(s.medianPlanningMs) ? `${s.medianPlanningMs < 10 ? s.medianPlanningMs.toFixed(1) : s.medianPlanningMs.toFixed(0)}` : '–';
      parts.push(`<text x="${cx}" y="${top + plotH + 14}" text-anchor="middle" font-size="9">${ms}</text>`);
    });
    parts.push(`<text x="${gx + (planners.length * bar) / 2}" y="${top + plotH + 32}" text-anchor="middle" font-size="12">${esc(task)}</text>`);
  });
  parts.push(`<text x="${left}" y="${top + plotH + 50}" font-size="10">numbers under bars: median planning ms per MPC step</text>`);
  planners.forEach((p, i) => {
    const lx = left + (i % 3) * 150;
    const ly = top + plotH + 68 + 20 * Math.floor(i / 3);
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color(p, i)}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly}">${esc(p)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
