// What the tfjs-automl reference scripts share: @tensorflow/tfjs-automl 1.3.0 and tfjs 3.x from tools/automl-check (npm ci
// there), not from the root node_modules (tfjs 4.x), and a loopback HTTP server over an exported tfjs/ folder, because
// tfjs-automl's loaders fetch model.json and dict.txt by URL. withModel starts the server, sets the backend (wasm by
// default: XNNPACK, SIMD, one thread, its .wasm binaries read from the package's dist folder; or "cpu", the pure-JS one)
// and passes the URL of model.json to use(url); the server is closed afterwards.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(repoRoot, 'tools/automl-check/package.json'));
export const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const wasm = require('@tensorflow/tfjs-backend-wasm');
export const automl = require('@tensorflow/tfjs-automl');

/** The case file named on the command line, parsed. */
export const readSpec = () => JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

/** The raw uint8 RGB images of a case, checked to hold exactly `expected` bytes. */
export function readPixels(spec, expected) {
  const pixels = new Uint8Array(fs.readFileSync(spec.images));
  if (pixels.length !== expected) throw new Error(`images: ${pixels.length} bytes, expected ${expected}`);
  return pixels;
}

export async function withModel(spec, use) {
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url, 'http://localhost').pathname).slice(1);
    const file = path.join(spec.tfjsDir, name);
    if (name.includes('..') || !fs.existsSync(file)) { response.writeHead(404).end(); return; }
    response.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  try {
    const backend = spec.backend ?? 'wasm';
    if (backend === 'wasm') {
      // Node has no fetch of file paths: emscripten reads the binary with fs from this prefix. No worker threads.
      wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), path.sep));
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialize`);
    return await use(`http://127.0.0.1:${server.address().port}/model.json`);
  } finally {
    server.close();
  }
}
