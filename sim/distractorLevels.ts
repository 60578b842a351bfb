// The distractor dial (`--distractors <level>`): task-irrelevant, unpredictable things in the
// camera's view. Plain data, no Rapier, so the CLI can list the levels in --help. Level 0 is the
// plain scene. docs/distractors.md describes each level and what stays fixed.
import { UserError } from './errors.ts';

export interface SensorNoise {
  /** Standard deviation of the per-pixel Gaussian noise, in depth units (0..1 spans near..far). */
  sigma: number;
  /** Share of pixels with no return (read as 1, like a ray that hits nothing). */
  dropout: number;
}

export interface DistractorLevel {
  level: number;
  summary: string;
  /** Light objects (balls, boxes, cylinders) that drop in onto the table's far side and roll about. */
  dropIns: number;
  /** How many of them lie on the table when the episode starts. */
  initialDropIns: number;
  /** Per agent step: the chance that a parked object drops in, and that an active one vanishes. */
  spawnChance: number;
  despawnChance: number;
  /** Bars along the far side whose height changes at random times. */
  bars: number;
  /** Per agent step, per bar: the chance that it starts for a new height. */
  barChangeChance: number;
  noise?: SensorNoise;
}

export const DISTRACTOR_LEVELS: readonly DistractorLevel[] = [
  { level: 0, summary: 'the plain scene', dropIns: 0, initialDropIns: 0, spawnChance: 0, despawnChance: 0, bars: 0, barChangeChance: 0 },
  { level: 1, summary: 'light objects drop in onto the far side of the table at random times and roll about',
    dropIns: 5, initialDropIns: 2, spawnChance: 0.06, despawnChance: 0.03, bars: 0, barChangeChance: 0 },
  { level: 2, summary: 'level 1 with more drop-ins, plus bars along the far side whose height changes at random times',
    dropIns: 8, initialDropIns: 4, spawnChance: 0.1, despawnChance: 0.04, bars: 4, barChangeChance: 0.12 },
  { level: 3, summary: 'level 2 plus depth-sensor noise (per-pixel Gaussian) and dropouts (pixels with no return)',
    dropIns: 8, initialDropIns: 4, spawnChance: 0.1, despawnChance: 0.04, bars: 4, barChangeChance: 0.12,
    noise: { sigma: 0.03, dropout: 0.03 } },
];

export const MAX_DISTRACTOR_LEVEL = DISTRACTOR_LEVELS.length - 1;

/** The level's settings; anything but a whole number from 0 to the top level is a UserError. */
export function distractorLevel(level: number, where = 'distractor level'): DistractorLevel {
  if (!Number.isInteger(level) || level < 0 || level > MAX_DISTRACTOR_LEVEL) {
    throw new UserError(`${where} must be a whole number from 0 to ${MAX_DISTRACTOR_LEVEL}, got ${level}`,
      `use --distractors 0 (the plain scene) up to ${MAX_DISTRACTOR_LEVEL}; docs/distractors.md describes each level`);
  }
  return DISTRACTOR_LEVELS[level];
}
