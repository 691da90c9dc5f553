#!/usr/bin/env bash
# ceasim CLI: nothing silently lost on a full disk or a failing device (issue 15).
#
# 1. Fault injection: tests/fault_inject.c (LD_PRELOAD) makes the k-th write, pwrite,
#    writev, ftruncate, fsync, fdatasync or close on a regular file fail with ENOSPC
#    (odd k) or EIO (even k). For run, sweep (checkpoints, task files, sweep.h5,
#    summary.h5), map, attention, anneal (HDF5 and --write-instance text), bench
#    (--out .h5 and .json), analyze and collect, a fault-free run counts the calls N;
#    then k = 1..N+1 each in a fresh directory, or, where N+1 is more than KMAX
#    (CEASIM_FAULT_KMAX, 8 here, 1 under the sanitizers, half of it for sweep; 0 =
#    every k), the first five, the last four and evenly spaced ones between (evenly
#    spaced over 2..N where fewer than 9, the middle one where 1). Each case holds when:
#    - the exit status is 1 and stderr is one line naming the output file, or the
#      status is 0 (the fault missed, or hit a call that cannot change the output:
#      the removed probe of the early --out check) and the output equals the
#      fault-free one (HDF5 content, timings aside; text bitwise);
#    - after exit 1 no output is published and no temporary (.NAME.tmp.*) is left;
#      for sweep, every task file that is there equals the fault-free one and a
#      rerun without faults completes with fault-free results.
# 2. Symlinks planted at temporary names and at the probe's name never lead a write
#    to their victim; an HDF5 input with an external link is refused (exit 2).
# 3. A real full disk: a 64 KiB tmpfs (only where mounting one is allowed, e.g. as
#    root; skipped otherwise): `map --out` fails with exit 1 and publishes nothing.
#
# The sanitizer pass preloads ASan's runtime first (it must come first) and the
# shim after it; ASan's own write interceptors then pass the calls on to the shim.
# The sanitizer pass leaves out the sweep's faults (4 s a run under ASan with MPI; its
# writers are the ones faulted in run and collect, and cli_sweep* run them under
# ASan). Runs with a fault do not check leaks: HDF5 1.10 loses a file's driver state when
# close(2) of a file it read fails (its bug, not ceasim's); fault-free runs do.
# A developer runs every k with CEASIM_FAULT_KMAX=0 (about a minute).
# usage: bash tests/cli_disk_faults.sh /path/to/ceasim   (CEASIM_FAULT_INJECT=shim.so)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

SHIM="${CEASIM_FAULT_INJECT:-}"
if [ -z "$SHIM" ] || [ ! -f "$SHIM" ]; then
  not_ok "fault injector" "CEASIM_FAULT_INJECT does not name the built fault_inject.so"
  cli_finish
fi
PRELOAD="$SHIM"
KMAX="${CEASIM_FAULT_KMAX:-8}"
ASAN="$(ldd "$CEASIM" | awk '/libasan/ {print $3}')"
if [ -n "$ASAN" ]; then
  PRELOAD="$ASAN:$SHIM"
  KMAX="${CEASIM_FAULT_KMAX:-1}"
fi

py_checks "faults" "$CEASIM" "$WORK" "$PRELOAD" "$KMAX" <<'PYEOF'
import os, shutil, subprocess, sys, json
import numpy as np
import h5py
from chk import ok, fail

C, WORK, PRELOAD, KMAX = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
COUNT = os.path.join(WORK, "calls")
# The cases run on /dev/shm where there is one: each published file costs two
# fsyncs, 7 ms on this machine's disk, and the shim counts the calls, not their time.
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    import atexit, tempfile
    WORK = tempfile.mkdtemp(prefix="ceasim-faults.", dir="/dev/shm")
    atexit.register(shutil.rmtree, WORK, True)
BASE = dict(os.environ, CEASIM_FAULT_PROGRAM="ceasim")

def run(args, cwd, k=0):
    env = dict(BASE, LD_PRELOAD=PRELOAD, CEASIM_FAULT_AT=str(k), CEASIM_FAULT_COUNT=COUNT,
               CEASIM_FAULT_ERRNO="ENOSPC" if k % 2 else "EIO")
    if k:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    if os.path.exists(COUNT):
        os.remove(COUNT)
    p = subprocess.run([C] + args, cwd=cwd, env=env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    calls = 0
    if os.path.exists(COUNT):
        calls = sum(int(l.split()[1]) for l in open(COUNT) if l.strip())
    return p, calls

def h5_items(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, o):
            for k, a in o.attrs.items():
                out[name + "@" + k] = a
            if isinstance(o, h5py.Dataset):
                out[name] = o[()]
        for k, a in f.attrs.items():
            out["@" + k] = a
        f.visititems(visit)
    return out

def same_value(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))

def same_file(p, ref, timed):
    """p equals ref: text bitwise; HDF5 by content, measured times aside; a timed
    file (bench) needs only to be a complete file of the same layout."""
    if not p.endswith(".h5"):
        a, b = open(p, "rb").read(), open(ref, "rb").read()
        if timed:
            return json.loads(a).keys() == json.loads(b).keys()
        return a == b
    try:
        x, y = h5_items(p), h5_items(ref)
    except Exception:
        return False
    if x.keys() != y.keys():
        return False
    return timed or all(same_value(x[k], y[k]) for k in x if "seconds" not in k)

def temporaries(d):
    return [os.path.join(r, n) for r, _, fs in os.walk(d) for n in fs if ".tmp." in n]

def ks(n, cap):
    if KMAX <= 0 or n + 1 <= cap:
        return list(range(1, n + 2))
    if cap == 1:
        return [n // 2 + 1]
    if cap < 9:  # evenly spaced over 2..N (1 is the probe's close, N+1 a miss)
        return sorted(set(2 + round(i * (n - 2) / max(cap - 1, 1)) for i in range(cap)))
    head, tail = list(range(1, 6)), list(range(n - 2, n + 2))
    mid = cap - 9
    between = [int(round(6 + (n - 9) * (i + 1) / (mid + 1))) for i in range(mid)]
    return sorted(set(head + between + tail))

S = ["--L", "4", "--beta", "0.3,0.4", "--sweeps", "64", "--therm", "10"]
# name, args, outputs (relative to the case dir), setup, timed, sweep-like
CASES = [
    ("run", ["run", "--L", "8", "--sweeps", "200", "--therm", "10", "--out", "o.h5"], ["o.h5"]),
    ("map", ["map", "--synthetic", "--tokens", "40", "--d-k", "8", "--seed", "2", "--out", "o.h5"],
     ["o.h5"]),
    ("attention", ["attention", "--synthetic", "--tokens", "8", "--d-k", "2", "--seed", "1",
                   "--out", "o.h5"], ["o.h5"]),
    ("anneal", ["anneal", "--model", "sk", "--n", "14", "--seed", "3", "--reads", "12",
                "--out", "o.h5"], ["o.h5"]),
    ("anneal-instance", ["anneal", "--model", "sk", "--n", "14", "--seed", "3", "--reads", "2",
                         "--write-instance", "o.txt"], ["o.txt"]),
    ("bench-h5", ["bench", "--seconds", "0.01", "--L", "4", "--algo", "metropolis",
                  "--out", "o.h5"], ["o.h5"]),
    ("bench-json", ["bench", "--seconds", "0.01", "--L", "4", "--algo", "metropolis",
                    "--out", "o.json"], ["o.json"]),
    ("sweep", ["sweep"] + S + ["--checkpoint-every", "0.002", "--no-analysis", "--quiet",
                               "--out", "sw"], None),
    ("analyze", ["analyze", "sw", "--quiet", "--out", "o.h5"], ["o.h5"]),
    ("collect", ["collect", "sw"], ["sw/summary.h5"]),
]

ref_sweep = os.path.join(WORK, "ref_sweep")
def setup(name, d):
    if os.path.exists(d):
        shutil.rmtree(d)
    if name in ("analyze", "collect"):
        shutil.copytree(os.path.join(ref_sweep, "sw"), os.path.join(d, "sw"))
        if name == "collect":
            os.remove(os.path.join(d, "sw", "summary.h5"))
    else:
        os.makedirs(d)

def sweep_files(d):
    sw = os.path.join(d, "sw")
    fs = [os.path.join("sw", n) for n in ("sweep.h5", "summary.h5")]
    t = os.path.join(sw, "tasks")
    if os.path.isdir(t):
        fs += [os.path.join("sw", "tasks", n) for n in sorted(os.listdir(t))]
    return [f for f in fs if os.path.exists(os.path.join(d, f))]

import time
tried = held = 0
outcome = {"exit 1": 0, "exit 0, fault hit": 0, "exit 0, missed": 0}
for name, args, outs in CASES:
    t0 = time.time()
    if name == "sweep" and "libasan" in PRELOAD:  # only the directory analyze and collect read
        setup(name, ref_sweep)
        p, n = run(args, ref_sweep)
        ok(p.returncode == 0, f"sweep: fault-free run, {n} counted calls")
        continue
    refd = ref_sweep if name == "sweep" else os.path.join(WORK, "ref_" + name)
    setup(name, refd)
    p, n = run(args, refd)
    if not ok(p.returncode == 0 and n > 0, f"{name}: fault-free run, {n} counted calls",
              p.stderr.decode(errors="replace").strip()[:300]):
        continue
    timed = name.startswith("bench")
    if outs is None:
        outs_ref = sweep_files(refd)
    else:
        outs_ref = outs
    bad = []
    # A sweep case costs 0.3 s (MPI's start) and a rerun: half as many of them.
    klist = ks(n, KMAX if name != "sweep" else max(KMAX // 2, 1))
    for k in klist:
        d = os.path.join(WORK, "case")
        setup(name, d)
        p, calls = run(args, d, k)
        err = p.stderr.decode(errors="replace").strip()
        lines = err.splitlines()
        why = None
        tmp = temporaries(d)
        if p.returncode not in (0, 1):
            why = f"exit {p.returncode}"
        elif calls < k and p.returncode != 0:
            why = "fault never hit, yet exit 1"
        elif tmp:
            why = f"temporaries left: {tmp}"
        elif p.returncode == 1:
            named = [o for o in (outs or ["sw/"]) if o in err or os.path.basename(o) in err]
            if len(lines) != 1 or not named:
                why = "stderr not one line naming the file"
            elif outs is not None and any(os.path.exists(os.path.join(d, o)) for o in outs):
                why = "an output was published"
            elif outs is None:
                stale = [f for f in sweep_files(d)
                         if not same_file(os.path.join(d, f), os.path.join(refd, f), False)]
                if stale:
                    why = f"published files differ from the fault-free ones: {stale}"
                else:
                    q, _ = run(args, d)
                    if q.returncode != 0 or temporaries(d):
                        why = f"rerun: exit {q.returncode} {q.stderr.decode(errors='replace')[:200]}"
                    elif sweep_files(d) != outs_ref or not all(
                            same_file(os.path.join(d, f), os.path.join(refd, f), False)
                            for f in outs_ref):
                        why = "rerun: results differ from the fault-free run"
        else:
            now = sweep_files(d) if outs is None else outs
            if now != outs_ref or not all(
                    os.path.exists(os.path.join(d, f)) and
                    same_file(os.path.join(d, f), os.path.join(refd, f), timed) for f in now):
                why = "exit 0 but the output differs from the fault-free one"
        tried += 1
        outcome["exit 1" if p.returncode else
                "exit 0, fault hit" if calls >= k else "exit 0, missed"] += 1
        if why:
            bad.append(f"k={k}: {why}: {err[:200]}")
        else:
            held += 1
    ok(not bad, f"{name}: {len(klist)} faults (k of 1..{n + 1}{'' if len(klist) == n + 1 else ', sampled'}): "
       "exit 1 naming the file and nothing published, or exit 0 with the fault-free output",
       "; ".join(bad[:3]))
    print(f"# {name}: {time.time() - t0:.1f} s", flush=True)
print(f"# fault injection: {tried} cases tried, {held} held ({outcome})", flush=True)
ok(tried > 0 and tried == held, f"fault injection: {held} of {tried} cases held")
PYEOF

# ---- 2. symlinks at temporary names; external links in inputs ---------------
mkdir -p "$WORK/sym"
cd "$WORK/sym"
echo "victim text" >victim.txt
cp victim.txt victim.orig
# The old predictable name, and names for a few pids around ours: any of them a
# symlink to the victim.
"$PY" -c '
import os, sys
for pid in range(int(sys.argv[1]) - 5, int(sys.argv[1]) + 400):
    for n in (".o.h5.tmp.%d" % pid, ".o.txt.tmp.%d" % pid):
        os.symlink(sys.argv[2], n)
' $$ "$WORK/sym/victim.txt"
rc=0
"$CEASIM" run --L 4 --sweeps 64 --therm 10 --out o.h5 >/dev/null 2>err.txt || rc=$?
"$CEASIM" anneal --model sk --n 8 --seed 1 --reads 2 --write-instance o.txt >/dev/null 2>>err.txt || rc=$?
if [ "$rc" = 0 ] && cmp -s victim.txt victim.orig && [ -f o.h5 ] && [ -f o.txt ] &&
  [ ! -L o.h5 ]; then
  ok "symlinks planted at .NAME.tmp.PID names: victim untouched, outputs written beside them"
else
  not_ok "symlinks planted at .NAME.tmp.PID names" "rc $rc: $(head -c 300 err.txt)"
fi
# --out itself a dangling symlink: refused without --force like any existing file.
ln -s "$WORK/sym/victim2.txt" link.h5
rc=0
"$CEASIM" run --L 4 --sweeps 64 --therm 10 --out link.h5 >/dev/null 2>err.txt || rc=$?
if [ "$rc" = 2 ] && [ ! -e victim2.txt ] && [ "$(wc -l <err.txt)" = 1 ]; then
  ok "--out naming a symlink: exit 2, its target not created"
else
  not_ok "--out naming a symlink" "rc $rc: $(head -c 300 err.txt)"
fi
# With --force the symlink itself is replaced (rename), never written through.
ln -s "$WORK/sym/victim.txt" flink.h5
rc=0
"$CEASIM" run --L 4 --sweeps 64 --therm 10 --out flink.h5 --force >/dev/null 2>err.txt || rc=$?
if [ "$rc" = 0 ] && [ ! -L flink.h5 ] && [ -f flink.h5 ] && cmp -s victim.txt victim.orig; then
  ok "--out naming a symlink to a victim, with --force: the link is replaced, the victim untouched"
else
  not_ok "--out symlink with --force" "rc $rc: $(head -c 300 err.txt)"
fi

py_checks "external links" "$CEASIM" "$WORK/sym" <<'PYEOF'
import os, subprocess, sys
import h5py, numpy as np
from chk import ok, run_in
C, D = sys.argv[1], sys.argv[2]
os.chdir(D)
# A couplings file made by `ceasim map`, then the same with one external link added
# (and one whose indices live in an external raw file).
p = run_in(C, D, ["map", "--synthetic", "--tokens", "12", "--d-k", "4", "--seed", "1",
                  "--out", "good.h5"])
ok(p.returncode == 0, "map writes a couplings file", p.stderr.decode()[:200])
with h5py.File("secret.h5", "w") as f:
    f["x"] = np.arange(3.0)
import shutil
shutil.copy("good.h5", "elink.h5")
with h5py.File("elink.h5", "a") as f:
    f["peek"] = h5py.ExternalLink(os.path.join(D, "secret.h5"), "/x")
shutil.copy("good.h5", "extdata.h5")
with open("raw.bin", "wb") as f:
    f.write(np.arange(4.0).tobytes())
with h5py.File("extdata.h5", "a") as f:
    f.create_dataset("outside", shape=(4,), dtype="<f8", external=[("raw.bin", 0, 32)])
for fn, what in (("elink.h5", "external link"), ("extdata.h5", "external raw data")):
    q = run_in(C, D, ["run", "--model", "graph", "--couplings", fn, "--sweeps", "64",
                      "--therm", "10", "--out", fn + ".out.h5"])
    err = q.stderr.decode(errors="replace").strip()
    ok(q.returncode == 2 and len(err.splitlines()) == 1 and fn in err
       and not os.path.exists(fn + ".out.h5"),
       f"couplings with an {what}: exit 2, one line naming the file, no output",
       f"rc {q.returncode}: {err[:300]}")
q = run_in(C, D, ["run", "--model", "graph", "--couplings", "good.h5", "--sweeps", "64",
                  "--therm", "10", "--out", "good.out.h5"])
ok(q.returncode == 0, "the same couplings without the link run", q.stderr.decode()[:200])
PYEOF

# ---- 2b. an --out that cannot be written is refused before any work ----------
# (a run of 10^9 sweeps of L = 64 would take hours; each refusal must come at once)
mkdir -p "$WORK/outs/adir"
cd "$WORK/outs"
bad_outs=("out.h5/" "nodir/x.h5" "adir" "adir/")
if [ -d /sys ] && ! touch /sys/ceasim-probe 2>/dev/null; then bad_outs+=("/sys/x.h5"); fi
for o in "${bad_outs[@]}"; do
  rc=0
  timeout 60 "$CEASIM" run --L 64 --sweeps 1e9 --therm 10 --out "$o" >/dev/null 2>err.txt || rc=$?
  if [ "$rc" = 2 ] && [ "$(wc -l <err.txt)" = 1 ] && grep -qF -- "$o" err.txt &&
    [ -z "$(ls -A adir)" ] && [ "$(ls -A | LC_ALL=C sort | tr '\n' ' ')" = "adir err.txt " ]; then
    ok "run --out $o: exit 2 at once, one line naming it, nothing created"
  else
    not_ok "run --out $o" "rc $rc: $(head -c 300 err.txt)"
  fi
done

# ---- 3. a real full disk ----------------------------------------------------------
mkdir -p "$WORK/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$WORK/full" 2>/dev/null; then
  rc=0
  (cd "$WORK/full" && "$CEASIM" map --synthetic --tokens 200 --d-k 16 --seed 2 --out m.h5) \
    >/dev/null 2>"$WORK/full.err" || rc=$?
  left="$(ls -A "$WORK/full")"
  umount "$WORK/full"
  if [ "$rc" = 1 ] && [ -z "$left" ] && [ "$(wc -l <"$WORK/full.err")" = 1 ] &&
    grep -q "m.h5" "$WORK/full.err"; then
    ok "map --out on a full 64 KiB tmpfs: exit 1, one line naming m.h5, directory left empty"
  else
    not_ok "map --out on a full 64 KiB tmpfs" "rc $rc, left '$left': $(head -c 300 "$WORK/full.err")"
  fi
else
  skip "a 64 KiB tmpfs cannot be mounted here (needs root)"
fi
cli_finish
