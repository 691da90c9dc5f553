/* Uses the installed library: exact 2D energy at beta_c and one short run. */
#include <math.h>
#include <stdio.h>

#include <ceasim/ceas_measure.h>
#include <ceasim/ceas_task.h>

int main(void) {
  double e, c;
  if (ceas_measure_exact_ising2d(16, 0.4406868, &e, &c)) return 1;
  ceas_task_params p;
  ceas_task_params_default(&p);
  p.L = 8;
  p.sweeps = 2000;
  p.therm = 200;
  ceas_task *t = NULL;
  if (ceas_task_create(&p, &t) || ceas_task_run(t, NULL, NULL, NULL)) {
    fprintf(stderr, "%s\n", ceas_error_message());
    return 1;
  }
  printf("ceasim %s: exact e(16, beta_c) = %.6f, run e(8, 0.44) = %.4f\n", ceas_version(), e,
         t->result.obs[CEAS_OBS_ENERGY].mean);
  ceas_task_free(t);
  return isfinite(e) ? 0 : 1;
}
