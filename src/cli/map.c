/* ceasim map: attention head or FFN block -> Ising couplings file (CSR HDF5 that
 * `ceasim run --model graph --couplings FILE` reads). See docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_mapping.h"
#include "cli.h"

static void map_usage(FILE *out) {
  fprintf(out,
          "usage: ceasim map (head source) [options] --out FILE\n"
          "       ceasim map --ffn --weights FILE [--w1 NAME] [--w2 NAME] [options] --out FILE\n"
          "\n"
          "Attention -> Ising couplings on the tokens: J = (S + S^T)/2 of the raw scores\n"
          "S = Q K^T (beta multiplies J as it multiplies the scores in `ceasim attention`),\n"
          "zero diagonal (s_i^2 = 1 makes the diagonal a constant energy). FFN -> bipartite\n"
          "couplings J[v][d_model + h] = W1[h][v] (averaged with W2[v][h] if --w2) between\n"
          "d_model visible and d_ff hidden spins. Energy E = -sum_{i<j} J_ij s_i s_j - sum h_i s_i.\n"
          "\n"
          "head source (as in ceasim attention):\n"
          "  --synthetic --tokens N --d-k D --seed S [--kind gaussian|clustered|lowrank]\n"
          "  [--clusters C --spread X --rank R]\n"
          "  --weights FILE [--q NAME --k NAME | --x NAME --wq NAME --wk NAME]\n"
          "  [--head H --n-heads N]\n"
          "FFN:\n"
          "  --ffn                map an FFN block (needs --weights)\n"
          "  --w1 NAME            W1 [d_ff, d_model] [ffn/W_1]\n"
          "  --w2 NAME            W2 [d_model, d_ff]; used only if given\n"
          "mapping:\n"
          "  --normalize M        none | frobenius (J * sqrt(n)/||J||_F, SK scale) |\n"
          "                       lambda_max (J / lambda_max(J): mean-field beta_c = 1) [none];\n"
          "                       the fields are scaled by the same factor\n"
          "  --fields F           none (h = 0) |\n"
          "                       value: h_i = c v_i.u, v_i the value vector of token i,\n"
          "                         u = mean_j v_j / |mean_j v_j| (the head's consensus\n"
          "                         value direction); attention only |\n"
          "                       bias: visible spins b2, hidden spins b1 (RBM biases);\n"
          "                         --ffn only [none]\n"
          "  --field-scale c      multiplies the fields (finite) [1]\n"
          "  --v NAME             --fields value, direct layout: V [n, d_v] [V]\n"
          "  --wv NAME            --fields value, projection layout: W_v [n_heads*d_v,\n"
          "                       d_model], V = X W_v^T, sliced like W_q [W_v];\n"
          "                       synthetic heads draw V i.i.d. N(0,1) (d_v = d_k)\n"
          "  --b1 NAME            --fields bias: hidden bias [d_ff] [ffn/b_1]\n"
          "  --b2 NAME            --fields bias: visible bias [d_model] [ffn/b_2]\n"
          "  --gauge G            none | top: flip spins by g_i = sign(v_i) of the top\n"
          "                       eigenvector v of J (J_ij -> g_i g_j J_ij, h_i -> g_i h_i),\n"
          "                       an exact relabelling after which the uniform\n"
          "                       magnetisation is the Mattis overlap with the top mode [none]\n"
          "eigensolver (lambda_max, and the top eigenvector for --gauge top):\n"
          "  --eigen E            auto | dense (GSL) | power (power iteration, Lanczos if it\n"
          "                       converges slowly; fails rather than return an\n"
          "                       unconverged value)\n");
  /* One limit or two, the default reads as a sentence. */
  if (CEAS_MAPPING_DENSE_VALUES_MAX == CEAS_MAPPING_DENSE_VECTOR_MAX)
    fprintf(out, "                       [auto: dense for n <= %d, power above]\n",
            CEAS_MAPPING_DENSE_VALUES_MAX);
  else
    fprintf(out,
            "                       [auto: dense for n <= %d (n <= %d when the eigenvector\n"
            "                       is needed), power above]\n",
            CEAS_MAPPING_DENSE_VALUES_MAX, CEAS_MAPPING_DENSE_VECTOR_MAX);
  fprintf(out,
          "  --eigen-tol t        iterative paths stop at ||J v - lambda v|| <= t ||J||_F,\n"
          "                       which bounds |lambda - lambda_true| by that residual [%g]\n"
          "output:\n"
          "  --out FILE           couplings HDF5 (indptr, indices, data, h, gauge; with\n"
          "                       --gauge top also top_eigenvector), written atomically\n"
          "  --force              allow --out to replace an existing file\n",
          CEAS_MAPPING_EIGEN_TOL);
}

enum {
  OPT_FFN = 256, OPT_W1, OPT_W2, OPT_NORM, OPT_FIELDS, OPT_FSCALE, OPT_V, OPT_WV, OPT_B1,
  OPT_B2, OPT_GAUGE, OPT_EIGEN, OPT_ETOL, OPT_OUT, OPT_FORCE, OPT_HELP, OPT_SRC
};

static const struct option map_options[] = {
    {"ffn", no_argument, 0, OPT_FFN}, {"w1", required_argument, 0, OPT_W1},
    {"w2", required_argument, 0, OPT_W2}, {"normalize", required_argument, 0, OPT_NORM},
    {"fields", required_argument, 0, OPT_FIELDS},
    {"field-scale", required_argument, 0, OPT_FSCALE}, {"v", required_argument, 0, OPT_V},
    {"wv", required_argument, 0, OPT_WV}, {"b1", required_argument, 0, OPT_B1},
    {"b2", required_argument, 0, OPT_B2}, {"gauge", required_argument, 0, OPT_GAUGE},
    {"eigen", required_argument, 0, OPT_EIGEN}, {"eigen-tol", required_argument, 0, OPT_ETOL},
    {"out", required_argument, 0, OPT_OUT}, {"force", no_argument, 0, OPT_FORCE},
    {"help", no_argument, 0, OPT_HELP}, CEAS_CLI_HEADSRC_OPTIONS(OPT_SRC), {0, 0, 0, 0}};

typedef struct {
  ceas_headsrc_spec src;
  int ffn;
  ceas_mapping_ffn_spec ffn_spec; /* its weights come from src */
  ceas_mapping_options o;
  const char *out;
  int have_field_scale, have_eigen_tol;
  int force, help;
} map_args;

/* *choice = the index of v among a, b, c (the order of the library's enums). */
static int one_of(const char *v, const char *what, const char *a, const char *b,
                  const char *c, int *choice) {
  const char *names[] = {a, b, c};
  for (int i = 0; i < 3; i++)
    if (names[i] && !strcmp(v, names[i])) {
      *choice = i;
      return CEAS_OK;
    }
  if (c)
    return ceas_error_set(CEAS_EINPUT, "%s: expected %s, %s or %s, got '%s'", what, a, b, c, v);
  return ceas_error_set(CEAS_EINPUT, "%s: expected %s or %s, got '%s'", what, a, b, v);
}

static int parse_args(int argc, char **argv, map_args *a) {
  memset(a, 0, sizeof *a);
  ceas_headsrc_spec_default(&a->src);
  ceas_mapping_options_default(&a->o);
  opterr = 0;
  optind = 1;
  int c, idx = 0, rc = CEAS_OK, choice = 0;
  ceas_mapping_ffn_spec *f = &a->ffn_spec;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, map_options, &idx)) != -1) {
    char what[64];
    snprintf(what, sizeof what, "--%s", c >= OPT_FFN ? map_options[idx].name : "");
    switch (c) {
      case OPT_FFN: a->ffn = 1; break;
      case OPT_W1: f->w1 = optarg; break;
      case OPT_W2: f->w2 = optarg; break;
      case OPT_B1: f->b1 = optarg; break;
      case OPT_B2: f->b2 = optarg; break;
      case OPT_NORM:
        rc = one_of(optarg, what, "none", "frobenius", "lambda_max", &choice);
        a->o.normalize = (ceas_mapping_normalize)choice;
        break;
      case OPT_FIELDS:
        rc = one_of(optarg, what, "none", "value", "bias", &choice);
        a->o.fields = (ceas_mapping_fields)choice;
        break;
      case OPT_GAUGE:
        rc = one_of(optarg, what, "none", "top", NULL, &choice);
        a->o.gauge = (ceas_mapping_gauge)choice;
        break;
      case OPT_EIGEN:
        rc = one_of(optarg, what, "auto", "dense", "power", &choice);
        a->o.eigen = (ceas_mapping_eigen_method)choice;
        break;
      case OPT_FSCALE:
        rc = ceas_parse_double(optarg, what, &a->o.field_scale);
        a->have_field_scale = 1;
        break;
      case OPT_ETOL:
        rc = ceas_parse_double(optarg, what, &a->o.eigen_tol);
        if (!rc && !(a->o.eigen_tol > 0 && a->o.eigen_tol <= 1e-2))
          rc = ceas_error_set(CEAS_EINPUT, "%s: expected a number in (0, 0.01], got %s", what,
                              optarg);
        a->have_eigen_tol = 1;
        break;
      case OPT_V:
      case OPT_WV:
      case OPT_SRC: rc = ceas_headsrc_option(&a->src, map_options[idx].name, optarg, what); break;
      case OPT_OUT: a->out = optarg; break;
      case OPT_FORCE: a->force = 1; break;
      case OPT_HELP: a->help = 1; break;
      default: rc = ceas_cli_option_error(c, argv, "map");
    }
  }
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim map --help)",
                        argv[optind]);
  if (rc || a->help) return rc;
  const ceas_headsrc_spec *s = &a->src;
  int value = a->o.fields == CEAS_MAPPING_FIELDS_VALUE;
  int bias = a->o.fields == CEAS_MAPPING_FIELDS_BIAS;
  f->weights = s->weights;
  if (a->ffn) {
    if (!s->weights) return ceas_error_set(CEAS_EINPUT, "--ffn: expected --weights FILE");
    if (s->synthetic || s->q || s->k || s->x || s->wq || s->wk || s->head >= 0 || s->n_heads)
      return ceas_error_set(CEAS_EINPUT,
                            "--ffn: head options (--synthetic, --q ... --n-heads) do not apply");
    if (value)
      return ceas_error_set(CEAS_EINPUT,
                            "--fields value: applies to attention heads (with --ffn use "
                            "--fields bias)");
  } else {
    if (f->w1 || f->w2) return ceas_error_set(CEAS_EINPUT, "--w1/--w2: expected --ffn too");
    if (bias)
      return ceas_error_set(CEAS_EINPUT,
                            "--fields bias: applies to --ffn (attention heads use --fields "
                            "value)");
    if ((rc = ceas_headsrc_validate(&a->src))) return rc;
  }
  if ((s->v || s->wv) && !value)
    return ceas_error_set(CEAS_EINPUT, "--v/--wv: expected --fields value too");
  if ((f->b1 || f->b2) && !bias)
    return ceas_error_set(CEAS_EINPUT, "--b1/--b2: expected --fields bias too");
  if (a->have_field_scale && !value && !bias)
    return ceas_error_set(CEAS_EINPUT, "--field-scale: expected --fields value or bias too");
  if (a->have_eigen_tol && a->o.eigen == CEAS_MAPPING_EIGEN_DENSE)
    return ceas_error_set(CEAS_EINPUT,
                          "--eigen-tol: applies to the iterative solver (--eigen power or "
                          "auto), not --eigen dense");
  if (!a->out) return ceas_error_set(CEAS_EINPUT, "--out: expected an output file");
  return CEAS_OK;
}

/* The summary on stdout, before the file is written. */
static void print_summary(const map_args *a, const ceas_mapping_couplings *c) {
  const ceas_mapping_options *o = &c->options;
  const ceas_mapping_eigen_info *eig = &c->eigen;
  double lam = c->lambda_max, scale = c->scale;
  printf("ceasim %s  map  %s: n=%zu spins", ceas_version(), c->kind, c->n);
  if (a->ffn)
    printf(" (d_model=%zu visible + d_ff=%zu hidden, %s%s%s)", c->d_model, c->d_ff,
           c->tensor_w1, a->ffn_spec.w2 ? " + " : "", a->ffn_spec.w2 ? c->tensor_w2 : "");
  else if (a->src.synthetic)
    printf(" (synthetic %s, d_k=%zu, seed %llu)", ceas_headsrc_kind_name(a->src.spec.kind),
           c->d_k, (unsigned long long)a->src.spec.seed);
  else
    printf(" (%s %s, d_k=%zu)", a->src.weights, c->source->mode, c->d_k);
  printf("\nnnz=%zu  normalize=%s (scale %.10g)  lambda_max(J)=%.10g  mean-field "
         "beta_c=1/lambda_max=%.10g\n",
         c->nnz, ceas_mapping_normalize_name(o->normalize), scale, lam,
         lam > 0 ? 1 / lam : INFINITY);
  printf("eigen: %s -> %s", ceas_mapping_eigen_name(o->eigen), eig->method);
  if (!strcmp(eig->method, "dense"))
    printf(" (GSL %s)", c->top_eigenvector ? "gsl_eigen_symmv" : "gsl_eigen_symm");
  else
    printf(" (%ld products J v, residual %.3g <= %.3g)", eig->matvecs, eig->residual, eig->tol);
  printf(", %.2f s\n", eig->seconds);
  if (o->fields == CEAS_MAPPING_FIELDS_VALUE)
    printf("fields: value (d_v=%zu, |mean v|=%.6g), field-scale %g\n", c->d_v,
           c->value_mean_norm, o->field_scale);
  else if (o->fields == CEAS_MAPPING_FIELDS_BIAS)
    printf("fields: bias (%s visible, %s hidden), field-scale %g\n", c->tensor_b2,
           c->tensor_b1, o->field_scale);
  if (o->gauge == CEAS_MAPPING_GAUGE_TOP) {
    printf("gauge: top (%zu of %zu spins flipped)\n", c->flipped, c->n);
    double gap = (eig->lambda - eig->lambda2) / fabs(eig->lambda);
    if (isfinite(gap) && gap < 0.05)
      printf("note: lambda_2 = %.6g is within %.2g%% of lambda_max: the top eigenspace is "
             "nearly degenerate and the Mattis overlap with one mode is only part of the "
             "order parameter (docs/mapping.md)\n",
             eig->lambda2 * scale, 100 * gap);
  }
}

int ceas_cli_map(int argc, char **argv) {
  map_args a;
  int rc = parse_args(argc, argv, &a);
  if (a.help) {
    map_usage(stdout);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if ((rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_mapping_couplings *c = NULL;
  rc = a.ffn ? ceas_mapping_ffn(&a.ffn_spec, &a.o, &c) : ceas_mapping_head(&a.src, &a.o, &c);
  if (!rc) {
    print_summary(&a, c);
    rc = ceas_mapping_couplings_write(c, a.out, a.force, ceas_cli_command_line());
    if (!rc) printf("wrote %s\n", a.out);
  }
  ceas_mapping_couplings_free(c);
  return rc ? ceas_cli_fail(rc) : 0;
}
