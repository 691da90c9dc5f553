#!/bin/bash
# The GPU annealer (src/gpu/sa_dense.cu, sb_dense.cu) against ceasim's CPU sa and
# sb-discrete, bit for bit, and its timings.
# Step 1, on a machine with the full ceasim build (BUILD holds libceasim.a): build
# tests/gpu/sa_dense_ref.c and write the CPU reference files into DIR (G22 from
# GSET_DIR, default ../shared/gset, copied there too):
#   tests/gpu/run_sa.sh ref BUILD DIR
# Step 2, on the GPU machine (carry DIR and Random123): check every DIR/*.bin and
# time BENCH_READS reads of each:
#   tests/gpu/run_sa.sh gpu DIR [GPU_BUILD_DIR] [BENCH_READS]
# Step 3 (optional, same machine): the CPU path on all its cores, from a
# sa_dense_ref binary and its shared libraries packed in DIR/cpu.tar.xz:
#   tests/gpu/run_sa.sh cpu DIR [SWEEPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
case "${1:-}" in
  ref)
    inc=$(for d in "$root"/src/*/; do printf ' -I%s' "$d"; done)
    # shellcheck disable=SC2086
    gcc -O2 -std=c11 -Wall -Wextra -Werror $inc -I"$2/generated" "$root/tests/gpu/sa_dense_ref.c" \
      "$2/libceasim.a" -L/usr/lib/x86_64-linux-gnu/hdf5/openmpi -lhdf5 -lgsl -lgslcblas -linih \
      -lmpi -lz -lcurl -lcrypto -lcjson -lm -o "$2/sa_dense_ref"
    mkdir -p "$3"
    cp "${GSET_DIR:-$root/../shared/gset}/G22" "$3/G22"
    r="$2/sa_dense_ref"
    "$r" sa sk-pm:2000:1 1000 7 16 "$3/sa_skpm.bin"
    "$r" sa k2000:2 1000 7 16 "$3/sa_k2000.bin"
    "$r" sa sk-gauss:2000:1 1000 7 16 "$3/sa_skgauss.bin"
    "$r" sb-discrete sk-pm:2000:1 1000 7 16 "$3/sb_skpm.bin"
    "$r" sb-discrete k2000:2 1000 7 16 "$3/sb_k2000.bin"
    "$r" sa "gset:$3/G22" 10000 7 8 "$3/sa_g22.bin" 13359 ;;
  gpu)
    build=${3:-$root/build-cuda-gpu}
    cmake -S "$root/src/gpu" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCEASIM_WERROR=ON \
      ${RANDOM123_INCLUDE_DIR:+-DRANDOM123_INCLUDE_DIR=$RANDOM123_INCLUDE_DIR} >/dev/null
    cmake --build "$build" -j "$(nproc)" --target gpu_sa_dense >/dev/null
    rc=0
    for f in "$2"/*.bin; do
      echo "== $f"
      "$build/gpu_sa_dense" "$f" "${4:-1024}" || rc=1
    done
    exit $rc ;;
  cpu)
    tmp=$(mktemp -d)
    tar -C "$tmp" -xJf "$2/cpu.tar.xz"
    export LD_LIBRARY_PATH=$tmp/lib
    s=${3:-1000}
    for inst in sa:sk-pm:2000:1 sa:k2000:2 sb-discrete:sk-pm:2000:1 sb-discrete:k2000:2; do
      m=${inst%%:*}
      echo "== cpu $m ${inst#*:}, one core, then $(nproc) processes of 4 reads"
      "$tmp/lib/sa_dense_ref" "$m" "${inst#*:}" "$s" 7 4 -
      t0=$(date +%s.%N)
      for p in $(seq "$(nproc)"); do "$tmp/lib/sa_dense_ref" "$m" "${inst#*:}" "$s" "$p" 4 - >/dev/null & done
      wait
      t1=$(date +%s.%N)
      python3 -c "import sys; t=$t1-$t0; u=$(nproc)*4*$s*2000; print(f'all cores: {t:.3f} s, {t*1e9/u:.4f} ns per spin update')"
    done
    rm -rf "$tmp" ;;
  *) echo "usage: run_sa.sh ref BUILD DIR | gpu DIR [BUILD] [BENCH_READS] | cpu DIR [SWEEPS]" >&2; exit 2 ;;
esac
