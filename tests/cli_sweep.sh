#!/usr/bin/env bash
# ceasim sweep: results do not depend on the number of MPI ranks, and the files
# of a sweep describe themselves.
#
#  - the same sweep on 1 rank (no mpirun), 2 and 3 ranks: the same task files,
#    bitwise equal /timeseries, /observables and attributes (command_line
#    aside), equal summary.h5 columns; ising2d (Wolff), ising3d (Swendsen-Wang)
#    and a graph from an edge list (Metropolis with fields), 1 vs 2 ranks;
#  - a sweep task is the `ceasim run` with the task's stream: bitwise the same;
#    replicas get distinct streams and distinct chains;
#  - attributes: ceasim_version and command_line in task files, sweep.h5 and
#    summary.h5; task files carry replica and task; sweep.h5 holds the grid.
#
# usage: bash tests/cli_sweep.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# ---- ising2d, Wolff: 1, 2 and 3 ranks ---------------------------------------------
G2=(sweep --model ising2d --L 8,12 --beta 0.40:0.46:3 --replicas 2 --algo wolff
  --sweeps 1500 --therm 200 --seed 11 --no-analysis --quiet)
# Independent runs go two at a time (half of a short run is MPI start-up).
run1 r1 "${G2[@]}" --out r1 &
runmpi 2 r2 "${G2[@]}" --out r2
wait
runmpi 3 r3 "${G2[@]}" --out r3
check_run r1 "ising2d, 1 rank"
if [ -s "$WORK/r1.err" ]; then not_ok "ising2d, 1 rank: --quiet leaves stderr empty" "$(why r1)"; else ok "ising2d, 1 rank: --quiet leaves stderr empty"; fi
# --quiet: stdout is one line that says what ran and names summary.h5.
if [ "$(wc -l <"$WORK/r1.out")" -eq 1 ] &&
  grep -qx "sweep complete: 12 tasks run, 0 were already done, .* on 1 rank; r1/summary.h5 (12 tasks)" "$WORK/r1.out"; then
  ok "ising2d, 1 rank: stdout is one line: 12 tasks run on 1 rank, names summary.h5"
else
  not_ok "ising2d, 1 rank: stdout is one line: 12 tasks run on 1 rank, names summary.h5" "$(tr '\n' '|' <"$WORK/r1.out")"
fi
for np in 2 3; do
  check_run "r$np" "ising2d, mpirun -np $np"
  if grep -q "^sweep complete: 12 tasks run, 0 were already done, .* on $np ranks; r$np/summary.h5 (12 tasks)$" "$WORK/r$np.out"; then
    ok "ising2d, mpirun -np $np: stdout says 12 tasks run on $np ranks"
  else
    not_ok "ising2d, mpirun -np $np: stdout says 12 tasks run on $np ranks" "$(tr '\n' '|' <"$WORK/r$np.out")"
  fi
done
py_cmp "ising2d wolff, 1 vs 2 ranks" "$WORK/r1" "$WORK/r2"
py_cmp "ising2d wolff, 1 vs 3 ranks" "$WORK/r1" "$WORK/r3"
if [ "$(list_dir "$WORK/r1")" = "$(list_dir "$WORK/r2")" ] && [ "$(list_dir "$WORK/r1")" = "$(list_dir "$WORK/r3")" ] &&
  [ -z "$(list_dir "$WORK/r1/checkpoints")$(list_dir "$WORK/r2/checkpoints")$(list_dir "$WORK/r3/checkpoints")" ]; then
  ok "ising2d: the three sweep directories hold the same entries, checkpoints/ empty"
else
  not_ok "ising2d: the three sweep directories hold the same entries, checkpoints/ empty" \
    "$(list_dir "$WORK/r1" | tr '\n' ' ')/ $(list_dir "$WORK/r3" | tr '\n' ' ')/ $(find "$WORK"/r*/checkpoints -mindepth 1 | tr '\n' ' ')"
fi

# ---- ising3d, Swendsen-Wang: 1 vs 2 ranks ------------------------------------------
G3=(sweep --model ising3d --L 4,6 --beta 0.20:0.24:2 --replicas 2 --algo sw
  --sweeps 1000 --therm 100 --seed 3 --measure-every 2 --no-analysis --quiet)
run1 t1 "${G3[@]}" --out t1 &
runmpi 2 t2 "${G3[@]}" --out t2
wait
check_run t1 "ising3d, 1 rank"
check_run t2 "ising3d, mpirun -np 2"
py_cmp "ising3d sw, 1 vs 2 ranks" "$WORK/t1" "$WORK/t2"

# ---- graph from an edge list, Metropolis with fields: 1 vs 2 ranks -----------------
cat >"$WORK/ring.txt" <<'EOF'
# 20-spin ring with chords, mixed signs, a few fields
n 20
0 1 1.0
1 2 0.8
2 3 1.1
3 4 -0.4
4 5 1.0
5 6 0.9
6 7 1.2
7 8 1.0
8 9 -0.7
9 10 1.0
10 11 0.6
11 12 1.0
12 13 1.3
13 14 1.0
14 15 -0.2
15 16 1.0
16 17 0.5
17 18 1.0
18 19 1.0
19 0 0.9
0 10 0.3
5 15 -0.6
3 17 0.4
h 2 0.25
h 11 -0.1
EOF
GG=(sweep --model graph --couplings ring.txt --beta 0.3,0.5 --replicas 3 --algo metropolis
  --h 0.05 --sweeps 1000 --therm 100 --seed 5 --no-analysis --quiet)
run1 g1 "${GG[@]}" --out g1 &
runmpi 2 g2 "${GG[@]}" --out g2
wait
check_run g1 "graph, 1 rank"
check_run g2 "graph, mpirun -np 2"
py_cmp "graph metropolis, 1 vs 2 ranks" "$WORK/g1" "$WORK/g2"

# ---- streams, `ceasim run` equivalence, attributes ---------------------------------
VERSION="$("$CEASIM" --version | cut -d' ' -f2)"
py_checks "sweep files" "$CEASIM" "$WORK" "$VERSION" "${G2[*]}" "${GG[*]}" <<'EOF'
import os
import subprocess
import sys

import h5py
import numpy as np

from chk import ok, text
import sweepcmp

CEASIM, WORK, VERSION, G2, GG = sys.argv[1:6]
G2, GG = G2.split(), GG.split()


def task_path(d, n):
    return os.path.join(WORK, d, "tasks", n)


# Distinct streams and chains for distinct tasks.
for d, want in (("r1", 12), ("g1", 6)):
    names = sweepcmp.task_names(os.path.join(WORK, d))
    streams, series = [], []
    for n in names:
        with h5py.File(task_path(d, n), "r") as f:
            streams.append(int(f.attrs["stream"]))
            series.append(f["timeseries/energy"][()].tobytes())
    ok(len(names) == want and len(set(streams)) == want,
       f"{d}: {want} task files with {want} distinct streams", f"{len(names)} files, {len(set(streams))} streams")
    ok(len(set(series)) == want, f"{d}: every task (replicas included) has its own energy series")

# A task is the `ceasim run` with its stream: bitwise.
for d, n, model_args in (("r1", "L0012_beta0.43000000_r001.h5", ["--L", "12"]),
                         ("g1", "graph_n000020_beta0.50000000_r002.h5", ["--couplings", "ring.txt"])):
    p = task_path(d, n)
    with h5py.File(p, "r") as f:
        a = f.attrs
        args = ["run", "--model", text(a["model"])] + model_args + [
            "--beta", repr(float(a["beta"])), "--algo", text(a["algo"]), "--sweeps", str(int(a["sweeps"])),
            "--therm", str(int(a["therm"])), "--seed", str(int(a["seed"])), "--stream", str(int(a["stream"])),
            "--h", repr(float(a["h"])), "--quiet", "--out", f"run_{d}.h5"]
    r = subprocess.run([CEASIM] + args, cwd=WORK, capture_output=True, stdin=subprocess.DEVNULL)
    if not ok(r.returncode == 0, f"{d}/{n}: `ceasim run` with the task's stream runs", r.stderr.decode()[:300]):
        continue
    # The run file lacks only the sweep's own attributes replica and task.
    with h5py.File(p, "r") as f, h5py.File(os.path.join(WORK, f"run_{d}.h5"), "r") as g:
        extra = sorted(set(f.attrs) - set(g.attrs))
        ok(extra == ["replica", "task"], f"{d}/{n}: the task file has exactly replica and task beyond a run file's attributes", f"{extra}")
    tmp = os.path.join(WORK, f"run_{d}_cmp.h5")
    with h5py.File(p, "r") as f, h5py.File(tmp, "w") as g:
        for k in f:
            f.copy(k, g)
        for k, v in f.attrs.items():
            if k not in ("replica", "task"):
                g.attrs[k] = v
    w = sweepcmp.diff_task(tmp, os.path.join(WORK, f"run_{d}.h5"))
    ok(w is None, f"{d}/{n}: bitwise the `ceasim run` of the same parameters and stream", w or "")

# Attributes of the files of a sweep.
SW_ATTRS = {"model": "ising2d", "algo": "wolff", "seed": 11, "sweeps": 1500, "therm": 200,
            "measure_every": 1, "h": 0.0, "init": "hot", "wolff_clusters": 0, "replicas": 2,
            "couplings": ""}
betas = [0.40 + (0.46 - 0.40) * i / 2 for i in range(3)]
for d, cmd in (("r1", [CEASIM] + G2 + ["--out", "r1"]), ("r2", [CEASIM] + G2 + ["--out", "r2"])):
    cl = " ".join(cmd)
    names = sweepcmp.task_names(os.path.join(WORK, d))
    bad = []
    for n in names:
        with h5py.File(task_path(d, n), "r") as f:
            a = f.attrs
            stem = n[:-3]
            want = {"ceasim_version": VERSION, "command_line": cl, "task": stem}
            for k, v in want.items():
                if k not in a or text(a[k]) != v:
                    bad.append(f"{n}: {k} = {a.get(k)!r}, expected {v!r}")
            r = a.get("replica")
            if r is None or not np.issubdtype(np.asarray(r).dtype, np.integer) or f"_r{int(r):03d}" not in stem:
                bad.append(f"{n}: replica = {r!r}")
            if f"L{int(a['L']):04d}_beta{float(a['beta']):.8f}_" not in stem:
                bad.append(f"{n}: L {a['L']!r} / beta {a['beta']!r} do not match the name")
    ok(not bad, f"{d}: every task file has ceasim_version, command_line (this sweep's), "
       "an integer replica and task = its name, L and beta as in its name", "; ".join(bad[:3]))
    with h5py.File(os.path.join(WORK, d, "sweep.h5"), "r") as f:
        a = f.attrs
        bad = [f"ceasim_version {a.get('ceasim_version')!r}"] if text(a.get("ceasim_version", "")) != VERSION else []
        if text(a.get("command_line", "")) != cl:
            bad.append(f"command_line {a.get('command_line')!r}")
        for k, v in SW_ATTRS.items():
            if k not in a:
                bad.append(f"{k} missing")
            elif (text(a[k]) if isinstance(v, str) else a[k]) != v:
                bad.append(f"{k} = {a[k]!r}, expected {v!r}")
        if "checkpoint_every" not in a:
            bad.append("checkpoint_every missing")
        ok(not bad, f"{d}/sweep.h5: ceasim_version, command_line and the task parameters as attributes", "; ".join(bad))
        ok("L" in f and list(f["L"][()]) == [8, 12] and "beta" in f and
           sweepcmp.same_value(f["beta"][()], np.array(betas)),
           f"{d}/sweep.h5: datasets L = [8, 12] and beta = the 3 grid points (bitwise)",
           f"{f['L'][()] if 'L' in f else None} {f['beta'][()] if 'beta' in f else None}")
    with h5py.File(os.path.join(WORK, d, "summary.h5"), "r") as f:
        a = f.attrs
        ok(text(a.get("ceasim_version", "")) == VERSION and text(a.get("command_line", "")) == cl,
           f"{d}/summary.h5: ceasim_version and command_line (this sweep's)",
           f"{a.get('ceasim_version')!r} {a.get('command_line')!r}")
        ok(int(a.get("n_tasks", -1)) == 12 and int(a.get("n_damaged", -1)) == 0,
           f"{d}/summary.h5: n_tasks = 12, n_damaged = 0", f"{dict(a)}")
        keys = list(zip(f["L"][()], f["beta"][()], f["replica"][()]))
        ok(keys == sorted(keys) and len(set(keys)) == 12,
           f"{d}/summary.h5: 12 distinct rows sorted by (L, beta, replica)", f"{keys}")

# The graph sweep: task names and the couplings attribute.
with h5py.File(os.path.join(WORK, "g1", "sweep.h5"), "r") as f:
    ok(text(f.attrs.get("model", "")) == "graph" and text(f.attrs.get("couplings", "")) == "ring.txt"
       and f["L"][()].tolist() == [20.0],
       "g1/sweep.h5: model graph, couplings = ring.txt, L dataset = [n] = [20]",
       f"{dict(f.attrs)} L {f['L'].shape if 'L' in f else None}")
names = sweepcmp.task_names(os.path.join(WORK, "g1"))
want = [f"graph_n000020_beta{b:.8f}_r{r:03d}.h5" for b in (0.3, 0.5) for r in range(3)]
ok(names == sorted(want), "g1: task files graph_n<n>_beta<beta>_r<replica>.h5", f"{names}")
EOF

# --quiet with the analysis (r1 again: every task done, so only analyze and the plots
# run): one line on stdout naming what was written, nothing on stderr (the analysis
# notes stay in analysis.h5), the files there.
G2A=()
for x in "${G2[@]}"; do [ "$x" = --no-analysis ] || G2A+=("$x"); done
run1 qa "${G2A[@]}" --out r1
check_run qa "sweep --quiet with the analysis"
if [ ! -s "$WORK/qa.err" ] && [ "$(wc -l <"$WORK/qa.out")" -eq 1 ] &&
  grep -qx "sweep complete: 0 tasks run, 12 were already done, .* on 1 rank; r1/summary.h5 (12 tasks), analysis.h5, plots/" "$WORK/qa.out" &&
  [ -s "$WORK/r1/analysis.h5" ] && [ -s "$WORK/r1/plots/binder.png" ]; then
  ok "sweep --quiet with the analysis: one line on stdout, stderr empty, analysis.h5 and plots written"
else
  not_ok "sweep --quiet with the analysis: one line on stdout, stderr empty, analysis.h5 and plots written" \
    "stdout: $(tr '\n' '|' <"$WORK/qa.out") stderr: $(head -c 400 "$WORK/qa.err" | tr '\n' '|')"
fi

# Nothing left behind.
left="$(find "$WORK"/r1 "$WORK"/r2 "$WORK"/r3 "$WORK"/t1 "$WORK"/t2 "$WORK"/g1 "$WORK"/g2 -name '.*' 2>/dev/null | head -n 3)"
if [ -z "$left" ]; then ok "no temporary files left in any sweep directory"; else not_ok "no temporary files left in any sweep directory" "$left"; fi

cli_finish
