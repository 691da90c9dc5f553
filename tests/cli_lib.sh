#!/usr/bin/env bash
# Shared helpers for the ceasim CLI tests (sourced by tests/cli_*.sh).
#
# Usage from a test script:
#   set -euo pipefail
#   source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
#   cli_init "$@"          # sets CEASIM, PY, WORK (a mktemp -d removed on exit)
#   ok "what"  /  not_ok "what" "why"  /  check "what" command...
#   py_checks "group" <<'EOF' ... EOF   # python that calls ok()/fail()
#   cli_finish             # prints "N passed, M failed", exits 1 if M > 0
#
# Every check prints exactly one line, "ok - ..." or "not ok - ...", so the
# output reads like TAP and a failure says which check it was.

PASSED=0
FAILED=0

cli_init() {
  if [ $# -lt 1 ]; then
    echo "usage: bash $0 /path/to/ceasim" >&2
    exit 2
  fi
  case "$1" in
    /*) CEASIM="$1" ;;
    *) CEASIM="$PWD/$1" ;;
  esac
  if [ ! -x "$CEASIM" ]; then
    echo "$0: $CEASIM is not an executable" >&2
    exit 2
  fi
  PY="${CEASIM_PYTHON:-/usr/bin/python3}"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/ceasim-cli.XXXXXX")"
  # shellcheck disable=SC2064
  trap "chmod -R u+rwx '$WORK' 2>/dev/null; rm -rf '$WORK'" EXIT
  # Sanitizer builds: a UBSan report should fail the run, not scroll past.
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  cat >"$WORK/chk.py" <<'EOF'
# Helpers for the python parts of the CLI tests: one output line per check.
import math
import sys

passed = 0
failed = 0


def ok(cond, what, why=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what, flush=True)
    else:
        failed += 1
        print("not ok - " + what + ("  # " + why if why else ""), flush=True)
    return bool(cond)


def fail(what, why=""):
    return ok(False, what, why)


def close(a, b, tol):
    """|a - b| <= tol * max(1, |b|), treating NaN == NaN as equal."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(b))


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def run_in(ceasim, cwd, args, timeout=120):
    """Runs ceasim with args in cwd, no stdin, output captured."""
    import subprocess
    return subprocess.run([ceasim] + args, cwd=cwd, capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def run_ok_in(ceasim, cwd, label, args, timeout=120):
    """run_in, checking exit 0 and a silent stderr (one check)."""
    p = run_in(ceasim, cwd, args, timeout)
    ok(p.returncode == 0 and p.stderr == b"", f"{label}: exit 0, quiet stderr",
       f"rc {p.returncode}: {p.stderr.decode(errors='replace').strip()[:300]}")
    return p
EOF
}

ok() {
  PASSED=$((PASSED + 1))
  echo "ok - $1"
}

not_ok() {
  FAILED=$((FAILED + 1))
  if [ -n "${2:-}" ]; then
    echo "not ok - $1  # $2"
  else
    echo "not ok - $1"
  fi
}

skip() {
  PASSED=$((PASSED + 1))
  echo "ok - # SKIP $1"
}

# check WHAT COMMAND...: one check that passes when COMMAND succeeds.
check() {
  local what="$1"
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# Runs python (script on stdin, extra arguments after the group name) with the
# chk.py helpers importable; counts its ok / not ok lines. A python crash is a
# failed check of its own.
py_checks() {
  local group="$1"
  shift
  local out="$WORK/py.out" rc=0
  PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}" "$PY" - "$@" >"$out" 2>"$WORK/py.err" || rc=$?
  cat "$out"
  local p f
  p=$(grep -c '^ok - ' "$out" || true)
  f=$(grep -c '^not ok - ' "$out" || true)
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  if [ "$rc" -ne 0 ]; then
    not_ok "$group: python checks ran to completion" \
      "exit $rc: $(tail -n 1 "$WORK/py.err" 2>/dev/null)"
  fi
}

# Lists a directory including dot files, one name a line, sorted.
list_dir() {
  (cd "$1" && LC_ALL=C ls -A) 2>/dev/null | LC_ALL=C sort
}

cli_finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# Run directly (CMake registers every tests/cli_*.sh, this file included), it
# checks what the other CLI tests need: the binary, python with h5py and numpy.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cli_init "$@"
  v="$("$CEASIM" --version 2>&1)" || true
  if [[ "$v" =~ ^ceasim\  ]]; then ok "prerequisites: $CEASIM --version runs ($v)"; else not_ok "prerequisites: $CEASIM --version runs" "$v"; fi
  py_checks "prerequisites" <<'PYEOF'
from chk import ok
try:
    import h5py
    import numpy
    ok(True, f"prerequisites: python has h5py {h5py.__version__} and numpy {numpy.__version__}")
except ImportError as e:
    ok(False, "prerequisites: python has h5py and numpy", str(e))
PYEOF
  cli_finish
fi
