// Reference run for the parity tests: the same ONNX file and the same float32 input tensor through
// npm's onnxruntime-node. Usage: node ort-node-probe.mjs MODEL INPUT_NAME INPUT.bin DIMS(comma) OUTPUT...
// Prints {"<output>": {"dims": [...], "data": [...]}, ...} as JSON.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, inputName, inputFile, dims, ...outputs] = process.argv.slice(2);
const bytes = readFileSync(inputFile);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const session = await ort.InferenceSession.create(model);
const results = await session.run({ [inputName]: new ort.Tensor('float32', data, dims.split(',').map(Number)) }, outputs);
const json = {};
for (const name of outputs) {
  json[name] = { dims: results[name].dims, data: Array.from(results[name].data) };
}
process.stdout.write(JSON.stringify(json));
