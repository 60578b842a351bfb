// Hostile input through the real CLI: broken task files, damaged models, outputs that cannot be
// written, addresses serve cannot listen on.
// Each must end in a short `error: ... fix: ...`, exit 2, print no stack trace, and leave what
// was on disk as it was. (Flags are walked in-process by flags.test.ts.)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../sim/errors.ts';
import { startViewerServer } from '../../viewer/server/server.ts';
import { fakeFactory } from '../viewer/fakeRunner.ts';

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

describe('models that cannot be loaded (plan, bench, serve --model)', () => {
  it('a missing or damaged checkpoint is named with what is wrong, before any episode', async () => {
    const wrongVersion = join(dir, 'model-v99');
    cpSync(join(ROOT, 'models/world'), wrongVersion, { recursive: true });
    const cfg = join(wrongVersion, 'config.json');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('"version": 1,', '"version": 99,'));
    const notADir = join(dir, 'model-file');
    writeFileSync(notADir, 'not a checkpoint');
    const cases: [string[], RegExp][] = [
      [['plan', '--model', join(dir, 'no-model'), '--episodes', '1'], /model directory '.*no-model' does not exist/],
      [['plan', '--model', wrongVersion, '--episodes', '1', '--backend', 'wasm'], /checkpoint '.*model-v99' has format version 99; this program reads version 1/],
      [['plan', '--model', notADir, '--episodes', '1', '--backend', 'wasm'], /checkpoint '.*model-file' does not exist or is not a directory/],
      [['bench', '--tasks', 'slide', '--planners', 'jepa-cem', '--models-dir', join(dir, 'no-models'), '--episodes', '1', '--out', join(dir, 'b')], /missing trained models: .*no-models\/world \(for jepa-cem\)/],
      [['serve', '--model', join(dir, 'no-model'), '--port', '0'], /model directory '.*no-model' does not exist/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => expectUserError(r, cases[i][1]));
    expect(existsSync(join(dir, 'b'))).toBe(false);
  }, 60_000);
});

describe('serve: an address it cannot listen on', () => {
  let taken: Server | undefined;
  afterAll(() => { taken?.close(); });

  async function listenError(host: string, port: number): Promise<unknown> {
    return startViewerServer({
      host, port, staticDir: dir, factory: fakeFactory(),
      session: { task: 'slide', planner: 'random', tasks: ['slide'], planners: ['random'], seed: 1 },
    }).then(async (s) => { await s.close(); return undefined; }, (e: unknown) => e);
  }

  it('a port in use and a host that is not this machine\'s are UserErrors saying what to pass instead', async () => {
    taken = createServer();
    await new Promise<void>((r) => taken!.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const inUse = await listenError('127.0.0.1', port);
    expect(isUserError(inUse)).toBe(true);
    expect((inUse as Error).message).toBe(`port ${port} on 127.0.0.1 is already in use`);
    expect((inUse as { hint?: string }).hint).toMatch(/pick another port, e\.g\. --port \d+/);
    // 192.0.2.0/24 is reserved for documentation: no machine has that address.
    const foreign = await listenError('192.0.2.1', 0);
    expect(isUserError(foreign)).toBe(true);
    expect((foreign as Error).message).toBe("cannot bind to host '192.0.2.1'");
  });
});
