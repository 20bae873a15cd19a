#!/usr/bin/python3
"""Prints bench/compare.sh's table and ratios from the raw results it wrote. Usage: report.py RESULTS_DIR MODEL_DIR SECONDS"""
import glob
import json
import os
import statistics
import sys

res, model, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3])


def load(name):
    try:
        with open(os.path.join(res, name + ".json")) as f:
            text = f.read().strip()
        return json.loads(text.splitlines()[-1] if not text.startswith("{\n") else text)
    except (OSError, ValueError, IndexError):
        return None


def time_of(name):  # "wall user sys maxrss_kB" from /usr/bin/time
    with open(os.path.join(res, name + ".time")) as f:
        wall, user, sys_, rss = f.read().split()[-4:]
    return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss_mb": int(rss) / 1024}


def others(names):
    vals = []
    for n in names:
        try:
            vals.append(float(open(os.path.join(res, n + ".others")).read()))
        except (OSError, ValueError):
            pass
    return max(vals) if vals else float("nan")


def cold(prefix):
    runs = sorted(glob.glob(os.path.join(res, f"cold-{prefix}-*.time")))
    names = [os.path.basename(r)[:-5] for r in runs]
    walls = [time_of(n)["wall"] for n in names]
    return (statistics.median(walls), min(walls), max(walls), names) if walls else (float("nan"),) * 3 + ([],)


rows = []  # name, b1 {median,min,max}, best (rate, batch), cold, rss, others
for key, label in (("fp32", "dfd fp32"), ("int8", "dfd int8"), ("noopt", "dfd fp32 --no-optimize"),
                   ("hub", "dfd fp32, Hub export"), ("hub-noopt", "dfd, Hub export, no-opt")):
    b = load("dfd-" + key)
    if b is None and key in ("noopt", "hub", "hub-noopt"):
        continue  # results of an older compare.sh
    per = {str(x["batch_size"]): x for x in b["batch_sizes"]}
    e2e = {k: v["end_to_end_images_per_second"] for k, v in per.items()}
    c = cold("dfd-" + key)
    detect = f"dfd-{key}-detect" if os.path.exists(os.path.join(res, f"dfd-{key}-detect.time")) else f"dfd-{key}"
    rows.append(dict(name=label, e2e=e2e, cold=c, rss=time_of(detect)["rss_mb"],
                     bench_rss=b["peak_rss_mb"], bench_cold=b["cold_start_first_verdict_seconds"],
                     infer={k: v["inference_images_per_second"]["median"] for k, v in per.items()},
                     others=others([f"dfd-{key}", detect] + c[3])))
peers = (("tjs-fp32", "transformers.js fp32"), ("tjs-hub", "transformers.js, Hub export"),
         ("tjs-q8", "transformers.js q8"), ("torch", "PyTorch eager fp32"),
         ("torch-pinned", "PyTorch eager, pinned"))
for key, label in peers:
    j = load(key)
    if key in ("torch-pinned", "tjs-hub") and not os.path.exists(os.path.join(res, key + ".json")):
        continue  # not run (TORCH_PINNED_REPEATS=0 or OPENBLAS_CORETYPE not set)
    if not j or "error" in j:
        rows.append(dict(name=label, error=True))
        continue
    c = cold(key)
    rows.append(dict(name=label, e2e=j["end_to_end_images_per_second"], cold=c, rss=time_of(key)["rss_mb"],
                     self_rss=j["peak_rss_mb"], others=others([key] + c[3]), raw=j))
by = {r["name"]: r for r in rows}


def best(r):
    k = max(r["e2e"], key=lambda k: r["e2e"][k]["median"])
    return r["e2e"][k]["median"], k


out = []
p = out.append
tjs = by["transformers.js fp32"].get("raw", {})
p(f"dfd vs transformers.js {tjs.get('version', '?')} vs PyTorch eager {by['PyTorch eager fp32'].get('raw', {}).get('torch', '?')}:"
  f" ViT-base (224, patch 16, 12 layers, random weights), {load('dfd-fp32')['images']} images (32 face crops 224x224"
  f" + 32 generated photos 400-3000 px), 2 intra-op threads, {load('dfd-fp32')['cores']} cores")
p("e2e: files in -> verdicts out, warm, median of the repeats (min-max), at batch 1 and at the better of batch 1/8")
p("first verdict: process start to exit after one image, timed from outside, median of the cold runs (min-max)")
p("peak RSS: max RSS of the process (/usr/bin/time); for dfd that of a `dfd detect` run over all the images")
p("others: cores kept busy by OTHER processes during these runs (max); above ~0.1 the row is disturbed")
p("")
cols = ("", "e2e img/s batch 1", "e2e img/s best", "first verdict s", "peak RSS MB", "others")
widths = (22, 22, 15, 20, 12, 7)


def line(cells):
    p(" ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in enumerate(zip(cells, widths))))


line(cols)
p("-" * (sum(widths) + len(widths) - 1))
for r in rows:
    if r.get("error"):
        line((r["name"], "failed, see results/"))
        continue
    b1, (rate, k), c = r["e2e"]["1"], best(r), r["cold"]
    line((r["name"], f"{b1['median']:.2f} ({b1['min']:.2f}-{b1['max']:.2f})", f"{rate:.2f} (b{k})",
          f"{c[0]:.2f} ({c[1]:.2f}-{c[2]:.2f})" if c[3] else "-", f"{r['rss']:.0f}", f"{r['others']:.2f}"))
p("")
for key in ("fp32", "int8"):
    r = by["dfd " + key]
    p(f"dfd {key}: inference on pre-made tensors {r['infer']['1']:.2f} img/s (b1), {r['infer']['8']:.2f} img/s (b8);"
      f" dfd bench's own cold start {r['bench_cold']:.2f} s (one run); peak RSS of the bench process"
      f" {r['bench_rss']:.0f} MB (it holds two sessions and every decoded image)")
for key, name in peers:
    r = by.get(name, {"error": True})
    if not r.get("error"):
        extra = ""
        if "openblas_kernel" in r["raw"]:
            extra = f"; OpenBLAS kernel {r['raw']['openblas_kernel']}, torch threads {r['raw']['threads']}"
        p(f"{name}: in-process peak RSS {r['self_rss']:.0f} MB; repeats {r['raw']['repeats']}{extra}")

p("")
p("dfd vs peers (> 1 = dfd better):")
f32, i8 = by["dfd fp32"], by["dfd int8"]


def ratio(label, a, b):
    p(f"  {label:58} {a / b:6.2f}x")


for peer in ("transformers.js fp32", "PyTorch eager fp32"):
    r = by[peer]
    if r.get("error"):
        continue
    ratio(f"dfd fp32 / {peer}, e2e batch 1", f32["e2e"]["1"]["median"], r["e2e"]["1"]["median"])
    ratio(f"dfd fp32 / {peer}, e2e best vs best", best(f32)[0], best(r)[0])
if not by["transformers.js q8"].get("error"):
    ratio("dfd int8 / transformers.js q8, e2e best vs best", best(i8)[0], best(by["transformers.js q8"])[0])
if "dfd fp32 --no-optimize" in by:
    ratio("dfd fp32 optimised at load / --no-optimize, e2e batch 1", f32["e2e"]["1"]["median"],
          by["dfd fp32 --no-optimize"]["e2e"]["1"]["median"])
    ratio("dfd fp32 optimised / --no-optimize, inference on tensors b1", f32["infer"]["1"],
          by["dfd fp32 --no-optimize"]["infer"]["1"])
if "dfd fp32, Hub export" in by and not by.get("transformers.js, Hub export", {"error": 1}).get("error"):
    h, th = by["dfd fp32, Hub export"], by["transformers.js, Hub export"]
    ratio("Hub export: dfd (optimised) / transformers.js, e2e batch 1", h["e2e"]["1"]["median"], th["e2e"]["1"]["median"])
    ratio("Hub export: dfd (optimised) / transformers.js, e2e best vs best", best(h)[0], best(th)[0])
    if th["cold"][3] and h["cold"][3]:
        ratio("Hub export: transformers.js / dfd, first verdict (s)", th["cold"][0], h["cold"][0])
    if "dfd, Hub export, no-opt" in by:
        ratio("Hub export: dfd optimised / --no-optimize, inference b1", h["infer"]["1"],
              by["dfd, Hub export, no-opt"]["infer"]["1"])
ratio("transformers.js fp32 / dfd fp32, first verdict (s)", by["transformers.js fp32"]["cold"][0], f32["cold"][0])
if not by["transformers.js q8"].get("error"):
    ratio("transformers.js q8 / dfd int8, first verdict (s)", by["transformers.js q8"]["cold"][0], i8["cold"][0])
if not by["PyTorch eager fp32"].get("error"):
    ratio("PyTorch eager / dfd fp32, first verdict (s)", by["PyTorch eager fp32"]["cold"][0], f32["cold"][0])
p("dfd alone:")
for r in (f32, i8):
    for k in ("1", "8"):
        ratio(f"{r['name']} e2e / its raw ORT inference on tensors, batch {k}", r["e2e"][k]["median"], r["infer"][k])
ratio("dfd int8 / dfd fp32, e2e best", best(i8)[0], best(f32)[0])
ratio("dfd int8 / dfd fp32, inference on tensors batch 8", i8["infer"]["8"], f32["infer"]["8"])
p("dfd peak RSS against its budget, model file MB (.onnx + its _data) x 1.5 + 300 (<= 1 = within):")
for key, r, onnx in (("fp32", f32, "model.onnx"), ("int8", i8, "model_quantized.onnx")):
    files = [os.path.join(model, "onnx", n) for n in (onnx, onnx + "_data")]
    mb = sum(os.path.getsize(f) for f in files if os.path.exists(f)) / 1e6
    budget = mb * 1.5 + 300
    p(f"  dfd {key} (onnx/{onnx} {mb:.0f} MB -> {budget:.0f} MB): dfd detect {r['rss']:.0f} MB ="
      f" {r['rss'] / budget:.2f}x, dfd bench process {r['bench_rss']:.0f} MB = {r['bench_rss'] / budget:.2f}x")

p("")
p("correctness on 3 images (a face crop, the biggest JPEG, the biggest PNG) against dfd detect:")
dfd = {j["path"]: j for j in map(json.loads, open(os.path.join(res, "check-dfd.json")))}
for check, name in (("check-torch", "PyTorch eager"), ("check-torch-pinned", "PyTorch eager, pinned")):
    if not os.path.exists(os.path.join(res, check + ".json")):
        continue
    for text in open(os.path.join(res, check + ".json")):
        j = json.loads(text)
        d = max(abs(a - b) for a, b in zip(j["logits"], dfd[j["path"]]["logits"]))
        p(f"  {name + ' logits,':30} max abs diff {d:.2e}  {os.path.basename(j['path'])}")
for text in open(os.path.join(res, "check-tjs.json")):
    j = json.loads(text)
    mine = {x["label"]: x["score"] for x in dfd[j["path"]]["predictions"]}
    d = max(abs(x["score"] - mine[x["label"]]) for x in j["predictions"])
    p(f"  {'transformers.js fp32 scores,':30} max abs diff {d:.2e}  {os.path.basename(j['path'])}")
p("  (transformers.js resizes with sharp's affine bilinear, which does not antialias when shrinking, unlike Pillow"
  " and transformers: a difference on photos is expected, none on the 224x224 crops)")
p("")
p(f"total run time {elapsed // 60} min {elapsed % 60} s; raw results in {res}")
print("\n".join(out))
