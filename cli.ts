// The composition root: parses flags and hands them to library functions. No logic lives here.
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { formatUserError, isUserError } from './sim/errors.ts';
import { choiceFlag, floatFlag, floatListFlag, intFlag, listFlag, seedFlag, textFlag, MAX_BATCH, MAX_COLLECT_EPISODES, MAX_ITERATIONS, MAX_SAMPLES } from './sim/flags.ts';
import { EVAL_SEED_SPAN } from './sim/rng.ts';
import { MAX_DISTRACTOR_LEVEL } from './sim/distractorLevels.ts';
import { PLANNER_NAMES } from './agent/planners/types.ts';
import { MODEL_LAYOUTS } from './agent/modelDirs.ts';
import { TRAIN_DEFAULTS as TD } from './agent/trainDefaults.ts';
import { CEM_DEFAULTS as CEM } from './agent/planners/cem.ts';

export const program = new Command();
program
  .exitOverride()
  .name('jepa-mpc')
  .description('A planning agent with a JEPA world model in latent space: collect, train, plan, bench, serve.')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

const DISTRACTORS_HELP = `distractor level, 0 (the plain scene) to ${MAX_DISTRACTOR_LEVEL}: task-irrelevant, unpredictable things in the camera's view (docs/distractors.md)`;
const RENDER_DISTRACTORS_HELP = `render at this distractor level (0-${MAX_DISTRACTOR_LEVEL}; default: the level the model was trained on, else 0; docs/distractors.md)`;

// ---- collect (sim/collect.ts) ----

program
  .command('collect')
  .description('Run exploration episodes (pushes that slide, tip and burst the bottle) and write them to an HDF5 dataset.')
  .requiredOption('--out <file>', 'dataset file to write (.h5); written atomically, an existing dataset is replaced only on success', textFlag())
  .option('--task <id|file>', 'task id (slide, tip, fragile) or ./path/to/task.ts', textFlag('a task id or file'), 'slide')
  .option('--episodes <n>', 'number of episodes', intFlag(1, MAX_COLLECT_EPISODES), 1000)
  .option('--seed <n>', 'collection seed; episode i uses a seed derived from it and i', seedFlag(), 1)
  .option('--obs-size <n>', 'depth image width and height (pixels)', intFlag(4, 512), 32)
  .option('--workers <n>', 'worker threads (default: one per core); the episodes do not depend on it', intFlag(1, 256))
  .option('--show-pusher', 'show the pusher in the depth images (ablation; by default the camera sees only the task objects)')
  .option('--tail-steps <n>', 'steps recorded after each episode ends, the world going on unjudged (the bottle coming to rest; 0 = none)', intFlag(0, 1000), 10)
  .option('--distractors <level>', DISTRACTORS_HELP, intFlag(0, MAX_DISTRACTOR_LEVEL), 0)
  .action(async (o) => {
    const { runCollectCommand } = await import('./sim/collect.ts');
    await runCollectCommand({ task: o.task, episodes: o.episodes, seed: o.seed, out: o.out, obsSize: o.obsSize, workers: o.workers, showsPusher: Boolean(o.showPusher), tailSteps: o.tailSteps, distractors: o.distractors });
  });

// ---- train (agent/train.ts) ----

program
  .command('train')
  .description('Train the action-conditioned JEPA world model (or the generative baseline) on one or more collected datasets.')
  .requiredOption('--data <files>', 'dataset written by `jepa-mpc collect` (.h5), or several separated by commas (one model learns every task in them; they must share the scene, camera, image size and action bounds)', textFlag())
  .option('--approach-data <files>', 'datasets of the same world (commas between them) whose episodes the approach head is fitted on besides --data\'s; the world model does not train on them (models/README.md: slide-far\'s data for models/world); with --resume, the checkpoint\'s list unless given; none: --data\'s alone', textFlag())
  .requiredOption('--out <dir>', 'checkpoint folder to write (model.json + weights per network, config.json, metrics.jsonl, training.svg); a new folder, or one holding a checkpoint, which is replaced', textFlag())
  .option('--model <kind>', 'jepa or generative (pixel-loss baseline)', choiceFlag(['jepa', 'generative'] as const), TD.model)
  .option('--steps <n>', 'optimizer steps', intFlag(1), TD.steps)
  .option('--batch <n>', 'windows per batch', intFlag(2, MAX_BATCH), TD.batch)
  .option('--lr <x>', 'Adam learning rate', floatFlag(1e-7, 1), TD.lr)
  .option('--seed <n>', 'seed for initialisation, batches and the validation split', seedFlag(), TD.seed)
  .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm, cpu', choiceFlag(['auto', 'tensorflow', 'wasm', 'cpu'] as const), 'auto')
  .option('--resume', 'continue from the checkpoint in --out (model flags are taken from it)')
  .option('--task <id|file>', 'the task whose own training defaults (trainDefaults) fill in flags not given; default: the dataset\'s task, if built in (fragile sets --keypoints 4 and a larger failure-head fit)', textFlag('a task id or file'))
  .option('--obs <kind>', 'encoder input: depth, or state (privileged-state ablation)', choiceFlag(['depth', 'state'] as const), TD.obs)
  .option('--latent <n>', 'latent dimensions learned from the observation (with --proprio split, 3 body dims come on top)', intFlag(2, 1024), TD.latent)
  .option('--proprio <mode>', 'split: latent = [scene from depth, normalized proprio], planners compare only the scene with the goal; mixed: proprio feeds every dim', choiceFlag(['split', 'mixed'] as const), TD.proprio)
  .option('--reg <kind>', 'anti-collapse regularizer: vicreg, sigreg or none', choiceFlag(['vicreg', 'sigreg', 'none'] as const), TD.reg)
  .option('--reg-weight <x>', 'weight of the regularizer', floatFlag(0), TD.regWeight)
  .option('--smooth-weight <x>', 'weight of the temporal-smoothness term (consecutive scene latents kept close)', floatFlag(0), TD.smoothWeight)
  .option('--target <kind>', 'prediction targets: stopgrad (the encoder, gradient cut), ema (a moving-average copy) or joint (no stop-gradient)', choiceFlag(['stopgrad', 'ema', 'joint'] as const), TD.target)
  .option('--ema <x>', 'EMA decay for --target ema', floatFlag(0, 1), TD.ema)
  .option('--loss <kind>', 'latent prediction loss: l1 (as V-JEPA 2-AC) or mse', choiceFlag(['l1', 'mse'] as const), TD.loss)
  .option('--k <n>', 'rollout steps per training window', intFlag(1, 64), TD.k)
  .option('--hidden <n>', 'hidden units of the encoder (and decoder) MLP', intFlag(8, 4096), TD.hidden)
  .option('--predictor-hidden <n>', 'hidden units of the predictor MLP (planners call it for every candidate at every horizon step)', intFlag(8, 4096), TD.predictorHidden)
  .option('--frames <n>', 'depth frames per observation: 1, or 2 (current + previous, so the latent carries velocities; depth only)', intFlag(1, 2), TD.frames)
  .option('--keypoints <n>', 'keypoints in the JEPA depth encoder: the image coordinates of n attention maps, mixed, become 2n of the --latent dims and grow linearly with how far the object moved (0 = none; see README, Architecture)', intFlag(0, 16), TD.keypoints)
  .option('--keypoint-map <kind>', 'how a keypoint map weighs pixels: threshold (how much nearer than a learned depth, over every pixel; the map\'s mean follows the object to a fraction of a pixel) or softmax (of the depth with a learned sharpness, on a pooled image; snaps between pooled pixels)', choiceFlag(['softmax', 'threshold'] as const), TD.keypointMap)
  .option('--eval-every <n>', 'validate and checkpoint every n steps', intFlag(1), TD.evalEvery)
  .option('--head-steps <n>', 'Adam steps of the failure head\'s fit at each checkpoint', intFlag(1, 1000000), TD.headSteps)
  .option('--head-transitions <n>', 'most training transitions the failure head sees (beyond it, negatives are subsampled; every failure is kept)', intFlag(100), TD.headTransitions)
  .action(async (o, cmd: Command) => {
    const { runTrainCommand, trainDefaults } = await import('./agent/train.ts');
    await runTrainCommand({
      ...trainDefaults, data: o.data, approachData: o.approachData, out: o.out, model: o.model, steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed,
      backend: o.backend, resume: Boolean(o.resume), obs: o.obs, latent: o.latent, proprio: o.proprio, reg: o.reg, regWeight: o.regWeight, smoothWeight: o.smoothWeight,
      target: o.target, ema: o.ema, loss: o.loss, k: o.k, hidden: o.hidden, predictorHidden: o.predictorHidden, frames: o.frames, keypoints: o.keypoints, keypointMap: o.keypointMap, evalEvery: o.evalEvery,
      headSteps: o.headSteps, headTransitions: o.headTransitions, commandLine: process.argv.slice(2).join(' '),
      task: o.task, explicit: Object.keys(o).filter((k) => cmd.getOptionValueSource(k) === 'cli'),
    });
  });

// ---- plan and bench (agent/plan.ts, agent/bench.ts) ----

const FAILURE_WEIGHT_FLAG = '--failure-weight <x>';
const HEIGHT_STD_FLAG = '--height-std <x>';
const APPROACH_WEIGHT_FLAG = '--approach-weight <x>';
const APPROACH_WEIGHT_HELP = "weight of the pusher's distance from where the model's learned approach head puts it for the goal (default 0: off, unless the task sets it, as slide-far does; models without the head ignore it)";
// Each of these defaults to the task's plannerDefaults where it sets one (README, "Add a task"):
// sim/tasks/*.ts hold the values, so the help names no task's numbers it could fall behind on.
const HEIGHT_STD_HELP = "spread of the sampled push heights as a multiple of the velocities' (default: the task's own, as slide, tip and fragile set; else 1; the oracle keeps its own)";
const FAILURE_WEIGHT_HELP = "weight of P(fail within the horizon) from the model's learned failure head (default 10, unless the task sets its own, as fragile does: a failure costs that many units of goal distance; 0 = off; models without the head ignore it)";

/** The gentle-push options (README, "Options for gentle pushes"), on plan, bench and serve. */
function withGentlePushFlags(cmd: Command): Command {
  return cmd
    .option('--rate-penalty <x>', 'weight of the mean squared change of the pusher velocity from step to step, starting from the action executed last (default 0: off, unless the task sets it, as fragile does; model planners)', floatFlag(0))
    .option('--keypoint-weight <x>', 'weight of the keypoint dims\' own goal distance, added to the scene distance (default 0: off, unless the task sets it, as fragile does for keypoint models; needs a model trained with --keypoints)', floatFlag(0))
    .option('--lattice <speeds>', 'seed the first iteration with held pushes at these speeds (m/s, comma-separated), 24 directions each, or off (default: none, unless the task sets one, as fragile does; model planners)', floatListFlag(1e-6, 10, 'off'));
}

/** Search flags shared by plan and bench; unset ones take each planner's documented defaults. */
function withSearchFlags(cmd: Command): Command {
  const search = cmd
    .option('--samples <n>', `candidate action sequences per iteration (default ${CEM.samples}; oracle 24; unless the task sets its own, as fragile does)`, intFlag(2, MAX_SAMPLES))
    .option('--elites <n>', `elites kept per CEM iteration (default ${CEM.elites}; oracle 5, unless the task sets its own)`, intFlag(1, MAX_SAMPLES))
    .option('--iterations <n>', `optimizer iterations per MPC step (default ${CEM.iterations}; oracle 2; unless the task sets its own, as fragile does)`, intFlag(1, MAX_ITERATIONS))
    .option('--horizon <n>', `planning horizon in agent steps (default ${CEM.horizon}; oracle 5, unless the task sets its own, as fragile does)`, intFlag(1, 100))
    .option('--execute <n>', 'actions executed per replan', intFlag(1, 100), 1)
    .option('--distance <kind>', 'energy distance: l2 (RMS, default) or l1 (mean absolute difference)', choiceFlag(['l1', 'l2'] as const))
    .option('--temperature <x>', 'MPPI temperature, relative to the spread of the energies (default 0.1)', floatFlag(1e-6))
    .option('--action-penalty <x>', 'weight of the action-effort penalty (default 0.01)', floatFlag(0))
    .option(FAILURE_WEIGHT_FLAG, FAILURE_WEIGHT_HELP, floatFlag(0))
    .option(APPROACH_WEIGHT_FLAG, APPROACH_WEIGHT_HELP, floatFlag(0))
    .option(HEIGHT_STD_FLAG, HEIGHT_STD_HELP, floatFlag(1e-3, 10));
  return withGentlePushFlags(search)
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm, cpu', choiceFlag(['auto', 'tensorflow', 'wasm', 'cpu'] as const), 'auto');
}

function searchSettings(o: Record<string, unknown>): Record<string, unknown> {
  return { samples: o.samples, elites: o.elites, iterations: o.iterations, horizon: o.horizon, distance: o.distance, temperature: o.temperature, actionPenalty: o.actionPenalty, failureWeight: o.failureWeight, approachWeight: o.approachWeight, heightStd: o.heightStd,
    ratePenalty: o.ratePenalty, keypointWeight: o.keypointWeight, lattice: o.lattice };
}

withSearchFlags(program
  .command('plan')
  .description('Run MPC episodes of one planner on one task; print each outcome and a summary.')
  .option('--model <dir>', 'trained checkpoint for jepa-cem, jepa-mppi (default models/world) or generative-cem (default models/world-generative)', textFlag())
  .option('--task <id|file>', 'task id (slide, tip, fragile) or ./path/to/task.ts', textFlag('a task id or file'), 'slide')
  .option('--planner <name>', `one of ${PLANNER_NAMES.join(', ')}`, choiceFlag(PLANNER_NAMES), 'jepa-cem')
  .option('--episodes <n>', 'number of episodes', intFlag(1, EVAL_SEED_SPAN), 20)
  .option('--seed <n>', 'evaluation seed: episode i resets with 1000000000 + seed + i', intFlag(0, EVAL_SEED_SPAN - 1), 7)
  .option('--json', 'print one JSON document instead of lines')
  .option('--distractors <level>', RENDER_DISTRACTORS_HELP, intFlag(0, MAX_DISTRACTOR_LEVEL)))
  .action(async (o) => {
    const { runPlanCommand } = await import('./agent/plan.ts');
    await runPlanCommand({
      task: o.task, planner: o.planner, model: o.model, episodes: o.episodes, seed: o.seed, json: Boolean(o.json), distractors: o.distractors,
      execute: o.execute, backend: o.backend, settings: searchSettings(o),
    });
  });

withSearchFlags(program
  .command('bench')
  .description('Benchmark planners on tasks over the same evaluation episodes; writes report.json, report.md and success.svg.')
  .option('--tasks <list>', 'comma-separated task ids or task files', listFlag(), ['slide', 'tip', 'fragile'])
  .option('--planners <list>', `comma-separated, from ${PLANNER_NAMES.join(', ')}`, listFlag(PLANNER_NAMES), [...PLANNER_NAMES])
  .option('--episodes <n>', 'episodes per planner and task (default 50; 10 with --quick)', intFlag(1, EVAL_SEED_SPAN))
  .option('--seed <n>', 'evaluation seed: episode i resets with 1000000000 + seed + i', intFlag(0, EVAL_SEED_SPAN - 1), 1000)
  .option('--out <dir>', 'output folder for report.json, report.md, success.svg', textFlag(), 'bench/report')
  .option('--models-dir <dir>', 'folder of trained models (see --models)', textFlag(), 'models')
  .option('--models <layout>', "'world': <models-dir>/world (JEPA) and <models-dir>/world-generative for every task; 'per-task': <models-dir>/<task> and <models-dir>/<task>-generative", choiceFlag(MODEL_LAYOUTS), 'world')
  .option('--workers <n>', 'worker threads (default: 2, or fewer cores); results do not depend on it', intFlag(1, 64))
  .option('--quick', 'a smaller run (10 episodes per cell) that finishes in a few minutes'))
  .action(async (o) => {
    const { runBench } = await import('./agent/bench.ts');
    await runBench({
      tasks: o.tasks, planners: o.planners, episodes: o.episodes, seed: o.seed, out: o.out, modelsDir: o.modelsDir, models: o.models,
      quick: Boolean(o.quick), workers: o.workers, backend: o.backend, execute: o.execute, settings: searchSettings(o),
      commandLine: process.argv.slice(2).join(' '),
    });
  });

// ---- serve (viewer/server) ----

const serve = program
  .command('serve')
  .description('Serve the live viewer: the sim, the goal and the plans the agent imagines, over http + WebSockets.')
  .option('--model <dir>', 'trained checkpoint, used for every task (default: models/world if present; without a model the oracle planner runs)', textFlag())
  .option('--task <id|file>', 'task id (slide, tip, fragile) or ./path/to/task.ts', textFlag('a task id or file'), 'slide')
  .option('--planner <name>', `planner: ${PLANNER_NAMES.join(', ')} (default: jepa-cem with a model, else oracle)`, choiceFlag(PLANNER_NAMES))
  .option('--port <n>', 'http/ws port (0 = any free port)', intFlag(0, 65535), 8080)
  .option('--host <addr>', 'address to bind (127.0.0.1 keeps it local to this machine)', textFlag('an address'), '127.0.0.1')
  .option('--seed <n>', 'seed of the first episode; later episodes derive from it', seedFlag(), 1)
  .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm, cpu', choiceFlag(['auto', 'tensorflow', 'wasm', 'cpu'] as const), 'auto')
  .option('--ensure-build', 'rebuild the page with Vite first if it is out of date (a missing page is always built)')
  .option(FAILURE_WEIGHT_FLAG, FAILURE_WEIGHT_HELP, floatFlag(0))
  .option(APPROACH_WEIGHT_FLAG, APPROACH_WEIGHT_HELP, floatFlag(0))
  .option(HEIGHT_STD_FLAG, HEIGHT_STD_HELP, floatFlag(1e-3, 10))
  .option('--distractors <level>', RENDER_DISTRACTORS_HELP, intFlag(0, MAX_DISTRACTOR_LEVEL));
withGentlePushFlags(serve)
  .action(async (o) => {
    const { serveUntilSignal } = await import('./viewer/server/serve.ts');
    await serveUntilSignal({
      model: o.model, task: o.task, planner: o.planner, port: o.port, host: o.host, seed: o.seed, distractors: o.distractors,
      backend: o.backend, ensureBuild: Boolean(o.ensureBuild), settings: { failureWeight: o.failureWeight, approachWeight: o.approachWeight, heightStd: o.heightStd, ratePenalty: o.ratePenalty, keypointWeight: o.keypointWeight, lattice: o.lattice },
    });
  });

/**
 * Run the CLI on `argv`. A user's mistake exits 2 with a short message and no stack: commander's
 * own (unknown option, missing value; it has printed the message already) and a UserError from
 * the library. Anything else is a bug and keeps its stack.
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    if (isUserError(e)) {
      process.stderr.write(formatUserError(e) + '\n');
      process.exit(2);
    }
    throw e;
  }
}

// Run when started as the entry script (tsx cli.ts); bin/jepa-mpc.js imports it and calls main().
if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) await main();
