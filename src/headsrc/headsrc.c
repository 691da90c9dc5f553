/* Where Q and K come from: synthetic heads or a weights file. See ceas_headsrc.h. */
#include "ceas_headsrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceas_io.h"
#include "ceas_weights.h"

void ceas_headsrc_spec_default(ceas_headsrc_spec *s) {
  memset(s, 0, sizeof *s);
  s->spec.kind = CEAS_ATTENTION_GAUSSIAN;
  s->spec.clusters = 4;
  s->spec.spread = 0.5;
  s->spec.rank = 2;
  s->head = -1;
}

const char *ceas_headsrc_kind_name(ceas_attention_kind k) {
  switch (k) {
    case CEAS_ATTENTION_GAUSSIAN: return "gaussian";
    case CEAS_ATTENTION_CLUSTERED: return "clustered";
    case CEAS_ATTENTION_LOWRANK: return "lowrank";
  }
  return "?";
}

#define SRC "head source"
const ceas_option ceas_headsrc_option_table[] = {
    {"synthetic", NULL, NULL, "synthetic head (needs --tokens, --d-k, --seed)", SRC},
    {"tokens", "N", NULL, "tokens of a synthetic head, N >= 2", SRC},
    {"d-k", "D", NULL, "head dimension of a synthetic head", SRC},
    {"kind", "K", "gaussian", "gaussian | clustered | lowrank", SRC},
    {"clusters", "C", "4", "clustered keys: clusters", SRC},
    {"spread", "X", "0.5", "clustered keys: spread", SRC},
    {"rank", "R", "2", "lowrank scores: rank", SRC},
    {"seed", "S", NULL, "synthetic seed", SRC},
    {"weights", "FILE", NULL,
     "safetensors or HDF5: tensors Q, K [n, d_k], or X [n, d_model] and W_q, W_k "
     "[n_heads*d_k, d_model]", SRC},
    {"q", "NAME", "Q", "direct layout: the Q tensor", SRC},
    {"k", "NAME", "K", "direct layout: the K tensor", SRC},
    {"x", "NAME", "X", "projection layout: the token embeddings", SRC},
    {"wq", "NAME", "W_q", "projection layout: the W_q tensor", SRC},
    {"wk", "NAME", "W_k", "projection layout: the W_k tensor", SRC},
    {"head", "H", NULL, "use rows H*d_k..(H+1)*d_k-1 of W_q, W_k (needs --n-heads)", SRC},
    {"n-heads", "N", NULL, "heads in W_q, W_k", SRC},
    {NULL, NULL, NULL, NULL, NULL}};

const ceas_option ceas_headsrc_value_option_table[] = {
    {"v", "NAME", "V", "--fields value, direct layout: V [n, d_v]", "value vectors"},
    {"wv", "NAME", "W_v",
     "--fields value, projection layout: W_v [n_heads*d_v, d_model], V = X W_v^T, sliced "
     "like W_q; synthetic heads draw V i.i.d. N(0,1) (d_v = d_k)", "value vectors"},
    {NULL, NULL, NULL, NULL, NULL}};

int ceas_headsrc_option(ceas_headsrc_spec *s, const char *key, const char *value,
                        const char *what) {
  if (!ceas_option_find(ceas_headsrc_option_table, key) &&
      !ceas_option_find(ceas_headsrc_value_option_table, key))
    return CEAS_HEADSRC_NOT_AN_OPTION;
  long v;
  int rc;
  if (!strcmp(key, "synthetic")) {
    s->synthetic = 1;
    return CEAS_OK;
  }
  if (!strcmp(key, "tokens")) {
    rc = ceas_parse_long(value, what, 2, 1L << 20, &v);
    if (!rc) s->spec.n = (size_t)v;
    return rc;
  }
  if (!strcmp(key, "d-k")) {
    rc = ceas_parse_long(value, what, 1, 1L << 16, &v);
    if (!rc) s->spec.d_k = (size_t)v;
    return rc;
  }
  if (!strcmp(key, "kind")) {
    if (!strcmp(value, "gaussian")) s->spec.kind = CEAS_ATTENTION_GAUSSIAN;
    else if (!strcmp(value, "clustered")) s->spec.kind = CEAS_ATTENTION_CLUSTERED;
    else if (!strcmp(value, "lowrank")) s->spec.kind = CEAS_ATTENTION_LOWRANK;
    else
      return ceas_error_set(CEAS_EINPUT,
                            "%s: expected gaussian, clustered or lowrank, got '%s'",
                            what, value);
    return CEAS_OK;
  }
  if (!strcmp(key, "clusters")) {
    rc = ceas_parse_long(value, what, 1, 1L << 20, &v);
    if (!rc) s->spec.clusters = (size_t)v;
    return rc;
  }
  if (!strcmp(key, "spread")) {
    rc = ceas_parse_double(value, what, &s->spec.spread);
    if (!rc && !(s->spec.spread >= 0))
      rc = ceas_error_set(CEAS_EINPUT, "%s: expected a number >= 0, got %s", what, value);
    return rc;
  }
  if (!strcmp(key, "rank")) {
    rc = ceas_parse_long(value, what, 1, 1L << 16, &v);
    if (!rc) s->spec.rank = (size_t)v;
    return rc;
  }
  if (!strcmp(key, "seed")) {
    s->have_seed = 1;
    return ceas_parse_u64(value, what, &s->spec.seed);
  }
  if (!strcmp(key, "weights")) { s->weights = value; return CEAS_OK; }
  if (!strcmp(key, "q")) { s->q = value; return CEAS_OK; }
  if (!strcmp(key, "k")) { s->k = value; return CEAS_OK; }
  if (!strcmp(key, "x")) { s->x = value; return CEAS_OK; }
  if (!strcmp(key, "wq")) { s->wq = value; return CEAS_OK; }
  if (!strcmp(key, "wk")) { s->wk = value; return CEAS_OK; }
  if (!strcmp(key, "v")) { s->v = value; return CEAS_OK; }
  if (!strcmp(key, "wv")) { s->wv = value; return CEAS_OK; }
  if (!strcmp(key, "head")) return ceas_parse_long(value, what, 0, 1L << 20, &s->head);
  if (!strcmp(key, "n-heads")) return ceas_parse_long(value, what, 1, 1L << 20, &s->n_heads);
  return CEAS_HEADSRC_NOT_AN_OPTION;
}

int ceas_headsrc_validate(const ceas_headsrc_spec *s) {
  if (s->synthetic && s->weights)
    return ceas_error_set(CEAS_EINPUT,
                          "--synthetic and --weights: expected one head source, got both");
  if (!s->synthetic && !s->weights)
    return ceas_error_set(CEAS_EINPUT,
                          "head source: expected --synthetic (with --tokens, --d-k, "
                          "--seed) or --weights FILE");
  if (s->synthetic) {
    if (!s->spec.n) return ceas_error_set(CEAS_EINPUT, "--synthetic: expected --tokens N");
    if (!s->spec.d_k) return ceas_error_set(CEAS_EINPUT, "--synthetic: expected --d-k D");
    if (!s->have_seed) return ceas_error_set(CEAS_EINPUT, "--synthetic: expected --seed S");
    if (s->spec.kind == CEAS_ATTENTION_CLUSTERED && s->spec.clusters > s->spec.n)
      return ceas_error_set(CEAS_EINPUT, "--clusters: expected 1..%zu (the tokens), got %zu",
                            s->spec.n, s->spec.clusters);
    if (s->spec.kind == CEAS_ATTENTION_LOWRANK && s->spec.rank > s->spec.d_k)
      return ceas_error_set(CEAS_EINPUT, "--rank: expected 1..%zu (the --d-k), got %zu",
                            s->spec.d_k, s->spec.rank);
    if (s->q || s->k || s->x || s->wq || s->wk || s->v || s->wv || s->head >= 0 ||
        s->n_heads)
      return ceas_error_set(CEAS_EINPUT,
                            "--synthetic: tensor options (--q --k --v --x --wq --wk --wv "
                            "--head --n-heads) need --weights");
  } else {
    if ((s->q || s->k || s->v) && (s->x || s->wq || s->wk || s->wv))
      return ceas_error_set(CEAS_EINPUT,
                            "--q/--k/--v and --x/--wq/--wk/--wv: expected either direct "
                            "Q, K, V or projections, got both");
    if (s->head >= 0 && s->n_heads == 0)
      return ceas_error_set(CEAS_EINPUT,
                            "--head: expected --n-heads N too (to split W_q, W_k into heads)");
    if (s->head >= 0 && s->head >= s->n_heads)
      return ceas_error_set(CEAS_EINPUT, "--head: expected 0..%ld (--n-heads %ld), got %ld",
                            s->n_heads - 1, s->n_heads, s->head);
  }
  return CEAS_OK;
}

void ceas_headsrc_free(ceas_headsrc *h) {
  if (!h) return;
  ceas_attention_head_free(h->head);
  free(h->v);
  free(h);
}

static int need_rank2(const ceas_weights *w, const ceas_weights_tensor *t) {
  if (t->rank != 2)
    return ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected rank 2, got rank %d",
                          ceas_weights_path(w), t->name, t->rank);
  return CEAS_OK;
}

static int alloc_head(size_t n, size_t d, ceas_attention_head **out) {
  /* n and d_k come from --tokens/--d-k or a weights file's shapes: Q and K are
   * held to the one size rule before they are allocated. */
  size_t bytes;
  const size_t f[] = {n, d, 2 * sizeof(double)};
  if (ceas_size_check("the head's Q and K (n x d_k from --tokens/--d-k or --weights)", &bytes,
                      3, f))
    return CEAS_EINPUT;
  ceas_attention_head *h = calloc(1, sizeof *h);
  if (h) {
    h->n = n;
    h->d_k = d;
    h->q = malloc(n * d * sizeof *h->q);
    h->k = malloc(n * d * sizeof *h->k);
  }
  if (!h || !h->q || !h->k) {
    ceas_attention_head_free(h);
    return ceas_error_set(CEAS_ENOMEM, "out of memory for a %zu x %zu head", n, d);
  }
  *out = h;
  return CEAS_OK;
}

static int alloc_values(ceas_headsrc *r, size_t n, size_t d) {
  r->v = malloc(n * d * sizeof *r->v);
  if (!r->v) return ceas_error_set(CEAS_ENOMEM, "out of memory for %zu x %zu values", n, d);
  r->d_v = d;
  return CEAS_OK;
}

static int load_direct(ceas_weights *w, ceas_headsrc *r, int want_v) {
  ceas_weights_tensor q = {0}, k = {0};
  int rc = ceas_weights_read(w, r->q_name, &q);
  if (!rc) rc = ceas_weights_read(w, r->k_name, &k);
  if (!rc) rc = need_rank2(w, &q);
  if (!rc) rc = need_rank2(w, &k);
  if (!rc && (q.shape[0] != k.shape[0] || q.shape[1] != k.shape[1]))
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: tensors '%s' [%lld, %lld] and '%s' [%lld, %lld]: expected "
                        "the same shape [n, d_k]",
                        ceas_weights_path(w), q.name, (long long)q.shape[0],
                        (long long)q.shape[1], k.name, (long long)k.shape[0],
                        (long long)k.shape[1]);
  if (!rc && q.shape[0] < 2)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected at least 2 tokens (rows)",
                        ceas_weights_path(w), q.name);
  if (!rc && q.shape[1] < 1)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected d_k >= 1 columns",
                        ceas_weights_path(w), q.name);
  if (!rc) rc = alloc_head((size_t)q.shape[0], (size_t)q.shape[1], &r->head);
  if (!rc) {
    memcpy(r->head->q, q.data, q.size * sizeof *q.data);
    memcpy(r->head->k, k.data, k.size * sizeof *k.data);
  }
  if (!rc && want_v) {
    ceas_weights_tensor v = {0};
    rc = ceas_weights_read(w, r->v_name, &v);
    if (!rc) rc = need_rank2(w, &v);
    if (!rc && (v.shape[0] != q.shape[0] || v.shape[1] < 1))
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%s' [%lld, %lld]: expected shape [%lld, d_v] (one "
                          "value vector per token of '%s')",
                          ceas_weights_path(w), v.name, (long long)v.shape[0],
                          (long long)v.shape[1], (long long)q.shape[0], q.name);
    if (!rc) rc = alloc_values(r, (size_t)v.shape[0], (size_t)v.shape[1]);
    if (!rc) memcpy(r->v, v.data, v.size * sizeof *v.data);
    ceas_weights_tensor_free(&v);
  }
  ceas_weights_tensor_free(&q);
  ceas_weights_tensor_free(&k);
  return rc;
}

/* out[i][a] = sum_m x[i][m] w[a][m]  (x: n x dm, w: d x dm) */
static void project(const double *x, const double *w, size_t n, size_t d, size_t dm,
                    double *out) {
  for (size_t i = 0; i < n; i++)
    for (size_t a = 0; a < d; a++) {
      double acc = 0;
      for (size_t m = 0; m < dm; m++) acc += x[i * dm + m] * w[a * dm + m];
      out[i * d + a] = acc;
    }
}

static int load_projection(ceas_weights *w, const ceas_headsrc_spec *s, ceas_headsrc *r) {
  ceas_weights_tensor x = {0}, wq = {0}, wk = {0}, hq = {0}, hk = {0}, wv = {0}, hv = {0};
  const ceas_weights_tensor *pq = &wq, *pk = &wk, *pv = &wv;
  const char *path = ceas_weights_path(w);
  int rc = ceas_weights_read(w, r->x_name, &x);
  if (!rc) rc = ceas_weights_read(w, r->q_name, &wq);
  if (!rc) rc = ceas_weights_read(w, r->k_name, &wk);
  if (!rc) rc = need_rank2(w, &x);
  if (!rc) rc = need_rank2(w, &wq);
  if (!rc) rc = need_rank2(w, &wk);
  if (!rc && s->want_v) rc = ceas_weights_read(w, r->v_name, &wv);
  if (!rc && s->want_v) rc = need_rank2(w, &wv);
  if (!rc && s->want_v && wv.shape[1] != x.shape[1])
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: tensor '%s' [%lld, %lld]: expected [n_heads*d_v, %lld] (d_model "
                        "of '%s', PyTorch layout [out, in])",
                        path, wv.name, (long long)wv.shape[0], (long long)wv.shape[1],
                        (long long)x.shape[1], x.name);
  if (!rc && (wq.shape[0] != wk.shape[0] || wq.shape[1] != wk.shape[1]))
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: tensors '%s' [%lld, %lld] and '%s' [%lld, %lld]: expected "
                        "the same shape [n_heads*d_k, d_model]",
                        path, wq.name, (long long)wq.shape[0], (long long)wq.shape[1],
                        wk.name, (long long)wk.shape[0], (long long)wk.shape[1]);
  if (!rc && x.shape[1] != wq.shape[1])
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: tensor '%s' [%lld, %lld] has d_model = %lld but '%s' "
                        "[%lld, %lld] expects d_model = %lld (PyTorch layout [out, in])",
                        path, x.name, (long long)x.shape[0], (long long)x.shape[1],
                        (long long)x.shape[1], wq.name, (long long)wq.shape[0],
                        (long long)wq.shape[1], (long long)wq.shape[1]);
  if (!rc && x.shape[0] < 2)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected at least 2 tokens (rows)",
                        path, x.name);
  if (!rc && s->head >= 0) {
    rc = ceas_weights_head(&wq, CEAS_WEIGHTS_HEAD_ROWS, s->n_heads, s->head, &hq);
    if (!rc) rc = ceas_weights_head(&wk, CEAS_WEIGHTS_HEAD_ROWS, s->n_heads, s->head, &hk);
    if (!rc && s->want_v)
      rc = ceas_weights_head(&wv, CEAS_WEIGHTS_HEAD_ROWS, s->n_heads, s->head, &hv);
    if (rc) {
      char msg[1024];
      snprintf(msg, sizeof msg, "%s", ceas_error_message());
      rc = ceas_error_set(CEAS_EINPUT, "%s: --head %ld --n-heads %ld: %s", path, s->head,
                          s->n_heads, msg);
    }
    pq = &hq;
    pk = &hk;
    pv = &hv;
  }
  if (!rc && pq->shape[0] < 1)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected d_k >= 1 rows", path,
                        pq->name);
  if (!rc && s->want_v && pv->shape[0] < 1)
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': expected d_v >= 1 rows", path,
                        pv->name);
  if (!rc) rc = alloc_head((size_t)x.shape[0], (size_t)pq->shape[0], &r->head);
  if (!rc && s->want_v) rc = alloc_values(r, (size_t)x.shape[0], (size_t)pv->shape[0]);
  if (!rc) {
    size_t n = (size_t)x.shape[0], d = (size_t)pq->shape[0], dm = (size_t)x.shape[1];
    project(x.data, pq->data, n, d, dm, r->head->q);
    project(x.data, pk->data, n, d, dm, r->head->k);
    if (s->want_v) project(x.data, pv->data, n, r->d_v, dm, r->v);
  }
  ceas_weights_tensor_free(&x);
  ceas_weights_tensor_free(&wq);
  ceas_weights_tensor_free(&wk);
  ceas_weights_tensor_free(&hq);
  ceas_weights_tensor_free(&hk);
  ceas_weights_tensor_free(&wv);
  ceas_weights_tensor_free(&hv);
  return rc;
}

int ceas_headsrc_load(const ceas_headsrc_spec *s, ceas_headsrc **out) {
  *out = NULL;
  int rc = ceas_headsrc_validate(s);
  if (rc) return rc;
  ceas_headsrc *r = calloc(1, sizeof *r);
  if (!r) return ceas_error_set(CEAS_ENOMEM, "out of memory");
  if (s->synthetic) {
    r->mode = "synthetic";
    rc = ceas_attention_head_alloc(&s->spec, &r->head);
    if (!rc && s->want_v) rc = alloc_values(r, s->spec.n, s->spec.d_k);
    if (!rc && s->want_v) ceas_attention_head_values(&s->spec, r->d_v, r->v);
  } else {
    ceas_weights *w = NULL;
    rc = ceas_weights_open(s->weights, &w);
    if (!rc) {
      const ceas_weights_info *info;
      int direct = s->q || s->k ||
                   (!s->x && !s->wq && !s->wk && ceas_weights_find(w, "Q", &info) == CEAS_OK);
      if (direct && s->wv)
        rc = ceas_error_set(CEAS_EINPUT,
                            "--wv: applies to projections (X, W_q, W_k, W_v), but %s is "
                            "read as direct Q, K tensors (use --v NAME)", s->weights);
      else if (!direct && s->v)
        rc = ceas_error_set(CEAS_EINPUT,
                            "--v: applies to direct Q, K, V tensors, but %s is read as "
                            "projections (use --wv NAME)", s->weights);
      else if (direct && s->head >= 0)
        rc = ceas_error_set(CEAS_EINPUT,
                            "--head: applies to projections (X, W_q, W_k), but %s is read "
                            "as direct Q, K tensors", s->weights);
      else if (direct) {
        r->mode = "direct";
        snprintf(r->q_name, sizeof r->q_name, "%s", s->q ? s->q : "Q");
        snprintf(r->k_name, sizeof r->k_name, "%s", s->k ? s->k : "K");
        if (s->want_v) snprintf(r->v_name, sizeof r->v_name, "%s", s->v ? s->v : "V");
        rc = load_direct(w, r, s->want_v);
      } else {
        r->mode = "projection";
        snprintf(r->x_name, sizeof r->x_name, "%s", s->x ? s->x : "X");
        snprintf(r->q_name, sizeof r->q_name, "%s", s->wq ? s->wq : "W_q");
        snprintf(r->k_name, sizeof r->k_name, "%s", s->wk ? s->wk : "W_k");
        if (s->want_v) snprintf(r->v_name, sizeof r->v_name, "%s", s->wv ? s->wv : "W_v");
        rc = load_projection(w, s, r);
      }
      ceas_weights_close(w);
    }
  }
  if (rc) {
    ceas_headsrc_free(r);
    return rc;
  }
  *out = r;
  return CEAS_OK;
}

/* One description of a head's origin for every file that holds something made
 * from it (attention curves, coupling files). */
int ceas_headsrc_write_attrs(hid_t f, const ceas_headsrc_spec *s, const ceas_headsrc *hs) {
  int rc = ceas_io_attr_string(f, "source", hs->mode);
  if (s->synthetic) {
    if (!rc) rc = ceas_io_attr_string(f, "synthetic_kind", ceas_headsrc_kind_name(s->spec.kind));
    if (!rc) rc = ceas_io_attr_uint64(f, "seed", s->spec.seed);
    if (!rc && s->spec.kind == CEAS_ATTENTION_CLUSTERED) {
      rc = ceas_io_attr_int64(f, "clusters", (int64_t)s->spec.clusters);
      if (!rc) rc = ceas_io_attr_double(f, "spread", s->spec.spread);
    }
    if (!rc && s->spec.kind == CEAS_ATTENTION_LOWRANK)
      rc = ceas_io_attr_int64(f, "rank", (int64_t)s->spec.rank);
  } else {
    if (!rc) rc = ceas_io_attr_string(f, "weights_file", s->weights);
    if (!strcmp(hs->mode, "direct")) {
      if (!rc) rc = ceas_io_attr_string(f, "tensor_q", hs->q_name);
      if (!rc) rc = ceas_io_attr_string(f, "tensor_k", hs->k_name);
      if (!rc && hs->v) rc = ceas_io_attr_string(f, "tensor_v", hs->v_name);
    } else {
      if (!rc) rc = ceas_io_attr_string(f, "tensor_x", hs->x_name);
      if (!rc) rc = ceas_io_attr_string(f, "tensor_wq", hs->q_name);
      if (!rc) rc = ceas_io_attr_string(f, "tensor_wk", hs->k_name);
      if (!rc && hs->v) rc = ceas_io_attr_string(f, "tensor_wv", hs->v_name);
    }
    if (!rc) rc = ceas_io_attr_int64(f, "head", s->head);
    if (!rc) rc = ceas_io_attr_int64(f, "n_heads", s->n_heads ? s->n_heads : 1);
  }
  return rc;
}
