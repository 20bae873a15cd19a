// Runs model.json (made by make_fixture.py) with TensorFlow.js 4.22.0's own graph executor on image*.png's pixels
// (0..255, NHWC, no resizing) and writes reference.json: the logits the Java import must reproduce.
// Dev-only: NODE_PATH=<folder with @tensorflow/tfjs installed>/node_modules node reference.mjs
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url + '/../' + (process.env.NODE_PATH || '.') + '/');
const tf = require('@tensorflow/tfjs');

const model = JSON.parse(fs.readFileSync('model.json', 'utf8'));
const bin = fs.readFileSync('model.bin');
const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
const handler = tf.io.fromMemory({
  modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0].weights, weightData,
  format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy, signature: model.signature,
});
const graph = await tf.loadGraphModel(handler);
await tf.setBackend('cpu');
const out = { tfjs: tf.version.tfjs, backend: tf.getBackend(), images: {} };
for (const name of fs.readdirSync('.').filter((f) => /^image\d+\.png$/.test(f)).sort()) {
  // decode with Python's Pillow (the PNG is lossless, so any decoder gives the same pixels)
  const json = execFileSync('/usr/bin/python3', ['-c', 'import sys,json,numpy as np;from PIL import Image;'
    + 'a=np.asarray(Image.open(sys.argv[1]).convert("RGB"));print(json.dumps([list(a.shape),a.reshape(-1).tolist()]))',
    name]).toString();
  const [shape, pixels] = JSON.parse(json);
  const x = tf.tensor4d(Float32Array.from(pixels), [1, ...shape]);
  const y = graph.execute(x, 'logits/BiasAdd');
  out.images[name] = Array.from(await y.data());
}
fs.writeFileSync('reference.json', JSON.stringify(out, null, 1) + '\n');
console.log(JSON.stringify(out));
