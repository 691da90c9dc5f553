#!/usr/bin/env bash
# Graph sweeps over several systems of growing n, and `ceasim analyze` on them,
# checked against the Curie-Weiss model solved exactly.
#
#  - `--couplings a.h5,b.h5` is one system per size; the size is the file's n
#    (task names graph_n<n>_..., sweep.h5 L = the n's); files of equal n, empty
#    entries and missing files are refused (exit 2, one line, no directory);
#  - sizes can be added to a finished graph sweep; dropping a file it holds tasks
#    of is refused;
#  - analyze: for the complete graph with J = 1/n (E = -(M^2 - n)/(2n)) the
#    partition function is a sum over M with binomial weights, so <|m|>, <m^2>,
#    <m^4>, <E>, <E^2> are exact at every beta. The reweighted chi' and C peak
#    positions of n = 16 and 32 and their U4 crossing must agree with the exact
#    ones within 4 of the analysis's own jackknife errors.
#
# usage: bash tests/cli_sweep_graph.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# Complete graphs J = 1/n as HDF5 CSR files.
(cd "$WORK" && "$PY" - <<'EOF'
import h5py
import numpy as np
for n in (8, 16, 32):
    rows = [[j for j in range(n) if j != i] for i in range(n)]
    indptr = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    with h5py.File(f"cw{n}.h5", "w") as f:
        f["indptr"] = indptr
        f["indices"] = np.concatenate(rows).astype(np.int64)
        f["data"] = np.full(n * (n - 1), 1.0 / n)
        f["h"] = np.zeros(n)
import shutil
shutil.copy("cw16.h5", "cw16b.h5")
EOF
)

# ---- bad lists ------------------------------------------------------------------------
bad() { # WHAT PATTERN ARGS...
  local what="$1" pat="$2"
  shift 2
  run1 bad "$@"
  if [ "$(rc_of bad)" = 2 ] && [ "$(err_lines bad)" = 1 ] && grep -q -- "$pat" "$WORK/bad.err" &&
    [ ! -e "$WORK/nodir" ]; then
    ok "$what: exit 2, one line naming it, no directory"
  else
    not_ok "$what: exit 2, one line naming it, no directory" "rc $(rc_of bad): $(first_err bad)"
  fi
}
B=(sweep --model graph --beta 0.9 --sweeps 100 --therm 10 --no-analysis --quiet --out nodir)
bad "two files of equal n" "cw16.h5 and cw16b.h5 both have n = 16" "${B[@]}" --couplings cw16.h5,cw16b.h5
bad "an empty entry" "--couplings: expected a comma-separated list" "${B[@]}" --couplings cw16.h5,,cw32.h5
bad "a missing file in the list" "missing.h5" "${B[@]}" --couplings cw16.h5,missing.h5
bad "--L with graph files" "--L: not used with --model graph" "${B[@]}" --couplings cw16.h5 --L 16

# ---- the sweep (2 ranks) and its layout --------------------------------------------------
S=(sweep --model graph --couplings cw16.h5,cw32.h5 --beta 0.7:1.8:12 --algo metropolis
  --sweeps 40000 --therm 2000 --seed 5 --no-analysis --quiet --out cw)
runmpi 2 cw "${S[@]}"
check_run cw "graph sweep over n = 16, 32 on 2 ranks"

# Adding a size later; dropping one is refused.
run1 add "${S[@]/cw16.h5,cw32.h5/cw16.h5,cw32.h5,cw8.h5}"
if [ "$(rc_of add)" = 0 ] && [ "$(ls "$WORK/cw/tasks" | grep -c '^graph_n000008_')" = 12 ]; then
  ok "adding cw8.h5 to the finished sweep runs only its 12 tasks"
else
  not_ok "adding cw8.h5 to the finished sweep runs only its 12 tasks" "rc $(rc_of add): $(first_err add)"
fi
run1 drop "${S[@]/cw16.h5,cw32.h5/cw32.h5}"
if [ "$(rc_of drop)" = 2 ] && grep -q "couplings = cw16.h5" "$WORK/drop.err"; then
  ok "dropping cw16.h5 from the sweep is refused, naming it"
else
  not_ok "dropping cw16.h5 from the sweep is refused, naming it" "rc $(rc_of drop): $(first_err drop)"
fi

run1 ana analyze cw
check_run ana "analyze on the graph sweep"

py_checks "graph sweep" "$WORK" <<'EOF'
import os
import sys

import h5py
import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gammaln

sys.path.insert(0, sys.argv[1])
from chk import ok, text

W = sys.argv[1]
names = sorted(os.listdir(os.path.join(W, "cw", "tasks")))
want = sorted(f"graph_n{n:06d}_beta{b:.8f}_r000.h5" for n in (8, 16, 32)
              for b in np.linspace(0.7, 1.8, 12))
ok(names == want, "task files graph_n<n>_beta<beta>_r000.h5 for n = 8, 16, 32", f"{names[:3]}")
with h5py.File(os.path.join(W, "cw", "sweep.h5"), "r") as f:
    ok(f["L"][()].tolist() == [16.0, 32.0, 8.0]
       and text(f.attrs["couplings"]) == "cw16.h5,cw32.h5,cw8.h5",
       "sweep.h5: L = the n of each file, couplings = the list", f"{f['L'][()]}")


def exact(n, beta):
    """Curie-Weiss, J = 1/n: moments of m and E from the sum over M."""
    k = np.arange(n + 1)
    M = 2.0 * k - n
    E = -(M * M - n) / (2.0 * n)
    lw = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) - beta * E
    w = np.exp(lw - lw.max())
    w /= w.sum()
    m = M / n
    am, m2, m4 = (w * abs(m)).sum(), (w * m * m).sum(), (w * m ** 4).sum()
    e1, e2 = (w * E).sum(), (w * E * E).sum()
    return dict(chi=beta * n * (m2 - am * am), C=beta * beta * (e2 - e1 * e1) / n,
                U4=1.0 - m4 / (3.0 * m2 * m2))


def peak(n, q):
    r = minimize_scalar(lambda b: -exact(n, b)[q], bounds=(0.5, 2.5), method="bounded",
                        options={"xatol": 1e-9})
    return r.x


with h5py.File(os.path.join(W, "cw", "analysis.h5"), "r") as f:
    ok(text(f.attrs["model"]) == "graph", "analysis.h5: model graph")
    ok(text(f["results"].attrs["reference_source"]).startswith("none"),
       "analysis.h5: no reference values claimed for a graph",
       text(f["results"].attrs["reference_source"]))
    L = f["peaks/L"][()].tolist()
    ok(L == [8.0, 16.0, 32.0], "analysis.h5: sizes are the n's 8, 16, 32", f"{L}")
    for q, key in (("chi", "susceptibility_connected"), ("C", "specific_heat")):
        for i, n in enumerate((8, 16, 32)):
            b, db = f[f"peaks/{key}_peak_beta"][i], f[f"peaks/{key}_peak_beta_error"][i]
            want = peak(n, q)
            ok(np.isfinite(db) and db > 0 and abs(b - want) <= 4 * db,
               f"n = {n}: reweighted {q} peak beta {b:.5f} +- {db:.2g} vs exact {want:.5f}",
               f"{(b - want) / db:.2f} sigma")
    c = f["crossings/binder"]
    i = [k for k in range(len(c["L1"])) if c["L1"][k] == 16.0][0]
    want = brentq(lambda b: exact(16, b)["U4"] - exact(32, b)["U4"], 0.7, 1.8)
    b, db = c["beta"][i], c["beta_error"][i]
    ok(c["found"][i] == 1 and db > 0 and abs(b - want) <= 4 * db,
       f"U4 crossing of n = 16 and 32: {b:.5f} +- {db:.2g} vs exact {want:.5f}",
       f"{(b - want) / db:.2f} sigma" if db > 0 else "no error")
    ok(len(f["crossings/xi_over_L/L1"]) == 0, "no xi/L crossings for graphs (no structure factor)")
EOF

cli_finish
