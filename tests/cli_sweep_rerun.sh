#!/usr/bin/env bash
# ceasim sweep into an existing directory, and ceasim collect.
#
#  - a different --algo, --seed, --sweeps or --h: exit 2, one line naming the
#    parameter and both values, the directory untouched;
#  - the identical command runs 0 tasks ("already done") and leaves the task
#    files alone; more betas, then more replicas, run only the new tasks, the
#    old task files stay bitwise as they were, and the result is bitwise a
#    fresh sweep of the larger grid (also when a finer beta range is laid over
#    a coarser one);
#  - --force starts afresh: all old tasks gone, the new ones are a fresh sweep;
#  - collect with damaged task files (truncated, overwritten with garbage,
#    text named *.h5, empty, HDF5 that is no task) and temporaries: exit 0, one
#    warning naming each damaged file, summary.h5 with n_tasks and n_damaged,
#    rows sorted by (L, beta, replica) equal to the task files' /observables.
#
# usage: bash tests/cli_sweep_rerun.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

B=(sweep --L 8,12 --replicas 2 --algo metropolis --sweeps 1000 --therm 100 --seed 41
  --no-analysis --quiet)
R=(sweep --L 8 --sweeps 300 --therm 20 --seed 43 --no-analysis --quiet)
# The fresh sweeps to compare with are independent: they run alongside.
(
  run1 fresh "${B[@]}" --beta 0.40:0.46:5 --replicas 3 --out fresh
  run1 f42 "${B[@]}" --beta 0.40:0.46:3 --seed 42 --out f42
  run1 q2 "${R[@]}" --beta 0.40:0.46:16 --out qfresh
) &
FRESH_PID=$!
run1 m0 "${B[@]}" --beta 0.40:0.46:3 --out m
check_run m0 "first sweep (12 tasks)"
snap0="$(snapshot "$WORK/m")"

# ---- parameter mismatch ---------------------------------------------------------------
# option value % attribute % old value % new value as printed
MM=("--algo wolff%algo%metropolis%wolff" "--seed 42%seed%41%42" "--sweeps 1200%sweeps%1000%1200"
  "--h 0.5%h%0%0.5")
i=0
pids=()
for c in "${MM[@]}"; do
  IFS='%' read -r opt _ _ _ <<<"$c"
  read -ra o <<<"$opt"
  # the option comes last: it overrides the one in B. Each on its own copy of m:
  # one directory holds one sweep at a time (its lock), and the four run at once.
  rm -rf "$WORK/m_mm$i" && cp -a "$WORK/m" "$WORK/m_mm$i"
  run1 "mm$i" "${B[@]}" --beta 0.40:0.46:3 --out "m_mm$i" "${o[@]}" &
  pids+=($!)
  i=$((i + 1))
done
wait "${pids[@]}"
i=0
for c in "${MM[@]}"; do
  IFS='%' read -r opt name old new <<<"$c"
  tag="mm$i"
  i=$((i + 1))
  line="$(first_err "$tag")"
  if [ "$(rc_of "$tag")" = 2 ] && [ "$(err_lines "$tag")" = 1 ] &&
    grep -Eq -- "^ceasim: .*\\b$name\\b.*\\b$old\\b.*\\b$new\\b" <<<"$line"; then
    ok "rerun with $opt: exit 2, one line: $line"
  else
    not_ok "rerun with $opt: exit 2, one line naming $name, $old and $new" "$(why "$tag")"
  fi
done
touched=""
for ((j = 0; j < i; j++)); do
  if [ "$snap0" != "$(snapshot "$WORK/m_mm$j")" ]; then touched="$touched m_mm$j"; fi
done
if [ -z "$touched" ]; then
  ok "the refused reruns left their sweep directories untouched (every file's size, mtime, sha256)"
else
  not_ok "the refused reruns left their sweep directories untouched" "changed:$touched"
fi

# ---- the same command again -----------------------------------------------------------
tasks_snap() { snapshot "$WORK/$1/tasks"; }
t0="$(tasks_snap m)"
run1 m1 "${B[@]}" --beta 0.40:0.46:3 --out m
check_run m1 "the identical command again"
if grep -q "^sweep complete: 0 tasks run, 12 were already done" "$WORK/m1.out"; then
  ok "the identical command runs 0 tasks, 12 already done"
else
  not_ok "the identical command runs 0 tasks, 12 already done" "$(tr '\n' '|' <"$WORK/m1.out")"
fi
if [ "$t0" = "$(tasks_snap m)" ]; then ok "the identical command left the task files alone"; else not_ok "the identical command left the task files alone"; fi

# ---- more betas, then more replicas ----------------------------------------------------
run1 m2 "${B[@]}" --beta 0.40:0.46:5 --out m
check_run m2 "extended to --beta 0.40:0.46:5"
if grep -q "^sweep complete: 8 tasks run, 12 were already done" "$WORK/m2.out"; then
  ok "--beta 0.40:0.46:5 runs only the 8 new tasks"
else
  not_ok "--beta 0.40:0.46:5 runs only the 8 new tasks" "$(tr '\n' '|' <"$WORK/m2.out")"
fi
run1 m3 "${B[@]}" --beta 0.40:0.46:5 --replicas 3 --out m
check_run m3 "extended to --replicas 3"
if grep -q "^sweep complete: 10 tasks run, 20 were already done" "$WORK/m3.out"; then
  ok "--replicas 3 runs only the 10 new tasks"
else
  not_ok "--replicas 3 runs only the 10 new tasks" "$(tr '\n' '|' <"$WORK/m3.out")"
fi
py_checks "old task files" "$t0" "$(tasks_snap m)" <<'EOF'
import sys

from chk import ok

before = {l.split()[0]: l for l in sys.argv[1].splitlines() if l.startswith("./") and len(l.split()) == 4}
after = {l.split()[0]: l for l in sys.argv[2].splitlines() if l.startswith("./") and len(l.split()) == 4}
changed = [k for k in before if after.get(k) != before[k]]
ok(len(before) == 12 and not changed,
   "extending the grid left the 12 old task files bitwise as they were (size, mtime, sha256)", f"{changed}")
ok(len(after) == 30, "the extended sweep holds 2 x 5 x 3 = 30 task files", f"{len(after)}")
EOF
wait "$FRESH_PID"
check_run fresh "a fresh sweep of the extended grid"
py_cmp "extended twice vs fresh sweep of the larger grid" "$WORK/fresh" "$WORK/m"

# A finer range over a coarser one: 0.40:0.46:16 contains the points of
# 0.40:0.46:6 to 8 decimals (the task names), but 0.40 + 0.06*3/5 = 0.436 and
# 0.40 + 0.06*9/15 = 0.43600000000000005 differ in the last bit.
# BUG: the task named ..._beta0.43600000_... is taken as done although its beta
# (and so its stream) is not the one a fresh sweep of 0.40:0.46:16 uses: the
# extended sweep is not the fresh one (and a pending checkpoint of that task is
# refused: "checkpoint belongs to another task (beta differs)"). Fails until fixed.
run1 q0 "${R[@]}" --beta 0.40:0.46:6 --out q
run1 q1 "${R[@]}" --beta 0.40:0.46:16 --out q
check_run q1 "0.40:0.46:6 refined to 0.40:0.46:16"
py_cmp "0.40:0.46:6 refined to 0.40:0.46:16 vs a fresh 0.40:0.46:16" "$WORK/qfresh" "$WORK/q" --no-summary

# ---- --force --------------------------------------------------------------------------
run1 m4 "${B[@]}" --beta 0.40:0.46:3 --seed 42 --force --out m
check_run m4 "--seed 42 --force"
if grep -q "^sweep complete: 12 tasks run, 0 were already done" "$WORK/m4.out"; then
  ok "--force runs all 12 tasks afresh"
else
  not_ok "--force runs all 12 tasks afresh" "$(tr '\n' '|' <"$WORK/m4.out")"
fi
py_cmp "--force vs a fresh sweep with --seed 42 (no old task left)" "$WORK/f42" "$WORK/m"
py_checks "force" "$WORK/m" <<'EOF'
import os
import sys

import h5py

from chk import ok

d = sys.argv[1]
with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
    ok(int(f.attrs["seed"]) == 42 and int(f.attrs["replicas"]) == 2 and list(f["beta"][()]) == [0.4, 0.40 + 0.06 / 2, 0.46],
       "--force: sweep.h5 describes the new sweep (seed 42, 2 replicas, 3 betas)")
EOF
run1 m5 "${B[@]}" --beta 0.40:0.46:3 --out m
if [ "$(rc_of m5)" = 2 ] && grep -q "seed = 42, this one 41" "$WORK/m5.err"; then
  ok "after --force the directory belongs to the new parameters (the old command is refused)"
else
  not_ok "after --force the directory belongs to the new parameters (the old command is refused)" "$(why m5)"
fi

# ---- collect ------------------------------------------------------------------------------
cp -a "$WORK/f42" "$WORK/col"
py_checks "damage" "$WORK/col/tasks" <<'EOF'
import os
import sys

import h5py

t = sys.argv[1]
names = sorted(x for x in os.listdir(t) if x.endswith(".h5"))
p = os.path.join(t, names[3])
os.truncate(p, os.path.getsize(p) // 2)                 # truncated
p = os.path.join(t, names[7])
n = os.path.getsize(p)
with open(p, "wb") as f:                                # garbage, same size
    f.write(bytes((i * 131 + 7) % 256 for i in range(n)))
with open(os.path.join(t, "junk.h5"), "w") as f:        # text named *.h5
    f.write("this is not HDF5\n")
open(os.path.join(t, "empty.h5"), "w").close()          # empty
with h5py.File(os.path.join(t, "notatask.h5"), "w") as f:  # HDF5, but no task
    f["x"] = [1.0, 2.0]
with open(os.path.join(t, ".L0008_beta0.40000000_r000.h5.tmp.4242"), "wb") as f:
    f.write(b"\x89HDF\r\n\x1a\n half written")           # a temporary: ignored
with open(os.path.join(t, "notes.txt"), "w") as f:      # not *.h5: ignored
    f.write("notes\n")
with open(os.path.join(os.path.dirname(os.path.dirname(t)), "col.damaged"), "w") as f:
    f.write("\n".join(sorted([names[3], names[7], "junk.h5", "empty.h5", "notatask.h5"])))
EOF
csnap="$(snapshot "$WORK/col/tasks")"
run1 c collect col
check_run c "collect with 5 damaged task files"
py_checks "collect" "$CEASIM" "$WORK" <<'EOF'
import math
import os
import sys

import h5py
import numpy as np

from chk import ok, text

CEASIM, WORK = sys.argv[1], sys.argv[2]
d = os.path.join(WORK, "col")
damaged = open(os.path.join(WORK, "col.damaged")).read().split("\n")
err = open(os.path.join(WORK, "c.err")).read().splitlines()
out = open(os.path.join(WORK, "c.out")).read()
ok(len(err) == 5 and all(l.startswith("ceasim: warning: ") for l in err),
   "collect: exactly 5 warning lines on stderr", f"{err}")
named = sorted(n for n in damaged if any(f"col/tasks/{n}" in l for l in err))
ok(named == sorted(damaged), "collect: each damaged file is named in a warning", f"named {named} of {damaged}")
ok(out == "col/summary.h5: 10 tasks, 5 damaged task files skipped (see warnings)\n",
   "collect: stdout 'col/summary.h5: 10 tasks, 5 damaged task files skipped (see warnings)'", repr(out))

good = sorted(x for x in os.listdir(os.path.join(d, "tasks"))
              if x.endswith(".h5") and not x.startswith(".") and x not in damaged)
OBS = ["energy", "abs_magnetization", "m2", "m4", "specific_heat", "susceptibility",
       "susceptibility_connected", "binder", "xi_2nd"]
rows = []
for n in good:
    with h5py.File(os.path.join(d, "tasks", n), "r") as f:
        a, g = f.attrs, f["observables"]
        r = {"L": int(a["L"]), "beta": float(a["beta"]), "replica": int(a["replica"]),
             "seed": int(a["seed"]), "stream": int(a["stream"]), "n_spins": int(a["n_spins"]),
             "converged": int(g.attrs["converged"])}
        for o in OBS:
            r[o] = float(g[o][()])
            r[o + "_error"] = float(g[o].attrs["error"])
            r[o + "_tau_int"] = float(g[o].attrs["tau_int"]) if "tau_int" in g[o].attrs else math.nan
        rows.append(r)
rows.sort(key=lambda r: (r["L"], r["beta"], r["replica"]))
with h5py.File(os.path.join(d, "summary.h5"), "r") as f:
    a = f.attrs
    ok(int(a.get("n_tasks", -1)) == 10 and int(a.get("n_damaged", -1)) == 5,
       "collect: summary.h5 has n_tasks = 10 and n_damaged = 5", f"{dict(a)}")
    ok(text(a.get("command_line", "")) == f"{CEASIM} collect col" and "ceasim_version" in a,
       "collect: summary.h5 has ceasim_version and command_line = the collect command", f"{a.get('command_line')!r}")
    keys = list(zip(f["L"][()].tolist(), f["beta"][()].tolist(), f["replica"][()].tolist()))
    ok(keys == [(r["L"], r["beta"], r["replica"]) for r in rows],
       "collect: the rows are the 10 good task files, sorted by (L, beta, replica)", f"{keys}")
    bad = []
    for col in rows[0] if rows else []:
        # A _tau_int column exists exactly where some task has a tau_int.
        no_tau = col.endswith("_tau_int") and all(math.isnan(r[col]) for r in rows)
        if no_tau or col not in f:
            if no_tau == (col in f):
                bad.append(f"{col} {'present without a tau_int' if no_tau else 'missing'}")
            continue
        v = f[col][()]
        w = np.array([r[col] for r in rows], dtype=v.dtype)
        same = v.shape == w.shape and all((x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
                                          for x, y in zip(v.tolist(), w.tolist()))
        if not same:
            bad.append(col)
    ok(not bad, "collect: every column (L, beta, replica, seed, stream, n_spins, converged, each "
       "observable's mean, error, tau_int where it has one) equals the task files' values, "
       "bitwise; no tau_int column for the observables without one", f"{bad}")
EOF
if [ "$csnap" = "$(snapshot "$WORK/col/tasks")" ]; then ok "collect left the task files (and the temporaries) as they were"; else not_ok "collect left the task files (and the temporaries) as they were"; fi

cli_finish
