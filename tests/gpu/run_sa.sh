#!/bin/bash
# GPU sa on dense couplings (src/gpu/sa_dense.cu) against ceasim's CPU sa.
# Step 1, on a machine with the full ceasim build (BUILD holds libceasim.a): write
# the CPU reference file (SK N = 2000 pm, instance seed 1, 1000 sweeps, seed 7):
#   tests/gpu/run_sa.sh ref BUILD OUT.bin [READS]
# Step 2, on the GPU machine (carry OUT.bin and Random123): check and time:
#   tests/gpu/run_sa.sh gpu OUT.bin [GPU_BUILD_DIR] [BENCH_READS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
case "${1:-}" in
  ref)
    inc=$(for d in "$root"/src/*/; do printf ' -I%s' "$d"; done)
    # shellcheck disable=SC2086
    gcc -O2 -std=c11 -Wall -Wextra -Werror $inc -I"$2/generated" "$root/tests/gpu/sa_dense_ref.c" \
      "$2/libceasim.a" -L/usr/lib/x86_64-linux-gnu/hdf5/openmpi -lhdf5 -lgsl -lgslcblas -linih \
      -lmpi -lz -lcurl -lcrypto -lcjson -lm -o "$2/sa_dense_ref"
    "$2/sa_dense_ref" 2000 1 1000 7 "${4:-16}" "$3" ;;
  gpu)
    build=${3:-$root/build-cuda-gpu}
    cmake -S "$root/src/gpu" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCEASIM_WERROR=ON \
      ${RANDOM123_INCLUDE_DIR:+-DRANDOM123_INCLUDE_DIR=$RANDOM123_INCLUDE_DIR} >/dev/null
    cmake --build "$build" -j "$(nproc)" --target gpu_sa_dense >/dev/null
    for t in 128 64 256; do "$build/gpu_sa_dense" "$2" "${4:-1024}" $t; done ;;
  *) echo "usage: run_sa.sh ref BUILD OUT.bin [READS] | gpu OUT.bin [BUILD] [BENCH_READS]" >&2; exit 2 ;;
esac
