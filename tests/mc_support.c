#define _POSIX_C_SOURCE 200809L
#include "mc_support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ceas_attention.h"

ceas_task *mc_run(const ceas_task_params *p) {
  ceas_task *t = NULL;
  int rc = ceas_task_create(p, &t);
  cr_assert_eq(rc, 0, "task_create: %s", ceas_error_message());
  rc = ceas_task_run(t, NULL, NULL, NULL);
  cr_assert_eq(rc, 0, "task_run: %s", ceas_error_message());
  /* An error bar from bins shorter than 16 tau_int is not one to test against. */
  cr_assert(t->result.converged, "run too short for its autocorrelation time: "
            "bins of %zu measurements", t->result.bin_size);
  return t;
}

void mc_expect_close(const char *what, double mc, double err, double exact,
                     double nsigma) {
  cr_expect(isfinite(mc) && isfinite(err) && err > 0, "%s: MC %g +- %g not usable",
            what, mc, err);
  cr_expect(fabs(mc - exact) <= nsigma * err,
            "%s: MC %.8f +- %.2g vs exact %.8f (%.2f error bars)", what, mc, err,
            exact, (mc - exact) / err);
}

const char *mc_write_edge_list(int n, int nedges, const int *ei, const int *ej,
                               const double *J, const double *h) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/ceasim-test-XXXXXX");
  int fd = mkstemp(path);
  cr_assert(fd >= 0, "mkstemp failed");
  FILE *f = fdopen(fd, "w");
  fprintf(f, "# test graph\nn %d\n", n);
  for (int k = 0; k < nedges; k++) fprintf(f, "%d %d %.17g\n", ei[k], ej[k], J[k]);
  for (int i = 0; h && i < n; i++) fprintf(f, "h %d %.17g\n", i, h[i]);
  fclose(f);
  return path;
}

double *mc_head_scores(size_t n, size_t d_k, uint64_t seed) {
  ceas_attention_spec sp = {.kind = CEAS_ATTENTION_GAUSSIAN, .n = n, .d_k = d_k, .seed = seed};
  ceas_attention_head *h;
  cr_assert_eq(ceas_attention_head_alloc(&sp, &h), 0);
  double *sc = malloc(n * n * sizeof *sc);
  cr_assert(sc);
  ceas_attention_head_score_matrix(h, sc);
  ceas_attention_head_free(h);
  return sc;
}
