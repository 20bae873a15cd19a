// Runs a TensorFlow.js graph model (faceres.json of @vladmandic/human) with TensorFlow.js' own executor on images
// given as raw RGB (made by check_faceres_import.sh) and prints the pooled features (global_pooling/Mean) as JSON.
// Dev-only: NODE_PATH=<folder with @tensorflow/tfjs 4.22.0>/node_modules node check_faceres_import.mjs MODEL_JSON RAW...
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.resolve(process.env.NODE_PATH || '.') + '/');
const tf = require('@tensorflow/tfjs');
const [modelJson, ...raws] = process.argv.slice(2);
const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
const dir = path.dirname(modelJson);
const bins = model.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFileSync(path.join(dir, p)));
const all = Buffer.concat(bins);
const handler = tf.io.fromMemory({
  modelTopology: model.modelTopology, weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
  weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), format: model.format,
});
const graph = await tf.loadGraphModel(handler);
await tf.setBackend('cpu');
const out = {};
for (const raw of raws) {
  const [h, w] = path.basename(raw).match(/(\d+)x(\d+)/).slice(1).map(Number);
  const bytes = fs.readFileSync(raw); // float32 little-endian, 0..255, as faceres takes
  const x = tf.tensor4d(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), [1, h, w, 3]);
  out[raw] = Array.from(await graph.execute(x, 'global_pooling/Mean').data());
}
console.log(JSON.stringify(out));
