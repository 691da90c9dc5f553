#!/bin/bash
# The GPU annealer (src/gpu/sa_dense.cu, sb_dense.cu) against ceasim's CPU sa and
# sb-discrete, bit for bit, and its timings.
# Step 1, on a machine with the full ceasim build (BUILD holds libceasim.a): build
# tests/gpu/sa_dense_ref.c and write the CPU reference files into DIR (G22 from
# GSET_DIR, default ../shared/gset, copied there too):
#   tests/gpu/run_sa.sh ref BUILD DIR
# Step 2, on the GPU machine (carry DIR and Random123): check every DIR/*.bin and
# time BENCH_READS reads of each, for every THREADS:GROUP in CONFIGS:
#   [CONFIGS="256:4 256:8"] tests/gpu/run_sa.sh gpu DIR [GPU_BUILD_DIR] [BENCH_READS]
# Step 3 (optional, same machine): the CPU path on all its cores, from a
# sa_dense_ref binary and its shared libraries packed in DIR/cpu.tar.xz:
#   tests/gpu/run_sa.sh cpu DIR [SWEEPS]
# Step 4 (optional, same machine): `ceasim anneal --device cpu` and `--device gpu`
# (a -DCEASIM_CUDA=ON ceasim in DIR/cpu.tar.xz) on the same runs, their files
# packed into OUT.tar.xz; compare them where ceasim was built:
#   tests/gpu/run_sa.sh cli DIR OUT.tar.xz
#   tests/gpu/run_sa.sh compare OUT.tar.xz
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
    "$r" sb-discrete sk-gauss:2000:1 1000 7 16 "$3/sb_skgauss.bin"
    "$r" sa "gset:$3/G22" 10000 7 8 "$3/sa_g22.bin" 13359 trace=100
    # The options the GPU runs as the CPU does: random order (sites named twice
    # in a chunk), sync updates, running targets and traces, on ±1
    # (n = 500: padding words), Gaussian couplings and a mapped attention head
    # with fields (600 sweeps: two refreshes of the float fields).
    "$r" sa sk-pm:500:1 300 7 16 "$3/sa_skpm_random.bin" - random trace=10 target=-372
    "$r" sa sk-pm:500:2 300 7 16 "$3/sa_skpm_sync.bin" - sync trace=7 target=-372
    "$r" sa sk-gauss:300:1 300 7 16 "$3/sa_skgauss_random.bin" - random trace=10 target=-220
    "$r" sa sk-gauss:300:2 300 7 16 "$3/sa_skgauss_sync.bin" - sync target=-13.9
    "$2/ceasim" map --synthetic --tokens 300 --d-k 16 --seed 3 --normalize frobenius \
      --fields value --out "$3/head.h5" >/dev/null
    "$r" sa "couplings:$3/head.h5" 600 7 16 "$3/sa_head.bin" - trace=25 target=-425
    "$r" sa "couplings:$3/head.h5" 300 7 16 "$3/sa_head_random.bin" - random
    "$r" sa "couplings:$3/head.h5" 300 7 16 "$3/sa_head_sync.bin" - sync
    # sb-discrete's float readout with the head's fields, a target and a trace
    # (two refreshes), and on ±1 couplings (no refresh) for the target and trace.
    "$r" sb-discrete "couplings:$3/head.h5" 600 7 16 "$3/sb_head.bin" - trace=25 target=-429
    "$r" sb-discrete sk-pm:500:1 300 7 16 "$3/sb_skpm_tt.bin" - trace=10 target=-371
    "$r" sb-discrete "gset:$3/G22" 10000 7 8 "$3/sb_g22.bin" 13359 trace=100 ;;
  gpu)
    build=${3:-$root/build-cuda-gpu}
    cmake -S "$root/src/gpu" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCEASIM_WERROR=ON \
      ${RANDOM123_INCLUDE_DIR:+-DRANDOM123_INCLUDE_DIR=$RANDOM123_INCLUDE_DIR} >/dev/null
    cmake --build "$build" -j "$(nproc)" --target gpu_sa_dense >/dev/null
    rc=0
    for f in "$2"/*.bin; do
      for c in ${CONFIGS:-256:4}; do
        echo "== $f threads:group $c"
        "$build/gpu_sa_dense" "$f" "${4:-1024}" "${c%%:*}" "${c##*:}" || rc=1
      done
    done
    exit $rc ;;
  cpu)
    tmp=$(mktemp -d)
    tar -C "$tmp" -xJf "$2/cpu.tar.xz"
    export LD_LIBRARY_PATH=$tmp/lib
    s=${3:-1000}
    # METHOD:INSTANCE:SWEEPS; the CPU's ns per spin update on one core, then the
    # throughput of one process a core (wall time of all, instance set-up included).
    for job in sa:sk-pm:2000:1:$s sa:k2000:2:$s sa:sk-gauss:2000:1:$s sb-discrete:sk-pm:2000:1:$s \
               sb-discrete:k2000:2:$s sb-discrete:sk-gauss:2000:1:$s "sa:gset:$2/G22:$((10 * s))"; do
      m=${job%%:*} rest=${job#*:}
      inst=${rest%:*} sw=${rest##*:}
      echo "== cpu $m $inst $sw sweeps: one core, then $(nproc) processes of 4 reads"
      "$tmp/lib/sa_dense_ref" "$m" "$inst" "$sw" 7 4 -
      t0=$(date +%s.%N)
      for p in $(seq "$(nproc)"); do "$tmp/lib/sa_dense_ref" "$m" "$inst" "$sw" "$p" 4 - >/dev/null & done
      wait
      t1=$(date +%s.%N)
      python3 -c "t=$t1-$t0; u=$(nproc)*4*$sw*2000; print(f'all cores: {t:.3f} s, {t*1e9/u:.4f} ns per spin update, t_read {t/($(nproc)*4):.4e} s')"
    done
    rm -rf "$tmp" ;;
  cli)
    tmp=$(mktemp -d)
    tar -C "$tmp" -xJf "$2/cpu.tar.xz"
    export LD_LIBRARY_PATH=$tmp/lib
    mkdir "$tmp/h5"
    # sb-discrete's float readout: a mapped attention head (real couplings, no
    # field; then with the value fields) and ±1 couplings with ±1 fields.
    "$tmp/lib/ceasim" map --synthetic --tokens 2000 --d-k 64 --seed 3 --out "$tmp/head.h5" >/dev/null
    "$tmp/lib/ceasim" map --synthetic --tokens 2000 --d-k 64 --seed 3 --fields value \
      --out "$tmp/head_h.h5" >/dev/null
    awk 'BEGIN {srand(7); print "n 1000"; for (i = 0; i < 1000; i++) {
           print "h", i, rand() < 0.5 ? -1 : 1
           for (j = i + 1; j < 1000; j++) print i, j, rand() < 0.5 ? -1 : 1 } }' >"$tmp/pmh.txt"
    while read -r name args; do
      for d in cpu gpu; do
        echo "== ceasim anneal $args --device $d"
        # shellcheck disable=SC2086
        "$tmp/lib/ceasim" anneal $args --device $d --quiet --out "$tmp/h5/${name}_$d.h5" | \
          grep -E "ns per spin update|best E"
      done
    done <<EOT
sa_skpm --model sk --n 2000 --method sa --reads 64 --sweeps 1000 --seed 5
sa_skgauss --model sk --n 1000 --bonds gauss --method sa --reads 16 --sweeps 300 --seed 5
sb_skpm --model sk --n 2000 --method sb-discrete --reads 64 --sweeps 1000 --seed 5
sb_skgauss --model sk --n 2000 --bonds gauss --method sb-discrete --reads 64 --sweeps 1000 --seed 5
sb_head --couplings $tmp/head.h5 --method sb-discrete --reads 64 --sweeps 1000 --seed 5
sb_head_h --couplings $tmp/head_h.h5 --method sb-discrete --reads 64 --sweeps 1000 --seed 5
sb_pmh --couplings $tmp/pmh.txt --method sb-discrete --reads 32 --sweeps 500 --seed 5
sb_skgauss_tt --model sk --n 1000 --bonds gauss --method sb-discrete --reads 16 --sweeps 300 --seed 5 --target -745 --trace-every 7
sb_skpm_tt --model sk --n 1000 --method sb-discrete --reads 16 --sweeps 300 --seed 5 --target -758 --trace-every 10
sb_g22_tt --gset $2/G22 --method sb-discrete --reads 64 --sweeps 1000 --seed 5 --target-cut 13350 --trace-every 50
sa_g22 --gset $2/G22 --method sa --reads 32 --sweeps 2000 --seed 5
EOT
    tar -C "$tmp" -cJf "$3" h5
    rm -rf "$tmp" ;;
  compare)
    # Every dataset and attribute equal but the timings, the command line and the
    # device (h5dump's text, those lines dropped).
    tmp=$(mktemp -d)
    tar -C "$tmp" -xJf "$2"
    rc=0
    for c in "$tmp"/h5/*_cpu.h5; do
      g=${c%_cpu.h5}_gpu.h5
      strip() {
        h5dump "$1" | awk '/(DATASET|ATTRIBUTE) "(seconds|seconds_to_target|command_line|device|tts99_seconds|cpu_seconds)"/ {skip = 1; d = 0}
          skip {d += gsub(/{/, "{") - gsub(/}/, "}"); if (d <= 0) skip = 0; next} 1' | grep -v '^HDF5'
      }
      if diff <(strip "$c") <(strip "$g") >/dev/null; then
        echo "$(basename "${c%_cpu.h5}"): gpu file equals the cpu file but for timings and device"
      else
        echo "$(basename "${c%_cpu.h5}"): DIFFERENT"; diff <(strip "$c") <(strip "$g") | head -20; rc=1
      fi
      h5dump -a device "$g" | grep -A1 DATA | tail -1
    done
    rm -rf "$tmp"
    exit $rc ;;
  *) echo "usage: run_sa.sh ref BUILD DIR | gpu DIR [BUILD] [BENCH_READS] | cpu DIR [SWEEPS] | cli DIR OUT.tar.xz | compare OUT.tar.xz" >&2; exit 2 ;;
esac
