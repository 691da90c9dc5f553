#!/usr/bin/env python3
"""The include graph between the modules of src/, read from the #include lines.

usage: include_graph.py SRC_DIR            check; exit 1 naming every violation
       include_graph.py SRC_DIR --doc MD   check, and that MD (docs/design.md) shows
                                           this graph: the ```text block after the
                                           heading "## The include graph"
       include_graph.py SRC_DIR --text     the graph as text (for that block)
       include_graph.py SRC_DIR --dot      the graph in Graphviz dot

A module is a folder src/<module>; a file of module A that includes a header of
module B != A is an arrow A -> B. The rules (issue 17):
  - every arrow points down the layers below (a module uses only lower layers,
    none of its own layer, none above);
  - no circle between modules (implied by the first rule, checked on its own so
    that a wrong layer table cannot hide one);
  - a module includes only the public headers (ceas_*.h) of another module; its
    own internal headers (*_private.h, anneal_machine.h, ...) stay inside it;
  - every module is in the layer table, so a new module must be placed.
The generated ceas_version.h belongs to core.
"""
import os
import re
import sys

# Bottom to top. A module may include modules of lower layers only.
LAYERS = [
    ["core"],
    ["lattice", "measure", "io", "attention"],
    ["msc", "weights"],
    ["headsrc", "gpu"],
    ["mapping"],
    ["task", "anneal"],
    ["analysis", "parallel", "decomp"],
    # sweep above parallel: ceas_sweep_run deals a sweep's tasks out by the farm.
    ["sweep"],
    ["cli"],
]
GENERATED = {"ceas_version.h": "core"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def scan(src):
    """{module: {file: [included names]}}, {header name: module}."""
    files, owner = {}, dict(GENERATED)
    for m in sorted(os.listdir(src)):
        d = os.path.join(src, m)
        if not os.path.isdir(d):
            continue
        files[m] = {}
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h", ".inc")):
                continue
            if f.endswith((".h", ".inc")):
                owner[f] = m
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                files[m][f] = INCLUDE.findall(fh.read())
    return files, owner


def graph(files, owner):
    """Arrows {(A, B): [example 'file -> header']} and problems found on the way."""
    arrows, problems = {}, []
    for m, fs in files.items():
        for f, incs in fs.items():
            for h in incs:
                b = owner.get(os.path.basename(h))
                if b is None:
                    problems.append(f"src/{m}/{f}: includes \"{h}\", a header of no module")
                    continue
                if b == m:
                    continue
                if not os.path.basename(h).startswith("ceas_"):
                    problems.append(f"src/{m}/{f}: includes \"{h}\", an internal header of "
                                    f"module {b}")
                arrows.setdefault((m, b), []).append(f"{f} -> {h}")
    return arrows, problems


def circles(modules, arrows):
    """Strongly connected components of more than one module (Tarjan)."""
    succ = {m: sorted(b for (a, b) in arrows if a == m) for m in modules}
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in modules:
        if m not in index:
            visit(m)
    return out


def check(files, owner):
    layer = {m: i for i, ms in enumerate(LAYERS) for m in ms}
    arrows, problems = graph(files, owner)
    for m in files:
        if m not in layer:
            problems.append(f"module {m} is in no layer of tests/include_graph.py")
    for (a, b), why in sorted(arrows.items()):
        if a in layer and b in layer and layer[b] >= layer[a]:
            kind = "sideways" if layer[b] == layer[a] else "up"
            problems.append(f"arrow {kind}: {a} (layer {layer[a]}) -> {b} (layer {layer[b]}), "
                            f"e.g. src/{a}/{why[0]}")
    for c in circles(sorted(files), arrows):
        problems.append("circle between modules: " + " <-> ".join(c))
    return arrows, problems


def text(files, arrows):
    lines = []
    for i in reversed(range(len(LAYERS))):
        for m in LAYERS[i]:
            if m not in files:
                continue
            down = sorted({b for (a, b) in arrows if a == m})
            lines.append(f"L{i} {m:<9} -> {', '.join(down) if down else '(nothing)'}")
    return "\n".join(lines)


def dot(files, arrows):
    out = ["digraph ceasim {", "  rankdir=BT; node [shape=box];"]
    for i, ms in enumerate(LAYERS):
        present = [m for m in ms if m in files]
        if present:
            out.append("  { rank=same; " + " ".join(f'"{m}";' for m in present) + " }")
    for (a, b) in sorted(arrows):
        out.append(f'  "{a}" -> "{b}";')
    out.append("}")
    return "\n".join(out)


def doc_block(path):
    """The ```text block after the heading '## The include graph' in path, or None."""
    with open(path, encoding="utf-8") as fh:
        m = re.search(r"^## The include graph\n.*?^```text\n(.*?)^```", fh.read(), re.M | re.S)
    return m.group(1).rstrip("\n") if m else None


def main(argv):
    opts = argv[2:]
    if (len(argv) < 2 or not os.path.isdir(argv[1])
            or not (opts in ([], ["--text"], ["--dot"]) or (len(opts) == 2 and opts[0] == "--doc"))):
        print("usage: include_graph.py SRC_DIR [--text | --dot | --doc MD]", file=sys.stderr)
        return 2
    files, owner = scan(argv[1])
    arrows, problems = check(files, owner)
    if opts[:1] == ["--doc"]:
        shown = doc_block(opts[1]) if os.path.isfile(opts[1]) else None
        if shown is None:
            problems.append(f"{opts[1]}: no ```text block under '## The include graph'")
        elif shown != text(files, arrows):
            problems.append(f"{opts[1]}: the include graph shown is not the code's; "
                            f"paste the output of include_graph.py SRC_DIR --text")
        opts = []
    if opts == ["--text"]:
        print(text(files, arrows))
    elif opts == ["--dot"]:
        print(dot(files, arrows))
    for p in problems:
        print(f"include_graph: {p}", file=sys.stderr)
    if not problems and not opts:
        print(f"include graph: {len(files)} modules, {len(arrows)} arrows, all down, no circle")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
