// An SVG of the training curves, written next to metrics.jsonl: the training loss (log scale)
// and, from validation, the prediction-error ratios vs copy-last-latent and the effective rank.
// Plain SVG so it opens in any browser and diffs as text.

export interface ChartPoint { step: number; loss: number; ratios: Record<string, number>; effRank: number; latentDim: number }

const W = 720, H = 260, PAD = 48;
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];

function polyline(xs: number[], ys: number[], color: string, dash = ''): string {
  const pts = xs.map((x, i) => `${x.toFixed(1)},${ys[i].toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="1.8" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts}"/>`;
}

function panel(title: string, yLabel: string, top: number, steps: number[], series: { name: string; values: number[]; color: string }[], log: boolean): string {
  const finite = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (steps.length === 0 || finite.length === 0) return `<text x="${PAD}" y="${top + 20}">${title}: no data yet</text>`;
  const tf = (v: number) => (log ? Math.log10(v) : v);
  let lo = Math.min(...finite.map(tf)), hi = Math.max(...finite.map(tf));
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const s0 = steps[0], s1 = Math.max(steps[steps.length - 1], s0 + 1);
  const x = (s: number) => PAD + ((s - s0) / (s1 - s0)) * (W - 2 * PAD);
  const y = (v: number) => top + H - PAD - ((tf(v) - lo) / (hi - lo)) * (H - 2 * PAD);
  const parts = [
    `<text x="${W / 2}" y="${top + 18}" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<rect x="${PAD}" y="${top + PAD}" width="${W - 2 * PAD}" height="${H - 2 * PAD}" fill="none" stroke="#999"/>`,
    `<text x="${PAD - 4}" y="${top + PAD + 4}" text-anchor="end" font-size="10">${(log ? 10 ** hi : hi).toPrecision(3)}</text>`,
    `<text x="${PAD - 4}" y="${top + H - PAD}" text-anchor="end" font-size="10">${(log ? 10 ** lo : lo).toPrecision(3)}</text>`,
    `<text x="${PAD}" y="${top + H - PAD + 14}" font-size="10">step ${s0}</text>`,
    `<text x="${W - PAD}" y="${top + H - PAD + 14}" text-anchor="end" font-size="10">step ${s1}</text>`,
    `<text x="12" y="${top + H / 2}" font-size="11" transform="rotate(-90 12 ${top + H / 2})" text-anchor="middle">${yLabel}</text>`,
  ];
  series.forEach((s, i) => {
    const idx = s.values.map((v, j) => (Number.isFinite(v) && (!log || v > 0) ? j : -1)).filter((j) => j >= 0);
    parts.push(polyline(idx.map((j) => x(steps[j])), idx.map((j) => y(s.values[j])), s.color));
    parts.push(`<text x="${W - PAD + 4}" y="${top + PAD + 12 + 14 * i}" font-size="11" fill="${s.color}">${s.name}</text>`);
  });
  return parts.join('\n');
}

export function trainingChartSvg(points: ChartPoint[], title: string): string {
  const steps = points.map((p) => p.step);
  const ratioNames = [...new Set(points.flatMap((p) => Object.keys(p.ratios)))];
  const ratioSeries = ratioNames.map((n, i) => ({ name: n, values: points.map((p) => p.ratios[n] ?? Number.NaN), color: COLORS[i % COLORS.length] }));
  ratioSeries.push({ name: 'eff. rank / D', values: points.map((p) => p.effRank / p.latentDim), color: '#555' });
  const body = [
    panel(`${title}: training loss`, 'loss (log)', 0, steps, [{ name: 'loss', values: points.map((p) => p.loss), color: COLORS[0] }], true),
    panel('validation: error / copy-last-latent (lower is better), effective rank / D', 'ratio', H, steps, ratioSeries, false),
  ].join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W + 60}" height="${2 * H}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
