/* Exact finite-size thermodynamics of the 2D Ising torus.
 *
 * Ferdinand & Fisher (1969), Phys. Rev. 185, 832, eq. (2.1)–(2.4), for an L x L
 * torus with K = beta J:
 *   Z = 1/2 (2 sinh 2K)^{N/2} (Z1 + Z2 + Z3 + Z4),
 *   Z1 = prod_{r<L} 2 cosh(L g_{2r+1}/2),  Z2 = prod 2 sinh(L g_{2r+1}/2),
 *   Z3 = prod_{r<L} 2 cosh(L g_{2r}/2),    Z4 = prod 2 sinh(L g_{2r}/2),
 *   cosh g_l = cosh 2K coth 2K - cos(pi l / L)  (l > 0),  g_0 = 2K + ln tanh K.
 * g_0 changes sign at K_c, so Z4 does too; its r = 0 factor is kept apart from the
 * rest so that no logarithm or division of a vanishing factor is ever taken.
 * Each Z_i is carried as (log scale, Z/scale, Z'/scale, Z''/scale) with
 * derivatives in K taken analytically, in long double. */
#include <math.h>

#include "ceas_core.h"
#include "ceas_measure.h"

typedef long double ld;

/* g_l and its first two K-derivatives. */
static void gamma_l(long l, long L, ld K, ld *g, ld *g1, ld *g2) {
  ld s = sinhl(2 * K), ch = coshl(2 * K);
  if (l == 0) {
    *g = 2 * K + logl(tanhl(K));
    *g1 = 2 + 2 / s;
    *g2 = -4 * ch / (s * s);
    return;
  }
  const ld pi = 3.141592653589793238462643383279502884L;
  ld c = ch * ch / s - cosl(pi * (ld)l / (ld)L);
  ld c1 = 2 * ch * (s * s - 1) / (s * s);
  /* d/dK of 2 cosh(2K) (sinh^2 2K - 1) / sinh^2 2K */
  ld c2 = 4 * s * (s * s - 1) / (s * s) + 2 * ch * (4 * ch / (s * s * s));
  *g = acoshl(c);
  ld sg = sinhl(*g);
  *g1 = c1 / sg;
  *g2 = (c2 - c * (*g1) * (*g1)) / sg;
}

typedef struct {
  ld logscale; /* Z = exp(logscale) * (a, with derivatives b, d) */
  ld a, b, d;
} term;

/* Product over r of f(L g_l / 2), f = 2cosh or 2sinh, l = 2r + odd,
 * optionally skipping r = 0. Returns ln|prod|, sum f'/f and sum (f''/f - (f'/f)^2). */
static void product(long L, ld K, int odd, int use_sinh, int skip0, ld *lnp,
                    ld *g1sum, ld *g2sum) {
  *lnp = *g1sum = *g2sum = 0;
  for (long r = skip0 ? 1 : 0; r < L; r++) {
    ld g, gd, gdd;
    gamma_l(2 * r + odd, L, K, &g, &gd, &gdd);
    ld x = L * g / 2, x1 = L * gd / 2, x2 = L * gdd / 2;
    /* ln 2cosh x or ln 2sinh x for x > 0, computed without overflow. */
    ld ax = fabsl(x);
    ld lnf = use_sinh ? ax + log1pl(-expl(-2 * ax)) : ax + log1pl(expl(-2 * ax));
    ld t = use_sinh ? 1 / tanhl(x) : tanhl(x); /* f'/f per unit x' */
    *lnp += lnf;
    *g1sum += t * x1;
    /* (f''/f) - (f'/f)^2 = x'' t + x'^2 (1 - t^2) */
    *g2sum += x2 * t + x1 * x1 * (1 - t * t);
  }
}

static term from_product(ld lnp, ld g1, ld g2) {
  term t = {lnp, 1, g1, g2 + g1 * g1};
  return t;
}

int ceas_measure_exact_ising2d(long L, double beta, double *e, double *c) {
  if (L < 2 || !(beta > 0) || !isfinite(beta))
    return ceas_error_set(CEAS_EINPUT,
                          "exact 2D Ising: expected L >= 2 and beta > 0");
  ld K = beta, N = (ld)L * (ld)L;
  term z[4];
  ld lp, s1, s2;
  product(L, K, 1, 0, 0, &lp, &s1, &s2);
  z[0] = from_product(lp, s1, s2);
  product(L, K, 1, 1, 0, &lp, &s1, &s2);
  z[1] = from_product(lp, s1, s2);
  product(L, K, 0, 0, 0, &lp, &s1, &s2);
  z[2] = from_product(lp, s1, s2);
  /* Z4 = f0 * Q with f0 = 2 sinh(L g0 / 2), which vanishes at K_c. */
  product(L, K, 0, 1, 1, &lp, &s1, &s2);
  {
    ld g, gd, gdd;
    gamma_l(0, L, K, &g, &gd, &gdd);
    ld x = L * g / 2, x1 = L * gd / 2, x2 = L * gdd / 2;
    /* Scale f0 by e^{|x|} so that it stays O(1). */
    ld ex = expl(-fabsl(x));
    ld sh = (1 - ex * ex) / 2 * (x < 0 ? -1 : 1); /* sinh x / e^{|x|} */
    ld chs = (1 + ex * ex) / 2;                   /* cosh x / e^{|x|} */
    ld f0 = 2 * sh, f1 = 2 * chs * x1, f2 = 2 * sh * x1 * x1 + 2 * chs * x2;
    ld q1 = s1, q2 = s2 + s1 * s1; /* Q'/Q, Q''/Q */
    z[3].logscale = lp + fabsl(x);
    z[3].a = f0;
    z[3].b = f1 + f0 * q1;
    z[3].d = f2 + 2 * f1 * q1 + f0 * q2;
  }
  ld mx = z[0].logscale;
  for (int i = 1; i < 4; i++)
    if (z[i].logscale > mx) mx = z[i].logscale;
  ld A = 0, B = 0, D = 0;
  for (int i = 0; i < 4; i++) {
    ld w = expl(z[i].logscale - mx);
    A += w * z[i].a;
    B += w * z[i].b;
    D += w * z[i].d;
  }
  /* ln Z = const + (N/2) ln(2 sinh 2K) + ln A. */
  ld s = sinhl(2 * K), ch = coshl(2 * K);
  ld pre1 = N * ch / s;               /* d/dK (N/2) ln(2 sinh 2K) */
  ld pre2 = -2 * N / (s * s);         /* second derivative */
  ld d1 = pre1 + B / A;
  ld d2 = pre2 + D / A - (B / A) * (B / A);
  *e = (double)(-d1 / N);
  *c = (double)(K * K * d2 / N);
  return CEAS_OK;
}
