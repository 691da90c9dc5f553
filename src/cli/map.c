/* ceasim map: attention head or FFN block -> Ising couplings file (CSR HDF5 that
 * `ceasim run --model graph --couplings FILE` reads). See docs/mapping.md. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_mapping.h"
#include "cli.h"

static const char map_head[] =
    "usage: ceasim map (head source) [options] --out FILE\n"
    "       ceasim map --ffn --weights FILE [--w1 NAME] [--w2 NAME] [options] --out FILE\n"
    "\n"
    "Attention -> Ising couplings on the tokens: J = (S + S^T)/2 of the raw scores\n"
    "S = Q K^T (beta multiplies J as it multiplies the scores in `ceasim attention`),\n"
    "zero diagonal (s_i^2 = 1 makes the diagonal a constant energy). FFN -> bipartite\n"
    "couplings J[v][d_model + h] = W1[h][v] (averaged with W2[v][h] if --w2) between\n"
    "d_model visible and d_ff hidden spins. Energy E = -sum_{i<j} J_ij s_i s_j - sum h_i s_i.\n"
    "\n";

static const ceas_option map_cli_options[] = {
    {"out", "FILE", NULL,
     "couplings HDF5 (indptr, indices, data, h, gauge; with --gauge top also "
     "top_eigenvector), written atomically", "output"},
    {"force", NULL, NULL, "allow --out to replace an existing file", "output"},
    {NULL, NULL, NULL, NULL, NULL}};

#define MAP_GROUPS 4
typedef struct {
  ceas_mapping_request r;
  const char *out;
  int force, help;
  ceas_cli_group g[MAP_GROUPS]; /* head source, mapping, value vectors, the CLI's */
  void *slots[2];
} map_args;

static int set_map(void *r, const char *key, const char *value) {
  return ceas_mapping_option_set(r, key, value);
}

static int parse_args(int argc, char **argv, map_args *a) {
  *a = (map_args){.slots = {&a->out, &a->force}};
  ceas_mapping_request_default(&a->r);
  a->g[0] = (ceas_cli_group){ceas_headsrc_option_table, set_map, &a->r};
  a->g[1] = (ceas_cli_group){ceas_mapping_option_table, set_map, &a->r};
  a->g[2] = (ceas_cli_group){ceas_headsrc_value_option_table, set_map, &a->r};
  a->g[3] = (ceas_cli_group){map_cli_options, NULL, a->slots};
  int rc = ceas_cli_parse(argc, argv, "map", a->g, MAP_GROUPS, &a->help);
  if (!rc) rc = ceas_cli_no_arguments(argc, argv, "map");
  if (rc || a->help) return rc;
  if ((rc = ceas_mapping_request_check(&a->r))) return rc;
  if (!a->out) return ceas_error_set(CEAS_EINPUT, "--out: expected an output file");
  return CEAS_OK;
}

/* The summary on stdout, before the file is written. */
static void print_summary(const map_args *a, const ceas_mapping_couplings *c) {
  const ceas_mapping_options *o = &c->options;
  const ceas_mapping_eigen_info *eig = &c->eigen;
  double lam = c->lambda_max, scale = c->scale;
  printf("ceasim %s  map  %s: n=%zu spins", ceas_version(), c->kind, c->n);
  if (a->r.ffn)
    printf(" (d_model=%zu visible + d_ff=%zu hidden, %s%s%s)", c->d_model, c->d_ff,
           c->tensor_w1, a->r.ffn_spec.w2 ? " + " : "", a->r.ffn_spec.w2 ? c->tensor_w2 : "");
  else if (a->r.src.synthetic)
    printf(" (synthetic %s, d_k=%zu, seed %llu)", ceas_headsrc_kind_name(a->r.src.spec.kind),
           c->d_k, (unsigned long long)a->r.src.spec.seed);
  else
    printf(" (%s %s, d_k=%zu)", a->r.src.weights, c->source->mode, c->d_k);
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
    ceas_cli_usage(stdout, map_head, a.g, MAP_GROUPS, NULL);
    return 0;
  }
  if (rc) return ceas_cli_fail(rc);
  if ((rc = ceas_io_check_output(a.out, a.force))) return ceas_cli_fail(rc);
  ceas_mapping_couplings *c = NULL;
  rc = ceas_mapping_request_run(&a.r, &c);
  if (!rc) {
    print_summary(&a, c);
    rc = ceas_mapping_couplings_write(c, a.out, a.force, ceas_cli_command_line());
    if (!rc) printf("wrote %s\n", a.out);
  }
  ceas_mapping_couplings_free(c);
  return rc ? ceas_cli_fail(rc) : 0;
}
