// Parsers for command-line flag values. Commander reports an InvalidArgumentError as
// "error: option '--x <n>' argument 'abc' is invalid. <our text>" and the CLI exits 2, without a
// stack. Each numeric parser carries its accepted range (`accepts`), so a test can walk every flag
// of every command and try the values just outside it.
import { InvalidArgumentError } from 'commander';

/** What a numeric flag accepts, attached to its parser. */
export interface NumericRange { kind: 'int' | 'float'; min: number; max: number }
export type FlagParser<T> = ((value: string) => T) & { accepts?: NumericRange };

/** The largest seed: seeds are 32-bit (sim/rng.ts), so a larger one would silently alias a smaller. */
export const MAX_SEED = 0xffffffff;

// Upper bounds where a larger value would exhaust memory (or run for days) before anything useful
// happened: a batch of 10^9 windows aborts V8 outright, 10^8 candidates per iteration never
// finish one planning step.
export const MAX_COLLECT_EPISODES = 10_000_000;
export const MAX_BATCH = 8192;
export const MAX_SAMPLES = 65_536;
export const MAX_ITERATIONS = 1000;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function withRange<T>(parse: (value: string) => T, accepts: NumericRange): FlagParser<T> {
  return Object.assign(parse, { accepts });
}

export function intFlag(min: number, max = Number.MAX_SAFE_INTEGER): FlagParser<number> {
  const range = `from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any size' : max}`;
  return withRange((value: string) => {
    const text = value.trim();
    if (!/^[+-]?\d+$/.test(text)) throw new InvalidArgumentError(`expected a whole number ${range}, e.g. ${Math.max(min, 1)}.`);
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number ${range}.`);
    // '-0' is 0: a seed of -0 must be the seed 0.
    return n === 0 ? 0 : n;
  }, { kind: 'int', min, max });
}

/** A seed flag: a whole number from 0 to 4294967295. */
export function seedFlag(): FlagParser<number> {
  return intFlag(0, MAX_SEED);
}

/** A decimal number (1.5, 2e-3; not 0x10, Infinity or NaN) within [min, max]. */
export function floatFlag(min: number, max = Number.POSITIVE_INFINITY): FlagParser<number> {
  return withRange((value: string) => {
    const text = value.trim();
    const n = Number(text);
    if (!DECIMAL.test(text) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a finite number, written in decimal (e.g. 0.5 or 1e-3).');
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}.`);
    return n === 0 ? 0 : n;
  }, { kind: 'float', min, max });
}

/** A path or other free text that must not be empty ('' would mean the current directory, or every interface for --host). */
export function textFlag(what = 'a path'): FlagParser<string> {
  return (value: string) => {
    if (value.trim() === '') throw new InvalidArgumentError(`expected ${what}, got an empty string.`);
    return value;
  };
}

export function choiceFlag<T extends string>(choices: readonly T[]): FlagParser<T> {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** A comma-separated list whose items must each be one of `choices` (when given). */
export function listFlag<T extends string>(choices?: readonly T[]): FlagParser<T[]> {
  return (value: string) => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list.');
    if (choices) {
      const bad = items.filter((s) => !(choices as readonly string[]).includes(s));
      if (bad.length > 0) throw new InvalidArgumentError(`unknown: ${bad.join(', ')}; expected any of: ${choices.join(', ')}.`);
    }
    return items as T[];
  };
}

/** A comma-separated list of numbers, each within [min, max]; `offWord` alone, if given, is the empty list. */
export function floatListFlag(min: number, max = Number.POSITIVE_INFINITY, offWord?: string): FlagParser<number[]> {
  const one = floatFlag(min, max);
  return (value: string) => {
    if (offWord !== undefined && value.trim() === offWord) return [];
    const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list of numbers, e.g. 0.05,0.07.');
    return items.map((item) => {
      try {
        return one(item);
      } catch (e) {
        throw new InvalidArgumentError(`'${item}': ${(e as Error).message}`);
      }
    });
  };
}

/** A comma-separated list of distinct whole numbers, each within [min, max], e.g. 0,1,2,3. */
export function intListFlag(min: number, max: number): FlagParser<number[]> {
  const one = intFlag(min, max);
  return (value: string) => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of whole numbers, e.g. ${min},${max}.`);
    const out = items.map((item) => {
      try {
        return one(item);
      } catch (e) {
        throw new InvalidArgumentError(`'${item}': ${(e as Error).message}`);
      }
    });
    if (new Set(out).size !== out.length) throw new InvalidArgumentError(`lists a number twice (${out.join(', ')}).`);
    return out;
  };
}

/** The flag that sets an option: its name in kebab case (heightStd -> --height-std). */
export function flagOf(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
