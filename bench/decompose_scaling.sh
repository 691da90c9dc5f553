#!/usr/bin/env bash
# Scaling of `ceasim run --decompose` (one 2D lattice over MPI ranks) on this
# machine, and the numbers the model in bench/README.md ("One lattice across
# ranks") needs.
#
#   strong scaling  L = $L_STRONG (4096) on 1, 2 and 4 ranks (4 is oversubscribed
#                   on a 2-core machine: it measures overhead, not speed-up);
#   weak scaling    the same number of sites per rank: L = $L_WEAK (2048) on 1
#                   rank against L = round(L_WEAK sqrt 2 / 2) 2 = 2896 on 2 ranks
#                   (2896^2 / 2 = 4 193 408 sites per rank, 0.02 % below 2048^2;
#                   the efficiency is computed per site update, so the difference
#                   cancels);
#   halo messages   an MPI ping-pong of one row (L bytes) between 2 ranks, for
#                   the latency and bandwidth of this machine's shared memory.
# Each run is repeated $REPEAT (3) times and the fastest is kept (the machine is
# shared; the fastest run is the one least disturbed). Runs: --therm 0
# --sweeps $SWEEPS (128) --measure-every $MEASURE_EVERY (2), metropolis at beta = 0.44
# (ALGO=msc-single for the multi-spin-coded plane kernel; L must then be a multiple
# of 128: L_WEAK=2048 and 2-rank L = 2944, 0.07 % fewer sites per rank).
#
# Efficiencies (T = wall time of the sweeps and measurements, U = site updates):
#   strong  E(N) = T(1) / (N T(N))
#   weak    E(N) = (U(N) / N / T(N)) / (U(1) / T(1))   (updates per second per rank)
# and the same with the sweep time alone (updates + exchange, measurements out),
# and with CPU time summed over the ranks in place of N T(N) (the work done,
# whatever share of the cores other jobs left to the run).
#
# usage: bench/decompose_scaling.sh [path/to/ceasim] [output dir]
# Writes runs/*.txt, pingpong.txt and summary.txt in the output directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CEASIM="${1:-$root/build/ceasim}"
OUT="${2:-$(mktemp -d "${TMPDIR:-/tmp}/ceasim-decompose.XXXXXX")}"
REPEAT="${REPEAT:-3}"
L_STRONG="${L_STRONG:-4096}"
L_WEAK="${L_WEAK:-2048}"
SWEEPS="${SWEEPS:-128}"
MEASURE_EVERY="${MEASURE_EVERY:-2}"
ALGO="${ALGO:-metropolis}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe --bind-to none -np)
mkdir -p "$OUT/runs"
[ -x "$CEASIM" ] || { echo "$0: $CEASIM is not an executable" >&2; exit 2; }

# L_WEAK sqrt(2), rounded to an even size.
Q=2
[ "$ALGO" = msc-single ] && Q=128
L_WEAK2=$(/usr/bin/python3 -c "import math; print($Q * round($L_WEAK * math.sqrt(2) / $Q))")

# run LABEL NP L: REPEAT runs, stdout of each in runs/LABEL.REP.txt
run() {
  local label="$1" np="$2" L="$3" rep
  local args=(run --model ising2d --L "$L" --beta 0.44 --therm 0 --sweeps "$SWEEPS"
    --measure-every "$MEASURE_EVERY" --algo "$ALGO" --seed 1 --quiet --decompose)
  for rep in $(seq 1 "$REPEAT"); do
    if [ "$np" = 1 ]; then
      "$CEASIM" "${args[@]}" >"$OUT/runs/$label.$rep.txt"
    else
      "${MPIRUN[@]}" "$np" "$CEASIM" "${args[@]}" >"$OUT/runs/$label.$rep.txt"
    fi
    echo "  $label (L = $L, $np rank(s)), run $rep: $(grep -o '[0-9.]* s (' "$OUT/runs/$label.$rep.txt" | tr -d '(')" >&2
  done
}

echo "decompose scaling: $CEASIM, output in $OUT, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run strong1 1 "$L_STRONG"
run strong2 2 "$L_STRONG"
run strong4 4 "$L_STRONG"
run weak1 1 "$L_WEAK"
run weak2 2 "$L_WEAK2"

# Ping-pong of n-byte messages (the halo of an L-site int8 row is L bytes): the
# latency and bandwidth of the link between two ranks on this machine.
cat >"$OUT/pingpong.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char *buf = calloc(1 << 24, 1);
  for (int n = 1; n <= 1 << 24; n *= 4) {
    int reps = n < 65536 ? 2000 : 100;
    double best = 1e30;
    for (int trial = 0; trial < 5; trial++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      for (int r = 0; r < reps; r++) {
        if (rank == 0) {
          MPI_Send(buf, n, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
          MPI_Recv(buf, n, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
          MPI_Recv(buf, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          MPI_Send(buf, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
      }
      double t = (MPI_Wtime() - t0) / (2.0 * reps);
      if (t < best) best = t;
    }
    if (rank == 0) printf("%d %.9g\n", n, best);
  }
  free(buf);
  MPI_Finalize();
  return 0;
}
EOF
mpicc -O2 -o "$OUT/pingpong" "$OUT/pingpong.c"
"${MPIRUN[@]}" 2 "$OUT/pingpong" >"$OUT/pingpong.txt"

/usr/bin/python3 - "$OUT" "$REPEAT" "$L_STRONG" "$L_WEAK" "$L_WEAK2" "$SWEEPS" "$MEASURE_EVERY" "$ALGO" <<'EOF' | tee "$OUT/summary.txt"
import glob
import math
import os
import re
import sys

out, repeat = sys.argv[1], int(sys.argv[2])
L_strong, L_weak, L_weak2, sweeps, every = (int(x) for x in sys.argv[3:8])
algo = sys.argv[8]


def parse(path):
    t = open(path).read()
    m = re.search(r", ([0-9.]+) s \(.*decomposed over (\d+) rank", t)
    u = re.search(r"time on rank 0: ([0-9.]+) s updates, ([0-9.]+) s exchange \(largest over "
                  r"ranks ([0-9.]+) s\), ([0-9.]+) s measurements; CPU time of all ranks "
                  r"([0-9.]+) s", t)
    L = int(re.search(r" L=(\d+) ", t).group(1))
    return dict(T=float(m.group(1)), ranks=int(m.group(2)), upd=float(u.group(1)),
                exch=float(u.group(2)), exch_max=float(u.group(3)), meas=float(u.group(4)), cpu=float(u.group(5)), L=L)


def best(label):
    runs = [parse(p) for p in sorted(glob.glob(os.path.join(out, "runs", label + ".*.txt")))]
    return min(runs, key=lambda r: r["T"])


R = {k: best(k) for k in ("strong1", "strong2", "strong4", "weak1", "weak2")}
print(f"{algo}: sweeps per run: {sweeps} (+ {sweeps // every} measurements), best of {repeat}")
print(f"load average at the end: {open('/proc/loadavg').read().split()[:3]}")
print()
print("run        L      ranks  T [s]   updates [s] exchange [s] (max)  measure [s]  CPU [s]  "
      "ns/update/rank")
for k, r in R.items():
    U = sweeps * r["L"] ** 2
    print(f"{k:9s} {r['L']:6d} {r['ranks']:5d} {r['T']:8.3f} {r['upd']:10.3f} {r['exch']:9.3f} "
          f"({r['exch_max']:.3f}) {r['meas']:10.3f} {r['cpu']:9.3f}   "
          f"{r['T'] * r['ranks'] / U * 1e9:8.3f}")
print()
s1 = R["strong1"]
for k in ("strong2", "strong4"):
    r = R[k]
    n = r["ranks"]
    e = s1["T"] / (n * r["T"])
    sw1 = s1["upd"] + s1["exch"]
    swn = r["upd"] + r["exch"]
    print(f"strong scaling L={L_strong}, {n} ranks: speed-up {s1['T'] / r['T']:.3f}, "
          f"efficiency {100 * e:.1f} % (sweeps alone: {100 * sw1 / (n * swn):.1f} %); "
          f"CPU-time efficiency {100 * s1['cpu'] / r['cpu']:.1f} %")
w1, w2 = R["weak1"], R["weak2"]
rate1 = sweeps * w1["L"] ** 2 / w1["T"]
rate2 = sweeps * w2["L"] ** 2 / 2 / w2["T"]
srate1 = sweeps * w1["L"] ** 2 / (w1["upd"] + w1["exch"])
srate2 = sweeps * w2["L"] ** 2 / 2 / (w2["upd"] + w2["exch"])
crate1 = sweeps * w1["L"] ** 2 / w1["cpu"]
crate2 = sweeps * w2["L"] ** 2 / w2["cpu"]
print(f"weak scaling {L_weak}^2 on 1 rank vs {L_weak2}^2 on 2 ranks: efficiency "
      f"{100 * rate2 / rate1:.1f} % (sweeps alone: {100 * srate2 / srate1:.1f} %); "
      f"CPU-time efficiency {100 * crate2 / crate1:.1f} %")
print("(CPU-time efficiency: updates per CPU second of all ranks against 1 rank; on a machine\n"
      " whose cores are shared with other jobs it isolates the decomposition's own overhead)")

# Model: t_sweep = t_site * sites per rank + 2 t_halo(L) (one exchange per
# half-sweep), with t_halo(L) = alpha + 2 L / B when a rank's two messages share
# one link; overlap can only hide t_halo behind the interior update.
t_site = s1["upd"] / (sweeps * s1["L"] ** 2)
pp = [tuple(map(float, line.split())) for line in open(os.path.join(out, "pingpong.txt"))]
alpha = pp[0][1]
big = [p for p in pp if p[0] >= 1 << 20]
bw = sum(p[0] for p in big) / sum(p[1] - alpha for p in big)
print()
print(f"t_site (1 rank, L={L_strong}): {t_site * 1e9:.3f} ns per update")
print(f"ping-pong on this machine: latency {alpha * 1e6:.2f} us, bandwidth {bw / 1e9:.2f} GB/s")
for n, t in pp:
    print(f"  {int(n):9d} B  {t * 1e6:10.2f} us")
print()
L = 1 << 20
for name, a, b in (("this machine's shared memory", alpha, bw),
                   ("network: 1.5 us, 10 GB/s per link", 1.5e-6, 10e9)):
    print(f"projection, 2^20 x 2^20, {name}:")
    for N in (1000, 10000):
        comp = t_site * L * L / N
        halo = 2 * (a + 2 * L / b)
        print(f"  {N:6d} ranks: {L / N:7.1f} rows/rank, compute {comp:.4g} s/sweep, halo "
              f"{halo * 1e3:.3g} ms/sweep -> efficiency {100 * comp / (comp + halo):.3f} % "
              f"without overlap")
EOF
