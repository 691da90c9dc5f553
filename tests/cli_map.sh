#!/usr/bin/env bash
# ceasim CLI: `ceasim map` (attention head / FFN block -> Ising couplings file).
#
# Checks with h5py/numpy: J symmetric with zero diagonal and equal to
# (S + S^T)/2 of S = Q K^T from the weights (numpy knows Q, K); energies of random
# spin configurations from the file equal -sum_{i<j} J_ij s_i s_j from Q, K;
# --normalize lambda_max gives lambda_max(J) = 1 (eigvalsh), frobenius gives
# ||J||_F = sqrt(n); the file runs under `ceasim run --model graph`; FFN shape and
# bipartite structure; bad inputs exit 2 with one line on stderr and no file.
#
# usage: bash tests/cli_map.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

mkdir -p "$WORK/out"
ANALYSIS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../analysis" && pwd)"

py_checks "map" "$CEASIM" "$WORK/out" "$ANALYSIS" <<'PYEOF'
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


def read_csr(path):
    with h5py.File(os.path.join(OUT, path), "r") as f:
        ip, ix, d, h = (f[k][()] for k in ("indptr", "indices", "data", "h"))
        attrs = {k: f.attrs[k] for k in f.attrs}
        dt = {k: f[k].dtype for k in ("indptr", "indices", "data", "h")}
    n = len(ip) - 1
    J = np.zeros((n, n))
    for i in range(n):
        J[i, ix[ip[i]:ip[i + 1]]] = d[ip[i]:ip[i + 1]]
    return J, h, attrs, dt


# A small head with sane magnitudes: X [n, d_model], W_q, W_k [H*d_k, d_model], and
# direct Q, K of head 1; float32 in both formats so both give the same numbers.
rng = np.random.default_rng(5)
n, dm, H, dk, dff = 24, 16, 3, 8, 20
t = {"X": rng.standard_normal((n, dm)),
     "W_q": rng.standard_normal((H * dk, dm)) / np.sqrt(dm),
     "W_k": rng.standard_normal((H * dk, dm)) / np.sqrt(dm),
     "ffn/W_1": rng.standard_normal((dff, dm)) / np.sqrt(dm),
     "ffn/W_2": rng.standard_normal((dm, dff)) / np.sqrt(dff),
     "bad_wk": rng.standard_normal((H * dk, dm + 1))}
t = {k: v.astype(np.float32) for k, v in t.items()}
X, Wq, Wk = (t[k].astype(np.float64) for k in ("X", "W_q", "W_k"))
HEAD = 1
Q = X @ Wq[HEAD * dk:(HEAD + 1) * dk].T
K = X @ Wk[HEAD * dk:(HEAD + 1) * dk].T
with h5py.File(os.path.join(OUT, "w.h5"), "w") as f:
    for k, v in t.items():
        f.create_dataset(k, data=v)
write_safetensors(os.path.join(OUT, "w.safetensors"), [(k, "F32", v) for k, v in t.items()])
with h5py.File(os.path.join(OUT, "qk.h5"), "w") as f:
    f["Q"] = Q
    f["K"] = K
S = Q @ K.T
Jref = (S + S.T) / 2
np.fill_diagonal(Jref, 0)

# --- attention, projection layout, both formats ----------------------------
for fmt in ("h5", "safetensors"):
    out = f"att_{fmt}.h5"
    run_ok(f"map {fmt}", ["map", "--weights", f"w.{fmt}", "--head", str(HEAD), "--n-heads",
                          str(H), "--out", out])
    J, h, attrs, dt = read_csr(out)
    ok(J.shape == (n, n), f"map {fmt}: n = {n} spins")
    ok(np.array_equal(J, J.T), f"map {fmt}: J exactly symmetric")
    ok(np.all(np.diag(J) == 0), f"map {fmt}: zero diagonal")
    ok(np.allclose(J, Jref, rtol=1e-9, atol=1e-9 * abs(Jref).max()),
       f"map {fmt}: J = (S + S^T)/2 of S = Q K^T (head {HEAD})",
       f"max dev {abs(J - Jref).max():.3g}")
    ok(dt["indptr"] == np.int64 and dt["indices"] == np.int64 and dt["data"] == np.float64
       and dt["h"] == np.float64, f"map {fmt}: CSR dtypes int64/int64/float64/float64")
    ok(np.all(h == 0), f"map {fmt}: h = 0 without --fields")
    need = ["ceasim_version", "command_line", "weights_file", "tensor_x", "tensor_wq",
            "tensor_wk", "head", "n_heads", "normalize", "scale", "lambda_max"]
    ok(all(k in attrs for k in need), f"map {fmt}: attributes {', '.join(need)}",
       f"missing {[k for k in need if k not in attrs]}")
    ok(int(attrs.get("head", -9)) == HEAD and text(attrs.get("tensor_wq", "")) == "W_q",
       f"map {fmt}: head and tensor attributes")
    lam = np.linalg.eigvalsh(J).max()
    ok(close(attrs.get("lambda_max", np.nan), lam, 1e-9), f"map {fmt}: lambda_max attribute = eigvalsh")

J1, _, _, _ = read_csr("att_h5.h5")
J2, _, _, _ = read_csr("att_safetensors.h5")
ok(np.array_equal(J1, J2), "map: HDF5 and safetensors give identical couplings")

# Energies of random configurations: file vs. Q, K directly.
S_direct = Q @ K.T
worst = 0.0
for r in range(20):
    s = rng.choice([-1.0, 1.0], size=n)
    e_file = -0.5 * s @ J1 @ s
    e_qk = -sum(0.5 * (S_direct[i, j] + S_direct[j, i]) * s[i] * s[j]
                for i in range(n) for j in range(i + 1, n))
    worst = max(worst, abs(e_file - e_qk) / max(1.0, abs(e_qk)))
ok(worst < 1e-10, "map: energy of 20 random configurations = -sum_{i<j} J_ij s_i s_j from Q, K",
   f"rel dev {worst:.3g}")

# Direct Q, K tensors give the same couplings.
run_ok("map direct Q K", ["map", "--weights", "qk.h5", "--out", "direct.h5"])
Jd, _, attrs, _ = read_csr("direct.h5")
ok(np.allclose(Jd, J1, rtol=1e-12, atol=1e-12 * abs(J1).max()) and text(attrs["source"]) == "direct",
   "map direct: Q, K tensors give the projection's couplings")

# --- normalisations ---------------------------------------------------------
run_ok("map lambda_max", ["map", "--weights", "w.h5", "--head", "1", "--n-heads", "3",
                          "--normalize", "lambda_max", "--out", "lam.h5"])
J, _, attrs, _ = read_csr("lam.h5")
ok(close(np.linalg.eigvalsh(J).max(), 1.0, 1e-10), "normalize lambda_max: lambda_max(J) = 1 (eigvalsh)")
ok(close(attrs["beta_c_mean_field"], 1.0, 1e-10), "normalize lambda_max: beta_c_mean_field = 1")
ok(np.allclose(J * attrs["lambda_max_unscaled"], J1, rtol=1e-10, atol=1e-10 * abs(J1).max()),
   "normalize lambda_max: J = J_raw / lambda_max(J_raw)")
run_ok("map frobenius", ["map", "--synthetic", "--tokens", "40", "--d-k", "8", "--seed", "2",
                         "--normalize", "frobenius", "--out", "frob.h5"])
J, _, attrs, _ = read_csr("frob.h5")
ok(close(np.linalg.norm(J), np.sqrt(40), 1e-10), "normalize frobenius: ||J||_F = sqrt(n)")
ok(np.array_equal(J, J.T) and np.all(np.diag(J) == 0), "synthetic map: symmetric, zero diagonal")

# --- the file runs ------------------------------------------------------------
for f in ("lam.h5", "frob.h5"):
    p = run(["run", "--model", "graph", "--couplings", f, "--beta", "0.8", "--sweeps", "256",
             "--therm", "10", "--quiet"])
    ok(p.returncode == 0, f"ceasim run --model graph --couplings {f}: exit 0",
       p.stderr.decode(errors="replace").strip()[:300])

# --- FFN ----------------------------------------------------------------------
W1 = t["ffn/W_1"].astype(np.float64)
W2 = t["ffn/W_2"].astype(np.float64)
run_ok("map --ffn", ["map", "--ffn", "--weights", "w.safetensors", "--out", "ffn.h5"])
J, h, attrs, _ = read_csr("ffn.h5")
N = dm + dff
ok(J.shape == (N, N), f"ffn: d_model + d_ff = {N} spins")
ok(np.all(J[:dm, :dm] == 0) and np.all(J[dm:, dm:] == 0), "ffn: bipartite (no visible-visible or hidden-hidden couplings)")
ok(np.allclose(J[:dm, dm:], W1.T, rtol=1e-12), "ffn: J[v][d_model + h] = W1[h][v]")
ok(np.array_equal(J, J.T), "ffn: symmetric")
ok(int(attrs["d_model"]) == dm and int(attrs["d_ff"]) == dff and text(attrs["tensor_w1"]) == "ffn/W_1",
   "ffn: d_model, d_ff, tensor_w1 attributes")
sv = np.linalg.svd(W1, compute_uv=False).max()
ok(close(attrs["lambda_max"], sv, 1e-9), "ffn: lambda_max = largest singular value of W1")
run_ok("map --ffn --w2", ["map", "--ffn", "--weights", "w.h5", "--w2", "ffn/W_2", "--out", "ffn2.h5"])
J, _, _, _ = read_csr("ffn2.h5")
ok(np.allclose(J[:dm, dm:], (W1.T + W2) / 2, rtol=1e-12), "ffn --w2: J = (W1^T + W2)/2 on the visible-hidden block")
p = run(["run", "--model", "graph", "--couplings", "ffn2.h5", "--beta", "0.5", "--sweeps", "256",
         "--therm", "10", "--quiet"])
ok(p.returncode == 0, "ffn couplings run under ceasim run --model graph")

# --- bad input: exit 2, one line, no file -------------------------------------
open(os.path.join(OUT, "exists.h5"), "w").write("keep")
bad = [
    ("missing tensor lists the present ones", ["--weights", "w.h5", "--q", "nope", "--k", "K"],
     "W_q"),
    ("shape mismatch X vs W_k", ["--weights", "w.h5", "--wk", "bad_wk"], "d_model"),
    ("unknown --normalize", ["--weights", "qk.h5", "--normalize", "max"], "--normalize"),
    ("--head out of range", ["--weights", "w.h5", "--head", "3", "--n-heads", "3"], "--head"),
    ("--n-heads not dividing W_q rows", ["--weights", "w.h5", "--head", "0", "--n-heads", "5"], "head"),
    ("no head source", ["--tokens", "5"], "--synthetic"),
    ("ffn shape mismatch", ["--ffn", "--weights", "w.h5", "--w2", "W_q"], "W_q"),
    ("ffn missing tensor", ["--ffn", "--weights", "qk.h5"], "ffn/W_1"),
    ("unknown option", ["--weights", "qk.h5", "--bogus"], "--bogus"),
    ("missing weights file", ["--weights", "nonexistent.h5"], "nonexistent.h5"),
]
for label, args, word in bad:
    p = run(["map"] + args + ["--out", "bad.h5"])
    err = p.stderr.decode(errors="replace")
    ok(p.returncode == 2 and err.count("\n") == 1 and word in err
       and not os.path.exists(os.path.join(OUT, "bad.h5")),
       f"bad input ({label}): exit 2, one line naming '{word}', no file",
       f"rc {p.returncode}: {err.strip()[:300]}")
p = run(["map", "--weights", "qk.h5", "--out", "exists.h5"])
ok(p.returncode == 2 and p.stderr.decode().count("\n") == 1
   and open(os.path.join(OUT, "exists.h5")).read() == "keep",
   "existing --out without --force: exit 2, one line, file untouched")
p = run(["map", "--weights", "qk.h5", "--out", "exists.h5", "--force"])
ok(p.returncode == 0 and h5py.is_hdf5(os.path.join(OUT, "exists.h5")), "--force replaces it")
p = run(["map", "--weights", "qk.h5", "--out", "no/such/dir/x.h5"])
ok(p.returncode == 2 and p.stderr.decode().count("\n") == 1, "missing --out directory: exit 2, one line")
p = run(["map", "--weights", "qk.h5"])
ok(p.returncode == 2 and "--out" in p.stderr.decode(), "no --out: exit 2 naming --out")
leftover = [f for f in os.listdir(OUT) if f.startswith(".")]
ok(not leftover, "no temporary files left behind", str(leftover))
PYEOF

cli_finish
