// Turns agent steps into a smooth pose stream: each step's start and end poses are replayed as
// frames from a fixed-rate timer, interpolated by wall-clock time, so pages see motion at the
// frame rate rather than jumps at the agent's 10 Hz.
import { encodeFrame } from './protocol.ts';
import { interpolatePoses } from './episodeRunner.ts';
import type { SessionSink } from './session.ts';

export class FramePlayer {
  /** Scene epoch stamped on frames: bumped whenever the body list changes. */
  epoch = 0;
  /** Agent step the frames belong to. */
  step = 0;
  controlDt = 0.1;
  private from: Float32Array = new Float32Array(0);
  private to: Float32Array = new Float32Array(0);
  private current: Float32Array = new Float32Array(0);
  private segStart = 0;
  private segMs = 1;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly sink: SessionSink, private readonly hz = 60) {}

  start(): void {
    this.ticker ??= setInterval(() => this.emit(), 1000 / this.hz);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Hold still at these poses (after a reset). */
  still(poses: Float32Array): void {
    this.play(poses, poses, 1);
  }

  /** Move from `before` to `after` over `ms` of wall-clock time. A changed body list jumps. */
  play(before: Float32Array, after: Float32Array, ms: number): void {
    this.from = before.length === after.length ? before : after;
    this.to = after;
    this.current = new Float32Array(after.length);
    this.segStart = performance.now();
    this.segMs = Math.max(1, ms);
  }

  private emit(): void {
    if (!this.sink.hasClients() || this.to.length === 0) return;
    const t = Math.min(1, (performance.now() - this.segStart) / this.segMs);
    const poses = interpolatePoses(this.from, this.to, t, this.current);
    const simTime = Math.max(0, (this.step - 1 + t) * this.controlDt);
    this.sink.broadcastFrame(encodeFrame({ epoch: this.epoch, sentAt: Date.now(), simTime, step: this.step, poses }));
  }
}
