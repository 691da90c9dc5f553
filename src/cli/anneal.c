/* ceasim anneal: minimise an Ising energy (couplings file, G-set MaxCut graph or a
 * generated spin glass) with an annealing method over independent reads. See
 * docs/anneal.md. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "ceas_anneal.h"
#include "ceas_anneal_ceas.h"
#include "ceas_anneal_npu.h"
#include "ceas_anneal_pt.h"
#include "ceas_io.h"
#include "ceas_parallel.h"
#include "cli.h"

/* Reads with their own table row; more are summarised (all are in --out). */
#define ANNEAL_TABLE_ROWS 32
/* Ground states are enumerated without being asked up to this size (< 0.1 s). */
#define ANNEAL_EXACT_AUTO 20

static void anneal_usage(FILE *out) {
  fprintf(out,
          "usage: ceasim anneal (--couplings FILE | --gset FILE | --model M ...) [options]\n"
          "\n"
          "Minimise E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i over s_i = +-1 with an\n"
          "annealing method, over independent reads; report the best energies, success\n"
          "probability and time to solution.\n"
          "\n"
          "instance (one of):\n"
          "  --couplings FILE     couplings file as `ceasim map` writes it or a text edge\n"
          "                       list ('i j J', 'h i v', 'n N', 0-based, '#' comments)\n"
          "  --gset FILE          G-set MaxCut graph: 'n m' then m lines 'i j w' (1-based);\n"
          "                       edge weight w -> J_ij = -w, cut = (sum w - E)/2\n"
          "  --model M            sk (complete graph, J = +-1/sqrt(n)), ea2d (L x L), ea3d\n"
          "                       (L^3), periodic lattices with J = +-1\n"
          "  --n N                spins of sk [100]\n"
          "  --L L                side of ea2d/ea3d, L >= 3 [16]\n"
          "  --bonds B            pm (+-J) or gauss (N(0,1), times 1/sqrt(n) for sk) [pm]\n"
          "  --instance-seed S    seed of the generated couplings [--seed]\n"
          "  --dense D            auto | yes | no: dense rows for the field update (int8\n"
          "                       signs if all |J| are equal, else float32)\n"
          "                       [auto: when >= 1/25 (int8) or 1/8 (float32) of all\n"
          "                       pairs are coupled]\n"
          "  --write-instance F   also write the instance as a couplings text file\n"
          "method:\n"
          "  --method M           sa | ceas | pt | sb-ballistic | sb-discrete | analog [sa]\n"
          "                       sa: simulated annealing on the beta schedule below\n"
          "                       ceas: the CEAS entropy thermostat: beta set every sweep\n"
          "                       by the Newton rule so that the machine entropy falls\n"
          "                       linearly (starts at --beta0, capped at --beta1)\n"
          "                       pt: parallel tempering, walkers spread over the MPI\n"
          "                       ranks (mpirun -np R ceasim anneal --method pt ...);\n"
          "                       ladder --beta0 .. --beta1, --sweeps per walker\n"
          "                       sb-ballistic, sb-discrete: simulated bifurcation (Goto\n"
          "                       et al. 2019, 2021), --sweeps time steps; analog: noisy\n"
          "                       amplitude (mean-field coherent Ising machine) dynamics;\n"
          "                       both: docs/anneal_dynamics.md\n"
          "reads and schedule (every method):\n"
          "  --reads R            independent reads, read r uses the stream (seed, r) [10]\n"
          "  --sweeps S           sweeps per read (n spin updates each; sb and analog: time\n"
          "                       steps) [1000]\n"
          "  --schedule K         geometric | linear in beta [geometric] (sa, ceas, pt)\n"
          "  --beta0 B, --beta1 B first and last beta [0.1/sigma and 10/sigma, sigma =\n"
          "                       sqrt(sum_ij J_ij^2 / n) the typical local field; sa:\n"
          "                       beta1 at least ln(100 n) / (2 x smallest field), so\n"
          "                       that final states are frozen]\n"
          "  --schedule-file F    one beta per line, one line per sweep (replaces\n"
          "                       --schedule, --beta0, --beta1 and --sweeps)\n"
          "  --order O            sequential | random site order within a sweep [sequential]\n"
          "  --seed S             seed of the reads (64-bit) [1]\n"
          "ceas (the thermostat; src/anneal/ceas_anneal_ceas.h has the equations):\n"
          "  --preset P           9k | 14m | gpt: gains, step bound, u_min [9k]\n"
          "  --h-end H            final target entropy per spin, nats [0.001]\n"
          "  --no-margin          no keep-out band around the on-the-fly beta_c\n"
          "pt:\n"
          "  --temperatures M     walkers / temperatures [16]\n"
          "  --exchange-every K   sweeps between exchange rounds [1]\n"
          "  --tune-rounds T      re-place the ladder T times for uniform acceptance, each\n"
          "                       round --tune-sweeps sweeps before the --sweeps measured\n"
          "                       ones (counted in the work and time reported) [4]\n"
          "  --tune-sweeps S      sweeps per tuning round [1000]\n"
          "sb / analog (docs/anneal_dynamics.md):\n"
          "  --dt T --a0 A --c0 C --eps E --p0 P --p1 P --noise S --x-init X\n"
          "  --check-every K      equations-of-motion parameters [sb: a0 1, c0 =\n"
          "                       0.5/(sigma_J sqrt(n)), dt from the instance: min(1.25,\n"
          "                       0.8 x the step's stability limit); analog: see the doc]\n"
          "NPU hardware (every method; docs/anneal_dynamics.md):\n"
          "  --j-bits B           store couplings with B bits (2..32; 0 = exact) on a\n"
          "                       symmetric grid over +-max|J|; energies are reported on\n"
          "                       the true couplings [0]\n"
          "  --j-rounding R       nearest | stochastic [nearest]\n"
          "  --field-noise S      Gaussian noise of sigma S x field scale on the local\n"
          "                       field each time a spin decision reads it (sa, ceas, pt)\n"
          "                       or a step computes it (sb, analog) [0: none]\n"
          "  --update U           async | sync (sa, ceas, pt) [async]: sync = a clocked\n"
          "                       array, every spin decides from the fields at the start\n"
          "                       of the sweep, then all flips are applied. Not a valid\n"
          "                       sampler: it falls into two-cycles (s -> -s) at local\n"
          "                       energy maxima. sb and analog are sync by construction\n"
          "  --cost-pj SPEC       picojoules of the cost model, e.g. mac=0.23,byte=160,\n"
          "                       update=4.6 (any subset) [Horowitz ISSCC 2014, 45 nm:\n"
          "                       mac 4.6 (float32; 0.23 for 2-8 bit, 3.2 for 9-32 bit\n"
          "                       couplings), byte 1.25 (8 KB SRAM), update 4.6]\n"
          "  --kernel K           sa, pt: auto | fields | packed [auto]: packed runs 64\n"
          "                       reads (sa) or 64 PT systems (pt) at once in the replica-\n"
          "                       packed multi-spin-coded kernel, couplings as bond masks;\n"
          "                       for ea2d/ea3d +-J instances with even L, async updates and\n"
          "                       no field noise (auto: whenever that holds)\n"
          "targets and references:\n"
          "  --target E           a read succeeds when it reaches energy <= E (total)\n"
          "  --target-cut C       the same as a cut value (G-set files)\n"
          "  --target exact       the exact ground-state energy (needs n <= 24)\n"
          "  --exact              enumerate the ground state (n <= 24; automatic for n <= %d)\n"
          "output:\n"
          "  --trace-every K      record each read's energy every K sweeps (pt: the lowest\n"
          "                       energy over the walkers; K a multiple of --exchange-every)\n"
          "  --out FILE           HDF5 results (atomically; refuses to overwrite)\n"
          "  --force              allow --out and --write-instance to replace files\n"
          "  --quiet              no progress line\n"
          "\n"
          "Time to solution: TTS99 = t_read ln(0.01)/ln(1 - p) with p the fraction of reads\n"
          "that reach the target; t_read if p >= 0.99, inf if p = 0.\n",
          ANNEAL_EXACT_AUTO);
}

enum {
  OPT_COUPLINGS = 256, OPT_GSET, OPT_MODEL, OPT_N, OPT_L, OPT_BONDS, OPT_ISEED, OPT_DENSE,
  OPT_WRITE_INSTANCE, OPT_METHOD, OPT_READS, OPT_SWEEPS, OPT_SCHEDULE, OPT_BETA0,
  OPT_BETA1, OPT_SCHEDULE_FILE, OPT_ORDER, OPT_SEED, OPT_TARGET, OPT_TARGET_CUT,
  OPT_EXACT, OPT_TRACE, OPT_OUT, OPT_FORCE, OPT_QUIET, OPT_PRESET, OPT_H_END,
  OPT_NO_MARGIN, OPT_TEMPS, OPT_XEVERY, OPT_TROUNDS, OPT_TSWEEPS, OPT_DT, OPT_A0, OPT_C0,
  OPT_EPS, OPT_P0, OPT_P1, OPT_NOISE, OPT_XINIT, OPT_CHECK, OPT_FNOISE, OPT_JBITS,
  OPT_JROUND, OPT_UPDATE, OPT_COSTPJ, OPT_KERNEL, OPT_HELP
};

static const struct option anneal_options[] = {
    {"couplings", required_argument, 0, OPT_COUPLINGS},
    {"gset", required_argument, 0, OPT_GSET},
    {"model", required_argument, 0, OPT_MODEL},
    {"n", required_argument, 0, OPT_N},
    {"L", required_argument, 0, OPT_L},
    {"bonds", required_argument, 0, OPT_BONDS},
    {"instance-seed", required_argument, 0, OPT_ISEED},
    {"dense", required_argument, 0, OPT_DENSE},
    {"write-instance", required_argument, 0, OPT_WRITE_INSTANCE},
    {"method", required_argument, 0, OPT_METHOD},
    {"reads", required_argument, 0, OPT_READS},
    {"sweeps", required_argument, 0, OPT_SWEEPS},
    {"schedule", required_argument, 0, OPT_SCHEDULE},
    {"beta0", required_argument, 0, OPT_BETA0},
    {"beta1", required_argument, 0, OPT_BETA1},
    {"schedule-file", required_argument, 0, OPT_SCHEDULE_FILE},
    {"order", required_argument, 0, OPT_ORDER},
    {"seed", required_argument, 0, OPT_SEED},
    {"target", required_argument, 0, OPT_TARGET},
    {"target-cut", required_argument, 0, OPT_TARGET_CUT},
    {"exact", no_argument, 0, OPT_EXACT},
    {"trace-every", required_argument, 0, OPT_TRACE},
    {"out", required_argument, 0, OPT_OUT},
    {"force", no_argument, 0, OPT_FORCE},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"preset", required_argument, 0, OPT_PRESET},
    {"h-end", required_argument, 0, OPT_H_END},
    {"no-margin", no_argument, 0, OPT_NO_MARGIN},
    {"temperatures", required_argument, 0, OPT_TEMPS},
    {"exchange-every", required_argument, 0, OPT_XEVERY},
    {"tune-rounds", required_argument, 0, OPT_TROUNDS},
    {"tune-sweeps", required_argument, 0, OPT_TSWEEPS},
    {"dt", required_argument, 0, OPT_DT},
    {"a0", required_argument, 0, OPT_A0},
    {"c0", required_argument, 0, OPT_C0},
    {"eps", required_argument, 0, OPT_EPS},
    {"p0", required_argument, 0, OPT_P0},
    {"p1", required_argument, 0, OPT_P1},
    {"noise", required_argument, 0, OPT_NOISE},
    {"x-init", required_argument, 0, OPT_XINIT},
    {"check-every", required_argument, 0, OPT_CHECK},
    {"field-noise", required_argument, 0, OPT_FNOISE},
    {"j-bits", required_argument, 0, OPT_JBITS},
    {"j-rounding", required_argument, 0, OPT_JROUND},
    {"update", required_argument, 0, OPT_UPDATE},
    {"cost-pj", required_argument, 0, OPT_COSTPJ},
    {"kernel", required_argument, 0, OPT_KERNEL},
    {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0}};

typedef struct {
  const char *couplings, *gset, *model, *write_instance, *method, *schedule_file, *out;
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
  int exact, force, quiet, help;
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
  const char *cost_pj; /* applied on top of the defaults for --j-bits */
} anneal_args;

static int parse_args(int argc, char **argv, anneal_args *a) {
  memset(a, 0, sizeof *a);
  a->n = 100;
  a->L = 16;
  a->seed = 1;
  a->reads = 10;
  a->sweeps = 1000;
  a->dense = -1;
  a->method = "sa";
  a->sched = CEAS_ANNEAL_SCHED_GEOMETRIC;
  ceas_anneal_ceas_params_default(&a->ceas);
  a->temperatures = 16;
  a->kernel = -1;
  ceas_anneal_dyn_params_default(&a->dyn);
  a->exchange_every = 1;
  a->tune_rounds = 4;
  a->tune_sweeps = 1000;
  opterr = 0;
  optind = 1;
  int c, rc = CEAS_OK;
  while (!rc &&
         (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, anneal_options, NULL)) != -1) {
    const char *name =
        c >= OPT_COUPLINGS && c <= OPT_HELP ? anneal_options[c - OPT_COUPLINGS].name : "";
    char what[64];
    snprintf(what, sizeof what, "--%s", name);
    switch (c) {
      case OPT_COUPLINGS: a->couplings = optarg; break;
      case OPT_GSET: a->gset = optarg; break;
      case OPT_MODEL:
        if (strcmp(optarg, "sk") && strcmp(optarg, "ea2d") && strcmp(optarg, "ea3d"))
          rc = ceas_error_set(CEAS_EINPUT, "--model: expected sk, ea2d or ea3d, got '%s'",
                              optarg);
        a->model = optarg;
        break;
      case OPT_N:
        rc = ceas_parse_long(optarg, what, 2, 16384, &a->n);
        a->have_n = 1;
        break;
      case OPT_L:
        rc = ceas_parse_long(optarg, what, 3, 46340, &a->L);
        a->have_L = 1;
        break;
      case OPT_BONDS:
        rc = ceas_anneal_bonds_parse(optarg, &a->bonds);
        a->have_bonds = 1;
        break;
      case OPT_ISEED:
        rc = ceas_parse_u64(optarg, what, &a->instance_seed);
        a->have_iseed = 1;
        break;
      case OPT_DENSE:
        if (!strcmp(optarg, "auto"))
          a->dense = -1;
        else if (!strcmp(optarg, "yes"))
          a->dense = 1;
        else if (!strcmp(optarg, "no"))
          a->dense = 0;
        else
          rc = ceas_error_set(CEAS_EINPUT, "--dense: expected auto, yes or no, got '%s'",
                              optarg);
        break;
      case OPT_WRITE_INSTANCE: a->write_instance = optarg; break;
      case OPT_METHOD: a->method = optarg; break;
      case OPT_READS:
        rc = ceas_cli_parse_count(optarg, what, &a->reads);
        if (!rc && a->reads < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--reads: expected at least 1, got %s", optarg);
        break;
      case OPT_SWEEPS:
        rc = ceas_cli_parse_count(optarg, what, &a->sweeps);
        if (!rc && a->sweeps < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--sweeps: expected at least 1, got %s", optarg);
        a->have_sweeps = 1;
        break;
      case OPT_SCHEDULE:
        if (!strcmp(optarg, "geometric"))
          a->sched = CEAS_ANNEAL_SCHED_GEOMETRIC;
        else if (!strcmp(optarg, "linear"))
          a->sched = CEAS_ANNEAL_SCHED_LINEAR;
        else
          rc = ceas_error_set(CEAS_EINPUT,
                              "--schedule: expected geometric or linear (or use "
                              "--schedule-file), got '%s'",
                              optarg);
        a->have_schedule = 1;
        break;
      case OPT_BETA0:
      case OPT_BETA1: {
        double v;
        rc = ceas_parse_double(optarg, what, &v);
        if (!rc && v < 0)
          rc = ceas_error_set(CEAS_EINPUT, "%s: expected an inverse temperature >= 0, got %s",
                              what, optarg);
        if (c == OPT_BETA0) {
          a->beta0 = v;
          a->have_beta0 = 1;
        } else {
          a->beta1 = v;
          a->have_beta1 = 1;
        }
        break;
      }
      case OPT_SCHEDULE_FILE: a->schedule_file = optarg; break;
      case OPT_ORDER:
        if (!strcmp(optarg, "sequential"))
          a->order = CEAS_ANNEAL_ORDER_SEQUENTIAL;
        else if (!strcmp(optarg, "random"))
          a->order = CEAS_ANNEAL_ORDER_RANDOM;
        else
          rc = ceas_error_set(CEAS_EINPUT, "--order: expected sequential or random, got '%s'",
                              optarg);
        break;
      case OPT_SEED: rc = ceas_parse_u64(optarg, what, &a->seed); break;
      case OPT_TARGET: a->target = optarg; break;
      case OPT_TARGET_CUT: a->target_cut = optarg; break;
      case OPT_EXACT: a->exact = 1; break;
      case OPT_TRACE:
        rc = ceas_cli_parse_count(optarg, what, &a->trace_every);
        if (!rc && a->trace_every < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--trace-every: expected at least 1, got %s",
                              optarg);
        break;
      case OPT_OUT: a->out = optarg; break;
      case OPT_FORCE: a->force = 1; break;
      case OPT_QUIET: a->quiet = 1; break;
      case OPT_PRESET: {
        /* A preset sets the gains; --h-end / --no-margin given before it survive. */
        ceas_anneal_ceas_params keep = a->ceas;
        rc = ceas_anneal_ceas_preset(optarg, &a->ceas);
        a->ceas.h_end = keep.h_end;
        a->ceas.margin = keep.margin;
        a->have_ceas = 1;
        break;
      }
      case OPT_H_END:
        rc = ceas_parse_double(optarg, what, &a->ceas.h_end);
        if (!rc && !(a->ceas.h_end >= 0 && a->ceas.h_end < log(2.0)))
          rc = ceas_error_set(CEAS_EINPUT, "--h-end: expected 0 <= H < ln 2 (nats per spin), got %s",
                              optarg);
        a->have_ceas = 1;
        break;
      case OPT_NO_MARGIN:
        a->ceas.margin = 0;
        a->have_ceas = 1;
        break;
      case OPT_TEMPS:
        rc = ceas_parse_long(optarg, what, 2, 100000, &a->temperatures);
        a->have_pt = 1;
        break;
      case OPT_XEVERY:
        rc = ceas_cli_parse_count(optarg, what, &a->exchange_every);
        if (!rc && a->exchange_every < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--exchange-every: expected at least 1, got %s", optarg);
        a->have_pt = 1;
        break;
      case OPT_TROUNDS:
        rc = ceas_parse_long(optarg, what, 0, 1000, &a->tune_rounds);
        a->have_pt = 1;
        break;
      case OPT_TSWEEPS:
        rc = ceas_cli_parse_count(optarg, what, &a->tune_sweeps);
        if (!rc && a->tune_sweeps < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--tune-sweeps: expected at least 1, got %s", optarg);
        a->have_pt = 1;
        break;
      case OPT_DT: case OPT_A0: case OPT_C0: case OPT_EPS: case OPT_P0: case OPT_P1:
      case OPT_NOISE: case OPT_XINIT: {
        double v;
        rc = ceas_parse_double(optarg, what, &v);
        double *dst[] = {&a->dyn.dt, &a->dyn.a0, &a->dyn.c0, &a->dyn.eps, &a->dyn.p0,
                         &a->dyn.p1, &a->dyn.noise, &a->dyn.x_init};
        if (!rc) *dst[c - OPT_DT] = v;
        a->have_dyn = 1;
        break;
      }
      case OPT_FNOISE:
        rc = ceas_parse_double(optarg, what, &a->field_noise);
        if (!rc && !(a->field_noise >= 0))
          rc = ceas_error_set(CEAS_EINPUT,
                              "--field-noise: expected a sigma >= 0 (relative to the field "
                              "scale), got %s",
                              optarg);
        break;
      case OPT_UPDATE:
        if (!strcmp(optarg, "async"))
          a->update = CEAS_ANNEAL_UPDATE_ASYNC;
        else if (!strcmp(optarg, "sync"))
          a->update = CEAS_ANNEAL_UPDATE_SYNC;
        else
          rc = ceas_error_set(CEAS_EINPUT, "--update: expected async or sync, got '%s'", optarg);
        a->have_update = 1;
        break;
      case OPT_COSTPJ: {
        ceas_anneal_cost_pj check;
        ceas_anneal_cost_pj_default(0, &check);
        rc = ceas_anneal_cost_pj_parse(optarg, &check);
        a->cost_pj = optarg;
        break;
      }
      case OPT_CHECK:
        rc = ceas_cli_parse_count(optarg, what, &a->dyn.check_every);
        a->have_dyn = 1;
        break;
      case OPT_JBITS:
        rc = ceas_parse_long(optarg, what, 0, CEAS_ANNEAL_JBITS_MAX, &a->j_bits);
        if (!rc && a->j_bits == 1)
          rc = ceas_error_set(CEAS_EINPUT,
                              "--j-bits: expected 0 (exact) or 2 to %d (a 1-bit symmetric "
                              "grid holds only 0), got 1",
                              CEAS_ANNEAL_JBITS_MAX);
        a->dyn.j_bits = (int)a->j_bits;
        break;
      case OPT_JROUND: rc = ceas_anneal_rounding_parse(optarg, &a->j_rounding); break;
      case OPT_KERNEL:
        if (!strcmp(optarg, "auto"))
          a->kernel = -1;
        else if (!strcmp(optarg, "fields"))
          a->kernel = 0;
        else if (!strcmp(optarg, "packed"))
          a->kernel = 1;
        else
          rc = ceas_error_set(CEAS_EINPUT, "--kernel: expected auto, fields or packed, got '%s'",
                              optarg);
        break;
      case OPT_HELP: a->help = 1; break;
      default: rc = ceas_cli_option_error(c, argv, "anneal");
    }
  }
  if (rc || a->help) return rc;
  if (optind < argc)
    return ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim anneal --help)",
                          argv[optind]);
  int sources = !!a->couplings + !!a->gset + !!a->model;
  if (sources != 1)
    return ceas_error_set(CEAS_EINPUT,
                          "expected exactly one instance: --couplings FILE, --gset FILE or "
                          "--model sk|ea2d|ea3d (got %d)",
                          sources);
  if (!a->model && (a->have_n || a->have_L || a->have_bonds || a->have_iseed))
    return ceas_error_set(CEAS_EINPUT,
                          "--n, --L, --bonds and --instance-seed describe a generated "
                          "instance (--model); a file brings its own couplings");
  if (a->model && !strcmp(a->model, "sk") && a->have_L)
    return ceas_error_set(CEAS_EINPUT, "--L: sk takes --n (the number of spins)");
  if (a->model && strcmp(a->model, "sk") && a->have_n)
    return ceas_error_set(CEAS_EINPUT, "--n: %s takes --L (the side length)", a->model);
  if (a->schedule_file &&
      (a->have_schedule || a->have_beta0 || a->have_beta1 || a->have_sweeps))
    return ceas_error_set(CEAS_EINPUT,
                          "--schedule-file gives every sweep's beta: drop --schedule, "
                          "--beta0, --beta1 and --sweeps");
  if (a->target && a->target_cut)
    return ceas_error_set(CEAS_EINPUT, "--target and --target-cut: give one target");
  if (!(a->m = ceas_anneal_method_find(a->method))) {
    char list[256] = "";
    for (int i = 0; ceas_anneal_methods[i]; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
               ceas_anneal_methods[i]->name);
    return ceas_error_set(CEAS_EINPUT, "--method: expected one of %s, got '%s'", list,
                          a->method);
  }
  const int pt = a->m->params == CEAS_ANNEAL_PARAMS_PT;
  if (a->have_ceas && a->m->params != CEAS_ANNEAL_PARAMS_CEAS)
    return ceas_error_set(CEAS_EINPUT, "--preset, --h-end, --no-margin: only for --method ceas");
  const int dyn = a->m->params == CEAS_ANNEAL_PARAMS_DYN;
  if (a->have_dyn && !dyn)
    return ceas_error_set(CEAS_EINPUT,
                          "--dt, --a0, --c0, --eps, --p0, --p1, --noise, --x-init, "
                          "--check-every: only for --method sb-ballistic, sb-discrete or "
                          "analog");
  if (dyn && a->have_update && a->update == CEAS_ANNEAL_UPDATE_ASYNC)
    return ceas_error_set(CEAS_EINPUT,
                          "--update async: %s moves every oscillator in each step "
                          "(synchronous by construction)",
                          a->method);
  if (a->update == CEAS_ANNEAL_UPDATE_SYNC && a->order == CEAS_ANNEAL_ORDER_RANDOM)
    return ceas_error_set(CEAS_EINPUT,
                          "--update sync: every spin decides at once, so --order random "
                          "does not apply");
  if (a->have_pt && !pt)
    return ceas_error_set(CEAS_EINPUT,
                          "--temperatures, --exchange-every, --tune-*: only for --method pt");
  if (pt && (a->schedule_file || a->have_schedule || a->order != CEAS_ANNEAL_ORDER_SEQUENTIAL))
    return ceas_error_set(CEAS_EINPUT,
                          "--method pt: the ladder is --beta0 .. --beta1 (geometric) and the "
                          "sweeps are sequential; --schedule, --schedule-file and --order do "
                          "not apply");
  if (!a->have_iseed) a->instance_seed = a->seed;
  ceas_anneal_pt_reads_params_default(&a->pt);
  a->pt.temperatures = (int)a->temperatures;
  a->pt.exchange_every = a->exchange_every;
  a->pt.tune_rounds = (int)a->tune_rounds;
  a->pt.tune_sweeps = a->tune_sweeps;
  return CEAS_OK;
}

static int make_problem(const anneal_args *a, ceas_anneal_problem **pb) {
  if (a->couplings) return ceas_anneal_problem_from_couplings(a->couplings, pb);
  if (a->gset) return ceas_anneal_problem_read_gset(a->gset, pb);
  if (!strcmp(a->model, "sk")) return ceas_anneal_problem_sk(a->n, a->bonds, a->instance_seed, pb);
  return ceas_anneal_problem_ea(a->model[2] == '2' ? 2 : 3, a->L, a->bonds, a->instance_seed,
                                pb);
}

static void print_number(double x) {
  if (isnan(x))
    printf(" %14s", "-");
  else
    printf(" %14.10g", x);
}

static void print_results(const ceas_anneal_problem *pb, const ceas_anneal_method *method,
                          const ceas_anneal_params *p,
                          const ceas_anneal_result *r) {
  int64_t n = pb->n;
  printf("%5s %16s %12s", "read", "best E", "E/n");
  if (pb->maxcut) printf(" %14s", "cut");
  printf(" %8s", "at sweep");
  if (p->has_target) printf(" %7s %12s", "reached", "t_target/s");
  printf(" %9s\n", "time/s");
  uint64_t rows = r->reads <= ANNEAL_TABLE_ROWS ? r->reads : ANNEAL_TABLE_ROWS;
  for (uint64_t q = 0; q < rows; q++) {
    const ceas_anneal_read *rd = &r->per_read[q];
    printf("%5llu %16.10g %12.8f", (unsigned long long)q, rd->best_energy,
           rd->best_energy / (double)n);
    if (pb->maxcut) print_number(ceas_anneal_cut(pb, rd->best_energy));
    printf(" %8llu", (unsigned long long)rd->best_sweep);
    if (p->has_target) {
      if (rd->reached)
        printf(" %7s %12.4g", "yes", rd->seconds_to_target);
      else
        printf(" %7s %12s", "no", "-");
    }
    printf(" %9.4g\n", rd->seconds);
  }
  if (rows < r->reads)
    printf("  ... %llu more reads (all in --out)\n", (unsigned long long)(r->reads - rows));
  printf("best E = %.12g (E/n = %.10f)", r->best_energy, r->best_energy / (double)n);
  if (pb->maxcut) printf(", cut = %.12g", ceas_anneal_cut(pb, r->best_energy));
  printf(" in read %llu\n", (unsigned long long)r->best_read);
  uint64_t updates = 0;
  for (uint64_t q = 0; q < r->reads; q++) updates += r->per_read[q].updates;
  printf("%llu reads, %.4g spin updates in %.3f s: %.4g ns per spin update (CPU time "
         "%.3f s: %.4g ns)\n",
         (unsigned long long)r->reads, (double)updates, r->seconds,
         1e9 * r->seconds / (double)updates, r->cpu_seconds,
         1e9 * r->cpu_seconds / (double)updates);
  /* The cost model: the machine's work and energy, totals and per read. */
  ceas_anneal_cost tot = {0};
  double e_pj = 0;
  for (uint64_t q = 0; q < r->reads; q++) {
    ceas_anneal_cost_add(&tot, &r->per_read[q].cost, 1);
    e_pj += r->per_read[q].energy_pj;
  }
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_of(p, &pj);
  double R = (double)r->reads;
  printf("machine cost: %.4g pJ (%.4g per read), %.4g MACs (%.4g per read), %.4g bytes "
         "(%.4g per read), %.4g spin updates; at %.3g pJ/MAC, %.3g pJ/byte, %.3g "
         "pJ/update\n",
         e_pj, e_pj / R, (double)tot.macs, (double)tot.macs / R, (double)tot.bytes,
         (double)tot.bytes / R, (double)tot.spin_updates, pj.mac, pj.byte, pj.spin_update);
  if (method->kernel)
    printf("  (the %s kernel does not count flips: spin updates only, without the row updates' "
           "MACs and bytes; --kernel fields counts them)\n",
           method->kernel);
  if (p->has_target) {
    printf("target E <= %.12g", p->target);
    if (pb->maxcut) printf(" (cut >= %.12g)", ceas_anneal_cut(pb, p->target));
    printf(": reached by %llu of %llu reads, p = %.4g; TTS99 = %.4g s = %.4g spin updates\n",
           (unsigned long long)r->successes, (unsigned long long)r->reads, r->p_success,
           r->tts99_seconds, r->tts99_updates);
  }
}

/* What write_out adds to the library's file: the coupling precision. */
typedef struct {
  const ceas_anneal_problem *pb;
  const ceas_anneal_method *m;
  const ceas_anneal_params *p;
  const ceas_anneal_result *r;
  double e0;
  uint64_t deg;
  const ceas_anneal_quant_report *q; /* NULL unless --j-bits */
} write_ctx;

static int write_out(const char *out, int force, const write_ctx *w) {
  ceas_io_file f;
  int rc = ceas_io_file_create(out, force, &f);
  if (rc) return rc;
  rc = ceas_anneal_write(f.file, w->pb, w->m, w->p, w->r, w->e0, w->deg,
                         ceas_cli_command_line());
  if (!rc) rc = ceas_io_attr_int64(f.file, "j_bits", w->q ? w->q->bits : 0);
  if (!rc && w->q) {
    rc = ceas_io_attr_string(f.file, "j_rounding", ceas_anneal_rounding_name(w->q->rounding));
    if (!rc) rc = ceas_io_attr_double(f.file, "j_step", w->q->step);
    if (!rc) rc = ceas_io_attr_double(f.file, "j_max_error", w->q->max_err);
    if (!rc) rc = ceas_io_attr_double(f.file, "j_rms_error", w->q->rms_err);
    if (!rc) rc = ceas_io_attr_int64(f.file, "j_zeroed", w->q->zeroed);
  }
  if (rc)
    ceas_io_file_abort(&f);
  else
    rc = ceas_io_file_commit(&f);
  if (!rc) printf("wrote %s\n", out);
  return rc;
}

/* The walkers of pt over the ranks; the other methods run on one process. Only rank
 * 0 speaks and writes; every rank reaches the same verdict on the same input. */
static int fail(int rank, int rc) {
  if (rank == 0) return ceas_cli_fail(rc);
  return ceas_cli_exit_code(rc);
}

static void print_pt(const ceas_anneal_pt_stats *x) {
  const int M = x->temperatures;
  printf("parallel tempering, %d temperatures; read 0: ladder, exchange acceptance to the "
         "next, <E>/n\n", M);
  for (int t = 0; t < M; t++) {
    printf("  beta %10.6g", x->betas[t]);
    if (t + 1 < M)
      printf("  acc %6.3f", x->acceptance[t]);
    else
      printf("  %10s", "");
    printf("  <E>/n %12.8f", x->e_mean[t]);
    if (isfinite(x->e_err[t])) printf(" +- %.2g", x->e_err[t]);
    printf("\n");
  }
  printf("  round trips %llu (%.4g sweeps per round trip and walker)\n",
         (unsigned long long)x->round_trips[0], x->sweeps_per_round_trip[0]);
}

static int anneal_main(int argc, char **argv, int rank, int size);

/* MPI starts only where it is used. Under a launcher (the environment says so) it
 * starts before the options are parsed, so that a bad option is reported once, by
 * rank 0, and sa under `mpirun -np 2` is refused once; in a plain process it starts
 * after parsing, for a collective method (pt) only: starting it costs ~0.1-1 s,
 * more than a small anneal takes. */
static int under_launcher(void) {
  const char *env = getenv("OMPI_COMM_WORLD_SIZE");
  return env && *env;
}

static int g_mpi; /* MPI was started (collective calls allowed) */

/* Rank 0's status, on every rank. */
static int bcast_rc(int rc) {
  if (g_mpi) MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return rc;
}

int ceas_cli_anneal(int argc, char **argv) {
  int rank = 0, size = 1;
  g_mpi = under_launcher();
  if (g_mpi) ceas_parallel_init(&argc, &argv, &rank, &size);
  int code = anneal_main(argc, argv, rank, size);
  if (g_mpi) ceas_parallel_finalize();
  return code;
}

static int anneal_main(int argc, char **argv, int rank, int size) {
  anneal_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    if (rank == 0) anneal_usage(stdout);
    return 0;
  }
  if (rc) return fail(rank, rc);
  const ceas_anneal_method *method = a.m; /* then the kernel that runs it */
  if (method->collective && !g_mpi) {
    ceas_parallel_init(NULL, NULL, NULL, NULL);
    g_mpi = 1;
  }
  if (size > 1 && !method->collective)
    return fail(rank, ceas_error_set(CEAS_EINPUT,
                                     "--method %s runs in one process; only --method pt "
                                     "spreads over MPI ranks (got %d ranks)",
                                     a.method, size));
  if (rank == 0 && a.out) rc = ceas_io_check_output(a.out, a.force);
  if (!rc && rank == 0 && a.write_instance)
    rc = ceas_io_check_output(a.write_instance, a.force);
  if (!rc && a.out && a.write_instance && !strcmp(a.out, a.write_instance))
    rc = ceas_error_set(CEAS_EINPUT, "--out and --write-instance name the same file");
  rc = bcast_rc(rc);
  if (rc) {
    if (rank != 0) ceas_error_set(rc, "output refused on rank 0");
    return fail(rank, rc);
  }
  ceas_anneal_problem *pb = NULL, *pq = NULL;
  ceas_anneal_schedule sched = {0};
  ceas_anneal_result *r = NULL;
  if ((rc = make_problem(&a, &pb))) goto out;
  if ((rc = ceas_anneal_problem_set_dense(pb, a.dense))) goto out;
  /* The machine's couplings: the instance's, or stored with j_bits of precision. The
   * methods run on them; energies are then rescored on the true couplings. */
  ceas_anneal_quant_report qrep = {0};
  if (a.j_bits > 0) {
    if ((rc = ceas_anneal_quantize(pb, (int)a.j_bits, a.j_rounding, a.seed, &pq, &qrep)))
      goto out;
    if ((rc = ceas_anneal_problem_set_dense(pq, a.dense))) goto out;
  }
  const ceas_anneal_problem *pm = pq ? pq : pb;
  ceas_anneal_params p;
  ceas_anneal_params_default(&p);
  p.seed = a.seed;
  p.order = a.order;
  p.trace_every = a.trace_every;
  p.update = a.update;
  p.field_noise = a.field_noise;
  p.j_bits = (int)a.j_bits;
  if ((rc = ceas_anneal_method_kernel(a.m, pm, &p, a.kernel, &method))) goto out;
  ceas_anneal_cost_pj pj;
  ceas_anneal_cost_pj_default(p.j_bits, &pj);
  if (a.cost_pj && (rc = ceas_anneal_cost_pj_parse(a.cost_pj, &pj))) goto out;
  p.cost_pj = &pj;
  const void *mp[] = {[CEAS_ANNEAL_PARAMS_NONE] = NULL, [CEAS_ANNEAL_PARAMS_CEAS] = &a.ceas,
                      [CEAS_ANNEAL_PARAMS_DYN] = &a.dyn, [CEAS_ANNEAL_PARAMS_PT] = &a.pt};
  p.method_params = mp[method->params];
  int want_exact = a.exact || (a.target && !strcmp(a.target, "exact"));
  if (want_exact && pb->n > CEAS_ANNEAL_EXACT_MAX) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: the instance has %lld spins; exact enumeration needs n <= %d",
                        a.exact ? "--exact" : "--target exact", (long long)pb->n,
                        CEAS_ANNEAL_EXACT_MAX);
    goto out;
  }
  double e0 = NAN;
  uint64_t deg = 0;
  if (want_exact || pb->n <= ANNEAL_EXACT_AUTO)
    if ((rc = ceas_anneal_exact_ground(pb, &e0, &deg, NULL))) goto out;
  if (a.target) {
    p.has_target = 1;
    if (!strcmp(a.target, "exact"))
      p.target = e0;
    else if ((rc = ceas_parse_double(a.target, "--target", &p.target)))
      goto out;
  } else if (a.target_cut) {
    double c;
    if (!pb->maxcut) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "--target-cut: only G-set (MaxCut) instances have cut values; use "
                          "--target E");
      goto out;
    }
    if ((rc = ceas_parse_double(a.target_cut, "--target-cut", &c))) goto out;
    p.has_target = 1;
    p.target = ceas_anneal_energy_of_cut(pb, c);
  }
  if (a.schedule_file) {
    rc = ceas_anneal_schedule_read(a.schedule_file, &sched);
  } else {
    double b0, b1;
    method->default_betas(pb, &b0, &b1);
    rc = ceas_anneal_schedule_make(a.sched, a.have_beta0 ? a.beta0 : b0,
                                   a.have_beta1 ? a.beta1 : b1, a.sweeps, &sched);
  }
  if (rc) goto out;
  p.schedule = &sched;
  if (rank == 0 && a.write_instance)
    rc = ceas_anneal_problem_write_couplings(pb, a.write_instance, a.force);
  rc = bcast_rc(rc);
  if (rc) {
    if (rank != 0) ceas_error_set(rc, "--write-instance failed on rank 0");
    goto out;
  }
  if (rank != 0) {
    /* The other ranks only lend their walkers. */
    rc = ceas_anneal_run(pm, method, &p, a.reads, &ceas_cli_stop, NULL, NULL, &r);
    goto out;
  }

  int from_file = pb->source == CEAS_ANNEAL_SRC_COUPLINGS || pb->source == CEAS_ANNEAL_SRC_GSET;
  printf("ceasim %s  anneal %s: %s%s%s, %lld spins, %lld couplings%s, %s\n",
         ceas_version(), method->name, from_file ? ceas_anneal_source_name(pb->source) : "",
         from_file ? " " : "", pb->origin, (long long)pb->n, (long long)(pb->nnz / 2),
         pb->has_field ? ", fields" : "",
         method->kernel ? "packed multi-spin-coded updates (64 replicas per word)"
         : pb->dense8   ? "dense int8 field updates"
         : pb->dense    ? "dense float32 field updates"
                        : "sparse field updates");
  const int dyn = method->synchronous;
  if (dyn)
    printf("%llu steps of the equations of motion, the pump ramped over them",
           (unsigned long long)sched.sweeps);
  else if (sched.kind == CEAS_ANNEAL_SCHED_FILE)
    printf("schedule from %s: %llu sweeps, beta %.6g ... %.6g", sched.file,
           (unsigned long long)sched.sweeps, sched.beta0, sched.beta1);
  else
    printf("schedule %s: beta %.6g -> %.6g over %llu sweeps",
           ceas_anneal_sched_name(sched.kind), sched.beta0, sched.beta1,
           (unsigned long long)sched.sweeps);
  if (!dyn)
    printf(", %s order", p.order == CEAS_ANNEAL_ORDER_RANDOM ? "random" : "sequential");
  printf(", seed %llu, %llu reads", (unsigned long long)p.seed, (unsigned long long)a.reads);
  if (method->collective)
    printf(", %ld temperatures (geometric ladder) over %d rank%s", a.temperatures, size,
           size == 1 ? "" : "s");
  printf("\n");
  if (deg) {
    printf("exact ground state (enumeration): E0 = %.12g (E0/n = %.10f), degeneracy %llu",
           e0, e0 / (double)pb->n, (unsigned long long)deg);
    if (pb->maxcut) printf(", max cut %.12g", ceas_anneal_cut(pb, e0));
    printf("\n");
  }
  fflush(stdout);
  ceas_cli_install_signals();
  int show = !a.quiet && isatty(STDERR_FILENO);
  if (pq)
    printf("couplings stored with %d bits (%s rounding): step %.6g, max error %.4g and rms "
           "%.4g of max|J|, %lld of %lld couplings rounded to 0\n",
           qrep.bits, ceas_anneal_rounding_name(qrep.rounding), qrep.step, qrep.max_err,
           qrep.rms_err, (long long)qrep.zeroed, (long long)qrep.couplings);
  if (p.field_noise > 0 || p.update == CEAS_ANNEAL_UPDATE_SYNC)
    printf("NPU model: %s updates, field noise sigma = %.4g x field scale (%.4g)\n",
           dyn || p.update == CEAS_ANNEAL_UPDATE_SYNC ? "synchronous" : "asynchronous",
           p.field_noise, p.field_noise * pb->field_scale);
  rc = ceas_anneal_run(pm, method, &p, a.reads, &ceas_cli_stop,
                       show ? ceas_cli_progress : NULL, NULL, &r);
  if (show) fprintf(stderr, "\r%60s\r", "");
  if (rc) goto out;
  if (r->n_used) {
    printf("%s parameters (derived from the instance unless given):", method->name);
    for (int i = 0; i < r->n_used; i++)
      printf("%s %s = %.6g", i ? "," : "", r->used[i].name, r->used[i].value);
    printf("\n");
  }
  if (pq) ceas_anneal_rescore(pb, r);
  print_results(pb, method, &p, r);
  if (r->pt) print_pt(r->pt);
  if (a.out) {
    write_ctx w = {pb, method, &p, r, e0, deg, pq ? &qrep : NULL};
    rc = write_out(a.out, a.force, &w);
  }
out:
  ceas_anneal_result_free(r);
  ceas_anneal_schedule_free(&sched);
  ceas_anneal_problem_free(pb);
  ceas_anneal_problem_free(pq);
  return rc ? fail(rank, rc) : 0;
}
