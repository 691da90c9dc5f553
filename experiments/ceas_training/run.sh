#!/bin/bash
# The CEAS training experiment (issue 16, part 1): the grid, then the report.
#   experiments/ceas_training/run.sh [SIZES]      SIZES: 9k (default), mid, 14m, or 9k,mid
#   QUICK=1 experiments/ceas_training/run.sh      tiny model, 60 steps, 2 seeds, all arms, the
#                                                 learned-heads pass on one run,
#                                                 into a scratch dir (about a minute)
# Environment: RUNS (run dir, default experiments/out/ceas_training, QUICK: a mktemp dir),
# DOC (report, default docs/ceas_training_results.md; QUICK: RUNS/report.md),
# JOBS (parallel runs, default 2), CEASIM_ATTENTION_LIB (default build/libceasim_attention.so).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=${CEASIM_PYTHON:-/usr/bin/python3}
if [ "${QUICK:-0}" = 1 ]; then
  runs=${RUNS:-$(mktemp -d /tmp/ceas_training_quick.XXXXXX)}
  sizes=tiny
  doc=${DOC:-$runs/report.md}
  img=${IMG:-$runs/img}
else
  runs=${RUNS:-$repo/experiments/out/ceas_training}
  sizes=${1:-9k}
  doc=${DOC:-$repo/docs/ceas_training_results.md}
  img=${IMG:-$repo/docs/img}
fi
"$py" "$here/grid.py" --sizes "$sizes" --jobs "${JOBS:-2}" --out "$runs"
"$py" "$here/analyse.py" --runs "$runs" --doc "$doc" --img "$img"
if [ "${QUICK:-0}" = 1 ]; then
  # Part 2 end to end on one run: export its last checkpoint, ceasim attention/map on
  # every head of one layer, a short graph sweep of its mapped couplings.
  QUICK=1 "$py" "$here/learned_heads.py" "$runs/tiny/c/seed0" --out "$runs/heads"
  echo "learned heads in $runs/heads"
fi
echo "runs in $runs, report $doc"
