// Which frames are probe targets: the bottle must exist and its centre must be in the camera's
// view; a task without an x, y, z state is probed on every frame that has not burst.
import { describe, expect, it } from 'vitest';
import { syntheticEpisodes, syntheticSpec } from '../../agent/bench/syntheticEpisodes.ts';
import { EpisodeSet } from '../../agent/trainData.ts';
import { probeTargets, showsObject } from '../../agent/validate.ts';
import { defaultCameraSpec } from '../../sim/depthCamera.ts';
import type { EnvSpec } from '../../sim/types.ts';

const labels = ['x', 'y', 'z', 'tilt', 'burst'];
const spec = (stateLabels: string[]): EnvSpec => ({ stateLabels, camera: defaultCameraSpec() }) as unknown as EnvSpec;

describe('showsObject', () => {
  it('keeps frames with the bottle in view and drops bursts and frames with it out of view', () => {
    const shows = showsObject(spec(labels));
    // Rows: in view; burst; pushed off the seen part of the table to each side and toward the camera.
    const state = Float32Array.from([0.05, 0.04, 0.1, 0, 0, 0.05, 0.04, 0.1, 0, 1, -0.45, 0.04, 0, 0, 0, 0.45, 0.04, 0, 0, 0, 0, 0.04, -0.5, 0, 0]);
    expect([0, 1, 2, 3, 4].map((r) => shows(state, r * labels.length))).toEqual([true, false, false, false, false]);
  });

  it('judges only bursts when the state has no position', () => {
    const shows = showsObject(spec(['angle', 'burst']));
    expect(shows(Float32Array.from([5, 0]), 0)).toBe(true);
    expect(shows(Float32Array.from([5, 1]), 0)).toBe(false);
  });
});

describe('probeTargets', () => {
  it('probes frames in view, and every frame of a task whose x, y, z never land in view', () => {
    const spec = syntheticSpec(16, 16);
    const episodes = syntheticEpisodes(6, 3, spec);
    const all = episodes.flatMap((e) => Array.from({ length: e.length + 1 }, (_, t) => ({ e, o: t * spec.stateLabels.length })));
    const seen = probeTargets(new EpisodeSet(episodes, spec), [0, 1, 2, 3, 4, 5]).test;
    // The synthetic bottle stays on the straight-down camera's table: every frame shows it.
    expect(all.every(({ e, o }) => seen(e.state, o))).toBe(true);
    // The same camera turned to look away sees none, so no frame would be a target: all are kept.
    const away = { ...spec, camera: { ...spec.camera, target: [0, 2, 0] as [number, number, number] } };
    expect(all.some(({ e, o }) => showsObject(away)(e.state, o))).toBe(false);
    const kept = probeTargets(new EpisodeSet(episodes, away), [0, 1, 2, 3, 4, 5]).test;
    expect(all.every(({ e, o }) => kept(e.state, o))).toBe(true);
  });
});
