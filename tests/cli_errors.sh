#!/usr/bin/env bash
# ceasim CLI: bad input is refused cleanly.
#
# Every case must: exit with status 2 (bad input); print exactly one line on
# stderr that names the offending input (option, file, or file:LINE for an edge
# list) and says what was expected; print no observable table on stdout; and
# leave the output directory exactly as it was (no result, no .NAME.tmp.* file).
# Also: --help / --version behave.
#
# usage: bash tests/cli_errors.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

# A guard against hangs; none of these cases should take more than a moment.
TIMEOUT=""
if command -v timeout >/dev/null 2>&1; then TIMEOUT="timeout -k 5 120"; fi

IN="$WORK/inputs"
mkdir -p "$IN"
CASE_N=0
OD=""

# A fresh, empty output directory for the next case, in $OD.
new_case() {
  CASE_N=$((CASE_N + 1))
  OD="$WORK/case$CASE_N"
  mkdir -p "$OD"
}

# expect_input_error NAME NAMES EXPECT ARGS...
#   NAMES   strings separated by '|' that must all occur in the message
#           (fixed strings: the option, the file, file:LINE:, the bad value)
#   EXPECT  extended regex (case-insensitive) for "what was expected"
# Runs `ceasim ARGS...` with $OD as the working directory.
expect_input_error() {
  local name="$1" names="$2" expect="$3"
  shift 3
  local before after rc=0 out="$WORK/stdout" err="$WORK/stderr"
  before="$(list_dir "$OD")"
  (cd "$OD" && exec $TIMEOUT "$CEASIM" "$@") >"$out" 2>"$err" </dev/null || rc=$?

  if [ "$rc" -eq 2 ]; then ok "$name: exit status 2"; else not_ok "$name: exit status 2" "got $rc"; fi

  # Exactly one newline-terminated, non-empty line.
  local nl nrec msg
  nl=$(wc -l <"$err" | tr -d ' ')
  nrec=$(awk 'END { print NR }' "$err")
  msg="$(head -n 1 "$err")"
  if [ "$nl" -eq 1 ] && [ "$nrec" -eq 1 ] && [ -n "$msg" ]; then
    ok "$name: stderr is one line: $msg"
  else
    not_ok "$name: stderr is one line" "$nrec lines: $(head -c 300 "$err" | tr '\n' '|')"
  fi

  local IFS_save="$IFS" s missing=""
  IFS='|'
  for s in $names; do
    if ! grep -qF -- "$s" <<<"$msg"; then missing="$missing '$s'"; fi
  done
  IFS="$IFS_save"
  if [ -z "$missing" ]; then
    ok "$name: message names the offending input ($names)"
  else
    not_ok "$name: message names the offending input ($names)" "missing$missing"
  fi

  if grep -qiE -- "$expect" <<<"$msg"; then
    ok "$name: message says what was expected (/$expect/)"
  else
    not_ok "$name: message says what was expected (/$expect/)" "message: $msg"
  fi

  # run's table (observable / energy ... rows) or the demo's rows (' 0.30000 | ...').
  if grep -qE '^(observable|energy|abs_magnetization|errors from|wrote )|^ *[0-9]+\.[0-9]+ +\|' "$out"; then
    not_ok "$name: no observable table on stdout" "stdout: $(head -c 200 "$out" | tr '\n' '|')"
  else
    ok "$name: no observable table on stdout"
  fi

  after="$(list_dir "$OD")"
  if [ "$before" = "$after" ]; then
    ok "$name: output directory unchanged (no output or temporary file)"
  else
    not_ok "$name: output directory unchanged (no output or temporary file)" \
      "before [$(tr "\n" " " <<<"$before")] after [$(tr "\n" " " <<<"$after")]"
  fi
}

# Arguments that make a run quick if a case were wrongly accepted.
SMALL=(--sweeps 200 --therm 10 --quiet)

# expect_graph_runs NAME FILE: a control, `run --model graph` on a valid couplings
# FILE exits 0 and writes its output.
expect_graph_runs() {
  local rc=0
  (cd "$OD" && "$CEASIM" run --model graph --couplings "$2" "${SMALL[@]}" --out "$OD/result.h5") \
    >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
  if [ "$rc" -eq 0 ] && [ -s "$OD/result.h5" ]; then
    ok "$1"
  else
    not_ok "$1" "exit $rc: $(head -n 1 "$WORK/stderr")"
  fi
}


# ---- help and version --------------------------------------------------------

expect_usage() {
  local name="$1" first="$2"
  shift 2
  local rc=0
  "$CEASIM" "$@" >"$WORK/stdout" 2>"$WORK/stderr" </dev/null || rc=$?
  if [ "$rc" -eq 0 ]; then ok "$name: exit status 0"; else not_ok "$name: exit status 0" "got $rc"; fi
  if [ "$(head -n 1 "$WORK/stdout")" = "$first" ] && [ "$(wc -l <"$WORK/stdout")" -gt 3 ]; then
    ok "$name: usage on stdout ('$first' ...)"
  else
    not_ok "$name: usage on stdout ('$first' ...)" "first line: $(head -n 1 "$WORK/stdout")"
  fi
  if [ ! -s "$WORK/stderr" ]; then ok "$name: nothing on stderr"; else not_ok "$name: nothing on stderr"; fi
}
expect_usage "ceasim --help" "usage: ceasim <command> [options]" --help
expect_usage "ceasim run --help" "usage: ceasim run [options]" run --help
expect_usage "ceasim demo --help" "usage: ceasim demo [--L N] [--algo A] [--sweeps N] [--seed S] [--out FILE] [--force]" demo --help
if grep -q -- '--sweeps' "$WORK/stdout"; then ok "ceasim demo --help: documents --sweeps"; else not_ok "ceasim demo --help: documents --sweeps"; fi

want_version=""
if [ -n "${CEASIM_SOURCE_DIR:-}" ] && [ -f "$CEASIM_SOURCE_DIR/CMakeLists.txt" ]; then
  want_version="$(sed -nE 's/^project\(ceasim VERSION ([0-9.]+).*/\1/p' "$CEASIM_SOURCE_DIR/CMakeLists.txt" | head -n 1)"
fi
for opt in --version -V; do
  rc=0
  "$CEASIM" "$opt" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
  v="$(cat "$WORK/stdout")"
  if [ "$rc" -eq 0 ] && [ "$(wc -l <"$WORK/stdout")" -eq 1 ] &&
    [[ "$v" =~ ^ceasim\ [0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*$ ]]; then
    ok "ceasim $opt: prints 'ceasim <version>' ($v)"
  else
    not_ok "ceasim $opt: prints 'ceasim <version>'" "exit $rc, stdout '$v'"
  fi
  if [ -n "$want_version" ]; then
    if [ "$v" = "ceasim $want_version" ]; then
      ok "ceasim $opt: version matches CMakeLists.txt ($want_version)"
    else
      not_ok "ceasim $opt: version matches CMakeLists.txt ($want_version)" "got '$v'"
    fi
  fi
done

# ---- options ---------------------------------------------------------------------

new_case
expect_input_error "--L 0" "--L|0" "expected.*(>= ?2|\[2,)" run --L 0 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--L -4" "--L|-4" "expected.*(>= ?2|\[2,)" run --L -4 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--L abc" "--L|abc" "expected.*integer" run --L abc "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--beta -1" "--beta|-1" "expected.*>= ?0" run --L 4 --beta -1 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--beta nan" "--beta|nan" "expected.*finite" run --L 4 --beta nan "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--beta inf" "--beta|inf" "expected.*finite" run --L 4 --beta inf "${SMALL[@]}" --out "$OD/result.h5"

# Sizes computed from option values (issue 15): refused before any work, not wrapped.
new_case
expect_input_error "--therm + --sweeps wraps" "--therm|18446744073709551615" "expected.*2\^64" \
  run --L 8 --sweeps 200 --therm 18446744073709551615 --out "$OD/result.h5"
new_case
expect_input_error "time series larger than memory" "--sweeps|bytes" "expected.*memory" \
  run --L 8 --sweeps 2305843009213693960 --therm 10 --out "$OD/result.h5"
new_case
expect_input_error "time series larger than memory (--decompose)" "--sweeps|bytes" "expected.*memory" \
  run --decompose --L 8 --sweeps 2305843009213693960 --therm 10 --out "$OD/result.h5"
new_case
expect_input_error "--wolff-clusters 2^40" "--wolff-clusters|1099511627776" "expected at most" \
  run --L 8 --algo wolff --sweeps 200 --wolff-clusters 1099511627776 --out "$OD/result.h5"
new_case
printf '2000000 1000000000000\n1 2 1\n' >"$OD/g.txt"
expect_input_error "G-set header m beyond the file" "g.txt:1:|1000000000000" "hold at most" \
  anneal --gset g.txt --out "$OD/result.h5"
# More size classes (issue 15, item 1): each refused by the one size rule before
# anything is allocated (an edge list's n = 2^31 - 648 was killed by the OOM killer).
new_case
printf 'n 2147483000\n0 1 1.0\n' >"$OD/bign.txt"
expect_input_error "edge list: n beyond memory" "bign.txt|2147483000" "expected at most.*memory" \
  run --model graph --couplings bign.txt "${SMALL[@]}" --out "$OD/result.h5"
new_case
printf '2000000000 1\n1 2 1\n' >"$OD/bign.gset"
expect_input_error "G-set: n beyond memory" "bign.gset|2000000000 spins" "expected at most.*memory" \
  anneal --gset bign.gset --out "$OD/result.h5"
new_case
expect_input_error "anneal: --reads x traces beyond memory" "--reads" "expected at most.*memory" \
  anneal --model sk --n 10 --reads 1000000000 --sweeps 1000 --trace-every 1 --out "$OD/result.h5"
new_case
expect_input_error "attention: n x n scores beyond memory" "--tokens" "expected at most.*memory" \
  attention --synthetic --tokens 1000000 --d-k 4 --seed 1 --out "$OD/result.h5"

# Values that make no physical sense, or that a lenient parser would change (item 6).
new_case
expect_input_error "--beta 1e100 (beta |J| beyond zero temperature)" "--beta|1e+100" "expected at most" \
  run --L 4 --beta 1e100 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--beta 0x10 (hexadecimal)" "--beta|0x10" "expected.*decimal number" \
  run --L 4 --beta 0x10 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--h 1e400 (beyond double range)" "--h|1e400" "expected.*finite" \
  run --L 4 --h 1e400 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "a newline in a value stays one escaped line" '--beta|0.4\nx' "expected.*number" \
  run --L 4 --beta "$(printf '0.4\nx')" "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "a newline in a path stays one escaped line" 'no\nsuch.txt' "(no such file|cannot open)" \
  run --model graph --couplings "$(printf 'no\nsuch.txt')" "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--beta abc" "--beta|abc" "expected.*number" run --L 4 --beta abc "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--model foo" "--model|foo" "expected.*ising2d.*ising3d.*graph" run --model foo "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--algo foo" "--algo|foo" "expected.*metropolis.*heatbath.*wolff.*sw" run --L 4 --algo foo "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--sweeps 63 (63 measurements < 64)" "--sweeps|63" "at least 64" run --L 4 --sweeps 63 --therm 10 --quiet --out "$OD/result.h5"
new_case
expect_input_error "--sweeps 200 --measure-every 4 (50 measurements < 64)" "--sweeps|50" "at least 64" run --L 4 --sweeps 200 --measure-every 4 --therm 10 --quiet --out "$OD/result.h5"
new_case
expect_input_error "--sweeps -5" "--sweeps|-5" "expected.*(non-negative|whole|integer)" run --L 4 --sweeps -5 --therm 10 --quiet --out "$OD/result.h5"
new_case
expect_input_error "unknown option --frobnicate" "--frobnicate" "unknown option" run --L 4 --frobnicate "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--out without its value" "--out" "expected a value" run --L 4 "${SMALL[@]}" --out
new_case
expect_input_error "sweep --beta without its value" "--beta" "expected a value" sweep --L 4 --out "$OD/sw" --beta
new_case
expect_input_error "ceasim frobnicate" "frobnicate" "expected run, demo, sweep, collect, analyze, attention, map, bench or anneal" frobnicate
new_case
expect_input_error "--model graph without --couplings" "--couplings" "expected --couplings" run --model graph "${SMALL[@]}" --out "$OD/result.h5"

# ---- coupling files: text edge lists ----------------------------------------------

# A valid file for control runs and as the base of the broken ones.
printf '# triangle with a field\nn 3\n0 1 1.0\n1 2 0.5\n2 0 1.0\nh 1 0.25\n' >"$IN/good.txt"
new_case
expect_graph_runs "control: the valid edge list good.txt runs and writes its output" "$IN/good.txt"

# --L with a graph: the size is the file's n, so --L would be silently ignored.
new_case
expect_input_error "--model graph --L 64 (a graph's n comes from its file)" "--L|--couplings" "ising2d and ising3d only" run --model graph --L 64 --couplings "$IN/good.txt" "${SMALL[@]}" --out "$OD/result.h5"

new_case
expect_input_error "missing --couplings file" "$IN/missing.txt" "(no such file|cannot open|does not exist)" \
  run --model graph --couplings "$IN/missing.txt" "${SMALL[@]}" --out "$OD/result.h5"

cp "$IN/good.txt" "$IN/unreadable.txt"
chmod 000 "$IN/unreadable.txt"
if cat "$IN/unreadable.txt" >/dev/null 2>&1; then
  skip "unreadable couplings file: chmod 000 does not stop this user (uid $(id -u)) from reading it"
else
  new_case
  expect_input_error "unreadable couplings file" "$IN/unreadable.txt" "(permission denied|cannot (open|read))" \
    run --model graph --couplings "$IN/unreadable.txt" "${SMALL[@]}" --out "$OD/result.h5"
fi
chmod 644 "$IN/unreadable.txt"

printf '# line 1: comment\nn 4\n0 1 1.0\n1 2 1.0 oops\n2 3 1.0\n' >"$IN/malformed.txt"
new_case
expect_input_error "edge list: malformed line 4" "malformed.txt:4:" "expected" \
  run --model graph --couplings "$IN/malformed.txt" "${SMALL[@]}" --out "$OD/result.h5"

printf '# comment\n\n0 1 abc\n' >"$IN/badvalue.txt"
new_case
expect_input_error "edge list: non-numeric coupling on line 3" "badvalue.txt:3:|abc" "expected.*number" \
  run --model graph --couplings "$IN/badvalue.txt" "${SMALL[@]}" --out "$OD/result.h5"

printf '0 1 1.0\n1 2 1.0\n2 -1 1.0\n' >"$IN/negative.txt"
new_case
expect_input_error "edge list: negative index on line 3" "negative.txt:3:|-1" "(expected|>= ?0|out of range)" \
  run --model graph --couplings "$IN/negative.txt" "${SMALL[@]}" --out "$OD/result.h5"

printf 'n 3\n0 1 1.0\n1 2 1.0\n2 3 1.0\n' >"$IN/toolarge.txt"
new_case
expect_input_error "edge list: index 3 >= n 3 on line 4" "toolarge.txt:4:" "(expected.*< ?n|n = 3)" \
  run --model graph --couplings "$IN/toolarge.txt" "${SMALL[@]}" --out "$OD/result.h5"

printf 'n 3\nh 5 0.5\n0 1 1.0\n' >"$IN/fieldrange.txt"
new_case
expect_input_error "edge list: field index 5 >= n 3 on line 2" "fieldrange.txt:2:" "(expected.*< ?n|n = 3)" \
  run --model graph --couplings "$IN/fieldrange.txt" "${SMALL[@]}" --out "$OD/result.h5"

printf '0 1 1.0\n1 2 1.0\n2 2 1.0\n' >"$IN/self.txt"
new_case
expect_input_error "edge list: self-coupling on line 3" "self.txt:3:" "(expected i ?!= ?j|self)" \
  run --model graph --couplings "$IN/self.txt" "${SMALL[@]}" --out "$OD/result.h5"

printf '0 1 1.0\n1 2 1.0\n# the same pair, reversed\n1 0 0.5\n' >"$IN/duppair.txt"
new_case
expect_input_error "edge list: pair (0,1) again on line 4" "duppair.txt:4:" "(already|twice|once)" \
  run --model graph --couplings "$IN/duppair.txt" "${SMALL[@]}" --out "$OD/result.h5"

# Numbers a lenient strtod would change or lose (issue 15, item 6).
printf '0 1 1.0\n1 2 1.0 \0 2 0 5.0\n' >"$IN/nul.txt"
new_case
expect_input_error "edge list: a NUL byte on line 2 (the rest was dropped)" "nul.txt:2:" "expected text.*NUL" \
  run --model graph --couplings "$IN/nul.txt" "${SMALL[@]}" --out "$OD/result.h5"
printf '0 1 1.0\n1 2 0x10\n' >"$IN/hex.txt"
new_case
expect_input_error "edge list: hexadecimal coupling on line 2" "hex.txt:2:|0x10" "expected.*decimal number" \
  run --model graph --couplings "$IN/hex.txt" "${SMALL[@]}" --out "$OD/result.h5"
printf '0 1 1.0\n1 2 1e-400\n' >"$IN/underflow.txt"
new_case
expect_input_error "edge list: 1e-400 would become 0 (line 2)" "underflow.txt:2:|1e-400" "expected.*4.9e-324" \
  run --model graph --couplings "$IN/underflow.txt" "${SMALL[@]}" --out "$OD/result.h5"
printf '0 1 1e308\n1 2 1e308\n2 0 1e308\n' >"$IN/huge.txt"
new_case
expect_input_error "edge list: couplings of 1e308 (energies overflow), refused before the run" "huge.txt" \
  "expected at most 1e\+100" run --model graph --couplings "$IN/huge.txt" "${SMALL[@]}" --out "$OD/result.h5"
# A subnormal coupling is a finite number (it was refused as 'not finite').
printf '0 1 1.0\n1 2 1e-310\n' >"$IN/subnormal.txt"
new_case
expect_graph_runs "edge list: a subnormal coupling 1e-310 is accepted as the finite number it is" "$IN/subnormal.txt"

printf '0 1 1.0\nh 1 0.5\n1 2 1.0\nh 1 0.25\n' >"$IN/dupfield.txt"
new_case
expect_input_error "edge list: field on spin 1 again on line 4" "dupfield.txt:4:" "(already|twice|once)" \
  run --model graph --couplings "$IN/dupfield.txt" "${SMALL[@]}" --out "$OD/result.h5"

# ---- coupling files: HDF5 CSR -------------------------------------------------------

py_checks "write HDF5 inputs" "$IN" <<'EOF'
import os, sys
import h5py
import numpy as np
from chk import ok

d = sys.argv[1]

def csr(name, indptr, indices, data, h=None):
    with h5py.File(os.path.join(d, name), "w") as f:
        f["indptr"] = np.asarray(indptr, dtype=np.int64)
        f["indices"] = np.asarray(indices, dtype=np.int32)
        f["data"] = np.asarray(data, dtype=np.float64)
        if h is not None:
            f["h"] = np.asarray(h, dtype=np.float64)

# A 6-ring with J = 1 (rows sorted), used as the base of the broken files.
n = 6
indptr = [0]
indices, data = [], []
for i in range(n):
    nb = sorted({(i - 1) % n, (i + 1) % n})
    indices += nb
    data += [1.0] * len(nb)
    indptr.append(len(indices))
csr("good.h5", indptr, indices, data)
bad = list(indices)
bad[3] = 7                       # row 1 points at spin 7 of 6
csr("range.h5", indptr, bad, data)
asym = list(data)
asym[0] = 0.5                    # J[0][1] = 0.5 but J[1][0] = 1
csr("asym.h5", indptr, indices, asym)
neg = list(data)
neg[0] = neg[2] = -1.0           # J[0][1] = J[1][0] = -1: antiferromagnetic bond
csr("negative.h5", indptr, indices, neg)

raw = open(os.path.join(d, "good.h5"), "rb").read()
# A genuine superblock signature followed by garbage.
rng = np.random.default_rng(7)
with open(os.path.join(d, "garbage.h5"), "wb") as f:
    f.write(raw[:8] + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
# The real file cut short (the data at its end is missing).
with open(os.path.join(d, "truncated.h5"), "wb") as f:
    f.write(raw[: len(raw) - 64])
# A well-formed file whose 'indices' dataset claims 2^61 entries (chunked, never
# written, so the file stays tiny): the reader must refuse it (indptr[n] = 12)
# without trusting that size; 2^61 * 8 bytes also wraps around size_t.
with h5py.File(os.path.join(d, "hugeindices.h5"), "w") as f:
    f["indptr"] = np.asarray(indptr, dtype=np.int64)
    f.create_dataset("indices", shape=(2**61,), dtype=np.int64, chunks=(1024,))
    f["data"] = np.asarray(data, dtype=np.float64)
# A 2 KB file whose compressed 'indptr' (n = 2^31 - 1 spins) was never written
# (issue 15): its size must be doubted before 16 GiB are asked for.
with h5py.File(os.path.join(d, "unwritten_indptr.h5"), "w") as f:
    f.create_dataset("indptr", shape=(2**31,), dtype=np.int64, chunks=(4096,),
                     compression="gzip")
    f["indices"] = np.asarray(indices, dtype=np.int32)
    f["data"] = np.asarray(data, dtype=np.float64)

ok(raw[:8] == b"\x89HDF\r\n\x1a\n", "write HDF5 inputs: h5py wrote CSR files with an HDF5 signature")
EOF

new_case
expect_graph_runs "control: the valid HDF5 CSR file good.h5 runs and writes its output" "$IN/good.h5"

new_case
expect_input_error "HDF5: signature followed by garbage" "garbage.h5" "(corrupt|not a (readable|valid) HDF5)" \
  run --model graph --couplings "$IN/garbage.h5" "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "HDF5: truncated file" "truncated.h5" "(corrupt|truncated|not a (readable|valid) HDF5)" \
  run --model graph --couplings "$IN/truncated.h5" "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "HDF5: column index 7 out of range" "range.h5|7" "(out of range|\[0, ?6\)|expected)" \
  run --model graph --couplings "$IN/range.h5" "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "HDF5: asymmetric J" "asym.h5" "symmetric" \
  run --model graph --couplings "$IN/asym.h5" "${SMALL[@]}" --out "$OD/result.h5"

new_case
expect_input_error "HDF5: 'indices' claims 2^61 entries (indptr[n] = 12)" "hugeindices.h5" "(indices|indptr|entries|expected)" \
  run --model graph --couplings "$IN/hugeindices.h5" "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "HDF5: compressed 'indptr' never written" "unwritten_indptr.h5|indptr" "(never written|corrupt)" \
  run --model graph --couplings "$IN/unwritten_indptr.h5" "${SMALL[@]}" --out "$OD/result.h5"

# ---- algorithm / model mismatch -------------------------------------------------------

printf '0 1 1.0\n1 2 -1.0\n2 0 1.0\n' >"$IN/frustrated.txt"
for algo in wolff sw; do
  new_case
  expect_input_error "--algo $algo on a graph with a negative coupling (edge list)" "--algo $algo" "ferromagnetic|J_ij >= ?0" \
    run --model graph --couplings "$IN/frustrated.txt" --algo "$algo" "${SMALL[@]}" --out "$OD/result.h5"
  new_case
  expect_input_error "--algo $algo on a graph with a negative coupling (HDF5)" "--algo $algo" "ferromagnetic|J_ij >= ?0" \
    run --model graph --couplings "$IN/negative.h5" --algo "$algo" "${SMALL[@]}" --out "$OD/result.h5"
done
new_case
expect_input_error "--algo wolff with --h 0.1 on ising2d" "--algo wolff" "zero field" \
  run --L 4 --algo wolff --h 0.1 "${SMALL[@]}" --out "$OD/result.h5"
new_case
expect_input_error "--algo sw with a field on the graph (h line)" "--algo sw" "zero field" \
  run --model graph --couplings "$IN/good.txt" --algo sw "${SMALL[@]}" --out "$OD/result.h5"

# ---- output files -------------------------------------------------------------------

new_case
head -c 1000 /dev/urandom >"$OD/result.h5"
cp "$OD/result.h5" "$WORK/result.h5.orig"
expect_input_error "existing output file without --force" "result.h5" "(--force|exists)" \
  run --L 4 "${SMALL[@]}" --out "$OD/result.h5"
if cmp -s "$OD/result.h5" "$WORK/result.h5.orig"; then
  ok "existing output file without --force: file is byte-for-byte unchanged"
else
  not_ok "existing output file without --force: file is byte-for-byte unchanged"
fi

new_case
expect_input_error "output directory does not exist" "$OD/nodir" "(does not exist|no such)" \
  run --L 4 "${SMALL[@]}" --out "$OD/nodir/result.h5"
if [ ! -e "$OD/nodir" ]; then ok "output directory does not exist: it was not created"; else not_ok "output directory does not exist: it was not created"; fi

new_case
mkdir "$OD/adir"
expect_input_error "--out names a directory" "$OD/adir" "(directory|expected a file)" \
  run --L 4 "${SMALL[@]}" --out "$OD/adir"

# ---- demo -------------------------------------------------------------------------------

new_case
expect_input_error "demo --sweeps 10" "--sweeps|10" "at least 64" demo --sweeps 10 --out "$OD/demo.h5"
new_case
expect_input_error "demo --algo foo" "--algo|foo" "expected.*metropolis" demo --sweeps 200 --algo foo --out "$OD/demo.h5"
new_case
expect_input_error "demo --L 2" "--L|2" "expected" demo --L 2 --sweeps 200 --out "$OD/demo.h5"
new_case
expect_input_error "demo: output directory does not exist" "nodir" "does not exist" \
  demo --sweeps 200 --out "$OD/nodir/demo.h5"

cli_finish
