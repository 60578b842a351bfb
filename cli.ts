// The composition root: parses flags and hands them to library functions. No logic lives here.
import { Command } from 'commander';
import { formatUserError, isUserError } from './sim/errors.ts';

const program = new Command();
program
  .name('jepa-mpc')
  .description('A planning agent with a JEPA world model in latent space: collect, train, plan, bench, serve.')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

// ---- collect (sim/collect.ts) ----

// ---- train (agent/train.ts) ----

// ---- plan and bench (agent/plan.ts, agent/bench.ts) ----

// ---- serve (viewer/server) ----

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(formatUserError(e) + '\n');
      process.exit(2);
    }
    throw e;
  }
}

await main();
