#!/usr/bin/env bash
# Damaged files (issue 15, item 3). Every file ceasim writes ends in a checksum
# (src/io/seal.c) that readers verify before HDF5 parses a byte:
#  - the issue's case, 0xFF at offset 837 of a task file (a segfault inside libhdf5
#    before): analyze and collect exit 0 naming the file as damaged and skipping it;
#    a rerun of the sweep sets it aside as NAME.bad and redoes the task, bitwise
#    the undamaged file;
#  - a checkpoint truncated to half, or with one bit flipped in its data: the sweep
#    resumes with one warning naming it, keeps it as NAME.bad and runs the task
#    from the start, bitwise the uninterrupted run;
#  - tests/fuzz_readers.py, a small deterministic sample (CEASIM_FUZZ_CASES cases
#    per reader, 1 here; a developer sets more): every reader of every kind of file,
#    every outcome exit 0 with correct data or exit 1/2 with one line and nothing
#    published.
#
# usage: bash tests/cli_damaged.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

S=(sweep --L 4,6 --beta 0.40,0.46 --sweeps 1500 --therm 100 --seed 5 --no-analysis --quiet)
T=L0004_beta0.40000000_r000.h5
run1 ref "${S[@]}" --out ref
check_run ref "reference sweep (4 tasks)"
cp -r "$WORK/ref" "$WORK/d"
printf '\xff' | dd of="$WORK/d/tasks/$T" bs=1 seek=837 conv=notrunc status=none
run1 a1 analyze d --quiet
if [ "$(rc_of a1)" = 0 ] && [ "$(err_lines a1)" = 1 ] &&
  grep -q "d/tasks/$T: checksum mismatch (damaged); skipped" "$WORK/a1.err"; then
  ok "analyze: 0xFF at offset 837 of a task file is named as damaged and skipped"
else
  not_ok "analyze: 0xFF at offset 837 of a task file is named as damaged and skipped" "$(why a1)"
fi
run1 c1 collect d
if [ "$(rc_of c1)" = 0 ] && grep -q "$T: checksum mismatch" "$WORK/c1.err"; then
  ok "collect: the damaged task file is named and skipped"
else
  not_ok "collect: the damaged task file is named and skipped" "$(why c1)"
fi
run1 r1 "${S[@]}" --out d
if [ "$(rc_of r1)" = 0 ] && [ -f "$WORK/d/tasks/$T.bad" ] &&
  grep -q "^sweep complete: 1 tasks run, 3 were already done" "$WORK/r1.out" &&
  grep -q "set aside as .*$T.bad" "$WORK/r1.err"; then
  ok "sweep rerun: the damaged task file is set aside as .bad and the task redone"
else
  not_ok "sweep rerun: the damaged task file is set aside as .bad and the task redone" \
    "$(why r1) $(cat "$WORK/r1.out")"
fi
py_cmp "rerun after a damaged task file vs the undamaged sweep" "$WORK/ref" "$WORK/d" --no-summary

# ---- checkpoints ---------------------------------------------------------------------
C=(sweep --L 6 --beta 0.44 --sweeps 3000 --therm 10 --seed 5 --no-analysis --quiet)
CK=L0006_beta0.44000000_r000.h5
run1 cref "${C[@]}" --out cref
# A checkpoint every sweep, killed after the 25th: 15 measurements after 10 sweeps
# of thermalisation (each checkpoint is two fsyncs: few of them).
CEASIM_TEST_KILL_AFTER_CHECKPOINTS=25 run1 k "${C[@]}" --out k --checkpoint-every 1e-9
if [ "$(rc_of k)" = 137 ] && [ -f "$WORK/k/checkpoints/$CK" ]; then
  ok "a task killed after its 25th checkpoint leaves the checkpoint"
else
  not_ok "a task killed after its 25th checkpoint leaves the checkpoint" "$(why k)"
fi
cp -r "$WORK/k" "$WORK/k2"
size=$(stat -c %s "$WORK/k/checkpoints/$CK")
truncate -s $((size / 2)) "$WORK/k/checkpoints/$CK"
# The lowest mantissa bit of the 10th energy (raw data, no HDF5 metadata, still a
# plausible energy): a silently different result before checksums.
off=$("$PY" -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r")["energy"].id.get_offset() + 8 * 9)' \
  "$WORK/k2/checkpoints/$CK")
byte=$(od -An -tu1 -j "$off" -N1 "$WORK/k2/checkpoints/$CK" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" |
  dd of="$WORK/k2/checkpoints/$CK" bs=1 seek="$off" conv=notrunc status=none
for d in k k2; do
  what="sweep resumed on a $([ $d = k ] && echo truncated || echo bit-flipped) checkpoint"
  run1 "r$d" "${C[@]}" --out "$d"
  if [ "$(rc_of "r$d")" = 0 ] && [ "$(err_lines "r$d")" = 1 ] &&
    grep -q "checkpoints/$CK: .*set aside as .*$CK.bad, the task runs again" "$WORK/r$d.err" &&
    [ -f "$WORK/$d/checkpoints/$CK.bad" ]; then
    ok "$what: one warning, kept as .bad, the task restarts"
  else
    not_ok "$what: one warning, kept as .bad, the task restarts" "$(why "r$d")"
  fi
  py_cmp "$what vs the uninterrupted run" "$WORK/cref" "$WORK/$d" --no-summary
done

# ---- every reader, a small deterministic sample ----------------------------------------
t0=$(date +%s)
if CEASIM_FUZZ_CASES="${CEASIM_FUZZ_CASES:-1}" "$PY" "$(dirname "${BASH_SOURCE[0]}")/fuzz_readers.py" \
  "$CEASIM" "$WORK/fuzz" >"$WORK/fuzz.out" 2>&1; then
  ok "fuzz_readers: $(tail -n 1 "$WORK/fuzz.out") ($(($(date +%s) - t0)) s)"
else
  not_ok "fuzz_readers: every case held" "$(grep -v '^fuzz: ' "$WORK/fuzz.out" | head -c 1500)"
fi
cli_finish
