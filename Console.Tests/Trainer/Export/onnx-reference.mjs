// Runs an exported classifier (model.onnx) with onnxruntime-node and, beside it, the reference:
// the original backbone (with its feature map exposed as an output) run on input normalized here in
// JS, then global average pooling, standardization, W·x + b and softmax/sigmoid done step by step.
// Usage: node onnx-reference.mjs <case.json>
//   case.json: { model, backbone, featureOutput, backboneInput, images (raw uint8 N*H*W*3), count,
//                height, width, mean[3], std[3], head: { mean, std, hidden: [{ inputs, outputs, weights, bias }] (dense + ReLU, optional),
//                weights (C*width row-major), bias, activation } }
// Prints one JSON object: { exported: [[...]], reference: [[...]], maxAbsDiff }.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { count: n, height: h, width: w } = spec;
const pixels = new Uint8Array(fs.readFileSync(spec.images));
if (pixels.length !== n * h * w * 3) throw new Error(`images: ${pixels.length} bytes, expected ${n * h * w * 3}`);
const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };

const exportedSession = await ort.InferenceSession.create(spec.model, options);
const exportedOut = await exportedSession.run({ image: new ort.Tensor('uint8', pixels, [n, h, w, 3]) });
const exported = rows(exportedOut.scores.data, n);

// Reference: NCHW float input exactly as the backbone documents it: (p/255 - mean[c]) / std[c].
const input = new Float32Array(n * 3 * h * w);
for (let i = 0; i < n; i++)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        input[((i * 3 + c) * h + y) * w + x] = (pixels[((i * h + y) * w + x) * 3 + c] / 255 - spec.mean[c]) / spec.std[c];
const backboneSession = await ort.InferenceSession.create(spec.backbone, options);
const feeds = { [spec.backboneInput]: new ort.Tensor('float32', input, [n, 3, h, w]) };
const map = (await backboneSession.run(feeds, [spec.featureOutput]))[spec.featureOutput];
const [, d, fh, fw] = map.dims;
const head = spec.head;
const classes = head.bias.length;
const reference = [];
for (let i = 0; i < n; i++) {
  const z = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let sum = 0;
    for (let p = 0; p < fh * fw; p++) sum += map.data[(i * d + k) * fh * fw + p];
    z[k] = (sum / (fh * fw) - head.mean[k]) / head.std[k];
  }
  let h = z;
  for (const layer of head.hidden ?? []) {
    const next = new Float64Array(layer.outputs);
    for (let o = 0; o < layer.outputs; o++) {
      let s = layer.bias[o];
      for (let k = 0; k < layer.inputs; k++) s += layer.weights[o * layer.inputs + k] * h[k];
      next[o] = Math.max(0, s);
    }
    h = next;
  }
  const logits = [];
  for (let c = 0; c < classes; c++) {
    let s = head.bias[c];
    for (let k = 0; k < h.length; k++) s += head.weights[c * h.length + k] * h[k];
    logits.push(s);
  }
  if (head.activation === 'Softmax') {
    const m = Math.max(...logits);
    const e = logits.map(v => Math.exp(v - m));
    const total = e.reduce((a, b) => a + b, 0);
    reference.push(e.map(v => v / total));
  } else {
    reference.push(logits.map(v => 1 / (1 + Math.exp(-v))));
  }
}
let maxAbsDiff = 0;
for (let i = 0; i < n; i++)
  for (let c = 0; c < classes; c++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(exported[i][c] - reference[i][c]));
process.stdout.write(JSON.stringify({ exported, reference, maxAbsDiff }) + '\n');

function rows(data, count) {
  const size = data.length / count;
  return Array.from({ length: count }, (_, i) => Array.from(data.slice(i * size, (i + 1) * size)));
}
