// Compile Rapier's hot wasm code with V8's optimizing compiler up front, once per process.
//
// Why: Node 20's V8 first runs wasm with its baseline compiler (Liftoff) and re-compiles hot
// functions with TurboFan on a background thread. One of Rapier's functions (the inlined
// world-step, wasm-function[2664] in 0.21.0) is so large that TurboFan needs ~2-3 CPU-seconds
// for it (perf: ScheduleLateNodeVisitor::SplitNode on one of V8's platform threads). Until it is
// done, world.step runs ~4x slower in Liftoff code and the compiler thread occupies the second
// core, which is why one collect worker looked like it used two cores and two workers did not
// scale. Compiling eagerly (--no-liftoff) on the first call costs the same CPU once, on this
// thread, and afterwards everything runs at full speed with no background thread. TurboFan's node
// splitting is also switched off while warming up: it is most of that function's compile time
// (~2.5 -> ~1.8 CPU-s here) and measured no slower to run.
//
// V8 keeps one copy of a wasm module's machine code per process, shared by every worker thread
// that instantiates the same bytes while some thread still holds it, so warming up in the main
// thread before starting workers gives every worker the optimized code for free.
import v8 from 'node:v8';
import { Env } from './env.ts';
import { deriveSeed } from './rng.ts';
import { rollout } from './rollout.ts';
import { builtinTasks } from './tasks/registry.ts';
import type { TaskDefinition } from './task.ts';

let warmed: Promise<WarmupReport> | null = null;

export interface WarmupReport {
  /** Wall time the warm-up took (ms); later calls return the first call's report. */
  ms: number;
  /** Transitions simulated to reach every hot code path. */
  transitions: number;
}

/** True if the user already chose V8's wasm tiers (e.g. `node --no-liftoff`): leave them alone. */
function userSetLiftoff(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((a) => /^--(no-)?(liftoff|turbo-splitting)$/.test(a) || a.startsWith('--liftoff-only') || a === '--no-wasm-tier-up');
}

/**
 * Run `episodes` short episodes of every built-in task (and `extra`, e.g. a user task) with the
 * camera on: between them they slide, tip and burst the bottle, so every code path a collection
 * takes has run. Returns the number of transitions. Also used by each collect worker to let V8
 * optimize its JavaScript: a path first met later deoptimizes the hot functions ("wrong map" in
 * step, render and drainPusherForces after a warm-up without a burst, measured with
 * --trace-deopt), and re-optimizing them costs ~0.1-0.2 CPU-s each.
 */
export async function exerciseSimulation(extra?: TaskDefinition, episodes = 3): Promise<number> {
  let transitions = 0;
  const tasks = Object.values(builtinTasks);
  if (extra && !tasks.includes(extra)) tasks.push(extra);
  for (const task of tasks) {
    const env = await Env.create({ task, obsSize: 32, renderDepth: true });
    try {
      for (let i = 0; i < episodes; i++) transitions += rollout(env, deriveSeed(0x3a11, i)).episode.length;
      env.goalObservation();
    } finally {
      env.free();
    }
  }
  return transitions;
}

/**
 * exerciseSimulation with Liftoff off, so every Rapier function it reaches (stepping, contact
 * forces, bursts and fragments, ray casts) is compiled by TurboFan now. Liftoff is switched back
 * on afterwards so other wasm (h5wasm, tfjs) compiles as usual. Once per thread.
 */
export function warmUpRapier(extra?: TaskDefinition): Promise<WarmupReport> {
  warmed ??= (async () => {
    const t0 = performance.now();
    const own = !userSetLiftoff();
    if (own) v8.setFlagsFromString('--no-liftoff --no-turbo-splitting');
    try {
      const transitions = await exerciseSimulation(extra);
      return { ms: performance.now() - t0, transitions };
    } finally {
      if (own) v8.setFlagsFromString('--liftoff --turbo-splitting');
    }
  })();
  return warmed;
}
