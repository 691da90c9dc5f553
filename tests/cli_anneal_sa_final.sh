#!/usr/bin/env bash
# ceasim CLI: `anneal --method sa` with its default schedule ends frozen, in a final
# state as good as the best it saw.
#
# SK, n = 256, J = +-1/16: every local field is a sum of 255 terms +-1/16, so the
# smallest nonzero |field| is g = 1/16 and the smallest energy change dE = 2 g
# (what ceas_anneal_sa_default_betas assumes). 32 reads x 2000 sweeps, the running
# energy traced after every sweep.
#
# 1. Frozen end. From a local minimum the energy changes only after an uphill
#    flip, so the probability that a read's energy changes during the last 10
#    sweeps is at most p = sum over sweeps S-11 .. S-1 of n exp(-beta_k dE) (a union
#    bound over sites; the earliest sweep counts for an excitation that relaxes in
#    the window). The schedule is built so that n exp(-beta1 dE) = 1 %, which gives
#    p ~ 0.15 here; the number of reads whose traced energy changes in the window
#    must stay within the binomial(32, p) quantile of 1 - 1e-6. (With the old cold
#    end beta1 = 10/sigma, p ~ 900: every read still changes.)
# 2. Final against best seen. Once frozen, the final state is a local minimum that
#    the chain chose while cooling, like the best one it saw; the cost of reporting
#    the final state instead of the best seen, mean over reads of (final - best),
#    must be below the statistical error of the mean best energy of these reads
#    (its standard error), i.e. invisible at this number of reads.
#
# usage: bash tests/cli_anneal_sa_final.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

mkdir -p "$WORK/out"

py_checks "anneal_sa_final" "$CEASIM" "$WORK/out" <<'PYEOF'
import math
import sys

import h5py
import numpy as np

from chk import ok, run_ok_in

CEASIM, OUT = sys.argv[1], sys.argv[2]
N, READS, SWEEPS, WINDOW = 256, 32, 2000, 10

run_ok_in(CEASIM, OUT, "sa default schedule",
          ["anneal", "--model", "sk", "--n", str(N), "--reads", str(READS), "--sweeps",
           str(SWEEPS), "--trace-every", "1", "--quiet", "--out", "sa.h5"])
with h5py.File(OUT + "/sa.h5") as f:
    betas = f["betas"][:]
    trace = f["trace"][:]
    best = f["best_energy"][:]
    final = f["final_energy"][:]

de_min = 2.0 / math.sqrt(N)
p = float(np.sum(N * np.exp(-betas[-(WINDOW + 1):] * de_min)))
ok(p < 0.5, "the default cold end freezes SK: p = %.3g per read" % p)
# Smallest k with P(X > k) < 1e-6 for X ~ binomial(READS, p).
tail, k = (1.0, -1) if p < 1 else (0.0, -1)
while tail >= 1e-6:
    k += 1
    tail -= math.comb(READS, k) * p**k * (1 - p) ** (READS - k)
moved = int(np.sum(np.ptp(trace[:, -WINDOW:], axis=1) > 1e-9 * N))
ok(moved <= k, "energy constant over the last %d sweeps in all but <= %d of %d reads"
   % (WINDOW, k, READS), "%d reads changed" % moved)
ok(np.allclose(trace[:, -1], final, rtol=0, atol=1e-9 * N), "the trace ends at the final energy")

loss = float(np.mean(final - best))
err = float(np.std(best, ddof=1) / math.sqrt(READS))
ok(np.all(final >= best - 1e-9 * N), "no final energy below the best seen")
ok(loss < err, "final - best, mean %.4f, below the standard error of the mean best %.4f"
   % (loss, err))
PYEOF
cli_finish
