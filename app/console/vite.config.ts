// Builds the web console (docs/console.md) into app/console/dist, which `ferry serve` serves at `/`
// (app/src/tasks-api/console-assets.ts). `npm run build:console` runs it; scripts/bootstrap.sh when the build is
// missing or older than its sources. No inline scripts or styles, so the server's CSP can forbid them.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
