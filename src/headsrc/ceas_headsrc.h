/*
 * ceas_headsrc — where an attention head's Q and K come from, for the
 * `ceasim attention` and `ceasim map` commands.
 *
 *  synthetic: ceas_attention_head_alloc() with a ceas_attention_spec
 *    (--synthetic --tokens n --d-k d [--kind ...] --seed s).
 *  weights file (safetensors or HDF5, src/weights), one of two layouts:
 *    direct:     tensors Q and K, both [n, d_k] (names: --q, --k; default Q, K);
 *    projection: token embeddings X [n, d_model] and PyTorch nn.Linear weights
 *                W_q, W_k [n_heads*d_k, d_model] (names: --x, --wq, --wk;
 *                default X, W_q, W_k); with --head h (needs --n-heads H) the rows
 *                [h*d_k, (h+1)*d_k) are used, Q = X W_q,h^T, K = X W_k,h^T.
 *                Without --head the whole projection is one head.
 *    The layout is "direct" if --q/--k is given or the file has a tensor named
 *    like --q (default Q); otherwise "projection".
 *
 * Value vectors (only when the spec asks for them, want_v): direct tensor V
 * [n, d_v] (--v), or V = X W_v^T with W_v [n_heads*d_v, d_model] (--wv, default
 * W_v) sliced like W_q, W_k; synthetic heads draw V i.i.d. N(0,1) with d_v = d_k
 * (ceas_attention_head_values).
 *
 * Every bad input is CEAS_EINPUT with a one-line message naming the option or
 * the file and tensor (a missing tensor lists the ones present).
 */
#ifndef CEAS_HEADSRC_H
#define CEAS_HEADSRC_H

#include "ceas_hid.h" /* hid_t only: no <hdf5.h> for users */
#include <stdint.h>

#include "ceas_attention.h"
#include "ceas_options.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int synthetic;            /* --synthetic given */
  ceas_attention_spec spec; /* synthetic head; n/d_k 0 = not given */
  int have_seed;
  const char *weights;      /* --weights FILE, or NULL */
  const char *q, *k;        /* direct tensor names (NULL = default, not forced) */
  const char *x, *wq, *wk;  /* projection tensor names */
  const char *v, *wv;       /* value tensor names (direct V / projection W_v) */
  int want_v;               /* load value vectors too */
  long head;                /* --head, -1 if not given */
  long n_heads;             /* --n-heads, 0 if not given */
} ceas_headsrc_spec;

void ceas_headsrc_spec_default(ceas_headsrc_spec *s);

/* The head-source options (synthetic, tokens, d-k, kind, clusters, spread, rank,
 * seed, weights, q, k, x, wq, wk, head, n-heads) with their help and defaults;
 * the value-vector tensor names (v, wv) apart, for the commands that load values. */
extern const ceas_option ceas_headsrc_option_table[];
extern const ceas_option ceas_headsrc_value_option_table[];

/* One option of those two tables by its name without "--" ("synthetic" takes
 * value NULL): CEAS_OK, CEAS_EINPUT naming `what`, or
 * CEAS_HEADSRC_NOT_AN_OPTION when `key` is none of these. */
#define CEAS_HEADSRC_NOT_AN_OPTION (-1)
int ceas_headsrc_option(ceas_headsrc_spec *s, const char *key, const char *value,
                        const char *what);

/* Checks the combination (exactly one source, required options present). */
int ceas_headsrc_validate(const ceas_headsrc_spec *s);

typedef struct {
  ceas_attention_head *head; /* n x d_k, row-major q and k */
  const char *mode;          /* "synthetic", "direct" or "projection" */
  char q_name[256], k_name[256], x_name[256]; /* tensors used ("" if none) */
  double *v;                 /* n x d_v value vectors if want_v, else NULL */
  size_t d_v;
  char v_name[256];          /* V or W_v tensor used ("" if none) */
} ceas_headsrc;

/* Loads the head. On failure *out is NULL. */
int ceas_headsrc_load(const ceas_headsrc_spec *s, ceas_headsrc **out);
void ceas_headsrc_free(ceas_headsrc *h);

/* The head's origin as attributes on loc: "source" (the mode), and the synthetic
 * spec and seed, or the weights file, tensor names (with tensor_v / tensor_wv
 * when values were loaded), head and n_heads. */
int ceas_headsrc_write_attrs(hid_t loc, const ceas_headsrc_spec *s, const ceas_headsrc *hs);

/* Short text naming the synthetic kind ("gaussian", "clustered", "lowrank"). */
const char *ceas_headsrc_kind_name(ceas_attention_kind k);

#ifdef __cplusplus
}
#endif

#endif
