/* `ceasim map`'s options as a library: the mapping's table and setter, the head
 * source's through ceas_headsrc_option, the checks between them. */
#include <stdio.h>
#include <string.h>

#include "ceas_mapping.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#if CEAS_MAPPING_DENSE_VALUES_MAX == CEAS_MAPPING_DENSE_VECTOR_MAX
#define EIGEN_AUTO "auto: dense for n <= " STR(CEAS_MAPPING_DENSE_VALUES_MAX) ", power above"
#else
#define EIGEN_AUTO                                                                         \
  "auto: dense for n <= " STR(CEAS_MAPPING_DENSE_VALUES_MAX) " (n <= " STR(                \
      CEAS_MAPPING_DENSE_VECTOR_MAX) " when the eigenvector is needed), power above"
#endif
#define EIGEN "eigensolver (lambda_max, and the top eigenvector for --gauge top)"

/* In the order of the table. */
enum { O_FFN, O_W1, O_W2, O_NORMALIZE, O_FIELDS, O_FSCALE, O_B1, O_B2, O_GAUGE, O_EIGEN, O_ETOL };

const ceas_option ceas_mapping_option_table[] = {
    {"ffn", NULL, NULL, "map an FFN block (needs --weights)", "FFN"},
    {"w1", "NAME", "ffn/W_1", "W1 [d_ff, d_model]", "FFN"},
    {"w2", "NAME", NULL, "W2 [d_model, d_ff]; used only if given", "FFN"},
    {"normalize", "M", "none",
     "none | frobenius (J * sqrt(n)/||J||_F, SK scale) | lambda_max (J / lambda_max(J): "
     "mean-field beta_c = 1); the fields are scaled by the same factor", "mapping"},
    {"fields", "F", "none",
     "none (h = 0) |\nvalue: h_i = c v_i.u, v_i the value vector of token i, u = mean_j v_j "
     "/ |mean_j v_j| (the head's consensus value direction); attention only |\nbias: visible "
     "spins b2, hidden spins b1 (RBM biases); --ffn only", "mapping"},
    {"field-scale", "c", "1", "multiplies the fields (finite)", "mapping"},
    {"b1", "NAME", "ffn/b_1", "--fields bias: hidden bias [d_ff]", "mapping"},
    {"b2", "NAME", "ffn/b_2", "--fields bias: visible bias [d_model]", "mapping"},
    {"gauge", "G", "none",
     "none | top: flip spins by g_i = sign(v_i) of the top eigenvector v of J (J_ij -> g_i "
     "g_j J_ij, h_i -> g_i h_i), an exact relabelling after which the uniform magnetisation "
     "is the Mattis overlap with the top mode", "mapping"},
    {"eigen", "E", EIGEN_AUTO,
     "auto | dense (GSL) | power (power iteration, Lanczos if it converges slowly; fails "
     "rather than return an unconverged value)", EIGEN},
    {"eigen-tol", "t", STR(CEAS_MAPPING_EIGEN_TOL),
     "iterative paths stop at ||J v - lambda v|| <= t ||J||_F, which bounds |lambda - "
     "lambda_true| by that residual", EIGEN},
    {NULL, NULL, NULL, NULL, NULL}};

void ceas_mapping_request_default(ceas_mapping_request *r) {
  memset(r, 0, sizeof *r);
  ceas_headsrc_spec_default(&r->src);
  ceas_mapping_options_default(&r->o);
}

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

int ceas_mapping_option_set(ceas_mapping_request *r, const char *key, const char *value) {
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  int rc = ceas_headsrc_option(&r->src, key, value, what);
  if (rc != CEAS_HEADSRC_NOT_AN_OPTION) return rc;
  const ceas_option *opt = ceas_option_find(ceas_mapping_option_table, key);
  if (!opt) return ceas_error_set(CEAS_EINPUT, "%s: unknown option of a mapping", what);
  ceas_mapping_ffn_spec *f = &r->ffn_spec;
  ceas_mapping_options *o = &r->o;
  int choice = 0;
  rc = CEAS_OK;
  switch (opt - ceas_mapping_option_table) {
    case O_FFN: r->ffn = 1; break;
    case O_W1: f->w1 = value; break;
    case O_W2: f->w2 = value; break;
    case O_B1: f->b1 = value; break;
    case O_B2: f->b2 = value; break;
    case O_NORMALIZE:
      rc = one_of(value, what, "none", "frobenius", "lambda_max", &choice);
      o->normalize = (ceas_mapping_normalize)choice;
      break;
    case O_FIELDS:
      rc = one_of(value, what, "none", "value", "bias", &choice);
      o->fields = (ceas_mapping_fields)choice;
      break;
    case O_GAUGE:
      rc = one_of(value, what, "none", "top", NULL, &choice);
      o->gauge = (ceas_mapping_gauge)choice;
      break;
    case O_EIGEN:
      rc = one_of(value, what, "auto", "dense", "power", &choice);
      o->eigen = (ceas_mapping_eigen_method)choice;
      break;
    case O_FSCALE:
      rc = ceas_parse_double(value, what, &o->field_scale);
      r->have_field_scale = 1;
      break;
    case O_ETOL:
      rc = ceas_parse_double(value, what, &o->eigen_tol);
      if (!rc && !(o->eigen_tol > 0 && o->eigen_tol <= 1e-2))
        rc = ceas_error_set(CEAS_EINPUT, "%s: expected a number in (0, 0.01], got %s", what,
                            value);
      r->have_eigen_tol = 1;
      break;
  }
  return rc;
}

int ceas_mapping_request_check(ceas_mapping_request *r) {
  const ceas_headsrc_spec *s = &r->src;
  ceas_mapping_ffn_spec *f = &r->ffn_spec;
  int value = r->o.fields == CEAS_MAPPING_FIELDS_VALUE;
  int bias = r->o.fields == CEAS_MAPPING_FIELDS_BIAS;
  int rc;
  f->weights = s->weights;
  if (r->ffn) {
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
    if ((rc = ceas_headsrc_validate(s))) return rc;
  }
  if ((s->v || s->wv) && !value)
    return ceas_error_set(CEAS_EINPUT, "--v/--wv: expected --fields value too");
  if ((f->b1 || f->b2) && !bias)
    return ceas_error_set(CEAS_EINPUT, "--b1/--b2: expected --fields bias too");
  if (r->have_field_scale && !value && !bias)
    return ceas_error_set(CEAS_EINPUT, "--field-scale: expected --fields value or bias too");
  if (r->have_eigen_tol && r->o.eigen == CEAS_MAPPING_EIGEN_DENSE)
    return ceas_error_set(CEAS_EINPUT,
                          "--eigen-tol: applies to the iterative solver (--eigen power or "
                          "auto), not --eigen dense");
  return CEAS_OK;
}

int ceas_mapping_request_run(const ceas_mapping_request *r, ceas_mapping_couplings **out) {
  return r->ffn ? ceas_mapping_ffn(&r->ffn_spec, &r->o, out)
                : ceas_mapping_head(&r->src, &r->o, out);
}
