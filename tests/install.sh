#!/usr/bin/env bash
# `cmake --install` gives a usable package: the CLI runs, a CMake project finds
# the library with find_package(ceasim), and pkg-config compiles against it.
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
