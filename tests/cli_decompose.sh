#!/usr/bin/env bash
# ceasim run --decompose: one lattice split over MPI ranks is the single-rank run.
#
#  - for 2D (L = 8, 12, 10, 4; h = 0, 0.1, -0.25; metropolis and heatbath; hot and cold
#    starts) and 3D (L = 6, h = 0.1, heatbath; L = 128 msc-single below): `ceasim run`
#    without --decompose against --decompose on 1 rank (no mpirun), 2 and 4 ranks:
#    bitwise equal /timeseries (energy, magnetization, structure_factor_kmin) and
#    /observables, the same root attributes (command_line aside) plus decompose = 1
#    and ranks = R, and the same observable table on stdout. The counter-based
#    random numbers address each update by its place in the single-rank sweep, and
#    the observables are reduced as integers, so equality is exact, not approximate.
#    The cases cover uneven strips (10 rows on 4 ranks: 3, 3, 2, 2; 6 slabs: 2, 2,
#    1, 1), one row per rank (L = 4 on 4 ranks), and rows whose uniforms start
#    inside a Philox block (L / 2 = 3, 5, 6 not multiples of 4);
#  - --algo msc-single (the multi-spin-coded plane kernel, colour-packed rows of
#    64-site words): 2D L = 256 hot, L = 384 cold and 3D L = 128 are cases of the
#    list above (against `ceasim run --algo msc-single`; tests/test_decomp.c also
#    ties the strip to the ceas_msc_single torus chain sweep by sweep). 384 rows on
#    4 ranks split the bulk random-number chunks differently from one rank;
#  - bad input (odd L, wolff, sw, a graph, too many ranks for the rows, a run too
#    short to measure, msc-single with L not a multiple of 128 or a field) -> exit
#    status 2, one "ceasim:" line naming the constraint, no output file.
#
# usage: bash tests/cli_decompose.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# shellcheck source=tests/cli_sweep_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_sweep_lib.sh"
sweep_init "$@"

# label % arguments (all runs: --sweeps 128 --therm 24 --seed 9 --quiet). Short runs:
# equality is exact from the first sweep on, and oversubscribed ranks on a busy
# machine pay a scheduler delay at every exchange.
CASES=(
  "2D L=8 h=0 metropolis%--model ising2d --L 8 --beta 0.44"
  "2D L=12 h=0.1 metropolis%--model ising2d --L 12 --beta 0.40 --h 0.1 --measure-every 2 --sweeps 256"
  "2D L=10 h=-0.25 heatbath cold%--model ising2d --L 10 --beta 0.5 --h -0.25 --algo heatbath --init cold"
  "2D L=4 one row per rank%--model ising2d --L 4 --beta 0.3 --stream 3"
  "3D L=6 h=0.1 heatbath%--model ising3d --L 6 --beta 0.25 --h 0.1 --algo heatbath"
  "2D L=256 msc-single%--model ising2d --L 256 --beta 0.44 --algo msc-single"
  "2D L=384 msc-single cold%--model ising2d --L 384 --beta 0.3 --init cold --stream 2 --measure-every 2 --algo msc-single"
  "3D L=128 msc-single%--model ising3d --L 128 --beta 0.2216546 --sweeps 64 --therm 4 --algo msc-single"
)
COMMON=(--sweeps 128 --therm 24 --seed 9 --quiet)

i=0
for c in "${CASES[@]}"; do
  IFS='%' read -r _ args <<<"$c"
  read -ra argv <<<"$args"
  # The single-rank references and the 1-rank decompositions, two at a time.
  run1 "c${i}_plain" run "${COMMON[@]}" "${argv[@]}" --out "c${i}_plain.h5" &
  run1 "c${i}_d1" run "${COMMON[@]}" "${argv[@]}" --decompose --out "c${i}_d1.h5"
  wait
  runmpi 2 "c${i}_d2" run "${COMMON[@]}" "${argv[@]}" --decompose --out "c${i}_d2.h5"
  runmpi 4 "c${i}_d4" run "${COMMON[@]}" "${argv[@]}" --decompose --out "c${i}_d4.h5"
  i=$((i + 1))
done

i=0
for c in "${CASES[@]}"; do
  IFS='%' read -r label _ <<<"$c"
  for t in plain d1 d2 d4; do
    if [ "$(rc_of "c${i}_$t")" = 0 ] && [ ! -s "$WORK/c${i}_$t.err" ] && [ -s "$WORK/c${i}_$t.h5" ]; then
      ok "$label, $t: exit 0, quiet stderr, wrote the file"
    else
      not_ok "$label, $t: exit 0, quiet stderr, wrote the file" "$(why "c${i}_$t")"
    fi
  done
  # The observable table (from its header to the "errors from" line) is the same.
  table() { sed -n '/^observable /,/^errors from /p' "$WORK/$1.out"; }
  for t in d1 d2 d4; do
    if [ -n "$(table "c${i}_plain")" ] && [ "$(table "c${i}_plain")" = "$(table "c${i}_$t")" ]; then
      ok "$label, $t: the observable table on stdout is the single-rank one"
    else
      not_ok "$label, $t: the observable table on stdout is the single-rank one" \
        "$(diff <(table "c${i}_plain") <(table "c${i}_$t") | head -n 4 | tr '\n' '|')"
    fi
  done
  if grep -q "decomposed over 4 ranks$" "$WORK/c${i}_d4.out"; then
    ok "$label, d4: stdout says decomposed over 4 ranks"
  else
    not_ok "$label, d4: stdout says decomposed over 4 ranks" "$(head -n 2 "$WORK/c${i}_d4.out" | tr '\n' '|')"
  fi
  i=$((i + 1))
done

py_checks "decomposed vs single rank" "$WORK" "${#CASES[@]}" <<'EOF'
import os
import sys

import h5py

from chk import ok
import sweepcmp

work, ncases = sys.argv[1], int(sys.argv[2])
SERIES = ("energy", "magnetization", "structure_factor_kmin")
for i in range(ncases):
    ref = os.path.join(work, f"c{i}_plain.h5")
    for t, ranks in (("d1", 1), ("d2", 2), ("d4", 4)):
        path = os.path.join(work, f"c{i}_{t}.h5")
        label = f"case {i}, {ranks} rank{'s' if ranks > 1 else ''}"
        try:
            with h5py.File(ref, "r") as a, h5py.File(path, "r") as b:
                ts = sorted(b["timeseries"])
                ok(ts == sorted(SERIES), f"{label}: /timeseries holds {', '.join(SERIES)}",
                   f"got {ts}")
                bad = [k for k in SERIES
                       if not sweepcmp.same_value(a["timeseries"][k][()], b["timeseries"][k][()])]
                ok(not bad, f"{label}: /timeseries bitwise equal to the single-rank run",
                   f"differ: {bad}")
                ok(int(b.attrs["decompose"]) == 1 and int(b.attrs["ranks"]) == ranks,
                   f"{label}: attributes decompose = 1, ranks = {ranks}",
                   f"{dict(b.attrs).get('decompose')!r} {dict(b.attrs).get('ranks')!r}")
                w = sweepcmp.diff_attrs(a.attrs, b.attrs,
                                        skip=("command_line", "decompose", "ranks"))
                ok(w is None, f"{label}: root attributes equal (command_line, decompose, "
                   "ranks aside)", w or "")
                oa, ob = a["observables"], b["observables"]
                w = sweepcmp.diff_attrs(oa.attrs, ob.attrs, ())
                if w is None and set(oa) != set(ob):
                    w = f"{sorted(oa)} vs {sorted(ob)}"
                for k in sorted(set(oa) & set(ob)):
                    if w is None and not sweepcmp.same_value(oa[k][()], ob[k][()]):
                        w = f"{k}: {oa[k][()]!r} vs {ob[k][()]!r}"
                    if w is None:
                        w = sweepcmp.diff_attrs(oa[k].attrs, ob[k].attrs, ())
                ok(w is None, f"{label}: /observables bitwise equal", w or "")
        except Exception as e:  # noqa: BLE001
            ok(False, f"{label}: files readable", str(e))
EOF


# The series must also be a real chain (not, say, a frozen one that trivially
# agrees): the 2D L=8 series at beta = 0.44 take many values, energies in [-2, 0].
py_checks "the chain moves" "$WORK" <<'EOF'
import os
import sys

import h5py
import numpy as np

from chk import ok

with h5py.File(os.path.join(sys.argv[1], "c0_d4.h5"), "r") as f:
    m = f["timeseries/magnetization"][()]
    e = f["timeseries/energy"][()]
ok(len(np.unique(m)) > 5 and len(np.unique(e)) > 5 and e.min() >= -2 and e.max() <= 0,
   "2D L=8, 4 ranks: energy and magnetisation take many values, energies in [-2, 0]",
   f"{len(np.unique(m))} magnetisations, {len(np.unique(e))} energies in [{e.min()}, {e.max()}]")
EOF

# ---- bad input ------------------------------------------------------------------
printf 'n 4\n0 1 1.0\n1 2 1.0\n2 3 1.0\n3 0 1.0\n' >"$WORK/ring.txt"
# label % expected regex on the one stderr line % arguments
BAD=(
  "odd L (2D)%--decompose.*L = 7.*odd.*even%--model ising2d --L 7"
  "odd L (3D)%--decompose.*L = 5.*odd.*even%--model ising3d --L 5"
  "wolff%--decompose.*--algo wolff.*metropolis or heatbath.*msc-single%--L 8 --algo wolff"
  "sw%--decompose.*--algo sw.*metropolis or heatbath.*msc-single%--L 8 --algo sw"
  "graph%--decompose.*lattice.*--model graph%--model graph --couplings ring.txt"
  "too short to measure%--sweeps.*measurements.*64%--L 8 --sweeps 10"
  "msc-single L=192%--decompose: --algo msc-single needs L a multiple of 128.*L = 192%--L 192 --algo msc-single"
  "msc-single L=64 (3D)%--decompose: --algo msc-single needs L a multiple of 128.*L = 64%--model ising3d --L 64 --algo msc-single"
  "msc-single with a field%--h: --algo msc-single has no field yet, expected 0, got 0.1%--L 128 --h 0.1 --algo msc-single"
)
i=0
for c in "${BAD[@]}"; do
  IFS='%' read -r _ _ args <<<"$c"
  read -ra argv <<<"$args"
  run1 "bad$i" run --sweeps 640 "${argv[@]}" --decompose --out "bad$i.h5" &
  i=$((i + 1))
  if [ $((i % 2)) = 0 ]; then wait; fi
done
wait
i=0
for c in "${BAD[@]}"; do
  IFS='%' read -r label re _ <<<"$c"
  line="$(first_err "bad$i")"
  if [ "$(rc_of "bad$i")" = 2 ] && [ "$(err_lines "bad$i")" = 1 ] &&
    [[ "$line" =~ ^ceasim:\ .*$re ]] && [ ! -e "$WORK/bad$i.h5" ] && [ ! -s "$WORK/bad$i.out" ]; then
    ok "bad input, $label: exit 2, one line naming the constraint, no file"
  else
    not_ok "bad input, $label: exit 2, one line naming the constraint, no file" "$(why "bad$i")"
  fi
  i=$((i + 1))
done

# Too many ranks: only rank 0 speaks (mpirun adds its own notice of the exit
# status, which is not ours to count).
runmpi 4 many run --model ising3d --L 2 --sweeps 640 --algo heatbath --decompose --out many.h5
for t in many; do
  n="$(grep -c '^ceasim:' "$WORK/$t.err" || true)"
  if [ "$(rc_of "$t")" = 2 ] && [ "$n" = 1 ] && [ ! -e "$WORK/$t.h5" ] &&
    grep -Eq '^ceasim: --decompose: L = 2 gives 2 (rows|slabs) for 4 ranks; need at least one row \(2D\) / slab \(3D\) per rank$' "$WORK/$t.err"; then
    ok "bad input, $t: L = 2 on 4 ranks: exit 2, one message naming rows per rank, no file"
  else
    not_ok "bad input, $t: L = 2 on 4 ranks: exit 2, one message naming rows per rank, no file" "$(why "$t")"
  fi
done

# An existing --out is left alone without --force (checked before any work).
echo "keep me" >"$WORK/keep.h5"
runmpi 2 keep run --L 8 --sweeps 640 --decompose --out keep.h5
if [ "$(rc_of keep)" = 2 ] && [ "$(grep -c '^ceasim:' "$WORK/keep.err" || true)" = 1 ] &&
  [ "$(cat "$WORK/keep.h5")" = "keep me" ]; then
  ok "an existing --out without --force: exit 2, one message, file untouched"
else
  not_ok "an existing --out without --force: exit 2, one message, file untouched" "$(why keep)"
fi

cli_finish
