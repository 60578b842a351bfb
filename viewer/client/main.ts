// The page's composition: socket messages drive the 3D view, plan lines and HUD; controls and
// table clicks become commands. No simulation happens here.
import { Connection } from './connection.ts';
import { Hud, drawEnergy, drawGray } from './hud.ts';
import { PlanView } from './plans.ts';
import { SceneView } from './scene.ts';
import type { Frame, SceneMessage, ServerMessage } from '../server/protocol.ts';

/** Counters the end-to-end test reads; harmless for users. */
const stats = { frames: 0, scenes: 0, plans: 0, episodes: 0, errors: 0, lastError: '', bursts: 0, episode: 0 };
(window as unknown as { __viewer: typeof stats }).__viewer = stats;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const view = new SceneView($('view'));
const plans = new PlanView(view.overlay, $('flash'));
const hud = new Hud();
let current: SceneMessage | null = null;
let burstShown = -1;

function fillSelect(sel: HTMLSelectElement, options: string[], value: string): void {
  if (sel.options.length !== options.length || options.some((o, i) => sel.options[i].value !== o)) {
    sel.replaceChildren(...options.map((o) => new Option(o, o)));
  }
  sel.value = value;
}

function setPaused(paused: boolean): void {
  $('btn-pause').textContent = paused ? 'Resume' : 'Pause';
  $('btn-pause').dataset.paused = paused ? '1' : '0';
}

function triggerBurst(): void {
  if (burstShown === stats.episode) return;
  burstShown = stats.episode;
  stats.bursts++;
  const at = view.bodyPosition('object')?.clone() ?? view.bodyPosition('fragment')?.clone();
  if (at) plans.burst(at, stats.episode);
}

function onScene(msg: SceneMessage): void {
  stats.scenes++;
  const newEpisode = !current || current.episode !== msg.episode;
  const hadFragments = current?.scene.bodies.some((b) => b.role === 'fragment') ?? false;
  const hasFragments = msg.scene.bodies.some((b) => b.role === 'fragment');
  if (!newEpisode && hasFragments && !hadFragments) triggerBurst();
  if (!current || current.epoch !== msg.epoch) view.setScene(msg.scene, null);
  if (newEpisode) {
    stats.episode = msg.episode;
    plans.resetTrail();
    plans.clearPlans();
    hud.setEpisode(msg.task, msg.planner, msg.episode, msg.tally);
  }
  view.setGoal(msg.scene, msg.goalPoses, msg.goalPoint);
  drawGray(hud.goalDepth, msg.goalDepth);
  drawGray(hud.agentDepth, msg.agentDepth);
  fillSelect($('sel-task'), msg.tasks, msg.task);
  fillSelect($('sel-planner'), msg.planners, msg.planner);
  ($('sel-speed') as HTMLSelectElement).value = String(msg.speed);
  setPaused(msg.paused);
  current = msg;
}

function onFrame(f: Frame): void {
  if (!current || f.epoch !== current.epoch) return;
  if (!view.applyFrame(f.poses)) return;
  stats.frames++;
  hud.setStep(f.step);
  const p = view.bodyPosition('pusher');
  if (p) plans.extendTrail(p);
}

function onMessage(msg: ServerMessage): void {
  switch (msg.type) {
    case 'scene':
      onScene(msg);
      break;
    case 'plan':
      if (current && msg.episode === current.episode) {
        plans.showPlan(msg);
        stats.plans++;
      }
      break;
    case 'metrics':
      drawEnergy(hud.energy, msg.energy);
      hud.setPlanningMs(msg.planningMs);
      drawGray(hud.agentDepth, msg.agentDepth);
      break;
    case 'episode':
      stats.episodes++;
      hud.setOutcome(msg.outcome);
      hud.setTally(msg.tally);
      if (msg.outcome.kind === 'burst') triggerBurst();
      break;
    case 'status':
      setPaused(msg.paused);
      ($('sel-speed') as HTMLSelectElement).value = String(msg.speed);
      break;
    case 'error':
      stats.errors++;
      stats.lastError = msg.message;
      hud.showError(msg.message);
      break;
  }
}

const conn = new Connection(Connection.defaultUrl(), { onMessage, onFrame, onState: (s) => hud.setConnection(s) });

$('btn-new').addEventListener('click', () => conn.send({ type: 'newEpisode' }));
$('btn-pause').addEventListener('click', () => conn.send({ type: $('btn-pause').dataset.paused === '1' ? 'resume' : 'pause' }));
$('btn-step').addEventListener('click', () => conn.send({ type: 'step' }));
$('sel-task').addEventListener('change', (e) => conn.send({ type: 'setTask', task: (e.target as HTMLSelectElement).value }));
$('sel-planner').addEventListener('change', (e) => conn.send({ type: 'setPlanner', planner: (e.target as HTMLSelectElement).value }));
$('sel-speed').addEventListener('change', (e) => conn.send({ type: 'speed', factor: Number((e.target as HTMLSelectElement).value) }));

// A click (not a drag of the orbit camera) on the table sets the goal there.
const canvas = view.renderer.domElement;
let down: { x: number; y: number; t: number } | null = null;
canvas.addEventListener('pointerdown', (e) => { down = { x: e.clientX, y: e.clientY, t: performance.now() }; });
canvas.addEventListener('pointerup', (e) => {
  if (!down) return;
  const moved = Math.hypot(e.clientX - down.x, e.clientY - down.y);
  const quick = performance.now() - down.t < 400;
  down = null;
  if (moved > 5 || !quick) return;
  const hit = view.pickTable(e.clientX, e.clientY);
  if (hit) conn.send({ type: 'setGoal', x: Math.round(hit.x * 1e4) / 1e4, z: Math.round(hit.z * 1e4) / 1e4 });
});

function animate(now: number): void {
  plans.tick(now);
  view.render();
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);
