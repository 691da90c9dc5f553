#!/usr/bin/python3
"""attention_critical: the CEAS formulas against measurement (run with /usr/bin/python3).

Reads what experiments/attention_critical.sh wrote to OUT and writes to OUT:

  table.md            markdown tables (i) synthetic heads, (ii) mapped couplings,
                      (iv) controller, ready to paste into README.md
  results.json        every number below, with its error and how it was combined
  attention.csv, mapped.csv, controller.csv   the table rows, one per (n) / run
  predictions_vs_n.png  (i) heat peaks, REM beta_c, beta*, exact finite-n REM vs n
  distance_sigma.png    (iii) measurement - prediction in error bars vs n
  entropy_curves.png    S/ln n vs beta/beta_c: measured, REM limit, exact finite n
  heat_curves.png       head-mean beta^2 Var vs beta/beta_c, measured and exact
  mapped_vs_n.png       (ii) chi'/C peaks, U4 crossings vs n^(-1/2), 1/lambda_max
  controller.png        (iv) beta(t) and H(t) - H_target per preset

Inputs: OUT/attention/<kind>_n<n>_s<seed>.h5 (`ceasim attention`, docs/mapping.md),
OUT/maps/n<n>_s<seed>.h5 (`ceasim map`), OUT/mc/seed<s>/analysis.h5 (`ceasim
analyze`, docs/analysis.md), OUT/controller/<preset>_n<n>_s<seed>.h5.

Theory used (shared/CEAS.md, shared/REFERENCES.md):

* Given q, the scores q.k_j of a Gaussian head are n i.i.d. N(0, |q|^2): one query is
  exactly Derrida's random energy model (REM) with sigma = |q|. For n -> infinity,
  S/ln n -> 1 - (beta/beta_c)^2 below beta_c = sqrt(2 ln n)/sigma and 0 above, and
  beta^2 Var = beta^2 sigma^2 up to beta_c, O(1) above: the heat peak tends to beta_c.
* At finite n the expectations are computed here *exactly* (no sampling), from
  1/Z = int_0^inf e^{-tZ} dt and 1/Z^2 = int_0^inf t e^{-tZ} dt, which turn the
  averages over n i.i.d. scores into one-dimensional integrals of
  psi(t) = E[exp(-t e^{b x})], b = beta sigma, x ~ N(0, 1):
    E ln Z         = int (e^{-t} - psi^n) dt/t
    E <x>          = n int E[x w e^{-tw}] psi^{n-1} dt                (w = e^{bx})
    E <x^2>        = n int E[x^2 w e^{-tw}] psi^{n-1} dt
    E <x>^2        = int t (n E[x^2 w^2 e^{-tw}] psi^{n-1}
                            + n(n-1) E[x w e^{-tw}]^2 psi^{n-2}) dt
  E H = E ln Z - b E<x>, E C = b^2 (E<x^2> - E<x>^2). The head-mean prediction is
  the mean over the head's queries of these at b = beta |q_i|. The top score sits
  at x ~ sqrt(2 ln n) - ln(4 pi ln n)/(2 sqrt(2 ln n)), below the REM edge by a
  relative O(ln ln n / ln n), and the heat peak lies further below it: argmax E[C]
  is 0.73-0.90 beta_c for n = 16..2^20 and only 0.81 beta_c at n = 2^80, so the REM
  limit is approached logarithmically slowly (table.md lists the computed values).
* Mapped couplings (J/lambda_max): the paramagnet of m_i = tanh(beta sum_j J_ij m_j)
  is unstable at beta lambda_max = 1, so the mean-field beta_c = 1 for every n; in
  mean field the pseudo-critical points move as n^(-1/2) (nu_n = 2).
"""
import argparse
import csv
import glob
import json
import math
import os
import re

import h5py
import numpy as np
from scipy.optimize import curve_fit

from attention_critical_plots import (plot_attention, plot_controller, plot_distances,
                                      plot_mapped)


def attr(obj, name, default=np.nan):
    v = obj.attrs.get(name, default)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.generic):
        v = v.item()
    return v


def finite(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def jsonable(x):
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# ---------------------------------------------------------------- statistics ----

def combine(values, within=None):
    """Mean over seeds and its error.

    Each seed is a different head, so the seed-to-seed spread contains everything
    (queries, the shared keys, the disorder of the head): sd/sqrt(S) estimates the
    error of the mean. The within-head errors (sd/sqrt(n) over queries, or the
    jackknife error of an MC estimate) miss the head-to-head part and are a lower
    bound; with few seeds the sd is itself uncertain (~1/sqrt(2(S-1)) relative), so
    the error used is max(between, within).
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    s = v.size
    out = {"mean": float(v.mean()) if s else np.nan, "n_seeds": int(s),
           "between": np.nan, "within": np.nan}
    if s >= 2:
        out["between"] = float(v.std(ddof=1) / math.sqrt(s))
    if within is not None:
        w = np.asarray(within, float)
        w = w[np.isfinite(np.asarray(values, float))]
        if w.size and np.all(np.isfinite(w)):
            out["within"] = float(math.sqrt(np.sum(w ** 2)) / w.size)
    errs = [e for e in (out["between"], out["within"]) if math.isfinite(e)]
    out["error"] = max(errs) if errs else np.nan
    if math.isfinite(out["between"]) and math.isfinite(out["within"]) and out["within"] > 0:
        out["between_over_within"] = out["between"] / out["within"]
    else:
        out["between_over_within"] = np.nan
    return out


def sigmas(diff, err):
    return diff / err if err > 0 and math.isfinite(err) else np.nan


def fmt(m, e, digits=None):
    """m ± e with the error to 2 significant digits."""
    if not math.isfinite(m):
        return "–"
    if not math.isfinite(e) or e <= 0:
        return f"{m:.4f}"
    d = digits if digits is not None else max(0, 1 - int(math.floor(math.log10(e))))
    return f"{m:.{d}f} ± {e:.{d}f}"


def fsig(x):
    return "–" if not math.isfinite(x) else f"{x:+.1f}"


# ------------------------------------------------------- exact finite-n REM ----

def rem_exact(ns, bs, dx=0.02, du=0.1, xmax=15.0):
    """E[H] and E[beta^2 Var] for n i.i.d. N(0, 1) scores at b = beta sigma, exactly.

    Integrals over x ~ N(0, 1) by the trapezoid rule on [-xmax, xmax] and over
    u = ln t on a uniform grid: the integrands are smooth on scales 1/b in x and
    O(1) in u, and halving dx and du changes the results by < 1e-8 (checked for
    n = 16..4096, b <= 13; the formula was checked against direct sampling of 10^6
    sets of n = 16 scores, agreement within 2 standard errors).
    Returns arrays [len(ns), len(bs)].
    """
    x = np.arange(-xmax, xmax + dx / 2, dx)
    wx = np.full(x.size, dx)
    wx[0] = wx[-1] = dx / 2
    phi = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) * wx
    ns = np.asarray(ns, float)
    H = np.zeros((ns.size, len(bs)))
    C = np.zeros_like(H)
    for k, b in enumerate(bs):
        if b == 0:
            H[:, k] = np.log(ns)
            continue
        u = np.arange(-(b * xmax + math.log(ns.max()) + 10), 10.0, du)
        t = np.exp(u)
        y = np.exp(np.minimum(u[:, None] + b * x[None, :], 700.0))  # t w
        e = np.exp(-y)
        one_minus_psi = (-np.expm1(-y)) @ phi
        with np.errstate(divide="ignore"):
            lpsi = np.log1p(-np.minimum(one_minus_psi, 1.0))
        ye = y * e
        A1 = ye @ (phi * x)            # t E[x w e^{-tw}]
        A2 = ye @ (phi * x * x)        # t E[x^2 w e^{-tw}]
        B2 = (y * ye) @ (phi * x * x)  # t^2 E[x^2 w^2 e^{-tw}]
        for i, n in enumerate(ns):
            with np.errstate(invalid="ignore"):
                pn = np.exp(n * lpsi)
                pn1 = np.exp((n - 1) * lpsi)
                pn2 = np.exp((n - 2) * lpsi)
            elnz = np.sum(np.exp(-t) - pn) * du
            m1 = n * np.sum(A1 * pn1) * du
            m2 = n * np.sum(A2 * pn1) * du
            sq = np.sum(n * B2 * pn1 + n * (n - 1) * A1 * A1 * pn2) * du
            H[i, k] = elnz - b * m1
            C[i, k] = b * b * (m2 - sq)
    return H, C


def parabola_peak(x, y):
    """Grid argmax refined by the parabola through it and its neighbours."""
    i = int(np.argmax(y))
    if i == 0 or i == len(y) - 1:
        return float(x[i])
    x0, x1, x2 = x[i - 1:i + 2]
    y0, y1, y2 = y[i - 1:i + 2]
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
    bq = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
    return float(-bq / (2 * a)) if a < 0 else float(x1)


# ------------------------------------------------------------- part (i) ----

def load_attention(out):
    heads = []
    for path in sorted(glob.glob(os.path.join(out, "attention", "*.h5"))):
        with h5py.File(path, "r") as f:
            n = int(attr(f, "n_tokens"))
            h = {"file": os.path.relpath(path, out), "kind": attr(f, "synthetic_kind"),
                 "n": n, "seed": int(attr(f, "seed")), "d_k": int(attr(f, "d_k")),
                 "beta": f["beta"][()], "H_mean": f["H_mean"][()], "H_err": f["H_err"][()],
                 "heat_mean": f["heat_mean"][()], "heat_err": f["heat_err"][()],
                 "peak": f["query/peak_beta"][()], "sigma": f["query/sigma_qk"][()],
                 "bstar0": f["query/beta_star_at_beta0"][()],
                 "bstarfix": f["query/beta_star_fixed"][()],
                 "qnorm": np.linalg.norm(f["head/Q"][()], axis=1),
                 "heat_peak_of_mean": attr(f, "heat_peak_of_mean"),
                 "beta0": attr(f, "beta0")}
        h["brem"] = math.sqrt(2 * math.log(n)) / h["sigma"]
        heads.append(h)
    return heads


def per_head_stats(h):
    """Within-head means and errors (sd/sqrt(n) over queries), paired differences."""
    n = h["n"]
    st = {}
    for name, arr in (("peak", h["peak"]), ("brem", h["brem"]), ("bstar0", h["bstar0"]),
                      ("bstarfix", h["bstarfix"]), ("sigma", h["sigma"]),
                      ("peak_over_brem", h["peak"] / h["brem"])):
        st[name] = (float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(n)))
    # Paired per query: the prediction and the peak of one query share its sigma.
    for pred in ("brem", "bstar0", "bstarfix"):
        d = h["peak"] - h[pred]
        st["d_" + pred] = (float(d.mean()), float(d.std(ddof=1) / math.sqrt(n)))
    return st


def rem_predictions(heads):
    """Exact finite-n REM curves for each Gaussian head (head mean over its queries)."""
    gauss = [h for h in heads if h["kind"] == "gaussian"]
    if not gauss:
        return {}
    ns = sorted({h["n"] for h in gauss})
    # Far beyond any head: how slowly the single-query peak approaches beta_c.
    ns_far = [n for n in (2 ** 16, 2 ** 20, 2 ** 40, 2 ** 80) if n > max(ns)]
    ns = ns + ns_far
    bmax = max(h["beta"].max() * h["qnorm"].max() for h in gauss) * 1.01
    bs = np.arange(0.0, bmax + 0.04, 0.04)
    H, C = rem_exact(ns, bs)
    curves = {}
    for h in gauss:
        i = ns.index(h["n"])
        b = h["beta"][:, None] * h["qnorm"][None, :]
        Hp = np.interp(b, bs, H[i]).mean(axis=1)
        Cp = np.interp(b, bs, C[i]).mean(axis=1)
        h["H_pred"], h["heat_pred"] = Hp, Cp
        h["heat_peak_pred"] = parabola_peak(h["beta"], Cp)
    # The single-query curve in units of b = beta sigma, for the shift of the peak.
    for i, n in enumerate(ns):
        a = math.sqrt(2 * math.log(n))
        curves[n] = {"b_peak": parabola_peak(bs, C[i]), "b_c": a,
                     "S_over_lnn_at_bc": float(np.interp(a, bs, H[i]) / math.log(n)),
                     "C_max_over_2lnn": float(C[i].max() / (2 * math.log(n)))}
        curves[n]["peak_over_bc"] = curves[n]["b_peak"] / a
        # The self-consistent address of the expected entropy, b = sqrt(2 E[H](b)):
        # b^2 - 2H rises strictly, so the first sign change is the root.
        g = bs ** 2 - 2 * H[i]
        j = int(np.argmax(g > 0))
        curves[n]["b_star_fixed"] = float(bs[j - 1] - g[j - 1] * (bs[j] - bs[j - 1]) / (g[j] - g[j - 1]))
        curves[n]["star_fixed_over_bc"] = curves[n]["b_star_fixed"] / a
        curves[n]["beyond_heads"] = n in ns_far
    return curves


def summarize_attention(heads):
    rows = []
    for kind in sorted({h["kind"] for h in heads}):
        for n in sorted({h["n"] for h in heads if h["kind"] == kind}):
            hs = sorted((h for h in heads if h["kind"] == kind and h["n"] == n),
                        key=lambda h: h["seed"])
            sts = [per_head_stats(h) for h in hs]
            r = {"kind": kind, "n": n, "seeds": [h["seed"] for h in hs]}
            for q in ("peak", "brem", "bstar0", "bstarfix", "sigma", "peak_over_brem",
                      "d_brem", "d_bstar0", "d_bstarfix"):
                r[q] = combine([s[q][0] for s in sts], [s[q][1] for s in sts])
            for pred in ("brem", "bstar0", "bstarfix"):
                r["sigma_" + pred] = sigmas(r["d_" + pred]["mean"], r["d_" + pred]["error"])
            # Per-query argmax statistics that do not hinge on the tail: for a query whose
            # top two scores are close, beta^2 Var has a second (two-level, Schottky)
            # maximum at beta ~ 2.4/gap, which can be the global one and sit anywhere up
            # to the end of the grid, so the mean of the per-query peaks depends on the grid.
            r["peak_median"] = combine([float(np.median(h["peak"])) for h in hs])
            r["peak_frac_at_grid_end"] = float(np.mean(np.concatenate(
                [h["peak"] >= h["beta"][-1] * (1 - 1e-9) for h in hs])))
            r["head_peak"] = combine([h["heat_peak_of_mean"] for h in hs])
            # The head-mean heat peak against each prediction, paired per seed (the
            # prediction of a head is the mean over its queries).
            for pred in ("brem", "bstar0", "bstarfix"):
                d = [h["heat_peak_of_mean"] - float(h[pred].mean()) for h in hs]
                r["dh_" + pred] = combine(d)
                r["sigma_head_" + pred] = sigmas(r["dh_" + pred]["mean"], r["dh_" + pred]["error"])
                r["head_peak_over_" + pred] = combine([h["heat_peak_of_mean"] / float(h[pred].mean())
                                                       for h in hs])
            if kind == "gaussian" and "heat_peak_pred" in hs[0]:
                r["head_peak_pred"] = combine([h["heat_peak_pred"] for h in hs])
                r["d_head_pred"] = combine([h["heat_peak_of_mean"] - h["heat_peak_pred"]
                                            for h in hs])
                r["sigma_head_pred"] = sigmas(r["d_head_pred"]["mean"], r["d_head_pred"]["error"])
                # S/ln n at the head's own beta_c (mean of the per-query ones).
                s_at, s_pred = [], []
                for h in hs:
                    bc = float(h["brem"].mean())
                    s_at.append(np.interp(bc, h["beta"], h["H_mean"]) / math.log(n))
                    s_pred.append(np.interp(bc, h["beta"], h["H_pred"]) / math.log(n))
                r["S_over_lnn_at_bc"] = combine(s_at)
                r["S_over_lnn_at_bc_pred"] = combine(s_pred)
                r["d_S"] = combine(np.array(s_at) - np.array(s_pred))
                r["sigma_S"] = sigmas(r["d_S"]["mean"], r["d_S"]["error"])
            rows.append(r)
    return rows


# ------------------------------------------------------------ part (ii) ----

def load_maps(out):
    maps = {}
    for path in sorted(glob.glob(os.path.join(out, "maps", "*.h5"))):
        with h5py.File(path, "r") as f:
            n, s = int(attr(f, "n_spins")), int(attr(f, "seed"))
            maps[(n, s)] = {"lambda_max_unscaled": attr(f, "lambda_max_unscaled"),
                            "lambda_2": attr(f, "lambda_2"), "lambda_max": attr(f, "lambda_max"),
                            "gauge": attr(f, "gauge", "")}
    return maps


def fit_group(g):
    if g is None or attr(g, "ok", 0) != 1:
        return None
    names = [p for p in attr(g, "parameter_names", "").split(",") if p]
    return {p: (attr(g, p), attr(g, p + "_error"), int(attr(g, p + "_fixed", 0))) for p in names} | {
        "chi2_per_dof": attr(g, "chi2_per_dof"), "n_points": int(attr(g, "n_points"))}


def load_mc(out):
    seeds = {}
    for path in sorted(glob.glob(os.path.join(out, "mc", "seed*", "analysis.h5"))):
        s = int(re.search(r"seed(\d+)", path).group(1))
        with h5py.File(path, "r") as f:
            pk = f["peaks"]
            d = {"n": pk["L"][()].astype(int)}
            for q in ("susceptibility_connected", "specific_heat"):
                d[q] = pk[q + "_peak_beta"][()]
                d[q + "_error"] = pk[q + "_peak_beta_error"][()]
                d[q + "_max"] = pk[q + "_max"][()]
                d[q + "_max_error"] = pk[q + "_max_error"][()]
            c = f["crossings/binder"]
            d["cross_n1"] = c["L1"][()].astype(int)
            d["cross_n2"] = c["L2"][()].astype(int)
            d["cross"] = np.where(c["found"][()] == 1, c["beta"][()], np.nan)
            d["cross_error"] = np.where(c["found"][()] == 1, c["beta_error"][()], np.nan)
            d["fits"] = {k: fit_group(f.get(f"fss/{k}")) for k in
                         ("beta_c_chi_peaks", "beta_c_chi_peaks_corrected",
                          "beta_c_binder_crossings", "gamma_over_nu_chi_max")}
            t = f["tasks"]
            d["tau_max"] = {}
            for n in np.unique(t["L"][()]):
                sel = t["L"][()] == n
                tau = t["tau_int_abs_magnetization"][()] * t["measure_every"][()]  # in sweeps
                d["tau_max"][int(n)] = float(np.nanmax(tau[sel]))
            d["notes"] = attr(f, "notes", "")
        seeds[s] = d
    return seeds


def mf_fit(ns, y, e, x_free):
    """beta(n) = beta_inf + a n^(-x), x = 1/2 (mean field) or free; weighted."""
    ns, y, e = map(np.asarray, (ns, y, e))
    ok = np.isfinite(y) & np.isfinite(e) & (e > 0)
    ns, y, e = ns[ok].astype(float), y[ok], e[ok]
    if ns.size < (4 if x_free else 3):
        return None
    try:
        if x_free:
            f = lambda n, b, a, x: b + a * n ** (-x)  # noqa: E731
            p, cov = curve_fit(f, ns, y, p0=[1.0, 3.0, 0.5], sigma=e, absolute_sigma=True,
                               maxfev=20000)
        else:
            f = lambda n, b, a: b + a * n ** -0.5  # noqa: E731
            p, cov = curve_fit(f, ns, y, p0=[1.0, 3.0], sigma=e, absolute_sigma=True)
    except (RuntimeError, ValueError):
        return None
    chi2 = float(np.sum(((y - f(ns, *p)) / e) ** 2))
    dof = ns.size - len(p)
    scale = max(1.0, math.sqrt(chi2 / dof)) if dof > 0 else 1.0
    err = np.sqrt(np.diag(cov)) * scale
    r = {"beta_inf": float(p[0]), "beta_inf_error": float(err[0]), "a": float(p[1]),
         "a_error": float(err[1]), "x": float(p[2]) if x_free else 0.5,
         "x_error": float(err[2]) if x_free else 0.0, "chi2_per_dof": chi2 / dof if dof else np.nan,
         "error_scale": scale, "n_min": int(ns.min()), "n_max": int(ns.max())}
    r["sigma_from_1"] = sigmas(r["beta_inf"] - 1.0, r["beta_inf_error"])
    return r


def degenerate(maps, n, s):
    """True when the top two modes of J are split by less than the critical window.

    With --gauge top, m is the overlap with the top mode only. When lambda_2 lies within
    the mean-field finite-size window of lambda_max, (1 - lambda_2/lambda_max) sqrt(n) < 1,
    both modes go critical together and |m| switches between ordered (mode 1) and
    small (mode 2) states: chi' and U4 of m then keep growing to large beta instead of
    marking the transition (`ceasim map` warns about such heads). The energy, and so
    C, does not care which mode orders.
    """
    m = maps.get((n, s))
    return m is not None and (1.0 - m["lambda_2"] / m["lambda_max"]) * math.sqrt(n) < 1.0


def summarize_mc(mc, maps, n_min_fit):
    seeds = sorted(mc)
    ns = sorted({int(n) for s in seeds for n in mc[s]["n"]})
    rows = []

    def at(s, key, n, col="n"):
        i = np.nonzero(mc[s][col] == n)[0]
        if not i.size:
            return np.nan, np.nan
        return mc[s][key][i[0]], mc[s][key + "_error"][i[0]]

    for n in ns:
        r = {"n": n, "seeds": seeds,
             "degenerate_seeds": [s for s in seeds if degenerate(maps, n, s)]}
        ok = [s for s in seeds if s not in r["degenerate_seeds"]]
        for q, key, use in (("C_peak", "specific_heat", seeds), ("C_max", "specific_heat_max", seeds),
                            ("chi_peak", "susceptibility_connected", ok),
                            ("chi_max", "susceptibility_connected_max", ok),
                            ("chi_peak_all", "susceptibility_connected", seeds)):
            v, e = zip(*[at(s, key, n) for s in use]) if use else ((), ())
            r[q] = combine(v, e)
        # A crossing needs both heads of the pair (n, 2n) to be non-degenerate.
        n2 = [int(mc[s]["cross_n2"][np.nonzero(mc[s]["cross_n1"] == n)[0][0]])
              for s in seeds if np.any(mc[s]["cross_n1"] == n)]
        r["cross_n2"] = n2[0] if n2 else None
        use = [s for s in ok if r["cross_n2"] and not degenerate(maps, r["cross_n2"], s)]
        v, e = zip(*[at(s, "cross", n, "cross_n1") for s in use]) if use else ((), ())
        r["U4_cross"] = combine(v, e)
        r["U4_cross_seeds"] = use
        lam = [maps[(n, s)]["lambda_max_unscaled"] for s in seeds if (n, s) in maps]
        lam2 = [maps[(n, s)]["lambda_2"] / maps[(n, s)]["lambda_max"] for s in seeds if (n, s) in maps]
        r["inv_lambda_unscaled"] = combine(1.0 / np.asarray(lam, float))
        r["lambda_2_over_max"] = combine(lam2)
        r["tau_int_max"] = combine([mc[s]["tau_max"].get(n, np.nan) for s in seeds])
        for q in ("chi_peak", "C_peak", "U4_cross"):
            r["sigma_" + q] = sigmas(r[q]["mean"] - 1.0, r[q]["error"])
        # The C peak in attention units (beta multiplying the raw scores).
        r["C_peak_attention_units"] = combine(
            [at(s, "specific_heat", n)[0] / maps[(n, s)]["lambda_max_unscaled"]
             for s in seeds if (n, s) in maps])
        rows.append(r)
    fits = {}
    # For n <= 2 d_k the mapped J has full rank; the low-rank (Hopfield-like) mean-field
    # picture, and its n^(-1/2) shift, can only hold well above that.
    fit_rows = [r for r in rows if r["n"] >= n_min_fit]
    for q in ("chi_peak", "C_peak", "U4_cross"):
        x = [r["n"] for r in fit_rows]
        y = [r[q]["mean"] for r in fit_rows]
        e = [r[q]["error"] for r in fit_rows]
        fits[q] = {"mean_field_x": mf_fit(x, y, e, False), "free_x": mf_fit(x, y, e, True)}
    per_seed = {}
    for name in ("beta_c_chi_peaks", "beta_c_binder_crossings"):
        vals = [mc[s]["fits"][name]["beta_c"][0] if mc[s]["fits"][name] else np.nan for s in seeds]
        errs = [mc[s]["fits"][name]["beta_c"][1] if mc[s]["fits"][name] else np.nan for s in seeds]
        per_seed[name] = {"per_seed": vals, "per_seed_error": errs, "combined": combine(vals, errs)}
        c = per_seed[name]["combined"]
        c["sigma_from_1"] = sigmas(c["mean"] - 1.0, c["error"])
    gam = [mc[s]["fits"]["gamma_over_nu_chi_max"]["p"][0]
           if mc[s]["fits"]["gamma_over_nu_chi_max"] else np.nan for s in seeds]
    return rows, fits, per_seed, combine(gam)


# ------------------------------------------------------------ part (iv) ----

def load_controller(out):
    runs = []
    for path in sorted(glob.glob(os.path.join(out, "controller", "*.h5"))):
        with h5py.File(path, "r") as f:
            c = f["controller"]
            r = {k: attr(c, k) for k in ("preset", "kappa_max", "kappa_inf", "tau_kappa",
                                        "dbeta_max", "u_min", "beta_c", "H_target", "steps",
                                        "corridor_step", "n_clipped", "n_margin", "n_guard",
                                        "tol")}
            r.update(n=int(attr(f, "n_tokens")), seed=int(attr(f, "seed")),
                     file=os.path.relpath(path, out))
            r["beta_t"], r["H_t"] = c["beta"][()], c["H"][()]
            r["beta_end"] = float(r["beta_t"][-1])
            # Newton with gain kappa maps an error e -> (1 - kappa) e near the root: stable
            # only once kappa(t) = kappa_max e^{-t/tau} + kappa_inf < 2.
            r["kappa_below_2_from"] = (int(math.ceil(r["tau_kappa"] * math.log(
                r["kappa_max"] / (2 - r["kappa_inf"])))) if r["kappa_inf"] < 2 else -1)
        runs.append(r)
    return runs


# ----------------------------------------------------------------- table ----

def table_md(att, rem, mapped, fits, per_seed, gam, ctrl, timing, info):
    L = []
    L.append("### CEAS formulas against measurement (`experiments/attention_critical.sh`)\n")
    L.append(info + "\n")
    g = [r for r in att if r["kind"] == "gaussian"]
    if g:
        L.append("**(i) Synthetic Gaussian heads: where β² Var_p[s] peaks, against REM β_c and β\\*.** "
                 "β in raw-score units (textbook softmax β₀ = 1/√d_k). Predictions are head means of "
                 "the per-query values; \"exact finite-n REM\" is the expectation of the head-mean "
                 "β² Var for the head's own |q_i| (no free parameter). Measured: the peak of the "
                 "head-mean β² Var. ± is the error of the mean over seeds (sd/√S; for per-query "
                 "quantities the max of that and the within-head error). σ = (measured − predicted)/error, "
                 "paired per seed.\n")
        L.append("| n | REM β_c | β\\*(β₀) | β\\* self-cons. | exact finite-n REM | heat peak (measured) "
                 "| peak/β_c | σ vs β_c | σ vs β\\*(β₀) | σ vs β\\* s.c. | σ vs exact |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in g:
            hp = r.get("head_peak_pred", {"mean": np.nan, "error": np.nan})
            L.append(f"| {r['n']} | {fmt(r['brem']['mean'], r['brem']['error'])} "
                     f"| {fmt(r['bstar0']['mean'], r['bstar0']['error'])} "
                     f"| {fmt(r['bstarfix']['mean'], r['bstarfix']['error'])} "
                     f"| {fmt(hp['mean'], hp['error'])} "
                     f"| {fmt(r['head_peak']['mean'], r['head_peak']['error'])} "
                     f"| {fmt(r['head_peak_over_brem']['mean'], r['head_peak_over_brem']['error'])} "
                     f"| {fsig(r['sigma_head_brem'])} | {fsig(r['sigma_head_bstar0'])} "
                     f"| {fsig(r['sigma_head_bstarfix'])} | {fsig(r.get('sigma_head_pred', np.nan))} |")
        L.append("")
        L.append("Per-query argmax of β² Var (what `ceasim attention` prints as \"per-query peak\"): "
                 "its mean is pulled up by queries whose two top scores nearly tie (a two-level "
                 "maximum at β ≈ 2.4/gap, up to the grid end), so it is reported but not used above.\n")
        L.append("| n | per-query peak, mean | median | at grid end | mean/β_c | σ vs β_c (paired per query) "
                 "| seed-to-seed / within-head error |")
        L.append("|---|---|---|---|---|---|---|")
        for r in g:
            L.append(f"| {r['n']} | {fmt(r['peak']['mean'], r['peak']['error'])} "
                     f"| {fmt(r['peak_median']['mean'], r['peak_median']['error'])} "
                     f"| {100 * r['peak_frac_at_grid_end']:.1f} % "
                     f"| {fmt(r['peak_over_brem']['mean'], r['peak_over_brem']['error'])} "
                     f"| {fsig(r['sigma_brem'])} | {r['peak']['between_over_within']:.2f} |")
        L.append("")
        L.append("Exact finite-n REM, one query (b = βσ): argmax E[β² Var]/β_c = " + ", ".join(
            f"{r['rem_single']['peak_over_bc']:.3f} (n={r['n']})" for r in g if "rem_single" in r)
            + "; further out " + ", ".join(f"{v['peak_over_bc']:.3f} (n=2^{round(math.log2(k))})"
                                         for k, v in rem.items() if v["beyond_heads"])
            + ": the n→∞ limit 1 is approached only logarithmically. The self-consistent β\\* of the "
            "same expected entropy, in units of β_c: " + ", ".join(
                f"{v['star_fixed_over_bc']:.3f} (n={k if not v['beyond_heads'] else '2^%d' % round(math.log2(k))})"
                for k, v in rem.items()) + " (n→∞: 1/√2 = 0.707).\n")
        L.append("S/ln n at β = β_c (REM n→∞: 0): " + ", ".join(
            f"n={r['n']}: {fmt(r['S_over_lnn_at_bc']['mean'], r['S_over_lnn_at_bc']['error'], 3)}"
            f" (exact {r['S_over_lnn_at_bc_pred']['mean']:.3f}, {fsig(r['sigma_S'])}σ)"
            for r in g if "S_over_lnn_at_bc" in r) + ".\n")
    for kind in sorted({r["kind"] for r in att} - {"gaussian"}):
        L.append(f"*{kind} heads:* " + "; ".join(
            f"n={r['n']}: peak {fmt(r['peak']['mean'], r['peak']['error'])}, REM β_c "
            f"{fmt(r['brem']['mean'], r['brem']['error'])} ({fsig(r['sigma_brem'])}σ)"
            for r in att if r["kind"] == kind) + ".\n")
    if mapped:
        L.append("**(ii) Mapped couplings** (`ceasim map --normalize lambda_max --gauge top`, Metropolis, "
                 "multi-histogram reweighting, jackknife errors; ± over seeds as above). β in units of "
                 "1/λ_max(J): the mean-field prediction is 1 for every n. σ = (measured − 1)/error. "
                 "Attention units: β/λ_max(raw J). χ′ and U4 are those of the overlap with the top mode; "
                 "heads whose two top modes are closer than the critical window, "
                 "(1 − λ₂/λ_max)√n < 1, are left out of those columns (both modes order there, and "
                 "χ′ of one overlap keeps growing to large β); C uses every head.\n")
        L.append("| n | 1/λ_max (raw J) | λ₂/λ_max | C peak β | σ | χ′ peak β | σ | U4 crossing (n, 2n) | σ "
                 "| heads in χ′ / U4 | C peak (attention units) | max τ_int(\\|m\\|) (sweeps) |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in mapped:
            L.append(f"| {r['n']} | {r['inv_lambda_unscaled']['mean']:.4g} "
                     f"| {r['lambda_2_over_max']['mean']:.3f} "
                     f"| {fmt(r['C_peak']['mean'], r['C_peak']['error'])} | {fsig(r['sigma_C_peak'])} "
                     f"| {fmt(r['chi_peak']['mean'], r['chi_peak']['error'])} | {fsig(r['sigma_chi_peak'])} "
                     f"| {fmt(r['U4_cross']['mean'], r['U4_cross']['error'])} | {fsig(r['sigma_U4_cross'])} "
                     f"| {r['chi_peak']['n_seeds']}/{len(r['seeds'])}, {r['U4_cross']['n_seeds']}/{len(r['seeds'])} "
                     f"| {fmt(r['C_peak_attention_units']['mean'], r['C_peak_attention_units']['error'])} "
                     f"| {r['tau_int_max']['mean']:.0f} |")
        L.append("")
        L.append("Extrapolation n → ∞ (weighted fits to the seed means for n ≥ 4 d_k, where J is far "
                 "from full rank, β(n) = β∞ + a n^−x; errors scaled by √(χ²/dof) when > 1):\n")
        L.append("| quantity | x = 1/2 (mean field): β∞ | a | χ²/dof | σ from 1 | x free: β∞ | x | σ from 1 |")
        L.append("|---|---|---|---|---|---|---|---|")
        for q, lab in (("C_peak", "C peak"), ("chi_peak", "χ′ peak"), ("U4_cross", "U4 crossing")):
            a, b = fits[q]["mean_field_x"], fits[q]["free_x"]
            # A free exponent the points cannot pin down (error > value) says nothing.
            if b and not (b["x_error"] < abs(b["x"])):
                b = None
            L.append(f"| {lab} | {fmt(a['beta_inf'], a['beta_inf_error']) if a else '–'} "
                     f"| {fmt(a['a'], a['a_error']) if a else '–'} | {format(a['chi2_per_dof'], '.2f') if a else '–'} "
                     f"| {fsig(a['sigma_from_1']) if a else '–'} "
                     f"| {fmt(b['beta_inf'], b['beta_inf_error']) if b else '–'} "
                     f"| {fmt(b['x'], b['x_error']) if b else 'not determined'} "
                     f"| {fsig(b['sigma_from_1']) if b else '–'} |")
        L.append("")
        L.append("`ceasim analyze` per seed (mean over seeds, all heads): " + "; ".join(
            (f"{k}: β_c = {fmt(v['combined']['mean'], v['combined']['error'])} "
             f"({fsig(v['combined']['sigma_from_1'])}σ from 1)")
            if v["combined"]["error"] < 1 else f"{k}: not determined (error > 1)"
            for k, v in per_seed.items())
            + f"; χ′_max ∝ n^p, p = {fmt(gam['mean'], gam['error'])} (mean field: 1/2).\n")
    if ctrl:
        L.append("**(iv) Newton controller** (`ceasim attention --controller`; corridor |H − H_target| ≤ "
                 "0.05 nats, entered for good; margin around the head-mean heat peak).\n")
        L.append("| preset | n | seeds | steps to corridor | clipped steps | margin steps | κ(t) < 2 from step |")
        L.append("|---|---|---|---|---|---|---|")
        for p in ("9k", "14m", "gpt"):
            for n in sorted({r["n"] for r in ctrl if r["preset"] == p}):
                rs = sorted((r for r in ctrl if r["preset"] == p and r["n"] == n), key=lambda r: r["seed"])
                cs = ", ".join(str(r["corridor_step"]) if r["corridor_step"] >= 0 else "not reached"
                               for r in rs)
                L.append(f"| {p} | {n} | {', '.join(str(r['seed']) for r in rs)} | {cs} "
                         f"| {', '.join(str(r['n_clipped']) for r in rs)} "
                         f"| {', '.join(str(r['n_margin']) for r in rs)} | {rs[0]['kappa_below_2_from']} |")
        L.append("")
    if timing:
        L.append("Run time: " + ", ".join(f"{k} {v} s" for k, v in timing.items()) + ".\n")
    return "\n".join(L) + "\n"


def write_csv(path, rows, cols):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c[0] for c in cols])
        for r in rows:
            w.writerow([c[1](r) for c in cols])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="the experiment's output directory")
    ap.add_argument("--d-k", type=int, default=16)
    a = ap.parse_args()
    out = a.out
    written = []

    heads = load_attention(out)
    rem = rem_predictions(heads)
    att = summarize_attention(heads)
    for r in att:
        if r["kind"] == "gaussian" and r["n"] in rem:
            r["rem_single_peak_over_bc"] = rem[r["n"]]["peak_over_bc"]
            r["rem_single"] = rem[r["n"]]
    maps = load_maps(out)
    mc = load_mc(out)
    mapped, fits, per_seed, gam = summarize_mc(mc, maps, 4 * a.d_k) if mc else ([], {}, {}, {})
    ctrl = load_controller(out)
    timing = {}
    tp = os.path.join(out, "timing.txt")
    if os.path.exists(tp):
        for line in open(tp):
            k, v = line.split()
            timing[k] = int(v)

    plot_attention(att, heads, out, written)
    plot_mapped(mapped, fits, out, written, a.d_k, att)
    plot_distances(att, mapped, out, written)
    plot_controller(ctrl, out, written)

    seeds = sorted({h["seed"] for h in heads})
    info = (f"d_k = {a.d_k}; attention seeds {seeds}; MC seeds {sorted(mc)}; "
            f"controller runs {len(ctrl)}.")
    md = table_md(att, rem, mapped, fits, per_seed, gam, ctrl, timing, info)
    with open(os.path.join(out, "table.md"), "w") as fh:
        fh.write(md)
    written.append(os.path.join(out, "table.md"))

    def strip(r):
        return {k: v for k, v in r.items() if not isinstance(v, np.ndarray) or v.size < 64}
    res = {"attention": att, "rem_exact_single_query": rem, "mapped": mapped, "mapped_fits": fits,
           "mapped_analyze_fits": per_seed, "gamma_over_nu_n": gam,
           "controller": [strip({k: v for k, v in r.items() if k not in ("beta_t", "H_t")}) for r in ctrl],
           "heads": [{"file": h["file"], "kind": h["kind"], "n": h["n"], "seed": h["seed"],
                      "heat_peak_of_mean": h["heat_peak_of_mean"],
                      "heat_peak_pred": h.get("heat_peak_pred", np.nan),
                      **{k: v for k, v in per_head_stats(h).items()}} for h in heads],
           "maps": [{"n": k[0], "seed": k[1], **v} for k, v in sorted(maps.items())],
           "timing_seconds": timing}
    with open(os.path.join(out, "results.json"), "w") as fh:
        json.dump(jsonable(res), fh, indent=1)
    written.append(os.path.join(out, "results.json"))

    def m(q):
        return lambda r: r.get(q, {}).get("mean", "") if isinstance(r.get(q), dict) else ""

    def e(q):
        return lambda r: r.get(q, {}).get("error", "") if isinstance(r.get(q), dict) else ""
    qs = ["brem", "bstar0", "bstarfix", "peak", "peak_over_brem", "head_peak", "head_peak_pred",
          "S_over_lnn_at_bc", "S_over_lnn_at_bc_pred"]
    write_csv(os.path.join(out, "attention.csv"), att,
              [("kind", lambda r: r["kind"]), ("n", lambda r: r["n"])]
              + [c for q in qs for c in ((q, m(q)), (q + "_error", e(q)))]
              + [("sigma_" + p, (lambda p: lambda r: r.get("sigma_" + p, ""))(p))
                 for p in ("brem", "bstar0", "bstarfix", "head_pred", "S")])
    qs = ["inv_lambda_unscaled", "lambda_2_over_max", "C_peak", "chi_peak", "chi_peak_all",
          "U4_cross", "chi_max", "C_max", "C_peak_attention_units", "tau_int_max"]
    write_csv(os.path.join(out, "mapped.csv"), mapped,
              [("n", lambda r: r["n"])] + [c for q in qs for c in ((q, m(q)), (q + "_error", e(q)))]
              + [("sigma_" + q, (lambda q: lambda r: r["sigma_" + q])(q))
                 for q in ("chi_peak", "C_peak", "U4_cross")])
    write_csv(os.path.join(out, "controller.csv"), ctrl,
              [(k, (lambda k: lambda r: r[k])(k)) for k in
               ("preset", "n", "seed", "corridor_step", "n_clipped", "n_margin", "n_guard",
                "beta_end", "H_target", "beta_c", "kappa_below_2_from")])
    written += [os.path.join(out, x) for x in ("attention.csv", "mapped.csv", "controller.csv")]
    print(md)
    print("wrote " + ", ".join(os.path.relpath(p, out) for p in written))


if __name__ == "__main__":
    main()
