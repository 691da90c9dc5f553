/* Exact Ising references; see exact_ref.h. Deliberately shares no code with
 * the engine. */
#include "exact_ref.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* -std=c11 hides M_PI. */
#define EXACT_PI_L 3.141592653589793238462643383279502884L

static int lowest_set_bit(uint64_t v) {
#if defined(__GNUC__)
  return __builtin_ctzll(v);
#else
  int k = 0;
  while (!(v & 1u)) {
    v >>= 1;
    ++k;
  }
  return k;
#endif
}

/* Portable SWAR popcount: __builtin_popcount becomes a libgcc call unless
 * the build enables -mpopcnt, which the test build does not. */
static int popcount32(uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0Fu;
  return (int)((x * 0x01010101u) >> 24);
}

/* ------------------------------------------------------------------------- */
/* Hypercubic density of states                                              */
/* ------------------------------------------------------------------------- */

struct exact_dos {
  int n;       /* spins */
  int nbonds;  /* dim * n */
  /* count[u * (n + 1) + d]: u = (nbonds - B) / 2 unsatisfied bonds,
   * d = (n - M) / 2 down spins; both are integers, so the histogram is exact. */
  uint64_t *count;
};

/* Gray code visits every state with one flip per step, and tracking (u, d)
 * instead of (B, M) turns the bookkeeping into integer increments. */
exact_dos *exact_dos_hypercubic(int dim, int L) {
  if (dim < 1 || dim > 3 || L < 2) return NULL;
  int n = 1;
  for (int k = 0; k < dim; ++k) {
    n *= L;
    if (n > 30) return NULL;
  }
  const int z = 2 * dim;
  const int row = n + 1;
  const size_t nbins = (size_t)(n * dim + 1) * (size_t)row;
  /* Consecutive steps often hit the same bin; spreading them over NCOPY
   * interleaved histograms avoids serialising on one counter's
   * store-to-load latency. uint32_t suffices: a bin never exceeds 2^30. */
  enum { NCOPY = 4 };
  exact_dos *d = malloc(sizeof *d);
  int *nb = malloc(sizeof *nb * (size_t)(n * z));
  uint32_t *mask = malloc(sizeof *mask * (size_t)n);
  uint32_t *hist = calloc(nbins * NCOPY, sizeof *hist);
  if (d) d->count = calloc(nbins, sizeof *d->count);
  if (!d || !nb || !mask || !hist || !d->count) {
    if (d) free(d->count);
    free(d);
    free(nb);
    free(mask);
    free(hist);
    return NULL;
  }
  d->n = n;
  d->nbonds = n * dim;

  /* +mu and -mu neighbours are both listed, so every bond at a site appears
   * exactly once in its row; at L = 2 the same neighbour appears twice,
   * which is precisely the doubled bond. */
  for (int i = 0; i < n; ++i) {
    int stride = 1;
    for (int mu = 0; mu < dim; ++mu) {
      int x = (i / stride) % L;
      int base = i - x * stride;
      nb[i * z + 2 * mu] = base + ((x + 1) % L) * stride;
      nb[i * z + 2 * mu + 1] = base + ((x + L - 1) % L) * stride;
      stride *= L;
    }
  }

  /* The state is a bitmask of down spins, so a neighbour sum is a popcount.
   * At L = 2 each distinct neighbour is listed twice (mult = 2); for L >= 3
   * the 2*dim neighbours are distinct. */
  const int mult = (L == 2) ? 2 : 1;
  const int nd = z / mult;
  for (int i = 0; i < n; ++i) {
    uint32_t m = 0;
    for (int q = 0; q < z; ++q) m |= (uint32_t)1 << nb[i * z + q];
    mask[i] = m;
  }

  /* Start from all up: every bond satisfied, no down spins. */
  hist[0] = 1;
  uint32_t down = 0;
  int u = 0, dn = 0;
  const uint64_t total = (uint64_t)1 << n;
  for (uint64_t g = 1; g < total; ++g) {
    const int k = lowest_set_bit(g);
    const int sk = 1 - 2 * (int)((down >> k) & 1u);
    const int loc = mult * (nd - 2 * popcount32(down & mask[k]));
    /* Flipping s_k turns each s_k s_j into its negative: B -= 2 s_k loc. */
    u += sk * loc;
    dn += sk;
    down ^= (uint32_t)1 << k;
    ++hist[(size_t)(g & (NCOPY - 1)) * nbins + (size_t)(u * row + dn)];
  }
  for (size_t b = 0; b < nbins; ++b)
    for (int cpy = 0; cpy < NCOPY; ++cpy) d->count[b] += hist[(size_t)cpy * nbins + b];
  free(hist);
  free(nb);
  free(mask);
  return d;
}

void exact_dos_free(exact_dos *d) {
  if (!d) return;
  free(d->count);
  free(d);
}

int exact_dos_nspins(const exact_dos *d) { return d ? d->n : 0; }
int exact_dos_nbonds(const exact_dos *d) { return d ? d->nbonds : 0; }

uint64_t exact_dos_count(const exact_dos *d, int B, int M) {
  if (!d) return 0;
  const int n = d->n, nb = d->nbonds;
  if (B < -nb || B > nb || M < -n || M > n) return 0;
  if (((nb - B) & 1) || ((n - M) & 1)) return 0;
  return d->count[((nb - B) / 2) * (n + 1) + (n - M) / 2];
}

int exact_dos_thermo(const exact_dos *d, double beta, double h, exact_thermo *out) {
  if (!d || !out || !isfinite(beta) || !isfinite(h)) return 1;
  const int n = d->n, nb = d->nbonds, row = n + 1;
  const long double b = beta, hh = h, N = n;

  /* Pass 1: the largest log-weight, so that no exponential overflows. */
  long double amax = -INFINITY;
  for (int u = 0; u <= nb; ++u)
    for (int dn = 0; dn <= n; ++dn) {
      const uint64_t g = d->count[u * row + dn];
      if (!g) continue;
      const long double E = -(long double)(nb - 2 * u) - hh * (long double)(n - 2 * dn);
      const long double a = logl((long double)g) - b * E;
      if (a > amax) amax = a;
    }

  /* Pass 2: normalisation and raw moments. */
  long double S = 0, Se = 0, Se2 = 0, Sam = 0, Sm2 = 0, Sm4 = 0;
  for (int u = 0; u <= nb; ++u)
    for (int dn = 0; dn <= n; ++dn) {
      const uint64_t g = d->count[u * row + dn];
      if (!g) continue;
      const long double E = -(long double)(nb - 2 * u) - hh * (long double)(n - 2 * dn);
      const long double w = expl(logl((long double)g) - b * E - amax);
      const long double e = E / N, m = (long double)(n - 2 * dn) / N;
      S += w;
      Se += w * e;
      Se2 += w * e * e;
      Sam += w * fabsl(m);
      Sm2 += w * m * m;
      Sm4 += w * m * m * m * m;
    }
  const long double emean = Se / S;

  /* Pass 3: the variance as a centred sum, which keeps C accurate when it is
   * tiny compared with <e>^2 (deep in the ordered phase). */
  long double Sv = 0;
  for (int u = 0; u <= nb; ++u)
    for (int dn = 0; dn <= n; ++dn) {
      const uint64_t g = d->count[u * row + dn];
      if (!g) continue;
      const long double E = -(long double)(nb - 2 * u) - hh * (long double)(n - 2 * dn);
      const long double w = expl(logl((long double)g) - b * E - amax);
      const long double e = E / N;
      Sv += w * (e - emean) * (e - emean);
    }

  out->lnZ = (double)(amax + logl(S));
  out->e = (double)emean;
  out->e2 = (double)(Se2 / S);
  out->c = (double)(b * b * N * (Sv / S));
  out->abs_m = (double)(Sam / S);
  out->m2 = (double)(Sm2 / S);
  out->m4 = (double)(Sm4 / S);
  return 0;
}

/* ------------------------------------------------------------------------- */
/* General graph enumeration                                                 */
/* ------------------------------------------------------------------------- */

static long double graph_energy(int n, int nedges, const int *ei, const int *ej,
                                const double *J, const double *h,
                                const signed char *s) {
  long double E = 0;
  for (int k = 0; k < nedges; ++k) E -= (long double)J[k] * s[ei[k]] * s[ej[k]];
  if (h)
    for (int i = 0; i < n; ++i) E -= (long double)h[i] * s[i];
  return E;
}

/* Incremental energies drift by one rounding per step; recomputing from
 * scratch every RESYNC steps bounds the drift to ~RESYNC ulps at a cost of
 * nedges / RESYNC per state. */
#define RESYNC 4096u

/* What to do with each state's (E, M): a mode flag rather than a function
 * pointer, so the hot loop can inline it. */
typedef struct {
  int mode; /* 0: find min/max E; 1: accumulate moments */
  long double Emin, Emax;
  /* mode 1 */
  long double beta, Eref;
  /* Block sums keep the rounding of 2^24-term sums at the block-size level. */
  long double blk[6], tot[6];
} enum_visitor;

static void visit(enum_visitor *v, long double E, int M) {
  if (v->mode == 0) {
    if (E < v->Emin) v->Emin = E;
    if (E > v->Emax) v->Emax = E;
    return;
  }
  const long double dE = E - v->Eref;
  const long double w = expl(-v->beta * dE);
  const long double m = (long double)M, am = fabsl(m), m2 = m * m;
  v->blk[0] += w;
  v->blk[1] += w * dE;
  v->blk[2] += w * dE * dE;
  v->blk[3] += w * am;
  v->blk[4] += w * m2;
  v->blk[5] += w * m2 * m2;
}

static void flush(enum_visitor *v) {
  for (int k = 0; k < 6; ++k) {
    v->tot[k] += v->blk[k];
    v->blk[k] = 0;
  }
}

/* Walks all 2^n states in Gray-code order, one spin flip per step. */
static void enumerate(int n, int nedges, const int *ei, const int *ej, const double *J,
                      const double *h, const int *start, const int *adj,
                      const double *Jadj, signed char *s, enum_visitor *v) {
  for (int i = 0; i < n; ++i) s[i] = 1;
  int M = n;
  long double E = graph_energy(n, nedges, ei, ej, J, h, s);
  visit(v, E, M);
  const uint64_t total = (uint64_t)1 << n;
  for (uint64_t g = 1; g < total; ++g) {
    const int k = lowest_set_bit(g);
    long double loc = h ? (long double)h[k] : 0.0L;
    for (int q = start[k]; q < start[k + 1]; ++q) loc += (long double)Jadj[q] * s[adj[q]];
    /* E = -s_k loc + (terms without s_k), so flipping s_k adds 2 s_k loc. */
    E += 2.0L * s[k] * loc;
    M -= 2 * s[k];
    s[k] = (signed char)-s[k];
    if ((g & (RESYNC - 1)) == 0) {
      flush(v);
      E = graph_energy(n, nedges, ei, ej, J, h, s);
    }
    visit(v, E, M);
  }
  flush(v);
}

int exact_enum_graph(int n, int nedges, const int *ei, const int *ej,
                     const double *J, const double *h, double beta, exact_thermo *out) {
  if (n < 1 || n > 24 || nedges < 0 || !out || !isfinite(beta)) return 1;
  if (nedges > 0 && (!ei || !ej || !J)) return 1;
  for (int k = 0; k < nedges; ++k) {
    if (ei[k] < 0 || ei[k] >= n || ej[k] < 0 || ej[k] >= n || ei[k] == ej[k]) return 1;
    if (!isfinite(J[k])) return 1;
  }
  if (h)
    for (int i = 0; i < n; ++i)
      if (!isfinite(h[i])) return 1;

  int *start = calloc((size_t)n + 1, sizeof *start);
  int *adj = malloc(sizeof *adj * (size_t)(2 * nedges + 1));
  double *Jadj = malloc(sizeof *Jadj * (size_t)(2 * nedges + 1));
  int *fill = calloc((size_t)n, sizeof *fill);
  signed char *s = malloc((size_t)n);
  int rc = 1;
  if (!start || !adj || !Jadj || !fill || !s) goto done;

  for (int k = 0; k < nedges; ++k) {
    ++start[ei[k] + 1];
    ++start[ej[k] + 1];
  }
  for (int i = 0; i < n; ++i) start[i + 1] += start[i];
  for (int k = 0; k < nedges; ++k) {
    int a = ei[k], b = ej[k];
    adj[start[a] + fill[a]] = b;
    Jadj[start[a] + fill[a]++] = J[k];
    adj[start[b] + fill[b]] = a;
    Jadj[start[b] + fill[b]++] = J[k];
  }

  enum_visitor v = {0};
  v.mode = 0;
  v.Emin = INFINITY;
  v.Emax = -INFINITY;
  enumerate(n, nedges, ei, ej, J, h, start, adj, Jadj, s, &v);

  /* Referencing the most probable end of the spectrum keeps every weight
   * <= 1, and makes E - Eref small where the variance is small. */
  const long double b = beta, N = n;
  v.mode = 1;
  v.beta = b;
  v.Eref = b >= 0 ? v.Emin : v.Emax;
  enumerate(n, nedges, ei, ej, J, h, start, adj, Jadj, s, &v);

  const long double S = v.tot[0];
  const long double mean_d = v.tot[1] / S;
  const long double var = v.tot[2] / S - mean_d * mean_d;
  const long double Emean = v.Eref + mean_d;
  out->lnZ = (double)(-b * v.Eref + logl(S));
  out->e = (double)(Emean / N);
  out->e2 = (double)((var + Emean * Emean) / (N * N));
  out->c = (double)(b * b * var / N);
  out->abs_m = (double)(v.tot[3] / S / N);
  out->m2 = (double)(v.tot[4] / S / (N * N));
  out->m4 = (double)(v.tot[5] / S / (N * N * N * N));
  rc = 0;
done:
  free(start);
  free(adj);
  free(Jadj);
  free(fill);
  free(s);
  return rc;
}

/* ------------------------------------------------------------------------- */
/* Kaufman / Ferdinand-Fisher                                                */
/* ------------------------------------------------------------------------- */

/* ln Z = -ln 2 + (N/2) ln(2 sinh 2K) + ln(Z1 + Z2 + Z3 + Z4), with
 *   Z1 = prod_r 2 cosh(L g_{2r+1} / 2),  Z2 = prod_r 2 sinh(L g_{2r+1} / 2),
 *   Z3 = prod_r 2 cosh(L g_{2r} / 2),    Z4 = prod_r 2 sinh(L g_{2r} / 2),
 * r = 0 .. L-1, cosh g_l = cosh 2K coth 2K - cos(pi l / L), and
 * g_0 = 2K + ln tanh K, which changes sign at K_c (so Z4 does too).
 *
 * With s = sinh 2K, cosh 2K coth 2K = s + 1/s = 2 + (s - 1)^2 / s, hence
 *   cosh g_l = 1 + delta_l,  delta_l = (s - 1)^2 / s + 2 sin^2(pi l / 2L),
 * which never subtracts nearly equal numbers: g_l = acosh(1 + delta_l) stays
 * accurate near K_c where g_0 -> 0 and g_1 = O(1/L). */
typedef struct {
  long double x, x1, x2; /* x = L g / 2 and its first two K-derivatives */
} kf_arg;

static kf_arg kf_gamma(int L, int l, long double K) {
  const long double s = sinhl(2 * K), c = coshl(2 * K);
  const long double Lh = 0.5L * L;
  kf_arg r;
  if (l == 0) {
    /* Closed-form derivatives: the generic a'/sinh(g) is 0/0 at K_c. */
    const long double d0 = (s - 1) * (s - 1) / s;
    long double g = log1pl(d0 + sqrtl(d0 * (2 + d0)));
    if (s < 1) g = -g;
    r.x = Lh * g;
    r.x1 = Lh * (2 + 2 / s);
    r.x2 = Lh * (-4 * c / (s * s));
    return r;
  }
  const long double sn = sinl(EXACT_PI_L * l / (2.0L * L));
  const long double delta = (s - 1) * (s - 1) / s + 2 * sn * sn;
  const long double sh = sqrtl(delta * (2 + delta)); /* sinh g */
  const long double ch = 1 + delta;                   /* cosh g */
  /* a = s + 1/s; a' = 2c (1 - 1/s^2); a'' = 4s - 4/s + 8c^2/s^3. */
  const long double a1 = 2 * c * (1 - 1 / (s * s));
  const long double a2 = 4 * s - 4 / s + 8 * c * c / (s * s * s);
  const long double g1 = a1 / sh;
  const long double g2 = (a2 - g1 * g1 * ch) / sh;
  r.x = Lh * log1pl(delta + sh);
  r.x1 = Lh * g1;
  r.x2 = Lh * g2;
  return r;
}

/* Accumulates ln|f(x)|, d ln|f|/dK and d^2 ln|f|/dK^2 for f = 2 cosh x or
 * 2 sinh x, written with q = e^{-2|x|} so that nothing overflows for large
 * L and 1 - tanh^2 is not formed by cancellation. */
typedef struct {
  long double lnabs, d1, d2;
  int sign;
} kf_prod;

static void kf_mul(kf_prod *p, kf_arg a, int is_sinh) {
  const long double ax = fabsl(a.x);
  const long double q = expl(-2 * ax);
  const long double omq = -expm1l(-2 * ax); /* 1 - q */
  long double t, dt; /* f'/f as a function of x, and its x-derivative */
  if (!is_sinh) {
    p->lnabs += ax + log1pl(q);
    t = (a.x < 0 ? -1 : 1) * omq / (1 + q);
    dt = 4 * q / ((1 + q) * (1 + q));
  } else {
    p->lnabs += ax + logl(omq);
    if (a.x < 0) p->sign = -p->sign;
    t = (a.x < 0 ? -1 : 1) * (1 + q) / omq;
    dt = -4 * q / (omq * omq);
  }
  p->d1 += t * a.x1;
  p->d2 += dt * a.x1 * a.x1 + t * a.x2;
}

int exact_kaufman(int L, double beta, double *e, double *c, double *lnZ) {
  if (L < 2 || !(beta > 0) || !isfinite(beta)) return 1;
  const long double K = beta;
  const long double s = sinhl(2 * K), ch = coshl(2 * K);
  if (!isfinite(s) || !isfinite(ch) || !(s > 0)) return 1;
  const long double N = (long double)L * L;

  kf_prod P[4] = {{0, 0, 0, 1}, {0, 0, 0, 1}, {0, 0, 0, 1}, {0, 0, 0, 1}};
  kf_arg a0 = {0, 0, 0};
  for (int r = 0; r < L; ++r) {
    const kf_arg odd = kf_gamma(L, 2 * r + 1, K);
    const kf_arg even = kf_gamma(L, 2 * r, K);
    kf_mul(&P[0], odd, 0);
    kf_mul(&P[1], odd, 1);
    kf_mul(&P[2], even, 0);
    if (r == 0)
      a0 = even;
    else
      kf_mul(&P[3], even, 1);
  }

  /* Z4 = 2 sinh(x0) R. Its 2 sinh(x0) factor is kept out of the logarithmic
   * derivatives because coth(x0) diverges at K_c, where Z4 vanishes; instead
   * Z4, Z4', Z4'' are carried as e^{base} * (m0, m1, m2) with
   * 2 sinh x0 = e^{|x0|} G, G = sign(x0) (1 - e^{-2|x0|}). */
  const long double ax0 = fabsl(a0.x);
  const long double q0 = expl(-2 * ax0);
  const long double G = (a0.x < 0 ? -1 : 1) * -expm1l(-2 * ax0);
  const long double G1 = (1 + q0) * a0.x1;
  const long double G2 = G * a0.x1 * a0.x1 + (1 + q0) * a0.x2;

  long double base[4], m0[4], m1[4];
  for (int i = 0; i < 3; ++i) {
    base[i] = P[i].lnabs;
    m0[i] = P[i].sign;
    m1[i] = P[i].sign * P[i].d1;
  }
  base[3] = P[3].lnabs + ax0;
  m0[3] = P[3].sign * G;
  m1[3] = P[3].sign * (G1 + G * P[3].d1);

  long double bmax = base[0];
  for (int i = 1; i < 4; ++i)
    if (base[i] > bmax) bmax = base[i];
  long double w[4], S0 = 0, S1 = 0;
  for (int i = 0; i < 4; ++i) {
    w[i] = expl(base[i] - bmax);
    S0 += w[i] * m0[i];
    S1 += w[i] * m1[i];
  }
  if (!(S0 > 0)) return 1;
  const long double A1 = S1 / S0;
  /* Second derivative as a centred sum, sum_i Z_i'' - 2 A1 Z_i' + A1^2 Z_i,
   * so the O(N^2) parts cancel term by term rather than in A2 - A1^2. */
  long double S2c = 0;
  for (int i = 0; i < 3; ++i) {
    const long double dl = P[i].d1 - A1;
    S2c += w[i] * P[i].sign * (P[i].d2 + dl * dl);
  }
  {
    const long double dl = P[3].d1 - A1;
    S2c += w[3] * P[3].sign * (G2 + 2 * G1 * dl + G * (P[3].d2 + dl * dl));
  }
  const long double A2c = S2c / S0;

  const long double lnz = -logl(2.0L) + 0.5L * N * logl(2 * s) + bmax + logl(S0);
  const long double d1 = N * ch / s + A1;
  const long double d2 = -2 * N / (s * s) + A2c;
  if (lnZ) *lnZ = (double)lnz;
  if (e) *e = (double)(-d1 / N);
  if (c) *c = (double)(K * K * d2 / N);
  return 0;
}
