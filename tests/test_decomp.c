/*
 * Specification of the decomposition's multi-spin-coded plane kernel
 * (ceas_decomp.h, ceas_decomp_kernel_msc_single):
 *
 * 1. A decomposed msc-single chain is the torus chain of ceas_msc_single with
 *    the same key: after every sweep the strip's spins equal
 *    ceas_msc_single_get_spins bit for bit (one rank here, whose sweep updates
 *    the boundary planes first, then the interior in steps, with the halos
 *    copied: a different order and chunking of the same updates), in 2D
 *    (L = 256, hot and cold starts) and 3D (L = 128).
 * 2. Its measurement (bond sum, M, axis projections through F(k_min)) equals the
 *    direct sums over the unpacked spins: E and M exactly, F(k_min) to rounding
 *    (the projections are integers; any error in one would move F by far more).
 * 3. Bad input names the constraint: L not a multiple of 128, more ranks than
 *    rows, a field.
 * Rank counts 2 and 4 are tests/cli_decompose.sh's (bitwise equal series).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_decomp.h"
#include "ceas_msc.h"
#include "mpi_fixture.h"

TestSuite(decomp, .init = ceas_test_mpi_up, .fini = ceas_test_mpi_down, .timeout = 120);

/* E (total), M and F(k_min) straight from the spins, site order x + L y + L^2 z. */
static void direct_obs(int dim, long L, const int8_t *s, double *E, int64_t *M, double *F) {
  const long nz = dim == 3 ? L : 1;
  int64_t *proj = calloc((size_t)(dim * L), sizeof *proj), b = 0, m = 0;
  cr_assert(proj);
  for (long z = 0; z < nz; z++)
    for (long y = 0; y < L; y++)
      for (long x = 0; x < L; x++) {
        int s0 = s[(z * L + y) * L + x];
        m += s0;
        b += s0 * (s[(z * L + y) * L + (x + 1) % L] + s[(z * L + (y + 1) % L) * L + x]);
        if (dim == 3) b += s0 * s[(((z + 1) % L) * L + y) * L + x];
        proj[x] += s0;
        proj[L + y] += s0;
        if (dim == 3) proj[2 * L + z] += s0;
      }
  *E = ceas_lattice_energy_from_counts(b, m, 0);
  *M = m;
  *F = ceas_lattice_structure_factor_from_projections(dim, L, proj, NULL);
  free(proj);
}

static void same_chain(int dim, long L, double beta, ceas_lattice_init init, int sweeps) {
  ceas_rng_key key = {4242 + (uint64_t)L, 7};
  ceas_msc_single *torus = NULL;
  cr_assert_eq(ceas_msc_single_alloc_dim(dim, L, key,
                                         init == CEAS_INIT_COLD ? CEAS_MSC_COLD : CEAS_MSC_HOT,
                                         &torus),
               0, "%s", ceas_error_message());
  ceas_decomp *d = NULL;
  cr_assert_eq(ceas_decomp_alloc(MPI_COMM_WORLD, dim == 3 ? CEAS_MODEL_ISING3D : CEAS_MODEL_ISING2D,
                                 L, beta, 0, key, init, &ceas_decomp_kernel_msc_single, &d),
               0, "%s", ceas_error_message());
  const size_t N = (size_t)ceas_msc_single_sites(torus);
  int8_t *want = malloc(N), *got = malloc(N);
  cr_assert(want && got);
  for (int t = 0; t <= sweeps; t++) {
    if (t > 0) {
      cr_assert_eq(ceas_msc_single_sweep(torus, beta, 1), 0);
      cr_assert_eq(ceas_decomp_sweep(d), 0);
    }
    ceas_msc_single_get_spins(torus, want);
    ceas_decomp_get_spins(d, got);
    size_t diff = 0;
    for (size_t i = 0; i < N; i++) diff += got[i] != want[i];
    cr_assert_eq(diff, 0, "%dD L=%ld after %d sweeps: %zu of %zu sites differ", dim, L, t, diff,
                 N);
    ceas_decomp_obs o;
    cr_assert_eq(ceas_decomp_measure(d, 0, &o), 0);
    double E, F;
    int64_t M, Et, Mt;
    direct_obs(dim, L, got, &E, &M, &F);
    ceas_msc_single_measure(torus, &Et, &Mt);
    cr_expect_eq(o.m, M, "%dD sweep %d: M %lld vs %lld", dim, t, (long long)o.m, (long long)M);
    cr_expect_eq(o.energy, E, "%dD sweep %d: E %.17g vs %.17g", dim, t, o.energy, E);
    cr_expect_eq((double)Et, E, "%dD sweep %d: the torus's E", dim, t);
    cr_expect_eq(Mt, M);
    cr_expect(fabs(o.sf_kmin - F) <= 1e-12 * fabs(F), "%dD sweep %d: F %.17g vs %.17g", dim, t,
              o.sf_kmin, F);
  }
  /* The chain moved (a frozen one would agree trivially). */
  cr_expect(ceas_msc_single_sweeps_done(torus) == (uint64_t)sweeps);
  free(want);
  free(got);
  ceas_decomp_free(d);
  ceas_msc_single_free(torus);
}

Test(decomp, msc_single_2d_is_the_torus_chain) {
  same_chain(2, 256, 0.44, CEAS_INIT_HOT, 6);
  same_chain(2, 384, 0.3, CEAS_INIT_COLD, 3);
}

Test(decomp, msc_single_3d_is_the_torus_chain) {
  same_chain(3, 128, 0.2216546, CEAS_INIT_HOT, 3);
}

Test(decomp, msc_single_bad_input) {
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING2D, 192, "msc-single", 1), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "multiple of 128") &&
                strstr(ceas_error_message(), "L = 192"),
            "%s", ceas_error_message());
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING3D, 64, "msc-single", 1), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "multiple of 128"), "%s", ceas_error_message());
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING2D, 128, "msc-single", 129), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "128 rows for 129 ranks"), "%s", ceas_error_message());
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING3D, 128, "msc-single", 200), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "128 slabs for 200 ranks"), "%s", ceas_error_message());
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING2D, 128, "msc-single", 128), CEAS_OK);
  /* Packed 3D slabs are L^2 / 8 bytes: larger L than int8 slabs fit one message. */
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING3D, 46464, "msc-single", 2), CEAS_OK);
  cr_expect_eq(ceas_decomp_check(CEAS_MODEL_ISING3D, 46464, "metropolis", 2), CEAS_EINPUT);
  ceas_decomp *d = NULL;
  cr_expect_eq(ceas_decomp_alloc(MPI_COMM_WORLD, CEAS_MODEL_ISING2D, 128, 0.4, 0.1,
                                 (ceas_rng_key){1, 0}, CEAS_INIT_HOT,
                                 &ceas_decomp_kernel_msc_single, &d),
               CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "--h") && strstr(ceas_error_message(), "msc-single"),
            "%s", ceas_error_message());
  cr_expect_null(d);
}
