// Every flag of every command, walked from the CLI's own commander program: each value-taking
// flag validates its value, each numeric one refuses the hostile spellings and the values just
// outside its range, and commander's own errors (unknown option, missing value) name the flag.
// In-process, so hundreds of cases cost milliseconds; hostileInput.test.ts spawns the real CLI.
import { describe, expect, it } from 'vitest';
import { CommanderError, InvalidArgumentError, type Command, type Option } from 'commander';
import { program } from '../../cli.ts';
import type { FlagParser } from '../../sim/flags.ts';

const commands = program.commands;
const parserOf = (o: Option) => (o as unknown as { parseArg?: FlagParser<unknown> }).parseArg;
const takesValue = (o: Option) => o.required || o.optional;

/** The hostile spellings no numeric flag may accept. */
const NOT_NUMBERS = ['abc', '', ' ', '1e999', '-1e999', 'NaN', 'Infinity', '0x10', '0b11', '1,5', '5px', '--3'];

function rejects(parse: (v: string) => unknown, value: string): string {
  try {
    parse(value);
  } catch (e) {
    expect(e, `'${value}' threw ${String(e)}`).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  }
  throw new Error(`'${value}' was accepted`);
}

/** Values that satisfy a command's required options, so a parse gets as far as the flag under test. */
function requiredArgs(cmd: Command): string[] {
  return cmd.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, '/nonexistent/x']);
}

/** Parse in-process, capturing what commander would print; the action never runs (every case fails). */
async function parseError(cmd: Command, args: string[]): Promise<{ error: CommanderError; printed: string }> {
  let printed = '';
  cmd.configureOutput({ writeErr: (s) => { printed += s; }, outputError: (s, write) => write(s) });
  try {
    await program.parseAsync(['node', 'jepa-mpc', cmd.name(), ...args]);
  } catch (e) {
    expect(e).toBeInstanceOf(CommanderError);
    return { error: e as CommanderError, printed };
  } finally {
    cmd.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  }
  throw new Error(`${cmd.name()} ${args.join(' ')} parsed without an error`);
}

describe('command-line flags', () => {
  it('covers the five commands, and every flag that takes a value validates it', () => {
    expect(commands.map((c) => c.name()).sort()).toEqual(['bench', 'collect', 'plan', 'serve', 'train']);
    for (const cmd of commands) {
      for (const o of cmd.options.filter(takesValue)) {
        expect(parserOf(o), `${cmd.name()} ${o.flags} has no parser`).toBeTypeOf('function');
      }
    }
  });

  it('every numeric flag refuses non-numbers, fractions where whole, and the values just outside its range', () => {
    let checked = 0;
    for (const cmd of commands) {
      for (const o of cmd.options.filter(takesValue)) {
        const parse = parserOf(o)!;
        const range = parse.accepts;
        if (!range) continue;
        checked++;
        const where = `${cmd.name()} ${o.long}`;
        for (const v of NOT_NUMBERS) expect(rejects(parse, v), `${where} '${v}'`).toMatch(/expected a (whole|finite) number/);
        const below = range.kind === 'int' ? range.min - 1 : range.min === 0 ? -1e-9 : range.min / 2;
        expect(rejects(parse, String(below)), `${where} ${below}`).toMatch(new RegExp(`from ${String(range.min).replace('+', '\\+')} to`));
        if (Number.isFinite(range.max) && range.max < Number.MAX_SAFE_INTEGER) {
          expect(rejects(parse, String(range.max + 1)), `${where} ${range.max + 1}`).toMatch(new RegExp(`to ${range.max}`));
          expect(parse(String(range.max)), where).toBe(range.max);
        }
        if (range.kind === 'int') {
          expect(rejects(parse, `${range.min}.5`), where).toMatch(/whole number/);
          expect(rejects(parse, '99999999999999999999'), where).toMatch(/whole number from/);
        }
        expect(parse(String(range.min)), where).toBe(range.min);
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('refuses an empty path, task or host (an empty --out would mean the current directory)', () => {
    for (const cmd of commands) {
      for (const long of ['--out', '--data', '--model', '--models-dir', '--task', '--host']) {
        const o = cmd.options.find((x) => x.long === long);
        if (!o) continue;
        for (const v of ['', '   ']) expect(rejects(parserOf(o)!, v), `${cmd.name()} ${long}`).toMatch(/got an empty string|expected one of/);
      }
    }
  });

  it('seeds are 32-bit, -0 is 0, and decimals are read as written', () => {
    const collect = commands.find((c) => c.name() === 'collect')!;
    const seed = parserOf(collect.options.find((o) => o.long === '--seed')!)!;
    expect(seed('4294967295')).toBe(4294967295);
    expect(rejects(seed, '4294967296')).toMatch(/from 0 to 4294967295/);
    expect(Object.is(seed('-0'), 0)).toBe(true);
    const train = commands.find((c) => c.name() === 'train')!;
    expect(parserOf(train.options.find((o) => o.long === '--lr')!)!('2e-4')).toBe(2e-4);
    expect(parserOf(train.options.find((o) => o.long === '--reg-weight')!)!(' .5 ')).toBe(0.5);
  });

  it('an unknown option or a missing value is a commander error naming the flag, with the usage hint', async () => {
    for (const cmd of commands) {
      const unknown = await parseError(cmd, [...requiredArgs(cmd), '--no-such-flag']);
      expect(unknown.error.code, cmd.name()).toBe('commander.unknownOption');
      expect(unknown.printed).toMatch(/error: unknown option '--no-such-flag'\n\(run with --help for usage\)/);
      const last = cmd.options.filter(takesValue).at(-1)!;
      const missing = await parseError(cmd, [...requiredArgs(cmd), last.long!]);
      expect(missing.error.code, cmd.name()).toBe('commander.optionMissingArgument');
      expect(missing.printed).toContain(`option '${last.flags}' argument missing`);
      const typo = await parseError(cmd, [...requiredArgs(cmd), '--seeed', '1']);
      expect(typo.printed, cmd.name()).toMatch(/unknown option '--seeed'\n\(Did you mean --seed\?\)/);
    }
    const train = commands.find((c) => c.name() === 'train')!;
    const required = await parseError(train, ['--out', 'x']);
    expect(required.printed).toContain("required option '--data <files>' not specified");
    const extra = await parseError(train, ['--data', 'a.h5', '--out', 'x', 'stray']);
    expect(extra.printed).toMatch(/too many arguments for 'train'/);
  });
});
