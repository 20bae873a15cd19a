#!/usr/bin/env bash
# Checks `dfd import-tfjs` on the real faceres model against TensorFlow.js itself: TensorFlow.js computes the pooled
# features of a few 224 px face crops, the imported model's classifier (read from model.safetensors) turns them into
# logits, and `dfd detect` on the imported model must give the same logits.
# Needs: npm (for faceres and @tensorflow/tfjs 4.22.0), Debian python3-numpy and python3-pil, the DFDC crops in
# ../shared/data. Dev-only; prints the largest difference.
#   bash bench/peers/check_faceres_import.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${WORK:-$(mktemp -d)}"
mkdir -p "$WORK" && cd "$WORK"
[ -f package/models/faceres.json ] || { npm pack @vladmandic/human@3.3.6 >/dev/null && tar xzf vladmandic-human-3.3.6.tgz package/models/faceres.json package/models/faceres.bin; }
[ -d node_modules/@tensorflow/tfjs ] || npm install --no-save @tensorflow/tfjs@4.22.0 >/dev/null 2>&1
"$ROOT/dfd" import-tfjs package/models/faceres.json hf --image-size 224 >/dev/null
mkdir -p images
# lossless copies of 4 validation crops at 224 px (the model's size: no resizing on either side), and raw RGB for tfjs
/usr/bin/python3 - "$ROOT/../shared/data/dfdc-faces/val" <<'PY'
import sys, os, numpy as np
from PIL import Image
root = sys.argv[1]
files = sorted(os.listdir(os.path.join(root, "Real")))[:2] + sorted(os.listdir(os.path.join(root, "Fake")))[:2]
for i, f in enumerate(files):
    sub = "Real" if i < 2 else "Fake"
    a = np.asarray(Image.open(os.path.join(root, sub, f)).convert("RGB").resize((224, 224), Image.BILINEAR))
    Image.fromarray(a).save(f"images/crop{i}.png")
    a.astype(np.float32).tofile(f"images/crop{i}_224x224.raw")
PY
NODE_PATH="$WORK/node_modules" node "$ROOT/bench/peers/check_faceres_import.mjs" package/models/faceres.json images/*.raw 2>/dev/null | tail -1 > features.json
"$ROOT/dfd" detect --model hf --faces off --format json images/*.png > dfd.jsonl
/usr/bin/python3 - <<'PY'
import json, struct, numpy as np
b = open("hf/model.safetensors", "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
def t(k):
    s, e = h[k]["data_offsets"]; return np.frombuffer(b[8 + n + s:8 + n + e], dtype=np.float32).reshape(h[k]["shape"])
W, bias = t("classifier.weight"), t("classifier.bias")
feats = json.load(open("features.json"))
dfd = {}
for line in open("dfd.jsonl"):
    r = json.loads(line)
    if "path" in r:
        dfd[r["path"].split("/")[-1].split(".")[0]] = r
worst = 0
for raw, f in feats.items():
    name = raw.split("/")[-1].split("_")[0]
    logits = W @ np.array(f, dtype=np.float64) + bias
    got = np.array(dfd[name]["logits"])
    d = np.abs(got - logits).max() / np.abs(logits).max(); worst = max(worst, d)
    print(f"{name}: logits from TensorFlow.js' features {np.round(logits, 6)}, dfd detect on the import {np.round(got, 6)}")
print(f"largest relative difference {worst:.2e}")
PY
