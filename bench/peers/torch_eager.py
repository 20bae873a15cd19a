#!/usr/bin/python3
"""PyTorch eager peer for bench/compare.sh: the same ViTForImageClassification weights (model.safetensors) and the
same preprocessing as transformers' ViTImageProcessor, without the transformers package (not installable here).

  torch_eager.py MODEL IMAGE_DIR [REPEATS]   benchmark; prints one JSON line
  torch_eager.py MODEL --first IMAGE         cold start: load + one verdict, then exit (timed from outside)
  torch_eager.py MODEL --logits IMAGE...     one JSON line per image with its logits (correctness check)
"""
import json
import os
import resource
import statistics
import struct
import sys
import time

T0 = time.perf_counter()  # before the torch import, so "first verdict" counts it
# Debian's torch runs elementwise ops on libgomp threads and GEMMs on OpenBLAS's own pthreads; with libgomp's default
# spin-waiting the two pools fight over the 2 cores and every op can stall for a scheduler tick (measured: ~2 s
# instead of ~0.5 s per image at batch 1). Passive waiting (read when libgomp loads, so before importing torch) fixes it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

torch.set_num_threads(2)  # same as dfd --threads 2 and ORT intraOpNumThreads 2


def load_safetensors(path):
    """safetensors: 8-byte little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.
    One bytearray for the whole file; tensors are views of it (no copy), like a loaded state dict."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(os.path.getsize(path) - 8 - n)
        f.readinto(data)
    weights = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        a = np.frombuffer(data, dtype=dtypes[t["dtype"]], count=(end - start) // np.dtype(dtypes[t["dtype"]]).itemsize,
                          offset=start).reshape(t["shape"])
        weights[name] = torch.from_numpy(a).float()  # float() is a no-op for F32
    return weights


class ViT:
    """HF ViTForImageClassification forward (eager attention, no dropout, no pooler): patch conv, CLS token,
    position embeddings, pre-LN encoder layers with exact-erf GELU MLP, final layernorm, classifier on CLS."""

    def __init__(self, model_dir):
        self.cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.w = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.labels = {int(k): v for k, v in self.cfg["id2label"].items()}

    def lin(self, x, name):
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def ln(self, x, name):
        return F.layer_norm(x, (x.shape[-1],), self.w[name + ".weight"], self.w[name + ".bias"],
                            self.cfg["layer_norm_eps"])

    def __call__(self, pixels):
        w, c = self.w, self.cfg
        x = F.conv2d(pixels, w["vit.embeddings.patch_embeddings.projection.weight"],
                     w["vit.embeddings.patch_embeddings.projection.bias"], stride=c["patch_size"])
        x = x.flatten(2).transpose(1, 2)  # B, patches, hidden
        x = torch.cat([w["vit.embeddings.cls_token"].expand(x.shape[0], -1, -1), x], 1)
        x = x + w["vit.embeddings.position_embeddings"]
        b, n, d = x.shape
        heads = c["num_attention_heads"]
        for i in range(c["num_hidden_layers"]):
            p = f"vit.encoder.layer.{i}."
            h = self.ln(x, p + "layernorm_before")
            q, k, v = (self.lin(h, p + "attention.attention." + s).view(b, n, heads, d // heads).transpose(1, 2)
                       for s in ("query", "key", "value"))
            att = torch.softmax(q @ k.transpose(-1, -2) / ((d // heads) ** 0.5), dim=-1)
            x = x + self.lin((att @ v).transpose(1, 2).reshape(b, n, d), p + "attention.output.dense")
            h = self.ln(x, p + "layernorm_after")
            x = x + self.lin(F.gelu(self.lin(h, p + "intermediate.dense")), p + "output.dense")
        x = self.ln(x, "vit.layernorm")
        return self.lin(x[:, 0], "classifier")


class Preprocessor:
    """transformers' slow ViTImageProcessor as the pipeline uses it (see shared/golden/README.md): load_image applies
    the EXIF orientation then convert('RGB'); resize to size with PIL (resample from the config, reducing_gap=None);
    rescale as float32(double(u8) * factor); normalise in float32; HWC -> CHW."""

    def __init__(self, model_dir):
        pc = json.load(open(os.path.join(model_dir, "preprocessor_config.json")))
        size = pc.get("size", 224)
        self.hw = (size, size) if isinstance(size, int) else (size["height"], size["width"])
        self.resample = pc.get("resample", 2)
        self.factor = pc.get("rescale_factor", 1 / 255)
        self.mean = np.array(pc.get("image_mean", [0.5] * 3), dtype=np.float32)
        self.std = np.array(pc.get("image_std", [0.5] * 3), dtype=np.float32)

    def __call__(self, path):
        img = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        img = img.resize((self.hw[1], self.hw[0]), resample=self.resample, reducing_gap=None)
        x = (np.asarray(img).astype(np.float64) * self.factor).astype(np.float32)
        x = (x - self.mean) / self.std
        return torch.from_numpy(x.transpose(2, 0, 1).copy())


def classify(model, prep, paths):
    """File paths in, (label, logits) out: the end-to-end path the benchmark times."""
    with torch.inference_mode():
        logits = model(torch.stack([prep(p) for p in paths]))
    return [(model.labels[int(row.argmax())], row.tolist()) for row in logits]


def rate(fn, repeats, items):
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        rates.append(items / (time.perf_counter() - t))
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def blas_kernel():
    """OpenBLAS's kernel (torch's Linear runs on it here): OPENBLAS_CORETYPE, if set, pins it."""
    try:
        import ctypes
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


def main():
    model_dir, arg = sys.argv[1], sys.argv[2]
    model, prep = ViT(model_dir), Preprocessor(model_dir)
    if arg == "--first":
        label, _ = classify(model, prep, [sys.argv[3]])[0]
        print(json.dumps({"first_verdict_in_process_seconds": time.perf_counter() - T0, "label": label}))
        return
    if arg == "--logits":
        for p in sys.argv[3:]:
            print(json.dumps({"path": p, "logits": classify(model, prep, [p])[0][1]}))
        return
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    exts = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
    files = sorted(os.path.join(arg, f) for f in os.listdir(arg) if f.lower().endswith(exts))
    batches8 = [files[i:i + 8] for i in range(0, len(files), 8)]

    def run(batches):
        for b in batches:
            classify(model, prep, b)

    run([[f] for f in files[::8]])  # warm-up on 8 images spread over faces and photos (no JIT here to wait for)
    b1 = rate(lambda: run([[f] for f in files]), repeats, len(files))
    run(batches8[:1])  # warm-up for the batch shape
    b8 = rate(lambda: run(batches8), repeats, len(files))
    print(json.dumps({
        "peer": "pytorch-eager", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "openblas_kernel": blas_kernel(), "images": len(files), "repeats": repeats,
        "end_to_end_images_per_second": {"1": b1, "8": b8},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
