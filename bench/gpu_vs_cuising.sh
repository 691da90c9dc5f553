#!/bin/bash
# ceasim's GPU msc-single against NVIDIA's cuIsing ("optimized" variant, 2D,
# 4 bits per spin) on the same card in one run (bench/README.md, "GPU:
# msc-single on the H100").
#
#   bench/gpu_vs_cuising.sh ISING_GPU_DIR [WORK_DIR]
#
# ISING_GPU_DIR is a checkout of https://github.com/NVIDIA/ising-gpu, fetched by
# the user (it is not part of ceasim and never enters the repository):
#   git clone https://github.com/NVIDIA/ising-gpu
# Its optimized/ is copied into WORK_DIR (default /tmp/gpu_vs_cuising) and built
# there for sm_90; with CUDA 13 cudaMemAdvise takes a cudaMemLocation instead of
# a device number, which the copy is patched for. Both programs run at L =
# 32768 and 65536 at T_c, twice each, alternating; cuIsing times its sweeps with
# CUDA events, ours with the host clock around whole synchronised sweeps.
# RANDOM123_INCLUDE_DIR as for tests/gpu/run.sh.
set -euo pipefail
src=${1:?usage: bench/gpu_vs_cuising.sh ISING_GPU_DIR [WORK_DIR]}
work=${2:-/tmp/gpu_vs_cuising}
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/optimized/main.cu" ] || { echo "gpu_vs_cuising: $src/optimized/main.cu not found (ISING_GPU_DIR)" >&2; exit 2; }
mkdir -p "$work"
cmake -S "$root/src/gpu" -B "$work/ceasim" -DCMAKE_BUILD_TYPE=Release \
  ${RANDOM123_INCLUDE_DIR:+-DRANDOM123_INCLUDE_DIR=$RANDOM123_INCLUDE_DIR} >/dev/null
cmake --build "$work/ceasim" -j "$(nproc)" >/dev/null
rm -rf "$work/cuising" && cp -r "$src/optimized" "$work/cuising"
(
  cd "$work/cuising"
  perl -pi -e 's/(cudaMemAdvise\(.*?, *cudaMemAdvise\w+), *(.+?)\)\);/$1, cudaMemLocation{cudaMemLocationTypeDevice, $2}));/' main.cu
  nvcc -c -O3 --use_fast_math -arch=sm_90 main.cu -o main.o
  gcc -c -O3 utils.c -o utils.o
  nvcc -o cuIsing main.o utils.o -Xcompiler=-fopenmp
)
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv,noheader
for L in 32768 65536; do
  n=$((2 * 65536 / L * 100))
  for rep in 1 2; do
    "$work/cuising/cuIsing" -x "$L" -y "$L" -n "$n" -t 2.269185 | grep 'flips/ns' | sed "s/^/cuIsing L=$L: /"
    "$work/ceasim/gpu_msc_single" bench "$L" "$n"
  done
done
