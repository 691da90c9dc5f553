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
# Fields: energies with h equal -sum_{i<j} J s s - sum h s computed from Q, K, V
# (value fields) or W1, W2, b1, b2 (FFN biases) of analysis/make_example_weights.py
# files; synthetic values obey the exact identity sum_i h_i = n |mean v| and the
# Gaussian-sample laws n |mean v|^2 ~ chi2(d_v), n Var(h) ~ chi2(n-1).
# Gauge: E'(s) = E(g s) for random s, J' symmetric zero-diagonal with an all-one-sign
# top eigenvector and the same lambda_max. Eigensolvers: the iterative path's
# lambda is within its own residual r of the dense one (and never above it: a
# Rayleigh quotient), its eigenvector within sqrt(2) r / gap (Davis-Kahan).
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
# Drawn after the tensors above, which therefore keep their values.
t["W_v"] = rng.standard_normal((H * dk, dm)) / np.sqrt(dm)
t["ffn/b_1"] = rng.standard_normal(dff)
t["ffn/b_2"] = rng.standard_normal(dm)
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

# --- fields, gauge and eigensolvers -------------------------------------------
EPS = np.finfo(float).eps


def energy(J, h, s):
    """E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i (J symmetric, zero diagonal)."""
    return -0.5 * s @ J @ s - h @ s


def energy_scale(J, h):
    """sum of |terms| of the energy: rounding in any summation order is a few eps
    times this (times the number of products per term, <= d_model here)."""
    return 0.5 * np.abs(J).sum() + np.abs(h).sum()


def energies_match(label, J, h, Jref, href, factor=1.0, tries=50):
    worst, tol = 0.0, 1e-12 * energy_scale(Jref, href) * abs(factor)
    for _ in range(tries):
        s = rng.choice([-1.0, 1.0], size=len(h))
        worst = max(worst, abs(energy(J, h, s) - factor * energy(Jref, href, s)))
    ok(worst <= tol, f"{label}: E(s) of {tries} random s = -sum J s s - sum h s from the tensors",
       f"max dev {worst:.3g} > {tol:.3g}")


def attn_ref(Q, K, V, c):
    S = Q @ K.T
    J = (S + S.T) / 2
    np.fill_diagonal(J, 0)
    ubar = V.mean(axis=0)
    return J, c * (V @ (ubar / np.linalg.norm(ubar)))


# Example layer (make_example_weights.py) with biases and a direct Q, K, V file;
# more tokens than its default so that the spectra are not trivial.
EX = os.path.join(OUT, "ex")
p = subprocess.run(["/usr/bin/python3", os.path.join(ANALYSIS, "make_example_weights.py"), EX, "--fixture",
                    "--seed", "3", "--n-tokens", "40", "--d-ff", "36", "--biases", "--direct",
                    "--no-halfbits"], capture_output=True)
ok(p.returncode == 0, "make_example_weights.py --biases --direct", p.stderr.decode()[-300:])
with h5py.File(os.path.join(EX, "weights.h5"), "r") as f:
    ex = {k: f[k][()].astype(np.float64) for k in ("X", "W_q", "W_k", "W_v", "ffn/W_1", "ffn/W_2",
                                                   "ffn/b_1", "ffn/b_2")}
with h5py.File(os.path.join(EX, "direct.h5"), "r") as f:
    exd = {k: f[k][()] for k in ("Q", "K", "V")}
exdk = 4  # make_example_weights default d_k, 2 heads


def ex_head(h):
    sl = slice(h * exdk, (h + 1) * exdk)
    return tuple(ex["X"] @ ex[w][sl].T for w in ("W_q", "W_k", "W_v"))


# value fields, projection layout (head 1 of 2, F32 safetensors)
Qe, Ke, Ve = ex_head(1)
Jr, hr = attn_ref(Qe, Ke, Ve, 0.7)
run_ok("fields value (projection)", ["map", "--weights", "ex/weights.safetensors", "--head", "1",
                                     "--n-heads", "2", "--fields", "value", "--field-scale", "0.7",
                                     "--out", "fv.h5"])
J, h, attrs, _ = read_csr("fv.h5")
ok(np.allclose(h, hr, rtol=1e-10, atol=1e-12 * abs(hr).max()),
   "fields value: h_i = c v_i.u, u = mean v/|mean v|, V = X W_v^T (head 1)",
   f"max dev {abs(h - hr).max():.3g}")
energies_match("fields value (projection)", J, h, Jr, hr)
ok(text(attrs.get("fields", "")) == "value" and close(attrs.get("field_scale", 0), 0.7, 1e-15)
   and text(attrs.get("tensor_wv", "")) == "W_v" and int(attrs.get("d_v", 0)) == exdk,
   "fields value: attributes fields, field_scale, tensor_wv, d_v")
ok(close(h.sum(), 0.7 * len(h) * attrs["value_mean_norm"], 1e-10),
   "fields value: sum_i h_i = c n |mean v| (u is the direction of the mean)")
run_ok("fields value lambda_max", ["map", "--weights", "ex/weights.h5", "--head", "1",
                                   "--n-heads", "2", "--fields", "value", "--field-scale", "0.7",
                                   "--normalize", "lambda_max", "--out", "fvl.h5"])
J, h, attrs, _ = read_csr("fvl.h5")
energies_match("fields value --normalize lambda_max (E = E_raw / lambda_max)", J, h, Jr, hr,
               1 / np.linalg.eigvalsh(Jr).max())
# value fields, direct layout
Jr_d, hr_d = attn_ref(exd["Q"], exd["K"], exd["V"], 1.0)
run_ok("fields value (direct)", ["map", "--weights", "ex/direct.h5", "--fields", "value",
                                 "--out", "fvd.h5"])
J, h, attrs, _ = read_csr("fvd.h5")
energies_match("fields value (direct Q, K, V)", J, h, Jr_d, hr_d)
ok(text(attrs.get("tensor_v", "")) == "V", "fields value (direct): tensor_v attribute")
# the test's own 3-head file, head 1, W_v named explicitly
Wv = t["W_v"].astype(np.float64)[HEAD * dk:(HEAD + 1) * dk]
_, hr3 = attn_ref(Q, K, X @ Wv.T, -2.0)
run_ok("fields value --wv", ["map", "--weights", "w.h5", "--head", str(HEAD), "--n-heads", str(H),
                             "--fields", "value", "--wv", "W_v", "--field-scale", "-2",
                             "--out", "fv3.h5"])
J, h, _, _ = read_csr("fv3.h5")
ok(np.allclose(h, hr3, rtol=1e-10, atol=1e-12 * abs(hr3).max()) and np.array_equal(J, J1),
   "fields value --wv W_v (head 1 of 3): h from numpy, J unchanged by fields")

# FFN biases
W1e, W2e, b1e, b2e = ex["ffn/W_1"], ex["ffn/W_2"], ex["ffn/b_1"], ex["ffn/b_2"]
dme, dffe = W1e.shape[1], W1e.shape[0]
Jf = np.zeros((dme + dffe, dme + dffe))
Jf[:dme, dme:] = (W1e.T + W2e) / 2
Jf[dme:, :dme] = Jf[:dme, dme:].T
hf = -1.5 * np.concatenate([b2e, b1e])
run_ok("fields bias", ["map", "--ffn", "--weights", "ex/weights.safetensors", "--w2", "ffn/W_2",
                       "--fields", "bias", "--field-scale", "-1.5", "--out", "fb.h5"])
J, h, attrs, _ = read_csr("fb.h5")
energies_match("fields bias (FFN: W1, W2, b1, b2)", J, h, Jf, hf)
ok(np.allclose(h, hf, rtol=1e-12, atol=0), "fields bias: h = c (b2 visible, b1 hidden)")
ok(text(attrs.get("tensor_b1", "")) == "ffn/b_1" and text(attrs.get("tensor_b2", "")) == "ffn/b_2"
   and text(attrs.get("fields", "")) == "bias", "fields bias: attributes tensor_b1, tensor_b2, fields")

# synthetic values: reproducible, Q and K untouched, Gaussian-sample laws
NS, DS = 1000, 8
syn = ["map", "--synthetic", "--tokens", str(NS), "--d-k", str(DS), "--seed", "9"]
run_ok("synthetic fields value", syn + ["--fields", "value", "--out", "sv1.h5"])
run_ok("synthetic fields value x2", syn + ["--fields", "value", "--field-scale", "2",
                                           "--out", "sv2.h5"])
run_ok("synthetic no fields", syn + ["--out", "sv0.h5"])
Js1, hs1, as1, _ = read_csr("sv1.h5")
Js2, hs2, _, _ = read_csr("sv2.h5")
Js0, _, _, _ = read_csr("sv0.h5")
ok(np.array_equal(hs2, 2 * hs1) and np.array_equal(Js1, Js0) and np.array_equal(Js2, Js0),
   "synthetic values: reproducible from the seed (h(c=2) = 2 h(c=1) bitwise), J bitwise "
   "unchanged (Q, K not disturbed)")
vbar = as1["value_mean_norm"]
ok(close(hs1.sum(), NS * vbar, 1e-10), "synthetic values: sum_i h_i = n |mean v|")
import scipy.stats as st  # noqa: E402
x2 = NS * vbar ** 2  # n |mean v|^2 ~ chi2(d_v) for i.i.d. N(0,1) values
ok(st.chi2.ppf(1e-4, DS) < x2 < st.chi2.ppf(1 - 1e-4, DS),
   f"synthetic values: n |mean v|^2 = {x2:.3g} within chi2({DS}) 1e-4 quantiles")
# sample mean and covariance of a Gaussian sample are independent, so
# n Var(h) = n u^T C u ~ chi2(n-1) with u = direction of the mean
x2 = NS * hs1.var()
ok(st.chi2.ppf(1e-4, NS - 1) < x2 < st.chi2.ppf(1 - 1e-4, NS - 1),
   f"synthetic values: n Var(h) = {x2:.1f} within chi2({NS - 1}) 1e-4 quantiles")


# gauge
def check_gauge(label, plain, gauged):
    J0, h0, a0, _ = read_csr(plain)
    Jg, hg, ag, _ = read_csr(gauged)
    with h5py.File(os.path.join(OUT, gauged), "r") as f:
        g = f["gauge"][()]
        gdt = f["gauge"].dtype
        v = f["top_eigenvector"][()]
    with h5py.File(os.path.join(OUT, plain), "r") as f:
        g0 = f["gauge"][()]
    n_ = len(h0)
    ok(gdt == np.int8 and set(np.unique(g)) <= {-1, 1} and np.all(g0 == 1)
       and text(ag["gauge"]) == "top" and text(a0["gauge"]) == "none",
       f"{label}: int8 gauge dataset of +-1 (all +1 without --gauge), gauge attribute")
    imax = int(np.argmax(np.abs(v)))
    ok(v[imax] > 0 and np.array_equal(g, np.where(v < 0, -1, 1)),
       f"{label}: g = sign(v), v's largest component positive")
    worst = 0.0
    for _ in range(50):
        s = rng.choice([-1.0, 1.0], size=n_)
        worst = max(worst, abs(energy(Jg, hg, s) - energy(J0, h0, g * s)))
    tol = 1e-13 * energy_scale(J0, h0)
    ok(worst <= tol, f"{label}: E'(s) = E(g s) for 50 random s", f"max dev {worst:.3g}")
    ok(np.array_equal(Jg, Jg.T) and np.all(np.diag(Jg) == 0), f"{label}: J' symmetric, zero diagonal")
    w0, V0 = np.linalg.eigh(J0)
    wg, Vg = np.linalg.eigh(Jg)
    ok(abs(wg[-1] - w0[-1]) <= 1e-12 * abs(w0).max() and close(ag["lambda_max"], a0["lambda_max"], 1e-12),
       f"{label}: lambda_max unchanged ({w0[-1]:.6g})")
    # eigh's eigenvector error is ~ n eps ||J|| / gap per component
    gap = w0[-1] - w0[-2]
    etol = 100 * n_ * EPS * abs(w0).max() / gap
    u = Vg[:, -1] * np.sign(Vg[:, -1].sum())
    ok(u.min() >= -etol, f"{label}: top eigenvector of J' has components of one sign",
       f"min {u.min():.3g}, tol {etol:.3g}")
    ok(np.allclose(u, np.abs(v), atol=etol + np.sqrt(2) * ag.get("eigen_residual", 0) / gap),
       f"{label}: top eigenvector of J' = |v|")


for lbl, extra in (("attention", ["--weights", "w.h5", "--head", "1", "--n-heads", "3",
                                  "--fields", "value"]),
                   ("ffn", ["--ffn", "--weights", "ex/weights.h5", "--fields", "bias"])):
    run_ok(f"gauge {lbl}", ["map"] + extra + ["--out", f"g0_{lbl}.h5"])
    run_ok(f"gauge {lbl} top", ["map"] + extra + ["--gauge", "top", "--out", f"g1_{lbl}.h5"])
    check_gauge(f"gauge top ({lbl})", f"g0_{lbl}.h5", f"g1_{lbl}.h5")
p = run(["run", "--model", "graph", "--couplings", "g1_attention.h5", "--beta", "0.05",
         "--sweeps", "256", "--therm", "10", "--quiet"])
ok(p.returncode == 0, "gauged file with fields runs under ceasim run --model graph",
   p.stderr.decode(errors="replace").strip()[:300])

# Power iteration / Lanczos against the dense solver. A near-degenerate top pair:
# two blocks of Mattis-like couplings whose strengths differ by 1e-5.
rng2 = np.random.default_rng(11)
Xd = np.zeros((60, 3))
Xd[:30, 0] = 1
Xd[30:, 1] = 1 + 1e-5
Xd[:, 2] = 0.3 * rng2.standard_normal(60)
Xd += 1e-3 * rng2.standard_normal((60, 3))
with h5py.File(os.path.join(OUT, "deg.h5"), "w") as f:
    f["Q"] = Xd
    f["K"] = Xd
cases = [("w.h5 head 1", ["--weights", "w.h5", "--head", "1", "--n-heads", "3"], None),
         ("synthetic gaussian n=300", ["--synthetic", "--tokens", "300", "--d-k", "8", "--seed", "4"], None),
         ("synthetic lowrank", ["--synthetic", "--tokens", "200", "--d-k", "8", "--seed", "4",
                                "--kind", "lowrank", "--rank", "2"], "power"),
         ("ffn (bipartite: lambda_min = -lambda_max)", ["--ffn", "--weights", "ex/weights.h5",
                                                        "--w2", "ffn/W_2"], None),
         ("near-degenerate top pair", ["--weights", "deg.h5"], "lanczos")]
for k, (lbl, src, method) in enumerate(cases):
    run_ok(f"eigen dense: {lbl}", ["map"] + src + ["--eigen", "dense", "--gauge", "top", "--out", f"ed{k}.h5"])
    run_ok(f"eigen power: {lbl}", ["map"] + src + ["--eigen", "power", "--gauge", "top", "--out", f"ep{k}.h5"])
    Jd, _, ad, _ = read_csr(f"ed{k}.h5")
    _, _, ap, _ = read_csr(f"ep{k}.h5")
    with h5py.File(os.path.join(OUT, f"ed{k}.h5"), "r") as f:
        vd, gd = f["top_eigenvector"][()], f["gauge"][()]
    with h5py.File(os.path.join(OUT, f"ep{k}.h5"), "r") as f:
        vp, gp = f["top_eigenvector"][()], f["gauge"][()]
    r, lp, ld = ap["eigen_residual"], ap["lambda_max"], ad["lambda_max"]
    frob = np.linalg.norm(Jd)  # the gauge does not change it
    ok(r <= ap["eigen_tol"] * frob * (1 + 1e-12),
       f"eigen power ({lbl}): residual {r:.3g} <= eigen_tol ||J||_F ({text(ap['eigen_method'])}, "
       f"{int(ap['eigen_matvecs'])} products)")
    ok(abs(lp - ld) <= r + 1e-12 * abs(ld) and lp <= ld + 1e-12 * abs(ld),
       f"eigen power ({lbl}): lambda {lp:.12g} within residual of dense {ld:.12g}, not above it",
       f"diff {lp - ld:.3g}, residual {r:.3g}")
    w = np.linalg.eigvalsh(Jd)
    delta = lp - w[-2]  # distance of the Rayleigh quotient to the rest of the spectrum
    bound = np.sqrt(2) * r / delta + np.sqrt(2) * ad["eigen_residual"] / delta
    sgn = 1.0 if vp @ vd >= 0 else -1.0  # the overall sign is not physics; see docs
    ok(np.linalg.norm(sgn * vp - vd) <= bound,
       f"eigen power ({lbl}): eigenvector within sqrt(2) r / gap = {bound:.3g} of dense",
       f"dist {np.linalg.norm(sgn * vp - vd):.3g}")
    sure = np.abs(vd) > bound
    ok(np.array_equal((sgn * gp)[sure], gd[sure]),
       f"eigen power ({lbl}): gauge equals dense on the {int(sure.sum())} of {len(vd)} spins "
       f"with |v_i| above that bound")
    if method:
        ok(text(ap["eigen_method"]) == method, f"eigen power ({lbl}): finished by {method}",
           text(ap["eigen_method"]))
p = run(["map", "--weights", "deg.h5", "--eigen", "power", "--eigen-tol", "1e-18", "--out", "bad.h5"])
err = p.stderr.decode(errors="replace")
ok(p.returncode == 1 and err.count("\n") == 1 and "--eigen-tol" in err
   and not os.path.exists(os.path.join(OUT, "bad.h5")),
   "eigen power below rounding: fails (exit 1, one line, no file), never an unconverged value",
   f"rc {p.returncode}: {err.strip()[:300]}")

# direct Q, K, V for the bad-input cases below
with h5py.File(os.path.join(OUT, "qkv.h5"), "w") as f:
    f["Q"] = Q
    f["K"] = K
    f["V"] = X @ Wv.T
    f["V_short"] = (X @ Wv.T)[:-1]
    f["V_zero"] = np.repeat([[1.0, -2.0, 0.5], [-1.0, 2.0, -0.5]], n // 2, axis=0)
    f["Q_inf"] = np.where(np.arange(n * dk).reshape(n, dk) == 5, np.inf, Q)

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
    ("--fields value without a V tensor", ["--weights", "qk.h5", "--fields", "value"], "'V'"),
    ("V with the wrong number of rows", ["--weights", "qkv.h5", "--fields", "value", "--v",
                                         "V_short"], "V_short"),
    ("mean value vector zero", ["--weights", "qkv.h5", "--fields", "value", "--v", "V_zero"],
     "mean value vector"),
    ("--v with projections", ["--weights", "w.h5", "--fields", "value", "--v", "W_v"], "--v"),
    ("--wv with direct Q, K", ["--weights", "qkv.h5", "--fields", "value", "--wv", "W_v"], "--wv"),
    ("--v without --fields value", ["--weights", "qkv.h5", "--v", "V"], "--v"),
    ("--fields value with --ffn", ["--ffn", "--weights", "w.h5", "--fields", "value"],
     "--fields value"),
    ("--fields bias without --ffn", ["--weights", "qk.h5", "--fields", "bias"], "--fields bias"),
    ("bias of the wrong length", ["--ffn", "--weights", "w.h5", "--fields", "bias", "--b1",
                                  "ffn/b_2"], "ffn/b_2"),
    ("bias of the wrong rank", ["--ffn", "--weights", "w.h5", "--fields", "bias", "--b2", "W_q"],
     "W_q"),
    ("missing bias tensor", ["--ffn", "--weights", "w.h5", "--fields", "bias", "--b1", "nope"],
     "'nope'"),
    ("--field-scale inf", ["--weights", "qkv.h5", "--fields", "value", "--field-scale", "inf"],
     "--field-scale"),
    ("--field-scale nan", ["--weights", "qkv.h5", "--fields", "value", "--field-scale", "nan"],
     "--field-scale"),
    ("--field-scale without fields", ["--weights", "qk.h5", "--field-scale", "2"], "--field-scale"),
    ("unknown --fields", ["--weights", "qk.h5", "--fields", "values"], "--fields"),
    ("unknown --gauge", ["--weights", "qk.h5", "--gauge", "bottom"], "--gauge"),
    ("unknown --eigen", ["--weights", "qk.h5", "--eigen", "lapack"], "--eigen"),
    ("--eigen-tol 0", ["--weights", "qk.h5", "--eigen-tol", "0"], "--eigen-tol"),
    ("--eigen-tol with --eigen dense", ["--weights", "qk.h5", "--eigen", "dense",
                                        "--eigen-tol", "1e-8"], "--eigen-tol"),
    ("non-finite scores", ["--weights", "qkv.h5", "--q", "Q_inf", "--k", "K"], "not all finite"),
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
