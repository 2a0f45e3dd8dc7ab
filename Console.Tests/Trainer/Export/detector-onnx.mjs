// Runs an exported detector (model.onnx: uint8 NHWC `image` [1, S, S, 3] in; detection_boxes, detection_classes,
// detection_scores, num_detections out, the TFLite Task Library's object detector layout) with onnxruntime-node on raw
// RGB images already framed to S x S (one thread), and prints every image's first num_detections slots.
// Usage: node detector-onnx.mjs <case.json>
//   case.json: { model, images (raw uint8 N*S*S*3 RGB), count, side }
// Prints one JSON object: { detections: [[{ box: [ymin, xmin, ymax, xmax], label, score }]] }.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { count: n, side } = spec;
const pixels = new Uint8Array(fs.readFileSync(spec.images));
const size = side * side * 3;
if (pixels.length !== n * size) throw new Error(`images: ${pixels.length} bytes, expected ${n * size}`);
const session = await ort.InferenceSession.create(spec.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const detections = [];
for (let i = 0; i < n; i++) {
  const input = new ort.Tensor('uint8', pixels.subarray(i * size, (i + 1) * size), [1, side, side, 3]);
  const out = await session.run({ image: input });
  const count = out.num_detections.data[0];
  const boxes = out.detection_boxes.data, classes = out.detection_classes.data, scores = out.detection_scores.data;
  const list = [];
  for (let k = 0; k < count; k++) {
    list.push({ box: Array.from(boxes.slice(4 * k, 4 * k + 4)), label: classes[k], score: scores[k] });
  }
  detections.push(list);
}
process.stdout.write(JSON.stringify({ detections }) + '\n');
