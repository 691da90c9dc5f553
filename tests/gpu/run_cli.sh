#!/bin/bash
# The GPU kernels behind the commands (--device gpu): every check is bitwise
# against the CPU run of the same kernel on the same Philox counters.
#   - run: msc-single and msc-replica64/256 and -anti, 2D and 3D, CPU vs GPU:
#     the HDF5 files equal (h5dump, doubles at 17 digits) but for the attributes
#     command_line and device, the printed observables equal;
#   - sweep --device gpu (one rank, and two under mpirun when it works): every
#     task file equal to the CPU sweep's; a GPU sweep stopped by SIGINT and
#     resumed from its checkpoints equal to the unbroken one;
#   - with TEST_DIR: tests/gpu's kernel programs (gpu_msc_single, gpu_msc_replica
#     check);
#   - gpu_kernel_twins (from TEST_DIR, else beside CEASIM, as tests/gpu/carry.sh
#     packs it): the kernel table's GPU entries through the calls the runs above
#     do not make (a measurement without F, abs_m, get_spins);
#   - anneal --device gpu (sa, sb-discrete) against --device cpu: the files equal
#     but for the device, the command line and the timings;
#   - full: larger sizes, and bench --device gpu at L = 32768 (msc-single) and
#     1024 (msc-replica64, -anti), 3D 256 (msc-replica64) and 1024 (msc-single):
#     flips/ns beside the CPU's of the same kernel.
# Exit 77 (ctest's skip) when the machine has no CUDA device.
#
# usage: tests/gpu/run_cli.sh CEASIM [TEST_DIR] [full]
#   ctest runs it on a -DCEASIM_CUDA=ON build (tests/CMakeLists.txt); on the lent
#   GPU machine the build of tests/gpu/carry.sh runs it (see that script).
# Needs h5dump and python3 in PATH.
set -uo pipefail
CEASIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TEST_DIR=${2:-}
FULL=${3:-}
G22=${CEASIM_G22:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/gset/G22}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ceasim_gpu.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
fails=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fails=$((fails + 1)); }

probe=$("$CEASIM" run --device gpu --algo msc-single --L 128 --sweeps 64 --therm 0 --quiet 2>&1)
case $probe in
  *"no CUDA device"*) say "SKIP: $probe"; exit 77 ;;
  *"built without CUDA"*) say "FAIL: $probe"; exit 1 ;;
esac
say "device: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"

# A task file as text: doubles at 17 digits, without the file name line and the
# attributes that may differ (command_line, device), nor the datasets and
# attributes named in $2 ("a|b|...": an anneal file's timings).
h5text() {
  h5dump -m %.17g "$1" | tail -n +2 | SKIP="command_line|device${2:+|$2}" python3 -c '
import os, re, sys
skip = None
for line in sys.stdin:
    if skip is not None:
        if line.rstrip("\n") == skip + "}":
            skip = None
        continue
    m = re.match(r"^(\s*)(ATTRIBUTE|DATASET) \"(" + os.environ["SKIP"] + r")\" \{", line)
    if m:
        skip = m.group(1)
        continue
    sys.stdout.write(line)'
}
h5same() { # h5same A B LABEL [NAMES]
  if [ ! -s "$1" ] || [ ! -s "$2" ]; then bad "$3: missing file"; return; fi
  h5text "$1" "${4:-}" >"$1.txt"
  h5text "$2" "${4:-}" >"$2.txt"
  if cmp -s "$1.txt" "$2.txt"; then say "ok   $3: HDF5 equal"; else
    bad "$3: HDF5 differs"; diff "$1.txt" "$2.txt" | head -5; fi
}
# stdout without the lines that may differ: device, timing, the file written.
observables() { grep -v -e '^device: ' -e ' sweeps after ' -e '^wrote ' "$1"; }

runpair() { # runpair LABEL ARGS...: run on both devices, compare
  local label=$1
  shift
  mkdir -p "cpu_$label" "gpu_$label"
  local t0=$SECONDS
  "$CEASIM" run "$@" --quiet --out "cpu_$label/t.h5" >"cpu_$label/out" 2>"cpu_$label/err" ||
    { bad "$label: cpu run: $(cat "cpu_$label/err")"; return; }
  local t1=$SECONDS
  "$CEASIM" run "$@" --device gpu --quiet --out "gpu_$label/t.h5" >"gpu_$label/out" \
    2>"gpu_$label/err" || { bad "$label: gpu run: $(cat "gpu_$label/err")"; return; }
  h5same "cpu_$label/t.h5" "gpu_$label/t.h5" "$label ($((t1 - t0)) s cpu, $((SECONDS - t1)) s gpu)"
  if diff <(observables "cpu_$label/out") <(observables "gpu_$label/out") >/dev/null; then
    say "ok   $label: printed observables equal"
  else bad "$label: printed observables differ"; fi
}

common=(--beta 0.43 --sweeps 1000 --therm 100 --seed 7)
runpair single2d --model ising2d --L 256 --algo msc-single "${common[@]}"
runpair single2d_cold --model ising2d --L 128 --algo msc-single --init cold --beta 0.6 \
  --sweeps 640 --therm 0 --measure-every 5
runpair single3d --model ising3d --L 128 --algo msc-single --beta 0.22 --sweeps 200 \
  --therm 20 --seed 11
runpair r64_2d --model ising2d --L 64 --algo msc-replica64 "${common[@]}"
runpair r256_2d --model ising2d --L 32 --algo msc-replica256 "${common[@]}"
runpair r64a_2d --model ising2d --L 48 --algo msc-replica64-anti "${common[@]}"
runpair r256a_2d --model ising2d --L 16 --algo msc-replica256-anti "${common[@]}"
common3=(--beta 0.22 --sweeps 500 --therm 50 --seed 3)
runpair r64_3d --model ising3d --L 16 --algo msc-replica64 "${common3[@]}"
runpair r256_3d --model ising3d --L 8 --algo msc-replica256 "${common3[@]}"
runpair r64a_3d --model ising3d --L 12 --algo msc-replica64-anti "${common3[@]}"
runpair r256a_3d --model ising3d --L 10 --algo msc-replica256-anti "${common3[@]}"
if [ "$FULL" = full ]; then
  runpair single2d_big --model ising2d --L 2048 --algo msc-single --sweeps 400 --therm 40 \
    --measure-every 4
  runpair r64a_2d_big --model ising2d --L 512 --algo msc-replica64-anti --sweeps 400 \
    --therm 40 --measure-every 4
  runpair r256_3d_big --model ising3d --L 64 --algo msc-replica256 --sweeps 200 --therm 20 \
    --measure-every 2
  # Measured every sweep: the replica meter's counts on the card, not the state.
  runpair r64_2d_meas --model ising2d --L 1024 --algo msc-replica64 --sweeps 400 --therm 0 \
    --measure-every 1
fi

# anneal --device gpu against --device cpu (src/anneal/gpu.c): the files equal but
# for the device, the command line and the timings.
annealpair() { # annealpair LABEL ARGS...
  local label=$1
  shift
  local t0=$SECONDS
  "$CEASIM" anneal "$@" --quiet --out "an_cpu_$label.h5" >"an_cpu_$label.out" 2>&1 ||
    { bad "$label: cpu anneal: $(tail -1 "an_cpu_$label.out")"; return; }
  local t1=$SECONDS
  "$CEASIM" anneal "$@" --device gpu --quiet --out "an_gpu_$label.h5" >"an_gpu_$label.out" 2>&1 ||
    { bad "$label: gpu anneal: $(tail -1 "an_gpu_$label.out")"; return; }
  h5same "an_cpu_$label.h5" "an_gpu_$label.h5" \
    "anneal $label ($((t1 - t0)) s cpu, $((SECONDS - t1)) s gpu)" \
    "seconds|cpu_seconds|tts99_seconds|seconds_to_target"
}
# Couplings with fields: a mapped attention head's value fields, ±1 on ±1.
"$CEASIM" map --synthetic --tokens 500 --d-k 32 --seed 3 --fields value --out head_h.h5 >/dev/null
awk 'BEGIN {srand(7); print "n 300"; for (i = 0; i < 300; i++) {
       print "h", i, rand() < 0.5 ? -1 : 1
       for (j = i + 1; j < 300; j++) print i, j, rand() < 0.5 ? -1 : 1 } }' >pmh.txt
# sb-discrete's float readout (ceas_gpu_sb_dense_real_run): real couplings (SK
# Gaussian, a mapped attention head), fields (the head's value fields; ±1 on ±1
# couplings), a target and a trace (also of ±1 couplings, dense and G-set-like).
sbc=(--method sb-discrete --seed 5)
annealpair sb_skgauss --model sk --n 1000 --bonds gauss --reads 16 --sweeps 300 "${sbc[@]}"
annealpair sb_head_h --couplings head_h.h5 --reads 16 --sweeps 300 "${sbc[@]}"
annealpair sb_pmh --couplings pmh.txt --reads 16 --sweeps 300 "${sbc[@]}"
annealpair sb_skgauss_tt --model sk --n 1000 --bonds gauss --reads 16 --sweeps 300 \
  --target -745 --trace-every 7 "${sbc[@]}"
annealpair sb_skpm_tt --model sk --n 1000 --reads 16 --sweeps 300 --target -758 \
  --trace-every 10 "${sbc[@]}"
annealpair sb_ea_tt --model ea3d --L 8 --dense no --reads 16 --sweeps 300 --target -884 \
  --trace-every 30 "${sbc[@]}"
if [ "$FULL" = full ]; then
  "$CEASIM" map --synthetic --tokens 2000 --d-k 64 --seed 3 --out head.h5 >/dev/null
  annealpair sb_head --couplings head.h5 --reads 64 --sweeps 1000 "${sbc[@]}"
  annealpair sb_skgauss_big --model sk --n 2000 --bonds gauss --reads 64 --sweeps 1000 "${sbc[@]}"
fi

# sa (ceas_gpu_sa_dense_run, _real_run): random order, sync updates, fields (the
# head's; ±1 on ±1 couplings), running targets and traces, ±1 (dense and the
# CPU's sparse rows), Gaussian couplings; G22's time to target (CEASIM_G22: the
# G-set file, default ../shared/gset/G22 beside the repository).
sac=(--method sa --seed 5)
annealpair sa_skpm_rt --model sk --n 1000 --reads 16 --sweeps 300 --order random \
  --target -755 --trace-every 10 "${sac[@]}"
annealpair sa_skpm_sync --model sk --n 500 --reads 8 --sweeps 200 --update sync \
  --trace-every 5 "${sac[@]}"
annealpair sa_skgauss_rt --model sk --n 500 --bonds gauss --reads 8 --sweeps 300 \
  --order random --target -372 --trace-every 10 "${sac[@]}"
annealpair sa_skgauss_sync --model sk --n 300 --bonds gauss --reads 8 --sweeps 300 \
  --update sync "${sac[@]}"
annealpair sa_head_h --couplings head_h.h5 --reads 16 --sweeps 600 --target -59900 \
  --trace-every 25 "${sac[@]}"
annealpair sa_pmh --couplings pmh.txt --reads 16 --sweeps 300 --order random "${sac[@]}"
annealpair sa_ea_tt --model ea3d --L 8 --dense no --kernel fields --reads 16 --sweeps 300 \
  --target -880 --trace-every 30 "${sac[@]}"
"$CEASIM" anneal --model sk --n 500 --field-noise 0.1 --device gpu >/dev/null 2>err
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ]; then say "ok   refused: $(cat err)"; else
  bad "anneal --field-noise --device gpu: exit $rc, $(cat err)"; fi
if [ -f "$G22" ]; then
  annealpair sa_g22_tt --gset "$G22" --reads 16 --sweeps 10000 --target-cut 13359 \
    --trace-every 100 --method sa --seed 7
  annealpair sb_g22_tt --gset "$G22" --reads 64 --sweeps 1000 --target-cut 13350 \
    --trace-every 50 "${sbc[@]}"
  if [ "$FULL" = full ]; then
    "$CEASIM" anneal --gset "$G22" --reads 1024 --sweeps 10000 --target-cut 13359 \
      --method sa --seed 7 --device gpu --quiet | grep -E "spin update|target"
  fi
else say "note: no G22 at $G22 (CEASIM_G22): its time to target was not run"; fi

# Errors: one line, exit 2.
for args in "--algo metropolis" "--algo wolff --model ising3d --L 8" \
  "--algo msc-single --L 128 --gpu 1023"; do
  # shellcheck disable=SC2086
  "$CEASIM" run --device gpu $args --sweeps 100 >/dev/null 2>err
  rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ]; then say "ok   refused: $(cat err)"; else
    bad "run --device gpu $args: exit $rc, $(cat err)"; fi
done

# Sweeps: the CPU's, the GPU's (one rank; two under mpirun where it runs).
sweep=(--model ising2d --L 128,256 --beta 0.42:0.46:2 --algo msc-single --sweeps 10000
  --therm 500 --measure-every 10 --seed 5 --no-analysis --quiet)
t0=$SECONDS
"$CEASIM" sweep "${sweep[@]}" --out sw_cpu >sw_cpu.out 2>&1 || bad "cpu sweep: $(tail -2 sw_cpu.out)"
t1=$SECONDS
"$CEASIM" sweep "${sweep[@]}" --device gpu --out sw_gpu >sw_gpu.out 2>&1 ||
  bad "gpu sweep: $(tail -2 sw_gpu.out)"
say "     sweep: $((t1 - t0)) s cpu, $((SECONDS - t1)) s gpu"
for f in sw_cpu/tasks/*.h5; do
  [ -e "$f" ] || { bad "cpu sweep wrote no task files"; break; }
  h5same "$f" "sw_gpu/tasks/$(basename "$f")" "sweep $(basename "$f")"
done
if command -v mpirun >/dev/null; then
  if mpirun --allow-run-as-root --oversubscribe -np 2 "$CEASIM" sweep "${sweep[@]}" \
    --device gpu --out sw_mpi >sw_mpi.out 2>&1; then
    for f in sw_cpu/tasks/*.h5; do
      h5same "$f" "sw_mpi/tasks/$(basename "$f")" "2-rank sweep $(basename "$f")"
    done
  else say "note: mpirun -np 2 failed here: $(tail -3 sw_mpi.out | tr '\n' ' ')"; fi
else say "note: no mpirun here: the 2-rank sweep was not run"; fi

# A GPU sweep stopped by SIGINT (checkpoints) and run again to the end equals the
# unbroken GPU sweep (itself the CPU's, above).
long=(--model ising2d --L 1024 --beta 0.43,0.45 --algo msc-single --sweeps 60000 --therm 1000
  --measure-every 100 --seed 9 --no-analysis --quiet --device gpu)
t0=$SECONDS
"$CEASIM" sweep "${long[@]}" --out sl_all >sl_all.out 2>&1 || bad "gpu sweep: $(tail -2 sl_all.out)"
"$CEASIM" sweep "${long[@]}" --out sl_stop >sl_stop.out 2>&1 &
pid=$!
sleep $(((SECONDS - t0 + 1) / 2))
kill -INT "$pid" 2>/dev/null
wait "$pid"
ckpts=$(find sl_stop/checkpoints -type f 2>/dev/null | wc -l)
done_before=$(find sl_stop/tasks -name '*.h5' 2>/dev/null | wc -l)
"$CEASIM" sweep "${long[@]}" --out sl_stop >sl_stop2.out 2>&1 ||
  bad "resumed gpu sweep: $(tail -2 sl_stop2.out)"
say "     stopped at half time: $done_before task(s) done, $ckpts checkpoint(s)"
for f in sl_all/tasks/*.h5; do
  h5same "$f" "sl_stop/tasks/$(basename "$f")" "stopped+resumed sweep $(basename "$f")"
done

if [ -n "$TEST_DIR" ]; then
  for prog in gpu_msc_single gpu_msc_replica; do
    if "$TEST_DIR/$prog" check >"$prog.out" 2>&1; then say "ok   $prog check: $(tail -1 "$prog.out")"
    else bad "$prog check: $(tail -3 "$prog.out")"; fi
  done
fi
twins=${TEST_DIR:-$(dirname "$CEASIM")}/gpu_kernel_twins
if [ -x "$twins" ]; then
  if "$twins" >twins.out 2>&1; then say "ok   gpu_kernel_twins: $(tail -1 twins.out)"
  else bad "gpu_kernel_twins: $(grep -v '^ok' twins.out | tail -5)"; fi
else say "note: no $twins: the kernel table's GPU entries were not checked beyond the runs"; fi

if [ "$FULL" = full ]; then
  "$CEASIM" bench --device gpu --algo msc-single --L 32768 --seconds 1
  "$CEASIM" bench --device gpu --algo msc-replica64,msc-replica64-anti --L 1024 --seconds 1
  "$CEASIM" bench --device gpu --model ising3d --algo msc-replica64 --L 256 --seconds 1
  "$CEASIM" bench --device gpu --model ising3d --algo msc-single --L 1024 --seconds 1
fi

say "$fails failure(s)"
[ "$fails" -eq 0 ]
