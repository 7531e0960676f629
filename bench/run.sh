#!/usr/bin/env bash
# Runs the benchmark sets behind docs/benchmarks.md and writes JMH JSON to bench/results/, then prints the
# tables (bench/report.py) and draws docs/gemm.svg. Run from the repository root:
#   bench/run.sh            # everything (about 20 minutes on 2 cores)
#   bench/run.sh peak gemm  # only some sets: peak gemm gemm-baselines gram sparse sparse-baselines gc
# Check `uptime` first: other processes on the cores make every number below slower and noisier.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
SHORT="-f 1 -wi 2 -i 3 -w 1 -r 1"
jmh() { # name, then JMH arguments
  local name=$1; shift
  # `package` as well: it selects the JDK 25 toolchain (exec:exec alone would fork the default java).
  # JMH's /tmp/jmh.lock stops a second JMH on the machine; on a shared box we run anyway and say so.
  JAVA_TOOL_OPTIONS="-Djmh.ignoreLock=true" ./mvnw -B -q -Pbench package exec:exec -Dexec.mainClass=org.openjdk.jmh.Main \
    -Dcli.args="$* -rf json -rff bench/results/$name.json" | grep -E '^# .*verified|^[A-Z][A-Za-z]+Benchmark\.' || true
}
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(peak gemm gemm-baselines gram sparse sparse-baselines gc)
./mvnw -B -q -Pbench package -DskipTests
for s in "${sets[@]}"; do
  case $s in
    peak)
      jmh peak-t1 "PeakBenchmark -f 1 -wi 2 -i 5 -w 1 -r 1 -t 1"
      jmh peak-t2 "PeakBenchmark -f 1 -wi 2 -i 5 -w 1 -r 1 -t 2" ;;
    gemm)
      jmh gemm "GemmBenchmark $SHORT -p impl=PANAMA,OPENBLAS -p threads=1,2 \
        -p shape=256x256x256,512x512x512,1024x1024x1024,2048x2048x2048,4096x4096x4096,10000x10000x3-NT,10000x10000x16-NT,10000x10000x64-NT,10000x10000x128-NT,64x64x100000-TN" ;;
    gemm-baselines)
      jmh gemm-baselines "GemmBenchmark $SHORT -p impl=NAIVE,SCALAR -p threads=1 \
        -p shape=256x256x256,512x512x512,1024x1024x1024" ;;
    sparse)
      jmh sparse "SparseBenchmark $SHORT -p backend=PANAMA -p threads=1,2 -p k=16,64,128" ;;
    gram)
      jmh gram "GramBenchmark $SHORT -p impl=GRAM,GEMM,OPENBLAS -p threads=1,2 -p shape=10000x64,100000x64,70000x16,10000x128"
      jmh gram-baselines "GramBenchmark $SHORT -p impl=NAIVE,UPPER -p threads=1 -p shape=10000x64,100000x64" ;;
    sparse-baselines)
      jmh sparse-baselines "SparseBenchmark $SHORT -p backend=SCALAR -p threads=1 -p k=64" ;;
    gc)
      jmh gc-gemm "GemmBenchmark $SHORT -prof gc -p impl=PANAMA -p threads=1,2 -p shape=1024x1024x1024"
      jmh gc-sparse "SparseBenchmark $SHORT -prof gc -p backend=PANAMA -p threads=1,2 -p data=synthetic10m -p k=64"
      jmh gc-gram "GramBenchmark $SHORT -prof gc -p impl=GRAM -p threads=1,2 -p shape=10000x64" ;;
    *) echo "unknown set $s" >&2; exit 2 ;;
  esac
done
python3 bench/report.py bench/results docs/gemm.svg
