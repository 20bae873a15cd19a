#!/usr/bin/env bash
# Long fuzzing (a dev tool; `mvn verify` fuzzes each target for a few seconds only). Runs one Jazzer target, or all
# of them one after another, for SECONDS each through the module's fuzz-briefly Surefire execution (a JVM of its
# own, 1 GiB heap, 10 s per input, the full JIT), with libFuzzer's progress in the log and its totals at the end.
# Usage: bench/fuzz.sh TARGET|all [SECONDS]   (SECONDS defaults to 300)
# TARGET: ImageDecoderFuzzTest ExifFuzzTest ModelConfigFuzzTest PreprocessorConfigFuzzTest FacePostprocessFuzzTest
#         SafetensorsFileFuzzTest RequestDecoderFuzzTest
# A crash is written to the target's inputs directory (src/test/resources/<package>/<Class>Inputs/<method>/crash-*)
# and replayed by every later `mvn verify` until fixed; the inputs that found new coverage go to
# <module>/.cifuzz-corpus/ (not committed) and seed the next run. The log of each run is kept in
# target/fuzz-<TARGET>.log and the totals appended to target/fuzz-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?"target class (e.g. ImageDecoderFuzzTest) or all"}
seconds=${2:-300}
# the parsers dfd hands untrusted bytes to get coverage feedback too in long runs
instrument='dev.dfd.**,com.twelvemonkeys.**,com.luciad.**,com.fasterxml.jackson.**,org.eclipse.jetty.**'

module_of() {
  case "$1" in
    SafetensorsFileFuzzTest) echo dfd-convert ;;
    RequestDecoderFuzzTest) echo dfd-server ;;
    ImageDecoderFuzzTest|ExifFuzzTest|ModelConfigFuzzTest|PreprocessorConfigFuzzTest|FacePostprocessFuzzTest)
      echo dfd-core ;;
    *) echo "unknown fuzz target $1" >&2; exit 2 ;;
  esac
}

run() {
  local name=$1 module log
  module=$(module_of "$name")
  mkdir -p target
  log=target/fuzz-$name.log
  echo "== fuzzing $name ($module) for $seconds s"
  # test-compile then only the fuzz execution: the default test run is skipped. -am builds dfd-core for the other
  # modules in this reactor (never from ~/.m2).
  set +e
  mvn -B -ntp -pl "$module" -am test-compile surefire:test@fuzz-briefly -Dtest="$name" \
    -Dsurefire.failIfNoSpecifiedTests=false -Ddfd.fuzz.quiet=false -Ddfd.fuzz.instrument="$instrument" -Ddfd.fuzz.jit= \
    -Djazzer.internal.arg.2=-max_total_time="$seconds" -Djazzer.internal.arg.3=-print_final_stats=1 \
    > "$log" 2>&1
  local status=$?
  set -e
  local execs cov
  execs=$(grep -a 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -a -E '^#[0-9]+[[:space:]]+(pulse|NEW|REDUCE|DONE|INITED)' "$log" | tail -1 | grep -o 'cov: [0-9]*' || true)
  local crashes
  crashes=$(grep -a -c -E 'FuzzTestFinding|== Java Exception|artifact_prefix.*crash|Test unit written to' "$log" || true)
  local line="$(date -u +%FT%TZ) $name ${seconds}s executions=${execs:-?} ${cov:-cov: ?} finding-lines=$crashes exit=$status"
  echo "$line" | tee -a target/fuzz-summary.txt
  grep -a -E 'Test unit written to|FuzzTestFinding' "$log" | head -5 || true
  return $status
}

if [ "$target" = all ]; then
  failed=0
  for t in ImageDecoderFuzzTest ExifFuzzTest ModelConfigFuzzTest PreprocessorConfigFuzzTest FacePostprocessFuzzTest \
           SafetensorsFileFuzzTest RequestDecoderFuzzTest; do
    run "$t" || failed=1
  done
  exit $failed
fi
run "$target"
