/* ceas_task_options — a task (one `ceasim run`) described by key/value options,
 * as the CLI takes them: the names, rules and messages are `ceasim run`'s
 * (ceasim run --help), so a program or a binding that holds strings gets the same
 * checks without copying CLI code.
 *
 *   ceas_task_options o;
 *   ceas_task_options_default(&o);
 *   rc = ceas_task_option_set(&o, "L", "32");            (each option, in order)
 *   rc = ceas_task_options_finish(&o);                   (the cross-checks)
 *   rc = ceas_task_create(&o.p, &t);
 *
 * Errors are CEAS_EINPUT with a one-line message naming the option as the CLI
 * spells it ("--beta: expected an inverse temperature >= 0, got -1"). */
#ifndef CEAS_TASK_OPTIONS_H
#define CEAS_TASK_OPTIONS_H

#include "ceas_options.h"
#include "ceas_task.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One of the task options that `run`, `sweep` and sweep files share (model, h,
 * sweeps, therm, measure-every, seed, init, wolff-clusters, device, gpu; '-'
 * and '_' alike) into *p: CEAS_OK, CEAS_EINPUT naming `what`, or CEAS_TASK_NOT_A_PARAM when
 * `key` is none of these (nothing set, no error message). */
#define CEAS_TASK_NOT_A_PARAM (-1)
int ceas_task_param_set(ceas_task_params *p, const char *key, const char *value,
                        const char *what);

/* The help of --device and --gpu, which run, sweep and bench share. */
#define CEAS_TASK_DEVICE_HELP                                                              \
  "where the kernel runs: gpu runs msc-single and msc-replica* (2D and 3D) on a CUDA GPU, " \
  "bitwise the CPU run (a build with -DCEASIM_CUDA=ON or AUTO); one GPU per MPI rank: the " \
  "node-local rank modulo the node's GPU count"
#define CEAS_TASK_GPU_HELP "with --device gpu: the CUDA device to use (default: as above)"

/* The parsed options of `ceasim run`. p.algo and p.couplings point at the values
 * given to the setter (not copied: they must outlive the options). */
typedef struct {
  ceas_task_params p;
  int have_L;
} ceas_task_options;

/* The options of `ceasim run` that ceas_task_option_set takes (model, L, couplings,
 * h, beta, algo, sweeps, therm, measure-every, seed, stream, init, wolff-clusters)
 * with their help and defaults, in the order `ceasim run --help` lists them. */
extern const ceas_option ceas_task_option_table[];

/* ceas_task_params_default, no option given yet. */
void ceas_task_options_default(ceas_task_options *o);

/* One option of ceas_task_option_table by its name without "--": CEAS_OK, or
 * CEAS_EINPUT naming --key (an unknown key too). A later setting of a key replaces
 * an earlier one. */
int ceas_task_option_set(ceas_task_options *o, const char *key, const char *value);

/* The checks between options, once all are set: --L with a graph (whose size is
 * its couplings file's n), a lattice size below 2. CEAS_OK or CEAS_EINPUT naming
 * --L. The rest (algorithm against model, field, size) is ceas_task_params_check's,
 * run by ceas_task_create. */
int ceas_task_options_finish(const ceas_task_options *o);

#ifdef __cplusplus
}
#endif

#endif
