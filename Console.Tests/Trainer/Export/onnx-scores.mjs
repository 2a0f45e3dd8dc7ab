// Runs an exported classifier (model.onnx: uint8 NHWC `image` in, `scores` out) with onnxruntime-node on raw
// RGB images, in batches of 16 (one thread), and prints its scores: nothing else in between.
// Usage: node onnx-scores.mjs <case.json>
//   case.json: { model, images (raw uint8 N*H*W*3 RGB), count, height, width }
// Prints one JSON object: { scores: [[...]] }.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { count: n, height: h, width: w } = spec;
const pixels = new Uint8Array(fs.readFileSync(spec.images));
if (pixels.length !== n * h * w * 3) throw new Error(`images: ${pixels.length} bytes, expected ${n * h * w * 3}`);
const session = await ort.InferenceSession.create(spec.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const size = h * w * 3;
const scores = [];
for (let start = 0; start < n; start += 16) {
  const batch = Math.min(16, n - start);
  const input = new ort.Tensor('uint8', pixels.subarray(start * size, (start + batch) * size), [batch, h, w, 3]);
  const out = (await session.run({ image: input })).scores;
  const classes = out.data.length / batch;
  for (let i = 0; i < batch; i++) scores.push(Array.from(out.data.slice(i * classes, (i + 1) * classes)));
}
process.stdout.write(JSON.stringify({ scores }) + '\n');
