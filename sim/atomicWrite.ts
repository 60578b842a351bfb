// Nothing already written is lost: every output file is written to a temporary sibling and
// renamed into place, so a crash or Ctrl-C leaves either the old file or the complete new one.
import { mkdirSync, renameSync, rmSync, writeFileSync, accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { UserError } from './errors.ts';

/** A temp path beside `target` (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.tmp-${process.pid}-${Date.now().toString(36)}-${basename(abs)}`);
}

/** Check up front that `target` can be created, so long work does not fail at the very end. */
export function ensureWritableTarget(target: string, what = 'output'): void {
  const abs = resolve(target);
  const dir = dirname(abs);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`cannot write ${what} '${target}': directory '${dir}' is not writable or cannot be created`,
      'choose an output path in a directory you can write to');
  }
  if (existsSync(abs) && statSync(abs).isDirectory() && what !== 'directory') {
    throw new UserError(`cannot write ${what} '${target}': it is an existing directory`, 'give a file path');
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(target);
  mkdirSync(dirname(resolve(target)), { recursive: true });
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
  mkdirSync(tmp, { recursive: true });
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
