#!/usr/bin/env bash
# ceasim binary: no AVX2/AVX-512 function leaves the upper YMM/ZMM halves dirty.
#
# The rule of ceas_core.h ("vector code"): every function that writes a YMM or ZMM
# register executes vzeroupper (or vzeroall) on every path from that write to a
# ret, a call or a jump out of the function, because the SSE code that follows
# (baseline-ISA ceasim code, libm's expf) otherwise runs with dirty upper state
# and pays for it on Intel (issue 14: a tail path of the AVX2 Philox fill made
# the annealer 3.6x slower at n = 1000 than at n = 1024). GCC inserts vzeroupper
# by itself only at -O2 and above and, as that case showed, not on every path, so
# this check reads the linked machine code rather than trusting the compiler: a
# forward data-flow over each function's jumps ("maybe dirty" joins as "or").
#
# The checker is first run on two hand-written listings (one clean, one with a
# dirty tail path into a call and a dirty ret) to show it finds what it should,
# and on the binary it must see the vector kernels it guards (fill32_avx2 and the
# msc AVX2/AVX-512 slabs) so that it cannot pass by seeing nothing.
# Skipped (exit 0 with a line saying why) off x86-64, without objdump, on
# sanitizer builds, whose instrumentation calls report functions from inside
# vector code, and on builds other than Release and RelWithDebInfo (CMake passes
# CEASIM_BUILD_TYPE): below -O2, and at -Os, GCC inserts no vzeroupper and calls
# the static vector helpers it would otherwise inline.
#
# usage: bash tests/cli_simd_exits.sh /path/to/ceasim
set -euo pipefail
# shellcheck source=tests/cli_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
cli_init "$@"

if [ "$(uname -m)" != x86_64 ] || ! command -v objdump >/dev/null; then
  echo "ok - skipped: not x86-64 or no objdump"
  exit 0
fi
case "${CEASIM_BUILD_TYPE:-Release}" in
  Release | RelWithDebInfo) ;;
  *)
    echo "ok - skipped: build type $CEASIM_BUILD_TYPE is not optimised for speed"
    exit 0
    ;;
esac
objdump -T -t "$CEASIM" >"$WORK/symbols" 2>/dev/null || true
if grep -q '__asan_init\|__ubsan_handle' "$WORK/symbols"; then
  echo "ok - skipped: sanitizer build"
  exit 0
fi

objdump -d --no-show-raw-insn -M att "$CEASIM" >"$WORK/binary.s"
cat >"$WORK/clean.s" <<'EOF'
0000000000001000 <clean>:
    1000:	vmovdqu (%rdi),%ymm0
    1004:	test   %rsi,%rsi
    1007:	je     1010 <clean+0x10>
    1009:	vzeroupper
    100c:	jmp    2000 <other>
    1010:	vzeroupper
    1013:	ret
EOF
cat >"$WORK/dirty.s" <<'EOF'
0000000000001000 <dirty>:
    1000:	vmovdqu (%rdi),%ymm0
    1004:	test   %rsi,%rsi
    1007:	je     1010 <dirty+0x10>
    1009:	call   2000 <other>
    100e:	ret
    1010:	vzeroupper
    1013:	ret
EOF

py_checks "simd_exits" "$WORK" <<'PYEOF'
import re
import sys

from chk import ok

work = sys.argv[1]


def functions(path):
    """(name, [(address, instruction text)]) for every function of a listing."""
    res, cur = [], None
    with open(path) as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+) <(.+)>:$", line)
            if m:
                cur = (m.group(2), [])
                res.append(cur)
                continue
            m = re.match(r"^\s+([0-9a-f]+):\s+(\S.*)$", line)
            if m and cur is not None:
                cur[1].append((int(m.group(1), 16), m.group(2).strip()))
    return res


def dirty_exits(name, ins):
    """Exits (ret, call, jump out) reached with maybe-dirty upper vector state."""
    where = {a: i for i, (a, _) in enumerate(ins)}
    dirty = [None] * len(ins)  # None: not reached yet
    bad, work_ = set(), [(0, False)]
    while work_:
        i, d = work_.pop()
        if i >= len(ins) or (dirty[i] is not None and (dirty[i] or not d)):
            continue
        dirty[i] = d
        text = ins[i][1]
        op = text.split()[0]
        if op in ("vzeroupper", "vzeroall"):
            d = False
        elif "%ymm" in text or "%zmm" in text:
            d = True
        if op.startswith("ret"):
            if d:
                bad.add((ins[i][0], text))
            continue
        if op in ("ud2", "hlt"):
            continue
        if op.startswith("call"):
            if d:
                bad.add((ins[i][0], text))
            work_.append((i + 1, d))
            continue
        if op.startswith("j"):
            m = re.search(r"\s([0-9a-f]+) <", text)
            target = where.get(int(m.group(1), 16)) if m else None
            if target is None:
                if d:
                    bad.add((ins[i][0], text))
            else:
                work_.append((target, d))
            if op != "jmp":
                work_.append((i + 1, d))
            continue
        work_.append((i + 1, d))
    return sorted(bad)


def vector_functions(path):
    return {n: ins for n, ins in functions(path)
            if any("%ymm" in t or "%zmm" in t for _, t in ins)}


clean = vector_functions(work + "/clean.s")
ok(dirty_exits("clean", clean["clean"]) == [], "checker: a clean listing passes")
found = [a for a, _ in dirty_exits("dirty", vector_functions(work + "/dirty.s")["dirty"])]
ok(found == [0x1009, 0x100e], "checker: the dirty call and ret are found", str(found))

vec = vector_functions(work + "/binary.s")
for want in ("fill32_avx2", "slab2d_avx2", "slab2d_avx512", "glass_slab2d_avx512"):
    ok(any(n.split(".")[0] == want for n in vec), "binary: vector function %s is checked" % want)
for name in sorted(vec):
    if name.endswith("@plt"):
        continue
    bad = dirty_exits(name, vec[name])
    ok(not bad, "%s leaves no path with dirty upper YMM/ZMM state" % name,
       "; ".join("%x: %s" % b for b in bad))
PYEOF
cli_finish
