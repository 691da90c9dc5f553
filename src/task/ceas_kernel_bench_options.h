/*
 * ceas_kernel_bench_options — `ceasim bench` as key/value options: which models,
 * sizes and kernels of ceas_kernel_bench to time, with the CLI's names, defaults,
 * checks and messages, the run over them and its JSON record.
 *
 *   ceas_kernel_bench_options o;
 *   ceas_kernel_bench_options_default(&o);
 *   rc = ceas_kernel_bench_option_set(&o, "L", "256,512");   (each option, in order)
 *   rc = ceas_kernel_bench_options_finish(&o);               (lists, cross-checks)
 *   rc = ceas_kernel_bench_options_run(&o, &stop, done, ctx);   (o.res[0 .. o.n_res))
 */
#ifndef CEAS_KERNEL_BENCH_OPTIONS_H
#define CEAS_KERNEL_BENCH_OPTIONS_H

#include <stdio.h>

#include "ceas_kernel_bench.h"
#include "ceas_options.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEAS_KERNEL_BENCH_MAX_LIST 16

typedef struct {
  const char *models_text, *L_text, *algos_text; /* as given; split by _finish */
  int models[2], n_models;                       /* dimension 2 or 3 */
  long L[CEAS_KERNEL_BENCH_MAX_LIST];
  int n_L;                                       /* 0: the defaults of each model */
  const ceas_kernel_type *algos[CEAS_KERNEL_BENCH_MAX_LIST + 1];
  int n_algos;                                   /* algos[0]: the plain metropolis */
  int single_listed; /* msc-single asked for explicitly (else only where L allows) */
  ceas_device device; /* gpu: each kernel with a GPU entry also on the GPU, after it */
  int gpu;            /* the CUDA device, -1: the default (0) */
  int seconds_given, beta_given;
  ceas_kernel_bench_params p; /* seconds, isa, depth, seed, tau, every; stop at run */
  double beta;
  ceas_kernel_bench_result res[2 * CEAS_KERNEL_BENCH_MAX_LIST *
                               (CEAS_KERNEL_BENCH_MAX_LIST + 1)];
  int n_res;
} ceas_kernel_bench_options;

/* The options (model, L, algo, seconds, beta, isa, depth, seed, tau,
 * measure-every, device, gpu) with their help and defaults. */
extern const ceas_option ceas_kernel_bench_option_table[];

void ceas_kernel_bench_options_default(ceas_kernel_bench_options *o);
/* One option by its name without "--": CEAS_OK, or CEAS_EINPUT naming --key. */
int ceas_kernel_bench_option_set(ceas_kernel_bench_options *o, const char *key,
                                 const char *value);
/* The lists split and checked (models, sizes, kernels: the plain metropolis always
 * first), the sizes against the kernels and the memory, the ISA. CEAS_EINPUT. */
int ceas_kernel_bench_options_finish(ceas_kernel_bench_options *o);
/* Every model and size (the defaults where none given) at beta_c unless --beta,
 * each kernel through ceas_kernel_bench_size into o->res; done after each. */
int ceas_kernel_bench_options_run(ceas_kernel_bench_options *o, volatile sig_atomic_t *stop,
                                  ceas_kernel_bench_done_fn done, void *ctx);
/* The results as a JSON file (the fields of ceas_kernel_bench_write_h5), atomically. */
int ceas_kernel_bench_write_json(const ceas_kernel_bench_options *o, const char *path,
                                 int force, const char *command_line);
/* The line `ceasim bench` prints for one result r of a run of o (from the done
 * callback, as each finishes): model, L, kernel, ISA, ratio to the plain
 * Metropolis and flips/ns (--device gpu: also ns per update and "(gpu)" on a GPU
 * kernel's line); with tau, tau_int(|m|), n/tau, n_eff, the replicas' worth,
 * whether it converged, the ratio and independent samples per second. */
void ceas_kernel_bench_result_print(FILE *out, const ceas_kernel_bench_options *o,
                                    const ceas_kernel_bench_result *r);

#ifdef __cplusplus
}
#endif

#endif
