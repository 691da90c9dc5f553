/* `ceasim attention`'s options as a library (ceas_head_analysis.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceas_head_analysis.h"

#define CTRL "controller (--controller; the overrides replace the preset's values)"

/* In the order of the table. */
enum { O_BETA, O_CONTROLLER, O_PRESET, O_KMAX, O_KINF, O_TAU, O_DBMAX, O_UMIN, O_TOFF,
       O_STEPS, O_NOMARGIN };

const ceas_option ceas_head_analysis_option_table[] = {
    {"beta", "A:B:N", "0 : 3 sqrt(2 ln n)/sigma : 301", "beta grid, N >= 3 points", "analysis"},
    {"controller", NULL, NULL, "run the Newton controller from beta = 1/sqrt(d_k)", CTRL},
    {"preset", "P", "9k", "9k | 14m | gpt", CTRL},
    {"kappa-max", "X", NULL, "override the preset (>= 0)", CTRL},
    {"kappa-inf", "X", NULL, "override the preset (> 0)", CTRL},
    {"tau-kappa", "X", NULL, "override the preset (> 0)", CTRL},
    {"dbeta-max", "X", NULL, "override the preset (> 0)", CTRL},
    {"u-min", "X", NULL, "override the preset (>= 0)", CTRL},
    {"target-offset", "X", NULL, "override the preset (> 0)", CTRL},
    {"steps", "N", NULL, "override the preset (>= 1)", CTRL},
    {"no-margin", NULL, NULL,
     "no u_min margin (default: margin around the beta of the head-mean heat peak)", CTRL},
    {NULL, NULL, NULL, NULL, NULL}};

void ceas_head_analysis_options_default(ceas_head_analysis_options *o) {
  memset(o, 0, sizeof *o);
  ceas_headsrc_spec_default(&o->src);
  o->p.preset = "9k";
  o->kappa_max = o->kappa_inf = o->tau_kappa = o->dbeta_max = o->u_min = o->target_offset = NAN;
  o->steps = -1;
}

static int parse_pos(const char *s, const char *what, int allow_zero, double *out) {
  int rc = ceas_parse_double(s, what, out);
  if (!rc && !(allow_zero ? *out >= 0 : *out > 0))
    rc = ceas_error_set(CEAS_EINPUT, "%s: expected a number %s 0, got %s", what,
                        allow_zero ? ">=" : ">", s);
  return rc;
}

static int parse_grid(const char *s, ceas_head_analysis_params *p) {
  char buf[256];
  if (strlen(s) >= sizeof buf) return ceas_error_set(CEAS_EINPUT, "--beta: too long");
  strcpy(buf, s);
  char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2)
    return ceas_error_set(CEAS_EINPUT,
                          "--beta: expected A:B:N (grid from A to B, N points), got '%s'", s);
  *c1 = *c2 = 0;
  int rc = ceas_parse_double(buf, "--beta A", &p->b0);
  if (!rc) rc = ceas_parse_double(c1 + 1, "--beta B", &p->b1);
  if (!rc) rc = ceas_parse_long(c2 + 1, "--beta N", 3, 1000000, &p->nb);
  if (!rc && !(p->b1 > p->b0))
    rc = ceas_error_set(CEAS_EINPUT, "--beta: expected A < B, got '%s'", s);
  if (!rc) p->have_grid = 1;
  return rc;
}

int ceas_head_analysis_option_set(ceas_head_analysis_options *o, const char *key,
                                  const char *value) {
  char what[64];
  snprintf(what, sizeof what, "--%s", key);
  if (ceas_option_find(ceas_headsrc_option_table, key))
    return ceas_headsrc_option(&o->src, key, value, what);
  const ceas_option *opt = ceas_option_find(ceas_head_analysis_option_table, key);
  if (!opt) return ceas_error_set(CEAS_EINPUT, "%s: unknown option of a head analysis", what);
  switch (opt - ceas_head_analysis_option_table) {
    case O_BETA: return parse_grid(value, &o->p);
    case O_CONTROLLER: o->p.controller = 1; return CEAS_OK;
    case O_PRESET:
      o->p.preset = value;
      if (!ceas_attention_preset_find(value))
        return ceas_error_set(CEAS_EINPUT, "--preset: expected 9k, 14m or gpt, got '%s'", value);
      return CEAS_OK;
    case O_KMAX: return parse_pos(value, what, 1, &o->kappa_max);
    case O_KINF: return parse_pos(value, what, 0, &o->kappa_inf);
    case O_TAU: return parse_pos(value, what, 0, &o->tau_kappa);
    case O_DBMAX: return parse_pos(value, what, 0, &o->dbeta_max);
    case O_UMIN: return parse_pos(value, what, 1, &o->u_min);
    case O_TOFF: return parse_pos(value, what, 0, &o->target_offset);
    case O_STEPS: return ceas_parse_long(value, what, 1, 100000000, &o->steps);
    default: o->p.no_margin = 1; return CEAS_OK; /* O_NOMARGIN, the last */
  }
}

int ceas_head_analysis_options_finish(ceas_head_analysis_options *o) {
  int rc = ceas_headsrc_validate(&o->src);
  if (rc) return rc;
  int overrides = !isnan(o->kappa_max) || !isnan(o->kappa_inf) || !isnan(o->tau_kappa) ||
                  !isnan(o->dbeta_max) || !isnan(o->u_min) || !isnan(o->target_offset) ||
                  o->steps >= 0 || o->p.no_margin;
  if (!o->p.controller) {
    if (overrides)
      return ceas_error_set(CEAS_EINPUT,
                            "controller options (--kappa-max ... --steps, --no-margin): "
                            "expected --controller too");
    return CEAS_OK;
  }
  ceas_attention_ctrl_params *cp = &o->p.cp;
  if ((rc = ceas_attention_ctrl_defaults(o->p.preset, cp))) return rc;
  if (!isnan(o->kappa_max)) cp->kappa_max = o->kappa_max;
  if (!isnan(o->kappa_inf)) cp->kappa_inf = o->kappa_inf;
  if (!isnan(o->tau_kappa)) cp->tau_kappa = o->tau_kappa;
  if (!isnan(o->dbeta_max)) cp->dbeta_max = o->dbeta_max;
  if (!isnan(o->u_min)) cp->u_min = o->u_min;
  if (!isnan(o->target_offset)) cp->target_offset = o->target_offset;
  if (o->steps > 0) cp->steps = (size_t)o->steps;
  return CEAS_OK;
}
