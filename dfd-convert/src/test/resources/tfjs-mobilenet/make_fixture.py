"""Writes a tiny MobileNet V1 (depth multiplier 0.125, random weights) in TensorFlow.js graph format, laid out as
tensorflowjs_converter writes Keras' MobileNet (faceres.json of @vladmandic/human is the model imitated), plus test
images. reference.mjs then runs it with TensorFlow.js itself and records the logits the Java import must reproduce.

Covers: Conv2D + Add, DepthwiseConv2dNative + Mul + Add (folded BatchNorm), ReLU6 as Relu -> Minimum 6 -> Maximum 0,
a standalone Relu6, _FusedConv2D and FusedDepthwiseConv2dNative with fused BiasAdd + Relu6, weights stored as
float16 (most), uint8-quantised (one) and float32 (one), Mean over height and width, a _FusedMatMul head.

Dev-only (Debian python3-numpy, python3-pil):  /usr/bin/python3 make_fixture.py && node reference.mjs  (in this folder; reference.mjs needs
@tensorflow/tfjs 4.22.0 installed: npm install @tensorflow/tfjs@4.22.0 in some folder, then NODE_PATH=<it>/node_modules)
"""
import base64
import json

import numpy as np
from PIL import Image

rng = np.random.default_rng(7)
ALPHA = 0.125
STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
LABELS = 3

nodes = []
weights = []  # (name, array float32, stored dtype)
blobs = []


def b64(s):
    return base64.b64encode(s.encode()).decode()


def const(name, arr, stored="float16"):
    arr = np.asarray(arr, dtype=np.float32)
    nodes.append({"name": name, "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {
        "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": str(d)} for d in arr.shape]}}}}})
    entry = {"name": name, "shape": list(arr.shape), "dtype": "float32"}
    if stored == "float16":
        entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
        blobs.append(arr.astype("<f2").tobytes())
    elif stored == "uint8":
        lo, hi = float(arr.min()), float(arr.max())
        scale = (hi - lo) / 255
        q = np.clip(np.round((arr - lo) / scale), 0, 255).astype(np.uint8)
        entry["quantization"] = {"dtype": "uint8", "min": lo, "scale": scale, "original_dtype": "float32"}
        blobs.append(q.tobytes())
    else:
        blobs.append(arr.astype("<f4").tobytes())
    weights.append(entry)
    return name


def op(name, kind, inputs, **attr):
    nodes.append({"name": name, "op": kind, "input": inputs, "attr": attr})
    return name


def conv_attrs(stride):
    return {"strides": {"list": {"i": ["1", str(stride), str(stride), "1"]}}, "padding": {"s": b64("SAME")},
            "data_format": {"s": b64("NHWC")}, "dilations": {"list": {"i": ["1", "1", "1", "1"]}},
            "explicit_paddings": {"list": {}}}


def relu6_split(x, prefix):
    r = op(prefix + "/Relu", "Relu", [x])
    nodes.append({"name": prefix + "/Cast", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {
        "tensor": {"dtype": "DT_FLOAT", "tensorShape": {}}}}})
    weights.append({"name": prefix + "/Cast", "shape": [], "dtype": "float32"})
    blobs.append(np.float32(6).tobytes())
    nodes.append({"name": prefix + "/Const_1", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {
        "tensor": {"dtype": "DT_FLOAT", "tensorShape": {}}}}})
    weights.append({"name": prefix + "/Const_1", "shape": [], "dtype": "float32"})
    blobs.append(np.float32(0).tobytes())
    m = op(prefix + "/clip_by_value/Minimum", "Minimum", [r, prefix + "/Cast"])
    return op(prefix + "/clip_by_value", "Maximum", [m, prefix + "/Const_1"])


def width(d):
    return max(int(d * ALPHA), 8)


x = "input_1"
nodes.append({"name": x, "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [
    {"size": "-1"}, {"size": "-1"}, {"size": "-1"}, {"size": "3"}]}}}})
# stem: conv (BatchNorm scale folded into the kernel) + Add shift; inputs are 0..255, so the kernel is small
cin = width(32)
k = const("conv1/kernel", rng.normal(0, 0.6 / 255, (3, 3, 3, cin)))
y = op("conv1/conv", "Conv2D", [x, k], **conv_attrs(2))
y = op("conv1/add", "Add", [y, const("conv1/shift", rng.normal(0.2, 0.3, cin))])
x = relu6_split(y, "conv1_relu")
depth = 32
for i, s in enumerate(STRIDES):
    if s == 2 or i == 0:
        depth *= 2
    cout = width(depth)
    n = f"dw_{i + 1}"
    kd = rng.normal(0, 0.5, (3, 3, cin, 1))
    if i == 4:  # fused depthwise with its bias and ReLU6
        y = op(n + "/fused", "FusedDepthwiseConv2dNative",
               [x, const(n + "/kernel", kd), const(n + "/bias", rng.normal(0.1, 0.2, cin))],
               fused_ops={"list": {"s": [b64("BiasAdd"), b64("Relu6")]}}, num_args={"i": "1"}, **conv_attrs(s))
        x = y
    else:
        y = op(n + "/depthwise", "DepthwiseConv2dNative", [x, const(n + "/kernel", kd, "uint8" if i == 2 else "float16")],
               **conv_attrs(s))
        y = op(n + "/mul", "Mul", [y, const(n + "/scale", rng.uniform(0.5, 1.5, cin))])
        y = op(n + "/add", "Add", [y, const(n + "/shift", rng.normal(0.1, 0.2, cin), "float32" if i == 1 else "float16")])
        x = op(n + "/relu6", "Relu6", [y]) if i == 7 else relu6_split(y, n + "_relu")
    n = f"pw_{i + 1}"
    kp = rng.normal(0, 1.2 / np.sqrt(cin), (1, 1, cin, cout))
    if i in (3, 9):  # fused pointwise
        x = op(n + "/fused", "_FusedConv2D",
               [x, const(n + "/kernel", kp), const(n + "/bias", rng.normal(0.1, 0.2, cout))],
               fused_ops={"list": {"s": [b64("BiasAdd"), b64("Relu6")]}}, num_args={"i": "1"}, epsilon={"f": 0},
               **conv_attrs(1))
    else:
        y = op(n + "/conv", "Conv2D", [x, const(n + "/kernel", kp)], **conv_attrs(1))
        y = op(n + "/add", "Add", [y, const(n + "/shift", rng.normal(0.1, 0.2, cout))])
        x = relu6_split(y, n + "_relu")
    cin = cout
axes = "global_pooling/Mean/reduction_indices"
nodes.append({"name": axes, "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}, "value": {"tensor": {
    "dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "2"}]}}}}})
weights.append({"name": axes, "shape": [2], "dtype": "int32"})
blobs.append(np.array([1, 2], dtype="<i4").tobytes())
pooled = op("global_pooling/Mean", "Mean", [x, axes], keep_dims={"b": False}, Tidx={"type": "DT_INT32"})
op("logits/BiasAdd", "_FusedMatMul",
   [pooled, const("logits/kernel", rng.normal(0, 0.3, (cin, LABELS))), const("logits/bias", rng.normal(0, 0.1, LABELS))],
   fused_ops={"list": {"s": [b64("BiasAdd")]}}, num_args={"i": "1"}, transpose_a={"b": False},
   transpose_b={"b": False}, epsilon={"f": 0})

with open("model.bin", "wb") as f:
    for b in blobs:
        f.write(b)
model = {"format": "graph-model", "generatedBy": "dfd make_fixture.py", "convertedBy": "dfd make_fixture.py",
         "signature": {"inputs": {"input_1": {"name": "input_1", "dtype": "DT_FLOAT"}},
                       "outputs": {"logits/BiasAdd": {"name": "logits/BiasAdd", "dtype": "DT_FLOAT"}}},
         "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1}},
         "weightsManifest": [{"paths": ["model.bin"], "weights": weights}]}
with open("model.json", "w") as f:
    json.dump(model, f, indent=1)

# test images: odd, non-square sizes so that SAME padding is uneven at every stride
for i, (h, w) in enumerate([(37, 45), (40, 40), (29, 33)]):
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([np.sin(xx / (3 + i)) * 90 + 120, np.cos(yy / (4 + i)) * 80 + 110, (xx + yy) * 2.0], -1)
    img = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(f"image{i}.png")
