#!/usr/bin/env python3
"""Run every shell command that README.md and the docs it links show, as written.

Usage: doc_commands.py SOURCE_DIR CEASIM [--list] [--only SUBSTRING]

Why: documentation drifts from the code unless something runs it. Every fenced
block tagged `sh` in README.md, and in every repository .md file reachable from it
through links, is a runnable example: each command (backslash continuations
joined) runs in document order, one fresh scratch directory per document, with
the same layout as a checkout (build/ceasim is the binary under test; analysis/,
experiments/, bench/, scripts/ are copies) so that nothing lands in the source tree.
A block tagged `text` is a synopsis or a recipe too long for the suite and is not
run; an untagged block that starts like a command (ceasim, mpirun, a script, ...)
fails the test, so that every command is classified. `ceasim` alone, as the docs
write it for an installed copy, is the binary under test (build/ is first on PATH).

The only scaling is through documented variables: QUICK=1 (the experiment
scripts' smoke mode) and the root variables of Open MPI that README.md asks a root
user to export. A command passes when it exits 0 and, where the document shows
its output (an untagged or `text` block right after the command block), each line
of that output that starts with a word has a line of the real output starting with
the same word: the shape, not the numbers.

The few commands that cannot run here are listed in SKIP with the reason.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = {
    "./test.sh": "the test suite itself (this test is part of it)",
    "./run.sh": "install + the build this suite already made + `ceasim demo` and the "
                "quickstart sweep, whose commands tests/cli_output.sh and this file's "
                "README blocks cover; rebuilding build/ from inside ctest would race it",
    "cmake --install build --prefix /opt/ceasim":
        "writes outside the scratch directory; tests/install.sh runs the same "
        "install into a temporary prefix and builds consumers against it",
}
# Files a command needs that the repository does not ship (public benchmark data):
# copied into the scratch tree from GSET_DIR or ../shared/gset when present.
GSET_FILES = ("G1", "G22")

LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")
FENCE = re.compile(r"^```(\S*)\s*$")


def linked_docs(root, start="README.md"):
    seen, order, todo = set(), [], [start]
    while todo:
        rel = os.path.normpath(todo.pop(0))
        if rel in seen or not os.path.isfile(os.path.join(root, rel)):
            continue
        seen.add(rel)
        order.append(rel)
        text = open(os.path.join(root, rel), encoding="utf-8").read()
        for target in LINK.findall(text):
            if "://" in target:
                continue
            todo.append(os.path.join(os.path.dirname(rel), target))
    return order


def blocks(path):
    """[(tag, first line number, lines)] of the fenced blocks of a markdown file."""
    out, cur = [], None
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        m = FENCE.match(line.rstrip("\n"))
        if m and cur is None:
            cur = (m.group(1), no, [])
        elif line.strip() == "```" and cur is not None:
            out.append(cur)
            cur = None
        elif cur is not None:
            cur[2].append(line.rstrip("\n"))
    return out


def following_output(path, blk_list, i):
    """The output block shown right after command block i (only blank lines between)."""
    if i + 1 >= len(blk_list):
        return None
    tag, start, lines = blk_list[i + 1]
    if tag not in ("", "text"):
        return None
    end = blk_list[i][1] + len(blk_list[i][2]) + 1  # closing fence of block i
    between = open(path, encoding="utf-8").read().split("\n")[end:start - 1]
    if any(l.strip() for l in between):
        return None
    return lines


def commands(lines):
    cmds, cur = [], ""
    for line in lines:
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cmds.append((cur + line).strip())
        cur = ""
    if cur:
        cmds.append(cur.strip())
    return cmds


COMMAND_START = re.compile(r"\s*(\$ )?(ceasim|build/ceasim|mpirun|experiments/|bench/|analysis/|"
                           r"/usr/bin/python3|python3|cmake|ctest|\./)")


def first_word(line):
    m = re.match(r"\s*([A-Za-z_][\w./-]*)", line)
    return m.group(1) if m else None


def make_scratch(root, ceasim):
    d = tempfile.mkdtemp(prefix="ceasim-docs-")
    os.makedirs(os.path.join(d, "build"))
    os.symlink(os.path.abspath(ceasim), os.path.join(d, "build", "ceasim"))
    for sub in ("analysis", "experiments", "bench", "scripts"):
        if os.path.isdir(os.path.join(root, sub)):
            shutil.copytree(os.path.join(root, sub), os.path.join(d, sub),
                            ignore=shutil.ignore_patterns("out", "__pycache__"))
    gset = os.environ.get("GSET_DIR") or os.path.join(root, "..", "shared", "gset")
    for g in GSET_FILES:
        src = os.path.join(gset, g)
        if os.path.isfile(src):
            shutil.copy(src, os.path.join(d, "experiments", "gset", g))
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("ceasim")
    ap.add_argument("--list", action="store_true", help="print the commands, run nothing")
    ap.add_argument("--only", help="run only commands containing this text")
    a = ap.parse_args()
    root = os.path.abspath(a.source)
    env = dict(os.environ, QUICK="1", OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("GSET_DIR", None)
    base_path = env.get("PATH", "/usr/bin:/bin")
    passed = failed = skipped = 0
    for doc in linked_docs(root):
        path = os.path.join(root, doc)
        blk = blocks(path)
        outputs = {j + 1 for j, b in enumerate(blk)
                   if b[0] == "sh" and following_output(path, blk, j) is not None}
        for j, (tag, line_no, lines) in enumerate(blk):
            first = next((l for l in lines if l.strip()), "")
            if (tag == "" and j not in outputs and COMMAND_START.match(first)
                    and not a.list):
                failed += 1
                print(f"FAIL {doc}:{line_no}: an untagged block starts like a command "
                      f"({first.strip()[:60]!r}): tag it sh (run by this test) or text")
        runnable = [(i, b) for i, b in enumerate(blk) if b[0] == "sh"]
        if not runnable:
            continue
        scratch = None if a.list else make_scratch(root, a.ceasim)
        if scratch:
            env["PATH"] = os.path.join(scratch, "build") + os.pathsep + base_path
        for i, (tag, line_no, lines) in runnable:
            cmds = commands(lines)
            expect = following_output(path, blk, i)
            for k, cmd in enumerate(cmds):
                where = f"{doc}:{line_no}"
                if a.list:
                    print(f"{where}: {cmd}")
                    continue
                if a.only and a.only not in cmd:
                    continue
                bare = cmd.split("#")[0].strip()
                if bare in SKIP:
                    print(f"SKIP {where}: {bare}: {SKIP[bare]}")
                    skipped += 1
                    continue
                m = re.match(r"export\s+(.*)$", bare)
                if m:
                    for kv in m.group(1).split():
                        key, _, val = kv.partition("=")
                        env[key] = val
                    continue
                missing = [g for g in GSET_FILES if f"experiments/gset/{g}" in cmd and
                           not os.path.exists(os.path.join(scratch, "experiments", "gset", g))]
                if missing:
                    print(f"SKIP {where}: {bare}: experiments/gset/{missing[0]} is not here "
                          "(public benchmark data; set GSET_DIR)")
                    skipped += 1
                    continue
                t0 = time.time()
                p = subprocess.run(["bash", "-c", cmd], cwd=scratch, env=env,
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
                dt = time.time() - t0
                out = (p.stdout + p.stderr).decode(errors="replace")
                problem = None
                if p.returncode != 0:
                    problem = f"exit status {p.returncode}"
                elif expect is not None and k == len(cmds) - 1:
                    have = {first_word(l) for l in out.splitlines()}
                    lost = [l for l in expect if first_word(l) and first_word(l) not in have]
                    if lost:
                        problem = f"output lacks a line like: {lost[0].strip()!r}"
                if problem:
                    failed += 1
                    print(f"FAIL {where}: {cmd}\n     {problem} ({dt:.1f} s); last output:")
                    for l in out.splitlines()[-15:]:
                        print("     | " + l)
                else:
                    passed += 1
                    print(f"ok   {where}: {bare[:100]} ({dt:.1f} s)")
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if not a.list:
        print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
