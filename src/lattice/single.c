/* Single-spin kernels: Metropolis and heat-bath. */
#include <math.h>
#include <stdlib.h>

#include "lattice_private.h"

static double local_field(const ceas_lattice_system *sys, const int8_t *s,
                          int64_t i) {
  double f = sys->h[i];
  for (int64_t k = sys->indptr[i]; k < sys->indptr[i + 1]; k++)
    f += sys->J[k] * s[sys->indices[k]];
  return f;
}

/* Metropolis acceptance a(dE) = min(1, exp(-beta dE)) for dE != 0, and 1/2 for
 * dE = 0. Detailed balance only asks a(dE) / a(-dE) = exp(-beta dE), which
 * leaves a(0) free. The textbook a(0) = 1 makes zero-field flips certain, and in
 * any fixed visiting order (checkerboard) the configurations in which every
 * spin meets zero field then cycle deterministically among themselves forever:
 * the chain is reducible. That is 4 of the 16 states of the 2x2 torus, 8 of 512
 * at 3x3, 36 of 65536 at 4x4, 32 of 2^25 at 5x5 (counted by exhaustive search;
 * the enumeration and stationarity tests caught it). a(0) = 1/2 breaks every
 * such cycle at the cost of a few more rejections. */
static inline int metropolis_accept(double beta, double dE, double u) {
  if (dE < 0) return 1;
  if (dE == 0) return u < 0.5;
  return u < exp(-beta * dE);
}

int ceas_lattice_site_metropolis(const ceas_lattice_system *sys, int8_t *s,
                                 int64_t i, double beta, double u) {
  double dE = 2.0 * s[i] * local_field(sys, s, i);
  if (metropolis_accept(beta, dE, u)) {
    s[i] = (int8_t)-s[i];
    return 1;
  }
  return 0;
}

int ceas_lattice_site_heatbath(const ceas_lattice_system *sys, int8_t *s,
                               int64_t i, double beta, double u) {
  /* P(s_i = +1) = 1 / (1 + exp(-2 beta f)); written with the sign that keeps
   * exp() from overflowing at large beta |f|. */
  double f = local_field(sys, s, i);
  double x = exp(-2.0 * beta * fabs(f));
  double p_up = f >= 0 ? 1.0 / (1.0 + x) : x / (1.0 + x);
  int8_t old = s[i];
  s[i] = u < p_up ? 1 : -1;
  return s[i] != old;
}

/* For uniform ferromagnetic lattices the local field takes 4d+1 values per spin
 * sign; a table of exp() per sweep replaces one exp() per site. */
static void table_fill(double p[2][13], int dim, double h, double beta, int heatbath) {
  const int zmax = 2 * dim;
  for (int sp = 0; sp < 2; sp++)
    for (int ns = -zmax; ns <= zmax; ns++) {
      double f = ns + h;
      double v;
      if (heatbath) {
        /* Probability that the new spin is +1. */
        double x = exp(-2.0 * beta * fabs(f));
        v = f >= 0 ? 1.0 / (1.0 + x) : x / (1.0 + x);
      } else {
        /* Acceptance probability, the same rule as metropolis_accept(). */
        double dE = 2.0 * (sp ? 1 : -1) * f;
        v = dE < 0 ? 1.0 : dE == 0 ? 0.5 : exp(-beta * dE);
      }
      p[sp][ns + zmax] = v;
    }
}

/* Lattice sweeps draw 32-bit uniforms in visiting order: update k of sweep t uses
 * word k & 3 of the Philox4x32-10 block with counter (k >> 2 as two 32-bit halves,
 * t as two halves) under the key derived from (seed, stream, tag). The 4x64
 * generator costs ~12 ns per block here and the update itself ~1 ns, so a cheap
 * bulk generator is what makes the plain kernel fast. A 32-bit uniform compared
 * with ceil(p 2^32) moves an acceptance probability by less than 2^-32, far below
 * any statistical error a run can reach. */
typedef struct {
  ceas_rng_key32 key;
  uint64_t sweep;
  uint64_t k;
  uint64_t cached; /* 1 + the block held in u, 0 for none */
  uint32_t u[4];
} u32_cursor;

static inline void u32_block(const u32_cursor *c, uint64_t blk, uint32_t out[4]) {
  ceas_rng_bits32(c->key, (uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)c->sweep,
                  (uint32_t)(c->sweep >> 32), out);
}

/* Works from any k, also one inside a block (a strip of a decomposed lattice
 * starts wherever its first row's uniforms do). */
static inline uint32_t u32_next(u32_cursor *c) {
  uint64_t blk = c->k >> 2;
  if (c->cached != blk + 1) {
    u32_block(c, blk, c->u);
    c->cached = blk + 1;
  }
  return c->u[c->k++ & 3u];
}

/* The next m uniforms of the cursor into buf (the same numbers m calls of
 * u32_next would give), so that the update loop has no refill branch. */
static void u32_fill(u32_cursor *c, uint32_t *buf, int64_t m) {
  int64_t i = 0;
  while (i < m && (c->k & 3u)) buf[i++] = u32_next(c);
  int64_t nb = (m - i) / 4;
  ceas_rng_fill32(c->key, c->k >> 2, (uint32_t)c->sweep, (uint32_t)(c->sweep >> 32), buf + i,
                  (size_t)nb);
  c->k += 4 * (uint64_t)nb;
  i += 4 * nb;
  while (i < m) buf[i++] = u32_next(c);
}

ceas_rng_key32 ceas_lattice_sweep_key32(ceas_rng_key key, int heatbath) {
  return ceas_rng_key32_derive(key, heatbath ? CEAS_TAG_HEATBATH : CEAS_TAG_METROPOLIS);
}

void ceas_lattice_uniforms32(ceas_rng_key32 key, uint64_t sweep, uint64_t k, uint32_t *buf,
                             int64_t m) {
  u32_cursor c = {key, sweep, k, 0, {0}};
  u32_fill(&c, buf, m);
}

uint64_t ceas_lattice_threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return UINT64_C(1) << 32;
  return (uint64_t)ceil(ldexp(p, 32));
}

void ceas_lattice_rowkernel_init(ceas_lattice_rowkernel *rk, int dim, double h, double beta,
                                 int heatbath) {
  double p[2][13];
  table_fill(p, dim, h, beta, heatbath);
  rk->dim = dim;
  rk->zmax = 2 * dim;
  rk->heatbath = heatbath;
  for (int sp = 0; sp < 2; sp++)
    for (int k = 0; k < 13; k++) rk->thr[sp][k] = k <= 2 * rk->zmax ? ceas_lattice_threshold(p[sp][k]) : 0;
}

/* One row of one colour: sites x0, x0 + 2, ... of w (length L), with the rows
 * up/dn (and fw/bw in 3D) as the other neighbours and u[j] the uniform of the
 * j-th site updated. Branch-free: acceptance is a coin flip near beta_c, and a
 * mispredicted branch costs more than the whole update. For +-1 in int8,
 * s ^ 0xFE = -s. The two ends of the row (periodic wrap) are peeled off so the
 * interior loop has no conditionals. Inlined with constant dim3/heatbath, the
 * compiler drops the unused branches. thr is flat with the spin -1 half second
 * and indexed by the sign bit: written as thr[s > 0][...], gcc turns the row
 * choice into a conditional jump that mispredicts half the time (25 % slower). */
static inline void row_update(const uint64_t thr[26], int zmax, int dim3, int heatbath,
                              int8_t *w, const int8_t *up, const int8_t *dn,
                              const int8_t *fw, const int8_t *bw, int64_t L, int64_t x0,
                              const uint32_t *u) {
#define CEAS_SITE_UPDATE(X, LEFT, RIGHT)                                         \
  do {                                                                          \
    int sum_ = w[LEFT] + w[RIGHT] + up[X] + dn[X];                              \
    if (dim3) sum_ += fw[X] + bw[X];                                            \
    int hit_ = (uint64_t)*u++ < thr[((uint8_t)w[X] >> 7) * 13 + sum_ + zmax];    \
    w[X] = heatbath ? (int8_t)(2 * hit_ - 1) : (int8_t)(w[X] ^ (-hit_ & 0xFE)); \
  } while (0)
  int64_t x = x0;
  if (x == 0) {
    CEAS_SITE_UPDATE(0, L - 1, L > 1 ? 1 : 0);
    x += 2;
  }
  for (; x < L - 1; x += 2) CEAS_SITE_UPDATE(x, x - 1, x + 1);
  if (x == L - 1) CEAS_SITE_UPDATE(x, x - 1, 0);
#undef CEAS_SITE_UPDATE
}

static inline void thr_flat(const ceas_lattice_rowkernel *rk, uint64_t thr[26]) {
  for (int k = 0; k < 13; k++) {
    thr[k] = rk->thr[1][k];
    thr[13 + k] = rk->thr[0][k];
  }
}

/* Thresholds are copied to a local array first: stores to the int8 spins may alias
 * anything reached through a pointer (int8_t is a character type), and a local
 * whose address does not escape is the only way to keep them out of that. */
void ceas_lattice_rowkernel_row(const ceas_lattice_rowkernel *rk, int8_t *w, const int8_t *up,
                                const int8_t *dn, const int8_t *fw, const int8_t *bw, int64_t L,
                                int64_t x0, const uint32_t *u) {
  uint64_t thr[26];
  thr_flat(rk, thr);
  /* Four constant-folded copies: the flags would otherwise be tested per site. */
  if (rk->dim == 3) {
    if (rk->heatbath)
      row_update(thr, 6, 1, 1, w, up, dn, fw, bw, L, x0, u);
    else
      row_update(thr, 6, 1, 0, w, up, dn, fw, bw, L, x0, u);
  } else {
    if (rk->heatbath)
      row_update(thr, 4, 0, 1, w, up, dn, up, dn, L, x0, u);
    else
      row_update(thr, 4, 0, 0, w, up, dn, up, dn, L, x0, u);
  }
}

/* Uniform ferromagnetic tori: neighbours by index arithmetic (no CSR loads) in the
 * same checkerboard order as work->order (colour = parity of x + y + z, then
 * row-major), so this path and the general one make identical chains. */
static inline void uniform_sweep_t(ceas_lattice_state *st, const ceas_lattice_rowkernel *rk,
                                   int dim3, int heatbath, u32_cursor *cur, uint32_t *ubuf) {
  const ceas_lattice_system *sys = st->sys;
  int8_t *s = st->spins;
  const int64_t L = sys->L, L2 = L * L;
  const int64_t nz = dim3 ? L : 1;
  uint64_t thr[26];
  thr_flat(rk, thr);
  for (int colour = 0; colour < 2; colour++)
    for (int64_t z = 0; z < nz; z++) {
      const int64_t zo = z * L2;
      const int64_t zu = (z + 1 == L ? 0 : z + 1) * L2, zd = (z == 0 ? L - 1 : z - 1) * L2;
      for (int64_t y = 0; y < L; y++) {
        const int8_t *up = s + zo + (y + 1 == L ? 0 : y + 1) * L;
        const int8_t *dn = s + zo + (y == 0 ? L - 1 : y - 1) * L;
        const int8_t *fw = s + zu + y * L, *bw = s + zd + y * L;
        const int64_t x0 = (int64_t)((colour + y + z) & 1);
        u32_fill(cur, ubuf, (L - x0 + 1) / 2);
        row_update(thr, 2 * (2 + dim3), dim3, heatbath, s + zo + y * L, up, dn, fw, bw, L, x0,
                   ubuf);
      }
    }
}

static void uniform_sweep(ceas_lattice_state *st, const ceas_lattice_rowkernel *rk,
                          u32_cursor *cur, uint32_t *ubuf) {
  if (rk->dim == 3) {
    if (rk->heatbath)
      uniform_sweep_t(st, rk, 1, 1, cur, ubuf);
    else
      uniform_sweep_t(st, rk, 1, 0, cur, ubuf);
  } else {
    if (rk->heatbath)
      uniform_sweep_t(st, rk, 0, 1, cur, ubuf);
    else
      uniform_sweep_t(st, rk, 0, 0, cur, ubuf);
  }
}

static int single_sweep(ceas_lattice_state *st, double beta, int heatbath) {
  const ceas_lattice_system *sys = st->sys;
  int8_t *s = st->spins;
  unsigned tag = heatbath ? CEAS_TAG_HEATBATH : CEAS_TAG_METROPOLIS;
  if (sys->kind != CEAS_MODEL_GRAPH) {
    u32_cursor cur = {ceas_lattice_sweep_key32(st->key, heatbath), st->sweep, 0, 0, {0}};
    if (sys->uniform_ferro) {
      ceas_lattice_rowkernel rk;
      ceas_lattice_rowkernel_init(&rk, sys->dim, sys->h[0], beta, heatbath);
      uint32_t *ubuf = ceas_malloc(((size_t)sys->L / 2 + 1) * sizeof *ubuf);
      if (!ubuf) return CEAS_ENOMEM;
      uniform_sweep(st, &rk, &cur, ubuf);
      free(ubuf);
    } else {
      const int64_t *order = st->work->order;
      for (int64_t k = 0; k < sys->n; k++) {
        int64_t i = order[k];
        double u = ldexp((double)u32_next(&cur), -32);
        if (heatbath)
          ceas_lattice_site_heatbath(sys, s, i, beta, u);
        else
          ceas_lattice_site_metropolis(sys, s, i, beta, u);
      }
    }
  } else {
    /* Random-sequential: update k uses words 2k (site) and 2k+1 (acceptance)
     * of this sweep's stream. Each update is reversible, so the sweep is too. */
    for (int64_t k = 0; k < sys->n; k++) {
      uint64_t b[4];
      ceas_rng_bits(st->key, st->sweep, (uint64_t)k >> 1, tag, 0, b);
      int slot = (int)(k & 1) * 2;
      int64_t i = (int64_t)ceas_rng_below(b[slot], (uint64_t)sys->n);
      double u = ceas_rng_u01(b[slot + 1]);
      if (heatbath)
        ceas_lattice_site_heatbath(sys, s, i, beta, u);
      else
        ceas_lattice_site_metropolis(sys, s, i, beta, u);
    }
  }
  st->sweep++;
  return CEAS_OK;
}

static int metropolis_sweep(ceas_lattice_state *st, double beta) {
  return single_sweep(st, beta, 0);
}

static int heatbath_sweep(ceas_lattice_state *st, double beta) {
  return single_sweep(st, beta, 1);
}

const ceas_lattice_kernel ceas_lattice_kernel_metropolis = {
    "metropolis",
    "single-spin Metropolis (checkerboard order on lattices, random-sequential "
    "on graphs)",
    0, metropolis_sweep, NULL};

const ceas_lattice_kernel ceas_lattice_kernel_heatbath = {
    "heatbath",
    "single-spin heat bath (Glauber), same visiting order as metropolis", 0,
    heatbath_sweep, NULL};
