#!/usr/bin/env bash
# Quick start 1/2: install what is missing, build (Release) into build/, and run
# the built-in demo: 2D Ising against the exact finite-size solution.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/ceasim demo --out build/demo.h5 --force "$@"
