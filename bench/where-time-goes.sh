#!/usr/bin/env bash
# Where the time goes (a dev tool, not part of the tests), on this machine:
#   1. bench/MatMulRoofline.java: MLAS GEMM rates, fp32 and int8, for ViT-base's shapes and a large square (the
#      practical peak), and the core clock, so rates read as FLOPs per cycle;
#   2. ONNX Runtime profiles of ViT-base (fp32 optimised at load, fp32 --no-optimize, int8) over 16 DFDC crops at
#      batch 1 and 2 threads, summed by operator with GFLOP/s (bench/peers/profile_ops.py);
#   3. dfd bench of the default model (face stage on) on 1, 3 and 12 MP photos (bench/MakePhotos.java): decode, find
#      faces, crop+resize+normalise, inference.
# Uses the ViT-base that bench/compare.sh makes ($DFD_COMPARE_DIR/vit-base, made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${DFD_COMPARE_DIR:-/tmp/dfd-compare}
MODEL=$WORK/vit-base
OUT=$WORK/where-time-goes
FACES=/work/shared/data/dfdc-faces/test
[ -d "$FACES" ] || FACES=../shared/data/dfdc-faces/test
export DFD_CACHE=$WORK/dfd-cache
mkdir -p "$OUT" && rm -rf "${OUT:?}"/*
./dfd --version >/dev/null
[ -f "$MODEL/onnx/model.onnx_data" ] || { ./dfd init "$MODEL" >&2; ./dfd convert --external-data always "$MODEL" "$MODEL" >&2; }
[ -f "$MODEL/onnx/model_quantized.onnx_data" ] || ./dfd convert --dtype int8 --external-data always "$MODEL" "$MODEL" >&2
CP="dfd-cli/target/$(cd dfd-cli/target && ls -t dfd-cli-*.jar | head -1):dfd-cli/target/lib/*"
NATIVE=dfd-cli/target/native/ai/onnxruntime/native/linux-x64

echo "== $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. GEMM rates"
java -cp "$CP" -Donnxruntime.native.path="$NATIVE" bench/MatMulRoofline.java 20

echo "== 2. ViT-base, batch 1, 2 threads, 16 DFDC test crops"
mkdir -p "$OUT/crops"
for cls in Real Fake; do
  for f in $(ls "$FACES/$cls" | LC_ALL=C sort | head -8); do ln -sf "$(cd "$FACES/$cls" && pwd)/$f" "$OUT/crops/$cls-$f"; done
done
./dfd detect -m "$MODEL" --format csv "$OUT/crops" >/dev/null 2>&1 # the first load optimises and caches the graph
for run in "opt:" "noopt:--no-optimize" "int8:--variant quantized"; do
  name=${run%%:*}
  # shellcheck disable=SC2086
  DFD_JAVA_OPTS="-Ddfd.ort.profile=$OUT/$name" ./dfd detect -m "$MODEL" ${run#*:} --threads 2 --workers 1 \
    --batch-size 1 --format csv "$OUT/crops" >/dev/null 2>"$OUT/$name.err"
  python3 bench/peers/profile_ops.py --vit-base "$OUT/$name"_*.json
done

echo "== 3. default model on photos, per stage"
[ -f "$OUT/photos/photo-12mp.jpg" ] || java bench/MakePhotos.java photo.jpg "$OUT/photos" >/dev/null
for mp in 1 3 12; do
  mkdir -p "$OUT/p$mp" && ln -sf "$OUT/photos/photo-${mp}mp.jpg" "$OUT/p$mp/"
  echo "-- $mp MP"
  ./dfd bench --batch-sizes 1 --repeats 5 --no-cold-start "$OUT/p$mp" | grep -E "decode|faces|crop|batch 1"
done
echo "== done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
