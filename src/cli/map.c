/* ceasim map: attention head or FFN block -> Ising couplings file (CSR HDF5 that
 * `ceasim run --model graph --couplings FILE` reads). See docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_headsrc.h"
#include "ceas_io.h"
#include "ceas_weights.h"
#include "cli.h"

#define MAP_GSL_MAX 4096 /* dense GSL eigensolver up to this many spins */

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
          "                       lambda_max (J / lambda_max(J): mean-field beta_c = 1) [none]\n"
          "  --fields F           none (h = 0) [none]\n"
          "output:\n"
          "  --out FILE           couplings HDF5 (indptr, indices, data, h), atomically\n"
          "  --force              allow --out to replace an existing file\n");
}

enum { OPT_FFN = 256, OPT_W1, OPT_W2, OPT_NORM, OPT_FIELDS, OPT_OUT, OPT_FORCE, OPT_HELP, OPT_SRC };

static const struct option map_options[] = {
    {"ffn", no_argument, 0, OPT_FFN},
    {"w1", required_argument, 0, OPT_W1},
    {"w2", required_argument, 0, OPT_W2},
    {"normalize", required_argument, 0, OPT_NORM},
    {"fields", required_argument, 0, OPT_FIELDS},
    {"out", required_argument, 0, OPT_OUT},
    {"force", no_argument, 0, OPT_FORCE},
    {"help", no_argument, 0, OPT_HELP},
    CEAS_CLI_HEADSRC_OPTIONS(OPT_SRC),
    {0, 0, 0, 0}};

typedef struct {
  ceas_headsrc_spec src;
  int ffn;
  const char *w1, *w2, *normalize, *fields, *out;
  int force, help;
} map_args;

static int parse_args(int argc, char **argv, map_args *a) {
  memset(a, 0, sizeof *a);
  ceas_headsrc_spec_default(&a->src);
  a->normalize = "none";
  a->fields = "none";
  opterr = 0;
  optind = 1;
  int c, idx = 0, rc = CEAS_OK;
  while (!rc && (c = getopt_long(argc, argv, CEAS_CLI_OPTSTRING, map_options, &idx)) != -1) {
    char what[64];
    snprintf(what, sizeof what, "--%s", c >= OPT_FFN ? map_options[idx].name : "");
    switch (c) {
      case OPT_FFN: a->ffn = 1; break;
      case OPT_W1: a->w1 = optarg; break;
      case OPT_W2: a->w2 = optarg; break;
      case OPT_NORM:
        if (strcmp(optarg, "none") && strcmp(optarg, "frobenius") && strcmp(optarg, "lambda_max"))
          rc = ceas_error_set(CEAS_EINPUT,
                              "--normalize: expected none, frobenius or lambda_max, got '%s'",
                              optarg);
        a->normalize = optarg;
        break;
      case OPT_FIELDS:
        if (strcmp(optarg, "none"))
          rc = ceas_error_set(CEAS_EINPUT, "--fields: expected none, got '%s'", optarg);
        a->fields = optarg;
        break;
      case OPT_OUT: a->out = optarg; break;
      case OPT_FORCE: a->force = 1; break;
      case OPT_HELP: a->help = 1; break;
      case OPT_SRC: rc = ceas_headsrc_option(&a->src, map_options[idx].name, optarg, what); break;
      default: rc = ceas_cli_option_error(c, argv, "map");
    }
  }
  if (!rc && optind < argc)
    rc = ceas_error_set(CEAS_EINPUT, "unexpected argument '%s' (see ceasim map --help)",
                        argv[optind]);
  if (rc || a->help) return rc;
  if (a->ffn) {
    const ceas_headsrc_spec *s = &a->src;
    if (!s->weights) return ceas_error_set(CEAS_EINPUT, "--ffn: expected --weights FILE");
    if (s->synthetic || s->q || s->k || s->x || s->wq || s->wk || s->head >= 0 || s->n_heads)
      return ceas_error_set(CEAS_EINPUT,
                            "--ffn: head options (--synthetic, --q ... --n-heads) do not apply");
  } else {
    if (a->w1 || a->w2) return ceas_error_set(CEAS_EINPUT, "--w1/--w2: expected --ffn too");
    if ((rc = ceas_headsrc_validate(&a->src))) return rc;
  }
  if (!a->out) return ceas_error_set(CEAS_EINPUT, "--out: expected an output file");
  return CEAS_OK;
}

/* Largest eigenvalue of the symmetric n x n matrix J (row-major). */
static int lambda_max(const double *J, size_t n, double *out) {
  if (n <= MAP_GSL_MAX) {
    gsl_matrix *m = gsl_matrix_alloc(n, n);
    gsl_vector *ev = gsl_vector_alloc(n);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(n);
    if (!m || !ev || !w) {
      if (m) gsl_matrix_free(m);
      if (ev) gsl_vector_free(ev);
      if (w) gsl_eigen_symm_free(w);
      return ceas_error_set(CEAS_ENOMEM, "out of memory for the eigensolver (n = %zu)", n);
    }
    memcpy(m->data, J, n * n * sizeof *J); /* tda == n for a fresh matrix */
    gsl_eigen_symm(m, ev, w);
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, gsl_vector_get(ev, i));
    gsl_matrix_free(m);
    gsl_vector_free(ev);
    gsl_eigen_symm_free(w);
    *out = mx;
    return CEAS_OK;
  }
  /* Power iteration on J + rho I, rho = max row abs sum >= -lambda_min: all
   * eigenvalues >= 0, the top one is lambda_max + rho. */
  double rho = 0;
  for (size_t i = 0; i < n; i++) {
    double r = 0;
    for (size_t j = 0; j < n; j++) r += fabs(J[i * n + j]);
    rho = fmax(rho, r);
  }
  double *v = malloc(2 * n * sizeof *v);
  if (!v) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  double *w = v + n, lam = 0, prev = INFINITY;
  for (size_t i = 0; i < n; i++) v[i] = 1.0 / sqrt((double)n) * (1 + 1e-3 * (double)(i % 7));
  for (int it = 0; it < 100000; it++) {
    double nn = 0;
    for (size_t i = 0; i < n; i++) {
      double acc = rho * v[i];
      for (size_t j = 0; j < n; j++) acc += J[i * n + j] * v[j];
      w[i] = acc;
    }
    double dot = 0, vv = 0;
    for (size_t i = 0; i < n; i++) {
      dot += v[i] * w[i];
      vv += v[i] * v[i];
      nn += w[i] * w[i];
    }
    lam = dot / vv;
    nn = sqrt(nn);
    if (!(nn > 0)) break;
    for (size_t i = 0; i < n; i++) v[i] = w[i] / nn;
    if (fabs(lam - prev) <= 1e-12 * fmax(1, fabs(lam))) break;
    prev = lam;
  }
  free(v);
  *out = lam - rho;
  return CEAS_OK;
}

/* Attention: dense J (n x n, zero diagonal) from the head. */
static int attention_couplings(const ceas_headsrc *hs, double **Jout, double *trace) {
  size_t n = hs->head->n;
  double *S = malloc(n * n * sizeof *S);
  if (!S) return ceas_error_set(CEAS_ENOMEM, "out of memory for %zu x %zu scores", n, n);
  ceas_attention_head_score_matrix(hs->head, S);
  *trace = 0;
  for (size_t i = 0; i < n; i++) *trace += S[i * n + i];
  for (size_t i = 0; i < n; i++) {
    S[i * n + i] = 0;
    for (size_t j = i + 1; j < n; j++) {
      double v = 0.5 * (S[i * n + j] + S[j * n + i]);
      S[i * n + j] = S[j * n + i] = v;
    }
  }
  *Jout = S;
  return CEAS_OK;
}

/* FFN: dense J over d_model + d_ff spins, bipartite. */
static int ffn_couplings(const map_args *a, double **Jout, size_t *nout, size_t *dm_out,
                         size_t *dff_out, char *w1n, char *w2n, size_t cap) {
  ceas_weights *w = NULL;
  ceas_weights_tensor w1 = {0}, w2 = {0};
  snprintf(w1n, cap, "%s", a->w1 ? a->w1 : "ffn/W_1");
  snprintf(w2n, cap, "%s", a->w2 ? a->w2 : "");
  int rc = ceas_weights_open(a->src.weights, &w);
  if (!rc) rc = ceas_weights_read(w, w1n, &w1);
  if (!rc && a->w2) rc = ceas_weights_read(w, w2n, &w2);
  const char *path = a->src.weights;
  if (!rc && w1.rank != 2)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected rank 2 [d_ff, d_model], got rank %d",
                        path, w1n, w1.rank);
  if (!rc && a->w2 && (w2.rank != 2 || w2.shape[0] != w1.shape[1] || w2.shape[1] != w1.shape[0]))
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: tensor '%s': expected shape [%lld, %lld] (W2 [d_model, d_ff] "
                        "for '%s' [%lld, %lld]), got rank %d [%lld, %lld]",
                        path, w2n, (long long)w1.shape[1], (long long)w1.shape[0], w1n,
                        (long long)w1.shape[0], (long long)w1.shape[1], w2.rank,
                        (long long)w2.shape[0], (long long)(w2.rank > 1 ? w2.shape[1] : 0));
  if (!rc) {
    size_t dff = (size_t)w1.shape[0], dm = (size_t)w1.shape[1], n = dm + dff;
    if (n < 2 || n > 65536) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected 2 <= d_model + d_ff <= 65536",
                          path, w1n);
    } else {
      double *J = calloc(n * n, sizeof *J);
      if (!J) rc = ceas_error_set(CEAS_ENOMEM, "out of memory for %zu spins", n);
      for (size_t h = 0; J && h < dff; h++)
        for (size_t v = 0; v < dm; v++) {
          double x = w1.data[h * dm + v];
          if (a->w2) x = 0.5 * (x + w2.data[v * dff + h]);
          J[v * n + dm + h] = J[(dm + h) * n + v] = x;
        }
      *Jout = J;
      *nout = n;
      *dm_out = dm;
      *dff_out = dff;
    }
  }
  ceas_weights_tensor_free(&w1);
  ceas_weights_tensor_free(&w2);
  ceas_weights_close(w);
  return rc;
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
  ceas_headsrc *hs = NULL;
  double *J = NULL, trace = 0;
  size_t n = 0, dm = 0, dff = 0;
  char w1n[256] = "", w2n[256] = "";
  if (a.ffn)
    rc = ffn_couplings(&a, &J, &n, &dm, &dff, w1n, w2n, sizeof w1n);
  else {
    rc = ceas_headsrc_load(&a.src, &hs);
    if (!rc) {
      n = hs->head->n;
      rc = attention_couplings(hs, &J, &trace);
    }
  }
  double lam_raw = 0, lam = 0, scale = 1, frob = 0;
  if (!rc) {
    for (size_t k = 0; k < n * n; k++) frob += J[k] * J[k];
    frob = sqrt(frob);
    rc = lambda_max(J, n, &lam_raw);
  }
  if (!rc && strcmp(a.normalize, "none")) {
    if (!(frob > 0) || !(lam_raw > 0))
      rc = ceas_error_set(CEAS_EINPUT, "--normalize %s: the couplings are all zero", a.normalize);
    else
      scale = !strcmp(a.normalize, "frobenius") ? sqrt((double)n) / frob : 1 / lam_raw;
  }
  lam = lam_raw * scale;
  int64_t *indptr = NULL, *indices = NULL;
  double *data = NULL, *hf = NULL;
  size_t nnz = 0;
  if (!rc) {
    for (size_t k = 0; k < n * n; k++) nnz += J[k] != 0;
    indptr = malloc((n + 1) * sizeof *indptr);
    indices = malloc((nnz ? nnz : 1) * sizeof *indices);
    data = malloc((nnz ? nnz : 1) * sizeof *data);
    hf = calloc(n, sizeof *hf);
    if (!indptr || !indices || !data || !hf) rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
  }
  if (!rc) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      indptr[i] = (int64_t)k;
      for (size_t j = 0; j < n; j++)
        if (J[i * n + j] != 0) {
          indices[k] = (int64_t)j;
          data[k++] = J[i * n + j] * scale; /* same product for (i,j) and (j,i) */
        }
    }
    indptr[n] = (int64_t)k;
  }
  if (!rc) {
    printf("ceasim %s  map  %s: n=%zu spins", ceas_version(), a.ffn ? "ffn" : "attention", n);
    if (a.ffn)
      printf(" (d_model=%zu visible + d_ff=%zu hidden, %s%s%s)", dm, dff, w1n,
             a.w2 ? " + " : "", a.w2 ? w2n : "");
    else if (a.src.synthetic)
      printf(" (synthetic %s, d_k=%zu, seed %llu)", ceas_headsrc_kind_name(a.src.spec.kind),
             hs->head->d_k, (unsigned long long)a.src.spec.seed);
    else
      printf(" (%s %s, d_k=%zu)", a.src.weights, hs->mode, hs->head->d_k);
    printf("\nnnz=%zu  normalize=%s (scale %.10g)  lambda_max(J)=%.10g  mean-field "
           "beta_c=1/lambda_max=%.10g\n",
           nnz, a.normalize, scale, lam, lam > 0 ? 1 / lam : INFINITY);
    ceas_io_file f;
    rc = ceas_io_file_create(a.out, a.force, &f);
    if (!rc) {
      hid_t r = f.file;
      rc = ceas_io_attr_string(r, "ceasim_version", ceas_version());
      if (!rc) rc = ceas_io_attr_string(r, "command_line", ceas_cli_command_line());
      if (!rc) rc = ceas_io_attr_string(r, "kind", a.ffn ? "ffn" : "attention");
      if (!rc) rc = ceas_io_attr_int64(r, "n_spins", (int64_t)n);
      if (!rc) rc = ceas_io_attr_int64(r, "nnz", (int64_t)nnz);
      if (!rc) rc = ceas_io_attr_string(r, "normalize", a.normalize);
      if (!rc) rc = ceas_io_attr_double(r, "scale", scale);
      if (!rc) rc = ceas_io_attr_double(r, "lambda_max", lam);
      if (!rc) rc = ceas_io_attr_double(r, "lambda_max_unscaled", lam_raw);
      if (!rc) rc = ceas_io_attr_double(r, "beta_c_mean_field", lam > 0 ? 1 / lam : INFINITY);
      if (!rc) rc = ceas_io_attr_string(r, "fields", a.fields);
      if (!rc) rc = ceas_io_attr_string(r, "energy",
                                        "E = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i");
      if (a.ffn) {
        if (!rc) rc = ceas_io_attr_string(r, "weights_file", a.src.weights);
        if (!rc) rc = ceas_io_attr_string(r, "tensor_w1", w1n);
        if (!rc) rc = ceas_io_attr_string(r, "tensor_w2", w2n);
        if (!rc) rc = ceas_io_attr_int64(r, "d_model", (int64_t)dm);
        if (!rc) rc = ceas_io_attr_int64(r, "d_ff", (int64_t)dff);
        if (!rc) rc = ceas_io_attr_string(r, "spins", "0..d_model-1 visible (model dimension), "
                                                      "d_model..d_model+d_ff-1 hidden");
      } else {
        if (!rc) rc = ceas_headsrc_write_attrs(r, &a.src, hs);
        if (!rc) rc = ceas_io_attr_int64(r, "d_k", (int64_t)hs->head->d_k);
        if (!rc) rc = ceas_io_attr_string(r, "coupling", "J = (S + S^T)/2 * scale, S = Q K^T raw "
                                                         "scores, diagonal dropped");
        if (!rc) rc = ceas_io_attr_double(r, "trace_scores", trace);
      }
      if (!rc) rc = ceas_io_write_int64s(r, "indptr", indptr, n + 1);
      if (!rc) rc = ceas_io_write_int64s(r, "indices", indices, nnz);
      if (!rc) rc = ceas_io_write_doubles(r, "data", data, nnz);
      if (!rc) rc = ceas_io_write_doubles(r, "h", hf, n);
      if (rc)
        ceas_io_file_abort(&f);
      else
        rc = ceas_io_file_commit(&f);
    }
    if (!rc) printf("wrote %s\n", a.out);
  }
  free(indptr);
  free(indices);
  free(data);
  free(hf);
  free(J);
  ceas_headsrc_free(hs);
  return rc ? ceas_cli_fail(rc) : 0;
}
