// Checkpoint directories: one subfolder per network with tfjs's own model.json + weights.bin,
// and config.json with everything else needed to rebuild and use the model (architecture,
// observation spec, normalization, data hash, metrics, command line). Written atomically; on
// load every file is checked (presence, JSON, sizes, sha256) so a damaged checkpoint is a clear
// UserError, not a tfjs stack trace.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeDirAtomic } from '../sim/atomicWrite.ts';
import { UserError } from '../sim/errors.ts';
import type { EnvSpec } from '../sim/types.ts';
import type { ModelConfig } from './model/networks.ts';
import { sceneDimsOf } from './model/encoder.ts';
import { FAILURE_INPUTS_CHANGE, FAILURE_INPUTS_LATENT, failureFeatureDim } from './model/failureHead.ts';
import type { FailureHeadInfo } from './failureFit.ts';
import type { ApproachHeadInfo } from './approachFit.ts';
import type { Normalization } from './trainData.ts';
import type { DataSource } from './trainSources.ts';
import { CheckpointWorldModel } from './loadedModel.ts';
import type { WorldModel } from './worldModel.ts';

export const CHECKPOINT_FORMAT = 'jepa-mpc-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointConfig {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  model: ModelConfig;
  envSpec: EnvSpec;
  normalization: Normalization;
  probe: { labels: string[]; columns: number[] };
  /**
   * What it was trained on: `path` and `sha256` name the dataset, or for several datasets the
   * paths joined by commas and one hash over their hashes; `sources` lists each of several.
   */
  data: { path: string; sha256: string; episodes: number; trainEpisodes: number[]; valEpisodes: number[]; sources?: DataSource[] };
  training: { step: number; steps: number; batch: number; lr: number; seed: number; backend: string; seconds: number; samples: number };
  metrics: Record<string, unknown> | null;
  commandLine: string;
  /** Network name -> sha256 of its weights.bin. */
  weights: Record<string, string>;
  /**
   * Present when the checkpoint holds the failure head (network 'failure'): P(the episode fails
   * at the next step | z, predicted change, a); `inputs` says which inputs it takes. Absent in
   * checkpoints written before it existed or trained on data without failures; those load
   * without a failure term.
   */
  failure?: FailureHeadInfo;
  /**
   * Present when the checkpoint holds the approach head (network 'approach'): the body that goes
   * with a scene on its way to a goal scene. Absent in checkpoints written before it existed and
   * in models without a body part; those plan without an approach term.
   */
  approach?: ApproachHeadInfo;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function artifactsOf(model: tf.LayersModel): Promise<{ json: string; weights: Uint8Array }> {
  let out: { json: string; weights: Uint8Array } | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    const parts = a.weightData === undefined ? [] : Array.isArray(a.weightData) ? a.weightData : [a.weightData];
    const total = parts.reduce((s, p) => s + p.byteLength, 0);
    const weights = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { weights.set(new Uint8Array(p), o); o += p.byteLength; }
    const json = JSON.stringify({
      format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null,
      modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
    });
    out = { json, weights };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: total } };
  }));
  if (!out) throw new Error(`saving network '${model.name}' produced no artifacts`);
  return out;
}

/** Write the checkpoint directory atomically; `extraFiles` (metrics.jsonl, chart) go in too. */
export async function saveCheckpoint(dir: string, networks: Record<string, tf.LayersModel>,
  config: Omit<CheckpointConfig, 'weights' | 'format' | 'version'>, extraFiles: Record<string, string | Uint8Array> = {}): Promise<void> {
  const saved: Record<string, { json: string; weights: Uint8Array }> = {};
  for (const [name, model] of Object.entries(networks)) saved[name] = await artifactsOf(model);
  const weights = Object.fromEntries(Object.entries(saved).map(([n, a]) => [n, sha256(a.weights)]));
  checkCheckpointTarget(dir);
  const full: CheckpointConfig = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...config, weights };
  await writeDirAtomic(dir, (tmp) => {
    for (const [name, a] of Object.entries(saved)) {
      mkdirSync(join(tmp, name));
      writeFileSync(join(tmp, name, 'model.json'), a.json);
      writeFileSync(join(tmp, name, 'weights.bin'), a.weights);
    }
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(full, null, 2) + '\n');
    for (const [file, content] of Object.entries(extraFiles)) writeFileSync(join(tmp, file), content);
  });
}

const CHECKPOINT_FILES = new Set(['config.json', 'metrics.jsonl', 'training.svg']);
const NETWORK_FILES = new Set(['model.json', 'weights.bin']);

/**
 * Refuse a checkpoint folder to write that is something else: saving replaces the whole folder,
 * so `--out data` (or `.`, or a file) would delete what is there. A new or empty folder, or one
 * laid out as a checkpoint (config.json, metrics.jsonl, training.svg, network folders of model.json
 * + weights.bin), is fine.
 */
export function checkCheckpointTarget(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new UserError(`--out '${dir}' is an existing file; it must name the checkpoint folder to write`, 'give a folder path, e.g. models/my-model');
  }
  const foreign = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()
    ? !readdirSync(join(dir, e.name)).every((f) => NETWORK_FILES.has(f))
    : !CHECKPOINT_FILES.has(e.name)).map((e) => e.name);
  if (foreign.length > 0) {
    const list = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
    throw new UserError(`--out '${dir}' holds files that are not part of a checkpoint (${list}); saving replaces the whole folder, so they would be deleted`,
      `give a new folder for the checkpoint, e.g. ${join(dir, 'model')}`);
  }
}

/** The hint for a missing checkpoint folder whose save was cut off between its two renames. */
function movedAsideHint(dir: string): string {
  const abs = resolve(dir);
  let aside: string | undefined;
  try {
    aside = readdirSync(dirname(abs)).find((e) => e.startsWith('.tmp-') && e.endsWith(`-${basename(abs)}.old`));
  } catch {
    aside = undefined;
  }
  return aside ? `; '${join(dirname(abs), aside)}' holds the checkpoint an interrupted save moved aside: rename it to '${dir}'` : '';
}

const FIX = 'train it again (jepa-mpc train --data <file> --out <dir>) or point to an intact checkpoint directory';

export function readCheckpointConfig(dir: string): CheckpointConfig {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`checkpoint '${dir}' does not exist or is not a directory${movedAsideHint(dir)}`, 'pass the --out folder of a finished `jepa-mpc train` run');
  }
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new UserError(`checkpoint '${dir}' has no config.json`, FIX);
  let cfg: CheckpointConfig;
  try {
    cfg = JSON.parse(readFileSync(file, 'utf8')) as CheckpointConfig;
  } catch (e) {
    throw new UserError(`checkpoint '${dir}': config.json is not valid JSON (${(e as Error).message})`, FIX);
  }
  if (cfg?.format !== CHECKPOINT_FORMAT) throw new UserError(`checkpoint '${dir}': config.json is not a jepa-mpc checkpoint config`, FIX);
  if (cfg.version !== CHECKPOINT_VERSION) {
    throw new UserError(`checkpoint '${dir}' has format version ${cfg.version}; this program reads version ${CHECKPOINT_VERSION}`, FIX);
  }
  if (!cfg.model || !cfg.normalization || !cfg.envSpec || !cfg.weights) throw new UserError(`checkpoint '${dir}': config.json lacks model, normalization, envSpec or weights`, FIX);
  const inputs = cfg.failure?.inputs;
  if (inputs !== undefined && inputs !== FAILURE_INPUTS_LATENT && inputs !== FAILURE_INPUTS_CHANGE) {
    throw new UserError(`checkpoint '${dir}': config.json's failure.inputs is '${String(inputs)}'; this program reads '${FAILURE_INPUTS_CHANGE}' or '${FAILURE_INPUTS_LATENT}'`, FIX);
  }
  return cfg;
}

/** Load one network, verifying its files against the config before tfjs sees them. */
export async function loadNetwork(dir: string, name: string, cfg: CheckpointConfig): Promise<tf.LayersModel> {
  const where = `checkpoint '${dir}', network '${name}'`;
  const jsonPath = join(dir, name, 'model.json');
  const binPath = join(dir, name, 'weights.bin');
  if (!existsSync(jsonPath) || !existsSync(binPath)) throw new UserError(`${where}: model.json or weights.bin is missing`, FIX);
  let topo: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    topo = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new UserError(`${where}: model.json is not valid JSON (${(e as Error).message})`, FIX);
  }
  const bin = readFileSync(binPath);
  const expected = cfg.weights[name];
  if (expected !== undefined && sha256(bin) !== expected) {
    throw new UserError(`${where}: weights.bin is corrupt (its sha256 does not match config.json)`, FIX);
  }
  const specs = topo.weightsManifest?.[0]?.weights;
  if (!topo.modelTopology || !Array.isArray(specs)) throw new UserError(`${where}: model.json lacks modelTopology or weightsManifest`, FIX);
  const bytes = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === 'bool' ? 1 : 4), 0);
  if (bytes !== bin.byteLength) throw new UserError(`${where}: weights.bin has ${bin.byteLength} bytes, model.json describes ${bytes}`, FIX);
  const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topo.modelTopology, weightSpecs: specs, weightData: buffer }));
  } catch (e) {
    throw new UserError(`${where}: tfjs could not build it (${(e as Error).message})`, FIX);
  }
}

/** Open a trained world model (JEPA or generative baseline) for planning, viewing or evaluation. */
export async function loadWorldModel(dir: string): Promise<WorldModel & CheckpointWorldModel> {
  const cfg = readCheckpointConfig(dir);
  const names = ['encoder', 'predictor', 'probe', ...(cfg.model.kind === 'generative' ? ['decoder'] : []), ...(cfg.failure ? ['failure'] : []), ...(cfg.approach ? ['approach'] : [])];
  const nets: Record<string, tf.LayersModel> = {};
  try {
    for (const n of names) nets[n] = await loadNetwork(dir, n, cfg);
    const latent = (nets.encoder.outputs[0].shape as number[])[1];
    if (latent !== cfg.model.encoder.latentDim || (nets.predictor.outputs[0].shape as number[])[1] !== latent) {
      throw new UserError(`checkpoint '${dir}': network shapes do not match config.json (latent ${latent} vs ${cfg.model.encoder.latentDim})`, FIX);
    }
    const inputs = cfg.failure?.inputs ?? FAILURE_INPUTS_LATENT;
    const width = failureFeatureDim(inputs, latent, sceneDimsOf(cfg.model.encoder));
    if (nets.failure && ((nets.failure.inputs[0].shape as number[])[1] !== width || (nets.failure.outputs[0].shape as number[])[1] !== 1)) {
      throw new UserError(`checkpoint '${dir}': the failure head's shapes do not match its inputs (${inputs}: ${width} values for a ${latent}-dim latent)`, FIX);
    }
    const scene = sceneDimsOf(cfg.model.encoder);
    if (nets.approach && ((nets.approach.inputs[0].shape as number[])[1] !== 2 * scene || (nets.approach.outputs[0].shape as number[])[1] !== latent - scene)) {
      throw new UserError(`checkpoint '${dir}': the approach head's shapes do not match the latent (${2 * scene} inputs and ${latent - scene} outputs for ${scene} scene dims of ${latent})`, FIX);
    }
  } catch (e) {
    Object.values(nets).forEach((m) => m.dispose());
    throw e;
  }
  return new CheckpointWorldModel(cfg, nets.encoder, nets.predictor, nets.probe, nets.decoder, nets.failure, nets.approach);
}
