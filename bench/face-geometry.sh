#!/usr/bin/env bash
# Sweeps the face crop geometry of a model (dfd_faces.json's scale and center_y) on a validation split: for each
# setting, `dfd eval` through the face stage, its ROC AUC and no-face count. Choose on validation only; then run the
# chosen geometry once on test. A dev command (minutes per setting), not part of `mvn verify`.
# Usage: bench/face-geometry.sh MODEL_DIR DATA_DIR [SPLIT] [SCALES] [CENTERS]
#   e.g. bench/face-geometry.sh models/default ../shared/data/dfdc-faces val "1.05 1.11 1.17" "0.50 0.54 0.58"
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1; data=$2; split=${3:-val}
scales=${4:-1.05 1.11 1.17}; centers=${5:-0.50 0.54 0.58}
work=target/face-geometry; mkdir -p "$work"
echo "scale center_y auc no_face"
for s in $scales; do
  for c in $centers; do
    dir="$work/model-$s-$c"; rm -rf "$dir"; cp -r "$model" "$dir"
    sed -E -i "s/\"scale\": *[0-9.]+/\"scale\": $s/; s/\"center_y\": *[0-9.]+/\"center_y\": $c/" "$dir/dfd_faces.json"
    ./dfd eval --model "$dir" --split "$split" --predictions "$work/pred-$split-$s-$c.csv" "$data" > "$work/eval-$split-$s-$c.txt" 2>&1
    auc=$(grep -o 'ROC AUC (positive = [A-Za-z]*): [0-9.]*' "$work/eval-$split-$s-$c.txt" | awk '{print $NF}')
    nf=$(grep -c ',no_face$' "$work/pred-$split-$s-$c.csv" || true)
    echo "$s $c $auc $nf"
  done
done
