#!/usr/bin/env bash
# Fuzzes every target in turn (Jazzer's fuzzing mode runs one target per JVM) and prints the executions.
#   bench/fuzz.sh [duration per target, default 3m] [Class#method ...]
# During `./mvnw verify` the same @FuzzTests only replay their committed corpus (regression mode).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-3m}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(RatingsReaderFuzzTest#movieLensCsv RatingsReaderFuzzTest#movieLensDat RatingsReaderFuzzTest#movieLensUdata
           RatingsReaderFuzzTest#matrixMarket ModelFileFuzzTest#load)
fi
mkdir -p target/fuzz-logs
status=0
for t in "${targets[@]}"; do
  rm -rf target/fuzz-stats
  log="target/fuzz-logs/${t//#/_}.log"
  echo "== $t for $duration (log: $log)"
  if ./mvnw -B -Pfuzz test -Dtest="$t" -Djazzer.max_duration="$duration" >"$log" 2>&1; then
    result=ok
  else
    result="FINDING (see $log and the target's Inputs folder)"
    status=1
  fi
  cat target/fuzz-stats/*.txt 2>/dev/null || echo "no stats written"
  echo "   $result"
done
exit $status
