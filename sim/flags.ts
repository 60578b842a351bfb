// Parsers for command-line flag values. Commander reports an InvalidArgumentError as
// "error: option '--x <n>' argument 'abc' is invalid. <our text>" and exits 1, without a stack.
import { InvalidArgumentError } from 'commander';

export function intFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`expected a whole number, e.g. ${Math.max(min, 1)}.`);
    }
    if (n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any size' : max}.`);
    }
    return n;
  };
}

export function floatFlag(min: number, max = Number.POSITIVE_INFINITY): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a finite number.');
    if (n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}.`);
    return n;
  };
}

export function choiceFlag<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    }
    return value as T;
  };
}

/** A comma-separated list whose items must each be one of `choices` (when given). */
export function listFlag<T extends string>(choices?: readonly T[]): (value: string) => T[] {
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
export function floatListFlag(min: number, max = Number.POSITIVE_INFINITY, offWord?: string): (value: string) => number[] {
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
export function intListFlag(min: number, max: number): (value: string) => number[] {
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
