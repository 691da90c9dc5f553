#!/usr/bin/env bash
# zeta_ce: sweep on NP ranks (default 2) with mpirun, then analysis and plots.
# Usage: experiments/zeta_ce.sh [extra sweep options]   (e.g. NP=4, --sweeps 50000)
exec "$(dirname "$0")/run_experiment.sh" zeta_ce "$@"
