// Collapse is real, and the anti-collapse term prevents it: the same tiny dataset, seed and
// budget, with the target branch unprotected (no stop-gradient, as in LeWM), once with the
// regularizer off and once each with VICReg and SIGReg on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agent/backend.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { syntheticData, trainTiny } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-collapse-'));
const data = syntheticData();

beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(reg: 'none' | 'vicreg' | 'sigreg') {
  // 200 steps: under the default MSE loss the unprotected run takes longer to collapse than under L1.
  const r = await trainTiny(join(dir, reg), data, { reg, target: 'joint' }, { steps: 200, evalEvery: 50 });
  disposeNetworks(r.nets);
  return r.history.map((h) => h.val.collapse);
}

describe('anti-collapse', () => {
  it('collapses without a regularizer and not with VICReg or SIGReg', async () => {
    const off = await run('none');
    const vic = await run('vicreg');
    const sig = await run('sigreg');
    const last = <T>(a: T[]) => a[a.length - 1];
    expect(last(off).collapsed).toBe(true);
    // Collapse is a process: the spread keeps shrinking while training goes on.
    expect(last(off).meanStd).toBeLessThan(off[0].meanStd);
    expect(last(vic).collapsed).toBe(false);
    expect(last(sig).collapsed).toBe(false);
    // Not just past a threshold: the regularized latents are spread far wider.
    expect(last(vic).meanStd).toBeGreaterThan(10 * last(off).meanStd);
    expect(last(sig).meanStd).toBeGreaterThan(10 * last(off).meanStd);
  });
});
