// `npm run bench:viewer [-- --seconds 120 --planner oracle --model models/world --clients 1]`
// Runs the real viewer server in this process (planner included, so planning blocks this event
// loop as it does in `serve`) and headless ws clients in worker threads (their own event loops,
// so they time frames honestly). Reports frames/s received, sim-to-client latency (each frame
// carries its send time), the server's send backlog over time and planning time.
import { Worker } from 'node:worker_threads';
import { Command } from 'commander';
import { floatFlag, intFlag, choiceFlag } from '../../sim/flags.ts';
import { formatUserError, isUserError } from '../../sim/errors.ts';
import { PLANNER_NAMES, type PlannerName } from '../../agent/planners/types.ts';
import { serve } from '../server/serve.ts';

interface ClientReport { perSecond: number[]; latencies: number[]; planningMs: number[]; frames: number }

// The client runs as plain CommonJS in a worker: no TypeScript loader needed there.
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { WebSocket } = require(workerData.wsPath);
const ws = new WebSocket(workerData.url);
let perSecond = [], latencies = [], planningMs = [], frames = 0, t0 = 0, ready = false;
ws.on('message', (data, isBinary) => {
  const now = Date.now();
  if (isBinary) {
    if (!ready) { ready = true; parentPort.postMessage('ready'); }
    if (!t0) return;
    const b = Buffer.from(data);
    frames++;
    const s = Math.floor((now - t0) / 1000);
    while (perSecond.length <= s) perSecond.push(0);
    perSecond[s]++;
    latencies.push(now - b.readDoubleLE(8));
  } else if (t0) {
    const m = JSON.parse(String(data));
    if (m.type === 'metrics') planningMs.push(m.planningMs);
  }
});
parentPort.on('message', (m) => {
  if (m === 'start') t0 = Date.now();
  if (m === 'stop') { ws.close(); parentPort.postMessage({ perSecond, latencies, planningMs, frames }); }
});
`;

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const o = new Command()
    .option('--seconds <n>', 'how long to stream', floatFlag(3, 3600), 120)
    .option('--planner <name>', 'planner (default: jepa-cem with a model, else oracle)', choiceFlag(PLANNER_NAMES))
    .option('--model <dir>', 'checkpoint directory (default: models/<task> if present)')
    .option('--task <id>', 'task', 'slide')
    .option('--clients <n>', 'concurrent headless viewers', intFlag(1, 16), 1)
    .parse(process.argv)
    .opts<{ seconds: number; planner?: PlannerName; model?: string; task: string; clients: number }>();

  const quiet: string[] = [];
  const server = await serve({
    task: o.task, planner: o.planner, model: o.model, port: 0, host: '127.0.0.1', seed: 1, ensureBuild: false,
    log: (l) => quiet.push(l),
  });
  const planner = `${server.planner}${server.modelDir ? ` (model ${server.modelDir})` : ''}`;
  const url = server.url.replace('http://', 'ws://') + 'ws';
  const wsPath = (await import.meta.resolve?.('ws')) ?? 'ws';
  const workers = Array.from({ length: o.clients }, () => new Worker(CLIENT, { eval: true, workerData: { url, wsPath: new URL(wsPath).pathname } }));

  // Time the steady state only: start once every client has its first frame.
  const connectStart = performance.now();
  await Promise.all(workers.map((w) => new Promise<void>((res) => w.once('message', () => res()))));
  const connectMs = performance.now() - connectStart;
  for (const w of workers) w.postMessage('start');
  const backlog: number[] = [];
  const sampler = setInterval(() => {
    let max = 0;
    for (const ws of server.hub.clients) max = Math.max(max, ws.bufferedAmount);
    backlog.push(max);
  }, 1000);
  process.stdout.write(`bench:viewer: ${o.seconds} s, task ${o.task}, planner ${planner}, ${o.clients} client(s); first frame after ${connectMs.toFixed(0)} ms\n`);
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  clearInterval(sampler);

  const reports = await Promise.all(workers.map((w) => new Promise<ClientReport>((res) => {
    w.once('message', (m: ClientReport) => res(m));
    w.postMessage('stop');
  })));
  await Promise.all(workers.map((w) => w.terminate()));
  const skipped = server.hub.stats.framesSkipped;
  await server.close();

  reports.forEach((r, i) => {
    const steady = r.perSecond.slice(0, Math.floor(o.seconds));
    const half = Math.floor(backlog.length / 2);
    process.stdout.write([
      ...(process.env.BENCH_VERBOSE ? [`  per second: ${r.perSecond.join(" ")}`] : []),
      `client ${i + 1}: ${r.frames} frames in ${o.seconds} s = ${(r.frames / o.seconds).toFixed(1)} frames/s` +
        ` (per-second min ${Math.min(...steady)}, median ${quantile(steady, 0.5)})`,
      `  latency sim->client: p50 ${quantile(r.latencies, 0.5).toFixed(1)} ms, p95 ${quantile(r.latencies, 0.95).toFixed(1)} ms, max ${Math.max(...r.latencies).toFixed(1)} ms`,
      `  planning: median ${quantile(r.planningMs, 0.5).toFixed(1)} ms, p95 ${quantile(r.planningMs, 0.95).toFixed(1)} ms over ${r.planningMs.length} plans`,
      `  send backlog (max bufferedAmount, sampled 1/s): first half mean ${mean(backlog.slice(0, half)).toFixed(0)} B,` +
        ` second half mean ${mean(backlog.slice(half)).toFixed(0)} B, max ${Math.max(0, ...backlog)} B; frames skipped ${skipped}`,
      '',
    ].join('\n'));
  });
  const fps = Math.min(...reports.map((r) => r.frames / o.seconds));
  process.stdout.write(`target >= 30 frames/s: ${fps >= 30 ? 'met' : 'NOT met'} (${fps.toFixed(1)})\n`);
}

main().catch((e) => {
  if (isUserError(e)) {
    process.stderr.write(formatUserError(e) + '\n');
    process.exit(2);
  }
  throw e;
});
