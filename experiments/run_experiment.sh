#!/usr/bin/env bash
# Runs one experiment locally: the sweep on NP ranks (default 2), then the
# analysis and the plots. Usage: experiments/run_experiment.sh NAME [extra sweep options]
# NAME is ising2d_fss, ising3d_fss or zeta_ce. Rerunning resumes a killed run.
# QUICK=1: a smoke run of a few seconds (two small sizes, short runs, into
# runs/NAME_quick...): it checks that the pipeline runs, its numbers mean nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
name=${1:?usage: run_experiment.sh ising2d_fss|ising3d_fss|zeta_ce [sweep options]}
shift
NP=${NP:-2}
ceasim=${CEASIM:-$root/build/ceasim}
python=${PYTHON:-/usr/bin/python3}
[ -x "$ceasim" ] || { echo "run_experiment.sh: $ceasim not found: run ./run.sh (or cmake --build build) first" >&2; exit 2; }
mpi=(mpirun -np "$NP")
if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
mpi+=(--oversubscribe)
sweep() { "${mpi[@]}" "$ceasim" sweep "$@"; }
quick=()
sfx=""
if [ "${QUICK:-0}" = 1 ]; then
  sfx=_quick
  case "$name" in
    ising3d_fss) quick=(--L 4,6 --sweeps 1000 --therm 100) ;;
    *) quick=(--L 8,16 --sweeps 2000 --therm 200) ;;
  esac
  echo "run_experiment.sh: QUICK=1 smoke run (${quick[*]}): the numbers mean nothing" >&2
fi
case "$name" in
  ising2d_fss|ising3d_fss)
    if [ -n "$sfx" ]; then quick+=(--out "runs/$name$sfx"); fi
    sweep "$here/$name.ini" ${quick[@]+"${quick[@]}"} "$@"
    ;;
  zeta_ce)
    for algo in metropolis wolff; do
      sweep "$here/zeta_ce_$algo.ini" --no-analysis ${quick[@]+"${quick[@]}"} \
        --out "runs/zeta_ce_$algo$sfx" "$@"
    done
    for algo in metropolis wolff; do
      "$ceasim" analyze "runs/zeta_ce_$algo$sfx" --zeta-ce --beta-c 0.44068679350977151
      "$python" "$root/analysis/plot_sweep.py" "runs/zeta_ce_$algo$sfx"
    done
    ;;
  *) echo "run_experiment.sh: unknown experiment '$name' (expected ising2d_fss, ising3d_fss or zeta_ce)" >&2; exit 2 ;;
esac
