// The tfjs-wasm reference row of `bench/run.sh zoo`: a TF.js original model in @tensorflow/tfjs with the
// wasm backend, in node, timed on feature extraction (to the feature node, mean-pooled if spatial) at the
// requested batch sizes.
// Usage: node tfjs-wasm-bench.mjs layers|graph MODEL_JSON FEATURE_NODE[,OTHER_NODE...] H,W,C BATCHES(comma) SECONDS
// Other nodes (graph models) are computed too and dropped, so the work matches an ONNX file that has them as outputs.
// Prints one JSON object: {"backend": ..., "results": [{"batch": b, "imagesPerSecond": x, "runs": n}]}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const [kind, modelJson, nodeList, hwc, batchList, secondsText] = process.argv.slice(2);
const [featureNode, ...otherNodes] = nodeList.split(',');

/** An IOHandler that reads a TF.js model.json and its weight shards from its folder (no fetch, no network). */
function fileHandler(modelJsonPath) {
  const folder = path.dirname(modelJsonPath);
  return {
    async load() {
      const model = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
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

if (kind !== 'layers' && kind !== 'graph') { console.error(`model kind must be layers or graph, not ${kind}`); process.exit(2); }
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
setThreadsCount(os.cpus().length);
await tf.setBackend('wasm');
await tf.ready();

const full = kind === 'layers' ? await tf.loadLayersModel(fileHandler(modelJson)) : await tf.loadGraphModel(fileHandler(modelJson));
const model = kind === 'layers' ? tf.model({ inputs: full.inputs, outputs: full.getLayer(featureNode).output }) : full;
const pool = y => {
  if (y.rank !== 4) return y;
  const pooled = tf.mean(y, [1, 2]);
  y.dispose();
  return pooled;
};
const execute = x => {
  if (otherNodes.length === 0) return model.execute(x, featureNode);
  const [features, ...others] = model.execute(x, [featureNode, ...otherNodes]);
  others.forEach(t => t.dispose());
  return features;
};
const run = x => pool(kind === 'layers' ? model.predict(x) : execute(x));
const inputShape = hwc.split(',').map(Number);
// A graph model saved with a fixed batch of 1 (CenterNet) takes a batch as that many single-image runs, as a TF.js app would.
const fixedBatch = kind === 'graph' && model.inputs[0].shape?.[0] > 0 ? model.inputs[0].shape[0] : null;
const predict = x => {
  if (fixedBatch === null || x.shape[0] === fixedBatch) return run(x);
  const outputs = tf.split(x, x.shape[0] / fixedBatch).map(part => { const y = run(part); part.dispose(); return y; });
  const joined = tf.concat(outputs);
  outputs.forEach(y => y.dispose());
  return joined;
};

const seconds = Number(secondsText);
const results = [];
for (const batch of batchList.split(',').map(Number)) {
  const input = tf.randomUniform([batch, ...inputShape], -1, 1, 'float32', 7);
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
process.stdout.write(JSON.stringify({ model: modelJson, backend: `${tf.getBackend()} (tfjs ${tf.version.tfjs})${fixedBatch ? `, fixed batch ${fixedBatch}: larger batches run image by image` : ''}`, results }));
