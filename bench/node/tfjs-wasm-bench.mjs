// The tfjs-wasm reference row of `bench/run.sh zoo`: a TF.js original model in @tensorflow/tfjs with the
// wasm backend, in node, timed on feature extraction at the requested batch sizes.
// Usage: node tfjs-wasm-bench.mjs REFERENCE MIRROR_FOLDER BATCHES(comma) SECONDS
// Prints one JSON object: {"reference": ..., "backend": ..., "results": [{"batch": b, "imagesPerSecond": x, "runs": n}]}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const [reference, mirror, batchList, secondsText] = process.argv.slice(2);

// One line per TF.js original: how to load it from the mirror and which layer gives the pooled features.
const references = {
  'mobilenet_v1_0.75_224': { folder: 'mobilenet_v1_0.75_224', kind: 'layers', features: 'global_average_pooling2d_1', input: [224, 224, 3] },
};

/** An IOHandler that reads a TF.js model.json and its weight shards from a folder (no fetch, no network). */
function folderHandler(folder) {
  return {
    async load() {
      const model = JSON.parse(readFileSync(path.join(folder, 'model.json'), 'utf8'));
      const specs = [];
      const buffers = [];
      for (const group of model.weightsManifest) {
        specs.push(...group.weights);
        for (const file of group.paths) {
          const bytes = readFileSync(path.join(folder, file));
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        }
      }
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const weightData = new Uint8Array(total);
      let offset = 0;
      for (const b of buffers) { weightData.set(new Uint8Array(b), offset); offset += b.byteLength; }
      return { modelTopology: model.modelTopology, format: model.format, generatedBy: model.generatedBy,
        convertedBy: model.convertedBy, weightSpecs: specs, weightData: weightData.buffer };
    },
  };
}

const spec = references[reference];
if (!spec) { console.error(`unknown TF.js reference ${reference}; known: ${Object.keys(references).join(', ')}`); process.exit(2); }
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
setThreadsCount(os.cpus().length);
await tf.setBackend('wasm');
await tf.ready();

const full = spec.kind === 'layers'
  ? await tf.loadLayersModel(folderHandler(path.join(mirror, spec.folder)))
  : await tf.loadGraphModel(folderHandler(path.join(mirror, spec.folder)));
const model = spec.kind === 'layers' ? tf.model({ inputs: full.inputs, outputs: full.getLayer(spec.features).output }) : full;
const predict = x => (spec.kind === 'layers' ? model.predict(x) : model.execute(x, spec.features));

const seconds = Number(secondsText);
const results = [];
for (const batch of batchList.split(',').map(Number)) {
  const input = tf.randomUniform([batch, ...spec.input], -1, 1, 'float32', 7);
  for (let i = 0; i < 2; i++) { const y = predict(input); await y.data(); y.dispose(); }
  const times = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start) / 1000 < seconds) {
    const t0 = performance.now();
    const y = predict(input);
    await y.data();
    times.push(performance.now() - t0);
    y.dispose();
  }
  input.dispose();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  results.push({ batch, imagesPerSecond: batch / (median / 1000), runs: times.length });
}
process.stdout.write(JSON.stringify({ reference, backend: `${tf.getBackend()} (tfjs ${tf.version.tfjs})`, results }));
