#!/usr/bin/env bash
# Serve load test (a dev tool, not part of the tests): starts `dfd serve` on loopback with MODEL, measures
# `dfd detect` on the same images as the baseline, then `dfd loadtest` at 1, 8 and 64 concurrent clients and a burst
# far above capacity, and stops the server. Usage: bench/serve-loadtest.sh MODEL_DIR IMAGE_DIR [PORT]
# Env: SECONDS_PER_LEVEL (15), LEVELS (1,8,64), SERVE_ARGS (extra `dfd serve` options, e.g. "--max-wait-ms 2").
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model directory}
images=${2:?image directory}
port=${3:-18090}
./dfd --version >/dev/null   # builds on first use

echo "== baseline: dfd detect on $images"
start=$(date +%s.%N)
n=$(./dfd detect -m "$model" --format csv "$images" | tail -n +2 | wc -l)
end=$(date +%s.%N)
one=$(ls "$images" | sed -n 1p)   # sed reads to the end: no SIGPIPE under pipefail
s1=$(date +%s.%N); ./dfd detect -m "$model" "$images/$one" >/dev/null; e1=$(date +%s.%N)
awk -v n="$n" -v t="$(echo "$end - $start" | bc)" -v t1="$(echo "$e1 - $s1" | bc)" \
  'BEGIN { printf "dfd detect: %d images in %.2f s (%.1f images/s after subtracting a 1-image run of %.2f s)\n", n, t, (n-1)/(t-t1), t1 }'

# shellcheck disable=SC2086
./dfd serve -m "$model" --port "$port" ${SERVE_ARGS:-} > /tmp/dfd-serve-loadtest.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for i in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
echo "== dfd loadtest against http://127.0.0.1:$port"
./dfd loadtest --url "http://127.0.0.1:$port" --concurrency "${LEVELS:-1,8,64}" --seconds "${SECONDS_PER_LEVEL:-15}" \
  --burst 2000 --burst-connections 256 "$images" 2>/dev/null
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^dfd_(batch_size_(sum|count)|rejected_requests_total)'
kill -TERM $pid; wait $pid 2>/dev/null || true
trap - EXIT
echo "server log:"; cat /tmp/dfd-serve-loadtest.log
