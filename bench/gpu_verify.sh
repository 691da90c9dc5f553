#!/bin/bash
# The whole GPU part checked and timed in one call on a GPU machine that has none
# of ceasim's libraries (bench/README.md, "the kernels behind run, sweep and bench";
# the log of such a call: bench/gpu_verification_h100.log).
#
# Here, on the machine that builds (a CPU build, a -DCEASIM_CUDA=ON build, and a
# checkout of NVIDIA/ising-gpu fetched by the user, never part of ceasim):
#   bench/gpu_verify.sh pack CPU_BUILD CUDA_BUILD ISING_GPU_DIR CARRY
# packs into CARRY (a folder git ignores): the CUDA build with its shared
# libraries (tests/gpu/carry.sh), compressed; the annealer's CPU reference files
# (tests/gpu/run_sa.sh ref, from CPU_BUILD); cuIsing-optimized built for sm_90.
# There, in the repository's root with CARRY carried:
#   bench/gpu_verify.sh run CARRY
# runs, all in one go: the kernels' bitwise checks (gpu_msc_single, gpu_msc_replica,
# gpu_sa_dense on every reference file, with its timing and G22's time to target),
# cuIsing beside msc-single at L = 32768 and 65536 (twice each, alternating), the
# replica kernels and 3D msc-single, and tests/gpu/run_cli.sh full.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  pack)
    set -e
    cpu=$2 cuda=$3 peer=$4 out=$5
    [ -f "$peer/optimized/main.cu" ] || { echo "gpu_verify: $peer/optimized/main.cu not found (ISING_GPU_DIR)" >&2; exit 2; }
    mkdir -p "$out"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    bash "$root/tests/gpu/carry.sh" "$cuda" "$tmp/pkg" >/dev/null
    bash "$root/tests/gpu/run_sa.sh" ref "$cpu" "$tmp/sa" >/dev/null
    # cuIsing as bench/gpu_vs_cuising.sh builds it (CUDA 13's cudaMemAdvise patch).
    cp -r "$peer/optimized" "$tmp/cuising"
    (
      cd "$tmp/cuising"
      perl -pi -e 's/(cudaMemAdvise\(.*?, *cudaMemAdvise\w+), *(.+?)\)\);/$1, cudaMemLocation{cudaMemLocationTypeDevice, $2}));/' main.cu
      nvcc -c -O3 --use_fast_math -arch=sm_90 main.cu -o main.o
      gcc -c -O3 utils.c -o utils.o
      nvcc -o cuIsing main.o utils.o -Xcompiler=-fopenmp
    )
    cp "$tmp/cuising/cuIsing" "$tmp/pkg/bin/"
    # The carry's size limit: the libraries compress about 3x, the reference
    # files' configurations well (the Gaussian couplings do not).
    (cd "$tmp/pkg" && tar -c bin lib lib-mpi env.sh) | xz -T0 -6 >"$out/pkg.tar.xz"
    mkdir -p "$out/sa"
    for f in "$tmp"/sa/*.bin; do xz -T0 -6 -c "$f" >"$out/sa/$(basename "$f").xz"; done
    cp "$tmp/sa/G22" "$out/sa/G22" # run_cli's anneal --device gpu time to target
    du -sh "$out" ;;
  run)
    C=$(cd "$2" && pwd)
    T=$(mktemp -d)
    xz -dc "$C/pkg.tar.xz" | tar -x -C "$T"
    # shellcheck disable=SC1091
    source "$T/env.sh"
    B=$T/bin
    sec() { echo; echo "=== $* ($(date +%T))"; }
    sec device
    nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader
    lscpu | grep -E '^Model name|^CPU\(s\)'
    sec msc-single check; "$B/gpu_msc_single" check 2>&1 | tail -4
    sec msc-replica check; "$B/gpu_msc_replica" check 2>&1 | tail -4
    sec annealer bitwise
    for f in "$C"/sa/*.bin.xz; do
      xz -dc "$f" >"$T/ref.bin"
      echo "== $(basename "$f")"
      "$B/gpu_sa_dense" "$T/ref.bin" 1024 256 4 2>&1 | tail -4
    done
    sec cuIsing vs msc-single
    for L in 32768 65536; do
      n=$((2 * 65536 / L * 100))
      for rep in 1 2; do
        "$B/cuIsing" -x "$L" -y "$L" -n "$n" -t 2.269185 | grep 'flips/ns' | sed "s/^/cuIsing L=$L: /"
        "$B/gpu_msc_single" bench "$L" "$n"
      done
    done
    sec replica
    for anti in 0 1; do "$B/gpu_msc_replica" bench 2 1024 64 "$anti" 2000; done
    "$B/gpu_msc_replica" bench 2 1024 64 0 2000 3 512
    "$B/gpu_msc_replica" bench 2 512 64 0 1000
    "$B/gpu_msc_replica" bench 2 1024 256 0 500
    for anti in 0 1; do "$B/gpu_msc_replica" bench 3 128 64 "$anti" 200; done
    "$B/gpu_msc_single" bench3 2048 40
    sec run_cli full
    CEASIM_G22=$C/sa/G22 bash "$root/tests/gpu/run_cli.sh" "$B/ceasim" "" full 2>&1
    rm -rf "$T" ;;
  *)
    echo "usage: gpu_verify.sh pack CPU_BUILD CUDA_BUILD ISING_GPU_DIR CARRY | run CARRY" >&2
    exit 2 ;;
esac
