// The plain onnxruntime-node row of `bench/run.sh zoo`: the same ONNX file and output as our binding,
// one InferenceSession (intra-op threads = cores, all graph optimizations), timed at the requested batches.
// Usage: node ort-node-bench.mjs MODEL INPUT_NAME OUTPUT_NAME C,H,W BATCHES(comma) SECONDS
import os from 'node:os';
import ort from 'onnxruntime-node';

const [model, inputName, outputName, chw, batchList, secondsText] = process.argv.slice(2);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: os.cpus().length, graphOptimizationLevel: 'all', executionProviders: ['cpu'],
});
const seconds = Number(secondsText);
const dims = chw.split(',').map(Number);
const results = [];
for (const batch of batchList.split(',').map(Number)) {
  const data = new Float32Array(batch * dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 127.5 - 1;
  const feeds = { [inputName]: new ort.Tensor('float32', data, [batch, ...dims]) };
  for (let i = 0; i < 2; i++) await session.run(feeds, [outputName]);
  const times = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start) / 1000 < seconds) {
    const t0 = performance.now();
    await session.run(feeds, [outputName]);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  results.push({ batch, imagesPerSecond: batch / (times[Math.floor(times.length / 2)] / 1000), runs: times.length });
}
process.stdout.write(JSON.stringify({ backend: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(), results }));
