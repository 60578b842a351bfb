// After a short training on a tiny dataset from the real physics sim, the model predicts the
// latent 4 steps ahead better than "nothing changes" (copying the last latent), and its
// latents carry the bottle's position (linear probe on held-out episodes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../agent/backend.ts';
import { disposeNetworks } from '../../agent/model/networks.ts';
import { trainTiny } from './helpers.ts';
import { realEpisodes } from './realData.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-learn-'));

beforeAll(async () => { await initBackend('wasm'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('learning on real sim episodes', () => {
  it('beats the copy-last-latent baseline at 4 steps', async () => {
    const data = await realEpisodes(40, 21);
    const r = await trainTiny(join(dir, 'm'), data, { reg: 'vicreg', target: 'stopgrad', loss: 'l1' }, { steps: 120, evalEvery: 120, valFraction: 0.25 });
    disposeNetworks(r.nets);
    const val = r.history[r.history.length - 1].val;
    const h4 = val.horizons.find((h) => h.h === 4);
    expect(h4).toBeDefined();
    expect(h4?.ratio).toBeLessThan(1);
    expect(val.collapse.collapsed).toBe(false);
  });
});
