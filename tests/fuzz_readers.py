#!/usr/bin/env python3
"""Damaged-input fuzzing of every ceasim reader (issue 15, item 3).

Makes REAL files with the ceasim under test (a sweep's task files, a checkpoint,
sweep.h5, summary.h5, a `map` couplings file) and inputs other programs write (a
couplings HDF5 and weights written by h5py, safetensors, an edge list, a G-set
file, a sweep INI file, an anneal schedule file), then mutates one file per case
(bit flips, byte sets, truncations, size lies: 8 bytes of a huge count) and runs
the command that reads it. Every outcome must be one of
  exit 0, with correct data: a damaged task file named in a warning and skipped
      (analyze, collect) or redone bitwise (sweep rerun); a damaged checkpoint set
      aside and the task's file bitwise that of an undamaged run; a text input
      that still parses (a different but valid input);
  exit 1 or 2 with exactly one line on stderr and nothing published (no output
      file, no temporary left behind).
A signal, another exit status, a sanitizer report or a second line is a failure.

usage: fuzz_readers.py CEASIM WORKDIR [--cases N] [--seed S] [--targets a,b]
                       [--format sealed|unsealed|latest]
N cases per target (default: $CEASIM_FUZZ_CASES, else 6). Deterministic for a
seed. --format is for measuring the alternatives of the report: `unsealed` drops
the checksum trailer of ceasim's files (as files of older ceasim versions),
`latest` rewrites them with h5py as HDF5 1.10's checksummed format (libver
'latest': superblock v2, object headers v2) with Fletcher32 on every dataset.
Prints one line per failure and a final 'fuzz: T cases, H held, C crashes'.
Exit 0 if every case held.
"""
import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEAL = 22  # bytes of the checksum trailer (src/io/seal.c)
SAN = ("AddressSanitizer", "runtime error:", "LeakSanitizer", "UndefinedBehaviorSanitizer")
TARGETS = ("task", "checkpoint", "sweep_h5", "summary", "couplings_h5", "couplings_h5_foreign",
           "edgelist", "weights_st", "weights_h5", "gset", "ini", "schedule")

SWEEP = ["--L", "4,6", "--beta", "0.40,0.46", "--sweeps", "1500", "--therm", "100",
         "--seed", "5", "--no-analysis", "--quiet"]
CKPT_SWEEP = ["--L", "6", "--beta", "0.44", "--sweeps", "3000", "--therm", "100",
              "--seed", "5", "--no-analysis", "--quiet"]


def run(cmd, cwd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    # As test.sh runs the sanitizer build; Open MPI's singleton as tests/CMakeLists.txt.
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0")
    e.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(HERE, "lsan.supp") +
                 ":print_suppressions=0:fast_unwind_on_malloc=0")
    for k, v in (("OMPI_MCA_pml", "ob1"), ("OMPI_MCA_btl", "self,vader"), ("OMPI_MCA_osc", "^ucx")):
        e.setdefault(k, v)
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, env=e,
                           timeout=60)
    except subprocess.TimeoutExpired:
        return None, "still running after 60 s (killed)"
    return r.returncode, r.stderr.decode(errors="replace")


def strip_seal(p):
    with open(p, "rb") as f:
        b = f.read()
    if len(b) >= SEAL and b[-SEAL:].startswith(b"ceasim-crc32:"):
        with open(p, "wb") as f:
            f.write(b[:-SEAL])


def to_latest(p):
    """The same objects and attributes in HDF5's checksummed format + Fletcher32."""
    strip_seal(p)
    tmp = p + ".latest"
    with h5py.File(p, "r") as a, h5py.File(tmp, "w", libver="latest") as b:
        def copy(src, dst):
            for k, v in src.attrs.items():
                dst.attrs[k] = v
            for k in src:
                o = src[k]
                if isinstance(o, h5py.Group):
                    copy(o, dst.create_group(k))
                else:
                    data = o[()]
                    kw = {}
                    if o.shape and o.size:
                        kw = dict(fletcher32=True, chunks=True)
                    d = dst.create_dataset(k, data=data, dtype=o.dtype, **kw)
                    for ak, av in o.attrs.items():
                        d.attrs[ak] = av
        copy(a, b)
    os.replace(tmp, p)


# ---- mutations ---------------------------------------------------------------------------

def mutate_bytes(b, rng, text=False):
    """One mutation of a file's bytes and its name (for the report)."""
    b = bytearray(b)
    n = len(b)
    kind = rng.choice(["flip", "set", "truncate", "lie", "flip", "set"])
    # Metadata sits in the first kilobytes of the HDF5 files: half the hits go there.
    def where():
        return rng.randrange(min(n, 4096)) if rng.random() < 0.5 else rng.randrange(n)
    if kind == "flip":
        i = where()
        b[i] ^= 1 << rng.randrange(8)
        return bytes(b), f"flip bit at {i}"
    if kind == "set":
        i = where()
        v = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        if text and rng.random() < 0.5:
            v = ord(rng.choice("0123456789-+.eE \n\t#=,:x"))
        old = b[i]
        b[i] = v if v != old else (v ^ 0x01)
        return bytes(b), f"byte {i} = 0x{b[i]:02x}"
    if kind == "truncate":
        i = rng.randrange(n)
        return bytes(b[:i]), f"truncate to {i}"
    i = where()
    if text:
        s = rng.choice([b"99999999999999999999", b"4294967297", b"-1", b"1e308", b"nan",
                        b"2305843009213693953"])
        return bytes(b[:i]) + s + bytes(b[i:]), f"insert {s.decode()} at {i}"
    v = rng.choice([2**61 + 1, 2**63 - 1, 2**64 - 1, 2**32 + 1, 2**40])
    i = min(i, n - 8) if n >= 8 else 0
    b[i:i + 8] = struct.pack("<Q", v)[:len(b[i:i + 8])]
    return bytes(b), f"size lie {v} at {i}"


# ---- the files -----------------------------------------------------------------------

class World:
    def __init__(self, ceasim, work, fmt):
        self.c, self.w, self.fmt = ceasim, work, fmt
        os.makedirs(work, exist_ok=True)
        self.ref = os.path.join(work, "ref")
        self.made = set()

    def need(self, what):
        if what in self.made:
            return
        getattr(self, "make_" + what)()
        self.made.add(what)

    def ceasim(self, args, cwd=None, env=None):
        rc, err = run([self.c] + args, cwd or self.w, env)
        if rc != 0:
            sys.exit(f"fuzz_readers: setup `ceasim {' '.join(args)}` failed ({rc}): {err}")

    def restyle(self, p):
        if self.fmt == "unsealed":
            strip_seal(p)
        elif self.fmt == "latest":
            to_latest(p)

    def make_sweep(self):
        shutil.rmtree(self.ref, ignore_errors=True)
        self.ceasim(["sweep"] + SWEEP + ["--out", self.ref])
        for n in os.listdir(os.path.join(self.ref, "tasks")):
            self.restyle(os.path.join(self.ref, "tasks", n))
        self.restyle(os.path.join(self.ref, "sweep.h5"))
        self.restyle(os.path.join(self.ref, "summary.h5"))

    def make_ckpt(self):
        """One task killed right after its first checkpoint, and the same task run whole."""
        self.cref = os.path.join(self.w, "cref")
        self.cpart = os.path.join(self.w, "cpart")
        for d in (self.cref, self.cpart):
            shutil.rmtree(d, ignore_errors=True)
        self.ceasim(["sweep"] + CKPT_SWEEP + ["--out", self.cref])
        rc, err = run([self.c, "sweep"] + CKPT_SWEEP + ["--out", self.cpart,
                                                        "--checkpoint-every", "1e-9"],
                      self.w, {"CEASIM_TEST_KILL_AFTER_CHECKPOINTS": "3"})
        ck = os.listdir(os.path.join(self.cpart, "checkpoints"))
        if rc == 0 or len(ck) != 1:
            sys.exit(f"fuzz_readers: no checkpoint left by a killed task (rc {rc}): {err}")
        self.ckpt_name = ck[0]
        self.restyle(os.path.join(self.cpart, "checkpoints", ck[0]))
        self.restyle(os.path.join(self.cpart, "sweep.h5"))

    def make_inputs(self):
        w = self.w
        self.ceasim(["map", "--synthetic", "--tokens", "12", "--d-k", "4", "--seed", "3",
                     "--out", "map.h5", "--force"])
        self.restyle(os.path.join(w, "map.h5"))
        rng = np.random.default_rng(1)
        n = 10
        J = np.triu(rng.normal(size=(n, n)), 1)
        J = J + J.T
        indptr, indices, data = [0], [], []
        for i in range(n):
            for j in range(n):
                if j != i:
                    indices.append(j)
                    data.append(J[i, j])
            indptr.append(len(indices))
        with h5py.File(os.path.join(w, "foreign.h5"), "w") as f:
            f["indptr"] = np.array(indptr, dtype=np.int64)
            f["indices"] = np.array(indices, dtype=np.int32)
            f["data"] = np.array(data)
            f["h"] = rng.normal(size=n)
        with open(os.path.join(w, "edges.txt"), "w") as f:
            f.write("# ring with a field\nn 8\n")
            for i in range(8):
                f.write(f"{i} {(i + 1) % 8} {0.5 + 0.1 * i:.3f}\n")
            f.write("h 3 0.25\n")
        q = rng.normal(size=(6, 4)).astype(np.float32)
        k = rng.normal(size=(6, 4)).astype(np.float32)
        hdr = ('{"__metadata__":{"format":"pt"},'
               '"q":{"dtype":"F32","shape":[6,4],"data_offsets":[0,96]},'
               '"k":{"dtype":"F32","shape":[6,4],"data_offsets":[96,192]}}').encode()
        with open(os.path.join(w, "w.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(hdr)) + hdr + q.tobytes() + k.tobytes())
        with h5py.File(os.path.join(w, "w.h5"), "w") as f:
            f["q"] = q
            f["k"] = k
        with open(os.path.join(w, "g.txt"), "w") as f:
            f.write("8 10\n")
            for e, (i, j) in enumerate([(1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8),
                                        (8, 1), (1, 5), (2, 6)]):
                f.write(f"{i} {j} {1 if e % 3 else -1}\n")
        with open(os.path.join(w, "s.ini"), "w") as f:
            f.write("# a small sweep\n[sweep]\nmodel = ising2d\nL = 4\nbeta = 0.40,0.44\n"
                    "sweeps = 400\ntherm = 50\nseed = 3\nalgo = wolff\n")
        with open(os.path.join(w, "sched.txt"), "w") as f:
            for i in range(40):
                f.write(f"{0.1 * 1.1 ** i:.6g}\n")

    # ---- the cases: (file to mutate, function running the reader) -------------------

    def case_dir(self, src, tag):
        d = os.path.join(self.w, "case_" + tag)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(src, d)
        return d


def published(d, names):
    return [n for n in names if os.path.exists(os.path.join(d, n))]


def temporaries(d):
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.join(root, f) for f in files if ".tmp." in f]
    return out


def one_line_error(rc, err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return rc in (1, 2) and len(lines) == 1 and lines[0].startswith("ceasim")


def sealed(p):
    """The checksum trailer holds (zlib's CRC-32 of the bytes before it, src/io/seal.c)."""
    with open(p, "rb") as f:
        b = f.read()
    return len(b) >= SEAL and b[-SEAL:] == f"ceasim-crc32:{zlib.crc32(b[:-SEAL]):08x}\n".encode()


def same_task(pa, pb):
    """Bitwise the same task (command_line aside); h5py reads only a sealed file."""
    if not sealed(pa):
        return False
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        for k in set(a.attrs) | set(b.attrs):
            if k == "command_line":
                continue
            if k not in a.attrs or k not in b.attrs:
                return False
            if np.asarray(a.attrs[k]).tolist() != np.asarray(b.attrs[k]).tolist():
                return False
        for k in a["timeseries"]:
            if a["timeseries"][k][()].tobytes() != b["timeseries"][k][()].tobytes():
                return False
    return True


def check_case(world, target, rng, i, scan=None):
    """(held, crashed, description) of one case; scan: (offset) of a 0xFF byte set in
    the first task file instead of a random mutation (analyze and collect only)."""
    w = world.w
    if target in ("task", "sweep_h5", "summary"):
        world.need("sweep")
        d = world.case_dir(world.ref, "sw")
        names = sorted(os.listdir(os.path.join(d, "tasks")))
        victim = {"task": os.path.join("tasks", names[0] if scan is not None else rng.choice(names)), "sweep_h5": "sweep.h5",
                  "summary": "summary.h5"}[target]
    elif target == "checkpoint":
        world.need("ckpt")
        d = world.case_dir(world.cpart, "ck")
        victim = os.path.join("checkpoints", world.ckpt_name)
    else:
        world.need("inputs")
        d = w
        victim = {"couplings_h5": "map.h5", "couplings_h5_foreign": "foreign.h5",
                  "edgelist": "edges.txt", "weights_st": "w.safetensors", "weights_h5": "w.h5",
                  "gset": "g.txt", "ini": "s.ini", "schedule": "sched.txt"}[target]
    path = os.path.join(d, victim)
    with open(path, "rb") as f:
        orig = f.read()
    text = target in ("edgelist", "gset", "ini", "schedule")
    if scan is None:
        bad, how = mutate_bytes(orig, rng, text)
    else:
        b = bytearray(orig)
        b[scan] = 0xFF if b[scan] != 0xFF else 0x00
        bad, how = bytes(b), f"byte {scan} = 0x{b[scan]:02x}"
    mpath = path if d != w else os.path.join(w, "m_" + victim)
    with open(mpath, "wb") as f:
        f.write(bad)
    what = f"{target} {victim}: {how}"
    # Only the trailer touched (a file without a valid tag is read as an earlier
    # build's): the data are intact and exit 0 without a warning is right.
    keep = len(orig) - SEAL
    intact = world.fmt == "sealed" and len(bad) >= keep and bad[:keep] == orig[:keep]

    def crashed(rc, err):
        """'crash' (a signal, a memory error), 'hang', 'leak' (LeakSanitizer alone) or ''."""
        if rc is None:
            return "hang"
        if "ERROR: LeakSanitizer" in err and "ERROR: AddressSanitizer" not in err and \
                "runtime error:" not in err and rc in (0, 1, 2, 23):
            return "leak"
        return "crash" if rc not in (0, 1, 2) or any(s in err for s in SAN) else ""

    out = os.path.join(w, "out.h5")
    if os.path.exists(out):
        os.remove(out)
    if target == "task":
        rc, err = run([world.c, "analyze", d, "--quiet"], w)
        if crashed(rc, err):
            return False, crashed(rc, err), f"{what}: analyze exit {rc}: {err.strip()[-400:]}"
        if rc == 0:
            ok = victim in err or intact
            with h5py.File(os.path.join(d, "analysis.h5"), "r") as f:
                ok = ok and int(f.attrs["n_tasks_used"]) + int(f.attrs["n_tasks_skipped"]) == 4
        else:
            ok = one_line_error(rc, err) and not published(d, ["analysis.h5"])
        if not ok:
            return False, "", f"{what}: analyze exit {rc}, stderr {err.strip()[-300:]!r}"
        rc, err = run([world.c, "collect", d], w)
        if crashed(rc, err):
            return False, crashed(rc, err), f"{what}: collect exit {rc}: {err.strip()[-400:]}"
        if rc != 0 or (victim.split("/")[-1] not in err and not intact):
            return False, "", f"{what}: collect exit {rc}, stderr {err.strip()[-300:]!r}"
        if world.fmt != "sealed" or scan is not None:
            return True, "", what  # measuring the readers alone: no rerun to check
        rc, err = run([world.c, "sweep"] + SWEEP + ["--out", d], w)
        if crashed(rc, err):
            return False, crashed(rc, err), f"{what}: sweep rerun exit {rc}: {err.strip()[-400:]}"
        if rc != 0 or not same_task(path, os.path.join(world.ref, victim)):
            return False, "", f"{what}: sweep rerun exit {rc} or task not redone bitwise: " \
                                 f"{err.strip()[-300:]!r}"
        return True, "", what
    if target == "sweep_h5":
        before = sorted(os.listdir(os.path.join(d, "tasks")))
        rc, err = run([world.c, "sweep"] + SWEEP + ["--out", d], w)
        if crashed(rc, err):
            return False, crashed(rc, err), f"{what}: sweep exit {rc}: {err.strip()[-400:]}"
        ok = (rc == 0 and intact) or (one_line_error(rc, err) and
                                            sorted(os.listdir(os.path.join(d, "tasks"))) == before)
        return ok, "", f"{what}: sweep exit {rc}, stderr {err.strip()[-300:]!r}"
    if target == "summary":
        rc, err = run([world.c, "collect", d], w)
        if crashed(rc, err):
            return False, crashed(rc, err), f"{what}: collect exit {rc}: {err.strip()[-400:]}"
        with open(path, "rb") as f:
            rebuilt = f.read()
        ok = rc == 0 and (world.fmt != "sealed" or rebuilt[-SEAL:].startswith(b"ceasim-crc32:"))
        return ok, "", f"{what}: collect exit {rc}, stderr {err.strip()[-300:]!r}"
    if target == "checkpoint":
        rc, err = run([world.c, "sweep"] + CKPT_SWEEP + ["--out", d], w)
        if crashed(rc, err):
            return False, crashed(rc, err), f"{what}: sweep resume exit {rc}: {err.strip()[-400:]}"
        t = os.path.join("tasks", world.ckpt_name)
        ok = rc == 0 and same_task(os.path.join(d, t), os.path.join(world.cref, t))
        return ok, "", f"{what}: sweep resume exit {rc}, result bitwise {ok}: " \
                          f"{err.strip()[-300:]!r}"
    # Inputs: the command either runs (a valid, perhaps different input) or refuses it.
    if target in ("couplings_h5", "couplings_h5_foreign", "edgelist"):
        cmd = ["run", "--couplings", mpath, "--beta", "0.3", "--sweeps", "200", "--therm", "20",
               "--out", out]
    elif target in ("weights_st", "weights_h5"):
        cmd = ["map", "--weights", mpath, "--q", "q", "--k", "k", "--out", out]
    elif target == "gset":
        cmd = ["anneal", "--gset", mpath, "--reads", "2", "--sweeps", "50", "--out", out]
    elif target == "schedule":
        cmd = ["anneal", "--model", "sk", "--n", "12", "--reads", "2", "--schedule-file", mpath,
               "--out", out]
    else:
        shutil.rmtree(os.path.join(w, "ini_out"), ignore_errors=True)
        cmd = ["sweep", mpath, "--out", "ini_out", "--no-analysis", "--quiet"]
        out = os.path.join(w, "ini_out", "sweep.h5")
    rc, err = run([world.c] + cmd, w)
    if crashed(rc, err):
        return False, crashed(rc, err), f"{what}: exit {rc}: {err.strip()[-400:]}"
    ok = rc == 0 and os.path.exists(out) or one_line_error(rc, err) and not os.path.exists(out)
    sealed_damage = target == "couplings_h5" and world.fmt == "sealed" and not intact
    if sealed_damage and rc == 0:
        ok = False  # the checksum must catch every change
    if temporaries(w):
        ok = False
    return ok, "", f"{what}: exit {rc}, stderr {err.strip()[-300:]!r}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ceasim")
    ap.add_argument("work")
    ap.add_argument("--cases", type=int, default=int(os.environ.get("CEASIM_FUZZ_CASES", "6")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--format", default="sealed", choices=["sealed", "unsealed", "latest"])
    ap.add_argument("--scan", type=int, default=0,
                    help="STRIDE: instead of random cases, set every STRIDE-th byte of one "
                         "task file's metadata (the first 8 KiB and the last 12 KiB) to 0xFF "
                         "in turn and run analyze and collect")
    ap.add_argument("--scan-range", default="",
                    help="A:B: scan offsets A <= offset < B instead of the metadata regions")
    ap.add_argument("--shard", default="0/1",
                    help="K/M: run only the cases whose index is K modulo M (parallel runs)")
    a = ap.parse_args()
    shard_k, shard_m = (int(x) for x in a.shard.split("/"))
    world = World(os.path.abspath(a.ceasim), os.path.abspath(a.work), a.format)
    total = held = crashes = leaks = hangs = 0
    for target in a.targets.split(","):
        if target not in TARGETS:
            sys.exit(f"fuzz_readers: unknown target '{target}' (expected {', '.join(TARGETS)})")
        t_total = t_held = t_crash = t_leak = t_hang = 0
        if a.scan and target == "task":
            # HDF5 keeps its metadata in the first and the last kilobytes of a task file.
            world.need("sweep")
            tdir = os.path.join(world.ref, "tasks")
            size = os.path.getsize(os.path.join(tdir, sorted(os.listdir(tdir))[0]))
            cases = sorted(set(range(0, min(size, 8192), a.scan)) |
                           set(range(max(0, size - 12288), size, a.scan)))
            if a.scan_range:
                lo, hi = (int(x) for x in a.scan_range.split(":"))
                cases = range(lo, min(hi, size), a.scan)
        else:
            cases = range(a.cases)
        for n_case, i in enumerate(cases):
            if n_case % shard_m != shard_k:
                continue
            rng = random.Random(f"{a.seed}/{target}/{i}")  # each case reproducible alone
            ok, crash, what = check_case(world, target, rng, i, i if a.scan else None)
            t_total += 1
            t_held += ok
            t_crash += crash == "crash"
            t_leak += crash == "leak"
            t_hang += crash == "hang"
            if not ok:
                print({"crash": "CRASH ", "leak": "LEAK ", "hang": "HANG "}.get(crash, "FAIL ") +
                      what, flush=True)
        print(f"fuzz: {target}: {t_total} cases, {t_held} held, {t_crash} crashes, {t_hang} hangs, "
              f"{t_leak} leaks", flush=True)
        total, held = total + t_total, held + t_held
        crashes, leaks, hangs = crashes + t_crash, leaks + t_leak, hangs + t_hang
    print(f"fuzz: {total} cases, {held} held, {crashes} crashes, {hangs} hangs, {leaks} leaks")
    return 0 if held == total else 1


if __name__ == "__main__":
    sys.exit(main())
