// Builds the page with Vite's JS API when viewer/client/dist is missing or older than the page's
// sources, so `npm start` on a fresh clone just works and an edited page is never served stale.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENT_DIR = fileURLToPath(new URL('../client/', import.meta.url));
export const DIST_DIR = join(CLIENT_DIR, 'dist');
const SHARED_SOURCES = [fileURLToPath(new URL('./protocol.ts', import.meta.url))];

function newestSourceMtime(): number {
  const files = readdirSync(CLIENT_DIR)
    .filter((f) => /\.(ts|html|css)$/.test(f))
    .map((f) => join(CLIENT_DIR, f))
    .concat(SHARED_SOURCES);
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

/** True when dist/index.html exists and is newer than every client source. */
export function isBuildFresh(): boolean {
  const index = join(DIST_DIR, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= newestSourceMtime();
}

/**
 * Whether serve builds before it starts: always when asked (--ensure-build also rebuilds a stale
 * page), and whenever the page is missing, so serve on a fresh clone never answers 503.
 */
export function servesAfterBuild(ensureBuild: boolean, distDir: string = DIST_DIR): boolean {
  return ensureBuild || !existsSync(join(distDir, 'index.html'));
}

/** Build the page if needed; returns true if a build ran. */
export async function ensureViewerBuilt(log: (line: string) => void = () => {}): Promise<boolean> {
  if (isBuildFresh()) return false;
  log('building the viewer page (vite)...');
  const started = performance.now();
  const { build } = await import('vite');
  await build({ configFile: join(CLIENT_DIR, 'vite.config.ts'), logLevel: 'warn' });
  log(`built the viewer page in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}
