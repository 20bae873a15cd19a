#!/usr/bin/env bash
# Peer comparison (a dev tool, not part of the tests): on this machine, one ViT-base-size model and the same 64 images
# (32 DFDC face crops + 32 generated photos of 400-3000 px), measures
#   dfd (fp32 and int8)          `dfd bench` + a `dfd detect` run for process peak RSS
#   transformers.js v3 (fp32, q8) bench/peers/transformersjs.mjs, onnxruntime-node on the same ONNX files
#   PyTorch eager (fp32)          bench/peers/torch_eager.py, the same safetensors weights and preprocessing
# all with 2 intra-op threads, and prints one table with ratios (bench/peers/report.py). Everything it makes goes
# to $DFD_COMPARE_DIR (default /tmp/dfd-compare): the model, the node_modules, the images (face crops as symlinks),
# and results/ with every raw JSON and table.txt. Env: REPEATS (measured passes per setting, default 3), COLD_RUNS (default 3),
# QUIET_WAIT (seconds to wait for other processes to go idle before each run, default 300), TORCH_PINNED_REPEATS
# (default 0 = skip; N adds a PyTorch row with OpenBLAS pinned as the environment sets it, see below; ~2 min for 1).
# Each run is wrapped in /usr/bin/time (wall, CPU, peak RSS) and the CPU that OTHER processes used meanwhile is
# recorded (column "others"): on a shared machine a busy neighbour makes the numbers worthless, so look at it.
#
# PyTorch runs its Linear layers on Debian's OpenBLAS 0.3.21, which this workplace pins to the Haswell (AVX2) kernel
# with OPENBLAS_CORETYPE because it mis-detects newer CPUs; that costs up to ~4x in GEMM speed here. The main PyTorch
# row unsets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for its own commands only (the kernel it ran is in the JSON, and the
# correctness check below runs with the same environment); the "pinned" row keeps them as set. torch_eager.py also
# sets OMP_WAIT_POLICY=PASSIVE (see there): without it PyTorch was ~3x slower at batch 1 on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

REPEATS=${REPEATS:-3}
COLD_RUNS=${COLD_RUNS:-3}
WORK=${DFD_COMPARE_DIR:-/tmp/dfd-compare}
TJS_VERSION=3.8.1  # @huggingface/transformers, last 3.x (onnxruntime-node 1.21.0)
PY=/usr/bin/python3 # Debian's python3-torch lives here, not in pyenv's python
MODEL=$WORK/vit-base
HUB=$WORK/vit-base-hub
IMAGES=$WORK/images
RES=$WORK/results
FACES=/work/shared/data/dfdc-faces/test
[ -d "$FACES" ] || FACES=../shared/data/dfdc-faces/test
started=$(date +%s)
log() { echo "== $(date +%T) $*" >&2; }

mkdir -p "$WORK" "$RES"
rm -f "$RES"/*

# --- prerequisites ---------------------------------------------------------------------------------------------
./dfd --version >/dev/null # builds on first use
if ! $PY -c 'import torch, PIL, numpy' 2>/dev/null; then
  log "installing python3-torch python3-pil python3-numpy"
  apt-get update -qq && apt-get install -y -qq python3-torch python3-pil python3-numpy >/dev/null
fi
have=$(cd "$WORK" && node -p "require('./node/node_modules/@huggingface/transformers/package.json').version" 2>/dev/null || true)
if [ "$have" != "$TJS_VERSION" ]; then
  log "installing @huggingface/transformers@$TJS_VERSION into $WORK/node"
  mkdir -p "$WORK/node"
  [ -f "$WORK/node/package.json" ] || echo '{"private": true}' >"$WORK/node/package.json"
  (cd "$WORK/node" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --no-audit --no-fund --save-exact \
    "@huggingface/transformers@$TJS_VERSION" >"$WORK/npm-install.log" 2>&1) || { cat "$WORK/npm-install.log" >&2; exit 1; }
fi
cp bench/peers/transformersjs.mjs "$WORK/node/" # ESM resolves packages from the script's own folder

# --- model: random ViT-base, fp32 and int8 ONNX --------------------------------------------------------------------
[ -f "$MODEL/model.safetensors" ] || { log "dfd init"; ./dfd init "$MODEL" >&2; }
# dfd convert writes ViT-base with external data (onnx/model.onnx + model.onnx_data); a folder from an older dfd,
# with the weights inside model.onnx, is converted again
[ -f "$MODEL/onnx/model.onnx_data" ] ||
  { log "dfd convert fp32"; ./dfd convert --external-data always "$MODEL" "$MODEL" >&2; }
[ -f "$MODEL/onnx/model_quantized.onnx_data" ] ||
  { log "dfd convert int8"; ./dfd convert --dtype int8 --external-data always "$MODEL" "$MODEL" >&2; }
# the file users have: the same weights exported as the Hub's ONNX files are (torch.onnx.export, opset 14)
[ -f "$HUB/onnx/model.onnx" ] ||
  { log "Hub-style export (torch.onnx, opset 14)"; $PY bench/peers/export_hub_onnx.py "$MODEL" "$HUB" >&2; }
# dfd optimises fp32 graphs at load and caches them (README, dfd optimize); a cache of this run's own, made by the
# first bench run of each model, so that every timed run after it loads the optimised graph as a user's second run does
export DFD_CACHE=$WORK/dfd-cache

# --- images: 16 Fake + 16 Real face crops (symlinks, read in place) + 32 generated photos ---------------------------
if [ "$(find "$IMAGES" -maxdepth 1 \( -type f -o -type l \) 2>/dev/null | wc -l)" -ne 64 ]; then
  log "making $IMAGES"
  rm -rf "$IMAGES" && mkdir -p "$IMAGES"
  for cls in Fake Real; do
    for f in $(ls "$FACES/$cls" | LC_ALL=C sort | head -16); do
      ln -s "$(cd "$FACES/$cls" && pwd)/$f" "$IMAGES/face-${cls,,}-$f"
    done
  done
  $PY bench/peers/make_photos.py "$WORK/photos" 32
  ln -s "$WORK"/photos/* "$IMAGES/"
fi
FIRST=$IMAGES/$(ls "$IMAGES" | LC_ALL=C sort | head -1) # the image dfd bench's cold start uses too

# --- measuring -----------------------------------------------------------------------------------------------------
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; } # user+nice+system+irq+softirq jiffies, whole machine
# wait_quiet: wait (at most QUIET_WAIT s) until the machine's other processes use < 0.15 cores over 2 s
wait_quiet() {
  local waited=0 a b
  while :; do
    a=$(busy); sleep 2; b=$(busy)
    awk -v d="$((b - a))" -v hz="$(getconf CLK_TCK)" 'BEGIN { exit !(d / hz / 2 < 0.15) }' && return 0
    waited=$((waited + 2))
    if [ "$waited" -ge "${QUIET_WAIT:-300}" ]; then
      log "machine still busy after ${waited}s; measuring anyway (see the 'others' column)"; return 0
    fi
  done
}
# run NAME CMD...: stdout -> NAME.json, stderr -> NAME.err, "wall user sys maxrss_kB" -> NAME.time, and the average
# number of cores that other processes kept busy meanwhile -> NAME.others
run() {
  local name=$1 b0 b1 wall user sys rss
  shift
  wait_quiet
  b0=$(busy)
  if ! /usr/bin/time -f '%e %U %S %M' -o "$RES/$name.time" "$@" >"$RES/$name.json" 2>"$RES/$name.err"; then
    log "FAILED: $name ($*)"; tail -5 "$RES/$name.err" >&2; return 1
  fi
  b1=$(busy)
  read -r wall user sys rss <"$RES/$name.time"
  awk -v b="$((b1 - b0))" -v hz="$(getconf CLK_TCK)" -v u="$user" -v s="$sys" -v w="$wall" \
    'BEGIN { o = (b / hz - u - s) / w; printf "%.2f\n", o < 0 ? 0 : o }' >"$RES/$name.others"
}

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "dfd bench fp32 (repeats $REPEATS)"
run dfd-fp32 ./dfd bench -m "$MODEL" --threads 2 --json --batch-sizes 1,8 --repeats "$REPEATS" "$IMAGES"
log "dfd bench fp32, not optimised (--no-optimize: the graph as dfd convert wrote it)"
run dfd-noopt ./dfd bench -m "$MODEL" --no-optimize --threads 2 --json --batch-sizes 1,8 --repeats "$REPEATS" "$IMAGES"
log "dfd bench fp32 on the Hub-style export (optimised at load)"
run dfd-hub ./dfd bench -m "$HUB" --threads 2 --json --batch-sizes 1,8 --repeats "$REPEATS" "$IMAGES"
run dfd-hub-noopt ./dfd bench -m "$HUB" --no-optimize --threads 2 --json --batch-sizes 1,8 --repeats "$REPEATS" "$IMAGES"
log "dfd bench int8"
run dfd-int8 ./dfd bench -m "$MODEL" --variant quantized --threads 2 --json --batch-sizes 1,8 --repeats "$REPEATS" "$IMAGES"
# dfd bench's peak RSS is that of the bench process, which holds two sessions of the model and all decoded images;
# a plain `dfd detect` over the same images gives the RSS a user sees
log "dfd detect (peak RSS of one ordinary run)"
run dfd-fp32-detect ./dfd detect -m "$MODEL" --threads 2 --format csv "$IMAGES"
run dfd-int8-detect ./dfd detect -m "$MODEL" --variant quantized --threads 2 --format csv "$IMAGES"
log "transformers.js $TJS_VERSION fp32"
run tjs-fp32 node "$WORK/node/transformersjs.mjs" "$MODEL" fp32 "$IMAGES" "$REPEATS"
log "transformers.js $TJS_VERSION fp32 on the Hub-style export"
run tjs-hub node "$WORK/node/transformersjs.mjs" "$HUB" fp32 "$IMAGES" "$REPEATS"
log "transformers.js q8"
run tjs-q8 node "$WORK/node/transformersjs.mjs" "$MODEL" q8 "$IMAGES" "$REPEATS" ||
  echo '{"error": "failed, see tjs-q8.err"}' >"$RES/tjs-q8.json"
TORCH=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" bench/peers/torch_eager.py "$MODEL")
log "PyTorch eager"
run torch "${TORCH[@]}" "$IMAGES" "$REPEATS"
if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ "${TORCH_PINNED_REPEATS:-0}" -gt 0 ]; then
  log "PyTorch eager, OpenBLAS pinned to $OPENBLAS_CORETYPE (repeats ${TORCH_PINNED_REPEATS:-0})"
  run torch-pinned "$PY" bench/peers/torch_eager.py "$MODEL" "$IMAGES" "${TORCH_PINNED_REPEATS:-0}"
fi

log "cold start to first verdict, $COLD_RUNS x each (process start to exit, from outside)"
for i in $(seq 1 "$COLD_RUNS"); do # interleaved, so that drift in the machine's load hits all alike
  run "cold-dfd-fp32-$i" ./dfd detect -m "$MODEL" --threads 2 --format json "$FIRST"
  run "cold-dfd-int8-$i" ./dfd detect -m "$MODEL" --variant quantized --threads 2 --format json "$FIRST"
  run "cold-tjs-fp32-$i" node "$WORK/node/transformersjs.mjs" "$MODEL" fp32 --first "$FIRST"
  run "cold-dfd-hub-$i" ./dfd detect -m "$HUB" --threads 2 --format json "$FIRST"
  run "cold-tjs-hub-$i" node "$WORK/node/transformersjs.mjs" "$HUB" fp32 --first "$FIRST"
  run "cold-tjs-q8-$i" node "$WORK/node/transformersjs.mjs" "$MODEL" q8 --first "$FIRST" || true
  run "cold-torch-$i" "${TORCH[@]}" --first "$FIRST"
done

log "correctness: logits/scores on 3 images against dfd detect"
CHECK=("$FIRST" "$(ls -SL "$IMAGES"/photo*.jpg | head -1)" "$(ls -SL "$IMAGES"/photo*.png | head -1)") # a face, the biggest JPEG and PNG
run check-dfd ./dfd detect -m "$MODEL" --threads 2 --format json "${CHECK[@]}"
run check-torch "${TORCH[@]}" --logits "${CHECK[@]}"
[ ! -f "$RES/torch-pinned.json" ] || run check-torch-pinned "$PY" bench/peers/torch_eager.py "$MODEL" --logits "${CHECK[@]}"
run check-tjs node "$WORK/node/transformersjs.mjs" "$MODEL" fp32 --scores "${CHECK[@]}"

elapsed=$(($(date +%s) - started))
$PY bench/peers/report.py "$RES" "$MODEL" "$elapsed" | tee "$RES/table.txt"
