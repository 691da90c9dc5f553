#!/usr/bin/env python3
"""Markdown table of `ceasim bench --out FILE` results (JSON or HDF5).

usage: bench/table.py results.json [more.json ...]

One row per (model, L, kernel) in file order: instruction set, wavefront depth,
flip attempts per ns and the ratio to the plain Metropolis of the same run, by
wall-clock time (what `ceasim bench` prints) and by the thread's CPU time (which
leaves out time other processes held the core on a shared machine).

Files of `ceasim bench --tau` (mode "tau") give the statistical-efficiency table
instead: tau_int(|m|) in sweeps with its error, the production length in units of
tau, n_eff, how many independent chains the replicas were worth, independent
samples per second and per CPU second with their ratios to Metropolis, and
whether the run converged (>= 20 tau discarded, >= 100 tau measured).
"""
import argparse
import json
import sys


def load(path):
    if path.endswith(".json"):
        with open(path) as f:
            d = json.load(f)
        return d, d["results"]
    import h5py

    def plain(v):
        return v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v

    with h5py.File(path, "r") as f:
        d = {k: plain(v) for k, v in f.attrs.items()}
        res = [{k: plain(v) for k, v in f["results"][name].attrs.items()}
               for name in sorted(f["results"])]
    return d, res


def fmt(x, digits=3):
    """Significant digits, without exponents for the sizes in these tables."""
    if x != x:
        return "nan"
    if abs(x) >= 10 ** digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def tau_table(files):
    print("| model | L | kernel | measure every | tau_int(\\|m\\|) [sweeps] | run [tau] "
          "| n_eff | replicas worth | indep/s | x metropolis | indep/CPU s "
          "| x metropolis (CPU) | converged |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | --- |")
    for path in files:
        meta, res = load(path)
        for r in res:
            how = "" if r["n_eff_method"] == "binned" else " (tau)"
            # Relative error of n_eff: binned chi-square or the tau estimate's.
            rel = r["n_eff_rel_err"] if r["n_eff_method"] == "binned" else \
                r["tau_int_estimator_err"] / r["tau_int_estimator"]
            print(f"| {r['model']} | {r['L']} | {r['algo']} | {r['measure_every']} | "
                  f"{fmt(r['tau_int_abs_m'])} ± {fmt(r['tau_int_abs_m_err'], 2)} | "
                  f"{r['run_taus']:.0f} | {fmt(r['n_eff'])} ± {100 * rel:.0f} %{how} | "
                  f"{fmt(r['replicas_worth'])} | {fmt(r['indep_per_s'])} | "
                  f"{fmt(r['ratio_to_metropolis'])} | {fmt(r['indep_per_cpu_s'])} | "
                  f"{fmt(r['ratio_to_metropolis_cpu'])} | "
                  f"{'yes' if r['converged'] else '**no**'} |")
        print(f"\n<!-- {path}: ceasim {meta['ceasim_version']}, {meta['cpu']}, "
              f"at most {meta['seconds_per_kernel']} s per kernel: "
              f"{meta['command_line']} -->", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    modes = {load(p)[0].get("mode", "flips") for p in args.files}
    if len(modes) > 1:
        sys.exit("bench/table.py: mixing --tau and flips/ns files; give one kind at a time")
    if modes == {"tau"}:
        tau_table(args.files)
        return
    print("| model | L | kernel | isa | depth | flips/ns | x metropolis "
          "| flips/ns (CPU time) | x metropolis (CPU time) |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for path in args.files:
        meta, res = load(path)
        plain = None
        for r in res:
            depth = r["depth"] if r["algo"] != "metropolis" else "-"
            cpu = r.get("flips_per_cpu_ns", float("nan"))
            if r["algo"] == "metropolis":
                plain = cpu
            print(f"| {r['model']} | {r['L']} | {r['algo']} | {r['isa']} | {depth} | "
                  f"{r['flips_per_ns']:.3f} | {r['ratio_to_metropolis']:.1f} | "
                  f"{cpu:.3f} | {cpu / plain:.1f} |")
        print(f"\n<!-- {path}: ceasim {meta['ceasim_version']}, {meta['cpu']}, "
              f"{meta['seconds_per_kernel']} s per kernel: {meta['command_line']} -->",
              file=sys.stderr)


if __name__ == "__main__":
    main()
