// Plain-number statistics used for validation: collapse (per-dimension std, effective rank of the
// latent covariance), probe fit (ridge regression, R^2). Latent matrices are small (N x 64), so
// this is ordinary JavaScript arithmetic, no tensors to dispose.

/** Row-major N x D matrix. */
export interface Matrix { rows: number; cols: number; data: Float32Array | Float64Array }

export function columnStats(m: Matrix): { mean: Float64Array; std: Float64Array } {
  const { rows: n, cols: d, data } = m;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) { const c = data[i * d + j] - mean[j]; sq[j] += c * c; }
  const std = sq.map((s) => Math.sqrt(s / Math.max(n - 1, 1)));
  return { mean, std };
}

export function covariance(m: Matrix): Float64Array {
  const { rows: n, cols: d, data } = m;
  const { mean } = columnStats(m);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const ca = data[i * d + a] - mean[a];
      for (let b = a; b < d; b++) cov[a * d + b] += ca * (data[i * d + b] - mean[b]);
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) { cov[a * d + b] /= Math.max(n - 1, 1); cov[b * d + a] = cov[a * d + b]; }
  return cov;
}

/** Eigenvalues of a symmetric d x d matrix by cyclic Jacobi rotations (fine for d <= 256). */
export function symmetricEigenvalues(sym: Float64Array, d: number): number[] {
  const a = Float64Array.from(sym);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off < 1e-20) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: d }, (_, i) => a[i * d + i]);
}

/**
 * Effective rank (Roy & Vetterli): exp of the entropy of the normalized covariance spectrum.
 * D for isotropic latents, 1 when everything lies on a line, ~0 when the variance is ~0.
 */
export function effectiveRank(m: Matrix): number {
  const eig = symmetricEigenvalues(covariance(m), m.cols).map((e) => Math.max(e, 0));
  const total = eig.reduce((s, e) => s + e, 0);
  if (!(total > 1e-12)) return 0;
  let h = 0;
  for (const e of eig) { const p = e / total; if (p > 0) h -= p * Math.log(p); }
  return Math.exp(h);
}

export interface CollapseMetrics { meanStd: number; minStd: number; effectiveRank: number; collapsed: boolean }

/** Collapse when the latent spread is tiny or it lives in (almost) one direction. */
export function collapseMetrics(z: Matrix, stdThreshold = 0.05, rankThreshold = 1.5): CollapseMetrics {
  const { std } = columnStats(z);
  const meanStd = std.reduce((s, v) => s + v, 0) / std.length;
  const minStd = std.reduce((s, v) => Math.min(s, v), Infinity);
  const er = effectiveRank(z);
  return { meanStd, minStd, effectiveRank: er, collapsed: meanStd < stdThreshold || er < rankThreshold };
}

/** Solve the symmetric positive definite system A x = b in place (Cholesky); A is n x n, B n x m. */
function choleskySolve(A: Float64Array, B: Float64Array, n: number, m: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * n + j];
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) { let s = X[i * m + c]; for (let k = 0; k < i; k++) s -= L[i * n + k] * X[k * m + c]; X[i * m + c] = s / L[i * n + i]; }
    for (let i = n - 1; i >= 0; i--) { let s = X[i * m + c]; for (let k = i + 1; k < n; k++) s -= L[k * n + i] * X[k * m + c]; X[i * m + c] = s / L[i * n + i]; }
  }
  return X;
}

/** Ridge regression Y ~ X W + b (bias unpenalized via centring); `lambda` is relative to the mean
 * feature variance. Returns W [D x P] and b [P]. */
export function ridgeFit(X: Matrix, Y: Matrix, lambda: number): { W: Float64Array; b: Float64Array } {
  const n = X.rows, d = X.cols, p = Y.cols;
  const xs = columnStats(X).mean, ys = columnStats(Y).mean;
  const A = new Float64Array(d * d);
  const B = new Float64Array(d * p);
  const xc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) xc[a] = X.data[i * d + a] - xs[a];
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) A[a * d + b] += xc[a] * xc[b];
      for (let c = 0; c < p; c++) B[a * p + c] += xc[a] * (Y.data[i * p + c] - ys[c]);
    }
  }
  // The penalty is relative to the latents' average variance, so it means the same whatever
  // their scale (a fresh encoder's latents can be 100x smaller than a trained one's).
  let trace = 0;
  for (let a = 0; a < d; a++) trace += A[a * d + a];
  const ridge = lambda * Math.max(trace / d, 1e-12);
  for (let a = 0; a < d; a++) { for (let b = 0; b < a; b++) A[a * d + b] = A[b * d + a]; A[a * d + a] += ridge; }
  const W = choleskySolve(A, B, d, p);
  const b = new Float64Array(p);
  for (let c = 0; c < p; c++) { let s = ys[c]; for (let a = 0; a < d; a++) s -= xs[a] * W[a * p + c]; b[c] = s; }
  return { W, b };
}

export function linearPredict(X: Matrix, W: ArrayLike<number>, b: ArrayLike<number>, p: number): Float64Array {
  const out = new Float64Array(X.rows * p);
  for (let i = 0; i < X.rows; i++) {
    for (let c = 0; c < p; c++) {
      let s = b[c];
      for (let a = 0; a < X.cols; a++) s += X.data[i * X.cols + a] * W[a * p + c];
      out[i * p + c] = s;
    }
  }
  return out;
}

/** Coefficient of determination per output column. */
export function r2PerColumn(truth: Matrix, pred: ArrayLike<number>): number[] {
  const { mean } = columnStats(truth);
  const out: number[] = [];
  for (let c = 0; c < truth.cols; c++) {
    let ssRes = 0, ssTot = 0;
    for (let i = 0; i < truth.rows; i++) {
      const y = truth.data[i * truth.cols + c];
      ssRes += (y - pred[i * truth.cols + c]) ** 2;
      ssTot += (y - mean[c]) ** 2;
    }
    out.push(ssTot > 1e-12 ? 1 - ssRes / ssTot : 0);
  }
  return out;
}
