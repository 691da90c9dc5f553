#!/bin/bash
# The GPU tests (src/gpu): build the CUDA part on its own and check the kernels
# bitwise against the CPU ones (msc-single 2D and 3D, msc-replica64/256 and
# -anti in every schedule), then time msc-single at 2D L = 32768 and 65536 and
# 3D L = 1024 and 2048 (the replica kernels: bench/gpu_msc_replica.sh).
# Needs a CUDA device and nvcc, so the suite (tests/CMakeLists.txt) does not run
# it; run it on the GPU machine before resolving GPU work:
#   tests/gpu/run.sh [BUILD_DIR]          (default build-cuda-gpu)
# RANDOM123_INCLUDE_DIR=... names the folder holding Random123/ where the
# system has none (the lent GPU machine: carry /usr/include/Random123).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-cuda-gpu}
cmake -S "$root/src/gpu" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCEASIM_WERROR=ON \
  ${RANDOM123_INCLUDE_DIR:+-DRANDOM123_INCLUDE_DIR=$RANDOM123_INCLUDE_DIR} >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
"$build/gpu_msc_single" check
"$build/gpu_msc_replica" check
for L in 32768 65536; do
  for shape in "128 1" "256 1" "128 2" "256 2" "512 2" "128 4" "256 4"; do
    # shellcheck disable=SC2086
    "$build/gpu_msc_single" bench "$L" $((2 * 65536 / L * 100)) $shape
  done
done
for L in 1024 2048; do
  "$build/gpu_msc_single" bench3 "$L" $((2048 / L * 40))
done
