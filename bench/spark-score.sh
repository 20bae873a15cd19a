#!/usr/bin/env bash
# dfd on Spark vs dfd detect (a dev tool, not part of the tests): copies the first N images of a folder to a work
# folder, then times `dfd detect` and `dfd-spark score` in local[1] and local[2] on them, with the shaded
# dfd-spark jar on Spark's class path as spark-submit would put it. No Spark installation needed: the Spark jars
# come from Maven. Usage: bench/spark-score.sh [MODEL_DIR] [IMAGE_DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/default}
source_dir=${2:-../shared/data/dfdc-faces/test}
n=${3:-2000}
work=${DFD_SPARK_BENCH_DIR:-/tmp/dfd-spark-bench}

mvn -q -B -ntp install -DskipTests -pl dfd-spark -am
jar=$(ls dfd-spark/target/dfd-spark-*-all.jar)
# Spark and its dependencies (Jackson included: Spark needs it; dfd's own copy is relocated inside the jar).
mvn -q -B -ntp dependency:build-classpath -pl dfd-spark -Dmdep.includeScope=test -Dmdep.outputFile="$work.cp" >/dev/null
spark_cp=$(tr ':' '\n' < "$work.cp" | grep -v -e '/dev/dfd/' -e onnxruntime -e twelvemonkeys -e picocli -e junit \
  -e opentest4j -e apiguardian | paste -sd: -)
opens="-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED
 --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
 --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
 --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
 --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
 --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
 --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED
 --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false
 -Dio.netty.tryReflectionSetAccessible=true"

rm -rf "$work/images" && mkdir -p "$work/images"
find "$source_dir" -type f \( -name '*.jpg' -o -name '*.png' \) | sort | head -n "$n" | xargs -I{} cp {} "$work/images/"
count=$(ls "$work/images" | wc -l)
echo "== $count images from $source_dir, model $model"

seconds() { local s; s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }

./dfd --version > /dev/null
t_detect=$(seconds ./dfd detect -m "$model" --format csv "$work/images")
t_one=$(seconds ./dfd detect -m "$model" "$work/images/$(ls "$work/images" | head -1)")
awk -v n="$count" -v t="$t_detect" -v t1="$t_one" 'BEGIN { printf "dfd detect:     %6.1f s wall, %6.1f images/s (%6.1f after subtracting a 1-image run of %.1f s)\n", t, n/t, (n-1)/(t-t1), t1 }'

for master in "local[1]" "local[2]"; do
  out="$work/out-${master//[^0-9]/}.parquet"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  line=$(java $opens -Xmx4g -cp "$jar:$spark_cp" dev.dfd.spark.SparkMain score --master "$master" \
    --model "$model" --input "$work/images" --output "$out" 2>"$work/spark.log" | tail -1)
  t=$(echo "$(date +%s.%N) - $start" | bc)
  awk -v n="$count" -v t="$t" -v m="$master" -v l="$line" 'BEGIN { printf "spark %-8s %6.1f s wall, %6.1f images/s; job: %s\n", m, t, n/t, l }'
done
