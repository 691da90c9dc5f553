#!/usr/bin/env bash
# sk_finite_size: the finite-size amplitude A of the disorder-averaged SK ground-state
# energy per spin, e0(N) = e_inf + A N^(-2/3) (e_inf = -0.76317, Parisi; omega = 2/3,
# Boettcher 2005), measured with `ceasim anneal` on ±1/sqrt(N) instances:
#  - N <= 24: exact ground states by enumeration (`--exact`, attribute exact_e0);
#  - larger N: the best energy of many short `sa` reads (READS x SWEEPS);
#  - the ground-state check: CHECK_M instances of each CHECK_SIZES size rerun with
#    twice the reads and twice the sweeps (other read seeds); the instance averages
#    must not move beyond their error bars. Every sa instance whose lowest state was
#    reached by fewer than LOW_HITS reads is rerun the same way (the likeliest misses);
#    an instance's energy is the lowest of its runs;
#  - the sa/exact cross-check: the sa settings on SA_EXACT_M exact instances of each
#    SA_EXACT_SIZES size must reproduce exact_e0.
# experiments/sk_finite_size.py turns the runs into OUT/results.md (table per N, fits
# with e_inf fixed and free over several N_min, the checks) and OUT/sk_finite_size.png.
#
# Instances: M per size, instance seed N*1000000 + m (m = 1..M). The SK generator
# draws bond (i, j) from a counter that does not contain N, so equal seeds at two
# sizes would give nested, correlated instances; disjoint seeds keep the sizes
# independent, as the weighted fits assume.
#
# Usage: experiments/sk_finite_size.sh          (~700 CPU seconds: ~6 min on 2 idle cores)
#        QUICK=1 experiments/sk_finite_size.sh  (smoke test, < 1 min)
# Environment (defaults in brackets; lists space- or comma-separated):
#   CEASIM [build/ceasim]  PYTHON [/usr/bin/python3]  JOBS [2] runs at a time
#   OUT [experiments/out/sk_finite_size, or ..._quick with QUICK=1]
#   EXACT_SIZES [12 16 20 24]  EXACT_M [400]  instances per exact size
#   SA_SIZES [32 48 64 96 128 192 256]  SA_M [200]  instances per sa size
#   READS [256]  SWEEPS [500]  SEED [1] of the sa reads (the check uses SEED + 1)
#   CHECK_SIZES [128 256]  CHECK_M [50]  LOW_HITS [16]
#   SA_EXACT_SIZES [24]  SA_EXACT_M [100]
#   NMIN [12 16 20 24 32 48 64] smallest N of the fits (24 and 32 are the headline)
# Finished runs are kept: rerunning skips them; runs with other READS/SWEEPS go to
# other directories. Delete OUT (or a file) to redo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ceasim=${CEASIM:-$root/build/ceasim}
python=${PYTHON:-/usr/bin/python3}
[ -x "$ceasim" ] && [ -f "$ceasim" ] || { echo "sk_finite_size.sh: $ceasim: not an executable file: build it (cmake --build build --target ceasim) or set CEASIM" >&2; exit 2; }
ceasim=$(cd "$(dirname "$ceasim")" && pwd)/$(basename "$ceasim")  # the xargs children may not share the cwd
"$python" -c 'import h5py, numpy, scipy, matplotlib' 2>/dev/null || { echo "sk_finite_size.sh: $python lacks h5py/numpy/scipy/matplotlib: install python3-h5py python3-numpy python3-scipy python3-matplotlib or set PYTHON" >&2; exit 2; }

if [ "${QUICK:-0}" = 1 ]; then
  OUT=${OUT:-$root/experiments/out/sk_finite_size_quick}
  EXACT_SIZES=${EXACT_SIZES-12 16 20 24}
  EXACT_M=${EXACT_M:-30}
  SA_SIZES=${SA_SIZES-32 48 64}
  SA_M=${SA_M:-30}
  READS=${READS:-64}
  SWEEPS=${SWEEPS:-200}
  CHECK_SIZES=${CHECK_SIZES-64}
  CHECK_M=${CHECK_M:-10}
  SA_EXACT_SIZES=${SA_EXACT_SIZES-24}
  SA_EXACT_M=${SA_EXACT_M:-10}
else
  OUT=${OUT:-$root/experiments/out/sk_finite_size}
  EXACT_SIZES=${EXACT_SIZES-12 16 20 24}
  EXACT_M=${EXACT_M:-400}
  SA_SIZES=${SA_SIZES-32 48 64 96 128 192 256}
  SA_M=${SA_M:-200}
  READS=${READS:-256}
  SWEEPS=${SWEEPS:-500}
  CHECK_SIZES=${CHECK_SIZES-128 256}
  CHECK_M=${CHECK_M:-50}
  SA_EXACT_SIZES=${SA_EXACT_SIZES-24}
  SA_EXACT_M=${SA_EXACT_M:-100}
fi
JOBS=${JOBS:-2}
SEED=${SEED:-1}
NMIN=${NMIN:-12 16 20 24 32 48 64}
LOW_HITS=${LOW_HITS:-16}
list() { echo "$1" | tr ',' ' '; }
posint() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "sk_finite_size.sh: $1='$2': expected a positive integer" >&2; exit 2; }; }
for v in EXACT_M SA_M READS SWEEPS CHECK_M SA_EXACT_M JOBS SEED LOW_HITS; do posint "$v" "${!v}"; done
for n in $(list "$EXACT_SIZES"); do
  posint EXACT_SIZES "$n"
  { [ "$n" -ge 2 ] && [ "$n" -le 24 ]; } || { echo "sk_finite_size.sh: EXACT_SIZES entry $n: expected 2 <= N <= 24 (enumeration)" >&2; exit 2; }
done
for n in $(list "$SA_SIZES") $(list "$CHECK_SIZES") $(list "$SA_EXACT_SIZES") $(list "$NMIN"); do posint "sizes" "$n"; done
for n in $(list "$CHECK_SIZES"); do
  [[ " $(list "$SA_SIZES") " == *" $n "* ]] || { echo "sk_finite_size.sh: CHECK_SIZES entry $n: expected one of SA_SIZES ($SA_SIZES)" >&2; exit 2; }
done
for n in $(list "$SA_EXACT_SIZES"); do
  [[ " $(list "$EXACT_SIZES") " == *" $n "* ]] || { echo "sk_finite_size.sh: SA_EXACT_SIZES entry $n: expected one of EXACT_SIZES ($EXACT_SIZES)" >&2; exit 2; }
done
[ -n "$(list "$EXACT_SIZES")$(list "$SA_SIZES")" ] || { echo "sk_finite_size.sh: EXACT_SIZES and SA_SIZES are both empty" >&2; exit 2; }

mkdir -p "$OUT/runs"
OUT=$(cd "$OUT" && pwd)
# timing.txt: "phase wall-seconds runs load1-start load1-end", one line per phase,
# replaced only when the phase ran something (a rerun that skips everything keeps the
# numbers of the run that did the work).
timing="$OUT/timing.txt"
touch "$timing"
load1() { cut -d' ' -f1 /proc/loadavg; }
stamp() { # phase seconds runs load1-start
  echo "sk_finite_size: $1: $3 runs in $2 s" >&2
  if [ "$3" -gt 0 ] || ! grep -q "^$1 " "$timing"; then
    { grep -v "^$1 " "$timing" || true; echo "$1 $2 $3 $4 $(load1)"; } >"$timing.tmp"
    mv "$timing.tmp" "$timing"
  fi
}

# Run directories name their settings, so a rerun with other READS/SWEEPS never
# mixes old files in: exact/, sa_r<R>_s<S>_seed<K>/.
sa_dir="sa_r${READS}_s${SWEEPS}_seed${SEED}"
check_dir="sa_r$((2 * READS))_s$((2 * SWEEPS))_seed$((SEED + 1))"
iseed() { echo $(($1 * 1000000 + $2)); }

# One line per missing run: "cost N dir instance-seed reads sweeps read-seed" (dir
# "exact" = enumeration); cost orders the queue, largest first.
job_line() { # N instance-seed dir reads sweeps seed
  local n=$1 is=$2 d=$3 r=$4 s=$5 sd=$6
  [ -e "$OUT/runs/N$n/$d/$is.h5" ] && return 0
  if [ "$d" = exact ]; then echo "$((1 << n)) $n $d $is 1 1 1"
  else echo "$((n * r * s)) $n $d $is $r $s $sd"; fi
}
job_lines() { # N M dir reads sweeps seed: instances m = 1..M
  local n=$1 m=$2 i
  shift 2
  for ((i = 1; i <= m; i++)); do job_line "$n" "$(iseed "$n" "$i")" "$@"; done
}
run_one() { # cost N dir instance-seed reads sweeps read-seed
  local n=$2 d=$3 is=$4 r=$5 s=$6 sd=$7
  local f="$OUT/runs/N$n/$d/$is.h5"
  mkdir -p "$(dirname "$f")"
  local cmd=("$ceasim" anneal --model sk --n "$n" --instance-seed "$is" --sweeps "$s"
             --reads "$r" --seed "$sd" --quiet --out "$f")
  [ "$d" = exact ] && cmd+=(--exact)
  "${cmd[@]}" >"${f%.h5}.log" 2>&1 || { echo "sk_finite_size: failed: ${cmd[*]}" >&2; cat "${f%.h5}.log" >&2; return 1; }
  rm -f "${f%.h5}.log"
}
export -f run_one
export ceasim OUT
run_jobs() { # phase name; job lines on stdin
  local t0=$SECONDS l0 lines count=0
  l0=$(load1)
  lines=$(sort -k1,1nr)
  if [ -n "$lines" ]; then
    count=$(echo "$lines" | wc -l)
    echo "$lines" | xargs -P "$JOBS" -L 1 bash -c 'run_one "$@"' _
  fi
  stamp "$1" $((SECONDS - t0)) "$count" "$l0"
}

for n in $(list "$EXACT_SIZES"); do job_lines "$n" "$EXACT_M" exact 1 1 1; done | run_jobs exact
{
  for n in $(list "$SA_SIZES"); do job_lines "$n" "$SA_M" "$sa_dir" "$READS" "$SWEEPS" "$SEED"; done
  for n in $(list "$SA_EXACT_SIZES"); do job_lines "$n" "$SA_EXACT_M" "$sa_dir" "$READS" "$SWEEPS" "$SEED"; done
} | run_jobs sa
analysis=("$python" "$here/sk_finite_size.py" "$OUT"
  --exact-sizes "$(list "$EXACT_SIZES")" --exact-m "$EXACT_M"
  --sa-sizes "$(list "$SA_SIZES")" --sa-m "$SA_M" --sa-dir "$sa_dir"
  --check-sizes "$(list "$CHECK_SIZES")" --check-m "$CHECK_M" --check-dir "$check_dir"
  --low-hits "$LOW_HITS"
  --sa-exact-sizes "$(list "$SA_EXACT_SIZES")" --sa-exact-m "$SA_EXACT_M"
  --nmin "$(list "$NMIN")" --jobs "$JOBS" --reads "$READS" --sweeps "$SWEEPS" --seed "$SEED")
# The check: a fixed subset (an unbiased estimate of the shift) and every instance
# whose lowest state fewer than LOW_HITS reads reached (the likeliest misses).
low=$("${analysis[@]}" --list-low-hits)
{
  for n in $(list "$CHECK_SIZES"); do
    job_lines "$n" "$CHECK_M" "$check_dir" "$((2 * READS))" "$((2 * SWEEPS))" "$((SEED + 1))"
  done
  while read -r n is; do
    [ -n "$n" ] && job_line "$n" "$is" "$check_dir" "$((2 * READS))" "$((2 * SWEEPS))" "$((SEED + 1))"
  done <<<"$low"
} | sort -u | run_jobs check
"${analysis[@]}"
echo "sk_finite_size: wrote $OUT/results.md and $OUT/sk_finite_size.png" >&2
