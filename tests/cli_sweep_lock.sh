#!/usr/bin/env bash
# One directory, one sweep (issue 15, item 5).
#
#  1. Two sweeps started together on one new directory, CEASIM_LOCK_TRIALS times,
#     cycling through: same parameters, different seeds, different seeds with
#     --force, same with --force. The suite runs 2 (1 under the sanitizers); the issue's 50
#     by hand: CEASIM_LOCK_TRIALS=50 bash tests/cli_sweep_lock.sh build/ceasim. Never
#     mixed: sweep.h5, every task file and summary.h5 carry one seed, and the grid
#     is complete. Never lost: one of the two exits 0; the other exits 0 too only
#     if it started after the first had ended, else 2 with one line naming the
#     holder (pid@host) and nothing of it in the directory (each run is marked by
#     its --checkpoint-every in the files' command_line).
#  2. A directory held by a running sweep (under mpirun -np 2): collect, analyze
#     (into the directory) and sweep --force (other parameters) each
#     exit 2 with one line naming the holder, and the directory is unchanged;
#     analyze --out elsewhere is not refused for the lock. Then kill -9 of mpirun:
#     its ranks die with it (well within Open MPI's own teardown, which took about
#     a second), and a sweep started at once on the directory runs (no "in use", no
#     "file exists") to the result of an uninterrupted run.
#  3. A task file that appears while the sweep runs (as a rank of a killed run on
#     another node would write it): bitwise what the sweep computes, the task
#     counts as done (exit 0); different, exit 1 with one line naming the file,
#     which is left as it was.
#
# usage: bash tests/cli_sweep_lock.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# (Not OMPI_MCA_ess_singleton_isolated=1, though it halves a singleton's start-up:
# isolated singletons started together share one Open MPI session directory, and
# one's cleanup removed it under another.)
# Two pairs (one under the sanitizers, where a process costs 0.75 s more).
TRIALS=2
if ldd "$CEASIM" | grep -q libasan; then TRIALS=1; fi
TRIALS="${CEASIM_LOCK_TRIALS:-$TRIALS}"
[ "$TRIALS" -ge 1 ] || TRIALS=1 # part 3 takes a file of the first
# Eight tasks of under 0.01 s each (0.07 s under the sanitizers): two sweeps
# started together overlap in their MPI start-up alone (0.2 s).
G=(sweep --L 16 --beta 0.40,0.44 --replicas 4 --sweeps 1000 --therm 100 --no-analysis --quiet)
NTASKS=8

# bg TAG ARGS...: ceasim in the background in $WORK; $! is ceasim's own pid.
bg() {
  local tag="$1"
  shift
  (cd "$WORK" && exec "$CEASIM" "$@") </dev/null >"$WORK/$tag.out" 2>"$WORK/$tag.err" &
}
# fin TAG PID: waits for it and records its status.
fin() {
  local rc=0
  wait "$2" 2>/dev/null || rc=$?
  echo "$rc" >"$WORK/$1.rc"
}

# ---- 1: two sweeps started together ---------------------------------------------------
: >"$WORK/trials.txt"
for ((i = 0; i < TRIALS; i++)); do
  kind=$((i % 4))
  seedB=7
  force=()
  case $kind in
    1) seedB=8 ;;
    2) seedB=8 force=(--force) ;;
    3) force=(--force) ;;
  esac
  bg "t$i.A" "${G[@]}" --seed 7 --checkpoint-every 30 --out "t$i"
  pa=$!
  bg "t$i.B" "${G[@]}" --seed "$seedB" --checkpoint-every 31 "${force[@]}" --out "t$i"
  pb=$!
  fin "t$i.A" "$pa"
  fin "t$i.B" "$pb"
  echo "$i $kind $pa $pb" >>"$WORK/trials.txt"
done
py_checks "two sweeps on one directory" "$WORK" "$NTASKS" <<'EOF'
import os
import sys

import h5py

from chk import ok

work, ntasks = sys.argv[1], int(sys.argv[2])
kinds = ["same parameters", "different seeds", "different seeds, the second with --force",
         "same parameters, the second with --force"]
bad, refused, after = [], 0, 0
for line in open(os.path.join(work, "trials.txt")):
    i, kind, pa, pb = (int(x) for x in line.split())
    label = f"trial {i} ({kinds[kind]})"
    runs = {}
    for who, pid, mark in (("A", pa, "--checkpoint-every 30"), ("B", pb, "--checkpoint-every 31")):
        tag = os.path.join(work, f"t{i}.{who}")
        runs[who] = dict(pid=pid, mark=mark, rc=int(open(tag + ".rc").read()),
                         err=open(tag + ".err").read().splitlines())
    d = os.path.join(work, f"t{i}")
    winners = [w for w in runs if runs[w]["rc"] == 0]
    if not winners or any(r["rc"] not in (0, 2) for r in runs.values()):
        bad.append(f"{label}: exit statuses A {runs['A']['rc']}, B {runs['B']['rc']}")
        continue
    # What the directory holds, and who wrote it (the command lines).
    lines = []
    try:
        with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
            seed = int(f.attrs["seed"])
            lines.append(str(f.attrs["command_line"]))
        tasks = sorted(x for x in os.listdir(os.path.join(d, "tasks")))
        seeds = set()
        for t in tasks:
            with h5py.File(os.path.join(d, "tasks", t), "r") as f:
                seeds.add(int(f.attrs["seed"]))
                lines.append(str(f.attrs["command_line"]))
        with h5py.File(os.path.join(d, "summary.h5"), "r") as f:
            rows = len(f["L"][()])
            seeds.add(int(f.attrs["seed"]))
    except Exception as e:  # noqa: BLE001
        bad.append(f"{label}: unreadable: {e}")
        continue
    left = sorted(os.path.relpath(os.path.join(r, x), d) for r, _, fs in os.walk(d) for x in fs
                  if x.startswith(".") or os.path.basename(r) == "checkpoints")
    if seeds != {seed} or len(tasks) != ntasks or rows != ntasks or left:
        bad.append(f"{label}: mixed or incomplete: sweep.h5 seed {seed}, task/summary seeds "
                   f"{sorted(seeds)}, {len(tasks)} task files, {rows} summary rows, left {left}")
    for who, r in runs.items():
        if r["rc"] != 2:
            continue
        other = runs["B" if who == "A" else "A"]
        if len(r["err"]) != 1:
            bad.append(f"{label}: {who} exit 2 with {len(r['err'])} lines: {r['err'][:3]}")
        elif f"in use by another sweep (pid {other['pid']}@" in r["err"][0]:
            refused += 1
        elif "the existing sweep has seed" in r["err"][0]:
            after += 1  # started after the other had ended; refused for its parameters
        else:
            bad.append(f"{label}: {who} exit 2 naming neither the holder nor the seed: {r['err'][0]}")
        if any(r["mark"] in x for x in lines):
            bad.append(f"{label}: {who} exited 2 but wrote into the directory")
    if len(winners) == 2:
        after += 1
ok(not bad, f"{len(list(open(os.path.join(work, 'trials.txt'))))} pairs of sweeps started "
   f"together: never mixed, never lost ({refused} refused by the lock naming the holder, "
   f"{after} ran after the first had ended)", "; ".join(bad[:3]))
EOF

# ---- 2: a directory held by a running sweep; kill -9 of its mpirun ----------------------
# One task of some 10 s (more under the sanitizers), killed long before it ends; it
# ends by itself should this script stop early, and so does a sweep that fails to
# be refused.
H=(sweep --L 8 --beta 0.5 --sweeps 20000000 --measure-every 1000 --therm 10 --seed 5
  --no-analysis --quiet)
{ (cd "$WORK" && exec "${MPIRUN[@]}" 2 "$CEASIM" "${H[@]}" --out held) </dev/null \
  >"$WORK/held.out" 2>"$WORK/held.err" & } 2>/dev/null
mp=$!
for _ in $(seq 1 1500); do
  if grep -qs '^since ' "$WORK/held/.lock" && [ -e "$WORK/held/sweep.h5" ]; then break; fi
  kill -0 "$mp" 2>/dev/null || break
  sleep 0.01
done
ranks="$(pgrep -P "$mp" | tr '\n' ' ' || true)"
holder="$(sed -n 's/^pid \([0-9]*\)$/\1/p' "$WORK/held/.lock" 2>/dev/null || true)"
if [ -n "$holder" ] && [[ " $ranks " == *" $holder "* ]]; then
  ok "a sweep under mpirun -np 2 holds its directory: held/.lock names rank 0 (pid $holder)"
else
  not_ok "a sweep under mpirun -np 2 holds its directory: held/.lock names rank 0" \
    "ranks '$ranks', lock file: $(tr '\n' '|' <"$WORK/held/.lock" 2>/dev/null)"
fi
before="$(snapshot "$WORK/held")"
bg h_collect collect held
p1=$!
bg h_analyze analyze held --quiet
p2=$!
bg h_elsewhere analyze held --quiet --out "$WORK/elsewhere.h5"
p3=$!
bg h_force "${H[@]}" --seed 6 --force --out held
p5=$!
fin h_collect $p1
fin h_analyze $p2
fin h_elsewhere $p3
fin h_force $p5
for t in h_collect h_analyze h_force; do
  if [ "$(rc_of $t)" = 2 ] && [ "$(err_lines $t)" = 1 ] && grep -q "pid $holder@" "$WORK/$t.err"; then
    ok "held directory: ${t#h_} exits 2 with one line naming the holder (pid $holder@host)"
  else
    not_ok "held directory: ${t#h_} exits 2 with one line naming the holder" "$(why $t)"
  fi
done
if grep -q "in use" "$WORK/h_elsewhere.err"; then
  not_ok "held directory: analyze --out outside it is not refused for the lock" "$(why h_elsewhere)"
else
  ok "held directory: analyze --out outside it is not refused for the lock"
fi
if [ "$before" = "$(snapshot "$WORK/held")" ]; then
  ok "held directory: unchanged by the refused commands (every file's size, mtime, sha256)"
else
  not_ok "held directory: unchanged by the refused commands" \
    "$(diff <(echo "$before") <(snapshot "$WORK/held") | head -n 4 | tr '\n' '|')"
fi
alive() {
  local st
  st="$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
if alive "$mp"; then running=1; else running=""; fi
{
  kill -9 "$mp"
  wait "$mp"
} 2>/dev/null || true
# At once, as a user would: the rerun must not find the dying run's lock or files.
bg rerun "${G[@]}" --seed 7 --checkpoint-every 30 --force --out held
pr=$!
t0=$(date +%s%N)
for _ in $(seq 1 300); do
  left=""
  for r in $ranks; do alive "$r" && left="$left $r"; done
  [ -z "$left" ] && break
  sleep 0.005
done
ms=$((($(date +%s%N) - t0) / 1000000))
if [ -z "$running" ]; then
  not_ok "kill -9 of mpirun: its ranks died with it" "the sweep had ended before the kill"
elif [ -z "$left" ] && [ "$ms" -lt 500 ]; then
  ok "kill -9 of mpirun: its ranks died with it (gone after $ms ms)"
else
  not_ok "kill -9 of mpirun: its ranks died with it (within 0.5 s)" "still alive after $ms ms:$left"
  for r in $left; do kill -9 "$r" 2>/dev/null || true; done
fi
fin rerun "$pr"
check_run rerun "a sweep started right after kill -9 of mpirun on its directory"
py_cmp "the sweep after the kill -9 against an uninterrupted one" "$WORK/t0" "$WORK/held"

# ---- 3: a task file appears while the sweep runs ----------------------------------------
# The reference: t0 was written by "${G[@]} --seed 7 --checkpoint-every 3x --out t0" run
# in $WORK. The same command in another directory writes the same bytes.
win=A
[ "$(cat "$WORK/t0.A.rc")" = 0 ] || win=B
ce=30
[ "$win" = A ] || ce=31
last="L0016_beta0.44000000_r003.h5" # the task that runs last (grid order among equals)
mkdir -p "$WORK/ap_same" "$WORK/ap_diff"
ap() {
  (cd "$WORK/ap_$1" && exec "$CEASIM" "${G[@]}" --seed 7 --checkpoint-every $ce --out t0) \
    </dev/null >"$WORK/ap_$1.out" 2>"$WORK/ap_$1.err" &
}
ap same
pid_same=$!
ap diff
pid_diff=$!
# Planted when the first task file is written (the sweep listed the finished
# tasks before it started; the last task is six tasks away), linked into place as
# a writer would.
cp "$WORK/t0/tasks/$last" "$WORK/ap_same.plant"
cp "$WORK/held/tasks/$last" "$WORK/ap_diff.plant" # another command line: other bytes
plant() {
  for _ in $(seq 1 3000); do
    compgen -G "$WORK/ap_$1/t0/tasks/L*.h5" >/dev/null && break
    sleep 0.005
  done
  cp "$WORK/ap_$1.plant" "$WORK/ap_$1/t0/tasks/.plant"
  # A link fails if the sweep has already written the file: too late, noted.
  ln "$WORK/ap_$1/t0/tasks/.plant" "$WORK/ap_$1/t0/tasks/$last" 2>/dev/null || touch "$WORK/ap_$1.late"
  rm -f "$WORK/ap_$1/t0/tasks/.plant"
}
plant same &
w1=$!
plant diff &
w2=$!
wait $w1 $w2
fin ap_same "$pid_same"
fin ap_diff "$pid_diff"
if [ -e "$WORK/ap_same.late" ]; then
  ok "# SKIP the planted task file came after the sweep had written it (machine busy)"
else
  check_run ap_same "a task file that appeared while the sweep ran, bitwise its result"
  if grep -q "sweep complete: $NTASKS tasks run, 0 were already done" "$WORK/ap_same.out" &&
    cmp -s "$WORK/ap_same.plant" "$WORK/ap_same/t0/tasks/$last" &&
    [ -z "$(find "$WORK/ap_same/t0" -name '.*' -o -path '*/checkpoints/*.h5')" ]; then
    ok "appeared task file, bitwise equal: counted as done ($NTASKS tasks run), left as it was, no temporary left"
  else
    not_ok "appeared task file, bitwise equal: counted as done ($NTASKS tasks run), left as it was, no temporary left" \
      "$(cat "$WORK/ap_same.out") $(find "$WORK/ap_same/t0" | tr '\n' ' ')"
  fi
fi
if [ -e "$WORK/ap_diff.late" ]; then
  ok "# SKIP the different task file came after the sweep had written its own (machine busy)"
elif [ "$(rc_of ap_diff)" = 1 ] && [ "$(err_lines ap_diff)" = 1 ] &&
  grep -q "tasks/$last: appeared while the task ran and differs" "$WORK/ap_diff.err" &&
  cmp -s "$WORK/ap_diff.plant" "$WORK/ap_diff/t0/tasks/$last"; then
  ok "a different task file that appeared while the sweep ran: exit 1, one line naming it, left as it was"
else
  not_ok "a different task file that appeared while the sweep ran: exit 1, one line naming it, left as it was" "$(why ap_diff)"
fi

cli_finish
