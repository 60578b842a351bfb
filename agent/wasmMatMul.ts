// The wasm backend's BatchMatMul is ~10-15x slower when asked to transpose an operand (measured
// here: [768,256]x[256,256] 9 ms plain, 120-140 ms with transposeA or transposeB). Every
// backward pass of a dense layer asks for exactly that, so training ran at ~1 GFLOP/s. Its
// Transpose kernel is fast, so we re-register BatchMatMul (and _FusedMatMul) to transpose the
// operands explicitly and then run the fast, untransposed product.
import * as tf from '@tensorflow/tfjs';

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface Info { dataId: object; shape: number[]; dtype: string }

let patched = false;

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function wrap(kernelName: string, transpose: tf.KernelFunc): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  const kernelFunc = ((args: KernelArgs) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    const backend = args.backend as unknown as { disposeData(id: object): void };
    const inputs = { ...args.inputs } as Record<string, Info>;
    const temps: Info[] = [];
    const flip = (key: 'a' | 'b'): void => {
      const x = inputs[key];
      const t = transpose({ inputs: { x } as unknown as tf.NamedTensorInfoMap, backend: args.backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as unknown as Info;
      temps.push(t);
      inputs[key] = t;
    };
    if (attrs.transposeA) flip('a');
    if (attrs.transposeB) flip('b');
    try {
      return original.kernelFunc({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }) as tf.KernelFunc;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}

/** Install once, after the wasm backend is registered and before it computes anything. */
export function patchWasmMatMul(): void {
  if (patched) return;
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  wrap('BatchMatMul', transpose.kernelFunc);
  wrap('_FusedMatMul', transpose.kernelFunc);
  patched = true;
}
