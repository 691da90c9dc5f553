"""The figures of experiments/attention_critical.py (split out of it to keep each
file readable); every function takes the summaries that script computes and
appends the paths it writes to `written`."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save(fig, out, name, written):
    fig.tight_layout()
    p = os.path.join(out, name)
    fig.savefig(p, dpi=120)
    plt.close(fig)
    written.append(p)


def eb(ax, x, rows, key, **kw):
    y = np.array([r[key]["mean"] for r in rows])
    e = np.array([r[key]["error"] for r in rows])
    ax.errorbar(x, y, yerr=e, capsize=2, ms=4, **kw)


def plot_attention(rows, heads, out, written):
    g = [r for r in rows if r["kind"] == "gaussian"]
    if not g:
        return
    n = np.array([r["n"] for r in g])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    ax = axes[0]
    eb(ax, n, g, "peak", fmt="o", label="measured: per-query heat peak (mean)")
    eb(ax, n, g, "head_peak", fmt="s", label="measured: peak of head-mean heat")
    if "head_peak_pred" in g[0]:
        eb(ax, n, g, "head_peak_pred", fmt="--", label="exact finite-n REM (head mean)")
    for key, lab, ls in (("brem", r"REM $\beta_c=\sqrt{2\ln n}/\sigma$", "-"),
                         ("bstar0", r"$\beta^*$ at $\beta_0$", "-."),
                         ("bstarfix", r"$\beta^*$ self-consistent", ":")):
        eb(ax, n, g, key, fmt=ls, label=lab)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (tokens)")
    ax.set_ylabel(r"$\beta$ (raw-score units)")
    ax.set_title(f"(i) Gaussian heads, d_k = {heads[0]['d_k']}", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[1]
    eb(ax, n, g, "head_peak_over_brem", fmt="s", label=r"measured head-mean peak / $\beta_c$")
    eb(ax, n, g, "peak_over_brem", fmt="o", mfc="none", label=r"per-query peak / own $\beta_c$ (mean)")
    if "rem_single_peak_over_bc" in g[0]:
        # Single-query REM, exactly: where E[beta^2 Var] peaks, in units of beta_c.
        ax.plot(n, [r["rem_single_peak_over_bc"] for r in g], "k--",
                label=r"exact finite-n REM: argmax $E[\beta^2 Var]$ / $\beta_c$ (one query)")
    ax.axhline(1, color="gray", lw=0.8)
    ax.axhline(1 / math.sqrt(2), color="gray", lw=0.8, ls=":")
    ax.text(n[0], 1 / math.sqrt(2) - 0.03, r"$1/\sqrt{2}$: self-consistent $\beta^*$ as n→∞", fontsize=7)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (tokens)")
    ax.set_ylabel(r"$\beta_{peak}/\beta_c^{REM}$")
    ax.legend(fontsize=7)
    save(fig, out, "predictions_vs_n.png", written)

    # S/ln n and the heat curve against beta/beta_c (seed mean; beta_c of the head).
    for what, fname, ylab in (("H", "entropy_curves.png", r"$S/\ln n$"),
                              ("heat", "heat_curves.png", r"$\beta^2 Var_p[s]\,/\,2\ln n$")):
        fig, ax = plt.subplots(figsize=(6.8, 4.8))
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(g)))
        for c, r in zip(colors, g):
            hs = [h for h in heads if h["kind"] == "gaussian" and h["n"] == r["n"]]
            ln = math.log(r["n"])
            xs = np.linspace(0, 2, 201)
            ys, yp = [], []
            for h in hs:
                bc = float(h["brem"].mean())
                src = h["H_mean"] if what == "H" else h["heat_mean"]
                # NaN past the grid: a head with a larger beta_c does not reach x = 2.
                ys.append(np.interp(xs * bc, h["beta"], src, right=np.nan))
                if "H_pred" in h:
                    yp.append(np.interp(xs * bc, h["beta"], h["H_pred"] if what == "H" else h["heat_pred"],
                                        right=np.nan))
            ys = np.array(ys) / (ln if what == "H" else 2 * ln)
            m = ys.mean(0)
            e = ys.std(0, ddof=1) / math.sqrt(len(ys)) if len(ys) > 1 else 0 * m
            ax.plot(xs, m, color=c, lw=1.2, label=f"n = {r['n']}")
            ax.fill_between(xs, m - e, m + e, color=c, alpha=0.3, lw=0)
            if yp:
                ax.plot(xs, np.mean(yp, 0) / (ln if what == "H" else 2 * ln), color=c, lw=0.8, ls="--")
        xs = np.linspace(0, 2, 401)
        lim = np.where(xs < 1, 1 - xs ** 2, 0) if what == "H" else np.where(xs < 1, xs ** 2, 0)
        ax.plot(xs, lim, "k", lw=1.5, label="REM n→∞ (one σ)")
        ax.set_xlabel(r"$\beta/\beta_c^{REM}$  ($\beta_c$ = head mean of $\sqrt{2\ln n}/\sigma_i$)")
        ax.set_ylabel(ylab)
        ax.set_title("solid: measured (seed mean ± error); dashed: exact finite-n REM", fontsize=9)
        ax.legend(fontsize=7, ncol=2)
        save(fig, out, fname, written)


def plot_distances(att, mapped, out, written):
    """(iii): measured - predicted in error bars, against n, for both parts."""
    g = [r for r in att if r["kind"] == "gaussian"]
    if not g and not mapped:
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), squeeze=False)
    ticks = [-100, -30, -10, -3, -1, 0, 1, 3, 10, 30, 100]
    if g:
        ax = axes[0, 0]
        n = [r["n"] for r in g]
        for key, lab, m in (("brem", r"REM $\beta_c$", "o"), ("bstar0", r"$\beta^*(\beta_0)$", "s"),
                            ("bstarfix", r"$\beta^*$ self-consistent", "^")):
            ax.plot(n, [r["sigma_head_" + key] for r in g], m + "-", label=f"heat peak − {lab}")
        if "sigma_head_pred" in g[0]:
            ax.plot(n, [r["sigma_head_pred"] for r in g], "kD--", label="heat peak − exact finite-n REM")
        ax.set_title("(iii) part (i): synthetic heads", fontsize=10)
    if mapped:
        ax = axes[0, 1]
        n = [r["n"] for r in mapped]
        for key, lab, m in (("C_peak", "C peak", "s"), ("chi_peak", r"$\chi'$ peak", "o"),
                            ("U4_cross", r"$U_4$ crossing (n, 2n)", "^")):
            ax.plot(n, [r["sigma_" + key] for r in mapped], m + "-", label=f"{lab} − 1/λ_max")
        ax.set_title("(iii) part (ii): mapped couplings vs mean field", fontsize=10)
    for ax in axes[0]:
        ax.axhspan(-2, 2, color="gray", alpha=0.2, lw=0)
        ax.set_xscale("log", base=2)
        ax.set_yscale("symlog", linthresh=1)
        ax.set_yticks(ticks)
        ax.set_yticklabels([str(t) for t in ticks])
        ax.set_xlabel("n (tokens)")
        ax.set_ylabel("(measured − predicted) / error   (band: ±2)")
        ax.legend(fontsize=7)
    save(fig, out, "distance_sigma.png", written)


def plot_mapped(rows, fits, out, written, d_k, att):
    if not rows:
        return
    n = np.array([r["n"] for r in rows], float)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    ax = axes[0]
    x = n ** -0.5
    for key, lab, m, c in (("C_peak", "C peak", "s", "C0"), ("chi_peak", r"$\chi'$ peak", "o", "C1"),
                           ("U4_cross", r"$U_4$ crossing (n, 2n)", "^", "C2")):
        eb(ax, x, rows, key, fmt=m, color=c, label=lab)
        f = fits[key]["mean_field_x"]
        if f:
            xs = np.linspace(0, x.max() * 1.05, 50)
            ax.plot(xs, f["beta_inf"] + f["a"] * xs, lw=0.8, color=c,
                    label=rf"{lab}: $\beta_\infty$={f['beta_inf']:.3f}±{f['beta_inf_error']:.3f}")
    ax.axhline(1, color="k", lw=1, label=r"mean field $1/\lambda_{max}$ = 1")
    ax.set_xlabel(r"$n^{-1/2}$")
    ax.set_ylabel(r"$\beta$ (units of $1/\lambda_{max}(J)$)")
    ax.set_title(r"(ii) mapped heads, seed mean; lines: $\beta_\infty + a\,n^{-1/2}$ (fit n ≥ 4 d_k)", fontsize=10)
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.errorbar(n, [r["C_peak_attention_units"]["mean"] for r in rows],
                yerr=[r["C_peak_attention_units"]["error"] for r in rows], fmt="o", capsize=2,
                label=r"C peak / $\lambda_{max}$(raw J)")
    ax.errorbar(n, [r["inv_lambda_unscaled"]["mean"] for r in rows],
                yerr=[r["inv_lambda_unscaled"]["error"] for r in rows], fmt="-", capsize=2,
                label=r"$1/\lambda_{max}$(raw J)")
    ax.plot(n, 2 / (np.sqrt(n) + math.sqrt(d_k)) ** 2, "k:", label=r"$2/(\sqrt{n}+\sqrt{d_k})^2$ (large-n estimate)")
    # For scale: the softmax of one query freezes near the REM beta_c, and the textbook
    # temperature is beta_0; the token Ising system orders at beta ~ 2/n, far below both.
    g = [r for r in att if r["kind"] == "gaussian"]
    if g:
        ax.plot([r["n"] for r in g], [r["brem"]["mean"] for r in g], "r--", lw=0.8,
                label=r"REM $\beta_c$ of one query (part i)")
    ax.axhline(1 / math.sqrt(d_k), color="gray", ls=":", lw=0.8, label=r"$\beta_0 = 1/\sqrt{d_k}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n (tokens)")
    ax.set_ylabel(r"$\beta$ (raw-score units)")
    ax.legend(fontsize=7)
    save(fig, out, "mapped_vs_n.png", written)


def plot_controller(runs, out, written):
    if not runs:
        return
    presets = [p for p in ("9k", "14m", "gpt") if any(r["preset"] == p for r in runs)]
    fig, axes = plt.subplots(2, len(presets), figsize=(4.2 * len(presets), 6.4), squeeze=False)
    ns = sorted({r["n"] for r in runs})
    colors = dict(zip(ns, plt.cm.viridis(np.linspace(0, 0.85, len(ns)))))
    for j, p in enumerate(presets):
        for r in (r for r in runs if r["preset"] == p):
            t = np.arange(r["beta_t"].size)
            lab = f"n={r['n']} s={r['seed']}"
            # The unstable phase is a (near) 2-cycle: even and odd steps drawn as two
            # lines show both branches instead of a solid band.
            for par in (0, 1):
                tt = t[par::2]
                axes[0, j].plot(tt, r["beta_t"][par::2], color=colors[r["n"]], lw=0.7,
                                label=lab if par == 0 else None)
                axes[1, j].plot(tt, (r["H_t"] - r["H_target"])[par::2], color=colors[r["n"]],
                                lw=0.7, label=lab if par == 0 else None)
            if r["corridor_step"] >= 0:
                axes[1, j].axvline(r["corridor_step"], color=colors[r["n"]], lw=0.6, ls=":")
        kb = next(r for r in runs if r["preset"] == p)["kappa_below_2_from"]
        for i in (0, 1):
            axes[i, j].axvline(kb, color="r", lw=0.8, ls="--")
        axes[1, j].axhspan(-0.05, 0.05, color="gray", alpha=0.3, lw=0)
        axes[0, j].set_title(f"preset {p} (red: κ(t) < 2 from here)", fontsize=9)
        axes[0, j].set_ylabel(r"$\beta(t)$")
        axes[1, j].set_ylabel(r"$H(t) - H_{target}$ (nats)")
        axes[1, j].set_xlabel("step t")
        axes[1, j].set_ylim(-3, 3)
        axes[0, j].legend(fontsize=6)
    save(fig, out, "controller.png", written)


