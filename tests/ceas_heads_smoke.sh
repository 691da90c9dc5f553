#!/usr/bin/env bash
# ceasim on learned heads (issue 16, part 2): a tiny randomly initialised model of
# experiments/ceas_training/model.py (nothing is trained), its checkpoint exported by
# export_heads.py, and `ceasim attention` / `ceasim map` run on the exported file
# exactly as written. Facts checked:
#  - the exported per-head Q, K are X W_q,h^T, X W_k,h^T (rows h*d_k..) to 1e-12
#    (the file's projection and direct layouts are the same head);
#  - ceasim's head-mean sigma_qk is numpy's population std of the rows of the
#    exported Q K^T, mean over queries, to 1e-9 (relative), in both layouts;
#  - map's lambda_max(J) is numpy.linalg.eigvalsh of (S + S^T)/2 with zero diagonal
#    to 1e-9 (relative); the file's beta is the checkpoint's;
#  - export refuses to overwrite without --force and bad --tokens (exit 2, one line,
#    nothing written).
# Release pass only (label long_validation, like cli_docs): it checks numbers of
# Python code, not memory, and torch is slow to import under the sanitizers' timing.
#
# usage: bash tests/ceas_heads_smoke.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

TRAIN="$(cd "$(dirname "${BASH_SOURCE[0]}")/../experiments/ceas_training" && pwd)"
mkdir -p "$WORK/out"

py_checks "heads" "$CEASIM" "$WORK/out" "$TRAIN" <<'PYEOF'
import os
import subprocess
import sys

import h5py
import numpy as np

from chk import ok, run_ok_in

CEASIM, OUT, TRAIN = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, TRAIN)
try:
    import torch
except ImportError as e:
    print("ok - # SKIP torch not importable (%s): python3-torch is needed for issue 16" % e)
    sys.exit(0)
torch.set_num_threads(1)
import data  # noqa: E402
import model  # noqa: E402

corpus = data.Corpus()
torch.manual_seed(3)
net = model.CharTransformer(model.make_config("tiny", corpus.vocab_size))
with torch.no_grad():
    # Distinct betas per head, so the metadata check cannot pass by accident.
    net.beta.copy_(torch.arange(1, 1 + net.beta.numel(), dtype=torch.float32).view_as(net.beta) / 7)
ckpt = os.path.join(OUT, "ckpt_000000.pt")
model.save_checkpoint(ckpt, net, 0, "a", 3)
cfg = net.cfg
L, H, dk, n = cfg["n_layer"], cfg["n_head"], cfg["d_k"], cfg["block"]

exp = os.path.join(OUT, "exp")
cmd = ["/usr/bin/python3", os.path.join(TRAIN, "export_heads.py"), ckpt, "--out", exp]
p = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
ok(p.returncode == 0 and p.stderr == b"", "export: exit 0, quiet stderr", p.stderr.decode()[-300:])
files = sorted(os.listdir(exp))
ok(files == ["layer%d.h5" % l for l in range(L)], "export: one file per layer, no temporary left", str(files))

p = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
ok(p.returncode == 2 and len(p.stderr.decode().strip().splitlines()) == 1 and b"--force" in p.stderr,
   "export: an existing file is kept without --force (exit 2, one line)", p.stderr.decode())
bad = os.path.join(OUT, "bad")
p = subprocess.run(cmd[:3] + ["--out", bad, "--tokens", str(n + 1)], capture_output=True,
                   stdin=subprocess.DEVNULL)
ok(p.returncode == 2 and len(p.stderr.decode().strip().splitlines()) == 1
   and not (os.path.isdir(bad) and os.listdir(bad)),
   "export: --tokens above the block size is exit 2, one line, nothing written", p.stderr.decode())

beta = net.beta.double().numpy()
for l in range(L):
    path = os.path.join(exp, "layer%d.h5" % l)
    with h5py.File(path, "r") as f:
        X, Wq, Wk = f["X"][()], f["W_q"][()], f["W_k"][()]
        heads = [(f["heads/%d/Q" % h][()], f["heads/%d/K" % h][()]) for h in range(H)]
        fb = f.attrs["beta"]
        ok(X.dtype == np.float64 and X.shape == (n, cfg["d_model"]) and Wq.shape == (H * dk, cfg["d_model"]),
           "layer %d: X float64 [n, d_model], W_q [n_head d_k, d_model]" % l, str((X.dtype, X.shape, Wq.shape)))
        ok(np.array_equal(fb, beta[l]) and int(f.attrs["step"]) == 0 and f.attrs["arm"] == "a"
           and int(f.attrs["seed"]) == 3 and int(f.attrs["offset"]) == 0,
           "layer %d: beta, step, arm, seed, offset attributes are the checkpoint's" % l, str(fb))
    for h, (Q, K) in enumerate(heads):
        sl = slice(h * dk, (h + 1) * dk)
        for name, A, W in (("Q", Q, Wq), ("K", K, Wk)):
            ref = X @ W[sl].T
            d = np.max(np.abs(A - ref)) / np.max(np.abs(ref))
            ok(d <= 1e-12, "layer %d head %d: %s == X W_%s,h^T (rel %.1e <= 1e-12)" % (l, h, name, name.lower(), d))
        S = Q @ K.T
        sig = float(S.std(axis=1).mean())
        for lay, args in (("projection", ["--n-heads", str(H), "--head", str(h)]),
                          ("direct", ["--q", "heads/%d/Q" % h, "--k", "heads/%d/K" % h])):
            a = os.path.join(OUT, "a_l%d_h%d_%s.h5" % (l, h, lay))
            run_ok_in(CEASIM, OUT, "attention layer %d head %d (%s)" % (l, h, lay),
                      ["attention", "--weights", path, "--beta", "0:4:5"] + args + ["--out", a])
            with h5py.File(a, "r") as f:
                s = float(f.attrs["sigma_qk_mean"])
            ok(abs(s - sig) <= 1e-9 * abs(sig), "layer %d head %d (%s): sigma_qk %.12g == numpy %.12g" % (l, h, lay, s, sig))
        J = os.path.join(OUT, "J_l%d_h%d.h5" % (l, h))
        run_ok_in(CEASIM, OUT, "map layer %d head %d" % (l, h),
                  ["map", "--weights", path, "--n-heads", str(H), "--head", str(h), "--normalize", "none",
                   "--out", J])
        Js = (S + S.T) / 2
        np.fill_diagonal(Js, 0.0)
        lam = float(np.linalg.eigvalsh(Js)[-1])
        with h5py.File(J, "r") as f:
            lm = float(f.attrs["lambda_max"])
        ok(abs(lm - lam) <= 1e-9 * abs(lam), "layer %d head %d: map lambda_max %.12g == eigvalsh %.12g" % (l, h, lm, lam))
PYEOF
cli_finish
