/* The multi-spin-coded kernels behind ceas_task: a task's replica-averaged
 * observables, with error bars from time bins of all replicas, agree with exact
 * enumeration, including the nonlinear ones (C, chi', U4) that the kernel tests
 * of test_msc.c do not reach. The shared-uniform kernels lock their replicas
 * together on these small tori, so an analysis that treated the R replicas as
 * independent samples would claim error bars ~sqrt(R) too small and fail here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_task.h"
#include "exact_ref.h"

#define NSIGMA 4.0

static void expect_exact(const char *what, const ceas_measure_value *v, double exact) {
  cr_log_info("%s: %.7f +- %.2g vs exact %.7f (%+.2f sigma)", what, v->mean, v->error, exact,
              (v->mean - exact) / v->error);
  cr_expect(isfinite(v->mean) && v->error > 0, "%s: no error bar", what);
  cr_expect(fabs(v->mean - exact) <= NSIGMA * v->error,
            "%s: %.7f +- %.2g vs exact %.7f (%.2f sigma)", what, v->mean, v->error, exact,
            (v->mean - exact) / v->error);
}

static void task_case(ceas_model_kind model, int dim, long L, const char *algo, double beta,
                      uint64_t seed) {
  exact_dos *d = exact_dos_hypercubic(dim, (int)L);
  cr_assert_not_null(d);
  exact_thermo x;
  cr_assert_eq(exact_dos_thermo(d, beta, 0.0, &x), 0);
  exact_dos_free(d);

  ceas_task_params p;
  ceas_task_params_default(&p);
  p.model = model;
  p.L = L;
  p.algo = algo;
  p.beta = beta;
  p.seed = seed;
  p.therm = 500;
  p.sweeps = 16000;
  ceas_task *t = NULL;
  cr_assert_eq(ceas_task_create(&p, &t), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_run(t, NULL, NULL, NULL), 0, "%s", ceas_error_message());
  cr_assert(t->result.converged, "%s: run too short for its tau", algo);
  const ceas_measure_value *o = t->result.obs;
  const double N = pow((double)L, dim);
  char w[128];
#define CHECK(obs, value)                                                          \
  snprintf(w, sizeof w, "%dD L=%ld %s beta=%g %s", dim, L, algo, beta,            \
           ceas_measure_obs_name(obs));                                            \
  expect_exact(w, &o[obs], value)
  CHECK(CEAS_OBS_ENERGY, x.e);
  CHECK(CEAS_OBS_ABS_M, x.abs_m);
  CHECK(CEAS_OBS_M2, x.m2);
  CHECK(CEAS_OBS_M4, x.m4);
  CHECK(CEAS_OBS_SPECIFIC_HEAT, x.c);
  CHECK(CEAS_OBS_SUSCEPTIBILITY_CONNECTED, beta * N * (x.m2 - x.abs_m * x.abs_m));
  CHECK(CEAS_OBS_BINDER, 1.0 - x.m4 / (3.0 * x.m2 * x.m2));
#undef CHECK
  ceas_task_free(t);
}

/* 4x4 at beta_c and in the ordered phase, 2x2x2 (doubled bonds) near its peak. */
Test(task_msc, enumeration_2d) {
  task_case(CEAS_MODEL_ISING2D, 2, 4, "msc-replica64", 0.44, 21);
  task_case(CEAS_MODEL_ISING2D, 2, 4, "msc-replica256-anti", 0.44, 22);
  task_case(CEAS_MODEL_ISING2D, 2, 4, "msc-replica64-anti", 0.6, 23);
}

Test(task_msc, enumeration_3d) {
  task_case(CEAS_MODEL_ISING3D, 3, 2, "msc-replica256", 0.22, 24);
  task_case(CEAS_MODEL_ISING3D, 3, 2, "msc-replica64-anti", 0.3, 25);
}

/* The packed kernels have no field and need checkerboard-compatible sizes: refused
 * with a message naming the option. */
Test(task_msc, bad_parameters) {
  ceas_task_params p;
  ceas_task_params_default(&p);
  ceas_task *t = NULL;
  p.algo = "msc-replica64";
  p.h = 0.1;
  cr_expect_eq(ceas_task_create(&p, &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "--h") != NULL, "%s", ceas_error_message());
  p.h = 0;
  p.L = 7;
  cr_expect_eq(ceas_task_create(&p, &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "--L") != NULL, "%s", ceas_error_message());
  p.algo = "msc-single";
  p.L = 200;
  cr_expect_eq(ceas_task_create(&p, &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "128") != NULL, "%s", ceas_error_message());
  p.L = 128;
  p.model = CEAS_MODEL_GRAPH;
  cr_expect_eq(ceas_task_create(&p, &t), CEAS_EINPUT);
  p.model = CEAS_MODEL_ISING3D;
  p.algo = "msc-replica512";
  cr_expect_eq(ceas_task_create(&p, &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "msc-replica256-anti") != NULL, "%s",
            ceas_error_message());
  cr_expect_null(t);
}
