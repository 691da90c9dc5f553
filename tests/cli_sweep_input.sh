#!/usr/bin/env bash
# ceasim sweep / collect: bad input. Every case, run as one process (no mpirun):
# exit status 2, exactly one line on stderr ("ceasim: ...") naming the option and
# what was expected, nothing on stdout, and no sweep directory created (an
# existing --out left exactly as it was).
#
# usage: bash tests/cli_sweep_input.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# The runs happen in $WORK/cwd; their logs go to $WORK.
mkdir -p "$WORK/cwd/nonempty"
RUN_CWD="$WORK/cwd"
echo "not a sweep" >"$WORK/cwd/regular"
echo "keep me" >"$WORK/cwd/nonempty/notes.txt"
printf 'n 4\n0 1 1.0\n1 2 1.0\n2 3 1.0\n3 0 1.0\n' >"$WORK/cwd/ring.txt"
# Sweep files that libinih would read with a silently changed value (issue 15).
printf 'L = 8\nbeta = 0.4\nbeta = 0.5\n' >"$WORK/cwd/dup.ini"
printf 'L = 8\nbeta = 0.4\n  ,0.5\n' >"$WORK/cwd/cont.ini"
printf 'L = 8\nbeta = 0.4\0,0.5\n' >"$WORK/cwd/nul.ini"
before="$(snapshot "$WORK/cwd")"

GOOD=(--sweeps 200 --therm 10 --no-analysis)
# label % expected regex (extended, on the one stderr line) % arguments
CASES=(
  "reversed beta range%--beta.*(reversed|first < last)%--L 8 --beta 0.46:0.40:5 --out d"
  "empty beta range%--beta.*empty%--L 8 --beta 0.4:0.4:3 --out d"
  "beta count 0%--beta.*expected.*(\\[1,|>= ?1|count)%--L 8 --beta 0.4:0.5:0 --out d"
  "malformed beta range%--beta.*first:last:count%--L 8 --beta 0.4:0.5 --out d"
  "negative beta%--beta.*>= 0%--L 8 --beta -0.1:0.2:3 --out d"
  "beta list with a repeat%--beta.*coincide%--L 8 --beta 0.4,0.45,0.4 --out d"
  "L 0 in a list%--L.*expected.*0%--L 0,16 --beta 0.4 --out d"
  "negative L%--L.*expected.*-8%--L -8 --beta 0.4 --out d"
  "L not a number%--L.*expected.*abc%--L 8,abc --beta 0.4 --out d"
  "L listed twice%--L.*8.*twice%--L 8,8 --beta 0.4 --out d"
  "L not an integer%--L.*integer.*1\\.5%--L 1.5 --beta 0.4 --out d"
  "missing --out%--out.*expected%--L 8 --beta 0.4"
  "missing --beta%--beta.*expected%--L 8 --out d"
  "missing --L (ising2d)%--L.*expected%--beta 0.4 --out d"
  "--L with --model graph%--L.*graph%--model graph --couplings ring.txt --L 8 --beta 0.4 --out d"
  "missing couplings file%missing\\.txt%--model graph --couplings missing.txt --beta 0.4 --out d"
  "--replicas 0%--replicas.*expected.*0%--L 8 --beta 0.4 --replicas 0 --out d"
  "--checkpoint-every 0%--checkpoint-every.*> 0%--L 8 --beta 0.4 --checkpoint-every 0 --out d"
  "unknown option%--bogus%--L 8 --beta 0.4 --bogus --out d"
  "--out a regular file%--out.*regular.*not a directory%--L 8 --beta 0.4 --out regular"
  "--out non-empty without sweep.h5%--out.*nonempty.*(not empty|sweep\\.h5)%--L 8 --beta 0.4 --out nonempty"
  "beta 1e100 (was stored as 1e62: a cut name reparsed)%--beta.*1e\\+100.*expected at most%--L 8 --beta 1e100 --out d"
  "sweep file: a key given twice%dup\\.ini:3:.*'beta' given again \\(first at line 2%dup.ini --out d"
  "sweep file: an indented continuation line%cont\\.ini:3:.*indented.*continues 'beta'%cont.ini --out d"
  "sweep file: a NUL byte in a line%nul\\.ini:2:.*NUL byte%nul.ini --out d"
)

# Four at a time (most of a run is MPI start-up): each case writes only its own logs.
i=0
for c in "${CASES[@]}"; do
  IFS='%' read -r _ _ args <<<"$c"
  read -ra argv <<<"$args"
  run1 "bad$i" sweep "${GOOD[@]}" "${argv[@]}" &
  i=$((i + 1))
  if [ $((i % 4)) = 0 ]; then wait; fi
done
wait

i=0
for c in "${CASES[@]}"; do
  IFS='%' read -r label re args <<<"$c"
  tag="bad$i"
  i=$((i + 1))
  line="$(first_err "$tag")"
  if [ "$(rc_of "$tag")" = 2 ] && [ "$(err_lines "$tag")" = 1 ] && [[ "$line" == "ceasim: "* ]] &&
    grep -Eq -- "$re" <<<"$line" && [ ! -s "$WORK/$tag.out" ]; then
    ok "$label ($args): exit 2, one line: $line"
  else
    not_ok "$label ($args): exit 2, one stderr line matching /$re/, nothing on stdout" "$(why "$tag")"
  fi
done
after="$(snapshot "$WORK/cwd")"
if [ "$before" = "$after" ]; then
  ok "no bad input created or changed anything (no sweep directory, --out file and directory untouched)"
else
  not_ok "no bad input created or changed anything" "$(diff <(echo "$before") <(echo "$after") | head -n 5 | tr '\n' '|')"
fi

# ---- collect ------------------------------------------------------------------------
run1 c0 collect /nonexistent
run1 c1 collect
run1 c2 collect a b
run1 c3 collect regular
run1 c4 collect nonempty
for t in "c0|/nonexistent|collect /nonexistent" "c1|expected|collect (no argument)" "c2|expected|collect a b" \
  "c3|regular|collect of a regular file" "c4|nonempty|collect of a directory without tasks/"; do
  IFS='|' read -r tag re label <<<"$t"
  if [ "$(rc_of "$tag")" = 2 ] && [ "$(err_lines "$tag")" = 1 ] && grep -q -- "$re" "$WORK/$tag.err" && [ ! -s "$WORK/$tag.out" ]; then
    ok "$label: exit 2, one line: $(first_err "$tag")"
  else
    not_ok "$label: exit 2, one stderr line naming '$re'" "$(why "$tag")"
  fi
done
if [ "$before" = "$(snapshot "$WORK/cwd")" ]; then ok "collect with bad input wrote nothing"; else not_ok "collect with bad input wrote nothing"; fi

# A sweep directory with no task file yet (a sweep killed in its first tasks):
# an empty summary, not an error. (The sanitizer build catches qsort(NULL, 0, ...)
# in src/sweep/collect.c here.)
mkdir -p "$WORK/empty/tasks"
RUN_CWD="$WORK"
run1 ce collect empty
if [ "$(rc_of ce)" = 0 ] && [ ! -s "$WORK/ce.err" ] && grep -qx "empty/summary.h5: 0 tasks" "$WORK/ce.out"; then
  ok "collect of a sweep with no task file: exit 0, 'empty/summary.h5: 0 tasks'"
else
  not_ok "collect of a sweep with no task file: exit 0, 'empty/summary.h5: 0 tasks'" "$(why ce)"
fi
py_checks "empty summary" "$WORK/empty/summary.h5" <<'EOF'
import sys

import h5py

from chk import ok

try:
    with h5py.File(sys.argv[1], "r") as f:
        ok(int(f.attrs["n_tasks"]) == 0 and int(f.attrs["n_damaged"]) == 0
           and f["L"].shape == (0,) and f["energy"].shape == (0,),
           "collect of a sweep with no task file: summary.h5 with n_tasks 0 and empty columns")
except OSError as e:
    ok(False, "collect of a sweep with no task file: summary.h5 with n_tasks 0 and empty columns", str(e))
EOF

cli_finish
