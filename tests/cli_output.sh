#!/usr/bin/env bash
# ceasim CLI: the output contract of `ceasim run` and `ceasim demo`.
#
# Runs small simulations and checks, with h5py/numpy:
#  - root attributes of a run file (names, types, values, command line);
#  - /timeseries: float64 series of length sweeps / measure_every;
#  - /observables: the nine scalar datasets with mean/error (tau_int where it
#    applies), and their consistency with the time series;
#  - reproducibility (same command -> bitwise identical series), seed dependence,
#    --force, edge list == HDF5 CSR, ising3d and graph runs, the demo.
#
# usage: bash tests/cli_output.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

mkdir -p "$WORK/out"

py_checks "output contract" "$CEASIM" "$WORK/out" <<'EOF'
import math
import os
import re
import subprocess
import sys

import h5py
import numpy as np

from chk import close, fail, ok, text

CEASIM, OUT = sys.argv[1], sys.argv[2]

OBS = ["energy", "abs_magnetization", "m2", "m4", "specific_heat", "susceptibility",
       "susceptibility_connected", "binder", "xi_2nd"]
ROOT_ATTRS = ["ceasim_version", "command_line", "model", "L", "dim", "n_spins", "beta",
              "h", "algo", "seed", "sweeps", "therm", "measure_every"]


def run(args, timeout=300):
    return subprocess.run([CEASIM] + args, cwd=OUT, capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def run_ok(label, args):
    """Runs ceasim; checks exit 0, silent stderr, and (with --out) the 'wrote' line."""
    p = run(args)
    good = ok(p.returncode == 0, f"{label}: exit status 0",
              f"got {p.returncode}: {p.stderr.decode(errors='replace').strip()[:300]}")
    ok(p.stderr == b"", f"{label}: nothing on stderr",
       p.stderr.decode(errors="replace").strip()[:300])
    if "--out" in args:
        out = args[args.index("--out") + 1]
        ok(f"wrote {out}" in p.stdout.decode(errors="replace"),
           f"{label}: stdout says 'wrote {out}'")
        ok(os.path.isfile(os.path.join(OUT, out)), f"{label}: {out} exists")
    return good, p


p = run(["--version"])
VERSION = p.stdout.decode().strip().split(" ", 1)[1] if p.returncode == 0 else "?"


def same_value(a, b):
    """Bitwise equality of scalars/arrays (NaN equal to NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def check_file(label, path, args, exp, lattice=True):
    """The file written by `ceasim ARGS`: attributes, time series, observables."""
    path = os.path.join(OUT, path)
    try:
        f = h5py.File(path, "r")
    except Exception as e:  # noqa: BLE001
        fail(f"{label}: {os.path.basename(path)} opens as HDF5", str(e))
        return
    with f:
        a = f.attrs
        missing = [k for k in ROOT_ATTRS if k not in a]
        ok(not missing, f"{label}: root attributes {', '.join(ROOT_ATTRS)} present",
           f"missing {missing}")
        want = {"ceasim_version": VERSION,
                "command_line": " ".join([CEASIM] + args)}
        want.update(exp)
        for k, v in want.items():
            if k not in a:
                continue
            got = a[k]
            if isinstance(v, str):
                good = text(got) == v
            elif isinstance(v, float):
                good = np.issubdtype(np.asarray(got).dtype, np.floating) and float(got) == v
            else:
                good = np.issubdtype(np.asarray(got).dtype, np.integer) and int(got) == v
            ok(good, f"{label}: attribute {k} = {v!r}", f"got {got!r}")

        sweeps, me = exp["sweeps"], exp["measure_every"]
        n_meas = sweeps // me
        ts = f.get("timeseries")
        series = {}
        names = ["energy", "magnetization"] + (["structure_factor_kmin"] if lattice else [])
        for name in names:
            d = ts.get(name) if ts is not None else None
            if d is None:
                fail(f"{label}: /timeseries/{name} exists")
                continue
            ok(d.dtype == np.float64 and d.shape == (n_meas,),
               f"{label}: /timeseries/{name} is float64 of length {sweeps}/{me} = {n_meas}",
               f"{d.dtype} {d.shape}")
            series[name] = d[()]
        e = series.get("energy")
        m = series.get("magnetization")
        if e is None or m is None:
            return
        n = exp["n_spins"]
        ok(np.all(np.isfinite(e)) and np.all(np.isfinite(m)) and np.all(np.abs(m) <= 1),
           f"{label}: series are finite and |m| <= 1")
        # m = M / N with M a sum of +-1 spins: M is an integer of the parity of N.
        M = m * n
        ok(np.all(np.abs(M - np.round(M)) < 1e-9) and np.all((np.round(M).astype(np.int64) - n) % 2 == 0),
           f"{label}: magnetization * n_spins is an integer of the parity of n_spins")
        if lattice and exp["h"] == 0.0:
            E = e * n
            ok(np.all(np.abs(E - np.round(E)) < 1e-9) and np.all(np.abs(e) <= exp["dim"] + 1e-12),
               f"{label}: energy * n_spins is an integer and |e| <= dim")

        g = f.get("observables")
        if g is None:
            fail(f"{label}: /observables exists")
            return
        bs, nb = g.attrs.get("bin_size"), g.attrs.get("n_bins")
        if bs is None or nb is None:
            fail(f"{label}: /observables has attributes bin_size and n_bins")
            return
        bs, nb = int(bs), int(nb)
        ok(bs >= 1 and (bs & (bs - 1)) == 0 and nb == n_meas // bs and nb >= 32,
           f"{label}: bin_size {bs} is a power of two and n_bins {nb} = {n_meas} // {bs} >= 32")
        obs = {}
        for name in OBS:
            d = g.get(name)
            if d is None:
                fail(f"{label}: /observables/{name} exists")
                continue
            v = d[()]
            good = d.shape == () and d.dtype == np.float64
            good = good and "mean" in d.attrs and "error" in d.attrs
            good = good and same_value(np.float64(d.attrs["mean"]), np.float64(v))
            ok(good, f"{label}: /observables/{name} is a float64 scalar with attrs mean (= value) and error",
               f"shape {d.shape} dtype {d.dtype} attrs {dict(d.attrs)}")
            obs[name] = (float(v), float(d.attrs.get("error", np.nan)), d.attrs)
        for name in ["energy", "abs_magnetization"]:
            if name in obs:
                t = obs[name][2].get("tau_int")
                ok(t is not None and math.isfinite(float(t)) and float(t) > 0,
                   f"{label}: /observables/{name} has a positive tau_int", f"got {t!r}")
        if len(obs) != len(OBS):
            return
        used = slice(n_meas % bs, None)
        eu, mu = e[used], m[used]
        ok(len(eu) == nb * bs, f"{label}: {n_meas % bs} leading samples dropped, {nb} x {bs} used")
        checks = [("energy", eu.mean()), ("abs_magnetization", np.abs(mu).mean()),
                  ("m2", (mu * mu).mean()), ("m4", (mu ** 4).mean())]
        for name, want_v in checks:
            ok(close(obs[name][0], want_v, 1e-12),
               f"{label}: {name} = mean over the samples used (to 1e-12)",
               f"{obs[name][0]!r} vs {want_v!r}")
        beta = exp["beta"]
        ok(close(obs["susceptibility"][0], beta * n * obs["m2"][0], 1e-12),
           f"{label}: susceptibility = beta * n_spins * m2",
           f"{obs['susceptibility'][0]!r} vs {beta * n * obs['m2'][0]!r}")
        # The nonlinear observables are bias-corrected jackknife estimates: they
        # agree with the plain formulas to well within their error bars.
        m2, m4, am = obs["m2"][0], obs["m4"][0], obs["abs_magnetization"][0]
        loose = [("specific_heat", beta * beta * n * eu.var()),
                 ("susceptibility_connected", beta * n * (m2 - am * am)),
                 ("binder", 1 - m4 / (3 * m2 * m2))]
        for name, want_v in loose:
            v, err, _ = obs[name]
            ok(math.isfinite(err) and err > 0 and abs(v - want_v) <= 2 * err,
               f"{label}: {name} agrees with its plain estimate within 2 error bars",
               f"{v!r} +- {err!r} vs {want_v!r}")
        errs_ok = all(math.isfinite(obs[k][1]) and obs[k][1] > 0 for k in OBS if k != "xi_2nd")
        ok(errs_ok, f"{label}: error bars are finite and positive")
        xi, xerr, xattrs = obs["xi_2nd"]
        if lattice:
            ok(math.isfinite(xi) and xi > 0 and "note" not in xattrs,
               f"{label}: xi_2nd is finite and positive", f"{xi!r}")
        else:
            ok(math.isnan(xi) and math.isnan(float(xattrs.get("mean", 0.0))) and "note" in xattrs,
               f"{label}: xi_2nd is NaN with a 'note' attribute",
               f"value {xi!r} attrs {dict(xattrs)}")


def read_series(path):
    with h5py.File(os.path.join(OUT, path), "r") as f:
        return {k: f["timeseries"][k][()] for k in f["timeseries"]}


def read_obs(path):
    with h5py.File(os.path.join(OUT, path), "r") as f:
        g = f["observables"]
        res = {"@" + k: v for k, v in g.attrs.items()}
        for k in g:
            res[k] = (g[k][()], dict(g[k].attrs))
        return res


def same_obs(a, b):
    if set(a) != set(b):
        return False
    for k in a:
        if k.startswith("@"):
            if not same_value(a[k], b[k]):
                return False
            continue
        (va, aa), (vb, ab) = a[k], b[k]
        if not same_value(va, vb) or set(aa) != set(ab):
            return False
        if not all(same_value(aa[x], ab[x]) for x in aa):
            return False
    return True


# ---- ising2d, metropolis ------------------------------------------------------
base = ["run", "--model", "ising2d", "--L", "8", "--algo", "metropolis", "--beta", "0.44",
        "--sweeps", "2000", "--therm", "200", "--seed", "12345", "--quiet"]
exp2d = {"model": "ising2d", "L": 8, "dim": 2, "n_spins": 64, "beta": 0.44, "h": 0.0,
         "algo": "metropolis", "seed": 12345, "sweeps": 2000, "therm": 200, "measure_every": 1,
         "stream": 0, "init": "hot"}

args_a = base + ["--out", "a.h5"]
good, p = run_ok("ising2d L=8", args_a)
out = p.stdout.decode(errors="replace")
ok(re.search(r"^observable\s+mean\s+error\s+tau_int", out, re.M) is not None
   and all(re.search(rf"^{o}\s", out, re.M) for o in OBS),
   "ising2d L=8: stdout has the observable table with all nine observables")
if good:
    check_file("ising2d L=8", "a.h5", args_a, exp2d)

args_b = base + ["--measure-every", "2", "--out", "b.h5"]
if run_ok("ising2d --measure-every 2", args_b)[0]:
    check_file("ising2d --measure-every 2", "b.h5", args_b, dict(exp2d, measure_every=2))
    if good:
        sa, sb = read_series("a.h5"), read_series("b.h5")
        ok(all(same_value(sb[k], sa[k][1::2]) for k in sa),
           "--measure-every 2 samples the same chain: its series are every second "
           "sample of the --measure-every 1 run (bitwise)")

args_c = base + ["--measure-every", "3", "--out", "c.h5"]
if run_ok("ising2d --measure-every 3", args_c)[0]:
    check_file("ising2d --measure-every 3", "c.h5", args_c, dict(exp2d, measure_every=3))

args_d = ["run", "--L", "6", "--algo", "heatbath", "--beta", "0.3", "--h", "0.05",
          "--sweeps", "1000", "--therm", "50", "--seed", "7", "--stream", "3",
          "--init", "cold", "--quiet", "--out", "d.h5"]
if run_ok("ising2d heatbath with --h 0.05", args_d)[0]:
    check_file("ising2d heatbath with --h 0.05", "d.h5", args_d,
               {"model": "ising2d", "L": 6, "dim": 2, "n_spins": 36, "beta": 0.3, "h": 0.05,
                "algo": "heatbath", "seed": 7, "sweeps": 1000, "therm": 50,
                "measure_every": 1, "stream": 3, "init": "cold"})

# ---- reproducibility ------------------------------------------------------------
args_a2 = base + ["--out", "a2.h5"]
if run_ok("same command again", args_a2)[0] and good:
    sa, sa2 = read_series("a.h5"), read_series("a2.h5")
    ok(set(sa) == set(sa2) and all(same_value(sa[k], sa2[k]) for k in sa),
       "same command twice: identical /timeseries datasets (bitwise)")
    ok(same_obs(read_obs("a.h5"), read_obs("a2.h5")),
       "same command twice: identical /observables (values and attributes)")

args_s = [x if x != "12345" else "12346" for x in base] + ["--out", "s.h5"]
if run_ok("--seed 12346", args_s)[0] and good:
    check_file("--seed 12346", "s.h5", args_s, dict(exp2d, seed=12346))
    sa, ss = read_series("a.h5"), read_series("s.h5")
    ok(not np.array_equal(sa["energy"], ss["energy"]) and
       not np.array_equal(sa["magnetization"], ss["magnetization"]),
       "a different --seed gives different energy and magnetization series")

args_st = base + ["--stream", "1", "--out", "st.h5"]
if run_ok("--stream 1", args_st)[0] and good:
    ok(not np.array_equal(read_series("a.h5")["energy"], read_series("st.h5")["energy"]),
       "a different --stream gives a different energy series")

# ---- --force ----------------------------------------------------------------------
junk = b"this is not an HDF5 file\n" * 10
with open(os.path.join(OUT, "f.h5"), "wb") as fh:
    fh.write(junk)
args_f = base + ["--out", "f.h5", "--force"]
if run_ok("--force over an existing file", args_f)[0]:
    with open(os.path.join(OUT, "f.h5"), "rb") as fh:
        ok(fh.read(8) == b"\x89HDF\r\n\x1a\n", "--force: the old file was replaced by an HDF5 file")
    check_file("--force", "f.h5", args_f, exp2d)
    if good:
        ok(all(same_value(v, read_series("f.h5")[k]) for k, v in read_series("a.h5").items()),
           "--force: the replacement holds the run's series")
    # And again over the HDF5 file it just wrote.
    args_f2 = [x if x != "12345" else "12346" for x in args_f]
    if run_ok("--force over an HDF5 file", args_f2)[0]:
        with h5py.File(os.path.join(OUT, "f.h5"), "r") as f:
            ok(int(f.attrs["seed"]) == 12346, "--force: the second run's file replaced the first")

# ---- graph: edge list and HDF5 CSR -------------------------------------------------
rng = np.random.default_rng(2024)
n = 24
pairs = set()
while len(pairs) < 60:
    i, j = (int(x) for x in rng.integers(0, n, 2))
    if i != j:
        pairs.add((min(i, j), max(i, j)))
pairs = sorted(pairs)
J = {p: float(rng.normal()) for p in pairs}          # mixed signs, not round numbers
hfield = {i: float(rng.normal(scale=0.3)) for i in range(0, n, 3)}
order = list(pairs)
rng.shuffle(order)
with open(os.path.join(OUT, "graph.txt"), "w") as fh:
    fh.write("# random spin glass for ceasim tests\n")
    fh.write(f"n {n}\n")
    for k, (i, j) in enumerate(order):
        # alternate the orientation of the pair; repr() round-trips the double
        a, b = (i, j) if k % 2 else (j, i)
        fh.write(f"{a} {b} {J[(i, j)]!r}\n")
    for i, v in hfield.items():
        fh.write(f"h {i} {v!r}   # field\n")
rows = [[] for _ in range(n)]
for (i, j), v in J.items():
    rows[i].append((j, v))
    rows[j].append((i, v))
indptr, indices, data = [0], [], []
for r in rows:
    rng.shuffle(r)                                 # CSR rows need not be sorted
    indices += [c for c, _ in r]
    data += [v for _, v in r]
    indptr.append(len(indices))
hv = np.zeros(n)
for i, v in hfield.items():
    hv[i] = v
with h5py.File(os.path.join(OUT, "graph.h5"), "w") as fh:
    fh["indptr"] = np.asarray(indptr, dtype=np.int32)
    fh["indices"] = np.asarray(indices, dtype=np.int64)
    fh["data"] = np.asarray(data, dtype=np.float64)
    fh["h"] = hv

gbase = ["run", "--model", "graph", "--algo", "metropolis", "--beta", "0.7", "--h", "0.1",
         "--sweeps", "1000", "--therm", "100", "--seed", "99", "--quiet"]
expg = {"model": "graph", "n_spins": n, "beta": 0.7, "h": 0.1, "algo": "metropolis",
        "seed": 99, "sweeps": 1000, "therm": 100, "measure_every": 1}
args_gt = gbase + ["--couplings", "graph.txt", "--out", "gt.h5"]
args_gh = gbase + ["--couplings", "graph.h5", "--out", "gh.h5"]
ok_t = run_ok("graph from an edge list", args_gt)[0]
ok_h = run_ok("graph from HDF5 CSR", args_gh)[0]
if ok_t:
    check_file("graph (edge list)", "gt.h5", args_gt, dict(expg, couplings="graph.txt"), lattice=False)
if ok_h:
    check_file("graph (HDF5 CSR)", "gh.h5", args_gh, dict(expg, couplings="graph.h5"), lattice=False)
if ok_t and ok_h:
    st, sh = read_series("gt.h5"), read_series("gh.h5")
    ok(set(st) == set(sh) and all(same_value(st[k], sh[k]) for k in st),
       "graph: edge list and equivalent HDF5 CSR give bitwise identical series")
    ok(same_obs(read_obs("gt.h5"), read_obs("gh.h5")),
       "graph: edge list and equivalent HDF5 CSR give identical observables")
    # The --h field really is added: the same graph without it is another chain.
    args_g0 = [x if x != "0.1" else "0" for x in args_gt]
    args_g0[args_g0.index("gt.h5")] = "g0.h5"
    if run_ok("graph without --h", args_g0)[0]:
        ok(not np.array_equal(read_series("g0.h5")["energy"], st["energy"]),
           "graph: --h 0.1 changes the chain (the field is added)")

# ---- ising3d ---------------------------------------------------------------------
args_3 = ["run", "--model", "ising3d", "--L", "4", "--algo", "wolff", "--beta", "0.2",
          "--sweeps", "500", "--therm", "100", "--seed", "5", "--quiet", "--out", "i3.h5"]
if run_ok("ising3d L=4 wolff", args_3)[0]:
    check_file("ising3d L=4 wolff", "i3.h5", args_3,
               {"model": "ising3d", "L": 4, "dim": 3, "n_spins": 64, "beta": 0.2, "h": 0.0,
                "algo": "wolff", "seed": 5, "sweeps": 500, "therm": 100, "measure_every": 1})
    with h5py.File(os.path.join(OUT, "i3.h5"), "r") as f:
        w, s = f.attrs.get("wolff_clusters_per_sweep"), f.attrs.get("mean_cluster_size")
        ok(w is not None and int(w) >= 1 and s is not None and 1 <= float(s) <= 64,
           "ising3d wolff: wolff_clusters_per_sweep >= 1 and 1 <= mean_cluster_size <= n_spins",
           f"{w!r} {s!r}")

args_sw = ["run", "--L", "8", "--algo", "sw", "--beta", "0.4", "--sweeps", "500",
           "--therm", "50", "--quiet", "--out", "sw.h5"]
if run_ok("ising2d L=8 sw", args_sw)[0]:
    check_file("ising2d L=8 sw", "sw.h5", args_sw,
               dict(exp2d, algo="sw", beta=0.4, seed=1, sweeps=500, therm=50))

# ---- demo ----------------------------------------------------------------------------
args_demo = ["demo", "--sweeps", "2000", "--out", "demo.h5"]
good, p = run_ok("demo", args_demo)
if good:
    out = p.stdout.decode(errors="replace")
    rowre = re.compile(r"^\s*(\d+\.\d+)\s*\|\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*\|"
                       r"\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", re.M)
    rows = rowre.findall(out)
    ok(len(rows) == 5, "demo: the table has 5 beta rows", f"found {len(rows)}")
    with h5py.File(os.path.join(OUT, "demo.h5"), "r") as f:
        runs = f.get("runs")
        names = sorted(k for k in runs if k.startswith("beta_")) if runs is not None else []
        ok(len(names) == 5, "demo: the file has 5 groups /runs/beta_*", f"{names}")
        ok(text(f.attrs.get("ceasim_version", b"")) == VERSION,
           "demo: root attribute ceasim_version")
        ok(text(f.attrs.get("command_line", b"")) == " ".join([CEASIM] + args_demo),
           "demo: root attribute command_line")
        for k in names:
            g = runs[k]
            o = g.get("observables")
            ok(o is not None and all(x in o for x in OBS),
               f"demo: /runs/{k}/observables holds all nine observables")
            ts = g.get("timeseries")
            ok(ts is not None and ts["energy"].shape == (2000,),
               f"demo: /runs/{k}/timeseries/energy has 2000 samples")
            beta = float(g.attrs.get("beta", np.nan))
            ok(k == f"beta_{beta:.6f}" and text(g.attrs.get("model", b"")) == "ising2d",
               f"demo: /runs/{k} attributes beta and model match its name")
            row = [r for r in rows if abs(float(r[0]) - beta) < 1e-5]
            if o is not None and "energy" in o and len(row) == 1:
                ok(abs(float(row[0][1]) - float(o["energy"][()])) <= 6e-7 and
                   abs(float(row[0][3]) - float(g.attrs["exact_energy"])) <= 6e-7,
                   f"demo: beta {beta:.5f} row shows the file's energy and exact energy")
            else:
                fail(f"demo: beta {beta:.5f} row shows the file's energy and exact energy",
                     f"rows {row}")

# ---- nothing left behind --------------------------------------------------------------
tmp = [x for x in os.listdir(OUT) if x.startswith(".")]
ok(not tmp, "no temporary (.NAME.tmp.*) files left in the output directory", f"{tmp}")
EOF

cli_finish
