#!/usr/bin/env bash
# ceasim CLI: `ceasim attention` (an attention head as a Gibbs system).
#
# Checks with h5py/numpy: a synthetic run writes the documented datasets and
# attributes; the beta-grid curves are consistent (H(0) = ln n, N_eff = e^H,
# heat = beta^2 Var, and H/Var recomputed in numpy from the written Q, K);
# the controller trajectory is present and |dbeta| <= dbeta_max, the corridor
# step and flags are consistent; weights-file input in both formats (HDF5 and
# safetensors, projection and direct Q/K) gives the same numbers; bad input exits
# 2 with one line on stderr and no file.
#
# usage: bash tests/cli_attention.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

mkdir -p "$WORK/out"
ANALYSIS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../analysis" && pwd)"

py_checks "attention" "$CEASIM" "$WORK/out" "$ANALYSIS" <<'PYEOF'
import math
import os
import subprocess
import sys

import h5py
import numpy as np

from chk import close, fail, ok, run_in, run_ok_in, text

CEASIM, OUT, ANALYSIS = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, ANALYSIS)
from make_example_weights import write_safetensors  # noqa: E402


def run(args):
    return run_in(CEASIM, OUT, args)


def run_ok(label, args):
    return run_ok_in(CEASIM, OUT, label, args)


CURVES = ["beta", "H_mean", "H_err", "N_eff", "N_eff_err", "var_mean", "var_err", "heat_mean",
          "heat_err", "gate_mean", "gate_err", "beta_star_mean", "beta_star_err"]
QUERY = ["query/peak_beta", "query/sigma_qk", "query/beta_star_at_beta0",
         "query/beta_star_fixed", "query/H_at_beta0"]
ATTRS = ["ceasim_version", "command_line", "source", "synthetic_kind", "seed", "n_tokens", "d_k",
         "beta0", "sigma_qk_mean", "sigma_qk_err", "beta_rem_mean", "beta_star_at_beta0_mean",
         "beta_star_fixed_mean", "heat_peak_beta_mean", "heat_peak_of_mean", "H_at_beta0_mean",
         "N_eff_at_beta0"]
CTRL = ["beta", "H", "clipped", "margin", "guard"]

n, dk = 48, 8
p = run_ok("synthetic", ["attention", "--synthetic", "--tokens", str(n), "--d-k", str(dk),
                         "--seed", "7", "--beta", "0:2:201", "--controller", "--preset", "14m",
                         "--steps", "2500", "--out", "syn.h5"])
stdout = p.stdout.decode()
ok("sigma_qk" in stdout and "REM beta_c" in stdout and "corridor" in stdout,
   "synthetic: summary names sigma_qk, REM beta_c, corridor")
with h5py.File(os.path.join(OUT, "syn.h5"), "r") as f:
    miss = [k for k in CURVES + QUERY + ["head/Q", "head/K"] + ["controller/" + c for c in CTRL]
            if k not in f]
    ok(not miss, "synthetic: all documented datasets present", str(miss))
    miss = [k for k in ATTRS if k not in f.attrs]
    ok(not miss, "synthetic: all documented attributes present", str(miss))
    a = dict(f.attrs)
    d = {k: f[k][()] for k in CURVES + QUERY}
    Q, K = f["head/Q"][()], f["head/K"][()]
    g = f["controller"]
    c = {k: g[k][()] for k in CTRL}
    ca = dict(g.attrs)
beta = d["beta"]
ok(len(beta) == 201 and close(beta[0], 0, 0) and close(beta[-1], 2, 1e-12), "grid: 201 points 0..2")
ok(Q.shape == (n, dk) and K.shape == (n, dk), "head/Q, head/K are [n, d_k]")
ok(close(d["H_mean"][0], math.log(n), 1e-12), "H(beta = 0) = ln n")
ok(np.allclose(d["N_eff"], np.exp(d["H_mean"]), rtol=1e-12), "N_eff = exp(H_mean)")
ok(np.allclose(d["heat_mean"], beta ** 2 * d["var_mean"], rtol=1e-9, atol=1e-300),
   "heat = beta^2 Var (head means)")
ok(np.all(np.diff(d["H_mean"]) < 0), "H decreases along the grid")
# numpy recomputation from Q, K
S = Q @ K.T
b = beta[100]
u = b * S
u -= u.max(axis=1, keepdims=True)
P = np.exp(u)
P /= P.sum(axis=1, keepdims=True)
Hq = -(P * np.log(np.where(P > 0, P, 1))).sum(axis=1)
Vq = (P * S ** 2).sum(axis=1) - (P * S).sum(axis=1) ** 2
ok(close(d["H_mean"][100], Hq.mean(), 1e-9), "H_mean at beta = 1 equals numpy on head/Q, head/K")
ok(close(d["var_mean"][100], Vq.mean(), 1e-7), "var_mean at beta = 1 equals numpy")
ok(close(d["H_err"][100], Hq.std(ddof=1) / math.sqrt(n), 1e-7), "H_err = sd/sqrt(n) over queries")
sig = S.std(axis=1)
ok(np.allclose(d["query/sigma_qk"], sig, rtol=1e-10), "query/sigma_qk = population std of scores")
ok(close(a["beta_rem_mean"], np.mean(np.sqrt(2 * math.log(n)) / sig), 1e-10),
   "beta_rem_mean = mean sqrt(2 ln n)/sigma")
ok(close(a["beta0"], 1 / math.sqrt(dk), 1e-15), "beta0 = 1/sqrt(d_k)")
ip = int(np.argmax(d["heat_mean"]))
ok(abs(a["heat_peak_of_mean"] - beta[ip]) <= 2 * (beta[1] - beta[0]),
   "heat_peak_of_mean is at the grid argmax of heat_mean")
# controller
steps = int(ca["steps"])
ok(len(c["beta"]) == steps + 1 and len(c["H"]) == steps + 1 and len(c["clipped"]) == steps
   and len(c["margin"]) == steps + 1, "controller: trajectory lengths steps+1 / steps")
db = np.abs(np.diff(c["beta"]))
ok(db.max() <= ca["dbeta_max"] * (1 + 1e-12), "controller: |dbeta| <= dbeta_max",
   f"max {db.max()} vs {ca['dbeta_max']}")
ok(close(c["beta"][0], 1 / math.sqrt(dk), 1e-12), "controller: starts at 1/sqrt(d_k)")
ok(close(ca["beta_c"], a["heat_peak_of_mean"], 1e-15), "controller: margin beta_c = head-mean heat peak")
uu = np.abs(c["beta"] - ca["beta_c"]) / ca["beta_c"]
ok(np.all(uu >= ca["u_min"] * (1 - 1e-12)), "controller: u >= u_min everywhere")
ok(int(ca["n_clipped"]) == int(c["clipped"].sum()) and int(ca["n_margin"]) == int(c["margin"].sum()),
   "controller: n_clipped, n_margin match the flags")
cs = int(ca["corridor_step"])
ok(cs >= 0 and np.all(np.abs(c["H"][cs:] - ca["H_target"]) <= ca["tol"]),
   "controller: in the corridor from corridor_step on", f"corridor_step {cs}")
ok(close(ca["H_target"], c["H"][0] - ca["target_offset"], 1e-12), "controller: H_target = H(beta0) - offset")
ok(close(ca["dbeta_max"], 0.5, 0) and text(ca["preset"]) == "14m", "controller: preset 14m parameters")
run_ok("override", ["attention", "--synthetic", "--tokens", "32", "--d-k", "4", "--seed", "1",
                    "--kind", "clustered", "--controller", "--dbeta-max", "0.05", "--steps", "300",
                    "--no-margin", "--out", "ovr.h5"])
with h5py.File(os.path.join(OUT, "ovr.h5"), "r") as f:
    bb = f["controller/beta"][()]
    ok(np.abs(np.diff(bb)).max() <= 0.05 * (1 + 1e-12) and f["controller"].attrs["beta_c"] == 0
       and text(f.attrs["synthetic_kind"]) == "clustered",
       "--dbeta-max 0.05 override respected, --no-margin, clustered kind recorded")

# --- weights files: projection in HDF5 and safetensors, direct Q/K -------------
rng = np.random.default_rng(3)
nt, dm, H, d = 20, 12, 2, 6
t = {"X": rng.standard_normal((nt, dm)),
     "W_q": rng.standard_normal((H * d, dm)) / np.sqrt(dm),
     "W_k": rng.standard_normal((H * d, dm)) / np.sqrt(dm)}
t = {k: v.astype(np.float32) for k, v in t.items()}
with h5py.File(os.path.join(OUT, "w.h5"), "w") as f:
    for k, v in t.items():
        f[k] = v
write_safetensors(os.path.join(OUT, "w.safetensors"), [(k, "F32", v) for k, v in t.items()])
X, Wq, Wk = (t[k].astype(np.float64) for k in ("X", "W_q", "W_k"))
Qr, Kr = X @ Wq[d:2 * d].T, X @ Wk[d:2 * d].T
with h5py.File(os.path.join(OUT, "qk.h5"), "w") as f:
    f["myQ"] = Qr
    f["myK"] = Kr
res = {}
for name, args in [("h5", ["--weights", "w.h5", "--head", "1", "--n-heads", "2"]),
                   ("safetensors", ["--weights", "w.safetensors", "--head", "1", "--n-heads", "2"]),
                   ("direct", ["--weights", "qk.h5", "--q", "myQ", "--k", "myK"])]:
    run_ok(f"weights {name}", ["attention"] + args + ["--beta", "0:1:51", "--out", f"w_{name}.h5"])
    with h5py.File(os.path.join(OUT, f"w_{name}.h5"), "r") as f:
        res[name] = ({k: f[k][()] for k in CURVES}, dict(f.attrs), f["head/Q"][()])
r0, a0, q0 = res["h5"]
ok(np.allclose(q0, Qr, rtol=1e-10, atol=1e-12), "weights: Q = X W_q,h^T (head 1)")
ok(all(np.array_equal(r0[k], res["safetensors"][0][k]) for k in CURVES),
   "weights: HDF5 and safetensors give identical curves")
ok(all(np.allclose(r0[k], res["direct"][0][k], rtol=1e-9, atol=1e-12) for k in CURVES),
   "weights: direct Q, K give the projection's curves")
ok(int(a0["head"]) == 1 and text(a0["tensor_wq"]) == "W_q" and text(a0["weights_file"]) == "w.h5"
   and text(res["direct"][1]["tensor_q"]) == "myQ", "weights: source attributes (file, tensors, head)")

# --- bad input -----------------------------------------------------------------
open(os.path.join(OUT, "exists.h5"), "w").write("keep")
bad = [
    ("no source", [], "--synthetic"),
    ("both sources", ["--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--weights", "w.h5"], "--weights"),
    ("missing --seed", ["--synthetic", "--tokens", "8", "--d-k", "2"], "--seed"),
    ("--tokens 1", ["--synthetic", "--tokens", "1", "--d-k", "2", "--seed", "1"], "--tokens"),
    ("bad --kind", ["--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--kind", "x"], "--kind"),
    ("bad --beta", ["--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--beta", "1:0:5"], "--beta"),
    ("bad --preset", ["--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--controller", "--preset", "7b"], "--preset"),
    ("override without --controller", ["--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--steps", "5"], "--controller"),
    ("missing tensor", ["--weights", "w.h5", "--q", "Q"], "W_k"),
    ("--head out of range", ["--weights", "w.h5", "--head", "2", "--n-heads", "2"], "--head"),
    ("--rank > d_k", ["--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--kind", "lowrank", "--rank", "3"], "--rank"),
]
for label, args, word in bad:
    p = run(["attention"] + args + ["--out", "bad.h5"])
    err = p.stderr.decode(errors="replace")
    ok(p.returncode == 2 and err.count("\n") == 1 and word in err
       and not os.path.exists(os.path.join(OUT, "bad.h5")),
       f"bad input ({label}): exit 2, one line naming '{word}', no file",
       f"rc {p.returncode}: {err.strip()[:300]}")
p = run(["attention", "--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--out", "exists.h5"])
ok(p.returncode == 2 and p.stderr.decode().count("\n") == 1
   and open(os.path.join(OUT, "exists.h5")).read() == "keep",
   "existing --out without --force: exit 2, one line, untouched")
p = run(["attention", "--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1", "--out", "nodir/x.h5"])
ok(p.returncode == 2 and p.stderr.decode().count("\n") == 1, "missing --out directory: exit 2, one line")
p = run(["attention", "--help"])
ok(p.returncode == 0 and b"--controller" in p.stdout, "--help: exit 0, lists --controller")
leftover = [f for f in os.listdir(OUT) if f.startswith(".")]
ok(not leftover, "no temporary files left behind", str(leftover))
PYEOF

cli_finish
