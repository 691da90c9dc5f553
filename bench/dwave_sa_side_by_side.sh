#!/usr/bin/env bash
# ceasim's sa against D-Wave's SA core (dwavesystems/dwave-samplers,
# dwave/samplers/sa/src/cpu_sa.cpp, the C++ loop under neal / SimulatedAnnealingSampler)
# on the same instance with the same schedule, CPU time measured in one run.
#
# The peer is built from a copy of its public source in a temporary folder, with a
# small driver written here (below); nothing of D-Wave's code is in this repository.
#
#   bench/dwave_sa_side_by_side.sh DWAVE_SAMPLERS [CEASIM]
#
# DWAVE_SAMPLERS: a checkout of dwave-samplers, or its git directory (HEAD is used).
# CEASIM: default build/ceasim. Environment: N=1000 (SK, J = +-1/sqrt(N)), READS=10,
# SWEEPS=10000, REPS=3, INSTANCE_SEED=1, BONDS=pm (or gauss), PYTHON=/usr/bin/python3
# (with h5py and numpy), SCHEDULE="" (extra options of the run that makes the
# schedule, e.g. "--beta1 10" for the cold end sa had before issue 14).
#
# What runs: ceasim writes the instance (--write-instance, %.17g) and its default sa
# schedule (the `betas` dataset); the driver reads both, so both solvers see the same
# couplings and the same geometric beta per sweep, one sweep per beta, sequential
# order, Metropolis, random initial states (ceasim's own; the driver's from a
# splitmix64 of the read index). The peer is compiled three ways: -O3 -march=native,
# -O3 (what dwave-samplers ships: meson buildtype release, optimization 3, no -march,
# generic x86-64 wheels) and -O2. Then REPS rounds, each running ceasim and every peer
# build once, interleaved so that they share the machine's load. Reported: the least
# CPU time of each over the rounds (the annealing only, not reading the instance),
# ns per spin update, and the energies: ceasim's best seen and final, the peer's final
# (it returns final states only), each as best of the reads and mean over reads.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 DWAVE_SAMPLERS [CEASIM]" >&2; exit 2; }
SRC="$1"
CEASIM="${2:-build/ceasim}"
N="${N:-1000}" READS="${READS:-10}" SWEEPS="${SWEEPS:-10000}" REPS="${REPS:-3}"
INSTANCE_SEED="${INSTANCE_SEED:-1}" BONDS="${BONDS:-pm}" PYTHON="${PYTHON:-/usr/bin/python3}"
[ -x "$CEASIM" ] || { echo "$0: $CEASIM is not an executable" >&2; exit 2; }
CEASIM="$(cd "$(dirname "$CEASIM")" && pwd)/$(basename "$CEASIM")"
for v in N READS SWEEPS REPS INSTANCE_SEED; do
  case "${!v}" in '' | *[!0-9]* | 0) echo "$0: $v=${!v} is not a positive integer" >&2; exit 2 ;; esac
done

T="$(mktemp -d "${TMPDIR:-/tmp}/dwave_sa.XXXXXX")"
trap 'rm -rf "$T"' EXIT
REL=dwave/samplers/sa/src
if [ -f "$SRC/$REL/cpu_sa.cpp" ]; then
  cp "$SRC/$REL/cpu_sa.cpp" "$SRC/$REL/cpu_sa.h" "$T/"
  REV="$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo "unknown revision")"
elif git --git-dir="$SRC" rev-parse --verify -q HEAD >/dev/null; then
  for f in cpu_sa.cpp cpu_sa.h; do git --git-dir="$SRC" show "HEAD:$REL/$f" >"$T/$f"; done
  REV="$(git --git-dir="$SRC" rev-parse HEAD)"
else
  echo "$0: $SRC holds neither $REL/cpu_sa.cpp nor a git repository with it" >&2
  exit 2
fi

# The driver: reads ceasim's edge list ("n N", "i j J", "h i v"; E = -sum J s s -
# sum h s) and betas, hands them to general_simulated_annealing (whose energy is
# + sum J s s + sum h s, hence the signs) and prints CPU seconds and energies.
cat >"$T/driver.cpp" <<'EOF'
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cpu_sa.h"

using namespace dwave::samplers::sa;

static bool no_interrupt(void *const) { return false; }

static double cpu_now() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: driver INSTANCE BETAS READS\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  std::vector<int> a, b;
  std::vector<double> w, h;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    if (line[0] == 'n') {
      std::string tag;
      ls >> tag >> n;
      h.assign(n, 0.0);
    } else if (line[0] == 'h') {
      std::string tag;
      int i;
      double v;
      ls >> tag >> i >> v;
      h.at(i) = -v;
    } else {
      int i, j;
      double J;
      ls >> i >> j >> J;
      a.push_back(i);
      b.push_back(j);
      w.push_back(-J);
    }
  }
  std::ifstream bf(argv[2]);
  std::vector<double> betas;
  for (double x; bf >> x;) betas.push_back(x);
  const int reads = std::stoi(argv[3]);
  if (n <= 0 || betas.empty() || reads <= 0) {
    std::fprintf(stderr, "driver: empty instance, schedule or reads\n");
    return 2;
  }
  std::vector<std::int8_t> states((size_t)reads * n);
  for (int r = 0; r < reads; r++)
    for (int i = 0; i < n; i++) {
      std::uint64_t z = ((std::uint64_t)r << 32 | (std::uint32_t)i) + 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      states[(size_t)r * n + i] = ((z ^ (z >> 31)) & 1) ? 1 : -1;
    }
  std::vector<double> energies(reads);
  const double t0 = cpu_now();
  int done = general_simulated_annealing(states.data(), energies.data(), reads, h, a, b, w, 1,
                                         betas, 12345, Sequential, Metropolis, no_interrupt,
                                         nullptr);
  const double cpu = cpu_now() - t0;
  double best = energies[0], mean = 0, var = 0;
  for (int r = 0; r < done; r++) {
    best = energies[r] < best ? energies[r] : best;
    mean += energies[r] / done;
  }
  for (int r = 0; r < done; r++) var += (energies[r] - mean) * (energies[r] - mean);
  std::printf("%.6f %.9f %.9f %.9f\n", cpu, best, mean, done > 1 ? var / (done - 1) : 0.0);
  return 0;
}
EOF

CXX="${CXX:-g++}"
FLAGS=("-O3 -march=native" "-O3" "-O2")
NAMES=("native" "O3" "O2")
for k in 0 1 2; do
  # shellcheck disable=SC2086
  "$CXX" -std=c++17 ${FLAGS[$k]} -DNDEBUG -I"$T" "$T/driver.cpp" "$T/cpu_sa.cpp" \
    -o "$T/peer_${NAMES[$k]}"
done

cd "$T"
# shellcheck disable=SC2086  # SCHEDULE is a list of options
"$CEASIM" anneal --model sk --n "$N" --bonds "$BONDS" --instance-seed "$INSTANCE_SEED" \
  --reads 1 --sweeps "$SWEEPS" --quiet --write-instance inst.txt --out sched.h5 ${SCHEDULE:-} \
  >/dev/null
"$PYTHON" - <<'EOF'
import h5py
with h5py.File("sched.h5") as f, open("betas.txt", "w") as o:
    for b in f["betas"][()]:
        o.write("%.17g\n" % b)
EOF

for ((r = 0; r < REPS; r++)); do
  rm -f "ce$r.h5"
  "$CEASIM" anneal --couplings inst.txt --reads "$READS" --schedule-file betas.txt --quiet \
    --out "ce$r.h5" >/dev/null
  for k in 0 1 2; do "./peer_${NAMES[$k]}" inst.txt betas.txt "$READS" >"peer_${NAMES[$k]}.$r"; done
done

"$PYTHON" - "$N" "$READS" "$SWEEPS" "$REPS" "$REV" "$CXX" "${FLAGS[@]}" <<'EOF'
import subprocess
import sys

import h5py
import numpy as np

n, reads, sweeps, reps = (int(x) for x in sys.argv[1:5])
rev, cxx, flags = sys.argv[5], sys.argv[6], sys.argv[7:]
names = ["native", "O3", "O2"]
updates = reads * sweeps * n
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
isa = " ".join(x for x in ("avx2", "avx512f") if x in open("/proc/cpuinfo").read().split())
ver = subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
with open("betas.txt") as f:
    betas = [float(x) for x in f]
print(f"SK N = {n}, {reads} reads x {sweeps} sweeps, the same couplings and betas "
      f"(geometric {betas[0]:.4g} -> {betas[-1]:.4g}); "
      f"least CPU time of {reps} interleaved rounds; {model} ({isa}); dwave-samplers {rev[:12]}, {ver}")
ce_cpu, ce_best, ce_final = [], None, None
for r in range(reps):
    with h5py.File(f"ce{r}.h5") as f:
        ce_cpu.append(float(f.attrs["cpu_seconds"]))
        ce_best, ce_final = f["best_energy"][()], f["final_energy"][()]
c = min(ce_cpu)
print("| solver | CPU s | ns / spin update | ratio to ceasim | best of reads E/n | mean E/n ± s.e. |")
print("| --- | --- | --- | --- | --- | --- |")
def se(e):
    return np.std(e, ddof=1) / np.sqrt(len(e)) / n if len(e) > 1 else 0.0


print(f"| ceasim sa, best seen | {c:.3f} | {1e9 * c / updates:.1f} | 1 | "
      f"{ce_best.min() / n:.6f} | {ce_best.mean() / n:.6f} ± {se(ce_best):.6f} |")
print(f"| ceasim sa, final | | | | {ce_final.min() / n:.6f} | "
      f"{ce_final.mean() / n:.6f} ± {se(ce_final):.6f} |")
for k, name in enumerate(names):
    rows = [open(f"peer_{name}.{r}").read().split() for r in range(reps)]
    t = min(float(x[0]) for x in rows)
    best, mean, var = (float(x) for x in rows[0][1:4])
    print(f"| dwave cpu_sa {flags[k]}, final | {t:.3f} | {1e9 * t / updates:.1f} | "
          f"{t / c:.2f} | {best / n:.6f} | {mean / n:.6f} ± {np.sqrt(var / reads) / n:.6f} |")
EOF
