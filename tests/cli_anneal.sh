#!/usr/bin/env bash
# ceasim CLI: `ceasim anneal`.
#
# Checks with h5py/numpy, against numbers computed here from the instance files:
# the written instance (--write-instance) reproduces every best_energy from the
# best_config rows; a G-set graph's best_cut equals the cut counted edge by edge and
# the exact max cut comes from brute force over all 2^(n-1) partitions here; TTS99
# and p_success follow from the per-read columns by the documented formula; the
# output carries ceasim_version, command_line, seed and the schedule; a couplings
# file written by --write-instance anneals exactly like the generated instance;
# --schedule-file betas are stored as given. Bad inputs (G-set defects, schedule
# file defects, options) exit 2 with one line on stderr naming file and line, and
# leave no output file; an existing --out is kept unless --force.
#
# usage: bash tests/cli_anneal.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

mkdir -p "$WORK/out"

py_checks "anneal" "$CEASIM" "$WORK/out" <<'PYEOF'
import itertools
import math
import os
import sys

import h5py
import numpy as np

from chk import close, fail, ok, run_in, run_ok_in, text

CEASIM, OUT = sys.argv[1], sys.argv[2]


def run(args):
    return run_in(CEASIM, OUT, args)


def run_ok(label, args):
    return run_ok_in(CEASIM, OUT, label, args)


def path(name):
    return os.path.join(OUT, name)


def read_edge_list(p):
    """The engine's text edge list: n, couplings, fields."""
    n, J, h = None, {}, {}
    for line in open(p):
        line = line.split("#")[0].split()
        if not line:
            continue
        if line[0] == "n":
            n = int(line[1])
        elif line[0] == "h":
            h[int(line[1])] = float(line[2])
        else:
            J[(int(line[0]), int(line[1]))] = float(line[2])
    return n, J, h


def energy(s, J, h):
    return -sum(v * s[i] * s[j] for (i, j), v in J.items()) - sum(v * s[i] for i, v in h.items())


# ---- generated SK instance: energies, attributes, TTS ------------------------
p = run_ok("sk n=14", ["anneal", "--model", "sk", "--n", "14", "--seed", "3", "--reads", "12",
                       "--sweeps", "200", "--target", "exact", "--trace-every", "50",
                       "--write-instance", "sk14.txt", "--out", "sk14.h5"])
out = p.stdout.decode()
ok("exact ground state" in out and "TTS99" in out, "sk: table names E0 and TTS99", out[:300])
n, J, h = read_edge_list(path("sk14.txt"))
ok(n == 14 and len(J) == 91 and all(abs(abs(v) - 1 / math.sqrt(14)) < 1e-15 for v in J.values()),
   "sk: written instance has 91 couplings +-1/sqrt(14)")
with h5py.File(path("sk14.h5"), "r") as f:
    a = f.attrs
    ok(text(a["ceasim_version"]) != "" and "--model sk" in text(a["command_line"]),
       "sk: ceasim_version and command_line attributes")
    ok(int(a["seed"]) == 3 and int(a["instance_seed"]) == 3 and text(a["method"]) == "sa"
       and int(a["reads"]) == 12 and int(a["sweeps"]) == 200
       and text(a["schedule"]) == "geometric", "sk: seed, method, reads, sweeps, schedule")
    cfg = f["best_config"][()]
    be = f["best_energy"][()]
    ok(cfg.shape == (12, 14) and set(np.unique(cfg)) <= {-1, 1}, "sk: best_config is 12 x 14 of +-1")
    errs = [abs(energy(cfg[q], J, h) - be[q]) for q in range(12)]
    ok(max(errs) < 1e-12, "sk: best_energy = E(best_config) from the written file",
       f"max diff {max(errs)}")
    # Exact minimum by brute force here (spin 13 fixed, E even in s).
    Jm = np.zeros((14, 14))
    for (i, j), v in J.items():
        Jm[i, j] = Jm[j, i] = v
    states = np.array(list(itertools.product([-1, 1], repeat=13)))
    states = np.hstack([states, np.ones((len(states), 1))])
    es = -0.5 * np.einsum("ki,ij,kj->k", states, Jm, states)
    e0 = es.min()
    ok(abs(float(a["exact_e0"]) - e0) < 1e-12, "sk: exact_e0 equals brute force",
       f"{float(a['exact_e0'])} vs {e0}")
    ok(int(a["exact_degeneracy"]) == 2 * int(np.sum(es <= e0 + 1e-9)),
       "sk: degeneracy equals brute force")
    reached = f["reached"][()]
    ok(np.array_equal(reached.astype(bool), be <= e0 + 1e-9), "sk: reached <=> best E = E0")
    pr = float(a["p_success"])
    ok(close(pr, reached.mean(), 1e-15) and int(a["successes"]) == reached.sum(),
       "sk: p_success = fraction reached")
    t = f["seconds"][()].mean()
    want = t if pr >= 0.99 else (math.inf if pr == 0 else t * math.log(0.01) / math.log(1 - pr))
    ok(close(float(a["tts99_seconds"]), want, 1e-12), "sk: TTS99 = t ln 0.01 / ln(1-p)",
       f"{float(a['tts99_seconds'])} vs {want}")
    ok(f["trace"].shape == (12, 4) and list(f["trace_sweeps"][()]) == [50, 100, 150, 200],
       "sk: trace every 50 sweeps")
    ok(np.all(f["updates"][()] == 200 * 14), "sk: work = sweeps x n spin updates")
    b = f["betas"][()]
    # sa's cold end: the smallest nonzero field of 13 terms +-1/sqrt(14) is 1/sqrt(14),
    # so beta1 = max(10/sigma, ln(100 n) / (2/sqrt(14))).
    b1 = max(10 / math.sqrt(13 / 14), math.log(1400) * math.sqrt(14) / 2)
    ok(len(b) == 200 and close(b[0], 0.1 / math.sqrt(13 / 14), 1e-12)
       and close(b[-1], b1, 1e-12),
       "sk: default betas 0.1/sigma .. max(10/sigma, ln(100 n)/dE_min) with sigma = "
       "sqrt((n-1)/n), dE_min = 2/sqrt(n)")

# The couplings file anneals exactly like the generated instance (same read seed).
run_ok("sk via couplings", ["anneal", "--couplings", "sk14.txt", "--seed", "3", "--reads", "12",
                            "--sweeps", "200", "--out", "sk14b.h5"])
with h5py.File(path("sk14.h5"), "r") as f, h5py.File(path("sk14b.h5"), "r") as g:
    ok(np.array_equal(f["best_energy"][()], g["best_energy"][()])
       and np.array_equal(f["best_config"][()], g["best_config"][()]),
       "sk: --write-instance file reproduces the run bit for bit")

# ---- G-set: cut values ------------------------------------------------------
rng = np.random.default_rng(5)
nv = 15
edges = [(i, j, int(rng.choice([1, -1, 2]))) for i in range(1, nv + 1)
         for j in range(i + 1, nv + 1) if rng.random() < 0.4]
with open(path("g.txt"), "w") as fh:
    fh.write(f"{nv} {len(edges)}\n")
    for i, j, w in edges:
        fh.write(f"{i} {j} {w}\n")
p = run_ok("gset", ["anneal", "--gset", "g.txt", "--reads", "20", "--sweeps", "300",
                    "--target", "exact", "--out", "g.h5"])
W = sum(w for _, _, w in edges)
best_cut = -math.inf
for bits in range(1 << (nv - 1)):
    s = [1 if (bits >> k) & 1 else -1 for k in range(nv - 1)] + [1]
    c = sum(w for i, j, w in edges if s[i - 1] != s[j - 1])
    best_cut = max(best_cut, c)
with h5py.File(path("g.h5"), "r") as f:
    cfg = f["best_config"][()]
    cuts = [sum(w for i, j, w in edges if cfg[q][i - 1] != cfg[q][j - 1]) for q in range(20)]
    ok(np.allclose(f["best_cut"][()], cuts, rtol=0, atol=1e-12),
       "gset: best_cut equals the cut counted edge by edge")
    ok(np.allclose(f["best_cut"][()], (W - f["best_energy"][()]) / 2, rtol=0, atol=1e-12),
       "gset: cut = (W - E)/2")
    ok(close(float(f.attrs["weight_sum"]), W, 1e-15), "gset: weight_sum attribute")
    ok(close((W - float(f.attrs["exact_e0"])) / 2, best_cut, 1e-12),
       "gset: exact max cut equals brute force", f"{best_cut}")
    ok(int(f.attrs["successes"]) >= 10, "gset: sa reaches the max cut in at least half the reads",
       f"{int(f.attrs['successes'])} of 20")
ok(f"max cut {best_cut:g}" in p.stdout.decode(), "gset: max cut printed")
p = run_ok("gset target-cut", ["anneal", "--gset", "g.txt", "--reads", "4", "--sweeps", "300",
                               "--target-cut", str(best_cut), "--quiet"])
ok(f"cut >= {best_cut:g}" in p.stdout.decode(), "gset: --target-cut is converted to E")

# ---- schedule file ------------------------------------------------------------
with open(path("sched.txt"), "w") as fh:
    fh.write("# three sweeps\n0.25\n1.5\n\n4\n")
run_ok("schedule file", ["anneal", "--model", "ea2d", "--L", "4", "--reads", "2",
                         "--schedule-file", "sched.txt", "--out", "sched.h5"])
with h5py.File(path("sched.h5"), "r") as f:
    ok(list(f["betas"][()]) == [0.25, 1.5, 4.0] and text(f.attrs["schedule"]) == "file"
       and int(f.attrs["sweeps"]) == 3, "schedule file: betas stored as given")


# ---- bad input: exit 2, one line naming file and line, no output ----------------
def bad(label, args, words, outfile=None):
    p = run(args)
    err = p.stderr.decode().strip()
    ok(p.returncode == 2 and len(err.splitlines()) == 1 and all(w in err for w in words),
       f"bad input: {label}", f"rc {p.returncode}: {err[:200]}")
    if outfile:
        ok(not os.path.exists(path(outfile)), f"bad input: {label}: no {outfile}")
    return p


for name, content, line, word in [
        ("count", "3 2\n1 2 1\n", 2, "ends after 1 of the 2"),
        ("range", "3 1\n1 4 1\n", 2, "out of range"),
        ("zero", "3 1\n0 1 1\n", 2, "out of range"),
        ("nonnumeric", "3 1\n1 2 abc\n", 2, "weight"),
        ("duplicate", "3 2\n1 2 1\n2 1 1\n", 3, "already given"),
        ("selfloop", "3 1\n3 3 1\n", 2, "self-loop"),
        ("trailing", "3 1\n1 2 1\n2 3 1\n", 3, "more than"),
        ("extra field", "3 1\n1 2 1 x\n", 2, "fields")]:
    with open(path(f"bad_{name}.txt"), "w") as fh:
        fh.write(content)
    bad(f"gset {name}", ["anneal", "--gset", f"bad_{name}.txt", "--out", f"bad_{name}.h5"],
        [f"bad_{name}.txt:{line}:", word], f"bad_{name}.h5")
with open(path("bad_sched.txt"), "w") as fh:
    fh.write("0.1\n0.2\nhot\n")
bad("schedule file", ["anneal", "--model", "sk", "--n", "10", "--schedule-file", "bad_sched.txt",
                      "--out", "bs.h5"], ["bad_sched.txt:3:"], "bs.h5")
bad("no instance", ["anneal", "--reads", "2"], ["expected exactly one instance"])
bad("two instances", ["anneal", "--model", "sk", "--gset", "g.txt"], ["exactly one instance"])
bad("reads 0", ["anneal", "--model", "sk", "--reads", "0"], ["--reads"])
bad("model", ["anneal", "--model", "potts"], ["--model", "potts"])
bad("method", ["anneal", "--model", "sk", "--method", "qa"], ["--method", "qa"])
bad("L for sk", ["anneal", "--model", "sk", "--L", "5"], ["--L"])
bad("ea L=2", ["anneal", "--model", "ea2d", "--L", "2"], ["--L"])
bad("exact too big", ["anneal", "--model", "sk", "--n", "30", "--target", "exact"], ["24"])
bad("target-cut without gset", ["anneal", "--model", "sk", "--target-cut", "3"], ["--target-cut"])
bad("geometric beta0 0", ["anneal", "--model", "sk", "--beta0", "0"], ["geometric"])
bad("schedule file and sweeps", ["anneal", "--model", "sk", "--schedule-file", "sched.txt",
                                 "--sweeps", "5"], ["--schedule-file"])
bad("missing file", ["anneal", "--gset", "nope.txt"], ["nope.txt"])

# ---- --force ------------------------------------------------------------------------
with open(path("keep.h5"), "w") as fh:
    fh.write("mine")
bad("existing --out", ["anneal", "--model", "sk", "--n", "10", "--out", "keep.h5"], ["keep.h5"])
ok(open(path("keep.h5")).read() == "mine", "--out: an existing file is untouched without --force")
bad("existing --write-instance", ["anneal", "--model", "sk", "--n", "10", "--write-instance",
                                  "keep.h5"], ["keep.h5"])
run_ok("--force", ["anneal", "--model", "sk", "--n", "10", "--reads", "2", "--sweeps", "20",
                   "--out", "keep.h5", "--force"])
with h5py.File(path("keep.h5"), "r") as f:
    ok("best_energy" in f, "--force: the file is replaced by results")
# ---- SIGINT: exit 130, no output file -------------------------------------------------
import signal
import subprocess
import time
proc = subprocess.Popen([CEASIM, "anneal", "--model", "sk", "--n", "300", "--reads", "5",
                         "--sweeps", "1e7", "--quiet", "--out", "int.h5"], cwd=OUT,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
proc.stdout.readline()  # the header: the run has started
time.sleep(0.3)
proc.send_signal(signal.SIGINT)
try:
    _, err = proc.communicate(timeout=60)
except subprocess.TimeoutExpired:
    proc.kill()
    _, err = proc.communicate()
ok(proc.returncode == 130 and b"interrupted" in err and not os.path.exists(path("int.h5")),
   "SIGINT: exit 130, 'interrupted', no --out file", f"rc {proc.returncode}: {err[:200]}")
leftovers = [x for x in os.listdir(OUT) if ".tmp." in x]
ok(not leftovers, "no temporary files left behind", str(leftovers))
PYEOF

cli_finish
