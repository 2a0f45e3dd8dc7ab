// Runs images through Google's TFLite Task Library, the wasm build inside @tensorflow/tfjs-tflite 0.0.1-alpha.10
// (tools/tflite-check, npm ci there): tflite.ImageClassifier or tflite.ObjectDetector .create(model file bytes) with no
// labels or options of ours beyond "every result, no score threshold", so the class names, the input normalization, the
// output dequantization and (for a detector) which output holds what all come from the model's TFLite Support metadata
// (and the label file zipped into the .tflite). Each image goes in as an RGBA ImageData of exactly height x width pixels
// (alpha 255): the Task Library's own preprocessing (resize when the sizes differ, RGBA -> RGB, metadata normalization)
// does the rest.
// tfjs-tflite is written for browsers: this script gives it the few browser globals it reaches for in node (self,
// location, importScripts for its emscripten loader, ImageData), hands emscripten the .wasm bytes instead of a fetch,
// sends emscripten's printing to stderr, and hides MessageChannel while it probes wasm features so that it picks the
// single-threaded SIMD build (the threaded one needs Web Workers).
// Usage: node tflite-task.mjs <case.json>
//   case.json: { task ("classifier" or "detector"), model (path to .tflite), images (raw uint8 N*H*W*3 RGB), count, height, width }
// Prints one JSON object: { labels: [class names by index], results: per image, as the Task Library orders them (best
//   first): classifier [{className, score, index}, ...]; detector [{className, score, index, box: {x, y, width, height}
//   in pixels of the image}, ...], wasm: the emscripten build it loaded }.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(repoRoot, 'tools/tflite-check/package.json'));
const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { task, count: n, height: h, width: w } = spec;
if (task !== 'classifier' && task !== 'detector') throw new Error(`task: '${task}', expected classifier or detector`);
const pixels = new Uint8Array(fs.readFileSync(spec.images));
if (pixels.length !== n * h * w * 3) throw new Error(`images: ${pixels.length} bytes, expected ${n * h * w * 3}`);
const modelBytes = fs.readFileSync(spec.model);

// The browser (web worker) surface tfjs-tflite's loader uses; it must exist before the package is loaded, because the
// package starts loading its emscripten module as soon as it is imported.
let loadedWasm;
globalThis.self = globalThis;
globalThis.location = { origin: 'http://tfjs-tflite.local', href: 'http://tfjs-tflite.local/wasm/' };
globalThis.importScripts = url => {
  const name = path.basename(new URL(url).pathname);
  const file = path.join(wasmDir, name);
  vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
  const factory = globalThis.tflite_web_api_ModuleFactory;
  const wasmBinary = fs.readFileSync(file.replace(/\.js$/, '.wasm'));
  loadedWasm = name.replace(/\.js$/, '.wasm');
  globalThis.tflite_web_api_ModuleFactory = options =>
    factory({ ...options, wasmBinary, print: (...a) => console.error(...a), printErr: (...a) => console.error(...a) });
};
globalThis.ImageData = class ImageData {
  constructor(data, width, height) { Object.assign(this, { data, width, height }); }
};
const messageChannel = globalThis.MessageChannel;
globalThis.MessageChannel = undefined;

const tflite = require('@tensorflow/tfjs-tflite');
let model;
try {
  if ((await tflite.getWasmFeatures()).multiThreading) throw new Error('tfjs-tflite chose its threaded wasm build');
  // maxResults -1: every class (every box). scoreThreshold 0 overrides any threshold in the metadata.
  const bytes = modelBytes.buffer.slice(modelBytes.byteOffset, modelBytes.byteOffset + modelBytes.length);
  model = task === 'classifier'
    ? await tflite.ImageClassifier.create(bytes, { maxResults: -1, scoreThreshold: 0 })
    : await tflite.ObjectDetector.create(bytes, { maxResults: -1, scoreThreshold: 0 });
} finally {
  globalThis.MessageChannel = messageChannel;
}
const category = c => ({ className: c.getDisplayName() || c.getClassName(), score: c.getScore(), index: c.getIndex() });

const labels = [];
const results = [];
for (let i = 0; i < n; i++) {
  const rgba = new Uint8ClampedArray(h * w * 4);
  for (let p = 0, s = i * h * w * 3; p < h * w; p++, s += 3) {
    rgba[4 * p] = pixels[s]; rgba[4 * p + 1] = pixels[s + 1]; rgba[4 * p + 2] = pixels[s + 2]; rgba[4 * p + 3] = 255;
  }
  // The proto results under classify() and detect() (which keep only names and scores): the same calls, with class indices.
  if (task === 'classifier') {
    const result = model.instance.classify(new ImageData(rgba, w, h));
    const heads = result ? result.getClassificationsList() : [];
    if (heads.length !== 1) throw new Error(`image ${i}: ${heads.length} classification heads, expected 1`);
    const classes = heads[0].getClassesList().map(category);
    for (const c of classes) labels[c.index] ??= c.className;
    results.push(classes);
  } else {
    const result = model.instance.detect(new ImageData(rgba, w, h));
    const detections = (result ? result.getDetectionsList() : []).map(d => {
      const classes = d.getClassesList();
      if (classes.length !== 1) throw new Error(`image ${i}: a detection with ${classes.length} classes, expected 1`);
      const box = d.getBoundingBox();
      return { ...category(classes[0]), box: { x: box.getOriginX(), y: box.getOriginY(), width: box.getWidth(), height: box.getHeight() } };
    });
    for (const d of detections) labels[d.index] ??= d.className;
    results.push(detections);
  }
}
model.cleanUp();
process.stdout.write(JSON.stringify({ labels, results, wasm: loadedWasm }) + '\n');
