// The flat overlays: status text (task, planner, step, outcome, planning time, tally), the agent's
// depth view beside the goal's depth image, and a chart of energy over planner iterations.
import { grayToBytes, type GrayImage, type Tally } from '../server/protocol.ts';
import type { Outcome } from '../../sim/types.ts';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page is missing #${id}`);
  return e as T;
}

export function drawGray(canvas: HTMLCanvasElement, img: GrayImage): void {
  if (canvas.width !== img.width || canvas.height !== img.height) {
    canvas.width = img.width;
    canvas.height = img.height;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const bytes = grayToBytes(img);
  const data = ctx.createImageData(img.width, img.height);
  for (let i = 0; i < bytes.length; i++) {
    // Near is bright: invert so the bottle stands out against the far table.
    const g = 255 - bytes[i];
    data.data[i * 4] = g;
    data.data[i * 4 + 1] = g;
    data.data[i * 4 + 2] = g;
    data.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
}

export function drawEnergy(canvas: HTMLCanvasElement, energy: number[]): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const w = canvas.width, h = canvas.height, pad = 14;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = 'rgba(0,0,0,0.35)';
  ctx.fillRect(0, 0, w, h);
  const vals = energy.filter((e) => Number.isFinite(e));
  ctx.fillStyle = '#cbd5e1';
  ctx.font = '10px system-ui, sans-serif';
  if (vals.length === 0) {
    ctx.fillText('no energy (planner does not score)', pad, h / 2);
    return;
  }
  const lo = Math.min(...vals), hi = Math.max(...vals);
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (i: number) => pad + (energy.length <= 1 ? 0 : (i / (energy.length - 1)) * (w - 2 * pad));
  const y = (v: number) => h - pad - ((v - lo) / span) * (h - 2 * pad);
  ctx.strokeStyle = '#38bdf8';
  ctx.lineWidth = 2;
  ctx.beginPath();
  energy.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    if (i === 0) ctx.moveTo(x(i), y(v));
    else ctx.lineTo(x(i), y(v));
  });
  ctx.stroke();
  ctx.fillStyle = '#38bdf8';
  energy.forEach((v, i) => Number.isFinite(v) && ctx.fillRect(x(i) - 2, y(v) - 2, 4, 4));
  ctx.fillStyle = '#cbd5e1';
  ctx.fillText(hi.toPrecision(3), 2, 10);
  ctx.fillText(lo.toPrecision(3), 2, h - 2);
  ctx.fillText('iteration →', w - 62, h - 2);
}

const OUTCOME_CLASS: Record<string, string> = { success: 'ok', burst: 'bad', failure: 'bad', timeout: 'warn', running: '' };

export class Hud {
  private readonly fields = {
    task: el('hud-task'), planner: el('hud-planner'), episode: el('hud-episode'), step: el('hud-step'),
    outcome: el('hud-outcome'), ms: el('hud-ms'), tally: el('hud-tally'), conn: el('hud-conn'), error: el('hud-error'),
  };
  readonly agentDepth = el<HTMLCanvasElement>('depth-agent');
  readonly goalDepth = el<HTMLCanvasElement>('depth-goal');
  readonly energy = el<HTMLCanvasElement>('energy');
  private errorTimer: ReturnType<typeof setTimeout> | undefined;

  setConnection(state: 'connecting' | 'live' | 'lost'): void {
    this.fields.conn.textContent = state === 'live' ? '● live' : state === 'lost' ? '● reconnecting…' : '● connecting…';
    this.fields.conn.className = state === 'live' ? 'ok' : 'warn';
    document.body.dataset.connected = state === 'live' ? '1' : '0';
  }

  setEpisode(task: string, planner: string, episode: number, tally: Tally): void {
    this.fields.task.textContent = task;
    this.fields.planner.textContent = planner;
    this.fields.episode.textContent = String(episode);
    this.fields.step.textContent = '0';
    this.setOutcome({ kind: 'running', success: false, reason: '', distance: Number.NaN });
    this.setTally(tally);
  }

  setStep(step: number): void {
    this.fields.step.textContent = String(step);
  }

  setPlanningMs(ms: number): void {
    this.fields.ms.textContent = `${ms.toFixed(1)} ms`;
  }

  setOutcome(o: Outcome): void {
    const text = o.kind === 'running' ? 'running' : `${o.kind.toUpperCase()}${o.reason ? ` — ${o.reason}` : ''}`;
    this.fields.outcome.textContent = text;
    this.fields.outcome.className = OUTCOME_CLASS[o.kind] ?? '';
  }

  setTally(t: Tally): void {
    const rate = t.episodes ? ` (${Math.round((100 * t.success) / t.episodes)}%)` : '';
    this.fields.tally.textContent = `${t.success}/${t.episodes} success${rate} · ${t.burst} burst · ${t.timeout} timeout · ${t.failure} fail`;
  }

  showError(message: string): void {
    this.fields.error.textContent = message;
    this.fields.error.hidden = false;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => { this.fields.error.hidden = true; }, 5000);
  }
}
