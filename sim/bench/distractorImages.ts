// `npx tsx sim/bench/distractorImages.ts`: one agent depth image per distractor level, same
// episode and actions, as PNGs for docs/distractors.md (into docs/distractors/). Left: the depth image as the viewer's HUD
// shows it (near is bright); right: how far each pixel is from the level-0 image, x4 (black = same).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { DISTRACTOR_LEVELS } from '../distractorLevels.ts';
import { Env } from '../env.ts';
import { intFlag } from '../flags.ts';
import { loadTask } from '../tasks/registry.ts';
import { depthToGrayBytes, encodeGrayPng } from './png.ts';

const opts = new Command()
  .option('--task <id|file>', 'task', 'slide')
  .option('--seed <n>', 'episode seed', intFlag(0), 42)
  .option('--steps <n>', 'agent steps of a slow push before the picture', intFlag(0, 1000), 12)
  .option('--size <n>', 'depth image size (pixels)', intFlag(4, 512), 32)
  .option('--scale <n>', 'each depth pixel becomes n x n PNG pixels', intFlag(1, 64), 8)
  .option('--out-dir <dir>', 'where distractors-<level>.png go', 'docs/distractors')
  .parse(process.argv)
  .opts<{ task: string; seed: number; steps: number; size: number; scale: number; outDir: string }>();

const GAP = 4;
const task = await loadTask(opts.task);
mkdirSync(opts.outDir, { recursive: true });
const n = opts.size;
let plain: Float32Array | undefined;
for (const { level } of DISTRACTOR_LEVELS) {
  const env = await Env.create({ task, obsSize: n, distractors: level });
  try {
    let obs = env.reset(opts.seed);
    for (let t = 0; t < opts.steps && !env.isDone; t++) obs = env.step([0.04, 0, 0.03]).observation;
    plain ??= obs.depth;
    const base = plain;
    // depthToGrayBytes draws near (small) as bright, so 1 - 4|diff| shows a difference brightly.
    const diff = obs.depth.map((d, i) => 1 - Math.min(1, 4 * Math.abs(d - base[i])));
    const side = n * opts.scale;
    const left = depthToGrayBytes(obs.depth, n, n, opts.scale), right = depthToGrayBytes(diff, n, n, opts.scale);
    const width = 2 * side + GAP;
    const img = new Uint8Array(width * side).fill(255);
    for (let y = 0; y < side; y++) {
      img.set(left.subarray(y * side, (y + 1) * side), y * width);
      img.set(right.subarray(y * side, (y + 1) * side), y * width + side + GAP);
    }
    const file = join(opts.outDir, `distractors-${level}.png`);
    writeFileSync(file, encodeGrayPng(img, width, side));
    console.log(`wrote ${file} (task ${task.id}, seed ${opts.seed}, after ${env.stepCount} steps)`);
  } finally {
    env.free();
  }
}
