#!/usr/bin/env bash
# ising3d_fss: sweep on NP ranks (default 2) with mpirun, then analysis and plots.
# Usage: experiments/ising3d_fss.sh [extra sweep options]   (e.g. NP=4, --sweeps 50000)
exec "$(dirname "$0")/run_experiment.sh" ising3d_fss "$@"
