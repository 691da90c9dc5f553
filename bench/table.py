#!/usr/bin/env python3
"""Markdown table of `ceasim bench --out FILE` results (JSON or HDF5).

usage: bench/table.py results.json [more.json ...]

One row per (model, L, kernel) in file order: instruction set, wavefront depth,
flip attempts per ns and the ratio to the plain Metropolis of the same run, by
wall-clock time (what `ceasim bench` prints) and by the thread's CPU time (which
leaves out time other processes held the core on a shared machine).
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
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
