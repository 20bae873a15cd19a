#!/usr/bin/env python3
"""OpenCV Haar cascade (haarcascade_frontalface_default, Debian opencv-data) on the images and truth.tsv written by
`FaceTool export`; prints the same row as `FaceTool bench`: recall at IoU >= 0.5 per face size, false faces per
face-free image, false faces per face image, ms per face image. Dev-only (python3-opencv)."""
import csv
import os
import sys
import time

import cv2

SIZES = [32, 48, 64, 96, 128, 192, 256, 384, 512]


def iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main(folder):
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + 'haarcascade_frontalface_default.xml') \
        if hasattr(cv2, 'data') else cv2.CascadeClassifier(
            '/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml')
    assert not cascade.empty()
    cv2.setNumThreads(1)
    rows = list(csv.DictReader(open(os.path.join(folder, 'truth.tsv')), delimiter='\t'))
    tp = {s: 0 for s in SIZES}
    tp3 = {s: 0 for s in SIZES}
    n = {s: 0 for s in SIZES}
    fp_faces = fp_free = n_free = n_faces = 0
    ms = 0.0
    for r in rows:
        gray = cv2.cvtColor(cv2.imread(os.path.join(folder, r['name'] + '.png')), cv2.COLOR_BGR2GRAY)
        t0 = time.perf_counter()
        found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        dt = (time.perf_counter() - t0) * 1000
        found = [tuple(map(float, f)) for f in found]
        size = int(r['size'])
        if size == 0:
            n_free += 1
            fp_free += len(found)
            continue
        n_faces += 1
        ms += dt
        truth = tuple(float(r[k]) for k in 'x y w h'.split())
        n[size] += 1
        hit = [f for f in found if iou(f, truth) >= 0.5]
        tp[size] += 1 if hit else 0
        tp3[size] += 1 if any(iou(f, truth) >= 0.3 for f in found) else 0
        fp_faces += len(found) - (1 if hit else 0)
    print('haar | ' + ' | '.join('%.2f' % (tp[s] / n[s]) for s in SIZES if n[s]) +
          ' | %.2f | %.2f | %.1f ms' % (fp_free / n_free, fp_faces / n_faces, ms / n_faces))
    print('haar, recall at IoU >= 0.3 (box conventions differ) | ' +
          ' | '.join('%.2f' % (tp3[s] / n[s]) for s in SIZES if n[s]))


if __name__ == '__main__':
    main(sys.argv[1])
