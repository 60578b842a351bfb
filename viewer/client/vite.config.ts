// Builds the viewer page: `npm run build:viewer`, output viewer/client/dist (gitignored), served
// by `jepa-mpc serve`. Relative asset paths so the page works from any mount point.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
});
