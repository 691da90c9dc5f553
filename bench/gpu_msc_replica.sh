#!/bin/bash
# The GPU replica-packed kernels (msc-replica64/256 and -anti, src/gpu) beside
# the CPU kernel on the same machine's cores and the GPU msc-single kernel, in
# one run (bench/README.md, "GPU: replica-packed kernels"). Flips are spin
# updates: R replicas x L^d sites a sweep.
#   bench/gpu_msc_replica.sh [BUILD_DIR]     (default build-cuda-gpu)
# RANDOM123_INCLUDE_DIR as for tests/gpu/run.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-cuda-gpu}
cmake -S "$root/src/gpu" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  ${RANDOM123_INCLUDE_DIR:+-DRANDOM123_INCLUDE_DIR=$RANDOM123_INCLUDE_DIR} >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader
lscpu | grep -E '^Model name|^CPU\(s\)' || true
b=$build/gpu_msc_replica
# GPU: 2D L = 1024, every variant, schedules and block widths (3 = sweep,
# 2 = shared, both where the strips fit: 256 replicas do not at L = 1024).
for anti in 0 1; do
  for shape in "3 512" "3 256" "2 512" "2 256" "1 512" "0 256"; do
    # shellcheck disable=SC2086
    "$b" bench 2 1024 64 $anti 2000 $shape
  done
  for shape in "1 256" "0 256"; do
    # shellcheck disable=SC2086
    "$b" bench 2 1024 256 $anti 500 $shape
  done
done
"$b" bench 2 4096 64 0 200
for anti in 0 1; do
  "$b" bench 3 128 64 $anti 200 2 512
  "$b" bench 3 128 64 $anti 200 1 256
done
"$b" bench 3 128 256 0 50
"$b" bench 3 256 64 0 30
# The single-lattice kernel on the same card, 2D and 3D.
"$build/gpu_msc_single" bench 1024 4000
"$build/gpu_msc_single" bench 32768 400
"$build/gpu_msc_single" bench3 1024 80
"$build/gpu_msc_single" bench3 2048 40
# The CPU kernel (the auto instruction set) on one core and on every core.
for cores in 1 "$(nproc)"; do
  "$b" cpu 2 1024 64 0 40 "$cores"
  "$b" cpu 2 1024 64 1 40 "$cores"
  "$b" cpu 2 1024 256 0 10 "$cores"
  "$b" cpu 3 128 64 0 10 "$cores"
done
