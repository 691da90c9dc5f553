/* ceasim anneal's options as a library: key/value setter, cross-checks, and the
 * setup (instance, schedule, params) that ceas_anneal_run takes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_anneal_options.h"

enum {
  OPT_COUPLINGS, OPT_GSET, OPT_MODEL, OPT_N, OPT_L, OPT_BONDS, OPT_ISEED, OPT_DENSE,
  OPT_METHOD, OPT_READS, OPT_SWEEPS, OPT_SCHEDULE, OPT_BETA0, OPT_BETA1,
  OPT_SCHEDULE_FILE, OPT_ORDER, OPT_SEED, OPT_TARGET, OPT_TARGET_CUT, OPT_EXACT,
  OPT_TRACE, OPT_PRESET, OPT_H_END, OPT_NO_MARGIN, OPT_TEMPS, OPT_XEVERY, OPT_TROUNDS,
  OPT_TSWEEPS, OPT_DT, OPT_A0, OPT_C0, OPT_EPS, OPT_P0, OPT_P1, OPT_NOISE, OPT_XINIT,
  OPT_CHECK, OPT_FNOISE, OPT_JBITS, OPT_JROUND, OPT_UPDATE, OPT_COSTPJ, OPT_KERNEL
};

/* In the order of the enum above. */
const ceas_anneal_option_key ceas_anneal_option_keys[] = {
    {"couplings", 1}, {"gset", 1}, {"model", 1}, {"n", 1}, {"L", 1}, {"bonds", 1},
    {"instance-seed", 1}, {"dense", 1}, {"method", 1}, {"reads", 1}, {"sweeps", 1},
    {"schedule", 1}, {"beta0", 1}, {"beta1", 1}, {"schedule-file", 1}, {"order", 1},
    {"seed", 1}, {"target", 1}, {"target-cut", 1}, {"exact", 0}, {"trace-every", 1},
    {"preset", 1}, {"h-end", 1}, {"no-margin", 0}, {"temperatures", 1},
    {"exchange-every", 1}, {"tune-rounds", 1}, {"tune-sweeps", 1}, {"dt", 1}, {"a0", 1},
    {"c0", 1}, {"eps", 1}, {"p0", 1}, {"p1", 1}, {"noise", 1}, {"x-init", 1},
    {"check-every", 1}, {"field-noise", 1}, {"j-bits", 1}, {"j-rounding", 1},
    {"update", 1}, {"cost-pj", 1}, {"kernel", 1}, {NULL, 0}};

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
  int c = 0;
  while (ceas_anneal_option_keys[c].name && strcmp(ceas_anneal_option_keys[c].name, key)) c++;
  if (!ceas_anneal_option_keys[c].name)
    return ceas_error_set(CEAS_EINPUT, "unknown anneal option '--%s'", key);
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
  if ((rc = ceas_anneal_method_kernel(a->m, s->pm, p, a->kernel, &s->method))) return rc;
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
