// Ctrl-C and SIGTERM during `jepa-mpc train`: the run stops after the step in progress, leaves a
// valid checkpoint of that step in --out, exits 130 / 143 without a stack trace, and
// `train --resume` continues from it to --steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCheckpointConfig } from '../../agent/checkpoint.ts';
import { realEpisodes, writeRealDataset } from './realData.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'jepa-trainsig-'));
const data = join(dir, 'tiny.h5');
const TRAIN = ['train', '--data', data, '--batch', '4', '--latent', '8', '--hidden', '16', '--backend', 'wasm', '--head-steps', '5'];

beforeAll(async () => { await writeRealDataset(data, await realEpisodes(4, 9, 8)); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Start the CLI and send `signal` once it has printed its first progress line. */
function trainUntilSignalled(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; err: string; sent: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!sent && /^step \d+\/\d+ /m.test(err)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('close', (code) => done({ code, err, sent }));
  });
}

describe('jepa-mpc train interrupted', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`on ${signal} saves a checkpoint of the step reached, exits ${code}, and --resume continues to --steps`, async () => {
      const out = join(dir, `m-${signal}`);
      const r = await trainUntilSignalled([...TRAIN, '--out', out, '--steps', '4000', '--eval-every', '4000'], signal);
      expect(r.sent).toBe(true);
      expect(r.code, r.err).toBe(code);
      expect(r.err).not.toMatch(/\n\s+at /);
      const m = /interrupted: the checkpoint in '.*' is at step (\d+) of 4000; run the same command with --resume/.exec(r.err);
      expect(m, r.err).not.toBeNull();
      const reached = Number(m![1]);
      expect(reached).toBeGreaterThan(0);
      const saved = readCheckpointConfig(out);
      expect(saved.training.step).toBe(reached);
      expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);

      const resumed = spawnSync(process.execPath, ['--import', 'tsx', 'cli.ts', ...TRAIN, '--out', out, '--steps', String(reached + 3), '--resume'],
        { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`resuming from step ${reached} `));
      expect(readCheckpointConfig(out).training.step).toBe(reached + 3);
      const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
      expect(steps).toEqual([reached, reached + 3]);
    }, 180_000);
  }
});
