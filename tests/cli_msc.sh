#!/usr/bin/env bash
# The multi-spin-coded kernels behind `ceasim run` and `ceasim sweep`.
#
#  - run --algo msc-replica64-anti: the task file has the run layout with every
#    series an n x 64 table (one column per packed replica) and the attribute
#    packed_replicas = 64; the observables are those of all replicas: <e> is the
#    mean of the table, and its error is not the naive error of n x 64
#    independent values but at least that of the replica-averaged series;
#  - msc-single and msc-replica256 run; bad input (a field, odd L, L not a multiple
#    of 128 for msc-single, a graph) is refused: exit 2, one line naming the
#    option, no output file;
#  - a sweep of msc tasks is the same on 1 and 2 ranks, survives a SIGKILL after
#    a checkpoint (resumed bitwise), and `analyze` runs on it (reweighting the
#    packed replicas) and finds the 2D Binder crossing near beta_c.
#
# usage: bash tests/cli_msc.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

run1 r64 run --algo msc-replica64-anti --L 8 --beta 0.4 --sweeps 4000 --therm 400 --measure-every 2 --seed 5 --out r64.h5
check_run r64 "run msc-replica64-anti"
run1 r256 run --algo msc-replica256 --model ising3d --L 4 --beta 0.2 --sweeps 1000 --out r256.h5
check_run r256 "run msc-replica256 3D"
run1 rs run --algo msc-single --L 128 --beta 0.3 --sweeps 200 --out rs.h5
check_run rs "run msc-single"

py_checks "msc task files" "$WORK" <<'PYEOF'
import math
import os
import sys

import h5py
import numpy as np
from chk import ok

w = sys.argv[1]
with h5py.File(os.path.join(w, "r64.h5"), "r") as f:
    ts = f["timeseries"]
    e = ts["energy"][()]
    ok(e.shape == (2000, 64) and ts["magnetization"].shape == (2000, 64)
       and ts["structure_factor_kmin"].shape == (2000, 64),
       "r64: series are 2000 measurements x 64 replicas", str(e.shape))
    algo = f.attrs["algo"]
    ok(int(f.attrs["packed_replicas"]) == 64
       and (algo.decode() if isinstance(algo, bytes) else algo) == "msc-replica64-anti",
       "r64: attributes algo, packed_replicas")
    E = e * 64
    ok(np.all(np.abs(E - np.round(E)) < 1e-9) and np.all(np.abs(E) <= 128),
       "r64: energies are integers / N within the bounds of the 8x8 torus")
    ok(len({tuple(c) for c in e.T}) > 32, "r64: antithetic replicas are distinct chains")
    obs = f["observables"]
    mean = float(obs["energy"][()])
    err = float(obs["energy"].attrs["error"])
    # the analysis drops the n % bin_size earliest times (nearest thermalisation)
    used = int(obs.attrs["n_bins"]) * int(obs.attrs["bin_size"])
    ok(abs(mean - e[-used:].mean()) < 1e-12, "r64: <e> is the mean over time and replicas",
       f"{mean} vs {e[-used:].mean()}")
    naive = e.std() / math.sqrt(e.size)
    avg = e.mean(axis=1)
    ok(err > 1.5 * naive, f"r64: error {err:.3g} exceeds the naive independent-sample one {naive:.3g}")
    ok(err >= 0.9 * avg.std() / math.sqrt(avg.size),
       "r64: error at least the uncorrelated error of the replica-averaged series")
with h5py.File(os.path.join(w, "r256.h5"), "r") as f:
    ok(f["timeseries/energy"].shape == (1000, 256) and int(f.attrs["dim"]) == 3,
       "r256: 3D, 1000 x 256 series")
with h5py.File(os.path.join(w, "rs.h5"), "r") as f:
    ok(f["timeseries/energy"].shape == (200,) and "packed_replicas" not in f.attrs,
       "rs: msc-single has one chain, 1-D series")
PYEOF

bad() {
  local tag="$1" want="$2"
  shift 2
  run1 "$tag" run "$@" --out "$tag.h5"
  if [ "$(rc_of "$tag")" = 2 ] && [ "$(err_lines "$tag")" = 1 ] && grep -q -- "$want" "$WORK/$tag.err" &&
    [ ! -e "$WORK/$tag.h5" ]; then
    ok "bad input $tag: exit 2, one line naming $want, no file"
  else
    not_ok "bad input $tag: exit 2, one line naming $want, no file" "$(why "$tag")"
  fi
}
bad field "--h" --algo msc-replica64 --h 0.1
bad oddL "--L" --algo msc-replica256-anti --L 9
bad single128 "128" --algo msc-single --L 192
bad graph "ising2d" --algo msc-replica64 --model graph --couplings /dev/null
bad unknown "msc-replica64-anti" --algo msc-replica128

# A sweep: 2 sizes x 4 betas around beta_c, packed antithetic replicas.
S=(sweep --L 8,16 --beta 0.41:0.47:4 --algo msc-replica64-anti --sweeps 3000 --therm 400 --measure-every 2 --seed 3 --quiet)
run1 s1 "${S[@]}" --out s1
check_run s1 "sweep on 1 rank"
runmpi 2 s2 "${S[@]}" --out s2
check_run s2 "sweep on 2 ranks"
py_cmp "1 vs 2 ranks" "$WORK/s1" "$WORK/s2" --no-summary
CEASIM_TEST_KILL_AFTER_CHECKPOINTS=2 run1 k "${S[@]}" --checkpoint-every 0.01 --out k
if [ "$(rc_of k)" = 137 ]; then ok "killed after the 2nd checkpoint"; else not_ok "killed after the 2nd checkpoint" "$(why k)"; fi
run1 k2 "${S[@]}" --out k
check_run k2 "resumed sweep"
py_cmp "killed and resumed vs unbroken" "$WORK/s1" "$WORK/k" --no-summary

# The same grid with the plain Metropolis kernel: msc and plain are the same
# physics, so the analysed crossings must agree within their jackknife errors.
P=(sweep --L 8,16 --beta 0.41:0.47:4 --algo metropolis --sweeps 24000 --therm 2000 --seed 4 --quiet)
run1 sp "${P[@]}" --out sp
check_run sp "plain Metropolis sweep"
py_checks "analysis of the msc sweep vs plain Metropolis" "$WORK" <<'PYEOF'
import math
import os
import sys

import h5py
from chk import ok

w = sys.argv[1]
res = {}
for tag in ("s1", "sp"):
    p = os.path.join(w, tag, "analysis.h5")
    if not ok(os.path.exists(p), f"{tag}: analysis.h5 written by the sweep"):
        sys.exit(0)
    with h5py.File(p, "r") as f:
        for q in ("binder", "xi_over_L"):
            c = f["crossings/" + q]
            res[tag, q] = (float(c["found"][0]), float(c["beta"][0]), float(c["beta_error"][0]))
for q in ("binder", "xi_over_L"):
    (fa, a, da), (fb, b, db) = res["s1", q], res["sp", q]
    ok(fa == 1 and fb == 1, f"{q}: 8/16 crossing found by both")
    ok(abs(a - b) <= 4 * math.hypot(da, db),
       f"{q} crossing: msc {a:.5f}({da:.5f}) vs plain {b:.5f}({db:.5f}) within 4 sigma")
PYEOF
cli_finish
