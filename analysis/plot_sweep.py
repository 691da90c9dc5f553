#!/usr/bin/python3
"""Plots of a ceasim sweep directory (run with /usr/bin/python3).

Reads DIR/analysis.h5 (written by `ceasim analyze DIR`; layout in docs/analysis.md)
and DIR/sweep.h5 (the sweep's parameters, for the subtitles) and writes PNGs to
DIR/plots/:

  binder.png        U4 vs beta per L: task points and reweighted curves (1 sigma band;
                    dashed where the reweighting extrapolates beyond the simulated betas)
  xi_over_L.png     xi/L vs beta per L (lattices; graphs get susceptibility.png and
                    specific_heat.png instead)
  collapse.png      U4 and xi/L against (beta - beta_c) L^(1/nu)
  peaks.png         chi'_max and C_max vs L (log-log) with the fitted power law
  crossings.png     accepted crossing points beta*(L1) with the beta_c + a L^-x fit
  zeta_ce.png       xi(beta) with the fitted zeta_CE curve   (analyze --zeta-ce)
  tau_vs_xi.png     tau_int(|m|) vs xi with the fitted z     (analyze --zeta-ce)

A plot the data cannot support is still written, as a page that says why (so that a
stale PNG of an earlier run never stands in for it), and the reason is printed.
"""
import argparse
import os
import sys
import warnings

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (FixedLocator, FormatStrFormatter, MaxNLocator,  # noqa: E402
                               NullLocator, ScalarFormatter)


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


class Plots:
    """Where the PNGs go, the subtitle every figure carries, and what was written."""

    def __init__(self, out, subtitle, quiet):
        self.out, self.subtitle, self.quiet = out, subtitle, quiet
        self.written = []

    def save(self, fig, name, title=None):
        if title:
            fig.suptitle(f"{title}\n{self.subtitle}", fontsize=9)
        else:
            fig.suptitle(self.subtitle, fontsize=9)
        fig.tight_layout()
        path = os.path.join(self.out, name)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        self.written.append(path)

    def skip(self, name, reason, placeholder=True):
        """Says why NAME is not drawn; with placeholder, writes a page saying so."""
        if not self.quiet:
            print(f"plot_sweep.py: {name}: not drawn: {reason}")
        if not placeholder:
            return
        fig, ax = plt.subplots(figsize=(6.4, 3.0))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{name}: not drawn\n\n{reason}", ha="center", va="center",
                wrap=True, fontsize=10, transform=ax.transAxes)
        self.save(fig, name)


def subtitle_of(f, sweep_dir):
    """Model, algorithm and sweeps per task: from DIR/sweep.h5, else from the task
    table of analysis.h5 (measurements x interval)."""
    model = attr(f, "model", "?")
    t = f["tasks"]
    algos = sorted({a.decode() if isinstance(a, bytes) else str(a) for a in t["algo"][()]})
    path = os.path.join(sweep_dir, "sweep.h5")
    sweeps, seed = None, ""
    if os.path.exists(path):
        try:
            with h5py.File(path, "r") as s:
                sweeps = f"{int(attr(s, 'sweeps'))} sweeps + {int(attr(s, 'therm'))} thermalisation"
                seed = f", seed {int(attr(s, 'seed'))}"
        except (OSError, KeyError, ValueError):
            sweeps, seed = None, ""
    if sweeps is None:
        n = np.unique(t["n_samples"][()] * t["measure_every"][()])
        sweeps = f"{int(n[0])} measured sweeps" if len(n) == 1 else \
            f"{int(n.min())}-{int(n.max())} measured sweeps"
    sizes = np.unique(t["L"][()])
    what = "n" if model == "graph" else "L"
    return (f"{model}, {'/'.join(algos)}, {sweeps} per task{seed}; "
            f"{what} = {', '.join(str(int(x)) for x in sizes)}, {len(t['beta'])} tasks")


def size_name(f):
    """Graphs are sized by their number of spins n, lattices by L."""
    return "n" if attr(f, "model", "") == "graph" else "L"


def sampled_range(g):
    lo, hi = attr(g, "beta_min_simulated"), attr(g, "beta_max_simulated")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        sim = g["betas_simulated"][()] if "betas_simulated" in g else g["beta"][()]
        lo, hi = sim.min(), sim.max()
    return lo, hi


def size_ticks(ax, values):
    """Plain tick labels at the sizes on a log axis (matplotlib's default shows one
    label, 10^1 or 10^2, on a range of less than a decade)."""
    values = sorted({int(v) for v in values})
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_minor_locator(NullLocator())
    fmt = ScalarFormatter()
    fmt.set_scientific(False)
    ax.xaxis.set_major_formatter(fmt)


def plain_log(axis, lo, hi):
    """Plain tick labels on a log axis spanning lo..hi: 1-2-5 steps if three of them
    fall inside, else every integer multiple of the decade, else (less than a factor
    of two) evenly spaced values. matplotlib's default labels only powers of ten, which
    leaves one label, or none, on the short ranges of finite-size data."""
    ticks = []
    k0, k1 = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    for subs in ((1, 2, 5), range(1, 10)):
        ticks = [m * 10.0 ** k for k in range(k0, k1 + 1) for m in subs
                 if lo <= m * 10.0 ** k <= hi]
        if len(ticks) >= 3:
            break
    else:
        ticks = [v for v in MaxNLocator(5).tick_values(lo, hi) if lo <= v <= hi]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FormatStrFormatter("%g"))


def plain_log_x(ax):
    plain_log(ax.xaxis, *ax.get_xlim())


def plain_log_y(ax):
    plain_log(ax.yaxis, *ax.get_ylim())


# analyze's threshold for its "neighbouring betas overlap poorly" note (driver.c).
POOR_OVERLAP = 0.03


def curve_plot(f, P, q, ylabel, fname, graph=False):
    fig, ax = plt.subplots(figsize=(6.6, 4.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    t = f["tasks"]
    extrapolated = poor = False
    for i, (L, idx) in enumerate(tasks_by_size(t)):
        c = colors[i % len(colors)]
        g = f.get(f"sizes/L{L}")
        label = f"{'n' if graph else 'L'} = {L}"
        if g is not None and q in g:
            b, y, e = g["beta"][()], g[q][()], g[q + "_error"][()]
            lo, hi = sampled_range(g)
            inside = (b >= lo) & (b <= hi)
            # Where neighbouring runs share no energies the curve between them is
            # not data: dotted, and the legend says so.
            unreliable = attr(g, "min_overlap", 1.0) < POOR_OVERLAP
            if unreliable:
                poor = True
                label += f" (overlap {attr(g, 'min_overlap'):.1g}: curve unreliable)"
            # Inside the simulated range solid with its band; beyond it (the
            # reweighting's 1/sigma_E margin) dashed, lightly shaded.
            for part, ls, alpha in ((b <= lo, "--", 0.10), (inside, ":" if unreliable else "-",
                                                             0.12 if unreliable else 0.25),
                                    (b >= hi, "--", 0.10)):
                if part.sum() < 2:
                    continue
                ax.plot(b[part], y[part], color=c, lw=1, ls=ls)
                ax.fill_between(b[part], (y - e)[part], (y + e)[part], color=c, alpha=alpha,
                                lw=0)
            extrapolated |= bool((~inside).sum() >= 2)
        ax.errorbar(t["beta"][idx], t[q][idx], yerr=t[q + "_error"][idx], fmt="o", ms=3,
                    capsize=2, color=c, label=label)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="gray", lw=1))
    labels.append("reweighted (band: 1σ)")
    if extrapolated:
        handles.append(Line2D([], [], color="gray", lw=1, ls="--"))
        labels.append("extrapolated beyond the simulated β")
    if poor:
        handles.append(Line2D([], [], color="gray", lw=1, ls=":"))
        labels.append(f"neighbouring β share < {POOR_OVERLAP:g} of their energies")
    res = f.get("results")
    if res is not None and np.isfinite(attr(res, "beta_c")):
        bc, ref = attr(res, "beta_c"), attr(res, "beta_c_reference")
        fixed = "--beta-c" in attr(res, "beta_c_estimator", "")
        handles.append(ax.axvline(bc, color="k", ls="-." if fixed else "--", lw=0.8))
        labels.append(rf"$\beta_c$ = {bc:.5f} ("
                      + ("given by --beta-c" if fixed else "analyze's estimate") + ")")
        if np.isfinite(ref) and not (fixed and abs(ref - bc) < 1e-9):
            handles.append(ax.axvline(ref, color="gray", ls=":", lw=0.8))
            labels.append(f"exact / best known {ref:.5f}")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(ylabel)
    ax.legend(handles, labels, fontsize=8)
    P.save(fig, fname)


def collapse_plot(f, P):
    res = f.get("results")
    if res is None or not np.isfinite(attr(res, "beta_c")):
        P.skip("collapse.png", "analyze determined no beta_c (no accepted crossing, no chi' "
               "peaks, no --beta-c): nothing to scale beta - beta_c by")
        return
    if not np.isfinite(attr(res, "nu")):
        why = [n for n in attr(f, "notes", "").splitlines() if "slope" in n or " nu" in n]
        P.skip("collapse.png", f"analyze determined no nu (beta_c = {attr(res, 'beta_c'):.5f}); "
               "`ceasim analyze --nu X` collapses with a known nu"
               + "".join(f"\nanalyze: {n}" for n in why))
        return
    bc, nu = attr(res, "beta_c"), attr(res, "nu")
    t = f["tasks"]
    quantities = [("binder", r"$U_4$", "collapse_binder")]
    if attr(f, "model", "") != "graph":
        quantities.append(("xi_over_L", r"$\xi/L$", "collapse_xi_over_L"))
    fig, axes = plt.subplots(1, len(quantities), figsize=(5.2 * len(quantities), 4.6),
                             squeeze=False)
    for ax, (q, lab, cg) in zip(axes[0], quantities):
        for L, idx in tasks_by_size(t):
            x = (t["beta"][idx] - bc) * L ** (1.0 / nu)
            ax.errorbar(x, t[q][idx], yerr=t[q + "_error"][idx], fmt="o", ms=3, capsize=2,
                        label=f"{size_name(f)} = {L}")
        g = f.get(f"fss/{cg}")
        s = attr(g, "S") if g is not None else np.nan
        ax.set_xlabel(rf"$(\beta-\beta_c)\,{size_name(f)}^{{1/\nu}}$")
        ax.set_ylabel(lab)
        ax.set_title(rf"$\beta_c$ = {bc:.5f}, $\nu$ = {nu:.3f}: S = {s:.2f}"
                     "\n(S: mean squared distance from the master curve in error bars; "
                     "≈ 1 collapses)", fontsize=8)
        ax.legend(fontsize=8)
    P.save(fig, "collapse.png")


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


def peaks_plot(f, P):
    pk = f.get("peaks")
    if pk is None or len(pk["L"]) < 2:
        P.skip("peaks.png", "fewer than 2 sizes: no peak scaling")
        return
    L = pk["L"][()]
    xlabel = size_name(f)
    panels = []
    for q, lab in (("susceptibility_connected", r"$\chi'_{max}$"), ("specific_heat", r"$C_{max}$")):
        y, e = pk[q + "_max"][()], pk[q + "_max_error"][()]
        ok = np.isfinite(y) & (y > 0)
        panels.append((q, lab, L[ok], y[ok], e[ok]))
    if all(len(p[2]) == 0 for p in panels):
        P.skip("peaks.png", "no size has an interior maximum of chi' or C in its reweighting "
               "range (the sweep does not cover the peaks: every beta on one side of them)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    xs = np.geomspace(L.min() * 0.9, L.max() * 1.1, 100)
    for ax, (q, lab, x, y, e) in zip(axes, panels):
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(lab)
        if len(x) == 0:
            ax.axis("off")
            ax.text(0.5, 0.5, f"{lab}: no size has an interior maximum in its\nreweighting "
                    "range (every beta on one side of the peak)",
                    ha="center", va="center", transform=ax.transAxes)
            continue
        eb = ax.errorbar(x, y, yerr=e, fmt="o", capsize=2, label=f"{lab} (reweighted)")
        size_ticks(ax, x)
        if q == "susceptibility_connected":
            ax.set_yscale("log")
            drew = False
            # Graphs: the exponent is per n (docs/analysis.md), not gamma/nu.
            pn = "p" if xlabel == "n" else r"\gamma/\nu"
            for name, form in (("gamma_over_nu_chi_max", rf"$A {xlabel}^{{{pn}}}$"),
                               ("gamma_over_nu_chi_max_corrected", rf"$A {xlabel}^{{{pn}}} + B$")):
                g = f.get(f"fss/{name}")
                if fitted(g):
                    drew = True
                    ax.plot(xs, fit_line(g, xs), lw=1, color=eb[0].get_color(),
                            ls="-" if "corrected" not in name else ":",
                            label=rf"fit {form}: ${pn}$ = "
                                  rf"{attr(g, 'p'):.4f} ± {attr(g, 'p_error'):.4f}")
            if not drew:
                ax.set_title("no fit: analyze needs 2 or more peaks inside the ranges",
                             fontsize=8)
            plain_log_y(ax)
            ax.legend(fontsize=8)
        else:
            # analyze fits no law to C_max: in 2D it grows as ln L (alpha = 0), in 3D as
            # L^(alpha/nu) with alpha/nu ~ 0.17, both hidden by the regular background
            # at these sizes. A linear axis against log L shows the ln L growth as a line.
            why = {"ising2d": "2D Ising: C_max ~ ln L (alpha = 0), a straight line on "
                              "this axis",
                   "ising3d": "3D Ising: C_max ~ L^(alpha/nu), alpha/nu = 0.17,\nhidden by "
                              "the regular background at these sizes"}
            ax.set_title("no fit: analyze fits no law to C_max\n"
                         + why.get(attr(f, "model", ""), "(only chi'_max is fitted)"),
                         fontsize=8)
            ax.legend(fontsize=8)
    P.save(fig, "peaks.png")


STATUS = {1: "no sign change", 2: "root outside the simulated β", 3: "not significant (< 2σ)",
          4: "no jackknife error"}


def crossings_plot(f, P):
    n = size_name(f)
    fig, ax = plt.subplots(figsize=(6.6, 4.8))
    drew = False
    refused, used_L = [], []
    for q, name, lab in (("xi_over_L", "beta_c_xi_crossings", "ξ/L"),
                         ("binder", "beta_c_binder_crossings", "U4")):
        c = f.get(f"crossings/{q}")
        if c is None or len(c["L1"]) == 0:
            continue
        ok = c["found"][()] == 1
        status = c["status"][()] if "status" in c else np.where(ok, 0, 1)
        for i in np.nonzero(~ok)[0]:
            refused.append(f"{lab} {size_name(f)} = {int(c['L1'][i])}/{int(c['L2'][i])}: "
                           f"{STATUS.get(int(status[i]), 'refused')}")
        if not ok.any():
            continue
        used_L.extend(c["L1"][ok])
        eb = ax.errorbar(c["L1"][ok], c["beta"][ok], yerr=c["beta_error"][ok], fmt="o",
                         capsize=2, label=f"{lab} crossings of ${n}_1$ and the next size")
        color = eb[0].get_color()
        drew = True
        g = f.get(f"fss/{name}")
        if fitted(g):
            xs = np.geomspace(c["L1"][ok].min() * 0.8, c["L1"][ok].max() * 4, 100)
            xfix = " (x fixed)" if attr(g, "x_fixed", 0) == 1 else ""
            ax.plot(xs, fit_line(g, xs), lw=1, color=color,
                    label=rf"$\beta_c + a {n}^{{-x}}$, x = {attr(g, 'x'):.2f}{xfix}: "
                          rf"$\beta_c$ = {attr(g, 'beta_c'):.5f} ± {attr(g, 'beta_c_error'):.5f}")
    if not drew:
        plt.close(fig)
        why = "no accepted crossing of U4 or xi/L"
        if refused:
            why += ":\n" + "\n".join(refused)
        P.skip("crossings.png", why)
        return
    res = f.get("results")
    if res is not None and np.isfinite(attr(res, "beta_c_reference")):
        ax.axhline(attr(res, "beta_c_reference"), color="gray", ls=":",
                   label=f"exact / best known {attr(res, 'beta_c_reference'):.5f}")
    ax.set_xscale("log")
    size_ticks(ax, used_L)
    ax.set_xlabel(f"${n}_1$ (crossing of ${n}_1$ and the next size)")
    ax.set_ylabel(r"$\beta^*$")
    ax.legend(fontsize=8)
    if refused:
        ax.set_title("refused (not plotted): " + "; ".join(refused), fontsize=8, wrap=True)
    P.save(fig, "crossings.png")


def zeta_plots(f, P):
    z = f.get("zeta_ce")
    if z is None:
        if not P.quiet:
            print("plot_sweep.py: zeta_ce.png, tau_vs_xi.png: not drawn: analyze ran "
                  "without --zeta-ce")
        return
    x, y, e = z["x"][()], z["y"][()], z["y_error"][()]
    if len(x) == 0:
        P.skip("zeta_ce.png", "no task passed the zeta_CE selection (beta < beta_c, "
               "xi_2nd <= xi-max-frac * L)")
    else:
        fig, ax = plt.subplots(figsize=(6.6, 4.8))
        Ls = z["L"][()] if "L" in z else np.zeros_like(x)
        for L in np.unique(Ls):
            sel = Ls == L
            ax.errorbar(x[sel], y[sel], yerr=e[sel], fmt="o", ms=4, capsize=2,
                        label=rf"$\xi_{{2nd}}$, L = {int(L)}" if L else r"$\xi_{2nd}$")
        if fitted(z):
            # Solid over the fitted betas, dashed where the fit extrapolates to beta_c.
            xs = np.linspace(x.min(), x.max(), 200)
            xe = np.linspace(x.max(), attr(z, "beta_c"), 200)[:-1]
            inside = "inside" if attr(z, "nu_in_ceas_range", 0) == 1 else "outside"
            ax.plot(xs, fit_line(z, xs), lw=1, color="k",
                    label=rf"$\zeta_{{CE}}$ fit: A = {attr(z, 'A'):.3f}, $\nu$ = "
                          rf"{attr(z, 'nu'):.3f} $\pm$ {attr(z, 'nu_error'):.3f} "
                          rf"({inside} [0.5, 1])")
            ax.plot(xe, fit_line(z, xe), lw=1, ls="--", color="k",
                    label="fit extrapolated beyond the fitted β")
        else:
            ax.text(0.02, 0.97, f"no zeta_CE fit: {attr(z, 'note', '') or 'fit failed'}",
                    transform=ax.transAxes, fontsize=8, va="top")
        ax.axvline(attr(z, "beta_c"), color="gray", ls=":", lw=1,
                   label=rf"$\beta_c$ = {attr(z, 'beta_c'):.5f} ({attr(z, 'beta_c_source', '')})")
        ax.set_yscale("log")
        ax.set_xlabel(r"$\beta$")
        ax.set_ylabel(r"$\xi$")
        ax.legend(fontsize=8)
        P.save(fig, "zeta_ce.png")

    zg = z.get("z")
    if zg is None or len(zg) == 0:
        P.skip("tau_vs_xi.png", "no algorithm had tasks with tau_int(|m|) and xi_2nd")
        return
    fig, ax = plt.subplots(figsize=(6.6, 4.8))
    for algo in zg:
        g = zg[algo]
        xx, yy, ee = g["x"][()], g["y"][()], g["y_error"][()]
        eb = ax.errorbar(xx, yy, yerr=ee, fmt="o", capsize=2, label=f"{algo}")
        if fitted(g):
            xs = np.geomspace(xx.min() * 0.9, xx.max() * 1.1, 100)
            ax.plot(xs, fit_line(g, xs), lw=1, color=eb[0].get_color(),
                    label=rf"{algo}: $\tau \propto \xi^z$, z = {attr(g, 'p'):.2f} ± "
                          rf"{attr(g, 'p_error'):.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_x(ax)
    plain_log_y(ax)
    ax.set_xlabel(r"$\xi_{2nd}$")
    ax.set_ylabel(r"$\tau_{int}(|m|)$ [sweeps]")
    ax.legend(fontsize=8)
    P.save(fig, "tau_vs_xi.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="sweep directory (holds analysis.h5)")
    ap.add_argument("--analysis", help="analysis file (default DIR/analysis.h5)")
    ap.add_argument("--out", help="directory for the PNGs (default DIR/plots)")
    ap.add_argument("--quiet", action="store_true",
                    help="print nothing but errors (the pages of skipped plots still say why)")
    args = ap.parse_args()
    if args.quiet:
        # matplotlib's layout advice is not an error of the data.
        warnings.filterwarnings("ignore", category=UserWarning)
    path = args.analysis or os.path.join(args.dir, "analysis.h5")
    if not os.path.exists(path):
        sys.exit(f"plot_sweep.py: {path}: missing (run `ceasim analyze {args.dir}` first)")
    out = args.out or os.path.join(args.dir, "plots")
    os.makedirs(out, exist_ok=True)
    with h5py.File(path, "r") as f:
        if attr(f, "kind", "") != "ceasim analyze":
            sys.exit(f"plot_sweep.py: {path}: not written by `ceasim analyze`")
        P = Plots(out, subtitle_of(f, args.dir), args.quiet)
        graph = attr(f, "model", "") == "graph"
        curve_plot(f, P, "binder", r"$U_4$", "binder.png", graph)
        if graph:
            # Graphs have no structure factor: no xi; chi' carries the transition.
            curve_plot(f, P, "susceptibility_connected", r"$\chi'$", "susceptibility.png", graph)
            curve_plot(f, P, "specific_heat", r"$C$", "specific_heat.png", graph)
        else:
            curve_plot(f, P, "xi_over_L", r"$\xi_{2nd}/L$", "xi_over_L.png")
        collapse_plot(f, P)
        peaks_plot(f, P)
        crossings_plot(f, P)
        zeta_plots(f, P)
    if not args.quiet:
        print("plots: " + ", ".join(P.written))


if __name__ == "__main__":
    main()
