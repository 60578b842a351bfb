// `npm run bench:distractors` end to end at a toy budget: every command it chains (collect, train
// of both models, bench) must find what the previous one wrote, and the report must hold one row
// per planner and level benched on the episodes asked for.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LevelRow } from '../../agent/distractorReport.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'jepa-distractor-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function benchDistractors(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/bench/distractorBench.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => done({ code, err }));
  });
}

describe('bench:distractors', () => {
  it('collects, trains both models and benches them at each level, and reports every cell', async () => {
    const out = join(dir, 'run');
    const args = ['--levels', '0,1', '--episodes', '10', '--steps', '2', '--bench-episodes', '1', '--workers', '1', '--out', out];
    const r = await benchDistractors(args);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { rows: LevelRow[] };
    expect(report.rows.map((row) => `${row.level} ${row.planner}`)).toEqual(['0 jepa-cem', '0 generative-cem', '1 jepa-cem', '1 generative-cem']);
    for (const row of report.rows) {
      expect(row.summary.episodes).toBe(1);
      expect(Number.isFinite(row.probeR2.bottle_x)).toBe(true);
    }
    for (const f of ['report.md', 'success-by-level.svg', 'd1/slide.h5', 'd1/slide/config.json', 'd1/slide-generative/config.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // A second run reuses every dataset, checkpoint and bench report: nothing is collected or trained again.
    const again = await benchDistractors(args);
    expect(again.code, again.err.slice(-2000)).toBe(0);
    expect(again.err).not.toMatch(/\$ jepa-mpc (collect|train|bench)/);
  }, 240_000);
});
