// Loads an exported TF.js folder with @tensorflow/tfjs-automl 1.3.0's own loader
// (loadImageClassification(url to model.json): loadGraphModel + dict.txt through tfjs' fetch) over a
// loopback HTTP server, and classifies each image with ImageClassificationModel.classify (its own
// centre crop + resize to 224 + pixel/127.5 - 1, then graphModel.predict), on the pure-JS cpu backend.
// The packages come from tools/automl-check (npm ci there), not from the root node_modules (tfjs 4.x).
// Usage: node tfjs-automl-check.mjs <case.json>
//   case.json: { tfjsDir, images (raw uint8 N*H*W*3 RGB), count, height, width }
// Prints one JSON object: { labels: [...], scores: [[...]], backend }.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(repoRoot, 'tools/automl-check/package.json'));
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const automl = require('@tensorflow/tfjs-automl');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { count: n, height: h, width: w } = spec;
const pixels = new Uint8Array(fs.readFileSync(spec.images));
if (pixels.length !== n * h * w * 3) throw new Error(`images: ${pixels.length} bytes, expected ${n * h * w * 3}`);

const server = http.createServer((request, response) => {
  const name = decodeURIComponent(new URL(request.url, 'http://localhost').pathname).slice(1);
  const file = path.join(spec.tfjsDir, name);
  if (name.includes('..') || !fs.existsSync(file)) { response.writeHead(404).end(); return; }
  response.writeHead(200).end(fs.readFileSync(file));
});
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
try {
  await tf.setBackend('cpu');
  const url = `http://127.0.0.1:${server.address().port}/model.json`;
  const model = await automl.loadImageClassification(url);
  const scores = [];
  for (let i = 0; i < n; i++) {
    const image = tf.tensor3d(pixels.subarray(i * h * w * 3, (i + 1) * h * w * 3), [h, w, 3], 'int32');
    const predictions = await model.classify(image);
    image.dispose();
    scores.push(predictions.map(p => p.prob));
    if (i === 0) var labels = predictions.map(p => p.label);
  }
  process.stdout.write(JSON.stringify({ labels, scores, backend: tf.getBackend() }) + '\n');
} finally {
  server.close();
}
