#!/usr/bin/python3
"""Plots of a ceasim sweep directory (run with /usr/bin/python3).

Reads DIR/analysis.h5 (written by `ceasim analyze DIR`; layout in docs/analysis.md)
and writes PNGs to DIR/plots/:

  binder.png        U4 vs beta per L: task points and reweighted curves (1 sigma band)
  xi_over_L.png     xi/L vs beta per L
  collapse.png      U4 and xi/L against (beta - beta_c) L^(1/nu)
  peaks.png         chi'_max and C_max vs L (log-log) with the fitted power laws
  crossings.png     crossing points beta*(L1) with the beta_c + a L^-x fit
  zeta_ce.png       xi(beta) with the fitted zeta_CE curve   (analyze --zeta-ce)
  tau_vs_xi.png     tau_int(|m|) vs xi with the fitted z     (analyze --zeta-ce)
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def attr(obj, name, default=np.nan):
    v = obj.attrs.get(name, default)
    if isinstance(v, bytes):
        v = v.decode()
    return v


def tasks_by_size(t):
    L = t["L"][()]
    for size in np.unique(L):
        sel = np.nonzero(L == size)[0]
        yield int(size), sel[np.argsort(t["beta"][sel])]


def save(fig, out, name, written):
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)


def curve_plot(f, out, q, ylabel, fname, written, graph=False):
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    t = f["tasks"]
    for i, (L, idx) in enumerate(tasks_by_size(t)):
        c = colors[i % len(colors)]
        g = f.get(f"sizes/L{L}")
        if g is not None and q in g:
            b, y, e = g["beta"][()], g[q][()], g[q + "_error"][()]
            ax.plot(b, y, color=c, lw=1)
            ax.fill_between(b, y - e, y + e, color=c, alpha=0.25, lw=0)
        ax.errorbar(t["beta"][idx], t[q][idx], yerr=t[q + "_error"][idx], fmt="o", ms=3,
                    capsize=2, color=c, label=f"{'n' if graph else 'L'} = {L}")
    res = f.get("results")
    if res is not None and np.isfinite(attr(res, "beta_c")):
        ax.axvline(attr(res, "beta_c"), color="k", ls="--", lw=0.8,
                   label=rf"$\beta_c$ = {attr(res, 'beta_c'):.5f}")
        ref = attr(res, "beta_c_reference")
        if np.isfinite(ref):
            ax.axvline(ref, color="gray", ls=":", lw=0.8, label=f"reference {ref:.5f}")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    save(fig, out, fname, written)


def collapse_plot(f, out, written):
    res = f.get("results")
    if res is None or not np.isfinite(attr(res, "beta_c")) or not np.isfinite(attr(res, "nu")):
        return
    bc, nu = attr(res, "beta_c"), attr(res, "nu")
    t = f["tasks"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, q, lab, cg in ((axes[0], "binder", r"$U_4$", "collapse_binder"),
                           (axes[1], "xi_over_L", r"$\xi/L$", "collapse_xi_over_L")):
        for L, idx in tasks_by_size(t):
            x = (t["beta"][idx] - bc) * L ** (1.0 / nu)
            ax.errorbar(x, t[q][idx], yerr=t[q + "_error"][idx], fmt="o", ms=3, capsize=2,
                        label=f"L = {L}")
        g = f.get(f"fss/{cg}")
        s = attr(g, "S") if g is not None else np.nan
        ax.set_xlabel(r"$(\beta-\beta_c)\,L^{1/\nu}$")
        ax.set_ylabel(lab)
        ax.set_title(rf"$\beta_c$={bc:.5f}, $\nu$={nu:.3f}, S={s:.2f}", fontsize=9)
        ax.legend(fontsize=8)
    save(fig, out, "collapse.png", written)


def fit_line(g, x):
    """Evaluates the fit group's model on x (the models of docs/analysis.md)."""
    p = {n: attr(g, n) for n in attr(g, "parameter_names", "").split(",") if n}
    formula = attr(g, "formula", "")
    if formula.startswith("A*L^p (") or formula == "A*L^p":
        return p["A"] * x ** p["p"]
    if formula == "A*L^p + B":
        return p["A"] * x ** p["p"] + p["B"]
    if formula == "beta_c + a*L^(-x)":
        return p["beta_c"] + p["a"] * x ** (-p["x"])
    if formula.startswith("beta_c + a*L^(-x) + b*L^(-x-omega)"):
        return p["beta_c"] + p["a"] * x ** (-p["x"]) + p["b"] * x ** (-p["x"] - p["omega"])
    if formula.startswith("A / max("):
        u = np.abs(x - p["beta_c"]) / p["beta_c"]
        return p["A"] / np.maximum(u, p["u_min"]) ** p["nu"]
    return None


def fitted(g):
    return g is not None and attr(g, "ok", 0) == 1


def peaks_plot(f, out, written):
    pk = f.get("peaks")
    if pk is None or len(pk["L"]) < 2:
        return
    L = pk["L"][()]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    xs = np.geomspace(L.min() * 0.9, L.max() * 1.1, 100)
    for q, lab, fits in (("susceptibility_connected", r"$\chi'_{max}$",
                          ("gamma_over_nu_chi_max", "gamma_over_nu_chi_max_corrected")),
                         ("specific_heat", r"$C_{max}$", ())):
        y, e = pk[q + "_max"][()], pk[q + "_max_error"][()]
        ax.errorbar(L, y, yerr=e, fmt="o", capsize=2, label=lab)
        for name in fits:
            g = f.get(f"fss/{name}")
            if fitted(g):
                ax.plot(xs, fit_line(g, xs), lw=1,
                        label=f"{attr(g, 'formula').split(' (')[0]}: p = {attr(g, 'p'):.4f} ± {attr(g, 'p_error'):.4f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("L")
    ax.set_ylabel("peak height")
    ax.legend(fontsize=8)
    save(fig, out, "peaks.png", written)


def crossings_plot(f, out, written):
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    drew = False
    for q, name in (("xi_over_L", "beta_c_xi_crossings"), ("binder", "beta_c_binder_crossings")):
        c = f.get(f"crossings/{q}")
        if c is None or len(c["L1"]) == 0:
            continue
        ok = c["found"][()] == 1
        eb = ax.errorbar(c["L1"][ok], c["beta"][ok], yerr=c["beta_error"][ok], fmt="o",
                         capsize=2, label=f"{q} crossings")
        color = eb[0].get_color()
        drew = True
        g = f.get(f"fss/{name}")
        if fitted(g) and ok.any():
            xs = np.linspace(c["L1"][ok].min() * 0.8, c["L1"][ok].max() * 4, 100)
            ax.plot(xs, fit_line(g, xs), lw=1, color=color,
                    label=rf"fit: $\beta_c$ = {attr(g, 'beta_c'):.5f} ± {attr(g, 'beta_c_error'):.5f}")
    if not drew:
        plt.close(fig)
        return
    res = f.get("results")
    if res is not None and np.isfinite(attr(res, "beta_c_reference")):
        ax.axhline(attr(res, "beta_c_reference"), color="gray", ls=":", label="reference")
    ax.set_xscale("log")
    ax.set_xlabel(r"$L_1$ (crossing of $L_1$ and $L_2$)")
    ax.set_ylabel(r"$\beta^*$")
    ax.legend(fontsize=8)
    save(fig, out, "crossings.png", written)


def zeta_plots(f, out, written):
    z = f.get("zeta_ce")
    if z is None:
        return
    x, y, e = z["x"][()], z["y"][()], z["y_error"][()]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.errorbar(x, y, yerr=e, fmt="o", capsize=2, label=r"$\xi_{2nd}$ (measured)")
    if fitted(z):
        xs = np.linspace(x.min(), attr(z, "beta_c"), 300)[:-1]
        inside = "inside" if attr(z, "nu_in_ceas_range", 0) == 1 else "outside"
        ax.plot(xs, fit_line(z, xs), lw=1,
                label=rf"$\zeta_{{CE}}$: A={attr(z, 'A'):.3f}, $\nu$={attr(z, 'nu'):.3f}"
                      rf"$\pm${attr(z, 'nu_error'):.3f} ({inside} [0.5, 1])")
    ax.axvline(attr(z, "beta_c"), color="k", ls="--", lw=0.8, label=r"$\beta_c$")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(r"$\xi$")
    ax.legend(fontsize=8)
    save(fig, out, "zeta_ce.png", written)

    zg = z.get("z")
    if zg is None or len(zg) == 0:
        return
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for algo in zg:
        g = zg[algo]
        xx, yy, ee = g["x"][()], g["y"][()], g["y_error"][()]
        ax.errorbar(xx, yy, yerr=ee, fmt="o", capsize=2, label=f"{algo}")
        if fitted(g):
            xs = np.geomspace(xx.min() * 0.9, xx.max() * 1.1, 100)
            ax.plot(xs, fit_line(g, xs), lw=1,
                    label=f"{algo}: z = {attr(g, 'p'):.2f} ± {attr(g, 'p_error'):.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\xi_{2nd}$")
    ax.set_ylabel(r"$\tau_{int}(|m|)$ [sweeps]")
    ax.legend(fontsize=8)
    save(fig, out, "tau_vs_xi.png", written)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="sweep directory (holds analysis.h5)")
    ap.add_argument("--analysis", help="analysis file (default DIR/analysis.h5)")
    ap.add_argument("--out", help="directory for the PNGs (default DIR/plots)")
    args = ap.parse_args()
    path = args.analysis or os.path.join(args.dir, "analysis.h5")
    if not os.path.exists(path):
        sys.exit(f"plot_sweep.py: {path}: missing (run `ceasim analyze {args.dir}` first)")
    out = args.out or os.path.join(args.dir, "plots")
    os.makedirs(out, exist_ok=True)
    written = []
    with h5py.File(path, "r") as f:
        if attr(f, "kind", "") != "ceasim analyze":
            sys.exit(f"plot_sweep.py: {path}: not written by `ceasim analyze`")
        graph = attr(f, "model", "") == "graph"
        curve_plot(f, out, "binder", r"$U_4$", "binder.png", written, graph)
        if graph:
            # Graphs have no structure factor: no xi; chi' carries the transition.
            curve_plot(f, out, "susceptibility_connected", r"$\chi'$",
                       "susceptibility.png", written, graph)
            curve_plot(f, out, "specific_heat", r"$C$", "specific_heat.png", written, graph)
        else:
            curve_plot(f, out, "xi_over_L", r"$\xi_{2nd}/L$", "xi_over_L.png", written)
        collapse_plot(f, out, written)
        peaks_plot(f, out, written)
        crossings_plot(f, out, written)
        zeta_plots(f, out, written)
    print("plots: " + ", ".join(written))


if __name__ == "__main__":
    main()
