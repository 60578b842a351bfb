// Nothing already written is lost: every output file is written to a temporary sibling and
// renamed into place, so a crash or Ctrl-C leaves either the old file or the complete new one.
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { UserError } from './errors.ts';

/** A temp path beside `target` (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.tmp-${process.pid}-${Date.now().toString(36)}-${basename(abs)}`);
}

/**
 * Create `dir` and its missing parents one by one. Node's own `mkdirSync(dir, { recursive: true })`
 * never returns where a filesystem answers ENOENT under an existing parent (e.g. /proc).
 */
export function makeDirs(dir: string): string[] {
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) {
    throw Object.assign(new Error(`'${at}' is a file, not a directory`), { code: 'ENOTDIR' });
  }
  for (const d of missing) mkdirSync(d);
  return missing;
}

const WRITE_FAILURES: Record<string, string> = {
  ENOTDIR: 'part of that path is a file', EACCES: 'permission denied', EPERM: 'permission denied',
  EROFS: 'read-only file system', ENOSPC: 'no space left on the device', ENOENT: 'files cannot be created there',
};

/**
 * Check up front that `target` can be created, so long work does not fail at the very end: its
 * directory is created if missing and a probe file is written there (permission bits alone say
 * nothing for root, or on a read-only or pseudo filesystem). `what` names the output in messages;
 * 'directory' expects `target` to be a folder (which need not exist yet), anything else a file.
 */
export function ensureWritableTarget(target: string, what = 'output'): void {
  const abs = resolve(target);
  const dir = dirname(abs);
  const probe = join(dir, `.tmp-${process.pid}-probe-${basename(abs)}`);
  try {
    // The check leaves no trace: a command refused later (a missing model, say) creates nothing.
    // The writers create the folders again when they write.
    const created = makeDirs(dir);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    for (const d of created.reverse()) rmdirSync(d);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = (code && WRITE_FAILURES[code]) ?? code ?? (e as Error).message;
    throw new UserError(`cannot write ${what === 'directory' ? 'folder' : what} '${target}': directory '${dir}' is not writable or cannot be created (${why})`,
      'choose an output path in a directory you can write to');
  }
  if (!existsSync(abs)) return;
  const isDir = statSync(abs).isDirectory();
  if (isDir && what !== 'directory') {
    throw new UserError(`cannot write ${what} '${target}': it is an existing directory`, 'give a file path');
  }
  if (!isDir && what === 'directory') {
    throw new UserError(`cannot write a folder at '${target}': it is an existing file`, 'give the path of a folder (a new one, or one this command wrote before)');
  }
}

/**
 * A process killed outright (SIGKILL, power loss) cannot remove its temp file or folder; the next
 * writer of the same target removes those whose writing process no longer exists. A folder moved
 * aside (`.old`) is removed only once the target is back in place: until then it is the only copy.
 */
export function removeStaleTemps(target: string): void {
  const abs = resolve(target);
  const name = basename(abs);
  let entries: string[];
  try {
    entries = readdirSync(dirname(abs));
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^\.tmp-(\d+)-[0-9a-z]+-(.+?)(\.old)?$/.exec(entry);
    if (!m || m[2] !== name || Number(m[1]) === process.pid || (m[3] && !existsSync(abs))) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dirname(abs), entry), { recursive: true, force: true });
    }
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  makeDirs(dirname(resolve(target)));
  removeStaleTemps(target);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Build a directory under a temp name, then swap it into place. An existing directory at `target`
 * is moved aside first and removed only after the new one is in place.
 */
export async function writeDirAtomic(target: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const abs = resolve(target);
  const tmp = tempPathFor(abs);
  makeDirs(dirname(abs));
  removeStaleTemps(abs);
  mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = existsSync(abs) ? `${tmp}.old` : undefined;
  if (old) renameSync(abs, old);
  renameSync(tmp, abs);
  if (old) rmSync(old, { recursive: true, force: true });
}
