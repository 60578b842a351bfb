// Task Description: as slide, push the upright bottle to a goal spot, but the bottle is fragile:
//   a pusher contact force above a low threshold bursts it, so it must be pushed gently.
// Randomizations: as slide (bottle within +-5 cm of the centre, goal 6-15 cm away, pusher 6-8 cm
//   behind the bottle opposite the goal, jittered +-25 deg, at a sliding height of 1.5-4.5 cm).
// Success Conditions: centre within 3 cm of the goal, tilt under 10 deg, not burst. Failure:
//   burst, tilt over 45 deg, or off the table.
import { SHORT_BOTTLE } from './bottle.ts';
import { makeSlideTask } from './slide.ts';

// 4.6 N, calibrated at the 1/60 s physics step for its 18 cm bottle (docs/tasks.md, "fragile's
// bottle"; `npx tsx sim/bench/lowPushForces.ts`): low pushes at up to 0.08 m/s peak at 4.48 N, so
// they never burst it; 75-87 % of pushes at 0.2-0.25 m/s do. The short bottle meets a low pusher
// with more of its mass (a smaller moment of inertia, the contact nearer its centre), so its peaks
// run 0.2-0.3 N above the 24 cm bottle's, and the 4.4 N that suited that one burst 1 % of 0.08 m/s
// pushes. Most of a push's force is sliding friction (2.45 N), so slow and fast peaks overlap and
// no threshold bursts every fast push.
const fragile = makeSlideTask({
  id: 'fragile',
  description: 'Push a fragile bottle to a goal spot gently: fast pushes burst it.',
  burstThreshold: 4.6,
  maxSteps: 60,
  // A shorter bottle (18 cm, same radius, mass and friction), so one model trained on every
  // task's data can see which bottle is the fragile one.
  bottle: SHORT_BOTTLE,
  // What it takes is one slow, steady, straight push (a held 0.06-0.08 m/s push from the pusher
  // toward the goal succeeds from all 50 bench starts), so the planners search for exactly that
  // (README, "Fragile, in short"): held pushes seed the search, a jolt in the velocity costs, the
  // height stays where it starts (a pusher moving up or down by a few mm against the bottle bursts
  // it), a failure costs less than slide's so a slow push is not priced out, and with a keypoint
  // model the keypoints' distance keeps the goal in view beyond the few cm the scene's resolves.
  // The jolt's weight is 10, not 2: a turn of 16-24 deg or a 3 mm dip at the first
  // contact is what still burst it, and at 10 jepa-cem's bursts fell from 10 to 2 of 100 at the
  // same success, jepa-mppi's from 29 to 8 of 100 with 10 more successes (at 20 MPPI stalls).
  // A third refit with fewer samples (128 x 3 costs what 192 x 2 does): the push must be aimed
  // within a few degrees, or the pusher slides off the bottle's side 3-4 cm from the goal and
  // cannot get behind it again within the horizon. With keypoint models from three training
  // seeds it succeeded in 84, 76 and 81 of 100 starts, against 81, 70 and 78 without the refit.
  plannerDefaults: { heightStd: 0.05, failureWeight: 3, ratePenalty: 10, lattice: [0.05, 0.07, 0.09], keypointWeight: 2, samples: 128, iterations: 3 },
  // A slow push needs most of a second to reach the bottle and move it, which the oracle's default
  // half-second horizon does not see: with it the oracle succeeded in 72 % and 64 % of two sets of
  // 50 starts, with 12 steps and 64 samples in 88 % and 94 %. The upper bound should
  // be one.
  oracleDefaults: { horizon: 12, samples: 64, elites: 8 },
  // Most ordinary pushes burst the bottle within a step or two, so without gentle pushes the data
  // shows almost no sliding (1000 such episodes: 59 % burst, 19 % slid) and a model never learns
  // how a gentle push moves it.
  explorationMix: { 'push-low': 0.25, 'push-gentle': 0.4, 'push-high': 0.15, press: 0.05, wander: 0.15 },
  // The recipe models/world is trained with (train takes each key's largest value over the
  // datasets' tasks), so the model plans fragile: keypoints, whose distance keeps the goal in view beyond the few cm the rest of the latent
  // resolves (without them 0-7 of 50 succeed), and a failure head fitted on every transition for
  // 3000 steps, which prices the slow push at 1-11 % instead of 1-38 %.
  trainDefaults: { keypoints: 4, headSteps: 3000, headTransitions: 200000 },
});

export default fragile;
