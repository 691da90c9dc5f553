#!/usr/bin/env bash
# Quick start 1/2: install what is missing, build (Release) into build/, then
#  1. `ceasim demo`: 2D Ising against the exact finite-size solution (seconds);
#  2. a small 2D finite-size-scaling sweep on 2 MPI ranks that locates beta_c and
#     nu, compares them with the exact values and draws the plots (about a minute).
# Rerunning reuses finished work (the sweep resumes); delete build/quickstart to redo it.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
build/ceasim demo --out build/demo.h5 --force
echo
mpi=(mpirun -np 2 --oversubscribe)
if [ "$(id -u)" -eq 0 ]; then mpi+=(--allow-run-as-root); fi
"${mpi[@]}" build/ceasim sweep experiments/quickstart.ini --out build/quickstart "$@"
