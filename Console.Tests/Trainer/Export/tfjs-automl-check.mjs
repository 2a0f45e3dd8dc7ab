// Loads an exported TF.js folder with @tensorflow/tfjs-automl 1.3.0's own loader
// (loadImageClassification(url to model.json): loadGraphModel + dict.txt through tfjs' fetch) over a
// loopback HTTP server, and classifies each image with ImageClassificationModel.classify (its own
// centre crop + resize to 224 + pixel/127.5 - 1, then graphModel.predict), on tfjs' wasm backend (XNNPACK,
// SIMD, one thread; its .wasm binaries read from the package's dist folder) or, with "backend":"cpu", the
// pure-JS cpu backend (several times slower, same float math up to rounding).
// Usage: node tfjs-automl-check.mjs <case.json>
//   case.json: { tfjsDir, images (raw uint8 N*H*W*3 RGB), count, height, width, backend? ("wasm" default, or "cpu") }
// Prints one JSON object: { labels: [...], scores: [[...]], backend }.
import { automl, readPixels, readSpec, tf, withModel } from './tfjs-automl-host.mjs';

const spec = readSpec();
const { count: n, height: h, width: w } = spec;
const pixels = readPixels(spec, n * h * w * 3);
await withModel(spec, async url => {
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
});
