// `npx tsx viewer/bench/screenshot.ts [--model models/world] [--task slide] [--planner ...]
//   [--wait 12] [--out docs/screenshot.png]`: serves the viewer, opens it in headless Chromium
// (Debian's /usr/bin/chromium, WebGL on SwiftShader), lets a few plans play and saves a screenshot
// — the README's picture, regenerated whenever the model or the page changes.
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';
import { choiceFlag, floatFlag } from '../../sim/flags.ts';
import { formatUserError, isUserError } from '../../sim/errors.ts';
import { PLANNER_NAMES, type PlannerName } from '../../agent/planners/types.ts';
import { serve } from '../server/serve.ts';

async function main(): Promise<void> {
  const o = new Command()
    .option('--model <dir>', 'checkpoint (default: models/<task> if present)')
    .option('--task <id>', 'task', 'slide')
    .option('--planner <name>', 'planner', choiceFlag(PLANNER_NAMES))
    .option('--wait <s>', 'seconds of play before the shot', floatFlag(1, 600), 12)
    .option('--out <png>', 'output file', 'docs/screenshot.png')
    .option('--chromium <path>', 'browser binary', '/usr/bin/chromium')
    .parse(process.argv)
    .opts<{ model?: string; task: string; planner?: PlannerName; wait: number; out: string; chromium: string }>();
  const server = await serve({ task: o.task, planner: o.planner, model: o.model, port: 0, host: '127.0.0.1', seed: 3, ensureBuild: true, log: () => {} });
  const browser = await chromium.launch({
    executablePath: o.chromium,
    args: ['--no-sandbox', '--disable-gpu', '--headless', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(server.url);
    await page.waitForTimeout(o.wait * 1000);
    mkdirSync(dirname(o.out), { recursive: true });
    await page.screenshot({ path: o.out });
    process.stdout.write(`saved ${o.out} (${server.planner}${server.modelDir ? `, model ${server.modelDir}` : ''})\n`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e) => {
  if (isUserError(e)) {
    process.stderr.write(formatUserError(e) + '\n');
    process.exit(2);
  }
  throw e;
});
