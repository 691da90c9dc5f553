#!/usr/bin/env bash
# ceasim sweep SWEEP.ini: the sweep file.
#
#  - an INI file with a [sweep] section (measure-every spelled with '-') and one
#    without a section (measure_every with '_', `out` in the file, comments,
#    blank lines, other key order) give bitwise the results of the equivalent
#    command line;
#  - command-line options override the file, wherever they stand;
#  - problems in the file, as one process: exit 2, one stderr line with
#    FILE:LINE: and the key (unknown key, bad value, unknown section, a line
#    that is not key = value), no sweep directory; a missing sweep file or one
#    that cannot be read (a directory) -> exit 2 naming it.
#
# usage: bash tests/cli_sweep_file.sh /path/to/ceasim
# shellcheck disable=SC2054  # (commas inside option values, not array separators)
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

cat >"$WORK/a.ini" <<'EOF'
# the sweep of the command line below, as a file
[sweep]
model = ising2d
L = 8,12
beta = 0.40:0.46:3
replicas = 2
algo = heatbath
sweeps = 1000
therm = 100
measure-every = 2
seed = 51
h = 0.05
init = cold
checkpoint-every = 30
EOF
cat >"$WORK/b.ini" <<'EOF'
; the same sweep, no section, other spellings and order
seed = 51
measure_every = 2

algo = heatbath
beta = 0.40:0.46:3
init = cold
L = 8,12
sweeps = 1000
therm = 100
h = 0.05
replicas = 2
checkpoint_every = 30
out = fb
EOF
CMD=(sweep --model ising2d --L 8,12 --beta 0.40:0.46:3 --replicas 2 --algo heatbath --sweeps 1000
  --therm 100 --measure-every 2 --seed 51 --h 0.05 --init cold --checkpoint-every 30 --no-analysis --quiet)
run1 fc "${CMD[@]}" --out fc
run1 fa sweep a.ini --out fa --no-analysis --quiet
run1 fb sweep --no-analysis --quiet b.ini
check_run fc "command line"
check_run fa "a.ini ([sweep], measure-every)"
check_run fb "b.ini (no section, measure_every, out in the file)"
py_cmp "a.ini vs command line" "$WORK/fc" "$WORK/fa"
py_cmp "b.ini vs command line" "$WORK/fc" "$WORK/fb"

# Overrides: options before and after the file win over it.
run1 fo sweep --seed 52 a.ini --L 12 --measure-every 1 --out fo --no-analysis --quiet
check_run fo "a.ini with --seed 52 before it, --L 12 --measure-every 1 after it"
py_checks "overrides" "$WORK/fo" <<'EOF'
import os
import sys

import h5py

from chk import ok, text

d = sys.argv[1]
names = sorted(x for x in os.listdir(os.path.join(d, "tasks")) if not x.startswith("."))
ok(len(names) == 6 and all(n.startswith("L0012_") for n in names),
   "overrides: --L 12 replaces the file's L = 8,12 (6 tasks, all L = 12)", f"{names}")
with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
    a = f.attrs
    ok(int(a["seed"]) == 52 and int(a["measure_every"]) == 1,
       "overrides: sweep.h5 has seed 52 (option before the file) and measure_every 1 (after it)",
       f"seed {a['seed']} measure_every {a['measure_every']}")
    ok(text(a["algo"]) == "heatbath" and text(a["init"]) == "cold" and int(a["sweeps"]) == 1000
       and float(a["h"]) == 0.05,
       "overrides: the file's other keys still apply (algo, init, sweeps, h)", f"{dict(a)}")
bad = []
for n in names:
    with h5py.File(os.path.join(d, "tasks", n), "r") as f:
        if int(f.attrs["seed"]) != 52 or int(f.attrs["measure_every"]) != 1:
            bad.append(n)
ok(not bad, "overrides: every task file has seed 52 and measure_every 1", f"{bad}")
EOF

# ---- problems in the file -------------------------------------------------------------
mkdir -p "$WORK/cwd/adir"
RUN_CWD="$WORK/cwd"
printf '[sweep]\nL = 8\nbeta = 0.4\nfoo_bar = 3\nsweeps = 300\n' >"$WORK/cwd/unknown_key.ini"
printf '# comment\nL = 8\n\nbeta = 0.4\nsweeps = 12x\n' >"$WORK/cwd/bad_sweeps.ini"
printf 'L = 8\nbeta = 0.4\nreplicas = 0\n' >"$WORK/cwd/bad_replicas.ini"
printf '[sweep]\nL = 8\n[run]\nbeta = 0.4\n' >"$WORK/cwd/bad_section.ini"
printf 'L = 8\nbeta 0.4\n' >"$WORK/cwd/no_equals.ini"
printf '[sweep]\nsweeps = 300\nL = 8,8\nbeta = 0.4\n' >"$WORK/cwd/bad_L.ini"
printf 'L = 8\nbeta = 0.46:0.40:5\n' >"$WORK/cwd/bad_beta.ini"
printf 'L = 8\nbeta = 0.4\nalgo = foo\n' >"$WORK/cwd/bad_algo.ini"
before="$(snapshot "$WORK/cwd")"
# file % expected regex on the one stderr line % note % more arguments
FCASES=(
  "unknown_key.ini%^ceasim: unknown_key\\.ini:4: .*foo_bar%unknown key on line 4"
  "bad_sweeps.ini%^ceasim: bad_sweeps\\.ini:5: .*sweeps.*12x%bad value on line 5"
  "bad_replicas.ini%^ceasim: bad_replicas\\.ini:3: .*replicas%bad value on line 3"
  # (the parser reports the section at its first key, line 4: accepted)
  "bad_section.ini%^ceasim: bad_section\\.ini:[34]: .*\\[run\\]%unknown section [run] on line 3"
  "no_equals.ini%^ceasim: no_equals\\.ini:2: %line 2 is not key = value"
  # BUG: L and beta are parsed only after the whole command line, and algo is
  # checked later still, so these messages name --L / --beta / --algo with no
  # FILE:LINE (e.g. "ceasim: --L: size 8 is listed twice"). Fails until fixed.
  "bad_L.ini%^ceasim: bad_L\\.ini:3: .*L.*twice%bad L value on line 3"
  "bad_beta.ini%^ceasim: bad_beta\\.ini:2: .*beta.*(reversed|first < last)%bad beta value on line 2"
  "bad_algo.ini%^ceasim: bad_algo\\.ini:3: .*algo.*foo%bad algo value on line 3"
  "missing.ini%^ceasim: missing\\.ini: .*(cannot|no such)%missing sweep file%--L 8 --beta 0.4"
  # BUG: a directory as the sweep file reads as an empty file (fopen succeeds,
  # the first read fails, inih returns 0), so `ceasim sweep adir --L 8 --beta 0.4
  # --out d` runs a sweep. Fails until fixed.
  "adir%^ceasim: adir: .*(cannot|directory)%a directory as the sweep file%--L 8 --beta 0.4"
)
i=0
for c in "${FCASES[@]}"; do
  IFS='%' read -r file _ _ more <<<"$c"
  read -ra more <<<"$more"
  run1 "f$i" sweep "$file" ${more[@]+"${more[@]}"} --sweeps 300 --out "d$i" --no-analysis &
  i=$((i + 1))
  if [ $((i % 4)) = 0 ]; then wait; fi
done
wait
i=0
for c in "${FCASES[@]}"; do
  IFS='%' read -r file re note _ <<<"$c"
  tag="f$i"
  line="$(first_err "$tag")"
  if [ "$(rc_of "$tag")" = 2 ] && [ "$(err_lines "$tag")" = 1 ] && grep -Eq -- "$re" <<<"$line" && [ ! -e "$WORK/cwd/d$i" ]; then
    ok "$note: exit 2, one line: $line"
  else
    not_ok "$note ($file): exit 2, one stderr line matching /$re/, no sweep directory" "$(why "$tag")$( [ -e "$WORK/cwd/d$i" ] && echo " and d$i was created")"
  fi
  i=$((i + 1))
done
if [ "$before" = "$(snapshot "$WORK/cwd" | grep -v '^\./d[0-9]*$' | grep -v '^\./d[0-9]*/')" ]; then
  ok "the sweep files were left as they were"
else
  not_ok "the sweep files were left as they were"
fi

cli_finish
