/*
 * ceas_weights — reading transformer tensors (token embeddings, attention and
 * FFN projections) from safetensors or HDF5 files into float64 arrays.
 *
 * The format is chosen by content: the 8-byte HDF5 signature means HDF5,
 * anything else is parsed as safetensors (8-byte little-endian header length
 * N, N bytes of JSON, then the data section).
 *
 *  safetensors: dtypes F64, F32, F16 and BF16 are read (converted exactly to
 *    double); the other standard dtypes (I8 ... U64, BOOL, F8_*) are listed and
 *    size-checked but reading them is refused; an unknown dtype string makes the
 *    file invalid. Every size and offset in the header is checked against the
 *    file size before anything is allocated or read. Gaps between tensors are
 *    tolerated, overlaps are not.
 *  HDF5: every dataset reachable by hard links (names without the leading '/',
 *    e.g. "W_q" or "ffn/W_1"); floating-point datasets of any precision are
 *    read, through HDF5's own conversion to double.
 *
 * Tensors are returned row-major (C order) with their shape, rank at most
 * CEAS_WEIGHTS_MAX_RANK (rank 0 is a scalar, one element).
 *
 * Every defect of the file, and every request for a tensor it lacks, is
 * CEAS_EINPUT with a one-line message naming the file (and the tensor).
 */
#ifndef CEAS_WEIGHTS_H
#define CEAS_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "ceas_core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CEAS_WEIGHTS_MAX_RANK 8

typedef struct ceas_weights ceas_weights;

typedef struct {
  const char *name;  /* owned by the ceas_weights handle */
  const char *dtype; /* "F32", "F16", "BF16", "F64", "I64", ...; HDF5 floats of
                        other widths are "F<bits>", integers "I<bits>"/"U<bits>" */
  int rank;          /* may exceed CEAS_WEIGHTS_MAX_RANK (then unreadable; only
                        the first CEAS_WEIGHTS_MAX_RANK dims are in shape) */
  int64_t shape[CEAS_WEIGHTS_MAX_RANK];
} ceas_weights_info;

typedef struct {
  char *name;   /* tensor name (heap copy), for messages */
  int rank;
  int64_t shape[CEAS_WEIGHTS_MAX_RANK];
  size_t size;  /* product of shape (1 for rank 0) */
  double *data; /* row-major, `size` entries, malloc'ed */
} ceas_weights_tensor;

/* Opens and validates a weights file; the handle keeps the file open. */
int ceas_weights_open(const char *path, ceas_weights **out);
void ceas_weights_close(ceas_weights *w);

const char *ceas_weights_path(const ceas_weights *w);
size_t ceas_weights_count(const ceas_weights *w);
/* Tensor i in file order (safetensors: header order; HDF5: name order). */
const ceas_weights_info *ceas_weights_info_at(const ceas_weights *w, size_t i);
/* The info of tensor `name`; CEAS_EINPUT listing the tensors present if absent. */
int ceas_weights_find(const ceas_weights *w, const char *name,
                      const ceas_weights_info **info);

/* Reads tensor `name` as double. `out` is overwritten (not freed first); on
 * failure it is left empty (data NULL). */
int ceas_weights_read(ceas_weights *w, const char *name, ceas_weights_tensor *out);
void ceas_weights_tensor_free(ceas_weights_tensor *t);

/*
 * Per-head slice of a rank-2 projection whose split axis has n_heads * d_k
 * entries; head h is the contiguous block [h*d_k, (h+1)*d_k) of that axis
 * (the reshape(n_heads, d_k) of PyTorch's nn.MultiheadAttention and of
 * Hugging Face attention layers).
 *
 *  CEAS_WEIGHTS_HEAD_ROWS: split axis 0. PyTorch nn.Linear stores its weight as
 *    [out_features, in_features], so W_q, W_k, W_v of shape
 *    [n_heads*d_k, d_model] give head h as rows -> [d_k, d_model]
 *    (q_h = W_q_h x).
 *  CEAS_WEIGHTS_HEAD_COLS: split axis 1: a [d_model, n_heads*d_k] matrix used as
 *    x @ W (JAX/Flax kernels, or the transpose of the above), and PyTorch's
 *    output projection W_o [d_model, n_heads*d_k] -> [d_model, d_k].
 *
 * The slice keeps the orientation of the input; `out` gets a fresh copy whose
 * name is "<name>[head h]". CEAS_EINPUT if the tensor is not rank 2, the axis
 * is not divisible by n_heads, or head is out of range.
 */
enum { CEAS_WEIGHTS_HEAD_ROWS = 0, CEAS_WEIGHTS_HEAD_COLS = 1 };
int ceas_weights_head(const ceas_weights_tensor *w, int axis, int64_t n_heads,
                      int64_t head, ceas_weights_tensor *out);

/* Exact conversions of IEEE binary16 and bfloat16 bit patterns (every value of
 * both is a double; NaN payloads are not preserved beyond NaN-ness). */
double ceas_weights_f16_to_double(uint16_t bits);
double ceas_weights_bf16_to_double(uint16_t bits);

#ifdef __cplusplus
}
#endif

#endif
