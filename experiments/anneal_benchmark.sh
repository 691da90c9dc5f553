#!/usr/bin/env bash
# anneal_benchmark: every `ceasim anneal` method on the same instances and read seeds
# (issue 7), at
#  (a) equal spin-update budgets: a ladder of B "sweep equivalents" per read, i.e.
#      B*N spin updates: sa / ceas sweeps = B, sb / analog time steps = B, pt sweeps
#      per walker = B / PT_M (PT_M walkers);
#  (b) equal time: T = T_PER_SPIN * N seconds of CPU time per read for every method,
#      the sweep counts taken from each method's measured CPU cost per spin update in
#      the largest run of (a) on the same instance (the calibration run);
#  (c) the speed reference of the issue: dense SK N = 1000, 10 reads x 10^4 sweeps,
#      sa and sb, against neal's 33 s.
# The analysis (residual energy vs time, success probability, TTS99, tables and
# plots) is experiments/anneal_benchmark.py; it writes OUT/results.md, OUT/*.png and
# OUT/results.csv. Nothing tracked is touched unless --update-docs (or UPDATE_DOCS=1)
# is given: then results.md replaces docs/anneal_benchmark_results.md (keeping its
# hand-written findings block) and the plots go to docs/img/.
#
# Usage: experiments/anneal_benchmark.sh [--update-docs]
#                                                 (~560 CPU seconds: ~5 min on 2 idle cores,
#                                                  26 min measured at load average 5-10)
#        QUICK=1 experiments/anneal_benchmark.sh  (smoke test, about a minute)
# Environment (defaults in brackets; lists space- or comma-separated):
#   CEASIM [build/ceasim]  PYTHON [/usr/bin/python3]  JOBS [2] runs at a time
#   OUT [build/anneal_benchmark, or ..._quick with QUICK=1: ignored by git]
#   INSTANCES [sk:1000:1 sk:1000:2 sk:1000:3 sk:2000:1 ea2d:32:1 ea2d:32:2 ea2d:64:1
#              ea3d:8:1 ea3d:8:2 ea3d:12:1]  (model:size:instance-seed; set but empty:
#              none, e.g. INSTANCES= GSET_DIR=... for the G-set graphs alone)
#   GSET_DIR [experiments/gset]: every G-set file there (G<k>, G<k>.txt, ...) is added
#   METHODS [sa ceas pt sb-ballistic sb-discrete analog]  SEED [1] of the reads
#   READS [8]  BUDGETS_SK [100 1000 3000]  BUDGETS_EA [100 1000 10000]
#   BUDGETS_GSET [100 1000 3000]  T_PER_SPIN [0.0003] CPU seconds per spin and read
#   PT_M [16] walkers  PT_NP [1] MPI ranks of pt (>1 runs it alone under mpirun);
#   pt spends its budget of S sweeps per walker as 4 ladder-tuning rounds of
#   max(1, S/8) sweeps and the rest measured (the anneal default tunes 4 x 1000)
#   SPEED_SEEDS [1 2 3]  SPEED_READS [10]  SPEED_SWEEPS [10000] (empty SPEED_SEEDS skips)
#   UPDATE_DOCS [0]: 1 is --update-docs
# Finished runs are kept: rerunning skips them; delete OUT (or a file) to redo.
set -euo pipefail
UPDATE_DOCS=${UPDATE_DOCS:-0}
for arg in "$@"; do
  case "$arg" in
    --update-docs) UPDATE_DOCS=1 ;;
    *) echo "anneal_benchmark.sh: unknown argument '$arg' (only --update-docs)" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
ceasim=${CEASIM:-$root/build/ceasim}
python=${PYTHON:-/usr/bin/python3}
[ -x "$ceasim" ] || { echo "anneal_benchmark.sh: $ceasim not found: build it (cmake --build build) or set CEASIM" >&2; exit 2; }

if [ "${QUICK:-0}" = 1 ]; then
  OUT=${OUT:-$root/build/anneal_benchmark_quick}
  INSTANCES=${INSTANCES-sk:1000:1 ea2d:32:1 ea3d:8:1}
  READS=${READS:-3}
  BUDGETS_SK=${BUDGETS_SK:-20 200}
  BUDGETS_EA=${BUDGETS_EA:-20 200}
  BUDGETS_GSET=${BUDGETS_GSET:-20 200}
  T_PER_SPIN=${T_PER_SPIN:-0.00002}
  SPEED_SEEDS=${SPEED_SEEDS-1}
  SPEED_READS=${SPEED_READS:-2}
  SPEED_SWEEPS=${SPEED_SWEEPS:-1000}
else
  OUT=${OUT:-$root/build/anneal_benchmark}
  INSTANCES=${INSTANCES-sk:1000:1 sk:1000:2 sk:1000:3 sk:2000:1 ea2d:32:1 ea2d:32:2 ea2d:64:1 ea3d:8:1 ea3d:8:2 ea3d:12:1}
  READS=${READS:-8}
  BUDGETS_SK=${BUDGETS_SK:-100 1000 3000}
  BUDGETS_EA=${BUDGETS_EA:-100 1000 10000}
  BUDGETS_GSET=${BUDGETS_GSET:-100 1000 3000}
  T_PER_SPIN=${T_PER_SPIN:-0.0003}
  SPEED_SEEDS=${SPEED_SEEDS-1 2 3}
  SPEED_READS=${SPEED_READS:-10}
  SPEED_SWEEPS=${SPEED_SWEEPS:-10000}
fi
JOBS=${JOBS:-2}
SEED=${SEED:-1}
METHODS=${METHODS:-sa ceas pt sb-ballistic sb-discrete analog}
PT_M=${PT_M:-16}
PT_NP=${PT_NP:-1}
GSET_DIR=${GSET_DIR:-$root/experiments/gset}
list() { echo "$1" | tr ',' ' '; }

mkdir -p "$OUT/runs"
OUT=$(cd "$OUT" && pwd)
timing="$OUT/timing.txt"
: >"$timing"
load_start=$(cut -d' ' -f1 /proc/loadavg)
stamp() { echo "$1 $2" >>"$timing"; echo "anneal_benchmark: $1 done in $2 s" >&2; }

# Instances: a name (used for file names) and the ceasim arguments that make it.
declare -A inst_args inst_n inst_family
inst_names=()
add_instance() { # name family n args...
  local name=$1 fam=$2 n=$3
  shift 3
  inst_names+=("$name")
  inst_family[$name]=$fam
  inst_n[$name]=$n
  inst_args[$name]=$(printf '%q ' "$@")  # shell-quoted: G-set paths may hold spaces
}
for spec in $(list "$INSTANCES"); do
  IFS=: read -r model size iseed <<<"$spec"
  case "$model" in
    sk) add_instance "sk_n${size}_s${iseed}" sk "$size" --model sk --n "$size" --instance-seed "$iseed" ;;
    ea2d) add_instance "ea2d_L${size}_s${iseed}" ea "$((size * size))" --model ea2d --L "$size" --instance-seed "$iseed" ;;
    ea3d) add_instance "ea3d_L${size}_s${iseed}" ea "$((size * size * size))" --model ea3d --L "$size" --instance-seed "$iseed" ;;
    *) echo "anneal_benchmark.sh: INSTANCES entry '$spec': expected sk:N:SEED, ea2d:L:SEED or ea3d:L:SEED" >&2; exit 2 ;;
  esac
done
gset_files=()
if [ -d "$GSET_DIR" ]; then
  while IFS= read -r f; do gset_files+=("$f"); done < <(
    find "$GSET_DIR" -maxdepth 1 -type f ! -name '*.md' ! -name '.*' | sort -V)
fi
if [ ${#gset_files[@]} -eq 0 ]; then
  echo "anneal_benchmark: no G-set files in $GSET_DIR (see experiments/gset/README.md)" >&2
  echo "$GSET_DIR" >"$OUT/gset_none.txt"
else
  rm -f "$OUT/gset_none.txt"
  for f in "${gset_files[@]}"; do
    # The vertex count is the first field of the first non-blank line.
    n=$(awk 'NF { print $1; exit }' "$f")
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "anneal_benchmark.sh: $f: first line is not 'n m'" >&2; exit 2; }
    base=$(basename "$f")
    base=${base%.*}
    add_instance "gset_${base//[^A-Za-z0-9_.-]/_}" gset "$n" --gset "$f"  # names go into job lines
  done
fi
[ ${#inst_names[@]} -gt 0 ] || { echo "anneal_benchmark.sh: no instances (INSTANCES empty and no G-set files)" >&2; exit 2; }

budgets_of() {
  case "${inst_family[$1]}" in
    sk) list "$BUDGETS_SK" ;;
    ea) list "$BUDGETS_EA" ;;
    gset) list "$BUDGETS_GSET" ;;
  esac
}

# One line per run: "cost instance phase method sweeps reads trace_every".
# The run's command is rebuilt from these by run_one, so the line is the whole job.
job_line() { # instance phase method sweeps reads
  local name=$1 phase=$2 m=$3 s=$4 r=$5
  local f="$OUT/runs/$name/${phase}_${m}_s${s}.h5"
  [ -e "$f" ] && return 0
  local te=$((s / 100)); [ "$te" -ge 1 ] || te=1
  echo "$((${inst_n[$name]} * s * r)) $name $phase $m $s $r $te"
}

run_one() { # cost name phase method sweeps reads trace_every
  local name=$2 phase=$3 m=$4 s=$5 r=$6 te=$7
  local dir="$OUT/runs/$name" f="$OUT/runs/$name/${phase}_${m}_s${s}.h5"
  mkdir -p "$dir"
  local -a iargs
  eval "iargs=(${inst_args[$name]})"
  local cmd=("$ceasim" anneal "${iargs[@]}" --method "$m" --sweeps "$s" --reads "$r"
             --seed "$SEED" --quiet --out "$f")
  [ "$te" -gt 0 ] && cmd+=(--trace-every "$te")
  if [ "$m" = pt ]; then
    # S sweeps per walker in all: 4 tuning rounds of max(1, S/8), the rest measured.
    local ts=$((s / 8)) meas
    [ "$ts" -ge 1 ] || ts=1
    meas=$((s - 4 * ts))
    [ "$meas" -ge 1 ] || meas=1
    local i
    for i in "${!cmd[@]}"; do [ "${cmd[$i]}" = --sweeps ] && cmd[i + 1]=$meas; done
    cmd+=(--temperatures "$PT_M" --tune-rounds 4 --tune-sweeps "$ts")
    if [ "$PT_NP" -gt 1 ]; then
      local mpi=(mpirun -np "$PT_NP" --oversubscribe)
      [ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
      cmd=("${mpi[@]}" "${cmd[@]}")
    fi
  fi
  "${cmd[@]}" >"${f%.h5}.txt" 2>&1 || { echo "anneal_benchmark: failed: ${cmd[*]}" >&2; cat "${f%.h5}.txt" >&2; return 1; }
}

# Serialise the instance table for the xargs children (bash cannot export arrays).
inst_table="$OUT/instances.txt"
: >"$inst_table"
for name in "${inst_names[@]}"; do
  printf '%s\t%s\t%s\t%s\n' "$name" "${inst_family[$name]}" "${inst_n[$name]}" "${inst_args[$name]}" >>"$inst_table"
done
run_one_wrapper() {
  declare -A inst_args
  while IFS=$'\t' read -r nm _ _ args; do inst_args[$nm]=$args; done <"$inst_table"
  run_one "$@"
}
export -f run_one run_one_wrapper
export ceasim OUT SEED PT_M PT_NP inst_table
# Runs the job lines on stdin, largest first, JOBS at a time (xargs children call
# run_one_wrapper, which rebuilds inst_args from the table); multi-rank pt alone.
run_jobs() {
  local lines
  lines=$(sort -k1,1nr)
  [ -n "$lines" ] || return 0
  local solo="" pool="$lines"
  if [ "$PT_NP" -gt 1 ]; then
    solo=$(echo "$lines" | awk '$4 == "pt"')
    pool=$(echo "$lines" | awk '$4 != "pt"')
  fi
  [ -z "$pool" ] || echo "$pool" | xargs -P "$JOBS" -L 1 bash -c 'run_one_wrapper "$@"' _
  [ -z "$solo" ] || echo "$solo" | xargs -P 1 -L 1 bash -c 'run_one_wrapper "$@"' _
}

# (a) equal spin-update budgets.
t0=$SECONDS
for name in "${inst_names[@]}"; do
  for b in $(budgets_of "$name"); do
    for m in $(list "$METHODS"); do
      s=$b
      if [ "$m" = pt ]; then s=$(((b + PT_M / 2) / PT_M)); [ "$s" -ge 1 ] || s=1; fi
      job_line "$name" budget "$m" "$s" "$READS"
    done
  done
done | run_jobs
stamp equal_budget $((SECONDS - t0))

# (b) equal time: sweeps from the measured CPU cost per update of the largest budget
# run of each (instance, method).
t0=$SECONDS
"$python" "$here/anneal_benchmark.py" plan-time "$OUT" --t-per-spin "$T_PER_SPIN" \
  --methods "$(list "$METHODS")" --pt-np "$PT_NP" >"$OUT/time_plan.txt"
while read -r name m s; do
  job_line "$name" time "$m" "$s" "$READS"
done <"$OUT/time_plan.txt" | run_jobs
stamp equal_time $((SECONDS - t0))

# (c) the issue's speed reference, one run at a time (it is a timing).
t0=$SECONDS
for sd in $(list "$SPEED_SEEDS"); do
  name="sk_n1000_s${sd}"
  inst_args[$name]="--model sk --n 1000 --instance-seed $sd"
  inst_n[$name]=1000
  grep -q "^$name	" "$inst_table" || printf '%s\tsk\t1000\t%s\n' "$name" "${inst_args[$name]}" >>"$inst_table"
  for m in sa sb-ballistic sb-discrete; do
    job_line "$name" speed "$m" "$SPEED_SWEEPS" "$SPEED_READS"
  done
done | JOBS=1 run_jobs
stamp speed $((SECONDS - t0))

echo "$load_start / $(cut -d' ' -f1 /proc/loadavg)" >"$OUT/load.txt"
t0=$SECONDS
extra=()
[ "${QUICK:-0}" = 1 ] && extra+=(--quick)
[ "$UPDATE_DOCS" = 1 ] && extra+=(--notes-from "$root/docs/anneal_benchmark_results.md")
"$python" "$here/anneal_benchmark.py" analyze "$OUT" --t-per-spin "$T_PER_SPIN" --pt-np "$PT_NP" \
  --pt-m "$PT_M" --reads "$READS" "${extra[@]}"
stamp analysis $((SECONDS - t0))

if [ "$UPDATE_DOCS" = 1 ]; then
  cp "$OUT/results.md" "$root/docs/anneal_benchmark_results.md"
  for p in "$OUT"/anneal_benchmark_*.png; do cp "$p" "$root/docs/img/"; done
  echo "anneal_benchmark: copied results.md and plots into docs/" >&2
fi
