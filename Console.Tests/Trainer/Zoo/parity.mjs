// Reference runner for the zoo's parity checks. Runs a converted ONNX model with onnxruntime-node and,
// when asked, the original TF.js model with @tensorflow/tfjs (wasm backend, cpu as fallback) on the
// same float32 input tensors, and prints one JSON object with the comparison numbers.
//
// usage: node parity.mjs request.json
// request: {
//   onnx: "model.onnx", onnxInput: "input name",
//   inputs: [{ file: "x.f32", dims: [1,H,W,C] }],          // raw little-endian float32, one per image
//   tfjs?: { format: "graph" | "layers", modelJson: "model.json" },
//   dump?: ["onnx output"],                                   // returned whole (small tensors only)
//   compare: [{ actual: "onnx output", ref: { from: "tf" | "onnx", name, reduce?: "meanHW_nhwc" | "meanHW_nchw" } }]
// }
// The ONNX model runs once on the whole batch (exercising the dynamic batch); TF.js runs image by image.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const ort = require('onnxruntime-node');
const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function readF32(file) {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

const images = request.inputs.map(i => ({ data: readF32(i.file), dims: i.dims }));
const per = images[0].data.length;
const batch = new Float32Array(per * images.length);
images.forEach((im, i) => batch.set(im.data, i * per));

const session = await ort.InferenceSession.create(request.onnx, { intraOpNumThreads: 1 });
const onnxOut = await session.run({ [request.onnxInput]: new ort.Tensor('float32', batch, [images.reduce((n, im) => n + im.dims[0], 0), ...images[0].dims.slice(1)]) });

// Per-image slices of an ONNX output: { dims (without batch), data }.
function onnxImage(name, i) {
  const t = onnxOut[name];
  if (!t) throw new Error(`ONNX output '${name}' missing; has ${Object.keys(onnxOut).join(', ')}`);
  const n = t.data.length / images.length;
  return { dims: t.dims.slice(1), data: Float32Array.from(t.data.subarray(i * n, (i + 1) * n)) };
}

let tfResults = null;
let backend = null;
if (request.tfjs) {
  const tf = require('@tensorflow/tfjs');
  try {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + '/');
    await tf.setBackend('wasm');
  } catch (e) {
    await tf.setBackend('cpu');
  }
  await tf.ready();
  backend = tf.getBackend();
  const modelJsonPath = request.tfjs.modelJson;
  const folder = path.dirname(modelJsonPath);
  const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  const weightSpecs = [];
  const parts = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) parts.push(fs.readFileSync(path.join(folder, p)));
  }
  const all = Buffer.concat(parts);
  const handler = {
    load: async () => ({
      modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy,
      convertedBy: json.convertedBy, signature: json.signature, userDefinedMetadata: json.userDefinedMetadata,
      weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  };
  const tfNames = [...new Set((request.compare ?? []).filter(c => c.ref.from === 'tf').map(c => c.ref.name))];
  let run;
  if (request.tfjs.format === 'graph') {
    const model = await tf.loadGraphModel(handler);
    run = x => { const r = model.execute(x, tfNames); return Array.isArray(r) ? r : [r]; };
  } else {
    const model = await tf.loadLayersModel(handler);
    const probe = tf.model({ inputs: model.inputs, outputs: tfNames.map(n => model.getLayer(n).output) });
    run = x => { const r = probe.predict(x); return Array.isArray(r) ? r : [r]; };
  }
  tfResults = images.map(im => {
    const x = tf.tensor(im.data, im.dims, 'float32');
    const outs = run(x);
    const result = {};
    tfNames.forEach((n, k) => { result[n] = { dims: outs[k].shape.slice(1), data: outs[k].dataSync().slice() }; });
    tf.dispose([x, ...outs]);
    return result;
  });
}

function meanHW(t, layout) {
  const [a, b, c] = t.dims; // without batch
  if (layout === 'nhwc') {
    const [h, w, ch] = [a, b, c];
    const out = new Float32Array(ch);
    for (let p = 0; p < h * w; p++) for (let k = 0; k < ch; k++) out[k] += t.data[p * ch + k];
    for (let k = 0; k < ch; k++) out[k] /= h * w;
    return { dims: [ch], data: out };
  }
  const [ch, h, w] = [a, b, c];
  const out = new Float32Array(ch);
  for (let k = 0; k < ch; k++) { let s = 0; for (let p = 0; p < h * w; p++) s += t.data[k * h * w + p]; out[k] = s / (h * w); }
  return { dims: [ch], data: out };
}

const dumps = Object.fromEntries((request.dump ?? []).map(n => [n, { dims: onnxOut[n].dims, data: Array.from(onnxOut[n].data) }]));

const results = (request.compare ?? []).map(c => {
  let maxAbsDiff = 0, maxRefAbs = 0, actualDims = null, refDims = null;
  for (let i = 0; i < images.length; i++) {
    const actual = onnxImage(c.actual, i);
    let ref = c.ref.from === 'tf' ? tfResults[i][c.ref.name] : onnxImage(c.ref.name, i);
    if (c.ref.reduce === 'meanHW_nhwc') ref = meanHW(ref, 'nhwc');
    if (c.ref.reduce === 'meanHW_nchw') ref = meanHW(ref, 'nchw');
    actualDims = actual.dims; refDims = ref.dims;
    if (actual.data.length !== ref.data.length) throw new Error(`${c.actual}: ${actual.data.length} values vs reference ${ref.data.length}`);
    for (let k = 0; k < ref.data.length; k++) {
      if (!Number.isFinite(actual.data[k])) { maxAbsDiff = Infinity; continue; }
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(actual.data[k] - ref.data[k]));
      maxRefAbs = Math.max(maxRefAbs, Math.abs(ref.data[k]));
    }
  }
  return { actual: c.actual, ref: c.ref.name, actualDims, refDims, batch: onnxOut[c.actual].dims[0], maxAbsDiff, maxRefAbs };
});

process.stdout.write(JSON.stringify({ backend, images: images.length, results, dumps }) + '\n');
