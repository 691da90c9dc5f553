/* ceasim attention: an attention head as a Gibbs system (docs/attention.md,
 * docs/mapping.md): beta-grid scan, summary, optional Newton controller, HDF5. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_attention.h"
#include "ceas_head_analysis.h"
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

int ceas_cli_attention(int argc, char **argv) {
  att_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    attention_usage(stdout);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if (a.out && (rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_head_analysis_params ap = {.have_grid = a.have_grid, .b0 = a.b0, .b1 = a.b1,
                                  .nb = a.nb, .controller = a.controller,
                                  .no_margin = a.no_margin, .preset = a.preset};
  ceas_attention_ctrl_params *cpp = &ap.cp;
  if (a.controller) {
    if ((rc = ceas_attention_ctrl_defaults(a.preset, cpp))) return ceas_cli_fail(rc);
    if (!isnan(a.kmax)) cpp->kappa_max = a.kmax;
    if (!isnan(a.kinf)) cpp->kappa_inf = a.kinf;
    if (!isnan(a.tau)) cpp->tau_kappa = a.tau;
    if (!isnan(a.dbmax)) cpp->dbeta_max = a.dbmax;
    if (!isnan(a.umin)) cpp->u_min = a.umin;
    if (!isnan(a.toff)) cpp->target_offset = a.toff;
    if (a.steps > 0) cpp->steps = (size_t)a.steps;
  }
  ceas_headsrc *hs = NULL;
  if ((rc = ceas_headsrc_load(&a.src, &hs))) return ceas_cli_fail(rc);
  ceas_head_analysis *res = NULL;
  if ((rc = ceas_head_analyse(hs, &ap, &res))) goto done;
  const ceas_head_analysis r = *res;
  const ceas_attention_head *h = hs->head;
  const ceas_attention_scan *sc = r.sc;
  const ceas_attention_traj *tr = r.tr;
  const ceas_attention_ctrl_params cp = r.cp;
  size_t n = h->n;
  double beta0 = r.beta0;
  a.b0 = r.b0;
  a.b1 = r.b1;
  a.nb = r.nb;

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
  ceas_head_mean_err pk = {sc->peak_mean, sc->peak_err};
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
      rc = ceas_head_analysis_write(f.file, &a.src, hs, res, a.preset,
                                    ceas_cli_command_line());
      if (rc)
        ceas_io_file_abort(&f);
      else
        rc = ceas_io_file_commit(&f);
    }
    if (!rc) printf("wrote %s\n", a.out);
  }
done:
  ceas_head_analysis_free(res);
  ceas_headsrc_free(hs);
  return rc ? ceas_cli_fail(rc) : 0;
}
