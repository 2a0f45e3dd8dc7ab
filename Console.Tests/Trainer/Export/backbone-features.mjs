// Pooled backbone features with onnxruntime-node: the backbone (feature map exposed as an output) run on
// input normalized here, (p/255 - mean[c]) / std[c] in NCHW, then the spatial mean of the feature map.
// Usage: node backbone-features.mjs <case.json>
//   case.json: { backbone, featureOutput, backboneInput, images (raw uint8 N*H*W*3), count, height, width, mean[3], std[3] }
// Prints one JSON object: { features: [[...D]] }.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { count: n, height: h, width: w } = spec;
const pixels = new Uint8Array(fs.readFileSync(spec.images));
if (pixels.length !== n * h * w * 3) throw new Error(`images: ${pixels.length} bytes, expected ${n * h * w * 3}`);
const input = new Float32Array(n * 3 * h * w);
for (let i = 0; i < n; i++)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++)
        input[((i * 3 + c) * h + y) * w + x] = (pixels[((i * h + y) * w + x) * 3 + c] / 255 - spec.mean[c]) / spec.std[c];
const session = await ort.InferenceSession.create(spec.backbone, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const map = (await session.run({ [spec.backboneInput]: new ort.Tensor('float32', input, [n, 3, h, w]) }, [spec.featureOutput]))[spec.featureOutput];
const [, d, fh, fw] = map.dims;
const features = [];
for (let i = 0; i < n; i++) {
  const f = new Array(d);
  for (let k = 0; k < d; k++) {
    let sum = 0;
    for (let p = 0; p < fh * fw; p++) sum += map.data[(i * d + k) * fh * fw + p];
    f[k] = sum / (fh * fw);
  }
  features.push(f);
}
process.stdout.write(JSON.stringify({ features }) + '\n');
