/**
 * Vite build of the hosted H5 capture page: web/h5 → web/h5/dist, served by the server at /h5/.
 * Everything the page loads comes from this build: the tfjs wasm binaries and the face detector weights are copied
 * from node_modules into dist/vendor (unhashed names, because tfjs and face-api resolve them by file name).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = path.resolve(here, '../../node_modules');

/** Files copied verbatim: output name under vendor/ → source path. */
export const VENDOR_FILES: Record<string, string> = {
  'tfjs-backend-wasm.wasm': '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm': '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm': '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
  'tiny_face_detector_model-weights_manifest.json':
    '@vladmandic/face-api/model/tiny_face_detector_model-weights_manifest.json',
  'tiny_face_detector_model.bin': '@vladmandic/face-api/model/tiny_face_detector_model.bin',
};

function vendorAssets(): Plugin {
  const read = (name: string) => readFileSync(path.join(nodeModules, VENDOR_FILES[name]!));
  return {
    name: 'shiren-h5-vendor-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/h5\/vendor\/([^/?]+)/.exec(req.url ?? '');
        if (!m || !VENDOR_FILES[m[1]!]) return next();
        const name = m[1]!;
        res.setHeader(
          'content-type',
          name.endsWith('.wasm')
            ? 'application/wasm'
            : name.endsWith('.json')
              ? 'application/json'
              : 'application/octet-stream',
        );
        res.end(read(name));
      });
    },
    generateBundle() {
      for (const name of Object.keys(VENDOR_FILES)) {
        this.emitFile({ type: 'asset', fileName: `vendor/${name}`, source: read(name) });
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: '/h5/',
  publicDir: false,
  plugins: [vendorAssets()],
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 2000,
    reportCompressedSize: false,
  },
  server: { host: '127.0.0.1' },
});
