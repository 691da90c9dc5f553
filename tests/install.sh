#!/usr/bin/env bash
# `cmake --install` gives a usable package: the CLI runs, a CMake project finds
# the library with find_package(ceasim), and pkg-config compiles against it; the
# headers are the public ones only, as <ceasim/ceas_*.h>; the examples/ programs
# (docs/library.md) build against the install both ways, and each one's physical
# result holds against an independent value within its error bar:
#  - run_task: e of the 16x16 Ising torus at beta = 0.3 within 4 sigma of Kaufman;
#  - sweep_mpi (2 ranks): every task's e within 4 sigma of Kaufman, 4 tasks run;
#  - map_head: lambda_max of the mapped head = a direct power iteration on J built
#    from Q and K (1e-9 relative), and 1 for the normalised file read back;
#  - anneal_sk: the best SA energy of SK n = 20 = the enumerated ground state.
# One install serves all (about 4 s more than the consumer alone, on 2 cores).
# usage: install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "$@" >"$tmp/log" 2>&1; then echo "ok - $desc"; pass=$((pass+1)); else echo "not ok - $desc"; cat "$tmp/log"; fail=$((fail+1)); fi; }
desc="cmake --install into a fresh prefix"
check cmake --install "$build" --prefix "$tmp/prefix"
desc="installed CLI prints its version"
check "$tmp/prefix/bin/ceasim" --version
desc="find_package(ceasim) consumer configures, builds and runs"
check bash -c "cmake -S '$src/tests/install_consumer' -B '$tmp/consumer' -DCMAKE_PREFIX_PATH='$tmp/prefix' && cmake --build '$tmp/consumer' && '$tmp/consumer/consumer'"
desc="pkg-config consumer compiles, links and runs"
check bash -c "PKG_CONFIG_PATH='$tmp/prefix/lib/pkgconfig' && export PKG_CONFIG_PATH && cc '$src/tests/install_consumer/main.c' -o '$tmp/pc' \$(pkg-config --cflags --libs ceasim) -lm && '$tmp/pc'"
desc="installed headers: public ceas_*.h only, each one reachable as <ceasim/...>"
check bash -c "
  cd '$tmp/prefix/include' && [ -z \"\$(ls | grep -vx ceasim)\" ] &&
  bad=\$(ls ceasim | grep -v '^ceas_.*\\.h\$' || true) && [ -z \"\$bad\" ] || { echo \"not public: \$bad\"; exit 1; }
  for h in ceasim/*.h; do echo \"#include <\$h>\"; done > '$tmp/all.c' && echo 'int main(void) { return 0; }' >> '$tmp/all.c' &&
  PKG_CONFIG_PATH='$tmp/prefix/lib/pkgconfig' cc -std=c11 -Wall -Wextra -Werror -c '$tmp/all.c' -o '$tmp/all.o' \$(PKG_CONFIG_PATH='$tmp/prefix/lib/pkgconfig' pkg-config --cflags ceasim)"
desc="examples build with find_package(ceasim) (-Wall -Wextra -Werror)"
check bash -c "cmake -S '$src/examples' -B '$tmp/ex' -DCMAKE_PREFIX_PATH='$tmp/prefix' -DCMAKE_C_FLAGS='-Wall -Wextra -Werror' && cmake --build '$tmp/ex' -j2"
desc="examples build with pkg-config"
check bash -c "export PKG_CONFIG_PATH='$tmp/prefix/lib/pkgconfig'; for e in run_task sweep_mpi map_head anneal_sk; do cc -std=c11 -Wall -Wextra -Werror '$src/examples/'\$e.c -o '$tmp/pc_'\$e \$(pkg-config --cflags --libs ceasim) -lm || exit 1; done"
# Each example's output is checked by awk on the line it prints for the purpose.
desc="run_task: e(16, beta=0.3) within 4 sigma of the exact value"
check bash -c "set -o pipefail; '$tmp/ex/run_task' | tee /dev/stderr | awk '/^e = /{n++; e=\$3; err=\$5; x=\$8; d=e-x; if (d<0) d=-d; if (!(err>0 && err<0.01 && d<=4*err)) bad=1} END{exit !(n==1 && !bad)}'"
desc="sweep_mpi on 2 ranks: 4 tasks, each e within 4 sigma of the exact value"
check bash -c "set -o pipefail; export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; mpirun --oversubscribe --bind-to none -np 2 '$tmp/ex/sweep_mpi' '$tmp/sweep' | tee /dev/stderr | awk '/^ *(8|12) /{n++; e=\$3; err=\$4; x=\$5; d=e-x; if (d<0) d=-d; if (!(err>0 && d<=4*err)) bad=1} /^4 tasks run, 0 already done, on 2 ranks/{r=1} END{exit !(n==4 && r && !bad)}' && [ -f '$tmp/sweep/summary.h5' ]"
desc="map_head: lambda_max = direct power iteration (1e-9 relative), file's = 1"
check bash -c "set -o pipefail; '$tmp/ex/map_head' '$tmp/head.h5' | tee /dev/stderr | awk '/^lambda_max library/{a=\$4; b=\$7; d=(a-b)/b; if (d<0) d=-d; ok1=(b>0 && d<=1e-9)} /^file.s J/{a=\$(NF-3); b=\$NF; da=a-1; db=b-1; if (da<0) da=-da; if (db<0) db=-db; ok2=(da<=1e-12 && db<=1e-9)} END{exit !(ok1 && ok2)}'"
desc="anneal_sk: best of 32 SA reads = exact ground energy of SK n = 20"
check bash -c "set -o pipefail; '$tmp/ex/anneal_sk' | tee /dev/stderr | awk '/^E0 exact/{e0=\$4; b=\$12; d=b-e0; if (d<0) d=-d; ok=(e0<0 && d<=1e-9*(-e0))} END{exit !ok}'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
