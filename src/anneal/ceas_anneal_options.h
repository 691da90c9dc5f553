/* ceas_anneal_options — an anneal described by key/value options, as `ceasim
 * anneal` takes them: the options' names, values, defaults and rules are the
 * CLI's (ceasim anneal --help, docs/anneal.md), so a program or a binding that
 * holds strings gets the same checks and messages without copying CLI code.
 *
 *   ceas_anneal_options o;
 *   ceas_anneal_options_default(&o);
 *   rc = ceas_anneal_option_set(&o, "model", "ea2d");      (each option, in order)
 *   rc = ceas_anneal_options_finish(&o);                   (the cross-checks)
 *   ceas_anneal_setup s;
 *   rc = ceas_anneal_setup_make(&o, &s);                    (instance, schedule, params)
 *   rc = ceas_anneal_run(s.pm, s.method, &s.p, o.reads, ...);
 *   ceas_anneal_setup_free(&s);
 *
 * Errors are CEAS_EINPUT with a one-line message naming the option as the CLI
 * spells it ("--sweeps: expected at least 1, got 0"). */
#ifndef CEAS_ANNEAL_OPTIONS_H
#define CEAS_ANNEAL_OPTIONS_H

#include <stdio.h>

#include "ceas_anneal.h"
#include "ceas_anneal_ceas.h"
#include "ceas_anneal_npu.h"
#include "ceas_anneal_pt.h"
#include "ceas_options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ground states are enumerated without being asked up to this size (< 0.1 s). */
#define CEAS_ANNEAL_EXACT_AUTO 20

/* The options ceas_anneal_option_set knows, with their help and defaults, in the
 * order `ceasim anneal --help` lists them; the flags (exact, no-margin) have no
 * metavar and their value is ignored. */
extern const ceas_option ceas_anneal_option_table[];

/* The parsed options. The strings point at the values given to the setter (not
 * copied: they must outlive the options). `m` is set by ceas_anneal_options_finish;
 * `pt` is filled by it from temperatures .. tune_sweeps. */
typedef struct {
  const char *couplings, *gset, *model, *method, *schedule_file;
  const char *target, *target_cut;
  long n, L;
  ceas_anneal_bonds bonds;
  uint64_t seed, instance_seed, reads, sweeps, trace_every;
  int have_iseed, have_sweeps, have_beta0, have_beta1, have_schedule, have_n, have_L;
  int have_bonds;
  int dense; /* -1 auto */
  ceas_anneal_sched_kind sched;
  double beta0, beta1;
  ceas_anneal_order order;
  int exact;
  /* ceas */
  ceas_anneal_ceas_params ceas;
  int have_ceas;
  /* pt */
  long temperatures, tune_rounds;
  uint64_t exchange_every, tune_sweeps;
  int have_pt;
  ceas_anneal_pt_reads_params pt; /* the four above, on MPI_COMM_WORLD */
  const ceas_anneal_method *m;    /* --method, as the table has it */
  /* sb, analog */
  ceas_anneal_dyn_params dyn;
  int have_dyn;
  /* NPU: coupling precision, field noise, update mode, prices */
  long j_bits;
  ceas_anneal_rounding j_rounding;
  double field_noise;
  ceas_anneal_update update;
  int have_update;
  int kernel; /* sa, pt: -1 auto, 0 local fields, 1 packed (multi-spin coded) */
  int gpu;    /* --device gpu: the method's GPU twin (ceas_anneal_method_device) */
  const char *cost_pj; /* applied on top of the defaults for --j-bits */
} ceas_anneal_options;

/* The CLI's defaults (sa, 10 reads of 1000 sweeps, seed 1, sk n 100 / ea L 16). */
void ceas_anneal_options_default(ceas_anneal_options *o);

/* One option: `key` one of ceas_anneal_option_table's names, `value` its text (kept,
 * not copied). CEAS_OK, or CEAS_EINPUT naming "--key" for a bad value or an
 * unknown key; the value checks are those that need no other option. */
int ceas_anneal_option_set(ceas_anneal_options *o, const char *key, const char *value);

/* After the last option: the checks between options (one instance source, options
 * of another method, --schedule-file with --sweeps, ...), the method looked up into
 * o->m, o->pt filled. CEAS_OK or CEAS_EINPUT with the CLI's message. */
int ceas_anneal_options_finish(ceas_anneal_options *o);

/* The instance the options name: a couplings file, a G-set file or the generated
 * sk/ea2d/ea3d (seeded by --instance-seed, else --seed). Errors of the readers. */
int ceas_anneal_options_problem(const ceas_anneal_options *o, ceas_anneal_problem **pb);

/* Everything ceas_anneal_run needs, built from finished options. Owns pb, pq and
 * sched; p points into the setup (schedule, cost_pj) and into the options
 * (method_params), so neither may move or be freed while p is in use. */
typedef struct {
  ceas_anneal_problem *pb;       /* the instance; energies are reported on it */
  ceas_anneal_problem *pq;       /* its couplings stored with --j-bits, or NULL */
  const ceas_anneal_problem *pm; /* what the method runs on: pq, else pb */
  ceas_anneal_quant_report qrep; /* pq's rounding report (zero without pq) */
  const ceas_anneal_method *method; /* o->m, its packed kernel (--kernel) or its GPU twin */
  ceas_anneal_params p;
  ceas_anneal_cost_pj pj;
  ceas_anneal_schedule sched;
  double e0;    /* exact ground-state energy, NAN unless enumerated */
  uint64_t deg; /* its degeneracy, 0 unless enumerated */
} ceas_anneal_setup;

/* The instance (dense rows as --dense says), its --j-bits copy, the method's
 * kernel, the prices, the exact ground state (asked, by --target exact, or n <=
 * CEAS_ANNEAL_EXACT_AUTO), the target and the schedule. On error the setup holds
 * what was built: ceas_anneal_setup_free it in every case. */
int ceas_anneal_setup_make(const ceas_anneal_options *o, ceas_anneal_setup *s);
void ceas_anneal_setup_free(ceas_anneal_setup *s);

/* Totals over r's reads: their machine cost, its priced energy (pJ) and the spin
 * updates. */
void ceas_anneal_result_totals(const ceas_anneal_result *r, ceas_anneal_cost *cost,
                               double *energy_pj, uint64_t *updates);

/* The results of a run on s as `ceasim anneal --out` writes them, atomically
 * (ceas_io_file_create: `force` allows replacing a file): ceas_anneal_write's layout
 * and the coupling precision: j_bits (0: exact), and with a --j-bits copy
 * j_rounding, j_step, j_max_error, j_rms_error, j_zeroed. Errors of the writers. */
int ceas_anneal_setup_write(const ceas_anneal_setup *s, const ceas_anneal_result *r,
                            const char *path, int force, const char *command_line);

/* The report `ceasim anneal` prints, in two parts. Before the run, for the
 * options o and their setup s on `ranks` ranks: the instance and how its fields
 * are updated; the schedule (or the steps of a dynamical method), order, seed,
 * reads and pt's ladder; the enumerated ground state if any; the --j-bits
 * rounding and the NPU model if either applies. */
void ceas_anneal_setup_print(FILE *out, const ceas_anneal_options *o,
                             const ceas_anneal_setup *s, int ranks);
/* After it, for its result r (energies on s->pb: ceas_anneal_rescore a run on a
 * --j-bits copy first): the method's parameters as used, a table of the first 32
 * reads (best E, E/n, the cut for MaxCut, the sweep it was found at, reached and
 * time to target, seconds), the best read, the spin updates and their time, the
 * machine cost (pJ, MACs, bytes, updates: totals and per read), the target's
 * success probability and TTS99, and pt's ladder of read 0. */
void ceas_anneal_result_print(FILE *out, const ceas_anneal_setup *s,
                              const ceas_anneal_result *r);

#ifdef __cplusplus
}
#endif

#endif
