#!/usr/bin/python3
"""anneal_benchmark: residual energy vs time, success probability and TTS99 of every
`ceasim anneal` method on the same instances (issue 7).

Subcommands:
  plan-time OUT --t-per-spin T   print "instance method sweeps" so that a read of each
                                 method takes about T*N seconds of CPU time, from the
                                 CPU cost per spin update of its largest equal-budget run
  analyze OUT                    tables (OUT/results.md, OUT/results.csv) and plots
                                 (OUT/anneal_benchmark_*.png)

Inputs: OUT/runs/<instance>/<phase>_<method>_s<sweeps>.h5 written by
experiments/anneal_benchmark.sh (layout: src/anneal/ceas_anneal.h, docs/anneal.md),
phase = budget | time | speed.

Time. A read's time is its CPU time on one core: the read's wall seconds times the
run's cpu_seconds / (sum of its reads' wall seconds) (times the rank count for a
multi-rank pt run, whose cpu_seconds is rank 0's). The machine is shared, so wall
times depend on the load; CPU times much less. Wall times are reported as well.

References (per spin; see docs/anneal_benchmark_results.md for sources):
  SK ±1/sqrt(N)   e0(N) = -0.76317 + 0.691 N^(-2/3)  (Parisi; finite-size form of
                  Boettcher 2005, omega = 2/3; amplitude 0.691(9) measured by
                  experiments/sk_finite_size.sh, N = 12-256)
  2D ±J periodic  -1.4015(8)  (De Simone et al. 1996, exact ground states to 50x50)
  3D ±J periodic  -1.7863     (K. F. Pal, Physica A 223, 283 (1996); -1.7003 is not a
                  ±J value: our L = 8 runs reach -1.78 per spin)
These are disorder averages, not the energy of a given instance, so the per-instance
reference E_ref is the lowest energy any run of the benchmark found (for G-set files:
the best-known cut if it is higher). Success: E <= E_ref + TOL |E_ref|, TOL = 0.1 %.
"""
import argparse
import csv
import glob
import math
import os
import re
import sys

import h5py
import numpy as np

TOL = 1e-3  # success: within 0.1 % of |E_ref|
E_SK_INF, SK_A = -0.76317, 0.691  # A: experiments/sk_finite_size.sh
E_2D, E_3D = -1.4015, -1.7863
NOTES_BEGIN = "<!-- findings: hand-written, kept when the file is regenerated -->"
NOTES_END = "<!-- /findings -->"
METHOD_ORDER = ["sa", "ceas", "pt", "sb-ballistic", "sb-discrete", "analog"]
COLORS = {"sa": "C0", "ceas": "C1", "pt": "C2", "sb-ballistic": "C3",
          "sb-discrete": "C4", "analog": "C5"}

# Best-known G-set max cuts. G1-G72: the table used by Microsoft's AOCoptimizer.jl
# (data/GSet/reference.csv) and, identically, by the ssdppy G-set example (citing
# Toshiba's SBM G-set benchmark); it includes improvements after Benlic & Hao 2013
# (e.g. G55 10299 vs BLS 10294). G77, G81: Benlic & Hao 2013 (BLS), later work may
# have improved them.
GSET_BEST = {
    1: 11624, 2: 11620, 3: 11622, 4: 11646, 5: 11631, 6: 2178, 7: 2006, 8: 2005,
    9: 2054, 10: 2000, 11: 564, 12: 556, 13: 582, 14: 3064, 15: 3050, 16: 3052,
    17: 3047, 18: 992, 19: 906, 20: 941, 21: 931, 22: 13359, 23: 13344, 24: 13337,
    25: 13340, 26: 13328, 27: 3341, 28: 3298, 29: 3405, 30: 3413, 31: 3310, 32: 1410,
    33: 1382, 34: 1384, 35: 7687, 36: 7680, 37: 7691, 38: 7688, 39: 2408, 40: 2400,
    41: 2405, 42: 2481, 43: 6660, 44: 6650, 45: 6654, 46: 6649, 47: 6657, 48: 6000,
    49: 6000, 50: 5880, 51: 3848, 52: 3851, 53: 3850, 54: 3852, 55: 10299, 56: 4017,
    57: 3494, 58: 19293, 59: 6086, 60: 14188, 61: 5796, 62: 4870, 63: 27045,
    64: 8751, 65: 5562, 66: 6364, 67: 6950, 70: 9591, 72: 7006, 77: 9926, 81: 14030,
}


def sattr(f, k, default=None):
    v = f.attrs.get(k, default)
    return v.decode() if isinstance(v, bytes) else v


def load_run(path, pt_np):
    m = re.match(r"(budget|time|speed)_(.+)_s(\d+)\.h5$", os.path.basename(path))
    with h5py.File(path, "r") as f:
        r = {
            "path": path, "phase": m.group(1), "method": sattr(f, "method"),
            "sweeps": int(sattr(f, "sweeps")), "n": int(sattr(f, "n")),
            "reads": int(sattr(f, "reads")), "maxcut": int(sattr(f, "maxcut", 0)),
            "w_sum": float(sattr(f, "weight_sum", float("nan"))),
            "source": sattr(f, "source"), "origin": sattr(f, "origin"),
            "best": np.array(f["best_energy"]), "wall": np.array(f["seconds"]),
            "updates": np.array(f["updates"], dtype=float),
            "cpu_total": float(sattr(f, "cpu_seconds")),
            "wall_total": float(sattr(f, "seconds")),
            "trace": np.array(f["trace"]) if "trace" in f else None,
            "trace_sweeps": np.array(f["trace_sweeps"]) if "trace_sweeps" in f else None,
            "command_line": sattr(f, "command_line"),
            # local fields, or the packed multi-spin kernel of sa/pt on +-J tori
            "kernel": sattr(f, "kernel", "fields"),
        }
        # Sweeps the run made: pt's tuning rounds come before its measured sweeps
        # (and its traces cover both).
        r["sweeps_total"] = r["sweeps"]
        if "pt" in f:
            g = f["pt"].attrs
            r["sweeps_total"] += int(g["tune_rounds"]) * int(g["tune_sweeps"])
    ranks = pt_np if r["method"] == "pt" else 1
    wsum = float(r["wall"].sum())
    scale = r["cpu_total"] * ranks / wsum if wsum > 0 else 1.0
    r["cpu"] = r["wall"] * scale           # per-read CPU seconds (all ranks)
    r["ns_update"] = 1e9 * r["cpu_total"] * ranks / r["updates"].sum()
    r["ns_update_wall"] = 1e9 * wsum / r["updates"].sum()
    return r


def load_all(out, pt_np):
    inst = {}
    for d in sorted(glob.glob(os.path.join(out, "runs", "*"))):
        runs = [load_run(p, pt_np) for p in sorted(glob.glob(os.path.join(d, "*.h5")))]
        if runs:
            inst[os.path.basename(d)] = runs
    return inst


def method_key(m):
    return METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER)


# ---- plan-time ---------------------------------------------------------------

def plan_time(args):
    inst = load_all(args.out, args.pt_np)
    methods = args.methods.split()
    for name, runs in inst.items():
        for m in methods:
            cands = [r for r in runs if r["phase"] == "budget" and r["method"] == m]
            if not cands:
                continue
            r = max(cands, key=lambda r: r["updates"].sum())
            n = r["n"]
            # n or n*M per sweep; pt's tuning sweeps are part of its budget
            per_sweep = r["updates"].sum() / (r["reads"] * r["sweeps_total"])
            t = args.t_per_spin * n
            sweeps = max(1, int(round(t / (r["ns_update"] * 1e-9 * per_sweep))))
            print(name, m, sweeps)


# ---- analysis ------------------------------------------------------------------

class Instance:
    def __init__(self, name, runs):
        self.name, self.runs = name, runs
        r0 = runs[0]
        self.n, self.maxcut, self.w_sum = r0["n"], r0["maxcut"], r0["w_sum"]
        self.e_found = min(float(r["best"].min()) for r in runs)
        self.best_run = min(runs, key=lambda r: float(r["best"].min()))
        self.family, self.e_lit, self.lit_note = "other", float("nan"), ""
        self.gset_id, self.gset_cut = None, None
        if name.startswith("sk_"):
            self.family = "sk"
            self.e_lit = self.n * (E_SK_INF + SK_A * self.n ** (-2 / 3))
            self.lit_note = "-0.76317 + 0.691 N^-2/3"
        elif name.startswith("ea2d_"):
            self.family, self.e_lit, self.lit_note = "ea2d", E_2D * self.n, "-1.4015 (L→∞)"
        elif name.startswith("ea3d_"):
            self.family, self.e_lit, self.lit_note = "ea3d", E_3D * self.n, "-1.7863 (L→∞)"
        elif name.startswith("gset_"):
            self.family = "gset"
            mm = re.match(r"gset_G(\d+)$", name)
            if mm and int(mm.group(1)) in GSET_BEST:
                self.gset_id = int(mm.group(1))
                self.gset_cut = GSET_BEST[self.gset_id]
                self.e_lit = self.w_sum - 2 * self.gset_cut
                self.lit_note = f"best-known cut {self.gset_cut}"
        # The reference: best found, or the best-known cut if nothing reached it.
        self.e_ref = self.e_found
        if self.family == "gset" and self.gset_cut is not None:
            self.e_ref = min(self.e_found, self.e_lit)
        self.target = self.e_ref + TOL * abs(self.e_ref)

    def cut(self, e):
        return (self.w_sum - e) / 2


def tts99(t, p):
    if p >= 0.99:
        return t
    if p <= 0:
        return math.inf
    return t * math.log(0.01) / math.log(1 - p)


def summarize(ins, r):
    res = (r["best"] - ins.e_ref) / ins.n
    ok = r["best"] <= ins.target + 1e-9 * max(1.0, abs(ins.target))
    p = float(ok.mean())
    t_cpu, t_wall = float(r["cpu"].mean()), float(r["wall"].mean())
    # Time to target within a read, from the trace (first record at or below target).
    ttt = []
    if r["trace"] is not None and r["trace_sweeps"] is not None and len(r["trace_sweeps"]):
        for k in range(r["reads"]):
            hit = np.nonzero(r["trace"][k] <= ins.target + 1e-9 * abs(ins.target))[0]
            if len(hit):
                ttt.append(r["cpu"][k] * r["trace_sweeps"][hit[0]] / r["sweeps_total"])
    return {
        "instance": ins.name, "n": ins.n, "phase": r["phase"], "method": r["method"],
        "kernel": r["kernel"],
        "sweeps": r["sweeps"], "reads": r["reads"],
        "updates_per_read": float(r["updates"].mean()),
        "best_e_per_spin": float(r["best"].min() / ins.n),
        "res_min": float(res.min()), "res_median": float(np.median(res)),
        "res_max": float(res.max()), "p": p, "successes": int(ok.sum()),
        "t_read_cpu": t_cpu, "t_read_wall": t_wall,
        "ns_update_cpu": r["ns_update"], "ns_update_wall": r["ns_update_wall"],
        "tts99_cpu": tts99(t_cpu, p), "tts99_wall": tts99(t_wall, p),
        "ttt_cpu_median": float(np.median(ttt)) if ttt else float("nan"),
        "ttt_reads": len(ttt),
    }


def fmt_t(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "∞"
    if x >= 100:
        return f"{x:.0f} s"
    if x >= 1:
        return f"{x:.2f} s"
    if x >= 1e-3:
        return f"{1e3 * x:.1f} ms"
    return f"{1e6 * x:.0f} µs"


def fmt_res(x):
    if x == 0:
        return "0"
    return f"{x:.2e}" if abs(x) < 1e-3 else f"{x:.4f}"


def plot_instance(ins, rows, path, t_per_spin):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.6, 4.6))
    floor = 0.3 / ins.n  # "= E_ref" plotted here on the log axis
    for m in sorted({r["method"] for r in ins.runs}, key=method_key):
        c = COLORS.get(m, "k")
        bud = sorted([r for r in ins.runs if r["phase"] == "budget" and r["method"] == m],
                     key=lambda r: r["sweeps"])
        if bud:
            xs = [float(r["cpu"].mean()) for r in bud]
            res = [(r["best"] - ins.e_ref) / ins.n for r in bud]
            med = [max(float(np.median(v)), floor) for v in res]
            lo = [max(float(v.min()), floor) for v in res]
            hi = [max(float(v.max()), floor) for v in res]
            ax.errorbar(xs, med, yerr=[np.subtract(med, lo), np.subtract(hi, med)], color=c,
                        marker="o", ms=4, lw=1.4, capsize=2, label=f"{m}: equal budgets")
            top = bud[-1]
            if top["trace"] is not None and top["trace_sweeps"] is not None:
                run_best = np.minimum.accumulate(top["trace"], axis=1)
                med_tr = np.median((run_best - ins.e_ref) / ins.n, axis=0)
                t = float(top["cpu"].mean()) * top["trace_sweeps"] / top["sweeps_total"]
                keep = t > 0
                ax.plot(t[keep], np.maximum(med_tr[keep], floor), color=c, lw=0.7, alpha=0.45)
        tim = [r for r in ins.runs if r["phase"] == "time" and r["method"] == m]
        for r in tim:
            res = (r["best"] - ins.e_ref) / ins.n
            ax.plot([float(r["cpu"].mean())], [max(float(np.median(res)), floor)], color=c,
                    marker="*", ms=12, mec="k", mew=0.5, ls="none")
    ax.axhline(floor, color="0.6", lw=0.6, ls=":")
    ax.text(0.01, floor, " reads at E_ref", transform=ax.get_yaxis_transform(),
            va="bottom", ha="left", fontsize=7, color="0.4")
    if not math.isnan(ins.e_lit) and ins.family != "gset":
        d = (ins.e_lit - ins.e_ref) / ins.n
        if d > floor:
            ax.axhline(d, color="k", lw=0.8, ls="--", label=f"literature e0 ({ins.lit_note})")
        else:
            ax.plot([], [], color="k", lw=0.8, ls="--",
                    label=f"literature e0 {ins.e_lit / ins.n:.4f} is {-d:.1e}/spin below E_ref")
    ax.axvline(t_per_spin * ins.n, color="0.5", lw=0.6, ls="-.")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("CPU seconds per read (one core)")
    ax.set_ylabel("(E − E_ref)/N of a read's best state")
    title = f"{ins.name}: N = {ins.n}, E_ref/N = {ins.e_ref / ins.n:.5f}"
    if ins.family == "gset":
        title += f", cut {ins.cut(ins.e_ref):.0f}"
    ax.set_title(title, fontsize=10)
    ax.plot([], [], marker="*", color="0.3", ls="none", ms=10, label="equal time (dash-dot: T)")
    ax.plot([], [], color="0.3", lw=0.7, alpha=0.5, label="running best in the largest run")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.grid(alpha=0.25, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_summary(insts, rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [i.name for i in insts]
    methods = sorted({r["method"] for r in rows}, key=method_key)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, phase, label in ((axes[0], "budget", "equal budget (largest)"),
                             (axes[1], "time", "equal CPU time T·N per read")):
        for j, m in enumerate(methods):
            xs, ys = [], []
            for i, ins in enumerate(insts):
                cand = [r for r in rows if r["instance"] == ins.name and r["phase"] == phase
                        and r["method"] == m]
                if not cand:
                    continue
                r = max(cand, key=lambda r: r["updates_per_read"])
                xs.append(i + (j - len(methods) / 2) * 0.1)
                ys.append(max(r["res_median"], 0.3 / ins.n))
            ax.plot(xs, ys, marker="o", ls="none", color=COLORS.get(m, "k"), label=m)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.25, which="both")
    axes[0].set_ylabel("median over reads of (E − E_ref)/N\n(0 drawn at 0.3/N)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def analyze(args):
    out = args.out
    inst = load_all(out, args.pt_np)
    if not inst:
        sys.exit(f"anneal_benchmark.py: no runs under {out}/runs")
    insts = [Instance(k, v) for k, v in inst.items()]
    order = {"sk": 0, "ea2d": 1, "ea3d": 2, "gset": 3, "other": 4}
    insts.sort(key=lambda i: (order[i.family], i.n, i.name))
    rows = []
    for ins in insts:
        for r in sorted(ins.runs, key=lambda r: (r["phase"], method_key(r["method"]), r["sweeps"])):
            rows.append(summarize(ins, r))
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    for ins in insts:
        if any(r["phase"] in ("budget", "time") for r in ins.runs):
            plot_instance(ins, rows, os.path.join(out, f"anneal_benchmark_{ins.name}.png"),
                          args.t_per_spin)
    bench = [i for i in insts if any(r["phase"] in ("budget", "time") for r in i.runs)]
    plot_summary(bench, [r for r in rows if r["phase"] in ("budget", "time")],
                 os.path.join(out, "anneal_benchmark_summary.png"))
    write_md(args, insts, rows)
    print(f"anneal_benchmark.py: wrote {out}/results.md, results.csv and "
          f"{len(bench) + 1} plots", file=sys.stderr)


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def write_md(args, insts, rows):
    out = args.out
    L = []
    mode = "QUICK=1 smoke test" if args.quick else "full run"
    L.append(f"<!-- Written by experiments/anneal_benchmark.py ({mode}); regenerate with "
             "experiments/anneal_benchmark.sh. -->")
    L.append("# Annealing benchmark: every `ceasim anneal` method on the same instances "
             "(issue 7)\n")
    # Hand-written findings kept across regenerations: the block between the markers
    # in --notes-from (the docs copy) is carried over verbatim.
    if args.notes_from and os.path.exists(args.notes_from):
        txt = read_text(args.notes_from)
        a, b = txt.find(NOTES_BEGIN), txt.find(NOTES_END)
        if a >= 0 and b > a:
            L.append(txt[a:b + len(NOTES_END)])
            L.append("")
    budget_rows = [r for r in rows if r["phase"] == "budget"]
    reads = args.reads
    wide = [i.name for i in insts if i.family in ("ea2d", "ea3d") and TOL * abs(i.e_ref) >= 4]
    lattice_note = (", except on " + ", ".join(wide) + ", where it also admits E_ref + 4") if wide else ""
    L.append("Setup. Every method runs on the same instances with the same read seeds "
             f"(`--seed 1`, reads 0..{reads - 1}), {reads} reads per run, each read an "
             "independent anneal from its own Philox stream. Methods and their defaults: "
             "docs/anneal.md, docs/anneal_dynamics.md; nothing is tuned per instance. "
             f"pt: {args.pt_m} walkers on a geometric ladder β₀..β₁ (the anneal defaults) "
             "tuned for uniform acceptance in 4 rounds that take half of its sweeps (the "
             "budget counts them), "
             f"exchange every sweep, {args.pt_np} MPI rank(s).")
    L.append("")
    L.append("- **Equal budgets**: B·N spin updates per read for B in the ladder of the "
             "instance family; sa and ceas run B sweeps, sb-ballistic / sb-discrete / analog "
             f"B time steps (n oscillator updates each), pt B/{args.pt_m} sweeps of each of "
             f"its {args.pt_m} walkers.")
    L.append(f"- **Equal time**: every read gets T = {args.t_per_spin * 1e3:g} ms × N of CPU "
             f"time on one core ({args.t_per_spin * 1e3:g} s for N = 1000); the sweep counts come from each method's "
             "CPU cost per spin update measured in its largest equal-budget run on the same "
             "instance (the calibration run). The realised times are in the table.")
    L.append("- **Time** is CPU time of one core (the read's wall time scaled by the run's "
             "CPU/wall ratio): the machine has 2 cores shared with other jobs, so wall "
             "times are inflated by the load; both are in results.csv.")
    L.append(f"- **E_ref** of an instance is the lowest energy found by any run here (all "
             f"methods, phases and reads); a read **succeeds** when its best energy is within "
             f"{TOL * 100:g} % of |E_ref| (on ±J lattices, whose energies are multiples of 4 "
             "apart, that is E_ref itself" + lattice_note + "); "
             "**TTS99** = t_read ln 0.01 / ln(1 − p) (t_read if p ≥ 0.99, ∞ if p = 0, as "
             "`ceasim anneal` reports it). With "
             f"{reads} reads, p is known to ±{1 / math.sqrt(reads) / 2:.2f} at best, so TTS99 "
             "is a coarse ranking, not a precise time.")
    load = read_text(os.path.join(out, "load.txt"))
    if load:
        L.append(f"- Load average during the run (1-minute, start/end): {load}.")
    L.append("")

    # Rankings: which method ends lowest at equal time / at the largest equal budget.
    L.append("## Ranking\n")
    L.append("Per instance the methods are ranked by the median over reads of their best "
             "energy (ties share the better rank); the table gives the mean rank over the "
             "instances, the number of instances where the method is first, and its "
             "reads' total successes.\n")
    L.append("| method | equal time: mean rank | first | successes | largest equal budget: "
             "mean rank | first | successes |")
    L.append("|---|---|---|---|---|---|---|")
    ranks = {}
    for phase in ("time", "budget"):
        for ins in insts:
            cand = {}
            for r in rows:
                if r["instance"] == ins.name and r["phase"] == phase:
                    if r["method"] not in cand or r["updates_per_read"] > cand[r["method"]]["updates_per_read"]:
                        cand[r["method"]] = r
            if len(cand) < 2:
                continue
            meds = {m: r["res_median"] for m, r in cand.items()}
            for m, v in meds.items():
                rk = 1 + sum(1 for w in meds.values() if w < v - 1e-12)
                d = ranks.setdefault((phase, m), {"r": [], "first": 0, "succ": 0, "reads": 0})
                d["r"].append(rk)
                d["first"] += rk == 1
                d["succ"] += cand[m]["successes"]
                d["reads"] += cand[m]["reads"]
    for m in sorted({m for (_, m) in ranks}, key=method_key):
        cells = []
        for phase in ("time", "budget"):
            d = ranks.get((phase, m))
            if d:
                cells += [f"{np.mean(d['r']):.2f}", str(d["first"]), f"{d['succ']}/{d['reads']}"]
            else:
                cells += ["–"] * 3
        L.append(f"| {m} | " + " | ".join(cells) + " |")
    L.append("")

    # References.
    L.append("## Reference energies\n")
    L.append("| instance | N | best found E/N (method, phase) | literature e0 per spin | "
             "best found − literature |")
    L.append("|---|---|---|---|---|")
    for ins in insts:
        br = ins.best_run
        lit = "–" if math.isnan(ins.e_lit) else f"{ins.e_lit / ins.n:.5f} ({ins.lit_note})"
        diff = "–" if math.isnan(ins.e_lit) else f"{(ins.e_found - ins.e_lit) / ins.n:+.5f}"
        extra = ""
        if ins.family == "gset":
            extra = f"; cut {ins.cut(ins.e_found):.0f}"
        L.append(f"| {ins.name} | {ins.n} | {ins.e_found / ins.n:.6f}{extra} ({br['method']}, "
                 f"{br['phase']} s{br['sweeps']}) | {lit} | {diff} |")
    L.append("")
    L.append("Sources: SK, e∞ = −0.76317 (Parisi solution) with the finite-size form "
             "e0(N) = e∞ + a N^(−2/3), ω = 2/3 from S. Boettcher, Eur. Phys. J. B 46, 501 (2005) "
             "(arXiv:cond-mat/0407130, extremal optimisation on ±J SK up to N > 1000); a = 0.691 ± "
             "0.009 is our own measurement (experiments/sk_finite_size.sh: exact ground states "
             "of 400 instances per N = 12–24, best of 256 sa reads on 200 instances per "
             "N = 32–256, fit with e∞ fixed over N ≥ 24, χ²/dof = 9.3/7; e∞ left free gives "
             "−0.7631 ± 0.0008), i.e. ±0.0001 in e0(1000). e0(N) is a "
             "disorder average: single instances scatter by ~N^(−3/4) ≈ 0.006 at N = 1000. "
             "2D ±J (periodic): −1.4015 ± 0.0008, C. De Simone et al., exact ground states of "
             "grids up to 50×50 (MPI-I-96-1-004, 1996); older GA estimate −1.400 ± 0.005 "
             "(Sutton, Hunter & Jan, J. Phys. I 4, 1281 (1994)). 3D ±J (periodic): −1.7863, "
             "K. F. Pál, Physica A 223, 283 "
             "(1996), hybrid genetic algorithm; not re-verified here); for a single L = 8 "
             "instance Boettcher's extremal optimisation reaches −1.7891 with a branch-and-cut "
             "bound E ≥ −922/512 = −1.8008 (stat-phys.org, instance toruspm3-8-50). The "
             "brief's −1.7003 is not a ±J value (it is, as far as we know, Pál's Gaussian-bond "
             "figure): every 3D run here ends below it. Lattice values are L → ∞ limits; "
             "periodic L = 8–64 differ by finite-size and sample-to-sample terms of order "
             "10⁻³–10⁻².")
    L.append("")

    # G-set.
    gs = [i for i in insts if i.family == "gset"]
    L.append("## G-set\n")
    if not gs:
        # Named by its variable only: the results text names nothing outside the
        # repository.
        L.append("No G-set files: none were found in GSET_DIR "
                 "(experiments/gset/README.md says how to place them; nothing is downloaded).")
    else:
        L.append("| file | n | best cut found (method, phase) | best known | gap |")
        L.append("|---|---|---|---|---|")
        for ins in gs:
            bk = "unknown name" if ins.gset_cut is None else str(ins.gset_cut)
            gap = "–" if ins.gset_cut is None else f"{(ins.gset_cut - ins.cut(ins.e_found)) / ins.gset_cut * 100:.2f} %"
            if ins.gset_cut is not None and ins.cut(ins.e_found) > ins.gset_cut:
                gap += " (above the best known: is the file really the standard graph?)"
            L.append(f"| {ins.name[5:]} | {ins.n} | {ins.cut(ins.e_found):.0f} "
                     f"({ins.best_run['method']}) | {bk} | {gap} |")
        # Every method's cuts at equal time: best and median over the reads' best
        # states, and the time to target of the table further down.
        tms = sorted({r["method"] for ins in gs for r in ins.runs if r["phase"] == "time"},
                     key=method_key)
        if tms:
            L.append("")
            L.append("Cut per method at equal time (T = "
                     f"{args.t_per_spin * 1e3:g} ms × N of CPU per read): best / median over "
                     f"the {reads} reads, then TTS99 (CPU) to within {TOL * 100:g} % of "
                     "|E_ref| in energy (E_ref: the best-known cut, or a better one found).\n")
            L.append("| graph | best known | " + " | ".join(tms) + " |")
            L.append("|---|---" + "|---" * len(tms) + "|")
            for ins in gs:
                cells = []
                for m in tms:
                    run = [r for r in ins.runs if r["phase"] == "time" and r["method"] == m]
                    if not run:
                        cells.append("–")
                        continue
                    cuts = ins.cut(run[0]["best"])
                    row = summarize(ins, run[0])
                    cells.append(f"{cuts.max():.0f} / {np.median(cuts):.0f}, "
                                 f"{fmt_t(row['tts99_cpu'])}")
                bk = "–" if ins.gset_cut is None else str(ins.gset_cut)
                L.append(f"| {ins.name[5:]} | {bk} | " + " | ".join(cells) + " |")
    L.append("")

    # Equal budgets.
    L.append("## Equal spin-update budgets\n")
    L.append("Per instance: for each budget B (sweep equivalents per read), the best and the "
             "median over reads of (E − E_ref)/N, and the success probability p; then the "
             "CPU cost per spin update and TTS99 (CPU) at the largest budget.")
    for ins in insts:
        brs = [r for r in budget_rows if r["instance"] == ins.name]
        if not brs:
            continue
        # pt's B/M sweeps are rounded: file it under the nearest budget of the others.
        budgets = sorted({r["updates_per_read"] / ins.n for r in brs if r["method"] != "pt"}) or \
            sorted({r["updates_per_read"] / ins.n for r in brs})

        def nominal(r):
            b = r["updates_per_read"] / ins.n
            return min(budgets, key=lambda x: abs(math.log(x / b)))
        L.append(f"\n**{ins.name}** (N = {ins.n}, E_ref/N = {ins.e_ref / ins.n:.6f})\n")
        hdr = "| method | " + " | ".join(f"B = {b:.0f}: best / median, p" for b in budgets) + \
              " | ns/update (CPU) | t_read at max B | TTS99 at max B |"
        L.append(hdr)
        L.append("|---" * (len(budgets) + 4) + "|")
        for m in sorted({r["method"] for r in brs}, key=method_key):
            cells = []
            last = None
            for b in budgets:
                c = [r for r in brs if r["method"] == m and nominal(r) == b]
                if not c:
                    cells.append("–")
                    continue
                r = c[0]
                last = r
                cells.append(f"{fmt_res(r['res_min'])} / {fmt_res(r['res_median'])}, "
                             f"{r['successes']}/{r['reads']}")
            label = m if last["kernel"] == "fields" else f"{m} ({last['kernel']})"
            L.append(f"| {label} | " + " | ".join(cells) + f" | {last['ns_update_cpu']:.1f} | "
                     f"{fmt_t(last['t_read_cpu'])} | {fmt_t(last['tts99_cpu'])} |")
    L.append("")
    L.append(f"(pt runs round(B/{args.pt_m}) sweeps per walker, at least 1, and is filed under "
             "the nearest B.)")
    L.append("")

    # Equal time.
    trs = [r for r in rows if r["phase"] == "time"]
    L.append("## Equal time\n")
    L.append(f"T = {args.t_per_spin * 1e3:g} ms × N of CPU per read. Cells: sweeps (or steps; pt: "
             "per walker) / realised CPU seconds per read / median (E − E_ref)/N / p.\n")
    ms = sorted({r["method"] for r in trs}, key=method_key)
    L.append("| instance | T | " + " | ".join(ms) + " |")
    L.append("|---|---" + "|---" * len(ms) + "|")
    for ins in insts:
        cells = []
        for m in ms:
            c = [r for r in trs if r["instance"] == ins.name and r["method"] == m]
            if not c:
                cells.append("–")
                continue
            r = c[0]
            cells.append(f"{r['sweeps']} / {r['t_read_cpu']:.2f} s / {fmt_res(r['res_median'])} / "
                         f"{r['successes']}/{r['reads']}")
        if any(c != "–" for c in cells):
            L.append(f"| {ins.name} | {args.t_per_spin * ins.n:.2g} s | " + " | ".join(cells) + " |")
    L.append("")
    L.append("### Time to target (TTS99, CPU seconds, equal-time runs; in brackets the "
             "median CPU time at which successful reads first held the target, from the "
             "energy traces)\n")
    L.append("| instance | " + " | ".join(ms) + " |")
    L.append("|---" + "|---" * len(ms) + "|")
    for ins in insts:
        cells = []
        for m in ms:
            c = [r for r in trs if r["instance"] == ins.name and r["method"] == m]
            if not c:
                cells.append("–")
                continue
            r = c[0]
            s = fmt_t(r["tts99_cpu"])
            if r["ttt_reads"]:
                s += f" ({fmt_t(r['ttt_cpu_median'])})"
            cells.append(s)
        if any(c != "–" for c in cells):
            L.append(f"| {ins.name} | " + " | ".join(cells) + " |")
    L.append("")

    # Speed reference.
    srs = [r for r in rows if r["phase"] == "speed"]
    L.append("## Speed reference (issue 7): dense SK N = 1000, 10 reads × 10⁴ sweeps\n")
    if not srs:
        L.append("Not run (SPEED_SEEDS empty).")
    else:
        L.append("D-Wave's SA core on this job is measured side by side by "
                 "`bench/dwave_sa_side_by_side.sh` (its results: docs/anneal.md, 'Side by side "
                 "with D-Wave's SA core'), not here. sb runs the same number of time steps. "
                 "Runs one at a time; 'to E_ref' is the median CPU time at which a read first "
                 "held E ≤ E_ref + 0.1 % (reads that got there / all).\n")
        L.append("| instance | method | best E/N | (best − E_ref)/N | wall | CPU | CPU ns/update | "
                 "to E_ref (reads) |")
        L.append("|---|---|---|---|---|---|---|---|")
        for r in sorted(srs, key=lambda r: (r["instance"], method_key(r["method"]))):
            ins = next(i for i in insts if i.name == r["instance"])
            run = next(x for x in ins.runs if x["phase"] == "speed" and x["method"] == r["method"])
            cpu = run["cpu_total"]
            ttt = f"{fmt_t(r['ttt_cpu_median'])} ({r['ttt_reads']}/{r['reads']})" if r["ttt_reads"] else f"– (0/{r['reads']})"
            L.append(f"| {r['instance']} | {r['method']} | {r['best_e_per_spin']:.6f} | "
                     f"{fmt_res(r['res_min'])} | {run['wall_total']:.2f} s | {cpu:.2f} s | "
                     f"{r['ns_update_cpu']:.1f} | {ttt} |")
    L.append("")
    L.append("## Plots\n")
    L.append("![summary](img/anneal_benchmark_summary.png)\n")
    L.append("Per instance (x: CPU seconds per read; y: (E − E_ref)/N of the reads' best "
             "states, median with min–max bars over the equal-budget ladder; stars: "
             "equal-time runs; thin lines: median running best along the largest "
             "equal-budget run, from the energy traces; pt's trace is the lowest energy over "
             "its walkers):\n")
    for ins in insts:
        if any(r["phase"] in ("budget", "time") for r in ins.runs):
            L.append(f"![{ins.name}](img/anneal_benchmark_{ins.name}.png)")
    L.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan-time")
    p.add_argument("out")
    p.add_argument("--t-per-spin", type=float, required=True)
    p.add_argument("--methods", default=" ".join(METHOD_ORDER))
    p.add_argument("--pt-np", type=int, default=1)
    a = sub.add_parser("analyze")
    a.add_argument("out")
    a.add_argument("--t-per-spin", type=float, required=True)
    a.add_argument("--pt-np", type=int, default=1)
    a.add_argument("--pt-m", type=int, default=16)
    a.add_argument("--reads", type=int, default=5)
    a.add_argument("--quick", action="store_true")
    a.add_argument("--notes-from", help="carry the findings block of this markdown file over")
    args = ap.parse_args()
    if args.cmd == "plan-time":
        plan_time(args)
    else:
        analyze(args)


if __name__ == "__main__":
    main()
