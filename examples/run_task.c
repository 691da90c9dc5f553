/* Run one Monte Carlo task with the installed library: the 2D Ising model on a
 * 16 x 16 torus at beta = 0.3 (high-temperature phase), and its energy per spin
 * beside the exact value of that finite lattice (Kaufman 1949).
 *
 * Prints: "e = MEAN +- ERR  exact = E  deviation = D sigma". Exit 1 on a library
 * error (its message on stderr). */
#include <stdio.h>

#include <ceasim/ceas_measure.h>
#include <ceasim/ceas_task.h>

int main(void) {
  ceas_task_params p;
  ceas_task_params_default(&p); /* 2D Ising, metropolis, seed 1, hot start */
  p.L = 16;
  p.beta = 0.3;
  p.sweeps = 20000;
  p.therm = 1000;
  ceas_task *t = NULL;
  /* NULL stop flag, no progress callback: run to the end. */
  if (ceas_task_create(&p, &t) || ceas_task_run(t, NULL, NULL, NULL)) {
    fprintf(stderr, "run_task: %s\n", ceas_error_message());
    ceas_task_free(t);
    return 1;
  }
  const ceas_measure_value *e = &t->result.obs[CEAS_OBS_ENERGY];
  double exact, c;
  if (ceas_measure_exact_ising2d(p.L, p.beta, &exact, &c)) {
    fprintf(stderr, "run_task: %s\n", ceas_error_message());
    ceas_task_free(t);
    return 1;
  }
  printf("2D Ising L = %ld, beta = %.2f, %s, %llu sweeps: tau_int(e) = %.2f\n", p.L, p.beta,
         t->algo, (unsigned long long)p.sweeps, e->tau_int);
  printf("e = %.6f +- %.6f  exact = %.6f  deviation = %.2f sigma\n", e->mean, e->error, exact,
         (e->mean - exact) / e->error);
  ceas_task_free(t);
  return 0;
}
