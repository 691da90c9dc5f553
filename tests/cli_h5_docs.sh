#!/usr/bin/env bash
# ceasim CLI: every HDF5 file explains itself to a reader with h5py alone
# (README "Output file", docs/analysis.md "Layout of analysis.h5").
#
# Writes one small file of each kind (run files of every kernel family, a demo, a
# sweep's task files, sweep.h5, summary.h5, a checkpoint, analysis.h5 with ζ_CE, a
# couplings file, an attention scan, anneal files of sa, pt, sb and the packed kernel)
# and checks, with h5py:
#  - every dataset has non-empty `units` and `description`, placeholders filled in;
#  - every string attribute is variable-length UTF-8 (h5py reads a str);
#  - `rng` names the generator that drew: Philox4x32-10 for the single-spin
#    lattice kernels (metropolis, heatbath, msc-single) and the annealer's fields
#    kernel and sb/analog, Philox4x64-10 otherwise (clusters, graphs, packed kernels);
#  - summary.h5 carries the sweep's parameters, and its `_tau_int` columns exist
#    exactly for the observables with a τ_int (none of them all-NaN);
#  - τ_int's description says what one measurement is;
#  - files with fixed-length string attributes (earlier builds) are still read:
#    collect, analyze and a rerun of the sweep accept them.
#
# usage: bash tests/cli_h5_docs.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mkdir -p "$WORK/out"
cd "$WORK/out"
fails=""
mk() { # mk LABEL ARGS...: runs ceasim, remembers a failure
  local label="$1"
  shift
  if ! "$CEASIM" "$@" >"$label.out" 2>"$label.err"; then
    fails="$fails $label"
  fi
}
mk map map --synthetic --tokens 16 --d-k 4 --seed 1 --gauge top --out map.h5
mk metro run --model ising2d --L 8 --beta 0.44 --sweeps 400 --measure-every 2 --out metro.h5
mk heat run --model ising3d --L 4 --beta 0.2 --algo heatbath --sweeps 200 --out heat.h5
mk wolff run --model ising2d --L 8 --beta 0.44 --algo wolff --sweeps 200 --out wolff.h5
mk sw run --model ising3d --L 4 --beta 0.2 --algo sw --sweeps 200 --out sw.h5
mk r64 run --model ising2d --L 8 --beta 0.44 --algo msc-replica64-anti --sweeps 200 --out r64.h5
mk single run --model ising2d --L 128 --beta 0.44 --algo msc-single --sweeps 100 --therm 50 --out single.h5
mk graph run --model graph --couplings map.h5 --beta 0.05 --sweeps 200 --out graph.h5
mk demo demo --L 4 --sweeps 400 --out demo.h5
mk sweep sweep --model ising2d --L 8,12 --beta 0.40:0.46:4 --algo wolff --sweeps 2000 --therm 200 \
  --out swp --no-analysis --quiet
mk analyze analyze swp --zeta-ce
mk att attention --synthetic --tokens 16 --d-k 4 --seed 7 --beta 0:2:11 --controller --preset 14m \
  --steps 50 --out att.h5
mk sa anneal --model sk --n 12 --seed 3 --reads 4 --sweeps 100 --target exact --trace-every 25 \
  --out sa.h5
mk pt anneal --model sk --n 12 --seed 3 --reads 2 --sweeps 100 --method pt --out pt.h5
mk sbd anneal --model sk --n 12 --seed 3 --reads 2 --sweeps 100 --method sb-discrete --out sbd.h5
mk packed anneal --model ea2d --L 8 --seed 3 --reads 2 --sweeps 100 --kernel packed --out packed.h5
# A checkpoint: the sweep is killed right after writing its first one.
(CEASIM_TEST_KILL_AFTER_CHECKPOINTS=1 "$CEASIM" sweep --model ising2d --L 16 --beta 0.44 \
  --sweeps 100000000 --checkpoint-every 0.01 --out ck --no-analysis --quiet >ck.out 2>&1 ||
  true) 2>/dev/null
if [ -z "$fails" ]; then ok "every command wrote its file"; else not_ok "every command wrote its file" "failed:$fails"; fi

py_checks "self-describing files" "$CEASIM" "$WORK/out" <<'EOF'
import glob
import os
import re
import subprocess
import sys

import h5py
import numpy as np

from chk import ok

CEASIM, OUT = sys.argv[1], sys.argv[2]
os.chdir(OUT)
P32 = "Philox4x32-10"
P64 = "Philox4x64-10 (Random123)"


def string_attrs(f):
    """(object path, name, h5py string info or None) of every attribute in f."""
    out = []

    def visit(name, obj):
        for k in obj.attrs:
            out.append((name, k, h5py.check_string_dtype(obj.attrs.get_id(k).dtype)))

    visit("/", f)
    f.visititems(visit)
    return out


def check_file(path):
    with h5py.File(path, "r") as f:
        datasets = []
        f.visititems(lambda n, o: datasets.append(o) if isinstance(o, h5py.Dataset) else None)
        bad = []
        for d in datasets:
            u, t = d.attrs.get("units"), d.attrs.get("description")
            if not (isinstance(u, str) and u and isinstance(t, str) and t):
                bad.append(f"{d.name}: units {u!r}, description {t!r}")
            elif re.search(r"\{[A-Za-z_]\w*\}", u + t):
                bad.append(f"{d.name}: placeholder left: {u!r} / {t!r}")
        ok(datasets and not bad,
           f"{path}: all {len(datasets)} datasets have units and description", "; ".join(bad[:3]))
        strs = [(o, k, s) for o, k, s in string_attrs(f) if s is not None]
        fixed = [f"{o}@{k}" for o, k, s in strs if s.length is not None or s.encoding != "utf-8"]
        ok(strs and not fixed, f"{path}: all {len(strs)} string attributes are variable-length "
           "UTF-8", ", ".join(fixed[:5]))


files = ["map.h5", "metro.h5", "heat.h5", "wolff.h5", "sw.h5", "r64.h5", "single.h5",
         "graph.h5", "demo.h5", "swp/sweep.h5", "swp/summary.h5", "swp/analysis.h5",
         "att.h5", "sa.h5", "pt.h5", "sbd.h5", "packed.h5"]
tasks = sorted(glob.glob("swp/tasks/*.h5"))
ckpts = sorted(glob.glob("ck/checkpoints/*.h5"))
ok(len(tasks) == 8 and len(ckpts) == 1, "8 task files and 1 checkpoint", f"{tasks} {ckpts}")
for p in files + tasks[:1] + ckpts:
    if os.path.exists(p):
        check_file(p)
    else:
        ok(False, f"{p} exists")

# rng: the generator of each kernel, as README "Random numbers" says.
want = {"metro.h5": P32, "heat.h5": P32, "single.h5": P32, "wolff.h5": P64, "sw.h5": P64,
        "r64.h5": P64, "graph.h5": P64, tasks[0]: P64, "swp/sweep.h5": P64,
        "swp/summary.h5": P64, ckpts[0] if ckpts else "metro.h5": P32, "sa.h5": P32,
        "pt.h5": P32, "sbd.h5": P32, "packed.h5": P64}
for p, w in want.items():
    with h5py.File(p, "r") as f:
        got = f.attrs.get("rng", "")
    ok(got.startswith(w) if w == P32 else got == w, f"{p}: rng = {w}...", repr(got))
with h5py.File("demo.h5", "r") as f:
    r = [f["runs"][g].attrs["rng"] for g in f["runs"]]
ok(len(r) == 5 and all(x == P64 for x in r), "demo.h5 (wolff): rng of every run", repr(r))

# tau_int says what one measurement is: measure_every sweeps of the algorithm.
with h5py.File("metro.h5", "r") as f:
    d = f["observables/energy"].attrs["description"]
    ok("in measurements" in d and "every 2 sweep(s) of metropolis" in d,
       "metro.h5: tau_int in measurements of 2 sweeps of metropolis", d)
    ok(f["timeseries/energy"].attrs["units"] == "J per spin"
       and f["observables/susceptibility"].attrs["units"] == "1/J",
       "metro.h5: energies in J per spin, chi in 1/J")

# summary.h5: the sweep's parameters, the columns' descriptions, tau columns.
with h5py.File("swp/sweep.h5", "r") as s, h5py.File("swp/summary.h5", "r") as f:
    params = ["model", "algo", "seed", "sweeps", "therm", "measure_every", "h", "init", "rng"]
    diff = [k for k in params if k not in f.attrs or str(f.attrs[k]) != str(s.attrs[k])]
    ok(not diff, "summary.h5 carries the sweep's parameters", f"missing or different: {diff}")
    taus = sorted(k for k in f if k.endswith("_tau_int"))
    ok(taus == ["abs_magnetization_tau_int", "energy_tau_int", "m2_tau_int", "m4_tau_int",
                "susceptibility_tau_int"],
       "summary.h5: _tau_int columns for the direct averages only (none for C, U4, xi, chi')",
       repr(taus))
    allnan = [k for k in taus if np.all(np.isnan(f[k][()]))]
    ok(not allnan, "summary.h5: no _tau_int column is all NaN", repr(allnan))
    d = f["energy_tau_int"].attrs
    ok(d["units"] == "measurements" and "every 1 sweep(s) of wolff" in d["description"],
       "summary.h5: energy_tau_int in measurements of 1 sweep of wolff", d["description"])

# Files of earlier builds (fixed-length ASCII string attributes) are still read.
def to_fixed(path):
    with h5py.File(path, "r+") as f:
        for o, k, s in string_attrs(f):
            if s is not None:
                obj = f[o]
                v = obj.attrs[k].encode()
                del obj.attrs[k]
                obj.attrs.create(k, np.bytes_(v), dtype=h5py.string_dtype("ascii", len(v) + 1))

for p in ["swp/sweep.h5"] + tasks:
    to_fixed(p)
with h5py.File(tasks[0], "r") as f:
    ok(isinstance(f.attrs["algo"], bytes), "fixed-length copies made (h5py reads bytes)")
p = subprocess.run([CEASIM, "collect", "swp"], capture_output=True, timeout=60)
with h5py.File("swp/summary.h5", "r") as f:
    good = p.returncode == 0 and int(f.attrs["n_tasks"]) == 8 and f.attrs["algo"] == "wolff"
ok(good, "collect reads fixed-length string attributes", p.stderr.decode()[:300])
p = subprocess.run([CEASIM, "analyze", "swp", "--out", "old.h5"], capture_output=True,
                   timeout=120)
with h5py.File("old.h5", "r") as f:
    good = p.returncode == 0 and int(f.attrs["n_tasks_used"]) == 8
ok(good, "analyze reads fixed-length string attributes", p.stderr.decode()[:300])
p = subprocess.run([CEASIM, "sweep", "--model", "ising2d", "--L", "8,12", "--beta",
                    "0.40:0.46:4", "--algo", "wolff", "--sweeps", "2000", "--therm", "200",
                    "--out", "swp", "--no-analysis", "--quiet"], capture_output=True, timeout=60)
ok(p.returncode == 0, "a rerun of the sweep reads its fixed-length sweep.h5",
   p.stderr.decode()[:300])
EOF

cli_finish
