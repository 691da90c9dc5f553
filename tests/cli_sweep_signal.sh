#!/usr/bin/env bash
# ceasim sweep: SIGTERM stops a sweep cleanly and the rerun completes it.
#
# One sweep directory is stopped twice, then completed:
#  1. one process (no mpirun), SIGTERM mid-task -> exit status 130, one message
#     on stderr saying the sweep was interrupted and how to resume, the running
#     task checkpointed (no task file, no summary);
#  2. the same command under mpirun -np 2 resumes it; SIGTERM to mpirun (which
#     passes it on to the ranks, about a second later) -> a nonzero status, the
#     same message, checkpoints, and the task stopped in 1 had gone on;
#  3. the same command on 2 ranks completes it: bitwise the task files of an
#     uninterrupted run.
# The tasks are sized by a short calibration run to last at least about 3.5 s
# in any build (Release or sanitizers), so the signals land mid-task.
#
# usage: bash tests/cli_sweep_signal.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# Two tasks of at least about 3.5 s each (L = 64, Metropolis), whatever the build
# and the load: a short `ceasim run` measures this build's speed in CPU time (what
# an idle machine would give, the fastest case). Checkpoints only when stopped.
# No --quiet: the "N tasks (...)" line tells when the farm has started.
cpu="$(
  cd "$WORK"
  TIMEFORMAT=%U
  { time "$CEASIM" run --L 64 --beta 0.43 --algo metropolis --sweeps 2000 --therm 0 --quiet \
    --out cal.h5 >/dev/null 2>&1 || true; } 2>&1
)"
SWEEPS="$("$PY" -c "import sys
try: r = 2000 / float(sys.argv[1])
except (ValueError, ZeroDivisionError): r = 30000
print(int(min(max(r * 3.5, 4000), 100000)) // 1000 * 1000)" "$cpu")"
ok "calibration: 2000 sweeps at L = 64 in $cpu s of CPU, so $SWEEPS sweeps per task"
S=(sweep --L 64 --beta 0.42,0.44 --algo metropolis --sweeps "$SWEEPS" --therm 500 --seed 31
  --checkpoint-every 30 --no-analysis)

runmpi 2 refS "${S[@]}" --out refS
check_run refS "reference (uninterrupted, 2 ranks)"

# start_bg TAG CMD...: CMD in the background in $WORK; its pid in BG_PID.
start_bg() {
  local tag="$1"
  shift
  { (cd "$WORK" && exec "$@") </dev/null >"$WORK/$tag.out" 2>"$WORK/$tag.err" & } 2>/dev/null
  BG_PID=$!
}

# term_when_running TAG PID: waits for the farm to start, lets it run 0.5 s,
# sends SIGTERM to PID and waits for it; the status goes to $WORK/TAG.rc.
term_when_running() {
  local tag="$1" pid="$2" rc=0
  for _ in $(seq 1 1200); do
    if grep -q " tasks (" "$WORK/$tag.err" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  sleep 0.5
  kill -TERM "$pid" 2>/dev/null || true
  { wait "$pid" || rc=$?; } 2>/dev/null
  echo "$rc" >"$WORK/$tag.rc"
}

# interrupted LABEL TAG DIR: the message, the checkpoints, no finished sweep.
interrupted() {
  local label="$1" tag="$2" dir="$3"
  local msg
  msg="$(grep '^ceasim: .*interrupted' "$WORK/$tag.err" || true)"
  if [ "$(printf '%s\n' "$msg" | grep -c .)" = 1 ] && [[ "$msg" == *"run the same command again to resume"* ]]; then
    ok "$label: one stderr line says the sweep was interrupted and to run the same command again to resume"
  else
    not_ok "$label: one stderr line says the sweep was interrupted and to run the same command again to resume" "$(why "$tag")"
  fi
  py_checks "$label" "$label" "$WORK/$dir" <<'EOF'
import os
import sys

import h5py

from chk import ok

label, d = sys.argv[1], sys.argv[2]
ck = sorted(x for x in os.listdir(os.path.join(d, "checkpoints")) if not x.startswith("."))
tasks = sorted(x for x in os.listdir(os.path.join(d, "tasks")) if not x.startswith("."))
ok(len(ck) >= 1, f"{label}: the running task(s) left a checkpoint", f"checkpoints/: {ck}, tasks/: {tasks}")
ok(not set(ck) & set(tasks) and len(tasks) < 2 and not os.path.exists(os.path.join(d, "summary.h5")),
   f"{label}: checkpointed tasks have no task file, no summary.h5", f"tasks/: {tasks}")
bad = []
for c in ck:
    with h5py.File(os.path.join(d, "checkpoints", c), "r") as f:
        k, total = int(f.attrs["checkpoint_sweep"]), int(f.attrs["therm"]) + int(f.attrs["sweeps"])
        if not 0 < k < total:
            bad.append(f"{c}: {k} of {total}")
ok(not bad, f"{label}: the checkpoints stop mid-task", "; ".join(bad))
EOF
}

# ckpt_sweeps DIR: "name:checkpoint_sweep" for each checkpoint.
ckpt_sweeps() {
  "$PY" - "$WORK/$1/checkpoints" <<'EOF'
import os
import sys

import h5py

d = sys.argv[1]
for c in sorted(x for x in os.listdir(d) if not x.startswith(".")):
    with h5py.File(os.path.join(d, c), "r") as f:
        print(f"{c}:{int(f.attrs['checkpoint_sweep'])}")
EOF
}

# One sweep directory, stopped twice, then completed:
# ---- 1. one process, SIGTERM to it --------------------------------------------------
start_bg s1 "$CEASIM" "${S[@]}" --out s
term_when_running s1 "$BG_PID"
if [ "$(rc_of s1)" = 130 ]; then ok "1 process: SIGTERM mid-sweep -> exit status 130"; else not_ok "1 process: SIGTERM mid-sweep -> exit status 130" "$(why s1)"; fi
if grep -q "^sweep complete" "$WORK/s1.out"; then not_ok "1 process: no 'sweep complete' on stdout" "$(cat "$WORK/s1.out")"; else ok "1 process: no 'sweep complete' on stdout"; fi
interrupted "1 process, SIGTERM" s1 s
first="$(ckpt_sweeps s 2>/dev/null || true)"

# ---- 2. the same command under mpirun -np 2 resumes it; SIGTERM to mpirun -------------
start_bg s2 "${MPIRUN[@]}" 2 "$CEASIM" "${S[@]}" --out s
term_when_running s2 "$BG_PID"
if [ "$(rc_of s2)" != 0 ]; then ok "mpirun -np 2: SIGTERM to mpirun -> nonzero status ($(rc_of s2))"; else not_ok "mpirun -np 2: SIGTERM to mpirun -> nonzero status" "$(why s2)"; fi
interrupted "mpirun -np 2, SIGTERM" s2 s
second="$(ckpt_sweeps s 2>/dev/null || true)"
# The task stopped in 1 went on from its checkpoint and was checkpointed again later.
py_checks "progress" "$first" "$second" <<'EOF'
import sys

from chk import ok

a = dict(x.split(":") for x in sys.argv[1].split())
b = dict(x.split(":") for x in sys.argv[2].split())
ok(a and all(k in b and int(b[k]) > int(v) for k, v in a.items()),
   "mpirun -np 2: the task stopped before went on from its checkpoint (checkpoint_sweep grew)",
   f"after 1: {a}, after 2: {b}")
EOF

# ---- 3. the same command completes it -------------------------------------------------
runmpi 2 s3 "${S[@]}" --out s
check_run s3 "the rerun after two interruptions (2 ranks)"
py_cmp "interrupted twice, then completed vs uninterrupted" "$WORK/refS" "$WORK/s"
left="$(find "$WORK/s" -mindepth 1 \( -name '.*' -o -path '*/checkpoints/*' \) | head -n 3)"
if [ -z "$left" ]; then ok "no checkpoint or temporary file left after the rerun"; else not_ok "no checkpoint or temporary file left after the rerun" "$left"; fi

cli_finish
