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
import { intFlag as collectInt } from './sim/flags.ts';

program
  .command('collect')
  .description('Run exploration episodes (pushes that slide, tip and burst the bottle) and write them to an HDF5 dataset.')
  .requiredOption('--out <file>', 'dataset file to write (.h5); written atomically, an existing file is replaced only on success')
  .option('--task <id|file>', 'task id (slide, tip, fragile) or ./path/to/task.ts', 'slide')
  .option('--episodes <n>', 'number of episodes', collectInt(1), 200)
  .option('--seed <n>', 'collection seed; episode i uses a seed derived from it and i', collectInt(0, 0xffffffff), 1)
  .option('--obs-size <n>', 'depth image width and height (pixels)', collectInt(4, 512), 32)
  .option('--workers <n>', 'worker threads (default: one per core); the episodes do not depend on it', collectInt(1, 256))
  .action(async (o) => {
    const { runCollectCommand } = await import('./sim/collect.ts');
    await runCollectCommand({ task: o.task, episodes: o.episodes, seed: o.seed, out: o.out, obsSize: o.obsSize, workers: o.workers });
  });


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
