// Picks the fastest TensorFlow.js backend that loads on this machine. The native bindings
// (tfjs-node-gpu, tfjs-node) are optional installs, so they are probed with dynamic imports;
// wasm (SIMD) is the portable default and cpu the last resort.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../sim/errors.ts';
import { patchWasmMatMul } from './wasmMatMul.ts';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const backendChoices: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

let settled: { choice: BackendChoice; name: string } | undefined;

async function tryNative(log: (s: string) => void): Promise<boolean> {
  // A variable specifier keeps TypeScript and bundlers from resolving packages that are
  // usually absent.
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ pkg);
      if (await tf.setBackend('tensorflow')) return true;
    } catch (e) {
      log(`backend: ${pkg} not available (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return false;
}

async function tryWasm(log: (s: string) => void): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the module looks for its .wasm binaries next to the file it was loaded from;
    // point it at the package's dist explicitly so this works from any working directory.
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': join(dist, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': join(dist, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
    patchWasmMatMul();
    return await tf.setBackend('wasm');
  } catch (e) {
    log(`backend: wasm failed to load (${(e as Error).message.split('\n')[0]})`);
    return false;
  }
}

/**
 * Select and initialise a backend; returns its tfjs name ('tensorflow' | 'wasm' | 'cpu').
 * Calling again with the same choice is a no-op; a different choice switches backends.
 */
export async function initBackend(choice: BackendChoice, log: (s: string) => void = () => {}): Promise<string> {
  if (settled && settled.choice === choice && tf.getBackend() === settled.name) return settled.name;
  let ok: boolean;
  if (choice === 'auto') {
    ok = (await tryNative(log)) || (await tryWasm(log)) || (await tf.setBackend('cpu'));
  } else if (choice === 'tensorflow') {
    ok = await tryNative(log);
    if (!ok) {
      throw new UserError('backend "tensorflow" requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads',
        'install one (npm install @tensorflow/tfjs-node-gpu@4.22.0 on a CUDA machine with internet), or use --backend auto');
    }
  } else if (choice === 'wasm') {
    ok = await tryWasm(log);
    if (!ok) throw new UserError('backend "wasm" failed to initialise', 'use --backend cpu or --backend auto');
  } else {
    ok = await tf.setBackend('cpu');
  }
  if (!ok) throw new Error(`no TensorFlow.js backend could be initialised (asked for ${choice})`);
  await tf.ready();
  const name = tf.getBackend();
  // The cpu backend's first write prints a banner recommending tfjs-node; we already said which
  // backend runs and why, so mark it as used.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  settled = { choice, name };
  log(`backend: ${name}`);
  return name;
}
