/* The summary `ceasim map` prints (ceas_mapping_couplings_print). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_mapping.h"

void ceas_mapping_couplings_print(FILE *out, const ceas_mapping_request *r,
                                  const ceas_mapping_couplings *c) {
  const ceas_mapping_options *o = &c->options;
  const ceas_mapping_eigen_info *eig = &c->eigen;
  double lam = c->lambda_max, scale = c->scale;
  fprintf(out, "ceasim %s  map  %s: n=%zu spins", ceas_version(), c->kind, c->n);
  if (r->ffn)
    fprintf(out, " (d_model=%zu visible + d_ff=%zu hidden, %s%s%s)", c->d_model, c->d_ff,
            c->tensor_w1, r->ffn_spec.w2 ? " + " : "", r->ffn_spec.w2 ? c->tensor_w2 : "");
  else if (r->src.synthetic)
    fprintf(out, " (synthetic %s, d_k=%zu, seed %llu)", ceas_headsrc_kind_name(r->src.spec.kind),
            c->d_k, (unsigned long long)r->src.spec.seed);
  else
    fprintf(out, " (%s %s, d_k=%zu)", r->src.weights, c->source->mode, c->d_k);
  fprintf(out, "\nnnz=%zu  normalize=%s (scale %.10g)  lambda_max(J)=%.10g  mean-field "
               "beta_c=1/lambda_max=%.10g\n",
          c->nnz, ceas_mapping_normalize_name(o->normalize), scale, lam,
          lam > 0 ? 1 / lam : INFINITY);
  fprintf(out, "eigen: %s -> %s", ceas_mapping_eigen_name(o->eigen), eig->method);
  if (!strcmp(eig->method, "dense"))
    fprintf(out, " (GSL %s)", c->top_eigenvector ? "gsl_eigen_symmv" : "gsl_eigen_symm");
  else
    fprintf(out, " (%ld products J v, residual %.3g <= %.3g)", eig->matvecs, eig->residual,
            eig->tol);
  fprintf(out, ", %.2f s\n", eig->seconds);
  if (o->fields == CEAS_MAPPING_FIELDS_VALUE)
    fprintf(out, "fields: value (d_v=%zu, |mean v|=%.6g), field-scale %g\n", c->d_v,
            c->value_mean_norm, o->field_scale);
  else if (o->fields == CEAS_MAPPING_FIELDS_BIAS)
    fprintf(out, "fields: bias (%s visible, %s hidden), field-scale %g\n", c->tensor_b2,
            c->tensor_b1, o->field_scale);
  if (o->gauge != CEAS_MAPPING_GAUGE_TOP) return;
  fprintf(out, "gauge: top (%zu of %zu spins flipped)\n", c->flipped, c->n);
  double gap = (eig->lambda - eig->lambda2) / fabs(eig->lambda);
  if (isfinite(gap) && gap < 0.05)
    fprintf(out, "note: lambda_2 = %.6g is within %.2g%% of lambda_max: the top eigenspace is "
                 "nearly degenerate and the Mattis overlap with one mode is only part of the "
                 "order parameter (docs/mapping.md)\n",
            eig->lambda2 * scale, 100 * gap);
}
