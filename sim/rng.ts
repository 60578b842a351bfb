// Every random choice in the project flows from an explicit seed through this generator, so the
// same seed always gives the same episode, dataset, training run and benchmark table.

/** A small, fast, seedable PRNG (sfc32, seeded through splitmix32 so nearby seeds diverge). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}`);
    let s = Math.floor(seed) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** Standard normal (Box–Muller; one value per call keeps the stream simple to reason about). */
  normal(): number {
    let u = this.next();
    if (u < 1e-12) u = 1e-12;
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list');
    return items[this.int(0, items.length)];
  }

  /**
   * `k` of `items` without replacement, in draw order (a partial Fisher-Yates on a copy); all of
   * them, in their order and without a draw, when there are no more than `k`.
   */
  subset<T>(items: readonly T[], k: number): T[] {
    if (items.length <= k) return [...items];
    const a = [...items];
    for (let i = 0; i < k; i++) { const j = this.int(i, a.length); [a[i], a[j]] = [a[j], a[i]]; }
    return a.slice(0, k);
  }

  /** A child generator whose stream is independent of later draws from this one. */
  fork(salt: number): Rng {
    return new Rng((this.nextUint32() ^ Math.imul(salt | 0, 0x27d4eb2d)) >>> 0);
  }
}

/** Derive a stable 32-bit seed from a base seed and an index (e.g. episode i of a collection). */
export function deriveSeed(base: number, index: number): number {
  let h = (Math.floor(base) ^ 0x5bd1e995) >>> 0;
  h = Math.imul(h ^ (index >>> 0), 0x9e3779b1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Reset seeds from EVAL_SEED_BASE to EVAL_SEED_BASE + EVAL_SEED_SPAN - 1 are reserved for
 * evaluation (plan, bench): no training episode is ever collected from them.
 */
export const EVAL_SEED_BASE = 1_000_000_000;
export const EVAL_SEED_SPAN = 100_000_000;

export function isEvalSeed(seed: number): boolean {
  return seed >= EVAL_SEED_BASE && seed < EVAL_SEED_BASE + EVAL_SEED_SPAN;
}

/** The reset seed of training episode i of a collection: deriveSeed, re-hashed out of the eval range. */
export function trainingSeed(base: number, index: number): number {
  let s = deriveSeed(base, index);
  while (isEvalSeed(s)) s = deriveSeed(s, index);
  return s;
}
