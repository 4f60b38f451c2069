/** Vite build of the operator console: web/console → web/console/dist, served by the server at /console/. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2020',
    reportCompressedSize: false,
    // No inline scripts or data: modules, so the page runs under "default-src 'self'".
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    // `vite --config web/console/vite.config.ts` against a running `shiren serve` on :8080.
    proxy: { '/v1/console': 'http://127.0.0.1:8080' },
  },
});
