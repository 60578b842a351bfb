// Hostile input through the real CLI: broken task files and outputs that cannot be written.
// Each must end in a short `error: ... fix: ...`, exit 2, print no stack trace, and leave what
// was on disk as it was. (Flags are walked in-process by flags.test.ts.)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'jepa-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number | null; err: string }

/** Spawned in parallel (each is a separate node process), so a dozen cases cost a few seconds. */
function cli(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => done({ code, err }));
  });
}

function expectUserError(r: Run, pattern: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(/^error: /m);
  expect(r.err).toMatch(pattern);
  expect(r.err).toMatch(/\n {2}fix: /);
  expect(r.err).not.toMatch(/\n\s+at /);
}

describe('task files that are not a task (collect --task)', () => {
  const files: Record<string, string> = {
    'throws.ts': 'throw new Error("task setup failed: no config");\nexport default {};\n',
    'syntax.ts': 'export default { id: "x", \n',
    'empty.ts': '',
    'half.ts': 'export default { id: "half", description: "half a task", maxSteps: 10 };\n',
  };
  const cases: [string, RegExp][] = [
    ['throws.ts', /task file .*throws\.ts could not be loaded: task setup failed: no config/],
    ['syntax.ts', /task file .*syntax\.ts could not be loaded: .*syntax\.ts:2:0: ERROR: /],
    ['empty.ts', /task file .*empty\.ts has no default export \(it exports nothing\)/],
    ['half.ts', /task from .*half\.ts is missing or has invalid members: actionBounds .*evaluate \(function\)/],
    [join(ROOT, 'test/fixtures/tasks/noDefault.ts'), /noDefault\.ts has no default export \(it exports only task\)/],
  ];
  beforeAll(() => { for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text); });

  it('each is a UserError naming the file and the problem, exit 2, no dataset written', async () => {
    const runs = await Promise.all(cases.map(([file], i) =>
      cli(['collect', '--task', resolve(dir, file), '--episodes', '1', '--out', join(dir, `task-${i}.h5`)])));
    runs.forEach((r, i) => {
      expectUserError(r, cases[i][1]);
      expect(existsSync(join(dir, `task-${i}.h5`))).toBe(false);
    });
    expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  }, 60_000);
});

describe('outputs that cannot be written', () => {
  const file = join(dir, 'a-file');
  const foreign = join(dir, 'my-stuff');
  beforeAll(() => {
    writeFileSync(file, 'keep me');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'keep me too');
    mkdirSync(join(dir, 'a-dir'));
  });

  it('collect, train and bench refuse each before any work, and leave what was there', async () => {
    const data = join(dir, 'never-read.h5');
    const cases: [string[], RegExp][] = [
      [['collect', '--task', 'slide', '--episodes', '1', '--out', join(file, 'x.h5')], /cannot write dataset .*a-file\/x\.h5': .*\(part of that path is a file\)/],
      [['collect', '--task', 'slide', '--episodes', '1', '--out', join(dir, 'a-dir')], /cannot write dataset .*a-dir': it is an existing directory/],
      [['collect', '--task', 'slide', '--episodes', '1', '--out', file], /--out .*a-file' exists and is not an HDF5 dataset/],
      [['collect', '--task', 'slide', '--episodes', '1', '--out', '/proc/jepa-x.h5'], /cannot write dataset '\/proc\/jepa-x\.h5': directory '\/proc' is not writable/],
      [['train', '--data', data, '--out', file], /cannot write a folder at .*a-file': it is an existing file/],
      [['train', '--data', data, '--out', join(file, 'model')], /cannot write folder .*a-file\/model': .*\(part of that path is a file\)/],
      [['train', '--data', data, '--out', foreign], /--out .*my-stuff' holds files that are not part of a checkpoint \(notes\.txt\)/],
      [['bench', '--planners', 'random', '--tasks', 'slide', '--episodes', '1', '--out', file], /cannot write report .*a-file\/report\.json': .*\(part of that path is a file\)/],
    ];
    writeFileSync(data, 'never read: the output is checked first');
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => expectUserError(r, cases[i][1]));
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
    expect(readdirSync(join(dir, 'a-dir'))).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  }, 60_000);
});
