/* Exact reference results for the Ising model, written independently of the
 * ceasim engine (libc/libm only) so that the Monte Carlo tests compare against
 * something that cannot share the engine's bugs.
 *
 * Conventions: H = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i, s = +-1,
 * beta = 1/T, N spins, e = E/N, m = M/N, C = beta^2 N (<e^2> - <e>^2).
 *
 * Hypercubic torus: L^dim sites, site index i = x0 + L x1 + L^2 x2, periodic
 * boundaries, J = 1 on each of the dim*N bonds (i, i + mu). At L = 2 the +mu and
 * -mu neighbours coincide and the pair carries two bonds, as in the engine. */
#ifndef CEASIM_TESTS_EXACT_REF_H
#define CEASIM_TESTS_EXACT_REF_H

#include <stdint.h>

typedef struct {
  double lnZ;   /* ln of the partition function */
  double e;     /* <E>/N */
  double e2;    /* <(E/N)^2> */
  double c;     /* beta^2 N (<e^2> - <e>^2) */
  double abs_m; /* <|M|>/N */
  double m2;    /* <(M/N)^2> */
  double m4;    /* <(M/N)^4> */
} exact_thermo;

/* Density of states of a hypercubic torus (dim 1, 2 or 3, L >= 2,
 * L^dim <= 30) as a joint histogram over (bond sum B = sum_<ij> s_i s_j,
 * magnetisation M), built once by Gray-code enumeration of all 2^N states.
 * Returns NULL on invalid arguments or allocation failure. */
typedef struct exact_dos exact_dos;
exact_dos *exact_dos_hypercubic(int dim, int L);
void exact_dos_free(exact_dos *d);
/* Thermodynamics at inverse temperature beta and uniform field h
 * (E = -B - h M), via log-sum-exp in long double and centred moments. */
int exact_dos_thermo(const exact_dos *d, double beta, double h, exact_thermo *out);

/* Accessors for direct checks on the histogram. */
int exact_dos_nspins(const exact_dos *d);
int exact_dos_nbonds(const exact_dos *d);
/* Number of states with bond sum B and magnetisation M (0 when the pair is
 * out of range or has the wrong parity). */
uint64_t exact_dos_count(const exact_dos *d, int B, int M);

/* Brute-force enumeration of a general graph: 1 <= n <= 24 spins, nedges >= 0
 * edges (ei[k], ej[k], J[k]) each counted once (repeated pairs add up;
 * self-loops are rejected), fields h[i] (h may be NULL for zero field). */
int exact_enum_graph(int n, int nedges, const int *ei, const int *ej,
                     const double *J, const double *h, double beta, exact_thermo *out);

/* Exact finite-size lnZ, energy and specific heat per spin of the L x L torus
 * with J = 1 (Kaufman 1949; Ferdinand & Fisher 1969), any L >= 2, beta > 0.
 * Derivatives are analytic, evaluated in long double. Any output pointer may
 * be NULL. */
int exact_kaufman(int L, double beta, double *e, double *c, double *lnZ);

#endif
