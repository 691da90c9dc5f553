"""The training loop's thermostat (experiments/ceas_training/ceasctl.py over
libceasim_attention.so) is `ceasim attention --controller`: same head, same
preset -> the same beta(t), and the step API driven from Python gives it too.

usage: ceas_ctl.py CEASIM LIBCEASIM_ATTENTION SCRATCH_DIR
"""
import os
import subprocess
import sys

import h5py
import numpy as np

ceasim, lib, scratch = sys.argv[1:4]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "experiments",
                                "ceas_training"))
import ceasctl  # noqa: E402

ceasctl.load(lib)
fails = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails.append(what)


# Dyadic entries of at most 3 bits: every q.k is exact in double whatever the
# order of summation, so the C command and numpy see the very same scores.
rng = np.random.default_rng(2026)
n, d_k = 80, 16
Q = rng.integers(-6, 7, size=(n, d_k)) / 4.0
K = rng.integers(-6, 7, size=(n, d_k)) / 4.0
S = Q @ K.T
qk = os.path.join(scratch, "qk.h5")
with h5py.File(qk, "w") as f:
    f["Q"] = Q
    f["K"] = K

for preset, steps in (("9k", 2000), ("14m", 2000), ("gpt", 2000)):
    out = os.path.join(scratch, f"ctl_{preset}.h5")
    subprocess.run([ceasim, "attention", "--weights", qk, "--controller", "--preset", preset,
                    "--steps", str(steps), "--beta", "0:3:61", "--out", out, "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    with h5py.File(out, "r") as f:
        g = f["controller"]
        beta_cli = g["beta"][...]
        beta_c = float(g.attrs["beta_c"])
        H_target = float(g.attrs["H_target"])
        corridor = int(g.attrs["corridor_step"])
    r = ceasctl.ctrl_run(S, d_k, preset=preset, steps=steps, beta_c=beta_c)
    dev = np.max(np.abs(r["beta"] - beta_cli) / beta_cli)
    check(dev <= 1e-12 and beta_c > 0,
          f"{preset}: ctrl_run == ceasim attention --controller over {steps} steps "
          f"(max rel. deviation {dev:.1e}, margin at beta_c = {beta_c:.4f})")
    check(r["H_target"] == H_target and r["corridor_step"] == corridor,
          f"{preset}: same H_target ({H_target:.6f}) and corridor step ({corridor})")

    # The step API driven from Python, measuring with the library's head
    # averages (ceasctl.head_HV), no margin, no EMA: bit for bit ctrl_run. (The
    # transient is chaotic -- kappa(0) = 3.2 overshoots and clips for hundreds of
    # steps -- so any other rounding of H would give a different trajectory.)
    def head_HV(beta):
        return ceasctl.head_HV(S, beta)

    b0 = 1 / np.sqrt(d_k)
    H0, _ = head_HV(b0)
    pr = ceasctl.preset(preset)
    c = ceasctl.Controller(preset, beta0=b0, H_target=H0 - pr["target_offset"], beta_c=0,
                           ema_H=0, ema_var=0)
    betas = [c.beta]
    for _ in range(steps):
        c.observe(*head_HV(c.beta))
        betas.append(c.update()[0])
    ref = ceasctl.ctrl_run(S, d_k, preset=preset, steps=steps)
    dev = np.max(np.abs(np.array(betas) - ref["beta"]) / ref["beta"])
    check(dev == 0 and ref["corridor_step"] >= 0,
          f"{preset}: Controller.observe/update loop == ctrl_run without margin "
          f"(max rel. deviation {dev:.1e}; corridor from step {ref['corridor_step']})")

# Gating rule and schedules through the binding.
T = np.array([0.5, 2.0, 2.0, 1.0, 3.0])
check(list(ceasctl.gate_keep(T, 2.5, 0.4, 3)) == [False, True, True, False, True],
      "gate_keep: top ceil(0.4*5)=2 by T, ties to the lower index, T >= T_gate, floor 3")
pr = ceasctl.preset("9k")
check(ceasctl.gate_threshold("9k", 0) == pr["T_max"] and ceasctl.gate_topq("9k", 1e9) == pr["q1"],
      "schedules start at T_max and end at q1")
try:
    ceasctl.gate_keep(T, 1.0, 2.0, 1)
    check(False, "q = 2 refused")
except ValueError as e:
    check("expected in [0, 1]" in str(e), f"q = 2 refused: {e}")

sys.exit(1 if fails else 0)
