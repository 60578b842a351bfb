// `npm run bench:viewer [-- --seconds 120 --planner oracle --model models/world --clients 1]`
// Runs the real viewer server in this process (planner included, so planning blocks this event
// loop as it does in `serve`) and headless ws clients in worker threads (their own event loops,
// so they time frames honestly). Reports frames/s received, sim-to-client latency (each frame
// carries its send time), the server's send backlog over time and planning time.
import { Command } from 'commander';
import { floatFlag, intFlag, choiceFlag } from '../../sim/flags.ts';
import { formatUserError, isUserError } from '../../sim/errors.ts';
import { PLANNER_NAMES, type PlannerName } from '../../agent/planners/types.ts';
import { serve } from '../server/serve.ts';
import { mean, quantile, startBenchClient } from './benchClient.ts';

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
  const clients = Array.from({ length: o.clients }, () => startBenchClient(url));

  // Time the steady state only: start once every client has its first frame.
  const connectStart = performance.now();
  await Promise.all(clients.map((c) => c.ready));
  const connectMs = performance.now() - connectStart;
  for (const c of clients) c.start();
  const backlog: number[] = [];
  const sampler = setInterval(() => {
    let max = 0;
    for (const ws of server.hub.clients) max = Math.max(max, ws.bufferedAmount);
    backlog.push(max);
  }, 1000);
  process.stdout.write(`bench:viewer: ${o.seconds} s, task ${o.task}, planner ${planner}, ${o.clients} client(s); first frame after ${connectMs.toFixed(0)} ms\n`);
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  clearInterval(sampler);

  const reports = await Promise.all(clients.map((c) => c.stop()));
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
