#!/usr/bin/env python3
"""Writes N deterministic synthetic "photos" (gradients + noise + shapes) of 400-3000 px, varied aspect ratios,
mostly JPEG with a few PNG, so that decode and resize cost like real camera/web images rather than face crops.
Usage: make_photos.py OUT_DIR [N]"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 32
os.makedirs(out, exist_ok=True)
rng = np.random.RandomState(1234)  # fixed seed: same files every run (same Pillow)

for i in range(n):
    long_side = int(rng.randint(400, 3001))
    aspect = float(rng.choice([1.0, 4 / 3, 3 / 2, 16 / 9, 2.0]))
    w, h = long_side, max(400, int(round(long_side / aspect)))
    if i % 3 == 1:
        w, h = h, w  # portrait
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    c = rng.uniform(0, 1, size=(3, 3)).astype(np.float32)
    img = np.stack([255 * (c[k, 0] * x / w + c[k, 1] * y / h + c[k, 2]) / (1 + c[k].sum() / 2) for k in range(3)], -1)
    img += rng.normal(0, 10, size=img.shape).astype(np.float32)  # sensor-like noise (hurts JPEG/PNG compression)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    for _ in range(12):
        x0, y0 = int(rng.randint(0, w)), int(rng.randint(0, h))
        x1, y1 = x0 + int(rng.randint(20, w // 2)), y0 + int(rng.randint(20, h // 2))
        fill = tuple(int(v) for v in rng.randint(0, 256, 3))
        (draw.ellipse if rng.rand() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=fill)
    pil = pil.filter(ImageFilter.GaussianBlur(0.6))  # soften edges a little, as a lens would
    if i % 8 == 7:  # a few PNGs (4 of 32), the rest JPEG at a typical camera/web quality
        pil.save(os.path.join(out, f"photo{i:02d}_{w}x{h}.png"), optimize=False)
    else:
        pil.save(os.path.join(out, f"photo{i:02d}_{w}x{h}.jpg"), quality=90)
