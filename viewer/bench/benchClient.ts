// A headless viewer for the benchmarks: a ws client in a worker thread (its own event loop, so it
// times frames honestly however busy the server's loop is). It counts frames per second from the
// 'start' message, records each frame's sim-to-client latency and the planning times it is told.
import { Worker } from 'node:worker_threads';

export interface ClientReport { perSecond: number[]; latencies: number[]; planningMs: number[]; frames: number }

// Plain CommonJS in the worker: no TypeScript loader needed there.
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

export interface BenchClient {
  /** Resolves on the first frame. */
  ready: Promise<void>;
  start(): void;
  stop(): Promise<ClientReport>;
}

export function startBenchClient(wsUrl: string): BenchClient {
  const wsPath = new URL(import.meta.resolve('ws')).pathname;
  const w = new Worker(CLIENT, { eval: true, workerData: { url: wsUrl, wsPath } });
  const ready = new Promise<void>((res) => w.once('message', () => res()));
  return {
    ready,
    start: () => w.postMessage('start'),
    stop: async () => {
      const report = await new Promise<ClientReport>((res) => {
        w.once('message', (m: ClientReport) => res(m));
        w.postMessage('stop');
      });
      await w.terminate();
      return report;
    },
  };
}

export const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
