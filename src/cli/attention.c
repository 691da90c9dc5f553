/* ceasim attention: an attention head as a Gibbs system (docs/attention.md,
 * docs/mapping.md): beta-grid scan, summary, optional Newton controller, HDF5. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"
#include "ceas_headsrc.h"
#include "ceas_io.h"
#include "cli.h"

static void attention_usage(FILE *out) {
  fprintf(out,
          "usage: ceasim attention (--synthetic --tokens N --d-k D --seed S [--kind K]\n"
          "                        | --weights FILE [tensor options]) [options]\n"
          "\n"
          "Softmax attention as a Gibbs system, raw scores s_ij = q_i.k_j, p ~ exp(beta s)\n"
          "(textbook softmax(q.k/sqrt(d_k)) is beta = 1/sqrt(d_k)): head-mean entropy,\n"
          "N_eff, Var, heat beta^2 Var, gate T, beta* on a beta grid, and the CEAS Newton\n"
          "controller.\n"
          "\n"
          "head source:\n"
          "  --synthetic          synthetic head (needs --tokens, --d-k, --seed)\n"
          "  --tokens N --d-k D   tokens (N >= 2) and head dimension\n"
          "  --kind K             gaussian | clustered | lowrank [gaussian]\n"
          "  --clusters C --spread X   clustered keys [4, 0.5]\n"
          "  --rank R             lowrank scores [2]\n"
          "  --seed S             synthetic seed\n"
          "  --weights FILE       safetensors or HDF5: tensors Q, K [n, d_k], or\n"
          "                       X [n, d_model] and W_q, W_k [n_heads*d_k, d_model]\n"
          "  --q NAME --k NAME    direct tensor names [Q, K]\n"
          "  --x NAME --wq NAME --wk NAME   projection tensor names [X, W_q, W_k]\n"
          "  --head H --n-heads N use rows H*d_k..(H+1)*d_k-1 of W_q, W_k\n"
          "analysis:\n"
          "  --beta A:B:N         beta grid, N >= 3 points [0 : 3 sqrt(2 ln n)/sigma : 301]\n"
          "  --controller         run the Newton controller from beta = 1/sqrt(d_k)\n"
          "  --preset P           9k | 14m | gpt [9k]\n"
          "  --kappa-max X --kappa-inf X --tau-kappa X --dbeta-max X --u-min X\n"
          "  --target-offset X --steps N    override the preset\n"
          "  --no-margin          no u_min margin (default: margin around the\n"
          "                       beta of the head-mean heat peak)\n"
          "output:\n"
          "  --out FILE           write HDF5 (atomically; refuses to overwrite)\n"
          "  --force              allow --out to replace an existing file\n");
}

enum {
  OPT_BETA = 256, OPT_CONTROLLER, OPT_PRESET, OPT_KMAX, OPT_KINF, OPT_TAU, OPT_DBMAX,
  OPT_UMIN, OPT_TOFF, OPT_STEPS, OPT_NOMARGIN, OPT_OUT, OPT_FORCE, OPT_HELP, OPT_SRC
};

static const struct option att_options[] = {
    {"beta", required_argument, 0, OPT_BETA},
    {"controller", no_argument, 0, OPT_CONTROLLER},
    {"preset", required_argument, 0, OPT_PRESET},
    {"kappa-max", required_argument, 0, OPT_KMAX},
    {"kappa-inf", required_argument, 0, OPT_KINF},
    {"tau-kappa", required_argument, 0, OPT_TAU},
    {"dbeta-max", required_argument, 0, OPT_DBMAX},
    {"u-min", required_argument, 0, OPT_UMIN},
    {"target-offset", required_argument, 0, OPT_TOFF},
    {"steps", required_argument, 0, OPT_STEPS},
    {"no-margin", no_argument, 0, OPT_NOMARGIN},
    {"out", required_argument, 0, OPT_OUT},
    {"force", no_argument, 0, OPT_FORCE},
    {"help", no_argument, 0, OPT_HELP},
    CEAS_CLI_HEADSRC_OPTIONS(OPT_SRC),
    {0, 0, 0, 0}};

/* Overridable controller parameters: NAN = take the preset's value. */
typedef struct {
  ceas_headsrc_spec src;
  int have_grid;
  double b0, b1;
  long nb;
  int controller, no_margin;
  const char *preset;
  double kmax, kinf, tau, dbmax, umin, toff;
  long steps;
  const char *out;
  int force, help;
} att_args;

static int parse_pos(const char *s, const char *what, int allow_zero, double *out) {
  int rc = ceas_parse_double(s, what, out);
  if (!rc && !(allow_zero ? *out >= 0 : *out > 0))
    rc = ceas_error_set(CEAS_EINPUT, "%s: expected a number %s 0, got %s", what,
                        allow_zero ? ">=" : ">", s);
  return rc;
}

static int parse_grid(const char *s, att_args *a) {
  char buf[256];
  if (strlen(s) >= sizeof buf) return ceas_error_set(CEAS_EINPUT, "--beta: too long");
  strcpy(buf, s);
  char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2)
    return ceas_error_set(CEAS_EINPUT, "--beta: expected A:B:N (grid from A to B, N points), got '%s'", s);
  *c1 = *c2 = 0;
  int rc = ceas_parse_double(buf, "--beta A", &a->b0);
  if (!rc) rc = ceas_parse_double(c1 + 1, "--beta B", &a->b1);
  if (!rc) rc = ceas_parse_long(c2 + 1, "--beta N", 3, 1000000, &a->nb);
  if (!rc && !(a->b1 > a->b0))
    rc = ceas_error_set(CEAS_EINPUT, "--beta: expected A < B, got '%s'", s);
  if (!rc) a->have_grid = 1;
  return rc;
}

static int parse_args(int argc, char **argv, att_args *a) {
  memset(a, 0, sizeof *a);
  ceas_headsrc_spec_default(&a->src);
  a->preset = "9k";
  a->kmax = a->kinf = a->tau = a->dbmax = a->umin = a->toff = NAN;
  a->steps = -1;
  opterr = 0;
  optind = 1;
  int c, idx = 0, rc = CEAS_OK;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, att_options, &idx)) != -1) {
    char what[64];
    snprintf(what, sizeof what, "--%s", c >= OPT_BETA ? att_options[idx].name : "");
    switch (c) {
      case OPT_BETA: rc = parse_grid(optarg, a); break;
      case OPT_CONTROLLER: a->controller = 1; break;
      case OPT_PRESET:
        if (!ceas_attention_preset_find(optarg))
          rc = ceas_error_set(CEAS_EINPUT, "--preset: expected 9k, 14m or gpt, got '%s'", optarg);
        a->preset = optarg;
        break;
      case OPT_KMAX: rc = parse_pos(optarg, what, 1, &a->kmax); break;
      case OPT_KINF: rc = parse_pos(optarg, what, 0, &a->kinf); break;
      case OPT_TAU: rc = parse_pos(optarg, what, 0, &a->tau); break;
      case OPT_DBMAX: rc = parse_pos(optarg, what, 0, &a->dbmax); break;
      case OPT_UMIN: rc = parse_pos(optarg, what, 1, &a->umin); break;
      case OPT_TOFF: rc = parse_pos(optarg, what, 0, &a->toff); break;
      case OPT_STEPS: rc = ceas_parse_long(optarg, what, 1, 100000000, &a->steps); break;
      case OPT_NOMARGIN: a->no_margin = 1; break;
      case OPT_OUT: a->out = optarg; break;
      case OPT_FORCE: a->force = 1; break;
      case OPT_HELP: a->help = 1; break;
      case OPT_SRC: rc = ceas_headsrc_option(&a->src, att_options[idx].name, optarg, what); break;
      default: rc = ceas_cli_option_error(c, argv, "attention");
    }
  }
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim attention --help)",
                        argv[optind]);
  if (!rc && a->help) return rc;
  if (!rc) rc = ceas_headsrc_validate(&a->src);
  if (!rc && !a->controller &&
      (!isnan(a->kmax) || !isnan(a->kinf) || !isnan(a->tau) || !isnan(a->dbmax) ||
       !isnan(a->umin) || !isnan(a->toff) || a->steps >= 0 || a->no_margin))
    rc = ceas_error_set(CEAS_EINPUT,
                        "controller options (--kappa-max ... --steps, --no-margin): expected "
                        "--controller too");
  return rc;
}

typedef struct {
  double mean, err;
} mean_err;

static mean_err stats(const double *x, size_t n) {
  mean_err r = {NAN, NAN};
  size_t m = 0;
  double s = 0, s2 = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i])) {
      s += x[i];
      m++;
    }
  if (!m) return r;
  r.mean = s / m;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i])) s2 += (x[i] - r.mean) * (x[i] - r.mean);
  r.err = m > 1 ? sqrt(s2 / (m - 1) / m) : NAN;
  return r;
}

static int write_matrix(hid_t loc, const char *name, const double *x, size_t r, size_t c) {
  return ceas_io_write_doubles_2d(loc, name, x, r, c);
}

typedef struct {
  const att_args *a;
  const ceas_headsrc *hs;
  const ceas_attention_scan *sc;
  const double *sigma, *bstar0, *bfix, *H0;
  mean_err m_sigma, m_rem, m_bstar0, m_bfix, m_H0;
  double beta0;
  const ceas_attention_ctrl_params *cp;
  const ceas_attention_traj *tr;
  size_t n_clip, n_margin, n_guard;
} att_result;

/* `units` and `description` of every dataset (ceas_io_describe). Every beta is
 * in 1/(raw score): the raw scores s_ij = q_i.k_j are the unit. */
#define HEAD_AVG " averaged over the head's queries"
#define HEAD_ERR "error of the head average: sd over queries / sqrt(n)"
static const ceas_io_doc attention_docs[] = {
    {"beta", "1/(raw score)", "the beta grid of the scan"},
    {"H_mean", "nats", "attention entropy H(beta)" HEAD_AVG},
    {"H_err", "nats", HEAD_ERR},
    {"N_eff", "tokens", "effective number of attended tokens exp(H_mean)"},
    {"N_eff_err", "tokens", "N_eff * H_err"},
    {"var_mean", "(raw score)^2", "score variance Var_p[s] under the attention weights" HEAD_AVG},
    {"var_err", "(raw score)^2", HEAD_ERR},
    {"heat_mean", "dimensionless", "specific heat C = beta^2 Var_p[s]" HEAD_AVG},
    {"heat_err", "dimensionless", HEAD_ERR},
    {"gate_mean", "dimensionless",
     "gating score T = beta sigma_qk sqrt(2 ln N_eff)" HEAD_AVG},
    {"gate_err", "dimensionless", HEAD_ERR},
    {"beta_star_mean", "1/(raw score)",
     "final address beta*(beta) = sqrt(2 ln N_eff(beta)) / sigma_qk" HEAD_AVG},
    {"beta_star_err", "1/(raw score)", HEAD_ERR},
    {"query/peak_beta", "1/(raw score)", "beta of the maximum of C(beta), per query"},
    {"query/sigma_qk", "raw score", "spread (population sd) of the query's n scores"},
    {"query/beta_star_at_beta0", "1/(raw score)", "beta*(beta0) per query (beta0: root attribute)"},
    {"query/beta_star_fixed", "1/(raw score)",
     "self-consistent address beta = sqrt(2 H(beta)) / sigma_qk, per query"},
    {"query/H_at_beta0", "nats", "attention entropy at beta0, per query"},
    {"head/Q", "raw (q_i.k_j is a raw score)",
     "query vectors q_i (n_tokens x d_k); s_ij = q_i.k_j"},
    {"head/K", "raw (q_i.k_j is a raw score)", "key vectors k_j (n_tokens x d_k)"},
    {"controller/beta", "1/(raw score)", "beta of the Newton controller at each step (0..steps)"},
    {"controller/H", "nats", "head-average entropy at each step (0..steps)"},
    {"controller/clipped", "dimensionless (1 or 0)",
     "1 if the step's Newton update was clipped to |dbeta| <= dbeta_max"},
    {"controller/guard", "dimensionless (1 or 0)",
     "1 if the positivity guard halved beta at this step"},
    {"controller/margin", "dimensionless (1 or 0)",
     "1 if the u_min margin around beta_c moved beta at this step"},
    {NULL, NULL, NULL}};
#undef HEAD_AVG
#undef HEAD_ERR

static int write_output(hid_t f, const att_result *r) {
  const ceas_attention_scan *sc = r->sc;
  const ceas_attention_head *h = r->hs->head;
  size_t nb = sc->n_beta, n = h->n;
  int rc = ceas_io_attr_string(f, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(f, "command_line", ceas_cli_command_line());
  if (!rc) rc = ceas_io_attr_string(f, "score_convention",
                                    "raw scores s_ij = q_i.k_j, p_ij ~ exp(beta s_ij); "
                                    "textbook softmax is beta = 1/sqrt(d_k)");
  if (!rc) rc = ceas_headsrc_write_attrs(f, &r->a->src, r->hs);
  if (!rc) rc = ceas_io_attr_int64(f, "n_tokens", (int64_t)n);
  if (!rc) rc = ceas_io_attr_int64(f, "d_k", (int64_t)h->d_k);
  if (!rc) rc = ceas_io_attr_double(f, "beta0", r->beta0);
  struct { const char *name; mean_err v; } me[] = {
      {"sigma_qk", r->m_sigma}, {"beta_rem", r->m_rem}, {"beta_star_at_beta0", r->m_bstar0},
      {"beta_star_fixed", r->m_bfix}, {"H_at_beta0", r->m_H0},
      {"heat_peak_beta", {sc->peak_mean, sc->peak_err}}};
  for (size_t i = 0; !rc && i < sizeof me / sizeof me[0]; i++) {
    char nm[96];
    snprintf(nm, sizeof nm, "%s_mean", me[i].name);
    rc = ceas_io_attr_double(f, nm, me[i].v.mean);
    snprintf(nm, sizeof nm, "%s_err", me[i].name);
    if (!rc) rc = ceas_io_attr_double(f, nm, me[i].v.err);
  }
  if (!rc) rc = ceas_io_attr_double(f, "N_eff_at_beta0", exp(r->m_H0.mean));
  if (!rc) rc = ceas_io_attr_double(f, "heat_peak_of_mean", sc->peak_of_mean);
  /* beta-grid curves */
  double *ne = malloc(2 * nb * sizeof *ne);
  if (!ne) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  for (size_t b = 0; b < nb; b++) {
    ne[b] = exp(sc->H_mean[b]);
    ne[nb + b] = ne[b] * sc->H_err[b];
  }
  struct { const char *name; const double *x; size_t len; } ds[] = {
      {"beta", sc->beta, nb}, {"H_mean", sc->H_mean, nb}, {"H_err", sc->H_err, nb},
      {"N_eff", ne, nb}, {"N_eff_err", ne + nb, nb},
      {"var_mean", sc->var_mean, nb}, {"var_err", sc->var_err, nb},
      {"heat_mean", sc->heat_mean, nb}, {"heat_err", sc->heat_err, nb},
      {"gate_mean", sc->gate_mean, nb}, {"gate_err", sc->gate_err, nb},
      {"beta_star_mean", sc->beta_star_mean, nb}, {"beta_star_err", sc->beta_star_err, nb},
      {"query/peak_beta", sc->peak_beta, n}, {"query/sigma_qk", r->sigma, n},
      {"query/beta_star_at_beta0", r->bstar0, n}, {"query/beta_star_fixed", r->bfix, n},
      {"query/H_at_beta0", r->H0, n}};
  hid_t gq = -1;
  if (!rc) rc = ceas_io_group(f, "query", &gq);
  for (size_t i = 0; !rc && i < sizeof ds / sizeof ds[0]; i++)
    rc = ceas_io_write_doubles(f, ds[i].name, ds[i].x, ds[i].len);
  if (gq >= 0) H5Gclose(gq);
  free(ne);
  hid_t gh = -1;
  if (!rc) rc = ceas_io_group(f, "head", &gh);
  if (!rc) rc = write_matrix(gh, "Q", h->q, n, h->d_k);
  if (!rc) rc = write_matrix(gh, "K", h->k, n, h->d_k);
  if (gh >= 0) H5Gclose(gh);
  if (!rc && r->tr) {
    const ceas_attention_traj *t = r->tr;
    const ceas_attention_ctrl_params *p = r->cp;
    hid_t g = -1;
    rc = ceas_io_group(f, "controller", &g);
    int8_t *fl = rc ? NULL : malloc((t->steps + 1) * 3);
    if (!rc && !fl) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    if (!rc) {
      for (size_t s = 0; s < t->steps; s++) {
        fl[s] = (int8_t)t->clipped[s];
        fl[t->steps + 1 + s] = (int8_t)t->guard[s];
      }
      for (size_t s = 0; s <= t->steps; s++) fl[2 * (t->steps + 1) + s] = (int8_t)t->margin[s];
    }
    if (!rc) rc = ceas_io_write_doubles(g, "beta", t->beta, t->steps + 1);
    if (!rc) rc = ceas_io_write_doubles(g, "H", t->H, t->steps + 1);
    if (!rc) rc = ceas_io_write_int8(g, "clipped", fl, t->steps);
    if (!rc) rc = ceas_io_write_int8(g, "guard", fl + t->steps + 1, t->steps);
    if (!rc) rc = ceas_io_write_int8(g, "margin", fl + 2 * (t->steps + 1), t->steps + 1);
    free(fl);
    if (!rc) rc = ceas_io_attr_string(g, "preset", r->a->preset);
    struct { const char *name; double v; } at[] = {
        {"kappa_max", p->kappa_max}, {"kappa_inf", p->kappa_inf}, {"tau_kappa", p->tau_kappa},
        {"dbeta_max", p->dbeta_max}, {"eps", p->eps}, {"target_offset", p->target_offset},
        {"tol", p->tol}, {"beta0", r->beta0}, {"beta_c", p->beta_c}, {"u_min", p->u_min},
        {"H_target", t->H_target}};
    for (size_t i = 0; !rc && i < sizeof at / sizeof at[0]; i++)
      rc = ceas_io_attr_double(g, at[i].name, at[i].v);
    if (!rc) rc = ceas_io_attr_int64(g, "steps", (int64_t)t->steps);
    if (!rc) rc = ceas_io_attr_int64(g, "corridor_step", t->corridor_step);
    if (!rc) rc = ceas_io_attr_int64(g, "n_clipped", (int64_t)r->n_clip);
    if (!rc) rc = ceas_io_attr_int64(g, "n_margin", (int64_t)r->n_margin);
    if (!rc) rc = ceas_io_attr_int64(g, "n_guard", (int64_t)r->n_guard);
    if (!rc) rc = ceas_io_attr_int64(g, "margin_enabled", p->beta_c > 0);
    if (g >= 0) H5Gclose(g);
  }
  return rc ? rc : ceas_io_describe(f, attention_docs);
}

int ceas_cli_attention(int argc, char **argv) {
  att_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    attention_usage(stdout);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if (a.out && (rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_attention_ctrl_params cp;
  if (a.controller) {
    if ((rc = ceas_attention_ctrl_defaults(a.preset, &cp))) return ceas_cli_fail(rc);
    if (!isnan(a.kmax)) cp.kappa_max = a.kmax;
    if (!isnan(a.kinf)) cp.kappa_inf = a.kinf;
    if (!isnan(a.tau)) cp.tau_kappa = a.tau;
    if (!isnan(a.dbmax)) cp.dbeta_max = a.dbmax;
    if (!isnan(a.umin)) cp.u_min = a.umin;
    if (!isnan(a.toff)) cp.target_offset = a.toff;
    if (a.steps > 0) cp.steps = (size_t)a.steps;
  }
  ceas_headsrc *hs = NULL;
  if ((rc = ceas_headsrc_load(&a.src, &hs))) return ceas_cli_fail(rc);
  const ceas_attention_head *h = hs->head;
  size_t n = h->n;
  double beta0 = 1 / sqrt((double)h->d_k);
  size_t bytes;
  const size_t nn[] = {n, n, sizeof(double)};
  rc = ceas_size_check("the head's n x n score matrix (n from --tokens or --weights)", &bytes,
                       3, nn);
  double *s = rc ? NULL : malloc(bytes), *per = rc ? NULL : malloc(4 * n * sizeof *per),
         *grid = NULL;
  ceas_attention_scan *sc = NULL;
  ceas_attention_traj *tr = NULL;
  if (rc) goto done;
  if (!s || !per) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory for %zu x %zu scores", n, n);
    goto done;
  }
  ceas_attention_head_score_matrix(h, s);
  double *sigma = per, *bstar0 = per + n, *bfix = per + 2 * n, *H0 = per + 3 * n;
  for (size_t i = 0; !rc && i < n; i++) {
    ceas_attention_gibbs g;
    rc = ceas_attention_gibbs_eval(s + i * n, n, beta0, &g, NULL);
    if (rc) break;
    sigma[i] = g.sigma;
    bstar0[i] = g.beta_star;
    H0[i] = g.H;
    if (g.sigma > 0) {
      if ((rc = ceas_attention_beta_star_fixed(s + i * n, n, &bfix[i]))) break;
    } else
      bfix[i] = INFINITY;
  }
  if (rc) goto done;
  mean_err m_sigma = stats(sigma, n);
  if (!a.have_grid) {
    if (!(m_sigma.mean > 0)) {
      rc = ceas_error_set(CEAS_EINPUT, "head has all-equal scores (sigma_qk = 0): give --beta A:B:N");
      goto done;
    }
    a.b0 = 0;
    a.b1 = 3 * sqrt(2 * log((double)n)) / m_sigma.mean;
    a.nb = 301;
  }
  grid = malloc((size_t)a.nb * sizeof *grid);
  if (!grid) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    goto done;
  }
  for (long b = 0; b < a.nb; b++) grid[b] = a.b0 + (a.b1 - a.b0) * b / (a.nb - 1);
  if ((rc = ceas_attention_scan_alloc(h, grid, (size_t)a.nb, &sc))) goto done;
  att_result r = {0};
  r.a = &a;
  r.hs = hs;
  r.sc = sc;
  r.sigma = sigma;
  r.bstar0 = bstar0;
  r.bfix = bfix;
  r.H0 = H0;
  r.m_sigma = m_sigma;
  double *rem = malloc(n * sizeof *rem);
  if (!rem) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) rem[i] = sigma[i] > 0 ? sqrt(2 * log((double)n)) / sigma[i] : INFINITY;
  r.m_rem = stats(rem, n);
  free(rem);
  r.m_bstar0 = stats(bstar0, n);
  r.m_bfix = stats(bfix, n);
  r.m_H0 = stats(H0, n);
  r.beta0 = beta0;
  if (a.controller) {
    cp.beta0 = beta0;
    cp.beta_c = a.no_margin ? 0 : sc->peak_of_mean;
    if ((rc = ceas_attention_ctrl_run(s, n, n, h->d_k, &cp, &tr))) goto done;
    for (size_t t = 0; t < tr->steps; t++) {
      r.n_clip += tr->clipped[t] != 0;
      r.n_guard += tr->guard[t] != 0;
    }
    for (size_t t = 0; t <= tr->steps; t++) r.n_margin += tr->margin[t] != 0;
    r.cp = &cp;
    r.tr = tr;
  }

  printf("ceasim %s  attention  %s head: n=%zu tokens, d_k=%zu", ceas_version(), hs->mode, n,
         h->d_k);
  if (a.src.synthetic)
    printf("  (%s, seed %llu)", ceas_headsrc_kind_name(a.src.spec.kind),
           (unsigned long long)a.src.spec.seed);
  else if (a.src.head >= 0)
    printf("  (%s, head %ld of %ld)", a.src.weights, a.src.head, a.src.n_heads);
  else
    printf("  (%s)", a.src.weights);
  printf("\nraw scores q.k, p ~ exp(beta s); textbook softmax is beta0 = 1/sqrt(d_k) = %.6g\n",
         beta0);
  printf("%-40s %14s %12s\n", "quantity (head mean over queries)", "mean", "error");
#define ROW(label, me) printf("%-40s %14.8g %12.3g\n", label, (me).mean, (me).err)
  ROW("sigma_qk", r.m_sigma);
  ROW("REM beta_c = sqrt(2 ln n)/sigma", r.m_rem);
  ROW("beta* at beta0 = sqrt(2 ln N_eff)/sigma", r.m_bstar0);
  ROW("beta* self-consistent", r.m_bfix);
  mean_err pk = {sc->peak_mean, sc->peak_err};
  ROW("per-query peak of beta^2 Var", pk);
  ROW("H at beta0 (nats)", r.m_H0);
  printf("%-40s %14.8g %12.3g\n", "N_eff = exp(H) at beta0", exp(r.m_H0.mean),
         exp(r.m_H0.mean) * r.m_H0.err);
  printf("%-40s %14.8g\n", "peak of head-mean beta^2 Var", sc->peak_of_mean);
  printf("beta grid: %ld points in [%.6g, %.6g]\n", a.nb, a.b0, a.b1);
  if (tr) {
    printf("controller (preset %s): %zu steps, beta %.6g -> %.8g, H_target %.6g, H_end %.6g\n",
           a.preset, tr->steps, tr->beta[0], tr->beta[tr->steps], tr->H_target,
           tr->H[tr->steps]);
    if (tr->corridor_step >= 0)
      printf("  corridor |H - H_target| <= %g entered for good at step %ld\n", cp.tol,
             tr->corridor_step);
    else
      printf("  corridor |H - H_target| <= %g not reached\n", cp.tol);
    printf("  clipping active on %zu steps (|dbeta| <= %g); ", r.n_clip, cp.dbeta_max);
    if (cp.beta_c > 0)
      printf("u_min margin (%g around beta_c = %.6g) active on %zu steps\n", cp.u_min,
             cp.beta_c, r.n_margin);
    else
      printf("no margin\n");
  }
  if (a.out) {
    ceas_io_file f;
    rc = ceas_io_file_create(a.out, a.force, &f);
    if (!rc) {
      rc = write_output(f.file, &r);
      if (rc)
        ceas_io_file_abort(&f);
      else
        rc = ceas_io_file_commit(&f);
    }
    if (!rc) printf("wrote %s\n", a.out);
  }
done:
  ceas_attention_traj_free(tr);
  ceas_attention_scan_free(sc);
  free(grid);
  free(per);
  free(s);
  ceas_headsrc_free(hs);
  return rc ? ceas_cli_fail(rc) : 0;
}
