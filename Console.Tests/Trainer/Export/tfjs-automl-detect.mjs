// Loads an exported detector's TF.js folder with @tensorflow/tfjs-automl 1.3.0's own loader (loadObjectDetection(url to
// model.json): loadGraphModel + dict.txt through tfjs' fetch) over a loopback HTTP server, and detects on each image with
// ObjectDetectionModel.detect (it feeds the pixels as they are to `ToFloat`, reads Postprocessor/convert_scores and
// Postprocessor/Decode/transpose_1, then runs its own non-max suppression), on tfjs' wasm backend or, with
// "backend":"cpu", the pure-JS cpu backend. The packages come from tools/automl-check, not the root node_modules.
// Usage: node tfjs-automl-detect.mjs <case.json>
//   case.json: { tfjsDir, images (raw uint8 RGB images one after the other), sizes: [[height, width], ...],
//                score, iou, topk, backend? }
// Prints one JSON object: { detections: [[{ box: [ymin, xmin, ymax, xmax] normalized, label, score }]], backend }.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(repoRoot, 'tools/automl-check/package.json'));
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const automl = require('@tensorflow/tfjs-automl');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pixels = new Uint8Array(fs.readFileSync(spec.images));
const total = spec.sizes.reduce((a, [h, w]) => a + h * w * 3, 0);
if (pixels.length !== total) throw new Error(`images: ${pixels.length} bytes, expected ${total}`);

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
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), path.sep));
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialize`);
  const model = await automl.loadObjectDetection(`http://127.0.0.1:${server.address().port}/model.json`);
  const detections = [];
  let offset = 0;
  for (const [h, w] of spec.sizes) {
    const image = tf.tensor3d(pixels.subarray(offset, offset + h * w * 3), [h, w, 3], 'int32');
    offset += h * w * 3;
    const objects = await model.detect(image, { score: spec.score, iou: spec.iou, topk: spec.topk });
    image.dispose();
    // detect answers in pixels of the image it was given: back to normalized [ymin, xmin, ymax, xmax].
    detections.push(objects.map(o => ({
      box: [o.box.top / h, o.box.left / w, (o.box.top + o.box.height) / h, (o.box.left + o.box.width) / w],
      label: o.label,
      score: o.score,
    })));
  }
  process.stdout.write(JSON.stringify({ detections, backend: tf.getBackend() }) + '\n');
} finally {
  server.close();
}
