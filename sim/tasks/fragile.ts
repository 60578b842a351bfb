// Task Description: as slide, push the upright bottle to a goal spot, but the bottle is fragile:
//   a pusher contact force above a low threshold bursts it, so it must be pushed gently.
// Randomizations: as slide (bottle within +-5 cm of the centre, goal 6-15 cm away, pusher 6-8 cm
//   behind the bottle opposite the goal, jittered +-25 deg, random height).
// Success Conditions: centre within 3 cm of the goal, tilt under 10 deg, not burst. Failure:
//   burst, tilt over 45 deg, or off the table.
import { makeSlideTask } from './slide.ts';

const fragile = makeSlideTask({
  id: 'fragile',
  description: 'Push a fragile bottle to a goal spot gently: fast pushes burst it.',
  burstThreshold: 6.5,
  maxSteps: 60,
});

export default fragile;
