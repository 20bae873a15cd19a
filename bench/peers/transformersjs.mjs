// transformers.js peer for bench/compare.sh: the image-classification pipeline of @huggingface/transformers v3
// (onnxruntime-node, CPU) on the same local model folder (onnx/model.onnx = fp32, onnx/model_quantized.onnx = q8).
// ESM resolves '@huggingface/transformers' from this file's own folder (NODE_PATH does not apply), so compare.sh
// runs a copy of it placed beside the node_modules it installed.
//
//   node transformersjs.mjs MODEL_DIR DTYPE IMAGE_DIR [REPEATS]   benchmark; prints one JSON line
//   node transformersjs.mjs MODEL_DIR DTYPE --first IMAGE          cold start: load + one verdict, then exit
//   node transformersjs.mjs MODEL_DIR DTYPE --scores IMAGE...      one JSON line per image (correctness check)
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { env, pipeline } from '@huggingface/transformers';

const [modelDir, dtype, arg, ...rest] = process.argv.slice(2);

env.allowRemoteModels = false; // never reach for the Hub: local folder only
env.localModelPath = path.dirname(path.resolve(modelDir));
// dfd convert writes large models with ONNX external data (onnx/model.onnx + model.onnx_data); transformers.js reads
// that layout when told to, and then onnxruntime-node loads the same two files dfd loads
const onnxFile = dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx';
const externalData = fs.existsSync(path.join(modelDir, 'onnx', onnxFile + '_data'));
const classify = await pipeline('image-classification', path.basename(path.resolve(modelDir)), {
  device: 'cpu',
  dtype, // 'fp32' -> onnx/model.onnx, 'q8' -> onnx/model_quantized.onnx
  use_external_data_format: externalData,
  // same thread budget as dfd --threads 2 (passed through to onnxruntime-node's InferenceSession)
  session_options: { intraOpNumThreads: 2, interOpNumThreads: 1 },
});

if (arg === '--first') {
  const out = await classify(rest[0]);
  // performance.now() counts from process start (timeOrigin), so this includes node startup and the imports
  console.log(JSON.stringify({ first_verdict_in_process_seconds: performance.now() / 1000, label: out[0].label }));
  process.exit(0);
}
if (arg === '--scores') {
  for (const p of rest) console.log(JSON.stringify({ path: p, predictions: await classify(p, { top_k: 10 }) }));
  process.exit(0);
}

const repeats = Number(rest[0] ?? 3);
const files = fs.readdirSync(arg).filter((f) => /\.(jpe?g|png|bmp|gif|webp)$/i.test(f)).sort()
  .map((f) => path.join(arg, f));

// End to end: file path in, label out. Batch 1 = one await per image; batch 8 = an array of 8 paths per call
// (the pipeline decodes them concurrently and runs one [8,3,224,224] inference).
async function pass(batch) {
  for (let i = 0; i < files.length; i += batch) {
    const out = await classify(batch === 1 ? files[i] : files.slice(i, i + batch));
    if (!out.length) throw new Error('no verdict');
  }
}
async function rate(batch) {
  const rates = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await pass(batch);
    rates.push(files.length / ((performance.now() - t) / 1000));
  }
  rates.sort((a, b) => a - b);
  const m = rates.length >> 1;
  return { median: rates.length % 2 ? rates[m] : (rates[m - 1] + rates[m]) / 2, min: rates[0], max: rates.at(-1) };
}

for (const f of files.filter((_, i) => i % 8 === 0)) await classify(f); // warm-up: 8 images, faces and photos
const b1 = await rate(1);
await classify(files.slice(0, 8)); // warm-up for the batch-8 shape
const b8 = await rate(8);
console.log(JSON.stringify({
  peer: 'transformers.js', version: env.version, dtype, external_data: externalData, images: files.length, repeats,
  end_to_end_images_per_second: { 1: b1, 8: b8 },
  peak_rss_mb: process.resourceUsage().maxRSS / 1024, // kB -> MB
}));
process.exit(0);
