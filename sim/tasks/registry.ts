// Built-in tasks by id, and loading a task by id or from a user's own file (no project change).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { UserError } from '../errors.ts';
import { validateTask } from '../task.ts';
import type { TaskDefinition } from '../task.ts';
import fragile from './fragile.ts';
import slide from './slide.ts';
import slideFar from './slideFar.ts';
import slideThenTip from './slideThenTip.ts';
import tip from './tip.ts';

export const builtinTasks: Record<string, TaskDefinition> = { slide, tip, fragile, 'slide-far': slideFar, 'slide-then-tip': slideThenTip };

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || /\.(m?[jt]s)$/.test(s);
}

/** The "type" of the package.json nearest to `file` (Node's rule for .ts/.js files). */
function packageType(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const type = (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type;
        return type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    if (dirname(dir) === dir) return 'commonjs';
  }
}

/**
 * A file Node sees as an ES module (.mts/.mjs, or in a "type": "module" package, e.g. inside the
 * project) is imported as is, sharing the project's module instances. Any other .ts file (e.g.
 * /tmp/my-task.ts with no package.json around it) counts as CommonJS; a plain import() of its
 * `import`/`export` syntax then fails ("Cannot require() ES Module ... in a cycle", or under the
 * bin, which registers only tsx's ESM hooks, not at all). tsx's tsImport compiles it whatever
 * the surrounding package says, in a module scope of its own: project modules it imports are
 * separate copies, which is harmless since a task is plain objects and functions that act on the
 * Scene they are handed. It hands back the CommonJS exports object as `default`.
 */
async function importTaskModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  const ext = extname(file);
  if (ext === '.mts' || ext === '.mjs' || packageType(file) === 'module') {
    return (await import(url)) as Record<string, unknown>;
  }
  const mod = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  const exports = mod.default as Record<string, unknown> | undefined;
  if (exports && typeof exports === 'object' && exports.__esModule === true) {
    return { ...exports, default: exports.default };
  }
  // A file that exports nothing comes back as an empty CommonJS exports object: no task.
  if (exports && typeof exports === 'object' && Object.keys(exports).length === 0) return {};
  return mod;
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
    mod = await importTaskModule(file);
  } catch (e) {
    // Keep the lines that say what and where (esbuild puts "file:line:col: ERROR: ..." second).
    const msg = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim()).slice(0, 3).join(' ');
    throw new UserError(`task file ${file} could not be loaded: ${msg}`, 'fix the error in the file (run `npx tsc --noEmit` on it for details)');
  }
  if (mod.default === undefined) {
    const named = Object.keys(mod).filter((k) => k !== 'default');
    throw new UserError(
      `task file ${file} has no default export (${named.length > 0 ? `it exports only ${named.join(', ')}` : 'it exports nothing'})`,
      'end the file with `export default myTask;` where myTask is a TaskDefinition (see README "Add a task")',
    );
  }
  return validateTask(mod.default, file);
}

/**
 * An error thrown by the code of a user's task file (its top stack frame is in that file) is the
 * user's to fix, so it is reported as a UserError naming the file, line and column, not as a bug
 * of jepa-mpc with a stack. Anything else (a built-in task, a throw inside the project) is undefined.
 */
export function taskFileError(idOrPath: string, message: string, stack: string | undefined, where: string): UserError | undefined {
  if (Object.hasOwn(builtinTasks, idOrPath) || !looksLikePath(idOrPath) || !stack) return undefined;
  const file = resolve(process.cwd(), idOrPath);
  const top = stack.split('\n').find((l) => /^\s+at /.test(l));
  const frame = top && new RegExp(`(?:${escapeRegExp(pathToFileURL(file).href)}|${escapeRegExp(file)}):(\\d+):(\\d+)`).exec(top);
  if (!frame) return undefined;
  return new UserError(`task file ${file} threw${where}: ${message} (at line ${frame[1]}, column ${frame[2]})`,
    'fix the task file there; the episode\'s seed above reproduces it');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
