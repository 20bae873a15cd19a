#!/usr/bin/env python3
"""Sums an ONNX Runtime profile (dfd's -Ddfd.ort.profile=PREFIX) by operator: time per run and share, nodes per run,
and, for a ViT-base-size model (224 px, patch 16, hidden 768, 12 layers, MLP 3072) with --vit-base, the GFLOP/s of
its matrix products: MatMul / FusedMatMul / DynamicQuantizeMatMul / MatMulIntegerToFloat for the Linear layers
outside attention, Attention for the QKV projection and both attention products.
Usage: profile_ops.py [--vit-base] PROFILE.json..."""
import collections
import json
import sys

args = sys.argv[1:]
vit = "--vit-base" in args
files = [a for a in args if a != "--vit-base"]
T, H, M, L = 197, 768, 3072, 12  # tokens, hidden, MLP, layers
linear_flops = 2 * L * (T * H * H + 2 * T * H * M)           # output projection + MLP up and down
attention_flops = 2 * L * (T * H * 3 * H + 2 * T * T * H)   # QKV projection + Q K^T and P V over all heads
total_flops = linear_flops + attention_flops + 2 * 196 * 768 * 768  # + the patch embedding
for f in files:
    events = json.load(open(f))
    by, nodes = collections.Counter(), collections.Counter()
    runs, run_us = 0, 0
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            op = e["args"].get("op_name")
            by[op] += e["dur"]
            nodes[op] += 1
        if e.get("cat") == "Session" and e["name"] == "model_run":
            runs += 1
            run_us += e["dur"]
    runs = max(runs, 1)
    kernels = sum(by.values())
    print(f"{f}: {runs} runs, {run_us / runs / 1000:.1f} ms per run, kernels {kernels / runs / 1000:.1f} ms")
    for op, d in by.most_common(12):
        print(f"  {op:28} {d / runs / 1000:7.1f} ms/run {100 * d / kernels:5.1f}%  nodes/run {nodes[op] // runs}")
    if vit:
        lin = sum(by[o] for o in ("MatMul", "FusedMatMul", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "Gemm"))
        print(f"  ViT-base: {total_flops / 1e9:.1f} GFLOP per image -> {total_flops / (run_us / runs) / 1e3:.0f} GFLOP/s"
              f" over the whole run")
        if lin:
            share = linear_flops + (0 if by["Attention"] else attention_flops)
            print(f"  matrix products outside fused attention: {share / 1e9:.1f} GFLOP in {lin / runs / 1000:.1f} ms"
                  f" -> {share / (lin / runs) / 1e3:.0f} GFLOP/s")
        if by["Attention"]:
            print(f"  Attention nodes: {attention_flops / 1e9:.1f} GFLOP in {by['Attention'] / runs / 1000:.1f} ms"
                  f" -> {attention_flops / (by['Attention'] / runs) / 1e3:.0f} GFLOP/s")
