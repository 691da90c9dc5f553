#!/usr/bin/env bash
# Shared helpers for the `ceasim sweep` / `ceasim collect` tests
# (sourced by tests/cli_sweep*.sh after tests/cli_lib.sh).
#
#   sweep_init "$@"        cli_init, Open MPI settings, $WORK/sweepcmp.py
#   run1 TAG ARGS...       ceasim ARGS in $RUN_CWD (default $WORK), no mpirun
#                          (MPI singleton); stdout, stderr, status in
#                          $WORK/TAG.{out,err,rc}
#   runmpi NP TAG ARGS...  the same under mpirun -np NP
#   rc_of TAG / err_lines TAG / first_err TAG
#   snapshot DIR           one line per file below DIR: path, size, mtime, sha256
#   py_cmp LABEL DIR_A DIR_B [--no-summary]
#                          the two sweeps hold the same task files, bitwise equal
#                          /timeseries, /observables and attributes (command_line
#                          aside), and equal summary.h5 columns
#
# Run directly (CMake registers every tests/cli_*.sh), it checks what the sweep
# tests need: mpirun starts ceasim on 2 ranks and the ranks see each other.

# Open MPI refuses root without these; the machines have 2 cores, the tests use
# up to 3 ranks.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe --bind-to none -np)

sweep_init() {
  cli_init "$@"
  if ! command -v mpirun >/dev/null 2>&1; then
    echo "$0: mpirun not found" >&2
    exit 2
  fi
  cat >"$WORK/sweepcmp.py" <<'EOF'
# Comparisons of sweep directories, bitwise.
import hashlib
import os

import h5py
import numpy as np


def same_value(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "SUO" or b.dtype.kind in "SUO":
        return a.shape == b.shape and a.tolist() == b.tolist()
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def task_names(d):
    t = os.path.join(d, "tasks")
    return sorted(x for x in os.listdir(t) if x.endswith(".h5") and not x.startswith("."))


def hidden(d):
    """Temporary (dot) files anywhere below d."""
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.join(root, f) for f in files if f.startswith(".")]
    return sorted(out)


def diff_attrs(a, b, skip=("command_line",)):
    ka, kb = set(a.keys()) - set(skip), set(b.keys()) - set(skip)
    if ka != kb:
        return f"attribute names differ: {sorted(ka ^ kb)}"
    for k in sorted(ka):
        if not same_value(a[k], b[k]):
            return f"attribute {k}: {a[k]!r} vs {b[k]!r}"
    return None


def diff_task(pa, pb):
    """None if the two task files agree bitwise (command_line aside), else why."""
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        w = diff_attrs(a.attrs, b.attrs)
        if w:
            return "root " + w
        if set(a.keys()) != set(b.keys()):
            return f"groups {sorted(a.keys())} vs {sorted(b.keys())}"
        ts_a, ts_b = a["timeseries"], b["timeseries"]
        if set(ts_a) != set(ts_b):
            return f"/timeseries {sorted(ts_a)} vs {sorted(ts_b)}"
        for k in ts_a:
            if not same_value(ts_a[k][()], ts_b[k][()]):
                return f"/timeseries/{k} differs"
        oa, ob = a["observables"], b["observables"]
        w = diff_attrs(oa.attrs, ob.attrs, ())
        if w:
            return "/observables " + w
        if set(oa) != set(ob):
            return f"/observables {sorted(oa)} vs {sorted(ob)}"
        for k in oa:
            if not same_value(oa[k][()], ob[k][()]):
                return f"/observables/{k}: {oa[k][()]!r} vs {ob[k][()]!r}"
            w = diff_attrs(oa[k].attrs, ob[k].attrs, ())
            if w:
                return f"/observables/{k} " + w
    return None


def diff_summary(pa, pb):
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        w = diff_attrs(a.attrs, b.attrs)
        if w:
            return w
        if set(a.keys()) != set(b.keys()):
            return f"columns {sorted(set(a) ^ set(b))}"
        for k in a:
            if not same_value(a[k][()], b[k][()]):
                return f"column {k} differs"
    return None


def compare(ok, label, da, db, summary=True, names=None):
    """ok() lines: same task files, each bitwise equal; same summary columns."""
    try:
        na, nb = task_names(da), task_names(db)
    except OSError as e:
        return ok(False, f"{label}: both sweeps have a tasks/ directory", str(e))
    if names is not None:
        na = [x for x in na if x in names]
        nb = [x for x in nb if x in names]
    good = ok(na == nb and len(na) > 0, f"{label}: the same {len(na)} task files",
              f"only in A: {sorted(set(na) - set(nb))}, only in B: {sorted(set(nb) - set(na))}")
    bad = []
    for n in sorted(set(na) & set(nb)):
        try:
            w = diff_task(os.path.join(da, "tasks", n), os.path.join(db, "tasks", n))
        except Exception as e:  # noqa: BLE001
            w = f"unreadable: {e}"
        if w:
            bad.append(f"{n}: {w}")
    good &= ok(not bad, f"{label}: task files bitwise equal (/timeseries, /observables, "
               "attributes but command_line)", "; ".join(bad[:3]))
    if summary:
        try:
            w = diff_summary(os.path.join(da, "summary.h5"), os.path.join(db, "summary.h5"))
        except Exception as e:  # noqa: BLE001
            w = f"unreadable: {e}"
        good &= ok(w is None, f"{label}: summary.h5 columns and attributes equal "
                   "(command_line aside)", w or "")
    return good


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
EOF
}

# run1 TAG ARGS...: one process, no mpirun (ceasim starts MPI as a singleton).
run1() {
  local tag="$1"
  shift
  local rc=0
  # (the braces keep bash's "Killed" report of a killed run out of the test output)
  { (cd "${RUN_CWD:-$WORK}" && exec "$CEASIM" "$@") </dev/null >"$WORK/$tag.out" 2>"$WORK/$tag.err" || rc=$?; } 2>/dev/null
  echo "$rc" >"$WORK/$tag.rc"
  return 0
}

# runmpi NP TAG ARGS...: under mpirun.
runmpi() {
  local np="$1" tag="$2"
  shift 2
  local rc=0
  { (cd "${RUN_CWD:-$WORK}" && exec "${MPIRUN[@]}" "$np" "$CEASIM" "$@") </dev/null \
    >"$WORK/$tag.out" 2>"$WORK/$tag.err" || rc=$?; } 2>/dev/null
  echo "$rc" >"$WORK/$tag.rc"
  return 0
}

rc_of() { cat "$WORK/$1.rc"; }
err_lines() { wc -l <"$WORK/$1.err" | tr -d ' '; }
first_err() { head -n 1 "$WORK/$1.err"; }
# For "not ok" explanations: status and the first lines of stderr.
why() { echo "exit $(rc_of "$1"): $(head -c 400 "$WORK/$1.err" | tr '\n' '|')"; }

# check_run TAG WHAT: the run exited 0.
check_run() {
  if [ "$(rc_of "$1")" = 0 ]; then ok "$2: exit status 0"; else not_ok "$2: exit status 0" "$(why "$1")"; fi
}

# snapshot DIR: every file below DIR (dot files too) with size, mtime and sha256.
snapshot() {
  (cd "$1" 2>/dev/null && find . -type f -printf '%p %s %T@\n' | LC_ALL=C sort |
    while read -r p s t; do echo "$p $s $t $(sha256sum "$p" | cut -c1-64)"; done)
  (cd "$1" 2>/dev/null && find . -type d | LC_ALL=C sort)
}

# py_cmp LABEL DIR_A DIR_B [--no-summary]
py_cmp() {
  py_checks "$1" "$@" <<'EOF'
import sys
from chk import ok
import sweepcmp
label, da, db = sys.argv[1], sys.argv[2], sys.argv[3]
sweepcmp.compare(ok, label, da, db, summary="--no-summary" not in sys.argv[4:])
EOF
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  # shellcheck source=tests/cli_lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
  sweep_init "$@"
  runmpi 2 pre sweep --L 4 --beta 0.4 --replicas 2 --sweeps 200 --therm 10 --out pre --no-analysis
  if [ "$(rc_of pre)" = 0 ] && grep -q "on 2 ranks" "$WORK/pre.err" "$WORK/pre.out"; then
    ok "prerequisites: mpirun -np 2 runs a sweep on 2 ranks"
  else
    not_ok "prerequisites: mpirun -np 2 runs a sweep on 2 ranks" "$(why pre)"
  fi
  cli_finish
fi
