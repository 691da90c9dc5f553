#!/usr/bin/env bash
# ceasim CLI: `ceasim bench` (spin-flip attempts per ns of each kernel).
#
# With short --seconds: every stdout line ends in "flips/ns", one per (model, L,
# kernel), the plain metropolis first for each size and at ratio 1; each ratio is
# the kernel's rate over the plain rate of the same size; the JSON and HDF5 files
# parse and carry the version, command line, and per-result fields whose numbers
# agree with the printed lines and with each other (flip attempts = sweeps x sites
# x replicas, rate = attempts / seconds, at least --seconds timed). Bad input
# exits 2 with one line on stderr, prints nothing on stdout and writes no file; an
# existing file survives without --force.
#
# --tau (tau_int(|m|) and independent samples per second): every line ends in
# "indep/s" and parses; the file's numbers agree with the lines and with their
# definitions (n_eff = var / err^2, indep/s = n_eff / seconds, ratios to the
# metropolis of the run, replicas worth = n_eff 2 tau / n); every kernel's <|m|>
# on the 4 x 4 torus at beta_c equals exact enumeration within 5 error bars; a
# Wolff sweep flips about N spins; bad --tau input exits 2.
#
# usage: bash tests/cli_bench.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

mkdir -p "$WORK/out"

py_checks "bench" "$CEASIM" "$WORK/out" <<'PYEOF'
import json
import os
import re
import sys

import h5py

from chk import close, ok, run_in, run_ok_in, text

CEASIM, OUT = sys.argv[1], sys.argv[2]
SECONDS = 0.05
LINE = re.compile(r"^(ising[23]d) L=(\d+)\s+(\S+)\s+(\S+)\s+x(\S+)\s+(\S+) flips/ns$")


def parse_lines(p, label):
    lines = p.stdout.decode().splitlines()
    ok(lines and all(l.endswith("flips/ns") for l in lines),
       f"{label}: every stdout line ends in flips/ns", repr(lines[:3]))
    rows = []
    for l in lines:
        m = LINE.match(l)
        if not ok(m, f"{label}: line parses: {l}"):
            continue
        rows.append(dict(model=m[1], L=int(m[2]), algo=m[3], isa=m[4],
                         ratio=float(m[5]), rate=float(m[6])))
    return rows


def check_rows(rows, label, models, Ls, algos):
    want = [(mo, L, a) for mo in models for L in Ls for a in ["metropolis"] + algos]
    got = [(r["model"], r["L"], r["algo"]) for r in rows]
    ok(got == want, f"{label}: one line per model, size and kernel, metropolis first",
       f"{got} != {want}")
    plain = {}
    for r in rows:
        if r["algo"] == "metropolis":
            plain[(r["model"], r["L"])] = r["rate"]
            ok(r["ratio"] == 1.0 and r["isa"] == "int8",
               f"{label}: {r['model']} L={r['L']} metropolis is the yardstick (x1.0, int8)")


def check_results(res, rows, label):
    ok(len(res) == len(rows), f"{label}: one result per printed line")
    plain = float("nan")
    for r, row in zip(res, rows):
        what = f"{label}: {r['model']} L={r['L']} {r['algo']}"
        ok((r["model"], r["L"], r["algo"], r["isa"]) ==
           (row["model"], row["L"], row["algo"], row["isa"]), f"{what}: matches its line")
        # Printed with 3 and 1 decimals.
        ok(abs(r["flips_per_ns"] - row["rate"]) <= 5.1e-4, f"{what}: rate matches its line",
           f"{r['flips_per_ns']} vs {row['rate']}")
        sites = r["L"] ** (2 if r["model"] == "ising2d" else 3)
        reps = {"metropolis": 1, "msc-replica64": 64, "msc-replica256": 256,
                "msc-replica64-anti": 64, "msc-replica256-anti": 256}[r["algo"]]
        ok(r["replicas"] == reps, f"{what}: replicas {reps}")
        ok(r["flips_per_ns"] > 0, f"{what}: rate > 0")
        # CPU time of one thread cannot exceed its wall time (1% for clock grain).
        ok(r["flips_per_cpu_ns"] >= 0.99 * r["flips_per_ns"],
           f"{what}: CPU-time rate >= wall-clock rate",
           f"{r['flips_per_cpu_ns']} vs {r['flips_per_ns']}")
        ok(r["sweeps"] >= 1 and r["flip_attempts"] == r["sweeps"] * sites * reps,
           f"{what}: flip attempts = sweeps x sites x replicas")
        ok(r["seconds"] >= SECONDS and
           close(r["flips_per_ns"], r["flip_attempts"] / r["seconds"] / 1e9, 1e-9),
           f"{what}: timed >= --seconds, rate = attempts / time")
        if r["algo"] == "metropolis":
            plain = r["flips_per_ns"]
        ok(close(r["ratio_to_metropolis"], r["flips_per_ns"] / plain, 1e-9) and
           abs(r["ratio_to_metropolis"] - row["ratio"]) <= 0.051,
           f"{what}: ratio = rate / plain rate of the same size, as printed",
           f"{r['ratio_to_metropolis']} vs {r['flips_per_ns']}/{plain}, line x{row['ratio']}")
        if r["algo"] != "metropolis":
            ok(r["depth"] >= 1 and r["isa"] in ("avx512", "avx2", "generic"),
               f"{what}: msc depth and instruction set recorded")


# JSON, both models, two sizes each (L = 2 is the smallest torus).
args = ["bench", "--seconds", str(SECONDS), "--model", "ising2d,ising3d", "--L", "2,8",
        "--out", "b.json"]
p = run_ok_in(CEASIM, OUT, "json run", args)
rows = parse_lines(p, "json run")
check_rows(rows, "json run", ["ising2d", "ising3d"], [2, 8],
           ["msc-replica64", "msc-replica256", "msc-replica64-anti", "msc-replica256-anti"])
with open(os.path.join(OUT, "b.json")) as f:
    d = json.load(f)
ok(d["ceasim_version"] and "bench" in d["command_line"] and "b.json" in d["command_line"],
   "json: version and command line")
ok(d["seconds_per_kernel"] == SECONDS, "json: seconds per kernel")
check_results(d["results"], rows, "json")
ok(d["mode"] == "flips", "json: mode flips")
ok(sorted(os.listdir(OUT)) == ["b.json"], "json: no temporary file left")

# HDF5, one model, one kernel besides the yardstick, an explicit beta and isa.
args = ["bench", "--seconds", str(SECONDS), "--model", "ising3d", "--L", "4",
        "--algo", "msc-replica256-anti", "--beta", "0.3", "--isa", "generic", "--out", "b.h5"]
p = run_ok_in(CEASIM, OUT, "h5 run", args)
rows = parse_lines(p, "h5 run")
check_rows(rows, "h5 run", ["ising3d"], [4], ["msc-replica256-anti"])
with h5py.File(os.path.join(OUT, "b.h5"), "r") as f:
    ok(text(f.attrs["ceasim_version"]) and "b.h5" in text(f.attrs["command_line"]),
       "h5: version and command line")
    res = []
    for name in sorted(f["results"]):
        a = f["results"][name].attrs
        r = {k: (text(v) if isinstance(v, (bytes, str)) else v.item()) for k, v in a.items()}
        res.append(r)
    check_results(res, rows, "h5")
    ok(all(close(r["beta"], 0.3, 0) for r in res), "h5: beta recorded")
ok(rows[1]["isa"] == "generic", "h5 run: --isa generic is used")

# Odd sizes are fine for the plain kernel alone.
p = run_ok_in(CEASIM, OUT, "odd L, metropolis only",
              ["bench", "--seconds", str(SECONDS), "--L", "5", "--algo", "metropolis"])
parse_lines(p, "odd L, metropolis only")

p = run_in(CEASIM, OUT, ["bench", "--help"])
ok(p.returncode == 0 and b"flips/ns" in p.stdout, "--help: exit 0 and usage")


def bad(label, args, names, expect):
    before = sorted(os.listdir(OUT))
    p = run_in(CEASIM, OUT, ["bench", "--seconds", str(SECONDS)] + args)
    err = p.stderr.decode()
    ok(p.returncode == 2, f"{label}: exit 2", f"rc {p.returncode}: {err.strip()}")
    ok(err.count("\n") == 1 and err.endswith("\n"), f"{label}: one line on stderr", repr(err))
    ok(all(n in err for n in names) and re.search(expect, err, re.I),
       f"{label}: message names the input and what was expected", err.strip())
    ok(p.stdout == b"", f"{label}: nothing on stdout", p.stdout.decode()[:200])
    ok(sorted(os.listdir(OUT)) == before, f"{label}: no file written")


bad("unknown algo", ["--algo", "msc-replica128"], ["--algo", "msc-replica128"],
    "expected metropolis")
bad("L < 2", ["--L", "1"], ["--L", "1"], "expected")
bad("L not a number", ["--L", "8,x"], ["--L", "x"], "expected")
bad("odd L for msc", ["--L", "8,7"], ["--L", "7"], "even")
bad("L too large for 3D", ["--model", "ising3d", "--L", "4096"], ["--L", "4096"],
    "at most 2048")
bad("L too large for memory", ["--L", "65536"], ["--L", "65536", "GB"], "more than half")
bad("seconds 0", ["--seconds", "0"], ["--seconds", "0"], "> 0")
bad("seconds negative", ["--seconds", "-1"], ["--seconds", "-1"], "> 0")
bad("unknown model", ["--model", "ising4d"], ["--model", "ising4d"], "ising2d or ising3d")
bad("negative beta", ["--beta", "-0.1"], ["--beta"], ">= 0")
bad("unknown isa", ["--isa", "sse9"], ["--isa", "sse9"], "expected auto")
bad("depth out of range", ["--depth", "99"], ["--depth", "99"], "expected")
bad("out extension", ["--out", "b.txt"], ["--out", "b.txt"], r"\.json")
bad("out directory missing", ["--out", "nodir/b.json"], ["nodir/b.json"], "does not exist")
bad("out exists without --force", ["--out", "b.json"], ["b.json"], "--force")
bad("unknown option", ["--frobnicate"], ["--frobnicate"], "unknown option")

# ---- --tau: tau_int(|m|) and independent samples per second ------------------
TAU_LINE = re.compile(
    r"^(ising[23]d) L=(\d+)\s+(\S+)\s+tau=(\S+)\+-(\S+) sweeps  n/tau=(\S+)  "
    r"n_eff=([^(\s]+)(\(tau\))?  worth=(\S+)  (converged|NOT-CONVERGED)  x(\S+)  "
    r"(\S+) indep/s$")


def exact_abs_m_2d(L, beta):
    """<|m|> of the L x L periodic Ising model by enumerating all 2^(L^2) states."""
    import numpy as np
    n = L * L
    states = np.arange(1 << n, dtype=np.int64)
    s = 1 - 2 * ((states[:, None] >> np.arange(n)) & 1).astype(np.int8)
    idx = np.arange(n).reshape(L, L)
    right, down = np.roll(idx, -1, 1).ravel(), np.roll(idx, -1, 0).ravel()
    bonds = (s * s[:, right]).sum(1) + (s * s[:, down]).sum(1)
    w = np.exp(beta * (bonds - bonds.max()))
    return float((w * np.abs(s.sum(1)) / n).sum() / w.sum())


def tau_rows(p, label):
    lines = p.stdout.decode().splitlines()
    ok(lines and all(l.endswith("indep/s") for l in lines),
       f"{label}: every stdout line ends in indep/s", repr(lines[:3]))
    rows = []
    for l in lines:
        m = TAU_LINE.match(l)
        if ok(m, f"{label}: line parses: {l}"):
            rows.append(dict(model=m[1], L=int(m[2]), algo=m[3], tau=float(m[4]),
                             n_eff=float(m[7]), converged=m[10] == "converged",
                             ratio=float(m[11]), rate=float(m[12])))
    return rows


def check_tau(res, rows, label, exact):
    ok(len(res) == len(rows), f"{label}: one result per printed line")
    plain = plain_cpu = float("nan")
    for r, row in zip(res, rows):
        what = f"{label}: {r['L']} {r['algo']}"
        ok((r["model"], r["L"], r["algo"]) == (row["model"], row["L"], row["algo"]),
           f"{what}: matches its line")
        # Printed with 4 significant digits.
        ok(close(r["indep_per_s"], row["rate"], 1e-3) and close(r["n_eff"], row["n_eff"], 1e-3)
           and close(r["tau_int_abs_m"], row["tau"], 1e-3), f"{what}: numbers match the line")
        ok(bool(r["converged"]) == row["converged"], f"{what}: convergence flag as printed")
        ok(r["prod_sweeps"] == r["measurements"] * r["measure_every"] and
           r["sweeps"] == r["therm_sweeps"] + r["prod_sweeps"] and
           r["measurements"] >= 32, f"{what}: sweep bookkeeping")
        ok(0 < r["seconds"] <= r["total_seconds"] and r["cpu_seconds"] <= 1.01 * r["seconds"],
           f"{what}: production time within the kernel's total, CPU <= wall")
        # n_eff = var / err^2 (binned), or n / (2 tau) of the estimator scaled by the
        # variance ratio; indep/s = n_eff / seconds; replicas worth = n_eff 2 tau / n.
        binned = r["n_eff_method"] == "binned"
        ok(binned == bool(r["bins_ok"]) and
           close(r["n_eff_binned"], r["var_abs_m"] / r["err_abs_m"] ** 2, 1e-9) and
           close(r["n_eff"], r["n_eff_binned"] if binned else r["n_eff_tau"], 1e-12),
           f"{what}: n_eff = var / err^2 of the binned mean")
        ok(close(r["indep_per_s"], r["n_eff"] / r["seconds"], 1e-9),
           f"{what}: indep/s = n_eff / production seconds")
        ok(close(r["replicas_worth"],
                 r["n_eff"] * 2 * r["tau_int_abs_m"] / r["prod_sweeps"], 1e-9),
           f"{what}: replicas worth = n_eff / (n / 2 tau)")
        ok(r["tau_int_abs_m"] > 0 and r["tau_int_abs_m_err"] >= 0, f"{what}: tau > 0")
        if r["algo"] == "metropolis":
            plain, plain_cpu = r["indep_per_s"], r["indep_per_cpu_s"]
        ok(close(r["ratio_to_metropolis"], r["indep_per_s"] / plain, 1e-9) and
           close(r["ratio_to_metropolis_cpu"], r["indep_per_cpu_s"] / plain_cpu, 1e-9),
           f"{what}: ratios to the metropolis of the same run")
        # Every kernel samples the same Boltzmann distribution: <|m|> within 5
        # error bars (plus 1e-3 for an error bar that a short run underestimates).
        if exact is not None:
            ok(abs(r["mean_abs_m"] - exact) <= 5 * r["err_abs_m"] + 1e-3,
               f"{what}: <|m|> = exact enumeration within 5 sigma",
               f"{r['mean_abs_m']} +- {r['err_abs_m']} vs {exact}")
        if r["algo"] == "wolff":
            # Clusters per sweep = round(N / mean cluster size): ~N spins flip.
            ok(r["wolff_clusters"] >= 1 and 0.4 <= r["flipped_per_sweep"] <= 1.6,
               f"{what}: a Wolff sweep flips about N spins", str(r["flipped_per_sweep"]))


BETA_C = 0.44068679350977151
exact4 = exact_abs_m_2d(4, BETA_C)
p = run_ok_in(CEASIM, OUT, "tau json run",
              ["bench", "--tau", "--L", "4", "--seconds", "0.15", "--out", "tau.json"])
rows = tau_rows(p, "tau json run")
ok([r["algo"] for r in rows] ==
   ["metropolis", "msc-replica64", "msc-replica256", "msc-replica64-anti",
    "msc-replica256-anti", "wolff", "sw"],
   "tau json run: metropolis first, then every kernel but msc-single (L not 128k)",
   str([r["algo"] for r in rows]))
with open(os.path.join(OUT, "tau.json")) as f:
    d = json.load(f)
ok(d["mode"] == "tau" and "tau.json" in d["command_line"] and d["ceasim_version"] and
   d["seconds_per_kernel"] == 0.15 and "n_eff" in d["definitions"], "tau json: header")
check_tau(d["results"], rows, "tau json", exact4)
ok(all(r["measure_every"] == (r["depth"] if r["algo"].startswith("msc-replica") else 1)
       for r in d["results"]), "tau json: measure every depth sweeps (msc-replica), else 1")

# HDF5, an explicit measurement interval, msc-single listed (L = 128).
p = run_ok_in(CEASIM, OUT, "tau h5 run",
              ["bench", "--tau", "--L", "128", "--seconds", "0.1", "--algo",
               "msc-single,wolff", "--measure-every", "2", "--out", "tau.h5"])
rows = tau_rows(p, "tau h5 run")
ok([r["algo"] for r in rows] == ["metropolis", "msc-single", "wolff"], "tau h5 run: kernels")
with h5py.File(os.path.join(OUT, "tau.h5"), "r") as f:
    ok(text(f.attrs["mode"]) == "tau" and "tau.h5" in text(f.attrs["command_line"]),
       "tau h5: header")
    res = [{k: (text(v) if isinstance(v, (bytes, str)) else v.item())
            for k, v in f["results"][name].attrs.items()} for name in sorted(f["results"])]
check_tau(res, rows, "tau h5", None)
ok(all(r["measure_every"] % 2 == 0 for r in res), "tau h5: --measure-every 2 used")

bad("wolff without --tau", ["--algo", "wolff"], ["--algo", "wolff", "--tau"], "only with")
bad("measure-every without --tau", ["--measure-every", "4"], ["--measure-every", "--tau"],
    "only with")
bad("measure-every not a number", ["--tau", "--measure-every", "x"], ["--measure-every", "x"],
    "expected")
bad("tau msc-single L", ["--tau", "--algo", "msc-single", "--L", "64"], ["--L", "64", "128"],
    "multiple of 128")
bad("tau unknown algo", ["--tau", "--algo", "swendsen"], ["--algo", "swendsen"],
    "expected metropolis")

with open(os.path.join(OUT, "b.json"), "rb") as f:
    kept = f.read()
ok(json.loads(kept)["results"], "existing b.json untouched by the refused run")
p = run_ok_in(CEASIM, OUT, "--force replaces",
              ["bench", "--seconds", str(SECONDS), "--L", "4", "--algo", "metropolis",
               "--out", "b.json", "--force"])
with open(os.path.join(OUT, "b.json")) as f:
    ok(len(json.load(f)["results"]) == 1, "--force: b.json replaced by the new results")
PYEOF

cli_finish
