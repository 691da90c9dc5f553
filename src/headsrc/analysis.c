/* The whole-head analysis of `ceasim attention` and its file (ceas_head_analysis.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_head_analysis.h"
#include "ceas_io.h"

static ceas_head_mean_err stats(const double *x, size_t n) {
  ceas_head_mean_err r = {NAN, NAN};
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

int ceas_head_analysis_write(hid_t f, const ceas_headsrc_spec *spec, const ceas_headsrc *hs,
                             const ceas_head_analysis *r, const char *preset,
                             const char *command_line) {
  const ceas_attention_scan *sc = r->sc;
  const ceas_attention_head *h = hs->head;
  size_t nb = sc->n_beta, n = h->n;
  int rc = ceas_io_attr_string(f, "ceasim_version", ceas_version());
  if (!rc) rc = ceas_io_attr_string(f, "command_line", command_line ? command_line : "");
  if (!rc) rc = ceas_io_attr_string(f, "score_convention",
                                    "raw scores s_ij = q_i.k_j, p_ij ~ exp(beta s_ij); "
                                    "textbook softmax is beta = 1/sqrt(d_k)");
  if (!rc) rc = ceas_headsrc_write_attrs(f, spec, hs);
  if (!rc) rc = ceas_io_attr_int64(f, "n_tokens", (int64_t)n);
  if (!rc) rc = ceas_io_attr_int64(f, "d_k", (int64_t)h->d_k);
  if (!rc) rc = ceas_io_attr_double(f, "beta0", r->beta0);
  struct { const char *name; ceas_head_mean_err v; } me[] = {
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
    const ceas_attention_ctrl_params *p = &r->cp;
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
    if (!rc) rc = ceas_io_attr_string(g, "preset", preset ? preset : "");
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


int ceas_head_analyse(const ceas_headsrc *hs, const ceas_head_analysis_params *p,
                      ceas_head_analysis **out) {
  *out = NULL;
  ceas_head_analysis *r = calloc(1, sizeof *r);
  if (!r) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  const ceas_attention_head *h = hs->head;
  size_t n = h->n;
  double beta0 = 1 / sqrt((double)h->d_k);
  size_t bytes;
  const size_t nn[] = {n, n, sizeof(double)};
  int rc = ceas_size_check("the head's n x n score matrix (n from --tokens or --weights)",
                           &bytes, 3, nn);
  double *s = rc ? NULL : malloc(bytes), *per = rc ? NULL : malloc(4 * n * sizeof *per),
         *grid = NULL;
  r->s = s;
  r->per = per;
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
  ceas_head_mean_err m_sigma = stats(sigma, n);
  r->b0 = p->b0;
  r->b1 = p->b1;
  r->nb = p->nb;
  if (!p->have_grid) {
    if (!(m_sigma.mean > 0)) {
      rc = ceas_error_set(CEAS_EINPUT, "head has all-equal scores (sigma_qk = 0): give --beta A:B:N");
      goto done;
    }
    r->b0 = 0;
    r->b1 = 3 * sqrt(2 * log((double)n)) / m_sigma.mean;
    r->nb = 301;
  }
  grid = malloc((size_t)r->nb * sizeof *grid);
  if (!grid) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    goto done;
  }
  for (long b = 0; b < r->nb; b++) grid[b] = r->b0 + (r->b1 - r->b0) * b / (r->nb - 1);
  if ((rc = ceas_attention_scan_alloc(h, grid, (size_t)r->nb, &r->sc))) goto done;
  r->sigma = sigma;
  r->bstar0 = bstar0;
  r->bfix = bfix;
  r->H0 = H0;
  r->m_sigma = m_sigma;
  double *rem = malloc(n * sizeof *rem);
  if (!rem) {
    rc = ceas_error_set(CEAS_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) rem[i] = sigma[i] > 0 ? sqrt(2 * log((double)n)) / sigma[i] : INFINITY;
  r->m_rem = stats(rem, n);
  free(rem);
  r->m_bstar0 = stats(bstar0, n);
  r->m_bfix = stats(bfix, n);
  r->m_H0 = stats(H0, n);
  r->beta0 = beta0;
  if (p->controller) {
    r->cp = p->cp;
    r->cp.beta0 = beta0;
    r->cp.beta_c = p->no_margin ? 0 : r->sc->peak_of_mean;
    if ((rc = ceas_attention_ctrl_run(s, n, n, h->d_k, &r->cp, &r->tr))) goto done;
    for (size_t t = 0; t < r->tr->steps; t++) {
      r->n_clip += r->tr->clipped[t] != 0;
      r->n_guard += r->tr->guard[t] != 0;
    }
    for (size_t t = 0; t <= r->tr->steps; t++) r->n_margin += r->tr->margin[t] != 0;
  }
done:
  free(grid);
  if (rc) {
    ceas_head_analysis_free(r);
    return rc;
  }
  *out = r;
  return CEAS_OK;
}

void ceas_head_analysis_free(ceas_head_analysis *r) {
  if (!r) return;
  ceas_attention_traj_free(r->tr);
  ceas_attention_scan_free(r->sc);
  free(r->per);
  free(r->s);
  free(r);
}

typedef struct {
  const ceas_headsrc_spec *spec;
  const ceas_headsrc *hs;
  const ceas_head_analysis *r;
  const char *preset, *command_line;
} analysis_file;

static int write_analysis_file(const void *ctx, hid_t f) {
  const analysis_file *w = ctx;
  return ceas_head_analysis_write(f, w->spec, w->hs, w->r, w->preset, w->command_line);
}

int ceas_head_analysis_write_file(const ceas_headsrc_spec *spec, const ceas_headsrc *hs,
                                  const ceas_head_analysis *r, const char *preset,
                                  const char *path, int force, const char *command_line) {
  analysis_file w = {spec, hs, r, preset, command_line};
  return ceas_io_write_hdf5(path, force, write_analysis_file, &w);
}
