#!/usr/bin/python3
"""sk_finite_size: the amplitude A of e0(N) = e_inf + A N^(-2/3) for the SK model with
±1/sqrt(N) bonds, from the runs of experiments/sk_finite_size.sh.

Inputs (written by the script; layout of the files: docs/anneal.md):
  OUT/runs/N<N>/exact/<iseed>.h5        `ceasim anneal --exact`: attribute exact_e0
  OUT/runs/N<N>/<sa-dir>/<iseed>.h5     `ceasim anneal` (sa): dataset best_energy
  OUT/runs/N<N>/<check-dir>/<iseed>.h5  the same with twice the reads and sweeps
instance seed iseed = N*1000000 + m, m = 1..M.

Per instance the ground-state energy per spin is exact_e0/N (enumeration) or the
lowest best_energy/N of its sa runs (the check run included where there is one).
Per N: the mean over instances and its standard error (sample std / sqrt(M)); sizes
use disjoint instance seeds, so their means are independent and the weighted least
squares fits below are well posed:
  fixed:  e(N) = -0.76317 + A N^(-2/3)      (one parameter)
  free:   e(N) = e_inf + A N^(-2/3)          (two parameters)
  omega:  e(N) = e_inf + A N^(-omega)        (three; a consistency check of 2/3)
over N >= N_min. Errors are the fit covariance from the standard errors (not rescaled
by chi^2/dof, which is reported next to them with its p-value).

Writes OUT/results.md, OUT/results.csv and OUT/sk_finite_size.png.
"""
import argparse
import os
import sys

import h5py
import numpy as np
from scipy import optimize, stats

E_INF = -0.76317  # Parisi solution, N -> infinity ground-state energy per spin
OMEGA = 2.0 / 3.0  # Boettcher, Eur. Phys. J. B 46, 501 (2005)
HEADLINE_NMIN = (24, 32)


def fail(msg):
    print(f"sk_finite_size.py: {msg}", file=sys.stderr)
    sys.exit(2)


def sizes(text, what):
    try:
        out = [int(t) for t in text.replace(",", " ").split()]
    except ValueError:
        fail(f"--{what} '{text}': expected integers")
    if any(v < 1 for v in out):
        fail(f"--{what} '{text}': expected positive integers")
    return out


def iseed(n, m):
    return n * 1000000 + m


def read_run(path, exact):
    """(energy per spin, reads reaching it, reads, command line, cpu seconds)."""
    if not os.path.exists(path):
        fail(f"{path}: missing: run experiments/sk_finite_size.sh with the same settings")
    try:
        with h5py.File(path, "r") as f:
            n = int(f.attrs["n"])
            cmd = f.attrs["command_line"]
            cmd = cmd.decode() if isinstance(cmd, bytes) else str(cmd)
            cpu = float(f.attrs["cpu_seconds"])
            if exact:
                e0 = float(f.attrs["exact_e0"])
                return e0 / n, 1, 1, cmd, cpu
            b = np.asarray(f["best_energy"][:], dtype=float)
    except (OSError, KeyError) as exc:
        fail(f"{path}: not a ceasim anneal file with the expected content ({exc})")
    lo = b.min()
    # Energies are recomputed exactly from the configurations; equal states agree
    # to rounding only.
    hits = int(np.sum(b <= lo + 1e-9 * max(1.0, abs(lo))))
    return lo / n, hits, len(b), cmd, cpu


def wls(x, y, se, model):
    """Weighted least squares; returns params, their std errors, chi2, dof."""
    w = 1.0 / se**2
    if model == "fixed":
        A = np.sum(w * x * (y - E_INF)) / np.sum(w * x * x)
        p, perr = np.array([E_INF, A]), np.array([0.0, 1.0 / np.sqrt(np.sum(w * x * x))])
        resid = y - (E_INF + A * x)
        dof = len(x) - 1
    else:
        X = np.column_stack([np.ones_like(x), x])
        cov = np.linalg.inv(X.T @ (w[:, None] * X))
        p = cov @ (X.T @ (w * y))
        perr = np.sqrt(np.diag(cov))
        resid = y - X @ p
        dof = len(x) - 2
    return p, perr, float(np.sum(w * resid**2)), dof


def fit_omega(N, y, se):
    f = lambda n, e, a, om: e + a * n ** (-om)
    try:
        # Bounded: with few sizes e_inf and A run off together as omega -> 0.
        p, cov = optimize.curve_fit(f, N, y, p0=[E_INF, 0.7, OMEGA], sigma=se,
                                    absolute_sigma=True, bounds=([-2, 0, 0.1], [0, 10, 2]),
                                    maxfev=20000)
    except (RuntimeError, ValueError, optimize.OptimizeWarning):
        return None
    if not np.all(np.isfinite(cov)) or np.sqrt(cov[2, 2]) > 1.0:
        return None  # omega unconstrained by these sizes
    chi2 = float(np.sum(((y - f(N, *p)) / se) ** 2))
    return p, np.sqrt(np.diag(cov)), chi2, len(N) - 3


def write_atomic(path, text):
    """Readers never see a half-written file: write a temporary, then rename."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def pval(chi2, dof):
    return float(stats.chi2.sf(chi2, dof)) if dof > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--exact-sizes", default="")
    ap.add_argument("--exact-m", type=int, required=True)
    ap.add_argument("--sa-sizes", default="")
    ap.add_argument("--sa-m", type=int, required=True)
    ap.add_argument("--sa-dir", required=True)
    ap.add_argument("--check-sizes", default="")
    ap.add_argument("--check-m", type=int, default=0)
    ap.add_argument("--check-dir", default="")
    ap.add_argument("--low-hits", type=int, default=16,
                    help="also check every sa instance whose lowest state fewer reads reached")
    ap.add_argument("--list-low-hits", action="store_true",
                    help="print 'N iseed' of those instances and exit (the script's job list)")
    ap.add_argument("--sa-exact-sizes", default="")
    ap.add_argument("--sa-exact-m", type=int, default=0)
    ap.add_argument("--nmin", default="24 32")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reads", type=int, required=True)
    ap.add_argument("--sweeps", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    a = ap.parse_args()
    out = a.out
    if not os.path.isdir(os.path.join(out, "runs")):
        fail(f"{out}: expected a directory with runs/ (written by experiments/sk_finite_size.sh)")
    ex_sizes, sa_sizes = sizes(a.exact_sizes, "exact-sizes"), sizes(a.sa_sizes, "sa-sizes")
    ck_sizes, sx_sizes = sizes(a.check_sizes, "check-sizes"), sizes(a.sa_exact_sizes, "sa-exact-sizes")
    nmins = sizes(a.nmin, "nmin")
    cmds = {}

    # Per size: per-instance energies, hits, kind.
    rows = []
    per_inst = {}
    hits_of = {}
    cpu_of = {}
    for n in sorted(set(ex_sizes) | set(sa_sizes)):
        exact = n in ex_sizes
        M = a.exact_m if exact else a.sa_m
        d = "exact" if exact else a.sa_dir
        e = np.empty(M)
        h = np.empty(M, dtype=int)
        cpu = 0.0
        for m in range(1, M + 1):
            e[m - 1], h[m - 1], R, cmd, c = read_run(
                os.path.join(out, "runs", f"N{n}", d, f"{iseed(n, m)}.h5"), exact)
            cpu += c
            cmds.setdefault(("exact" if exact else "sa"), cmd)
        per_inst[n], hits_of[n], cpu_of[n] = e, h, cpu
        rows.append(dict(N=n, method="exact" if exact else "sa", M=M))
    low = {n: [m for m in range(1, a.sa_m + 1) if hits_of[n][m - 1] < a.low_hits]
           for n in sa_sizes if n not in ex_sizes}
    if a.list_low_hits:
        for n, ms in low.items():
            for m in ms:
                print(n, iseed(n, m))
        return

    # Ground-state check: the same instances with twice the reads and sweeps, on a
    # fixed subset (first K: an unbiased estimate of the shift) and on the low-hit ones.
    checks, targeted = [], []
    check_e = {}  # (N, m) -> energy per spin of the check run
    for n in ck_sizes:
        if n not in sa_sizes:
            fail(f"--check-sizes {n}: expected one of --sa-sizes")
    for n in sa_sizes:
        ms = sorted(set(range(1, min(a.check_m, a.sa_m) + 1) if n in ck_sizes else set())
                    | set(low.get(n, [])))
        for m in ms:
            check_e[n, m], h2, R2, cmd, _ = read_run(
                os.path.join(out, "runs", f"N{n}", a.check_dir, f"{iseed(n, m)}.h5"), False)
            cmds.setdefault("check", cmd)
    tol = 1e-9
    for n in ck_sizes:
        K = min(a.check_m, a.sa_m)
        base = per_inst[n][:K].copy()
        ch = np.array([check_e[n, m] for m in range(1, K + 1)])
        d = ch - base
        checks.append(dict(
            N=n, K=K, base=base.mean(), check=ch.mean(), shift=d.mean(),
            shift_se=d.std(ddof=1) / np.sqrt(K) if K > 1 else float("nan"),
            lower=int(np.sum(d < -tol)), higher=int(np.sum(d > tol)),
            max_drop=max(0.0, float(-d.min())) if K else 0.0,
            se_full=per_inst[n].std(ddof=1) / np.sqrt(len(per_inst[n]))))
    for n in sa_sizes:
        if n in ex_sizes:
            continue
        ms = low.get(n, [])
        d = np.array([check_e[n, m] - per_inst[n][m - 1] for m in ms])
        targeted.append(dict(
            N=n, count=len(ms), lower=int(np.sum(d < -tol)), higher=int(np.sum(d > tol)),
            max_drop=max(0.0, float(-d.min())) if len(ms) else 0.0,
            mean_effect=float(np.sum(np.minimum(d, 0.0))) / a.sa_m,
            se_full=per_inst[n].std(ddof=1) / np.sqrt(a.sa_m)))
    # The final per-instance value is the lowest energy any run found.
    for (n, m), e in check_e.items():
        per_inst[n][m - 1] = min(per_inst[n][m - 1], e)

    # sa settings against enumeration.
    sa_vs_exact = []
    for n in sx_sizes:
        if n not in ex_sizes:
            fail(f"--sa-exact-sizes {n}: expected one of --exact-sizes")
        K = min(a.sa_exact_m, a.exact_m)
        es = np.empty(K)
        hs = np.empty(K, dtype=int)
        for m in range(1, K + 1):
            es[m - 1], hs[m - 1], R, _, _ = read_run(
                os.path.join(out, "runs", f"N{n}", a.sa_dir, f"{iseed(n, m)}.h5"), False)
        ex = per_inst[n][:K]
        ok = np.abs(es - ex) <= 1e-9 * np.maximum(1.0, np.abs(ex))
        below = np.sum(es < ex - 1e-9 * np.maximum(1.0, np.abs(ex)))
        sa_vs_exact.append(dict(N=n, K=K, found=int(ok.sum()), below=int(below),
                                min_hits=int(hs.min()), median_hits=float(np.median(hs)), R=R))

    N = np.array([r["N"] for r in rows], dtype=float)
    y = np.array([per_inst[r["N"]].mean() for r in rows])
    sd = np.array([per_inst[r["N"]].std(ddof=1) for r in rows])
    se = sd / np.sqrt([r["M"] for r in rows])
    x = N ** (-OMEGA)
    if np.any(~(se > 0)):
        fail("a size has fewer than 2 instances or no spread: raise EXACT_M / SA_M")

    fits = []
    for nmin in sorted(set(nmins)):
        sel = N >= nmin
        if sel.sum() < 2:
            continue
        row = dict(nmin=nmin, sizes=int(sel.sum()))
        row["fixed"] = wls(x[sel], y[sel], se[sel], "fixed")
        row["free"] = wls(x[sel], y[sel], se[sel], "free") if sel.sum() >= 3 else None
        row["omega"] = fit_omega(N[sel], y[sel], se[sel]) if sel.sum() >= 4 else None
        fits.append(row)
    if not fits:
        fail("no N_min leaves 2 or more sizes to fit")
    head = [f for f in fits if f["nmin"] in HEADLINE_NMIN] or fits[:1]

    # Sample-to-sample spread sigma(N) ~ N^-rho (rho = 3/4 is the literature value).
    rho = -np.polyfit(np.log(N), np.log(sd), 1)[0] if len(N) >= 2 else float("nan")

    # --- outputs ---
    csv = ["N,method,M,e_mean,e_se,e_std,A_eff,A_eff_se,min_hits,median_hits,cpu_seconds\n"]
    for r, yy, s1, s2 in zip(rows, y, se, sd):
        n = r["N"]
        h = hits_of[n]
        csv.append(f"{n},{r['method']},{r['M']},{yy:.8f},{s1:.8f},{s2:.8f},"
                   f"{(yy - E_INF) * n ** OMEGA:.6f},{s1 * n ** OMEGA:.6f},"
                   f"{h.min()},{np.median(h):g},{cpu_of[n]:.3f}\n")
    write_atomic(os.path.join(out, "results.csv"), "".join(csv))

    timing = {}  # phase -> (wall s, runs, 1-min load at start, at end)
    tpath = os.path.join(out, "timing.txt")
    if os.path.exists(tpath):
        for line in open(tpath):
            p = line.split()
            if len(p) == 5:
                timing[p[0]] = p[1:]

    L = []
    L.append("# SK finite-size ground-state energy: the amplitude A of e0(N) = e∞ + A N^(−2/3)\n")
    L.append("Generated by `experiments/sk_finite_size.sh` (analysis "
             "`experiments/sk_finite_size.py`); rerun to regenerate.\n")
    hf = head[0]
    L.append("## Result\n")
    for f in head:
        p, pe, c2, dof = f["fixed"]
        s = (f"- N ≥ {f['nmin']} ({f['sizes']} sizes): **A = {p[1]:.4f} ± {pe[1]:.4f}** with "
             f"e∞ = {E_INF} fixed (χ²/dof = {c2:.2f}/{dof}, p = {pval(c2, dof):.2f})")
        if f["free"]:
            p2, pe2, c22, dof2 = f["free"]
            s += (f"; e∞ free: e∞ = {p2[0]:.5f} ± {pe2[0]:.5f}, A = {p2[1]:.4f} ± {pe2[1]:.4f} "
                  f"(χ²/dof = {c22:.2f}/{dof2}, p = {pval(c22, dof2):.2f})")
        L.append(s + ".")
    L.append("")
    L.append("## Method\n")
    L.append(f"- Instances: SK, J_ij = ±1/√N (`--model sk --bonds pm`), E = −Σ_{{i<j}} J_ij s_i s_j; "
             "M instances per size with instance seeds N·10⁶ + m, m = 1..M. The generator draws "
             "bond (i, j) from a counter without N, so equal seeds at two sizes would give nested "
             "(correlated) instances; disjoint seeds make the size means independent.")
    L.append(f"- N ∈ {{{', '.join(str(n) for n in ex_sizes)}}}: exact ground state by Gray-code "
             f"enumeration (`--exact`, attribute `exact_e0`), {a.exact_m} instances each.")
    L.append(f"- N ∈ {{{', '.join(str(n) for n in sa_sizes)}}}: lowest energy of {a.reads} "
             f"independent `sa` reads × {a.sweeps} sweeps (default geometric schedule β = 0.1…10), "
             f"{a.sa_m} instances each. Many short reads rather than a few long ones: on the hard "
             "instances the per-read probability of reaching the lowest state grows slowly with "
             "the sweeps, so reads buy more per CPU second. Whether the lowest read is the "
             "ground state is checked below (enumeration at small N, doubled reads and sweeps).")
    L.append("- Per size: mean energy per spin over instances and its standard error "
             "(sample std/√M). Fits: weighted least squares in x = N^(−2/3), errors from the fit "
             "covariance with these standard errors (not rescaled by χ²/dof).")
    L.append("- Commands (one instance each; `<iseed>` = N·10⁶ + m):")
    for k in ("exact", "sa", "check"):
        if k in cmds:
            L.append(f"  - {k}: `{cmds[k]}`")
    L.append("")

    L.append("## Per size\n")
    L.append("A_eff = (e − e∞) N^(2/3) with e∞ = −0.76317: constant if the form holds. hits: reads "
             "(of R) that reached the instance's lowest energy, minimum and median over instances "
             "(sa sizes).\n")
    L.append("| N | method | M | ⟨e0⟩/N | s.e. | sample std | A_eff | hits min / median (of R) | sa CPU s |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r, yy, s1, s2 in zip(rows, y, se, sd):
        n = r["N"]
        h = hits_of[n]
        hs = "—" if r["method"] == "exact" else f"{h.min()} / {np.median(h):g} (of {a.reads})"
        cpu = "—" if r["method"] == "exact" else f"{cpu_of[n]:.1f}"
        L.append(f"| {n} | {r['method']} | {r['M']} | {yy:.5f} | {s1:.5f} | {s2:.4f} | "
                 f"{(yy - E_INF) * n ** OMEGA:.3f} ± {s1 * n ** OMEGA:.3f} | {hs} | {cpu} |")
    L.append("")
    L.append(f"Sample-to-sample spread: a power-law fit of the sample std gives σ(N) ∝ N^(−{rho:.3f}) "
             "(the literature exponent for SK ground-state fluctuations is about 3/4).\n")

    L.append("## Fits and their sensitivity to N_min\n")
    L.append("| N_min | sizes | A (e∞ fixed) | χ²/dof (p) | e∞ (free) | A (free) | χ²/dof (p) | "
             "ω free: e∞, A, ω |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for f in fits:
        p, pe, c2, dof = f["fixed"]
        s = f"| {f['nmin']} | {f['sizes']} | {p[1]:.4f} ± {pe[1]:.4f} | {c2:.2f}/{dof} ({pval(c2, dof):.2f}) | "
        if f["free"]:
            p2, pe2, c22, dof2 = f["free"]
            s += (f"{p2[0]:.5f} ± {pe2[0]:.5f} | {p2[1]:.4f} ± {pe2[1]:.4f} | "
                  f"{c22:.2f}/{dof2} ({pval(c22, dof2):.2f}) | ")
        else:
            s += "— | — | — | "
        if f["omega"]:
            p3, pe3, c23, dof3 = f["omega"]
            s += (f"{p3[0]:.4f} ± {pe3[0]:.4f}, {p3[1]:.3f} ± {pe3[1]:.3f}, "
                  f"{p3[2]:.3f} ± {pe3[2]:.3f} (χ² {c23:.1f}/{dof3}) |")
        else:
            s += "unconstrained |"
        L.append(s)
    L.append("")

    L.append("## Are the sa energies ground states?\n")
    if sa_vs_exact:
        L.append("Against enumeration (the sa settings on the first K exact instances):\n")
        L.append("| N | K | sa = exact | sa below exact | hits min / median |")
        L.append("| --- | --- | --- | --- | --- |")
        for c in sa_vs_exact:
            L.append(f"| {c['N']} | {c['K']} | {c['found']}/{c['K']} | {c['below']} | "
                     f"{c['min_hits']} / {c['median_hits']:g} (of {c['R']}) |")
        L.append("")
    if checks:
        L.append(f"Doubling check: the first K instances rerun with {2 * a.reads} reads × "
                 f"{2 * a.sweeps} sweeps (read seed {a.seed + 1}); shift = ⟨check − base⟩ "
                 "per spin (paired), against the standard error of the size's full average:\n")
        L.append("| N | K | ⟨base⟩ | ⟨check⟩ | shift ± s.e. | check lower / higher | "
                 "largest drop | s.e. of ⟨e0⟩ (all M) |")
        L.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for c in checks:
            L.append(f"| {c['N']} | {c['K']} | {c['base']:.6f} | {c['check']:.6f} | "
                     f"{c['shift']:.2e} ± {c['shift_se']:.1e} | {c['lower']} / {c['higher']} | "
                     f"{c['max_drop']:.2e} | {c['se_full']:.1e} |")
        L.append("")
    if targeted:
        L.append(f"Targeted reruns: every sa instance whose lowest state fewer than {a.low_hits} of "
                 f"its {a.reads} reads reached, rerun the same way; effect = (sum of the drops)/M "
                 "on the size's mean:\n")
        L.append("| N | rerun | check lower / higher | largest drop | effect on ⟨e0⟩ | s.e. of ⟨e0⟩ |")
        L.append("| --- | --- | --- | --- | --- | --- |")
        for c in targeted:
            L.append(f"| {c['N']} | {c['count']} | {c['lower']} / {c['higher']} | {c['max_drop']:.2e} | "
                     f"{c['mean_effect']:.1e} | {c['se_full']:.1e} |")
        L.append("")
    if checks or targeted:
        L.append("The per-instance energies above are the lowest of the base and check runs.\n")

    L.append("## Run\n")
    L.append("Wall time of each phase when it last ran something (a rerun skips finished runs "
             f"and keeps these numbers); JOBS = {a.jobs} runs at a time on a shared 2-core machine.\n")
    L.append("| phase | runs | wall s | load average (1 min) start → end |")
    L.append("| --- | --- | --- | --- |")
    for k in ("exact", "sa", "check"):
        if k in timing:
            t = timing[k]
            L.append(f"| {k} | {t[1]} | {t[0]} | {t[2]} → {t[3]} |")
    if timing:
        L.append(f"| total | {sum(int(t[1]) for t in timing.values())} | "
                 f"{sum(int(t[0]) for t in timing.values())} | |")
    L.append("")
    L.append(f"- CPU seconds of the annealing reads (HDF5 `cpu_seconds`, enumeration not included): "
             f"{sum(cpu_of.values()):.1f}")
    L.append("")
    write_atomic(os.path.join(out, "results.md"), "\n".join(L))

    plot(out, N, y, se, rows, hf, E_INF)
    print("\n".join(L[:L.index("## Method\n")]))


def plot(out, N, y, se, rows, hf, e_inf):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = N ** (-OMEGA)
    ex = np.array([r["method"] == "exact" for r in rows])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
    ax.errorbar(x[ex], y[ex], se[ex], fmt="o", ms=4, capsize=2, label="exact (enumeration)")
    ax.errorbar(x[~ex], y[~ex], se[~ex], fmt="s", ms=4, capsize=2, label="sa (best of reads)")
    xx = np.linspace(0, x.max() * 1.05, 100)
    p, pe, c2, dof = hf["fixed"]
    ax.plot(xx, e_inf + p[1] * xx, "k-", lw=1,
            label=f"e∞ = {e_inf} fixed: A = {p[1]:.3f} ± {pe[1]:.3f} (N ≥ {hf['nmin']})")
    if hf["free"]:
        p2, pe2, _, _ = hf["free"]
        ax.plot(xx, p2[0] + p2[1] * xx, "C3--", lw=1,
                label=f"free: e∞ = {p2[0]:.4f}, A = {p2[1]:.3f} (N ≥ {hf['nmin']})")
    ax.plot([0], [e_inf], "k*", ms=9, label="Parisi e∞")
    ax.set_xlabel("N^(−2/3)")
    ax.set_ylabel("⟨E0⟩ / N")
    ax.set_title("SK ±1/√N ground-state energy per spin")
    ax.legend(fontsize=7.5, loc="upper left")
    ax.set_xlim(left=-0.005)  # room for the Parisi point at x = 0
    A_eff = (y - e_inf) * N ** OMEGA
    A_se = se * N ** OMEGA
    ax2.errorbar(N[ex], A_eff[ex], A_se[ex], fmt="o", ms=4, capsize=2)
    ax2.errorbar(N[~ex], A_eff[~ex], A_se[~ex], fmt="s", ms=4, capsize=2)
    ax2.axhspan(p[1] - pe[1], p[1] + pe[1], color="k", alpha=0.15)
    ax2.axhline(p[1], color="k", lw=1, label=f"fit A (e∞ fixed, N ≥ {hf['nmin']})")
    ax2.set_xscale("log")
    ax2.set_xticks(N)
    ax2.set_xticklabels([str(int(n)) for n in N], fontsize=8)
    ax2.minorticks_off()
    ax2.set_xlabel("N")
    ax2.set_ylabel("(⟨E0⟩/N − e∞) N^(2/3)")
    ax2.set_title("effective amplitude per size")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    png = os.path.join(out, "sk_finite_size.png")
    fig.savefig(png + ".tmp", dpi=110, format="png")
    os.replace(png + ".tmp", png)
    plt.close(fig)


if __name__ == "__main__":
    main()
