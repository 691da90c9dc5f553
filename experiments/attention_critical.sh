#!/usr/bin/env bash
# attention_critical: the CEAS formulas against measurement (issue 5).
#  (i)  `ceasim attention` scans of synthetic heads, n = 16..4096, several seeds:
#       heat peaks, beta*, REM beta_c, S/ln n;
#  (ii) the same heads mapped to Ising couplings (lambda_max-normalised, top gauge),
#       one Metropolis sweep per seed over all n on NP ranks with mpirun, then
#       `ceasim analyze`: chi'/C peaks and Binder crossings against 1/lambda_max;
#  (iv) the Newton controller, every preset, a few n and seeds.
# (iii), the comparison, is experiments/attention_critical.py: plots, table.md,
# results.json/csv in OUT.
#
# Usage: experiments/attention_critical.sh          (about 15 minutes on 2 cores)
#        QUICK=1 experiments/attention_critical.sh  (smoke test, about 2 minutes)
# Environment (defaults in brackets; lists are space- or comma-separated):
#   CEASIM [build/ceasim]  NP [2]  PYTHON [/usr/bin/python3]
#   OUT [experiments/out/attention_critical, or ..._quick with QUICK=1]
#   SEEDS [1 2 3 4]  NS [16 32 ... 4096]  DK [16]  KINDS [gaussian] (clustered, lowrank)
#   BETA_POINTS [161]  MC_NS [16 ... 1024]  MC_SEEDS [SEEDS]  MC_SWEEPS, MC_THERM [ini]
#   CTRL_NS [64 128 256]  CTRL_SEEDS [1 2]  CTRL_STEPS [4000]  PRESETS [9k 14m gpt]
#   (an empty MC_NS or CTRL_NS skips that part)
# Finished outputs are kept: rerunning skips them and resumes the sweeps; delete OUT
# (or the file) to redo a part with other parameters.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
NP=${NP:-2}
ceasim=${CEASIM:-$root/build/ceasim}
python=${PYTHON:-/usr/bin/python3}
[ -x "$ceasim" ] || { echo "attention_critical.sh: $ceasim not found: build it (cmake --build build) or set CEASIM" >&2; exit 2; }

if [ "${QUICK:-0}" = 1 ]; then
  OUT=${OUT:-$root/experiments/out/attention_critical_quick}
  SEEDS=${SEEDS:-1 2}
  NS=${NS:-16 32 64 128 256}
  BETA_POINTS=${BETA_POINTS:-81}
  MC_NS=${MC_NS-16 32 64 128}
  MC_SWEEPS=${MC_SWEEPS:-1000}
  MC_THERM=${MC_THERM:-200}
  CTRL_NS=${CTRL_NS-64}
  CTRL_SEEDS=${CTRL_SEEDS:-1}
  CTRL_STEPS=${CTRL_STEPS:-3000}
else
  OUT=${OUT:-$root/experiments/out/attention_critical}
  SEEDS=${SEEDS:-1 2 3 4}
  NS=${NS:-16 32 64 128 256 512 1024 2048 4096}
  BETA_POINTS=${BETA_POINTS:-161}
  MC_NS=${MC_NS-16 32 64 128 256 512 1024}
  CTRL_NS=${CTRL_NS-64 128 256}
  CTRL_SEEDS=${CTRL_SEEDS:-1 2}
  CTRL_STEPS=${CTRL_STEPS:-4000}
fi
DK=${DK:-16}
KINDS=${KINDS:-gaussian}
MC_SEEDS=${MC_SEEDS:-$SEEDS}
PRESETS=${PRESETS:-9k 14m gpt}
list() { echo "$1" | tr ',' ' '; }

mkdir -p "$OUT/attention" "$OUT/controller" "$OUT/maps" "$OUT/mc"
OUT=$(cd "$OUT" && pwd)
timing="$OUT/timing.txt"
: >"$timing"
stamp() { echo "$1 $2" >>"$timing"; echo "attention_critical: $1 done in $2 s" >&2; }

# Grid of the gaussian scans: 0 .. 2 beta_c,REM with sigma ~ sqrt(d_k), so the heat
# peak (~0.8 beta_c) and the frozen side are both covered also for queries with a
# short q (their own beta_c is larger); other kinds have another sigma and keep
# ceasim's own grid (0 .. 3 beta_c of the head).
grid() { awk -v n="$1" -v d="$DK" -v k="$BETA_POINTS" 'BEGIN { printf "0:%.6f:%d", 2 * sqrt(2 * log(n)) / sqrt(d), k }'; }

# One line per single-process job: "cost kind args..."; the largest run first so that
# NP workers finish together. Costs are rough (exponentials or n^3 eigensolves).
jobs=$(
  for kind in $(list "$KINDS"); do
    for n in $(list "$NS"); do
      for s in $(list "$SEEDS"); do
        f="$OUT/attention/${kind}_n${n}_s${s}.h5"
        [ -e "$f" ] || echo "$((n * n * BETA_POINTS)) scan $kind $n $s $f"
      done
    done
  done
  for p in $(list "$PRESETS"); do
    for n in $(list "$CTRL_NS"); do
      for s in $(list "$CTRL_SEEDS"); do
        f="$OUT/controller/${p}_n${n}_s${s}.h5"
        [ -e "$f" ] || echo "$((n * n * (CTRL_STEPS + BETA_POINTS) * 3 / 2)) ctrl $p $n $s $f"
      done
    done
  done
  for n in $(list "$MC_NS"); do
    for s in $(list "$MC_SEEDS"); do
      f="$OUT/maps/n${n}_s${s}.h5"
      [ -e "$f" ] || echo "$((n * n * n / 4)) map - $n $s $f"
    done
  done
)

job() { # cost what kind/preset n seed out
  local what=$2 k=$3 n=$4 s=$5 f=$6
  local head=(--synthetic --tokens "$n" --d-k "$DK" --seed "$s")
  case "$what" in
    scan)
      local g=()
      [ "$k" = gaussian ] && g=(--beta "$(grid "$n")")
      "$ceasim" attention "${head[@]}" --kind "$k" "${g[@]}" --out "$f" >"${f%.h5}.txt"
      ;;
    ctrl)
      "$ceasim" attention "${head[@]}" --beta "$(grid "$n")" --controller --preset "$k" \
        --steps "$CTRL_STEPS" --out "$f" >"${f%.h5}.txt"
      ;;
    map)
      "$ceasim" map "${head[@]}" --normalize lambda_max --gauge top --out "$f" >"${f%.h5}.txt"
      ;;
  esac
}
export -f job grid
export ceasim DK BETA_POINTS CTRL_STEPS

t0=$SECONDS
if [ -n "$jobs" ]; then
  echo "attention_critical: $(echo "$jobs" | wc -l) scans/controller runs/maps on $NP processes" >&2
  echo "$jobs" | sort -k1,1nr | xargs -P "$NP" -L 1 bash -c 'job "$@"' _
fi
stamp single_process_jobs $((SECONDS - t0))

# (ii) one sweep per seed over all sizes, through mpirun like every sweep.
mpi=(mpirun -np "$NP")
if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
mpi+=(--oversubscribe)
over=()
[ -n "${MC_SWEEPS:-}" ] && over+=(--sweeps "$MC_SWEEPS")
[ -n "${MC_THERM:-}" ] && over+=(--therm "$MC_THERM")
t0=$SECONDS
[ -n "$(list "$MC_NS")" ] || MC_SEEDS=  # MC_NS= skips part (ii)
for s in $(list "$MC_SEEDS"); do
  files=$(for n in $(list "$MC_NS"); do printf '%s,' "$OUT/maps/n${n}_s${s}.h5"; done)
  "${mpi[@]}" "$ceasim" sweep "$here/attention_critical_mc.ini" --couplings "${files%,}" \
    --seed "$s" --out "$OUT/mc/seed$s" --no-analysis --quiet "${over[@]}"
done
stamp mc_sweeps $((SECONDS - t0))

# The analyses are single-process and independent: NP at a time. --grid 101 halves
# the cost of the reweighted curves; peaks and crossings are refined off the grid.
t0=$SECONDS
ana() { # skipped when no task file is newer than the analysis
  if [ -e "$1/analysis.h5" ] && [ -z "$(find "$1/tasks" -newer "$1/analysis.h5" | head -1)" ]; then return 0; fi
  "$ceasim" analyze "$1" --grid 101 >"$1/analyze.txt" 2>&1 || { cat "$1/analyze.txt" >&2; return 1; }
  "$python" "$root/analysis/plot_sweep.py" "$1" >/dev/null 2>&1 || echo "attention_critical: plot_sweep.py failed on $1 (plots only)" >&2
}
export -f ana
export python root
for s in $(list "$MC_SEEDS"); do echo "$OUT/mc/seed$s"; done | xargs -P "$NP" -I{} bash -c 'ana "$@"' _ {}
stamp mc_analyze $((SECONDS - t0))

t0=$SECONDS
"$python" "$here/attention_critical.py" "$OUT" --d-k "$DK"
stamp analysis $((SECONDS - t0))
