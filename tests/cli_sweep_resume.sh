#!/usr/bin/env bash
# ceasim sweep: killed and resumed, the results are bitwise those of a run that
# was never interrupted, on any number of ranks.
#
# Deterministic kills through the fault-injection variables of
# src/task/checkpoint.c, with --checkpoint-every 0.01:
#  A. CEASIM_TEST_KILL_AFTER_CHECKPOINTS=3, one process (Metropolis): SIGKILL
#     after a completed checkpoint; resumed on 2 ranks;
#  B. CEASIM_TEST_KILL_AFTER_CHECKPOINTS=1 under mpirun -np 2 (Wolff, killed
#     while tuning the cluster count); resumed on 1 rank;
#  C. CEASIM_TEST_KILL_IN_CHECKPOINT=2, one process: a half-written temporary
#     checkpoint is left (and a planted half-written task file); collect and the
#     rerun ignore them, the rerun (3 ranks) removes them;
#  D. CEASIM_TEST_KILL_IN_CHECKPOINT=1 under mpirun -np 2 (Wolff); resumed on 1;
#  E. a real `kill -9` of mpirun mid-run, best effort: its ranks die with it, and
#     the same command run at once resumes.
# After each kill: checkpoints exist, the killed tasks have no task file, no
# summary; after each resume: the same task files as the uninterrupted reference,
# bitwise, no checkpoint or temporary left. Also: the resume does start from the
# checkpoint (every spin flipped in it negates the magnetization measured after
# it, and nothing else), and a checkpoint of another task or a damaged one is set
# aside as NAME.bad with one warning line naming it, and the task restarts: the
# sweep is bitwise the uninterrupted one (issue 15: it blocked the sweep before).
#
# usage: bash tests/cli_sweep_resume.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# Four tasks each; the largest (L = 24) run first.
K=(sweep --L 16,24 --beta 0.40:0.46:2 --algo metropolis --sweeps 6000 --therm 500 --seed 21
  --no-analysis --quiet)
W=(sweep --L 16,24 --beta 0.42,0.44 --algo wolff --sweeps 4000 --therm 2000 --seed 22
  --no-analysis --quiet)
NTASKS=4

run1 refK "${K[@]}" --out refK &
run1 refW "${W[@]}" --out refW
wait
check_run refK "reference (metropolis, uninterrupted, 1 rank)"
check_run refW "reference (wolff, uninterrupted, 1 rank)"

# after_kill LABEL DIR [tmp]: the state a kill leaves behind.
after_kill() {
  py_checks "$1" "$1" "$WORK/$2" "$NTASKS" "${3:-}" <<'EOF'
import os
import re
import sys

import h5py

from chk import ok

label, d, ntasks, want_tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "tmp"
tasks = sorted(x for x in os.listdir(os.path.join(d, "tasks")) if not x.startswith("."))
ck_all = sorted(os.listdir(os.path.join(d, "checkpoints")))
ckpts = [x for x in ck_all if not x.startswith(".")]
tmps = [x for x in ck_all if x.startswith(".")]
ok(len(ckpts) >= 1, f"{label}: checkpoint files were left", f"checkpoints/: {ck_all}")
ok(not set(ckpts) & set(tasks), f"{label}: no killed task (one with a checkpoint) has a task file",
   f"{sorted(set(ckpts) & set(tasks))}")
ok(len(tasks) < ntasks and not os.path.exists(os.path.join(d, "summary.h5")),
   f"{label}: the sweep is unfinished ({len(tasks)} of {ntasks} task files, no summary.h5)")
bad = []
for c in ckpts:
    try:
        with h5py.File(os.path.join(d, "checkpoints", c), "r") as f:
            k = int(f.attrs["checkpoint_sweep"])
            total = int(f.attrs["therm"]) + int(f.attrs["sweeps"])
            if not 0 < k < total:
                bad.append(f"{c}: checkpoint_sweep {k} of {total}")
    except Exception as e:  # noqa: BLE001
        bad.append(f"{c}: {e}")
ok(not bad, f"{label}: every checkpoint is a complete HDF5 file stopped mid-task", "; ".join(bad))
if want_tmp:
    pat = re.compile(r"^\.(.+\.h5)\.tmp\.\d+\.[0-9a-f]{8}$")
    ok(any(pat.match(t) for t in tmps),
       f"{label}: a half-written temporary .NAME.h5.tmp.PID was left in checkpoints/", f"{ck_all}")
    ok(not any(pat.match(t) and pat.match(t).group(1) in tasks for t in tmps),
       f"{label}: the task of the half-written checkpoint has no task file")
EOF
}

# resumed LABEL TAG DIR REF: the resume succeeded and equals the reference.
resumed() {
  local label="$1" tag="$2" dir="$3" ref="$4"
  check_run "$tag" "$label"
  py_cmp "$label" "$WORK/$ref" "$WORK/$dir"
  local left
  left="$(cd "$WORK/$dir" && find . -mindepth 1 \( -name '.*' -o -path './checkpoints/*' \) | head -n 5 | tr '\n' ' ')"
  if [ -z "$left" ]; then ok "$label: no checkpoint or temporary file left"; else not_ok "$label: no checkpoint or temporary file left" "$left"; fi
}

n_tasks() { find "$WORK/$1/tasks" -name '*.h5' ! -name '.*' | wc -l | tr -d ' '; }
# alive PID: the process exists and is not a zombie (kill -0 succeeds on those).
alive() {
  local st
  st="$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# ---- A: killed after its 3rd checkpoint, one process; resumed on 2 ranks -----------
CEASIM_TEST_KILL_AFTER_CHECKPOINTS=3 run1 kA "${K[@]}" --checkpoint-every 0.01 --out kA
if [ "$(rc_of kA)" = 137 ]; then ok "A: killed by SIGKILL after the 3rd checkpoint (status 137)"; else not_ok "A: killed by SIGKILL after the 3rd checkpoint (status 137)" "$(why kA)"; fi
after_kill "A (kill after checkpoint 3, 1 rank)" kA
done_before=$(n_tasks kA)
cp -a "$WORK/kA" "$WORK/kA_flip"
cp -a "$WORK/kA" "$WORK/kA_other"
cp -a "$WORK/kA" "$WORK/kA_junk"
runmpi 2 kA2 "${K[@]}" --checkpoint-every 0.01 --out kA
resumed "A resumed on 2 ranks" kA2 kA refK
if grep -q "^sweep complete: $((NTASKS - done_before)) tasks run, $done_before were already done" "$WORK/kA2.out"; then
  ok "A resumed: stdout counts $((NTASKS - done_before)) tasks run, $done_before already done"
else
  not_ok "A resumed: stdout counts $((NTASKS - done_before)) tasks run, $done_before already done" "$(tr '\n' '|' <"$WORK/kA2.out")"
fi

# The resume starts from the checkpoint: with h = 0 and the same random numbers,
# Metropolis from the globally flipped configuration is the mirror image of the
# original chain, so flipping every spin of the checkpoint must negate the
# magnetization measured after it and leave everything else as it was. A
# checkpoint of another task (seed changed) or a damaged one is set aside.
py_checks "checkpoint tampering" "$WORK" <<'EOF'
import os
import sys

import h5py

from chk import ok

work = sys.argv[1]
for d, how in (("kA_flip", "flip"), ("kA_other", "seed"), ("kA_junk", "junk")):
    cdir = os.path.join(work, d, "checkpoints")
    c = sorted(x for x in os.listdir(cdir) if not x.startswith("."))[0]
    p = os.path.join(cdir, c)
    if how == "flip":
        with h5py.File(p, "r+") as f:
            f["spins"][...] = -f["spins"][()]
            k, therm, me = (int(f.attrs[x]) for x in ("checkpoint_sweep", "therm", "measure_every"))
        with open(os.path.join(work, "kA_flip.nm"), "w") as f:
            f.write(str(max(0, k - therm) // me))
    elif how == "seed":
        with h5py.File(p, "r+") as f:
            f.attrs.modify("seed", f.attrs["seed"] + 1)
    else:
        with open(p, "wb") as f:
            f.write(b"not a checkpoint\n" * 100)
    with open(os.path.join(work, d + ".ckpt"), "w") as f:
        f.write(c)
EOF
run1 kF "${K[@]}" --out kA_flip &
run1 k_other "${K[@]}" --out kA_other &
run1 k_junk "${K[@]}" --out kA_junk
wait
check_run kF "resume from a checkpoint with every spin flipped"
ck="$(cat "$WORK/kA_flip.ckpt")"
py_checks "flipped spins" "$WORK" "$ck" "$(cat "$WORK/kA_flip.nm")" <<'EOF'
import os
import sys

import h5py
import numpy as np

from chk import ok

work, ck, nm = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(os.path.join(work, "refK", "tasks", ck), "r") as a, \
        h5py.File(os.path.join(work, "kA_flip", "tasks", ck), "r") as b:
    ea, eb = a["timeseries/energy"][()], b["timeseries/energy"][()]
    ma, mb = a["timeseries/magnetization"][()], b["timeseries/magnetization"][()]
    ok(np.array_equal(ea, eb) and np.array_equal(ma[:nm], mb[:nm]) and np.array_equal(-ma[nm:], mb[nm:])
       and np.any(ma[nm:] != 0),
       f"the resume starts from the checkpoint: every spin flipped in it negates {ck}'s "
       f"magnetization after measurement {nm} and leaves the energy series as it was")
EOF
for v in other junk; do
  ck="$(cat "$WORK/kA_$v.ckpt")"
  what="a checkpoint of another task (seed changed)"
  [ "$v" = junk ] && what="a damaged checkpoint (garbage)"
  if [ "$(rc_of "k_$v")" = 0 ] && grep -q "checkpoints/$ck: .*set aside as .*$ck.bad" "$WORK/k_$v.err" &&
    [ -f "$WORK/kA_$v/checkpoints/$ck.bad" ]; then
    ok "$what: set aside as checkpoints/$ck.bad with a warning, the sweep completes"
  else
    not_ok "$what: set aside as checkpoints/$ck.bad with a warning, the sweep completes" "$(why "k_$v")"
  fi
  py_cmp "$what: the task restarted from scratch vs the uninterrupted sweep" "$WORK/refK" "$WORK/kA_$v" --no-summary
  if [ "$(err_lines "k_$v")" = 1 ]; then
    ok "$what: one line on stderr"
  else
    not_ok "$what: one line on stderr" "$(err_lines "k_$v") lines: $(tr '\n' '|' <"$WORK/k_$v.err")"
  fi
done

# ---- B: every rank killed after its first checkpoint (Wolff, while tuning) ---------
CEASIM_TEST_KILL_AFTER_CHECKPOINTS=1 runmpi 2 kB "${W[@]}" --checkpoint-every 0.01 --out kB
if [ "$(rc_of kB)" != 0 ]; then ok "B: mpirun -np 2 with the kill after checkpoint 1 fails (status $(rc_of kB))"; else not_ok "B: mpirun -np 2 with the kill after checkpoint 1 fails" "$(why kB)"; fi
after_kill "B (kill after checkpoint 1, 2 ranks)" kB
run1 kB2 "${W[@]}" --checkpoint-every 0.01 --out kB
resumed "B resumed on 1 rank" kB2 kB refW

# ---- C: killed inside its 2nd checkpoint, one process; resumed on 3 ranks ----------
CEASIM_TEST_KILL_IN_CHECKPOINT=2 run1 kC "${K[@]}" --checkpoint-every 0.01 --out kC
if [ "$(rc_of kC)" = 137 ]; then ok "C: killed by SIGKILL inside the 2nd checkpoint (status 137)"; else not_ok "C: killed by SIGKILL inside the 2nd checkpoint (status 137)" "$(why kC)"; fi
after_kill "C (kill in checkpoint 2, 1 rank)" kC tmp
# A task-file writer killed the same way leaves the same kind of file in tasks/.
tmpfile="$(find "$WORK/kC/checkpoints" -name '.*.h5.tmp.*' -printf '%f\n' | head -n 1)"
if [ -n "$tmpfile" ]; then
  cp "$WORK/kC/checkpoints/$tmpfile" "$WORK/kC/tasks/${tmpfile%.tmp.*}.tmp.99999"
fi
before="$(n_tasks kC)"
run1 kCc collect kC
if [ "$(rc_of kCc)" = 0 ] && [ ! -s "$WORK/kCc.err" ] && grep -qx "kC/summary.h5: $before tasks" "$WORK/kCc.out"; then
  ok "C: collect ignores the temporaries (exit 0, no warning, '$before tasks')"
else
  not_ok "C: collect ignores the temporaries (exit 0, no warning, '$before tasks')" "$(why kCc) out: $(cat "$WORK/kCc.out")"
fi
rm -f "$WORK/kC/summary.h5"
runmpi 3 kC2 "${K[@]}" --checkpoint-every 0.01 --out kC
resumed "C resumed on 3 ranks" kC2 kC refK

# ---- D: every rank killed inside its first checkpoint (Wolff) ---------------------
CEASIM_TEST_KILL_IN_CHECKPOINT=1 runmpi 2 kD "${W[@]}" --checkpoint-every 0.01 --out kD
if [ "$(rc_of kD)" != 0 ]; then ok "D: mpirun -np 2 with the kill in checkpoint 1 fails (status $(rc_of kD))"; else not_ok "D: mpirun -np 2 with the kill in checkpoint 1 fails" "$(why kD)"; fi
py_checks "D" "$WORK/kD" <<'EOF'
import os
import re
import sys

from chk import ok

d = sys.argv[1]
ck = sorted(os.listdir(os.path.join(d, "checkpoints")))
tasks = sorted(x for x in os.listdir(os.path.join(d, "tasks")) if not x.startswith("."))
tmps = [m.group(1) for m in (re.match(r"^\.(.+\.h5)\.tmp\.\d+\.[0-9a-f]{8}$", x) for x in ck) if m]
ok(tmps and not [x for x in ck if not x.startswith(".")],
   "D: only half-written temporaries in checkpoints/ (no complete checkpoint)", f"{ck}")
ok(not set(tmps) & set(tasks) and len(tasks) < 4, "D: the killed tasks have no task file", f"{tasks}")
EOF
run1 kD2 "${W[@]}" --checkpoint-every 0.01 --out kD
resumed "D resumed on 1 rank" kD2 kD refW

# ---- E: kill -9 of mpirun mid-run -----------------------------------------------------
{ (cd "$WORK" && exec "${MPIRUN[@]}" 2 "$CEASIM" "${K[@]}" --checkpoint-every 0.02 --out kE) \
  </dev/null >"$WORK/kE.out" 2>"$WORK/kE.err" & } 2>/dev/null
mp=$!
# Wait for a checkpoint (the run is then mid-task) or for the end.
for _ in $(seq 1 1500); do
  if compgen -G "$WORK/kE/checkpoints/*.h5" >/dev/null || ! kill -0 "$mp" 2>/dev/null; then break; fi
  sleep 0.02
done
ranks="$(pgrep -P "$mp" | tr '\n' ' ' || true)"
if kill -0 "$mp" 2>/dev/null; then
  kill -9 "$mp" 2>/dev/null || true
  { wait "$mp" || true; } 2>/dev/null
  # The ranks die with their launcher (ceas_parallel_watch_launcher): Open MPI's own
  # teardown left them running for about a second, in which an immediate rerun
  # failed on the task files they wrote. Any still alive after 0.5 s are killed.
  for _ in $(seq 1 100); do
    orphans=""
    for r in $ranks; do alive "$r" && orphans="$orphans $r"; done
    [ -z "$orphans" ] && break
    sleep 0.005
  done
  if [ -z "$orphans" ]; then ok "E: the ranks died with mpirun (within 0.5 s)"; else not_ok "E: the ranks died with mpirun (within 0.5 s)" "alive:$orphans"; fi
  for r in $orphans; do kill -9 "$r" 2>/dev/null || true; done
  for _ in $(seq 1 500); do
    left_alive=""
    for r in $ranks; do alive "$r" && left_alive=1; done
    [ -z "$left_alive" ] && break
    sleep 0.02
  done
  n=$(n_tasks kE)
  if [ "$n" -lt "$NTASKS" ]; then
    ok "E: mpirun killed with SIGKILL mid-run, $n of $NTASKS task files written"
  else
    ok "E: # mpirun killed with SIGKILL, but all $NTASKS tasks had already finished"
  fi
else
  { wait "$mp" || true; } 2>/dev/null
  ok "E: # the run had already finished before mpirun could be killed (nothing to resume)"
fi
run1 kE2 "${K[@]}" --checkpoint-every 0.02 --out kE
resumed "E resumed on 1 rank after kill -9" kE2 kE refK

cli_finish
