#!/usr/bin/env bash
# CPU ns per spin update of `ceasim anneal --model sk --n N` (sa, default schedule,
# 10 reads x 1000 sweeps) for N = 992 ... 1024: the cost should be flat in N. A
# tail path that left dirty upper YMM halves before libm's expf made N = 1000
# cost 3x N = 1024 on an Intel Xeon (issue 14); this line shows such a thing.
#
# usage: bench/anneal_sk_sizes.sh [CEASIM ...]     (default: build/ceasim)
#   Several binaries (e.g. a build of the parent commit, then this one) are run
#   interleaved, repetition by repetition, so that they see the same machine load.
#   REPS=3 repetitions; the table gives the smallest CPU time of each (the least
#   disturbed run on a shared machine). SIZES="992 1000 1008 1016 1023 1024".
set -euo pipefail
[ $# -gt 0 ] || set -- build/ceasim
for b in "$@"; do
  [ -x "$b" ] || { echo "$0: $b is not an executable" >&2; exit 2; }
done
REPS="${REPS:-3}"
SIZES="${SIZES:-992 1000 1008 1016 1023 1024}"
case "$REPS" in '' | *[!0-9]* | 0) echo "$0: REPS=$REPS is not a positive integer" >&2; exit 2 ;; esac

declare -A best
for ((r = 0; r < REPS; r++)); do
  for n in $SIZES; do
    for ((i = 1; i <= $#; i++)); do
      # "... spin updates in W s: X ns per spin update (CPU time C s: Y ns)"
      line="$("${!i}" anneal --model sk --n "$n" --quiet | grep 'spin updates in')"
      ns="$(sed -n 's/.*CPU time [0-9.e+-]* s: \([0-9.e+-]*\) ns).*/\1/p' <<<"$line")"
      [ -n "$ns" ] || { echo "$0: cannot read the CPU time from: $line" >&2; exit 1; }
      key="$n,$i"
      if [ -z "${best[$key]:-}" ] || awk -v a="$ns" -v b="${best[$key]}" 'BEGIN{exit !(a < b)}'; then
        best[$key]="$ns"
      fi
    done
  done
done

cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
isa="$(grep -o -w 'avx2\|avx512f' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ')"
printf 'CPU ns per spin update, least of %s runs; %s (%s)\n' "$REPS" "${cpu:-unknown CPU}" "${isa% }"
printf '| N |'
for b in "$@"; do printf ' %s |' "$b"; done
printf '\n| --- |'
for _ in "$@"; do printf ' --- |'; done
printf '\n'
for n in $SIZES; do
  printf '| %s |' "$n"
  for ((i = 1; i <= $#; i++)); do printf ' %s |' "${best[$n,$i]}"; done
  printf '\n'
done
