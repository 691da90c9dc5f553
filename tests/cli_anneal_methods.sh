#!/usr/bin/env bash
# `ceasim anneal` beyond sa: the CEAS thermostat, parallel tempering over MPI ranks,
# simulated bifurcation and analog dynamics, finite coupling precision.
#
#  - pt: the same run on 1, 2 and 3 ranks gives bitwise the same file (best
#    energies and configurations, ladder, acceptances, <E> per temperature, round
#    trips); every read reaches the exact ground state of an n = 16 SK instance;
#  - ceas, sb-ballistic, sb-discrete, analog reach the exact ground state of an
#    enumerable instance in most reads (floors stated below);
#  - --j-bits: energies are reported on the true couplings (recomputed here from the
#    written configurations), the quantisation error is written and within half a
#    step; ±1/sqrt(n) couplings are unchanged by any precision >= 2 bits;
#  - bad input: options of another method, 1 bit, sa under mpirun -np 2: exit 2, one
#    line, no file;
#  - the NPU model (--field-noise, --update, --cost-pj): see the section at the end.
#
# usage: bash tests/cli_anneal_methods.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

PT=(anneal --model sk --n 16 --instance-seed 7 --method pt --reads 3 --sweeps 600 --temperatures 6 --tune-rounds 2 --tune-sweeps 100 --target exact --trace-every 20 --quiet)
run1 p1 "${PT[@]}" --out p1.h5
check_run p1 "pt on 1 process"
runmpi 2 p2 "${PT[@]}" --out p2.h5
check_run p2 "pt on 2 ranks"
runmpi 3 p3 "${PT[@]}" --out p3.h5
check_run p3 "pt on 3 ranks"
for m in ceas sb-ballistic sb-discrete analog; do
  run1 "m_$m" anneal --model sk --n 16 --instance-seed 7 --method "$m" --reads 16 --sweeps 400 --target exact --quiet --out "m_$m.h5"
  check_run "m_$m" "$m"
done
run1 q anneal --model sk --n 18 --bonds gauss --instance-seed 3 --method sa --reads 4 --sweeps 300 --j-bits 3 --quiet --out q.h5
check_run q "sa with 3-bit couplings"
run1 qpm anneal --model sk --n 18 --instance-seed 3 --method sa --reads 4 --sweeps 300 --j-bits 2 --quiet --out qpm.h5
check_run qpm "sa with 2-bit couplings on a +-J instance"
run1 q0 anneal --model sk --n 18 --instance-seed 3 --method sa --reads 4 --sweeps 300 --quiet --out q0.h5
check_run q0 "sa with exact couplings"

py_checks "anneal methods" "$WORK" <<'PYEOF'
import os
import sys

import h5py
import numpy as np
from chk import ok

w = sys.argv[1]
f = {t: h5py.File(os.path.join(w, t + ".h5"), "r") for t in ("p1", "p2", "p3")}
for key in ("best_energy", "best_config", "pt/betas", "pt/acceptance", "pt/energy_per_spin",
            "pt/round_trips", "trace", "trace_sweeps"):
    same = all(np.array_equal(f["p1"][key][()], f[t][key][()]) for t in ("p2", "p3"))
    ok(same, f"pt: {key} bitwise equal on 1, 2 and 3 ranks")
ok([int(f[t]["pt"].attrs["ranks"]) for t in ("p1", "p2", "p3")] == [1, 2, 3], "pt: ranks recorded")
e0 = float(f["p1"].attrs["exact_e0"])
ok(np.all(f["p1"]["reached"][()] == 1) and np.allclose(f["p1"]["best_energy"][()], e0),
   "pt: every read reaches the exact ground state")
# The trace covers the whole run, tuning included: (2 x 100 + 600) / 20 entries.
ok(f["p1"]["trace"].shape == (3, 40) and int(f["p1"]["trace_sweeps"][-1]) == 800,
   "pt: trace of every 20 of the 800 sweeps")
ok(np.all(f["p1"]["trace"][()] >= e0 - 1e-9) and np.allclose(f["p1"]["trace"][()].min(axis=1), e0),
   "pt: trace never below E0 and reaching it in every read")
b = f["p1"]["pt/betas"][0]
ok(np.all(np.diff(b) > 0), "pt: tuned ladder increasing")

# Floors: 16 reads; a method with a true success rate >= 0.8 on this instance falls
# to 8 or fewer successes with probability < 2e-3 (binomial); measured 16/16 for
# ceas and sb-discrete, 14-16 for sb-ballistic and analog.
for m in ("ceas", "sb-ballistic", "sb-discrete", "analog"):
    with h5py.File(os.path.join(w, f"m_{m}.h5"), "r") as g:
        s = int(g.attrs["successes"])
        ok(s > 8, f"{m}: {s} of 16 reads reach the exact ground state (floor 9)")
        ok(g.attrs["method"] in (m, m.encode()), f"{m}: method attribute")

with h5py.File(os.path.join(w, "q.h5"), "r") as g:
    ok(int(g.attrs["j_bits"]) == 3, "j-bits attribute")
    # 3 bits: levels k step, |k| <= 3, step = max|J| / 3; nearest rounding errs by at
    # most step / 2 = max|J| / 6
    err = float(g.attrs["j_max_error"])
    ok(0 < err <= 1 / 6 + 1e-12, f"quantisation error {err:.4g} of max|J| within half a step (1/6)")
with h5py.File(os.path.join(w, "qpm.h5"), "r") as g, h5py.File(os.path.join(w, "q0.h5"), "r") as h:
    ok(float(g.attrs["j_max_error"]) == 0.0, "+-J couplings unchanged at 2 bits")
    ok(np.array_equal(g["best_config"][()], h["best_config"][()]) and
       np.array_equal(g["best_energy"][()], h["best_energy"][()]),
       "+-J instance: 2-bit run bitwise the exact run")
PYEOF

# The reported energies of the 3-bit run are those of the true couplings.
run1 inst anneal --model sk --n 18 --bonds gauss --instance-seed 3 --method sa --reads 1 --sweeps 10 --quiet --write-instance inst.txt
py_checks "rescoring" "$WORK" <<'PYEOF'
import os
import sys

import h5py
import numpy as np
from chk import ok

w = sys.argv[1]
J = np.zeros((18, 18))
for line in open(os.path.join(w, "inst.txt")):
    t = line.split()
    if len(t) == 3 and t[0] not in ("n", "h", "#"):
        i, j, v = int(t[0]), int(t[1]), float(t[2])
        J[i, j] = J[j, i] = v
with h5py.File(os.path.join(w, "q.h5"), "r") as g:
    s = g["best_config"][()].astype(float)
    e = np.array([-0.5 * x @ J @ x for x in s])
    ok(np.allclose(e, g["best_energy"][()], rtol=0, atol=1e-9),
       "3-bit run: best energies are the true-coupling energies of the written configurations")
PYEOF

bad() {
  local tag="$1" want="$2"
  shift 2
  run1 "$tag" anneal --model sk --n 16 "$@" --quiet --out "$tag.h5"
  if [ "$(rc_of "$tag")" = 2 ] && [ "$(err_lines "$tag")" = 1 ] && grep -q -- "$want" "$WORK/$tag.err" &&
    [ ! -e "$WORK/$tag.h5" ]; then
    ok "bad input $tag: exit 2, one line naming $want, no file"
  else
    not_ok "bad input $tag: exit 2, one line naming $want, no file" "$(why "$tag")"
  fi
}
bad ptopt "--temperatures" --method sa --temperatures 4
bad ceasopt "--preset" --method sa --preset 9k
bad dynopt "--dt" --method ceas --dt 0.5
bad onebit "--j-bits" --j-bits 1
bad preset "--preset" --method ceas --preset huge
bad ptsched "--method pt" --method pt --schedule linear
bad pttrace "--trace-every" --method pt --exchange-every 4 --trace-every 6
# --device gpu: a method without a GPU twin, a bad device, and sa where the build
# has no CUDA or the machine no CUDA device (the suite never has a GPU to use).
bad gpupt "--device gpu" --method pt --device gpu
bad gpudev "--device" --device tpu
bad gpunone "--device gpu" --method sa --device gpu
runmpi 2 mpisa anneal --model sk --n 16 --method sa --quiet --out mpisa.h5
if [ "$(rc_of mpisa)" = 2 ] && grep -q "only --method pt" "$WORK/mpisa.err" && [ ! -e "$WORK/mpisa.h5" ]; then
  ok "sa under mpirun -np 2: exit 2, names pt, no file"
else
  not_ok "sa under mpirun -np 2: exit 2, names pt, no file" "$(why mpisa)"
fi
# ---- the NPU hardware model on every method (issue 7) -------------------------
#  - cost model: per-read columns and the pJ figures as attributes; the counts of
#    sa on SK (every site has n - 1 neighbours) are the hand count from the written
#    flips, the energy is counts x the --cost-pj figures, and pt's counts do not
#    depend on the number of ranks; the summary line is printed;
#  - --field-noise 1e-30 gives bitwise the exact run (fields of this instance are
#    never 0), --field-noise and --update are recorded for every method; pt with
#    field noise is bitwise the same on 1 and 2 ranks;
#  - bad values: exit 2, one line naming the option, no file.
run1 cost anneal --model sk --n 18 --bonds gauss --instance-seed 3 --method sa --reads 4 --sweeps 300 --j-bits 3 --cost-pj "mac=0.5,byte=2,update=1" --quiet --out cost.h5
check_run cost "sa with the cost model's own pJ figures"
if grep -q "^machine cost: .* pJ (.* per read), .* MACs (.* per read), .* bytes (.* per read)" "$WORK/cost.out"; then
  ok "cost summary line printed"
else
  not_ok "cost summary line printed" "$(cat "$WORK/cost.out")"
fi
run1 tiny anneal --model sk --n 18 --instance-seed 3 --method sa --reads 4 --sweeps 300 --field-noise 1e-30 --quiet --out tiny.h5
check_run tiny "sa with vanishing field noise"
for m in sa ceas pt sb-discrete analog; do
  run1 "npu_$m" anneal --model sk --n 16 --instance-seed 7 --method "$m" --reads 2 --sweeps 100 --field-noise 0.2 --update sync --quiet --out "npu_$m.h5"
  check_run "npu_$m" "$m with field noise and synchronous updates"
done
run1 npu_async anneal --model sk --n 16 --instance-seed 7 --method ceas --reads 2 --sweeps 100 --quiet --out npu_async.h5
check_run npu_async "ceas, default NPU model"
# Field noise is addressed by (seed, read, sweep, walker, site): pt with noise does
# not depend on the number of ranks either.
PTN=(anneal --model sk --n 16 --instance-seed 7 --method pt --reads 2 --sweeps 200 --temperatures 5 --field-noise 0.3 --quiet)
run1 pn1 "${PTN[@]}" --out pn1.h5
check_run pn1 "pt with field noise on 1 process"
runmpi 2 pn2 "${PTN[@]}" --out pn2.h5
check_run pn2 "pt with field noise on 2 ranks"

py_checks "NPU model" "$WORK" <<'PYEOF'
import os
import sys

import h5py
import numpy as np
from chk import ok

w = sys.argv[1]
with h5py.File(os.path.join(w, "cost.h5"), "r") as g:
    n = 18
    nnz = n * (n - 1)
    cb = 1  # 3-bit couplings: one byte each
    flips = g["flips"][()]
    macs, byts, upd = g["cost_macs"][()], g["cost_bytes"][()], g["cost_spin_updates"][()]
    ok(np.array_equal(upd, g["updates"][()]) and np.all(upd == 300 * n), "cost: n updates per sweep")
    ok(np.array_equal(macs, nnz + flips * (n - 1)), "cost: MACs = initial fields + (n-1) per flip")
    ok(np.array_equal(byts, nnz * cb + 8 * n + flips * (n - 1) * (cb + 8)),
       "cost: bytes = couplings and state of the initial fields + (cb + 8) per neighbour and flip")
    a = g.attrs
    ok((float(a["cost_pj_mac"]), float(a["cost_pj_byte"]), float(a["cost_pj_update"])) == (0.5, 2.0, 1.0)
       and int(a["cost_coupling_bytes"]) == 1, "cost: pJ figures and coupling bytes recorded")
    e = upd * 1.0 + macs * 0.5 + byts * 2.0
    ok(np.allclose(g["energy_pj"][()], e, rtol=1e-12, atol=0), "cost: energy = counts x pJ figures")
    ok(abs(float(a["cost_energy_pj_total"]) - e.sum()) <= 1e-12 * e.sum(), "cost: total energy")
f = [h5py.File(os.path.join(w, t + ".h5"), "r") for t in ("p1", "p2", "p3")]
same = all(np.array_equal(f[0][k][()], x[k][()]) for x in f[1:]
           for k in ("cost_spin_updates", "cost_macs", "cost_bytes", "energy_pj"))
ok(same and np.all(f[0]["cost_macs"][()] > 0), "pt: cost columns bitwise equal on 1, 2 and 3 ranks")
with h5py.File(os.path.join(w, "tiny.h5"), "r") as g, h5py.File(os.path.join(w, "q0.h5"), "r") as h:
    ok(all(np.array_equal(g[k][()], h[k][()]) for k in
           ("best_config", "best_energy", "final_energy", "flips", "best_sweep", "cost_macs")),
       "--field-noise 1e-30: bitwise the exact run")
    ok(float(g.attrs["field_noise"]) == 1e-30 and float(h.attrs["field_noise"]) == 0.0,
       "field noise recorded")
for m in ("sa", "ceas", "pt", "sb-discrete", "analog"):
    with h5py.File(os.path.join(w, f"npu_{m}.h5"), "r") as g:
        u = g.attrs["update"]
        ok(u in ("sync", b"sync") and float(g.attrs["field_noise"]) == 0.2,
           f"{m}: update mode and field noise recorded")
with h5py.File(os.path.join(w, "npu_async.h5"), "r") as g:
    ok(g.attrs["update"] in ("async", b"async"), "default update mode async")
with h5py.File(os.path.join(w, "pn1.h5"), "r") as a, h5py.File(os.path.join(w, "pn2.h5"), "r") as b:
    keys = ("best_energy", "best_config", "pt/energy_per_spin", "pt/acceptance", "cost_macs")
    ok(all(np.array_equal(a[k][()], b[k][()]) for k in keys),
       "pt with field noise: bitwise equal on 1 and 2 ranks")
    ok(float(a.attrs["field_noise"]) == 0.3 and float(b.attrs["field_noise"]) == 0.3,
       "pt: field noise recorded")
PYEOF

bad badupdate "--update" --update parallel
bad negnoise "--field-noise" --field-noise -0.1
bad nannoise "--field-noise" --field-noise nan
bad negpj "--cost-pj" --cost-pj mac=-1
bad namepj "--cost-pj" --cost-pj flops=3
bad emptypj "--cost-pj" --cost-pj ""
bad syncrandom "--order random" --update sync --order random
bad sbasync "--update async" --method sb-discrete --update async
# The packed kernel (--kernel auto on +-J tori with even L): sa runs 64 reads per
# packed state, pt 64 PT systems per run; pt bitwise the same on 1 and 2 ranks; both
# reach the exact ground state of a 4x4 glass in every read; --kernel fields gives
# the local-field path; packed where it cannot apply is refused.
run1 ks anneal --model ea2d --L 4 --instance-seed 5 --reads 64 --sweeps 300 --target exact --quiet --out ks.h5
check_run ks "sa, packed kernel"
run1 kf anneal --model ea2d --L 4 --instance-seed 5 --reads 8 --sweeps 300 --target exact --kernel fields --quiet --out kf.h5
check_run kf "sa, local fields"
PK=(anneal --model ea2d --L 4 --instance-seed 5 --method pt --reads 70 --sweeps 200 --tune-rounds 1 --tune-sweeps 100 --temperatures 4 --target exact --trace-every 10 --quiet)
runmpi 1 kp1 "${PK[@]}" --out kp1.h5
runmpi 2 kp2 "${PK[@]}" --out kp2.h5
py_checks "packed kernel" "$WORK" <<'PYEOF'
import os
import sys

import h5py
import numpy as np
from chk import ok

w = sys.argv[1]
with h5py.File(os.path.join(w, "ks.h5"), "r") as f, h5py.File(os.path.join(w, "kf.h5"), "r") as g:
    ok(f.attrs["method"] in (b"sa", "sa") and f.attrs["kernel"] in (b"packed", "packed"),
       "sa on +-J L=4 runs the packed kernel (method sa, kernel packed)")
    ok(g.attrs["method"] in (b"sa", "sa") and g.attrs["kernel"] in (b"fields", "fields"),
       "--kernel fields runs sa on local fields")
    ok(int(f.attrs["cost_counts_flips"]) == 0 and int(g.attrs["cost_counts_flips"]) == 1 and
       np.all(g["cost_macs"][()] > 0),
       "cost model: the packed kernel says it counts no flips, the field path counts them")
    e0 = float(f.attrs["exact_e0"])
    ok(int(f.attrs["successes"]) == 64 and int(g.attrs["successes"]) == 8,
       "packed and field sa: every read reaches E0")
with h5py.File(os.path.join(w, "kp1.h5"), "r") as a, h5py.File(os.path.join(w, "kp2.h5"), "r") as b:
    same = all(np.array_equal(a[k][()], b[k][()]) for k in
               ("best_energy", "best_config", "pt/betas", "pt/energy_per_spin", "pt/round_trips"))
    ok(same, "packed pt: bitwise the same on 1 and 2 ranks")
    ok(a.attrs["kernel"] in (b"packed", "packed"), "packed pt: kernel attribute")
    ok(np.array_equal(a["trace"][()], b["trace"][()]) and a["trace"].shape == (70, 30),
       "packed pt: traces (every 10 of the 100 tuning and 200 measured sweeps) bitwise the same on 1 and 2 ranks")
    ok(np.all(a["trace"][()].min(axis=1) >= a["best_energy"][()] - 1e-9),
       "packed pt: no trace entry below the read's best energy")
    ok(a["best_energy"].shape == (70,) and int(a.attrs["successes"]) == 70,
       "packed pt: 70 reads (two packed runs), all reach E0")
PYEOF
run1 kbad anneal --model ea2d --L 5 --kernel packed --quiet --out kbad.h5
if [ "$(rc_of kbad)" = 2 ] && grep -q -- "--kernel packed" "$WORK/kbad.err" && [ ! -e "$WORK/kbad.h5" ]; then
  ok "--kernel packed on odd L: exit 2, names the option, no file"
else
  not_ok "--kernel packed on odd L: exit 2, names the option, no file" "$(why kbad)"
fi
cli_finish
