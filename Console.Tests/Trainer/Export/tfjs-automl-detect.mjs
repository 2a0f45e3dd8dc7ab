// Loads an exported detector's TF.js folder with @tensorflow/tfjs-automl 1.3.0's own loader (loadObjectDetection(url to
// model.json): loadGraphModel + dict.txt through tfjs' fetch) over a loopback HTTP server, and detects on each image with
// ObjectDetectionModel.detect (it feeds the pixels as they are to `ToFloat`, reads Postprocessor/convert_scores and
// Postprocessor/Decode/transpose_1, then runs its own non-max suppression), on tfjs' wasm backend or, with
// "backend":"cpu", the pure-JS cpu backend.
// Usage: node tfjs-automl-detect.mjs <case.json>
//   case.json: { tfjsDir, images (raw uint8 RGB images one after the other), sizes: [[height, width], ...],
//                score, iou, topk, backend? }
// Prints one JSON object: { detections: [[{ box: [ymin, xmin, ymax, xmax] normalized, label, score }]], backend }.
import { automl, readPixels, readSpec, tf, withModel } from './tfjs-automl-host.mjs';

const spec = readSpec();
const pixels = readPixels(spec, spec.sizes.reduce((a, [h, w]) => a + h * w * 3, 0));
await withModel(spec, async url => {
  const model = await automl.loadObjectDetection(url);
  const detections = [];
  let offset = 0;
  for (const [h, w] of spec.sizes) {
    const image = tf.tensor3d(pixels.subarray(offset, offset + h * w * 3), [h, w, 3], 'int32');
    offset += h * w * 3;
    const objects = await model.detect(image, { score: spec.score, iou: spec.iou, topk: spec.topk });
    image.dispose();
    // detect answers in pixels of the image it was given: back to normalized [ymin, xmin, ymax, xmax].
    detections.push(objects.map(o => ({
      box: [o.box.top / h, o.box.left / w, (o.box.top + o.box.height) / h, (o.box.left + o.box.width) / w],
      label: o.label,
      score: o.score,
    })));
  }
  process.stdout.write(JSON.stringify({ detections, backend: tf.getBackend() }) + '\n');
});
