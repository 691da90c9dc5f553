#!/usr/bin/env bash
# Runs one experiment locally: the sweep on NP ranks (default 2), then the
# analysis and the plots. Usage: experiments/run_experiment.sh NAME [extra sweep options]
# NAME is ising2d_fss, ising3d_fss or zeta_ce. Rerunning resumes a killed run.
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
case "$name" in
  ising2d_fss|ising3d_fss)
    sweep "$here/$name.ini" "$@"
    ;;
  zeta_ce)
    sweep "$here/zeta_ce_metropolis.ini" --no-analysis "$@"
    sweep "$here/zeta_ce_wolff.ini" --no-analysis "$@"
    for algo in metropolis wolff; do
      "$ceasim" analyze "runs/zeta_ce_$algo" --zeta-ce --beta-c 0.44068679350977151
      "$python" "$root/analysis/plot_sweep.py" "runs/zeta_ce_$algo"
    done
    ;;
  *) echo "run_experiment.sh: unknown experiment '$name' (expected ising2d_fss, ising3d_fss or zeta_ce)" >&2; exit 2 ;;
esac
