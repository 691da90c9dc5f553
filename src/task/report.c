/* The report `ceasim run` prints, for any program that runs a task. */
#include <math.h>
#include <stdio.h>

#include "ceas_task.h"

void ceas_task_params_print(FILE *out, const ceas_task_params *p, int64_t n_spins,
                            const char *algo) {
  if (p->model == CEAS_MODEL_GRAPH)
    fprintf(out, "ceasim %s  graph %s (%lld spins)", ceas_version(), p->couplings,
            (long long)n_spins);
  else
    fprintf(out, "ceasim %s  %s L=%ld (%lld spins)", ceas_version(),
            ceas_lattice_model_name(p->model), p->L, (long long)n_spins);
  fprintf(out, "  beta=%.10g  h=%g  algo=%s  seed=%llu\n", p->beta, p->h, algo,
          (unsigned long long)p->seed);
}

void ceas_task_print(FILE *out, const ceas_task *t) {
  const ceas_task_params *p = &t->p;
  ceas_task_params_print(out, p, t->sys->n, t->algo);
  if (t->type->device == CEAS_DEVICE_GPU) fprintf(out, "device: gpu, %s\n", t->device_name);
  fprintf(out, "%llu sweeps after %llu thermalisation sweeps, %zu measurements, %.2f s "
               "(%.4g sweeps/s)",
          (unsigned long long)p->sweeps, (unsigned long long)p->therm, t->n_meas, t->seconds,
          (double)(p->sweeps + p->therm) / t->seconds);
  if (!isnan(t->mean_cluster_size))
    fprintf(out, ", %ld clusters/sweep of mean size %.4g", ceas_kernel_clusters(t->kernel),
            t->mean_cluster_size);
  fprintf(out, "\n");
  ceas_measure_result_print(out, &t->result);
}
