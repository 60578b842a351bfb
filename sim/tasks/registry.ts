// Built-in tasks by id, and loading a task by id or from a user's own file (no project change).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.ts';
import { validateTask } from '../task.ts';
import type { TaskDefinition } from '../task.ts';
import fragile from './fragile.ts';
import slide from './slide.ts';
import tip from './tip.ts';

export const builtinTasks: Record<string, TaskDefinition> = { slide, tip, fragile };

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || /\.(m?[jt]s)$/.test(s);
}

/** `loadTask('slide')` or `loadTask('./my-task.ts')` (relative to the current directory). */
export async function loadTask(idOrPath: string): Promise<TaskDefinition> {
  const builtin = Object.hasOwn(builtinTasks, idOrPath) ? builtinTasks[idOrPath] : undefined;
  if (builtin) return builtin;
  const ids = Object.keys(builtinTasks).join(', ');
  if (!looksLikePath(idOrPath)) {
    throw new UserError(
      `unknown task '${idOrPath}' (built-in tasks: ${ids})`,
      `pass one of ${ids}, or a task file such as --task ./my-task.ts`,
    );
  }
  const file = resolve(process.cwd(), idOrPath);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new UserError(`task file not found: ${file}`, 'check the path (it is resolved against the current directory)');
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    // Keep the lines that say what and where (esbuild puts "file:line:col: ERROR: ..." second).
    const msg = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim()).slice(0, 3).join(' ');
    throw new UserError(`task file ${file} could not be loaded: ${msg}`, 'fix the error in the file (run `npx tsc --noEmit` on it for details)');
  }
  if (mod.default === undefined) {
    throw new UserError(
      `task file ${file} has no default export`,
      'end the file with `export default myTask;` where myTask is a TaskDefinition (see README "Add a task")',
    );
  }
  return validateTask(mod.default, file);
}
