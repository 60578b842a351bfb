// `npm run bench:slowclient [-- --seconds 120 --heartbeat 30 --warmup 10 --planner oracle --model models/world]`
// The real viewer server (as `serve` runs it) with one client that completes the websocket
// handshake and then never reads a byte, and one normal headless viewer in a worker thread.
// After a warm-up with the normal viewer alone, reports this process's heap and RSS (RSS includes
// the runner worker) from the moment the stuck client connects to the end, and their peaks; what
// the server holds for the stuck client (its send buffer, frames skipped, when it was dropped);
// and the normal viewer's frames/s. --heartbeat 0 turns the ping off, so the stuck client stays
// for the whole run and only the backlog cap bounds it.
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { Command } from 'commander';
import { choiceFlag, floatFlag } from '../../sim/flags.ts';
import { formatUserError, isUserError } from '../../sim/errors.ts';
import { PLANNER_NAMES, type PlannerName } from '../../agent/planners/types.ts';
import { serve } from '../server/serve.ts';
import { DEFAULT_HEARTBEAT_MS } from '../server/server.ts';
import { mean, quantile, startBenchClient } from './benchClient.ts';

/** Handshake by hand, then pause: the socket never reads again (no frames, no pongs). */
function stuckReader(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.on('error', () => {});
    s.once('data', (d) => {
      s.pause();
      if (String(d).startsWith('HTTP/1.1 101')) resolve(s);
      else reject(new Error(`handshake refused: ${String(d).split('\r\n')[0]}`));
    });
    s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

interface Sample { t: number; rss: number; heap: number; stuckBuffered: number | null }

async function main(): Promise<void> {
  const o = new Command()
    .option('--seconds <n>', 'how long to stream', floatFlag(10, 3600), 120)
    .option('--heartbeat <s>', 'server ping interval (0 = off: only the backlog cap bounds the stuck client)', floatFlag(0, 600), DEFAULT_HEARTBEAT_MS / 1000)
    .option('--planner <name>', 'planner (default: jepa-cem with a model, else oracle)', choiceFlag(PLANNER_NAMES))
    .option('--model <dir>', 'checkpoint directory (default: models/world if present)')
    .option('--task <id>', 'task', 'slide')
    .option('--warmup <s>', 'seconds of streaming to the normal viewer before the stuck client connects', floatFlag(0, 600), 10)
    .parse(process.argv)
    .opts<{ seconds: number; heartbeat: number; warmup: number; planner?: PlannerName; model?: string; task: string }>();

  const serverLog: string[] = [];
  const server = await serve({
    task: o.task, planner: o.planner, model: o.model, port: 0, host: '127.0.0.1', seed: 1, ensureBuild: false,
    heartbeatMs: o.heartbeat * 1000, log: (l) => serverLog.push(l),
  });
  const planner = `${server.planner}${server.modelDir ? ` (model ${server.modelDir})` : ''}`;
  const normal = startBenchClient(server.url.replace('http://', 'ws://') + 'ws');
  await normal.ready;
  // Let the runner worker load its model and warm up first, so the start figures are its steady state.
  await new Promise((r) => setTimeout(r, o.warmup * 1000));
  const stuck = await stuckReader(server.port);
  const stuckPort = stuck.localPort;
  const serverSide = (): WebSocket | undefined =>
    [...server.hub.clients].find((w) => (w as unknown as { _socket: Socket })._socket.remotePort === stuckPort);
  const stuckWs = serverSide();
  if (!stuckWs) throw new Error('the stuck client is not connected');

  process.stdout.write(`bench:slowclient: ${o.seconds} s, task ${o.task}, planner ${planner}, heartbeat ${o.heartbeat ? `${o.heartbeat} s` : 'off'}; ` +
    'one client that never reads, one normal viewer\n');
  normal.start();
  const t0 = performance.now();
  const samples: Sample[] = [];
  let droppedAt = null as number | null; // set by the sampler
  const sample = () => {
    const m = process.memoryUsage();
    const open = server.hub.clients.has(stuckWs);
    if (!open && droppedAt === null) droppedAt = (performance.now() - t0) / 1000;
    samples.push({ t: (performance.now() - t0) / 1000, rss: m.rss, heap: m.heapUsed, stuckBuffered: open ? stuckWs.bufferedAmount : null });
  };
  sample();
  const sampler = setInterval(sample, 1000);
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  clearInterval(sampler);
  sample();

  const report = await normal.stop();
  const stuckStats = server.hub.statsOf(stuckWs)!;
  stuck.destroy();
  await server.close();

  const first = samples.slice(0, 10);
  const last = samples.slice(-10);
  const start = samples[0];
  const end = samples[samples.length - 1];
  const buffered = samples.flatMap((s) => (s.stuckBuffered === null ? [] : [s.stuckBuffered]));
  const steady = report.perSecond.slice(0, Math.floor(o.seconds));
  const fps = report.frames / o.seconds;
  process.stdout.write([
    ...(process.env.BENCH_VERBOSE ? [`  per second: ${report.perSecond.join(' ')}`, ...serverLog.map((l) => `  server: ${l}`)] : []),
    `memory: heapUsed ${mb(start.heap)} at start, ${mb(end.heap)} at end (mean of first 10 s ${mb(mean(first.map((s) => s.heap)))},` +
      ` last 10 s ${mb(mean(last.map((s) => s.heap)))}, max ${mb(Math.max(...samples.map((s) => s.heap)))})`,
    `        rss ${mb(start.rss)} at start, ${mb(end.rss)} at end (max ${mb(Math.max(...samples.map((s) => s.rss)))})`,
    `stuck client: server send buffer max ${Math.max(0, ...buffered)} B (sampled 1/s), ${stuckStats.framesSent} frames queued to it` +
      ` (most sit unread in kernel buffers), ${stuckStats.framesSkipped} skipped; ${droppedAt === null ? 'still connected at the end' : `dropped after ${droppedAt.toFixed(0)} s`}`,
    ...serverLog.filter((l) => l.includes('dropped a client')).map((l) => `  server: ${l}`),
    `normal client: ${report.frames} frames in ${o.seconds} s = ${fps.toFixed(1)} frames/s (per-second min ${Math.min(...steady)},` +
      ` median ${quantile(steady, 0.5)}); latency p50 ${quantile(report.latencies, 0.5).toFixed(1)} ms, p95 ${quantile(report.latencies, 0.95).toFixed(1)} ms`,
    `target: normal client >= 30 frames/s ${fps >= 30 ? 'met' : 'NOT met'}; heap flat (last 10 s mean within 20% of first 10 s): ` +
      `${mean(last.map((s) => s.heap)) <= 1.2 * mean(first.map((s) => s.heap)) ? 'yes' : 'NO'}`,
    '',
  ].join('\n'));
}

main().catch((e) => {
  if (isUserError(e)) {
    process.stderr.write(formatUserError(e) + '\n');
    process.exit(2);
  }
  throw e;
});
