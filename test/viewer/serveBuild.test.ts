// serve on a fresh clone (no built page) builds it first instead of answering 503.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { servesAfterBuild } from '../../viewer/server/build.ts';

const dir = mkdtempSync(join(tmpdir(), 'jepa-serve-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serve builds the page when it is missing', () => {
  it('builds without --ensure-build when dist has no index.html, and not when it has one', () => {
    const dist = join(dir, 'dist');
    expect(servesAfterBuild(false, dist)).toBe(true);
    mkdirSync(dist);
    expect(servesAfterBuild(false, dist)).toBe(true);
    writeFileSync(join(dist, 'index.html'), '<!doctype html>');
    expect(servesAfterBuild(false, dist)).toBe(false);
    expect(servesAfterBuild(true, dist)).toBe(true);
  });
});
