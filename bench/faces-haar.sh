#!/bin/sh
# The synthetic face benchmark (dev.dfd.internal.face.SyntheticFaces: DFDC val crops pasted at known boxes onto textures and
# gradients, and face-free images) for BlazeFace (dfd's default face stage) and OpenCV's Haar cascade
# (haarcascade_frontalface_default) as the baseline: recall at IoU >= 0.5 by face size, false faces per face-free
# image and per face image, ms per 1024x768 image. Dev-only: needs ../shared/data/dfdc-faces, Debian python3-opencv
# and opencv-data (apt-get install python3-opencv opencv-data), and a built dfd-core (mvn -pl dfd-core -am
# test-compile).
#   bench/faces-haar.sh [PER_SIZE]
set -eu
cd "$(dirname "$0")/.."
per=${1:-30}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cp=dfd-core/target/classes:dfd-core/target/test-classes:$(mvn -B -q -o -pl dfd-core dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
java -cp "$cp" dev.dfd.internal.face.FaceTool export ../shared/data/dfdc-faces/val "$per" "$out"
java -cp "$cp" dev.dfd.internal.face.FaceTool bench ../shared/data/dfdc-faces/val "$per" default
/usr/bin/python3 bench/faces_haar.py "$out"
