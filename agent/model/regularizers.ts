// Anti-collapse terms on a batch of latents z [N, D]. Without one, encoder + predictor can make
// every prediction loss zero by mapping all observations to the same point.
//  - VICReg (variance + covariance): each dimension keeps std >= 1, dimensions decorrelate.
//  - SIGReg (LeJEPA): random 1-D projections of z should look standard normal, tested with the
//    Epps–Pulley statistic (distance of the empirical characteristic function to exp(-t^2/2)).
import * as tf from '@tensorflow/tfjs';

export type RegKind = 'vicreg' | 'sigreg' | 'none';
export const regKinds: readonly RegKind[] = ['vicreg', 'sigreg', 'none'];

/** VICReg variance hinge + off-diagonal covariance penalty; returns [variance, covariance]. */
export function vicregTerms(z: tf.Tensor2D): [tf.Scalar, tf.Scalar] {
  return tf.tidy(() => {
    const [n, d] = z.shape;
    const centred = tf.sub(z, tf.mean(z, 0, true));
    const variance = tf.div(tf.sum(tf.square(centred), 0), Math.max(n - 1, 1));
    const std = tf.sqrt(tf.add(variance, 1e-4));
    const varLoss = tf.mean(tf.relu(tf.sub(1, std))) as tf.Scalar;
    const cov = tf.div(tf.matMul(centred, centred, true, false), Math.max(n - 1, 1));
    const offDiag = tf.sub(tf.sum(tf.square(cov)), tf.sum(tf.square(variance)));
    const covLoss = tf.div(offDiag, d) as tf.Scalar;
    return [varLoss, covLoss];
  });
}

/** Knots for the Epps–Pulley integral over t in [0, tMax]; the integrand is even in t. */
function knots(count: number, tMax: number): { t: Float32Array; w: Float32Array } {
  const t = new Float32Array(count);
  const w = new Float32Array(count);
  const dt = tMax / (count - 1);
  for (let i = 0; i < count; i++) {
    t[i] = i * dt;
    // trapezoid weight x Gaussian window exp(-t^2/2), doubled for the mirrored half
    const trap = i === 0 || i === count - 1 ? dt / 2 : dt;
    w[i] = 2 * trap * Math.exp(-(t[i] * t[i]) / 2);
  }
  return { t, w };
}

/**
 * SIGReg: mean over `slices` random unit directions of the weighted squared distance between the
 * empirical characteristic function of the projected batch and the standard normal one.
 * `seed` picks the directions (a new seed each step, as in LeJEPA).
 */
export function sigreg(z: tf.Tensor2D, seed: number, slices = 64, knotCount = 17): tf.Scalar {
  return tf.tidy(() => {
    const d = z.shape[1];
    const dirs = tf.randomNormal([d, slices], 0, 1, 'float32', seed);
    const unit = tf.div(dirs, tf.norm(dirs, 'euclidean', 0, true));
    const proj = tf.matMul(z, unit); // [N, M]
    const { t, w } = knots(knotCount, 3);
    const tt = tf.tensor1d(t);
    const arg = tf.mul(tf.expandDims(proj, 2), tt); // [N, M, K]
    const re = tf.mean(tf.cos(arg), 0); // [M, K]
    const im = tf.mean(tf.sin(arg), 0);
    const target = tf.exp(tf.div(tf.neg(tf.square(tt)), 2));
    const err = tf.add(tf.square(tf.sub(re, target)), tf.square(im));
    const stat = tf.sum(tf.mul(err, tf.tensor1d(w)), 1); // [M]
    // Scaling by N makes it the usual test statistic, comparable across batch sizes.
    return tf.mul(tf.mean(stat), z.shape[0]) as tf.Scalar;
  });
}
