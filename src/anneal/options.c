/* ceasim anneal's options as a library: key/value setter, cross-checks, and the
 * setup (instance, schedule, params) that ceas_anneal_run takes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_anneal_options.h"

/* In the order of ceas_anneal_option_table below. */
enum {
  OPT_COUPLINGS, OPT_GSET, OPT_MODEL, OPT_N, OPT_L, OPT_BONDS, OPT_ISEED, OPT_DENSE,
  OPT_METHOD, OPT_READS, OPT_SWEEPS, OPT_SCHEDULE, OPT_BETA0, OPT_BETA1,
  OPT_SCHEDULE_FILE, OPT_ORDER, OPT_SEED, OPT_PRESET, OPT_H_END, OPT_NO_MARGIN, OPT_TEMPS,
  OPT_XEVERY, OPT_TROUNDS, OPT_TSWEEPS, OPT_DT, OPT_A0, OPT_C0, OPT_EPS, OPT_P0, OPT_P1,
  OPT_NOISE, OPT_XINIT, OPT_CHECK, OPT_JBITS, OPT_JROUND, OPT_FNOISE, OPT_UPDATE,
  OPT_COSTPJ, OPT_KERNEL, OPT_DEVICE, OPT_TARGET, OPT_TARGET_CUT, OPT_EXACT, OPT_TRACE
};

#define STR_(x) #x
#define STR(x) STR_(x)
#define INSTANCE "instance (one of --couplings, --gset, --model)"
#define SCHED "reads and schedule (every method)"
#define CEAS "ceas (the thermostat; src/anneal/ceas_anneal_ceas.h has the equations)"
#define DYN "sb / analog (docs/anneal_dynamics.md)"
#define NPU "NPU hardware (every method; docs/anneal_dynamics.md)"
#define TARGETS "targets and references"

const ceas_option ceas_anneal_option_table[] = {
    {"couplings", "FILE", NULL,
     "couplings file as `ceasim map` writes it or a text edge list ('i j J', 'h i v', 'n N', "
     "0-based, '#' comments)", INSTANCE},
    {"gset", "FILE", NULL,
     "G-set MaxCut graph: 'n m' then m lines 'i j w' (1-based); edge weight w -> J_ij = -w, "
     "cut = (sum w - E)/2", INSTANCE},
    {"model", "M", NULL,
     "sk (complete graph, J = +-1/sqrt(n)), ea2d (L x L), ea3d (L^3), periodic lattices "
     "with J = +-1", INSTANCE},
    {"n", "N", "100", "spins of sk", INSTANCE},
    {"L", "L", "16", "side of ea2d/ea3d, L >= 3", INSTANCE},
    {"bonds", "B", "pm", "pm (+-J) or gauss (N(0,1), times 1/sqrt(n) for sk)", INSTANCE},
    {"instance-seed", "S", "--seed", "seed of the generated couplings", INSTANCE},
    {"dense", "D", "auto: when >= 1/25 (int8) or 1/8 (float32) of all pairs are coupled",
     "auto | yes | no: dense rows for the field update (int8 signs if all |J| are equal, "
     "else float32)", INSTANCE},
    {"method", "M", "sa",
     "sa | ceas | pt | sb-ballistic | sb-discrete | analog\n"
     "sa: simulated annealing on the beta schedule below\n"
     "ceas: the CEAS entropy thermostat: beta set every sweep by the Newton rule so that the "
     "machine entropy falls linearly (starts at --beta0, capped at --beta1)\n"
     "pt: parallel tempering, walkers spread over the MPI ranks (mpirun -np R ceasim anneal "
     "--method pt ...); ladder --beta0 .. --beta1, --sweeps per walker\n"
     "sb-ballistic, sb-discrete: simulated bifurcation (Goto et al. 2019, 2021), --sweeps "
     "time steps; analog: noisy amplitude (mean-field coherent Ising machine) dynamics; "
     "both: docs/anneal_dynamics.md", "method"},
    {"reads", "R", "10", "independent reads, read r uses the stream (seed, r)", SCHED},
    {"sweeps", "S", "1000", "sweeps per read (n spin updates each; sb and analog: time steps)",
     SCHED},
    {"schedule", "K", "geometric", "geometric | linear in beta (sa, ceas, pt)", SCHED},
    {"beta0", "B", "0.1/sigma, sigma = sqrt(sum_ij J_ij^2 / n) the typical local field",
     "first beta", SCHED},
    {"beta1", "B",
     "10/sigma; sa: at least ln(100 n) / (2 x smallest field), so that final states are "
     "frozen", "last beta", SCHED},
    {"schedule-file", "F", NULL,
     "one beta per line, one line per sweep (replaces --schedule, --beta0, --beta1 and "
     "--sweeps)", SCHED},
    {"order", "O", "sequential", "sequential | random site order within a sweep", SCHED},
    {"seed", "S", "1", "seed of the reads (64-bit)", SCHED},
    {"preset", "P", "9k", "9k | 14m | gpt: gains, step bound, u_min", CEAS},
    {"h-end", "H", "0.001", "final target entropy per spin, nats", CEAS},
    {"no-margin", NULL, NULL, "no keep-out band around the on-the-fly beta_c", CEAS},
    {"temperatures", "M", "16", "walkers / temperatures", "pt"},
    {"exchange-every", "K", "1", "sweeps between exchange rounds", "pt"},
    {"tune-rounds", "T", "4",
     "re-place the ladder T times for uniform acceptance, each round --tune-sweeps sweeps "
     "before the --sweeps measured ones (counted in the work and time reported)", "pt"},
    {"tune-sweeps", "S", "1000", "sweeps per tuning round", "pt"},
    {"dt", "T", "sb: min(1.25, 0.8 x the step's stability limit), from the instance; "
     "analog: 0.1", "time step of the equations of motion", DYN},
    {"a0", "A", "1", "sb: bifurcation parameter (the pump ramps from 0 to a0)", DYN},
    {"c0", "C", "0.5/(sigma_J sqrt(n))", "sb: coupling", DYN},
    {"eps", "E", "1/field scale", "analog: coupling", DYN},
    {"p0", "P", "-1", "analog: pump at the first step (linear ramp to --p1)", DYN},
    {"p1", "P", "1.5", "analog: pump at the last step", DYN},
    {"noise", "S", "0.3", "analog: sigma of the Wiener increment", DYN},
    {"x-init", "X", "sb 0.1, analog 0.01",
     "initial amplitudes (and sb's momenta) uniform in [-X, X]", DYN},
    {"check-every", "K", "1", "read out sign(x) every K steps", DYN},
    {"j-bits", "B", "0",
     "store couplings with B bits (2..32; 0 = exact) on a symmetric grid over +-max|J|; "
     "energies are reported on the true couplings", NPU},
    {"j-rounding", "R", "nearest", "nearest | stochastic", NPU},
    {"field-noise", "S", "0: none",
     "Gaussian noise of sigma S x field scale on the local field each time a spin decision "
     "reads it (sa, ceas, pt) or a step computes it (sb, analog)", NPU},
    {"update", "U", "async",
     "async | sync (sa, ceas, pt): sync = a clocked array, every spin decides from the "
     "fields at the start of the sweep, then all flips are applied. Not a valid sampler: it "
     "falls into two-cycles (s -> -s) at local energy maxima. sb and analog are sync by "
     "construction", NPU},
    {"cost-pj", "SPEC",
     "Horowitz ISSCC 2014, 45 nm: mac 4.6 (float32; 0.23 for 2-8 bit, 3.2 for 9-32 bit "
     "couplings), byte 1.25 (8 KB SRAM), update 4.6",
     "picojoules of the cost model, e.g. mac=0.23,byte=160,update=4.6 (any subset)", NPU},
    {"kernel", "K", "auto",
     "sa, pt: auto | fields | packed: packed runs 64 reads (sa) or 64 PT systems (pt) at "
     "once in the replica-packed multi-spin-coded kernel, couplings as bond masks; for "
     "ea2d/ea3d +-J instances with even L, async updates and no field noise (auto: "
     "whenever that holds)", NPU},
    {"device", "cpu|gpu", "cpu",
     "where the reads run; gpu: sa and sb-discrete on a CUDA GPU (a -DCEASIM_CUDA=ON "
     "build), bit for bit the CPU's reads, all at once", NPU},
    {"target", "E|exact", NULL,
     "a read succeeds when it reaches energy <= E (total); exact: the exact ground-state "
     "energy (needs n <= 24)", TARGETS},
    {"target-cut", "C", NULL, "the same as a cut value (G-set files)", TARGETS},
    {"exact", NULL, NULL,
     "enumerate the ground state (n <= 24; automatic for n <= " STR(CEAS_ANNEAL_EXACT_AUTO)
     ")", TARGETS},
    {"trace-every", "K", NULL,
     "record each read's energy every K sweeps (pt: the lowest energy over the walkers; K a "
     "multiple of --exchange-every)", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

void ceas_anneal_options_default(ceas_anneal_options *a) {
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
}

int ceas_anneal_option_set(ceas_anneal_options *a, const char *key, const char *optarg) {
  const ceas_option *opt = ceas_option_find(ceas_anneal_option_table, key);
  if (!opt) return ceas_error_set(CEAS_EINPUT, "unknown anneal option '--%s'", key);
  int c = (int)(opt - ceas_anneal_option_table);
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  int rc = CEAS_OK;
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
      case OPT_METHOD: a->method = optarg; break;
      case OPT_READS:
        rc = ceas_parse_count(optarg, what, &a->reads);
        if (!rc && a->reads < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--reads: expected at least 1, got %s", optarg);
        break;
      case OPT_SWEEPS:
        rc = ceas_parse_count(optarg, what, &a->sweeps);
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
        rc = ceas_parse_count(optarg, what, &a->trace_every);
        if (!rc && a->trace_every < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--trace-every: expected at least 1, got %s",
                              optarg);
        break;
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
        rc = ceas_parse_count(optarg, what, &a->exchange_every);
        if (!rc && a->exchange_every < 1)
          rc = ceas_error_set(CEAS_EINPUT, "--exchange-every: expected at least 1, got %s", optarg);
        a->have_pt = 1;
        break;
      case OPT_TROUNDS:
        rc = ceas_parse_long(optarg, what, 0, 1000, &a->tune_rounds);
        a->have_pt = 1;
        break;
      case OPT_TSWEEPS:
        rc = ceas_parse_count(optarg, what, &a->tune_sweeps);
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
        rc = ceas_parse_count(optarg, what, &a->dyn.check_every);
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
      case OPT_DEVICE:
        if (strcmp(optarg, "cpu") && strcmp(optarg, "gpu"))
          rc = ceas_error_set(CEAS_EINPUT, "--device: expected cpu or gpu, got '%s'", optarg);
        a->gpu = !strcmp(optarg, "gpu");
        break;
  }
  return rc;
}

int ceas_anneal_options_finish(ceas_anneal_options *a) {
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


int ceas_anneal_options_problem(const ceas_anneal_options *a, ceas_anneal_problem **pb) {
  if (a->couplings) return ceas_anneal_problem_from_couplings(a->couplings, pb);
  if (a->gset) return ceas_anneal_problem_read_gset(a->gset, pb);
  if (!strcmp(a->model, "sk")) return ceas_anneal_problem_sk(a->n, a->bonds, a->instance_seed, pb);
  return ceas_anneal_problem_ea(a->model[2] == '2' ? 2 : 3, a->L, a->bonds, a->instance_seed,
                                pb);
}

void ceas_anneal_setup_free(ceas_anneal_setup *s) {
  ceas_anneal_schedule_free(&s->sched);
  ceas_anneal_problem_free(s->pb);
  ceas_anneal_problem_free(s->pq);
  s->pb = s->pq = NULL;
  s->pm = NULL;
}

int ceas_anneal_setup_make(const ceas_anneal_options *a, ceas_anneal_setup *s) {
  memset(s, 0, sizeof *s);
  s->e0 = NAN;
  s->method = a->m;
  ceas_anneal_params *p = &s->p;
  int rc;
  if ((rc = ceas_anneal_options_problem(a, &s->pb))) return rc;
  ceas_anneal_problem *pb = s->pb;
  if ((rc = ceas_anneal_problem_set_dense(pb, a->dense))) return rc;
  /* The machine's couplings: the instance's, or stored with j_bits of precision. The
   * methods run on them; energies are then rescored on the true couplings. */
  if (a->j_bits > 0) {
    if ((rc = ceas_anneal_quantize(pb, (int)a->j_bits, a->j_rounding, a->seed, &s->pq,
                                   &s->qrep)))
      return rc;
    if ((rc = ceas_anneal_problem_set_dense(s->pq, a->dense))) return rc;
  }
  s->pm = s->pq ? s->pq : pb;
  ceas_anneal_params_default(p);
  p->seed = a->seed;
  p->order = a->order;
  p->trace_every = a->trace_every;
  p->update = a->update;
  p->field_noise = a->field_noise;
  p->j_bits = (int)a->j_bits;
  if (a->gpu && a->kernel == 1)
    return ceas_error_set(CEAS_EINPUT, "--kernel packed: not with --device gpu");
  if (a->gpu)
    rc = ceas_anneal_method_device(a->m, s->pm, p, 1, &s->method);
  else
    rc = ceas_anneal_method_kernel(a->m, s->pm, p, a->kernel, &s->method);
  if (rc) return rc;
  const ceas_anneal_method *method = s->method;
  ceas_anneal_cost_pj_default(p->j_bits, &s->pj);
  if (a->cost_pj && (rc = ceas_anneal_cost_pj_parse(a->cost_pj, &s->pj))) return rc;
  p->cost_pj = &s->pj;
  const void *mp[] = {[CEAS_ANNEAL_PARAMS_NONE] = NULL, [CEAS_ANNEAL_PARAMS_CEAS] = &a->ceas,
                      [CEAS_ANNEAL_PARAMS_DYN] = &a->dyn, [CEAS_ANNEAL_PARAMS_PT] = &a->pt};
  p->method_params = mp[method->params];
  int want_exact = a->exact || (a->target && !strcmp(a->target, "exact"));
  if (want_exact && pb->n > CEAS_ANNEAL_EXACT_MAX)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: the instance has %lld spins; exact enumeration needs n <= %d",
                          a->exact ? "--exact" : "--target exact", (long long)pb->n,
                          CEAS_ANNEAL_EXACT_MAX);
  if (want_exact || pb->n <= CEAS_ANNEAL_EXACT_AUTO)
    if ((rc = ceas_anneal_exact_ground(pb, &s->e0, &s->deg, NULL))) return rc;
  if (a->target) {
    p->has_target = 1;
    if (!strcmp(a->target, "exact"))
      p->target = s->e0;
    else if ((rc = ceas_parse_double(a->target, "--target", &p->target)))
      return rc;
  } else if (a->target_cut) {
    double c;
    if (!pb->maxcut)
      return ceas_error_set(CEAS_EINPUT,
                            "--target-cut: only G-set (MaxCut) instances have cut values; use "
                            "--target E");
    if ((rc = ceas_parse_double(a->target_cut, "--target-cut", &c))) return rc;
    p->has_target = 1;
    p->target = ceas_anneal_energy_of_cut(pb, c);
  }
  if (a->schedule_file) {
    rc = ceas_anneal_schedule_read(a->schedule_file, &s->sched);
  } else {
    double b0, b1;
    method->default_betas(pb, &b0, &b1);
    rc = ceas_anneal_schedule_make(a->sched, a->have_beta0 ? a->beta0 : b0,
                                   a->have_beta1 ? a->beta1 : b1, a->sweeps, &s->sched);
  }
  if (rc) return rc;
  p->schedule = &s->sched;
  return CEAS_OK;
}
