/* Per-replica energy and magnetisation of a packed state.
 *
 * Each replica needs the number of its bits set over a stream of words (down
 * spins; antiparallel bonds). A vertical counter keeps that count bit-sliced:
 * plane[j] holds bit j of all 64 counts of a lane. Words enter in groups of eight
 * through a Harley–Seal carry-save tree (running ones, twos, fours; one "eights"
 * word per group), so the ripple into the planes happens once per eight words. */
#include <stdlib.h>
#include <string.h>

#include "ceas_lattice.h"

#include "msc_private.h"

typedef struct {
  uint64_t ones, twos, fours;
  uint64_t buf[8];
  int nbuf;
  uint64_t plane[64]; /* plane[j]: bit j of each count; counts stay below 2^64 */
} vcount;

static void ripple(uint64_t *plane, int j, uint64_t carry) {
  while (carry) {
    uint64_t t = plane[j] & carry;
    plane[j] ^= carry;
    carry = t;
    j++;
  }
}

/* Carry-save adder: a + b + c = 2 h + l, bitwise. */
static inline void csa(uint64_t *h, uint64_t *l, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t u = a ^ b;
  *h = (a & b) | (u & c);
  *l = u ^ c;
}

static void vc_group(vcount *v) {
  const uint64_t *d = v->buf;
  uint64_t twos_a, twos_b, fours_a, fours_b, eights;
  csa(&twos_a, &v->ones, v->ones, d[0], d[1]);
  csa(&twos_b, &v->ones, v->ones, d[2], d[3]);
  csa(&fours_a, &v->twos, v->twos, twos_a, twos_b);
  csa(&twos_a, &v->ones, v->ones, d[4], d[5]);
  csa(&twos_b, &v->ones, v->ones, d[6], d[7]);
  csa(&fours_b, &v->twos, v->twos, twos_a, twos_b);
  csa(&eights, &v->fours, v->fours, fours_a, fours_b);
  ripple(v->plane, 3, eights);
  v->nbuf = 0;
}

static inline void vc_add(vcount *v, uint64_t w) {
  v->buf[v->nbuf++] = w;
  if (v->nbuf == 8) vc_group(v);
}

/* The 64 counts of v, added to out[0..63] (add) or stored there. Counts known to
 * stay below 2^K need only K planes read (K = 64: any count). */
static void vc_total(vcount *v, int64_t *out, int K, int add) {
  ripple(v->plane, 0, v->ones);
  ripple(v->plane, 1, v->twos);
  ripple(v->plane, 2, v->fours);
  for (int i = 0; i < v->nbuf; i++) ripple(v->plane, 0, v->buf[i]);
  for (int r = 0; r < 64; r++) {
    uint64_t c = 0;
    for (int j = 0; j < K; j++) c |= ((v->plane[j] >> r) & 1) << j;
    out[r] = add ? out[r] + (int64_t)c : (int64_t)c;
  }
}

int ceas_msc_measure(const ceas_msc_state *st, int64_t *E, int64_t *M) {
  const msc_lattice *lat = &st->lat;
  const long L = lat->L, n = lat->n, nz = lat->dim == 3 ? L : 1;
  const int W = lat->W;
  const size_t rw = (size_t)n * (size_t)W;
  vcount down[4], anti[4];
  memset(down, 0, sizeof down);
  memset(anti, 0, sizeof anti);
  for (int c = 0; c < 2; c++) {
    const uint64_t *A = lat->col[c], *B = lat->col[c ^ 1];
    for (long z = 0; z < nz; z++)
      for (long y = 0; y < L; y++) {
        const size_t r = (size_t)(z * L + y);
        const uint64_t *a = A + r * rw;
        /* Bonds to +x, +y, +z: each bond once, d N in all. A site at x = 2j + p
         * has its +x neighbour at word j + p of the other colour's row. */
        const uint64_t *bx = B + r * rw;
        const uint64_t *by = B + (size_t)(z * L + (y + 1) % L) * rw;
        const uint64_t *bz = B + (size_t)(((z + 1) % L) * L + y) * rw;
        const long p = (c + y + z) & 1;
        for (long j = 0; j < n; j++) {
          const long jx = j + p == n ? 0 : j + p;
          for (int l = 0; l < W; l++) {
            const uint64_t w = a[(size_t)j * W + l];
            vc_add(&down[l], w);
            vc_add(&anti[l], w ^ bx[(size_t)jx * W + l]);
            vc_add(&anti[l], w ^ by[(size_t)j * W + l]);
            if (lat->dim == 3) vc_add(&anti[l], w ^ bz[(size_t)j * W + l]);
          }
        }
      }
  }
  const int R = 64 * W;
  memset(E, 0, (size_t)R * sizeof *E);
  memset(M, 0, (size_t)R * sizeof *M);
  for (int l = 0; l < W; l++) {
    vc_total(&anti[l], E + 64 * l, 64, 1);
    vc_total(&down[l], M + 64 * l, 64, 1);
  }
  const int64_t N = st->sites, bonds = (int64_t)lat->dim * st->sites;
  for (int r = 0; r < R; r++) {
    E[r] = -(bonds - 2 * E[r]);
    M[r] = N - 2 * M[r];
  }
  return CEAS_OK;
}

void ceas_msc_replica_average(const ceas_msc_state *st, const int64_t *E,
                              const int64_t *M, ceas_msc_sample *out) {
  ceas_msc_average(64 * st->lat.W, st->sites, E, M, out);
}

void ceas_msc_average(int R, int64_t sites, const int64_t *E, const int64_t *M,
                      ceas_msc_sample *out) {
  const double N = (double)sites;
  double se = 0, se2 = 0, sm = 0, sm2 = 0, sm4 = 0;
  for (int r = 0; r < R; r++) {
    double e = (double)E[r] / N, m = (double)M[r] / N;
    se += e;
    se2 += e * e;
    sm += m < 0 ? -m : m;
    sm2 += m * m;
    sm4 += m * m * m * m;
  }
  out->e = se / R;
  out->e2 = se2 / R;
  out->abs_m = sm / R;
  out->m2 = sm2 / R;
  out->m4 = sm4 / R;
}

int ceas_msc_measure_sf(const ceas_msc_state *st, double *F) {
  const msc_lattice *lat = &st->lat;
  const int d = lat->dim, W = lat->W, R = 64 * W;
  const long L = lat->L, n = lat->n, nz = d == 3 ? L : 1;
  const size_t rw = (size_t)n * (size_t)W;
  const int64_t per_plane = st->sites / L; /* sites with one coordinate fixed */
  int K = 1;
  while (K < 63 && (INT64_C(1) << K) <= per_plane) K++;
  /* Counter (axis a, coordinate x, lane l): the down spins of every replica of
   * the lane in the plane x_a = x, bit-sliced, so a projection costs a few word
   * operations per site word instead of one per replica and site. */
  const size_t nvc = (size_t)d * (size_t)L * (size_t)W;
  vcount *vc = ceas_calloc(nvc, sizeof *vc);
  int64_t *proj = ceas_malloc((size_t)d * (size_t)L * sizeof *proj);
  int64_t *cnt = ceas_malloc(nvc * 64 * sizeof *cnt);
  double *cs = ceas_malloc(2 * (size_t)L * sizeof *cs);
  if (!vc || !proj || !cnt || !cs) {
    free(vc), free(proj), free(cnt), free(cs);
    return CEAS_ENOMEM;
  }
  for (int c = 0; c < 2; c++)
    for (long z = 0; z < nz; z++)
      for (long y = 0; y < L; y++) {
        const uint64_t *a = lat->col[c] + (size_t)(z * L + y) * rw;
        const long p = (c + y + z) & 1;
        vcount *vy = vc + ((size_t)L + (size_t)y) * W;
        vcount *vz = d == 3 ? vc + ((size_t)2 * L + (size_t)z) * W : NULL;
        for (long j = 0; j < n; j++) {
          vcount *vx = vc + (size_t)(2 * j + p) * W;
          for (int l = 0; l < W; l++) {
            const uint64_t w = a[(size_t)j * W + l];
            vc_add(&vx[l], w);
            vc_add(&vy[l], w);
            if (vz) vc_add(&vz[l], w);
          }
        }
      }
  for (size_t i = 0; i < nvc; i++) vc_total(&vc[i], cnt + 64 * i, K, 0);
  ceas_lattice_kmin_phases(L, cs);
  for (int r = 0; r < R; r++) {
    const int l = r / 64, b = r % 64;
    for (size_t ax = 0; ax < (size_t)d * (size_t)L; ax++)
      proj[ax] = per_plane - 2 * cnt[(ax * W + (size_t)l) * 64 + (size_t)b];
    F[r] = ceas_lattice_structure_factor_from_projections(d, L, proj, cs);
  }
  free(vc), free(proj), free(cnt), free(cs);
  return CEAS_OK;
}
