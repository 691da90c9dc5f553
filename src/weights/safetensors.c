#define _POSIX_C_SOURCE 200809L
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "weights_private.h"

/* The reference implementation refuses headers above 100 MB; a larger one is a
 * corrupt length, and we must not allocate from it. */
#define MAX_HEADER ((uint64_t)100000000)
/* Integers in the JSON header arrive as doubles: beyond 2^53 they are not
 * exact, and no real file is that large anyway. */
#define MAX_JSON_INT 9007199254740992.0

typedef struct {
  const char *name;
  int esize;
  int readable;
} dtype_desc;

/* The dtypes of the safetensors specification, so that files mixing weights
 * with integer buffers (position ids, masks) still open and list. */
static const dtype_desc DTYPES[] = {
    {"F64", 8, 1},     {"F32", 4, 1},      {"F16", 2, 1},  {"BF16", 2, 1},
    {"I64", 8, 0},     {"U64", 8, 0},      {"I32", 4, 0},  {"U32", 4, 0},
    {"I16", 2, 0},     {"U16", 2, 0},      {"I8", 1, 0},   {"U8", 1, 0},
    {"BOOL", 1, 0},    {"F8_E4M3", 1, 0},  {"F8_E5M2", 1, 0},
};

static uint64_t le64(const unsigned char *b) {
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = (v << 8) | b[k];
  return v;
}

/* Reads a JSON number that must be an exact non-negative integer. */
static int get_uint(const cJSON *item, uint64_t *out) {
  if (!cJSON_IsNumber(item)) return -1;
  double v = item->valuedouble;
  if (!isfinite(v) || v < 0 || v > MAX_JSON_INT || v != floor(v)) return -1;
  *out = (uint64_t)v;
  return 0;
}

static int cmp_name(const void *a, const void *b) {
  const ceas_weights_entry *x = *(ceas_weights_entry *const *)a;
  const ceas_weights_entry *y = *(ceas_weights_entry *const *)b;
  return strcmp(x->info.name, y->info.name);
}

static int cmp_begin(const void *a, const void *b) {
  const ceas_weights_entry *x = *(ceas_weights_entry *const *)a;
  const ceas_weights_entry *y = *(ceas_weights_entry *const *)b;
  if (x->begin != y->begin) return (x->begin > y->begin) - (x->begin < y->begin);
  return (x->end > y->end) - (x->end < y->end);
}

static int parse_tensor(ceas_weights *w, const cJSON *t) {
  const char *path = w->path, *nm = t->string;
  if (!cJSON_IsObject(t))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': header entry must be an object with "
                          "dtype, shape and data_offsets",
                          path, nm);
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
  const cJSON *of = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
  if (!cJSON_IsString(dt))
    return ceas_error_set(CEAS_EINPUT, "%s: tensor '%.200s': %s 'dtype' (expected a string)",
                          path, nm, dt ? "mistyped" : "missing");
  if (!cJSON_IsArray(sh))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': %s 'shape' (expected an array of "
                          "non-negative integers)",
                          path, nm, sh ? "mistyped" : "missing");
  if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': %s 'data_offsets' (expected [begin, end])",
                          path, nm, of ? "mistyped" : "missing");
  const dtype_desc *d = NULL;
  for (size_t k = 0; k < sizeof DTYPES / sizeof *DTYPES; k++)
    if (strcmp(DTYPES[k].name, dt->valuestring) == 0) d = &DTYPES[k];
  if (!d)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': unsupported dtype '%.40s' (expected "
                          "F64, F32, F16 or BF16)",
                          path, nm, dt->valuestring);
  int rank = cJSON_GetArraySize(sh);
  if (rank > CEAS_WEIGHTS_MAX_RANK)
    return ceas_error_set(CEAS_EINPUT, "%s: tensor '%.200s': rank %d (at most %d supported)",
                          path, nm, rank, CEAS_WEIGHTS_MAX_RANK);
  int64_t dims[CEAS_WEIGHTS_MAX_RANK];
  int k = 0;
  for (const cJSON *x = sh->child; x; x = x->next, k++) {
    uint64_t v;
    if (get_uint(x, &v))
      return ceas_error_set(CEAS_EINPUT,
                            "%s: tensor '%.200s': shape[%d] is not a non-negative integer",
                            path, nm, k);
    dims[k] = (int64_t)v;
  }
  uint64_t begin, end, count, bytes;
  if (get_uint(of->child, &begin) || get_uint(of->child->next, &end))
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': data_offsets must be two non-negative "
                          "integers",
                          path, nm);
  if (ceas_weights_product(dims, rank, UINT64_MAX / 8, &count) ||
      __builtin_mul_overflow(count, (uint64_t)d->esize, &bytes))
    return ceas_error_set(CEAS_EINPUT, "%s: tensor '%.200s': shape product overflows",
                          path, nm);
  if (begin > end)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': data_offsets begin %llu > end %llu", path,
                          nm, (unsigned long long)begin, (unsigned long long)end);
  if (end - begin != bytes)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': data_offsets span %llu bytes but shape x "
                          "%s needs %llu",
                          path, nm, (unsigned long long)(end - begin), d->name,
                          (unsigned long long)bytes);
  if (end > w->data_len)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%.200s': data_offsets end %llu beyond the %llu-byte "
                          "data section (truncated file?)",
                          path, nm, (unsigned long long)end,
                          (unsigned long long)w->data_len);
  ceas_weights_entry *e;
  int rc = ceas_weights_push(w, nm, &e);
  if (rc) return rc;
  e->info.dtype = d->name;
  e->info.rank = rank;
  for (k = 0; k < rank; k++) e->info.shape[k] = dims[k];
  e->readable = d->readable;
  e->esize = d->esize;
  e->begin = begin;
  e->end = end;
  return CEAS_OK;
}

/* Names must be unique and byte ranges disjoint: both need sorted views. */
static int check_set(ceas_weights *w) {
  if (w->n < 2) return CEAS_OK;
  ceas_weights_entry **v = ceas_malloc(w->n * sizeof *v);
  if (!v) return CEAS_ENOMEM;
  int rc = CEAS_OK;
  for (size_t i = 0; i < w->n; i++) v[i] = &w->e[i];
  qsort(v, w->n, sizeof *v, cmp_name);
  for (size_t i = 1; i < w->n && !rc; i++)
    if (strcmp(v[i]->info.name, v[i - 1]->info.name) == 0)
      rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%.200s' appears twice in the header",
                          w->path, v[i]->info.name);
  if (!rc) {
    qsort(v, w->n, sizeof *v, cmp_begin);
    /* Empty tensors occupy no bytes and so overlap nothing. */
    const ceas_weights_entry *prev = NULL;
    for (size_t i = 0; i < w->n && !rc; i++) {
      if (v[i]->begin == v[i]->end) continue;
      if (prev && v[i]->begin < prev->end)
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s: tensor '%.200s' (bytes %llu..%llu) overlaps tensor "
                            "'%.200s' (bytes %llu..%llu)",
                            w->path, v[i]->info.name, (unsigned long long)v[i]->begin,
                            (unsigned long long)v[i]->end, prev->info.name,
                            (unsigned long long)prev->begin,
                            (unsigned long long)prev->end);
      prev = v[i];
    }
  }
  free(v);
  return rc;
}

int ceas_weights_st_open(ceas_weights *w) {
  const char *path = w->path;
  struct stat st;
  if (fstat(fileno(w->fp), &st) != 0 || !S_ISREG(st.st_mode))
    return ceas_error_set(CEAS_EINPUT, "%s: not a regular file", path);
  uint64_t size = (uint64_t)st.st_size;
  unsigned char head[8];
  if (size < 8 || fseeko(w->fp, 0, SEEK_SET) != 0 || fread(head, 1, 8, w->fp) != 8)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: not a weights file (%llu bytes: too short for a "
                          "safetensors header, and not HDF5)",
                          path, (unsigned long long)size);
  uint64_t n = le64(head);
  if (n > size - 8)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: safetensors header length %llu runs past the end of the "
                          "%llu-byte file (truncated, or neither safetensors nor HDF5)",
                          path, (unsigned long long)n, (unsigned long long)size);
  if (n > MAX_HEADER)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: safetensors header length %llu exceeds the %llu-byte limit",
                          path, (unsigned long long)n, (unsigned long long)MAX_HEADER);
  if (n < 2)
    return ceas_error_set(CEAS_EINPUT,
                          "%s: safetensors header length %llu is too small for a JSON "
                          "object",
                          path, (unsigned long long)n);
  w->data_start = 8 + n;
  w->data_len = size - 8 - n;
  char *buf = ceas_malloc((size_t)n + 1);
  if (!buf) return CEAS_ENOMEM;
  int rc = CEAS_OK;
  cJSON *root = NULL;
  if (fread(buf, 1, (size_t)n, w->fp) != (size_t)n) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: short read of the safetensors header", path);
    goto done;
  }
  buf[n] = '\0';
  const char *end = NULL;
  root = cJSON_ParseWithLengthOpts(buf, (size_t)n, &end, 0);
  if (!root) {
    long at = end && end >= buf && end <= buf + n ? (long)(end - buf) : -1;
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: safetensors header is not valid JSON (error near byte %ld "
                        "of %llu)",
                        path, at, (unsigned long long)n);
    goto done;
  }
  /* Writers pad the header with spaces to align the data section. */
  for (const char *p = end; p && p < buf + n; p++)
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s: safetensors header has trailing bytes after the JSON "
                          "object (at byte %ld)",
                          path, (long)(p - buf));
      goto done;
    }
  if (!cJSON_IsObject(root)) {
    rc = ceas_error_set(CEAS_EINPUT,
                        "%s: safetensors header is JSON but not an object of tensors",
                        path);
    goto done;
  }
  for (const cJSON *t = root->child; t && !rc; t = t->next) {
    if (!t->string) {
      rc = ceas_error_set(CEAS_EINPUT, "%s: safetensors header entry without a name",
                          path);
    } else if (strcmp(t->string, "__metadata__") == 0) {
      if (!cJSON_IsObject(t))
        rc = ceas_error_set(CEAS_EINPUT,
                            "%s: safetensors '__metadata__' must be an object", path);
    } else {
      rc = parse_tensor(w, t);
    }
  }
  if (!rc) rc = check_set(w);
done:
  cJSON_Delete(root);
  free(buf);
  return rc;
}

static double decode(const unsigned char *b, int esize, const char *dtype) {
  if (esize == 2) {
    uint16_t u = (uint16_t)(b[0] | (b[1] << 8));
    return dtype[0] == 'B' ? ceas_weights_bf16_to_double(u) : ceas_weights_f16_to_double(u);
  }
  if (esize == 4) {
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
  }
  uint64_t u = le64(b);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

int ceas_weights_st_read(ceas_weights *w, const ceas_weights_entry *e,
                         ceas_weights_tensor *out) {
  uint64_t count = (e->end - e->begin) / (uint64_t)e->esize;
  if (count > SIZE_MAX / sizeof(double))
    return ceas_error_set(CEAS_EINPUT, "%s: tensor '%s' is too large for this machine",
                          w->path, e->info.name);
  int rc = ceas_weights_tensor_init(out, e->info.name, e->info.rank, e->info.shape,
                                    (size_t)count);
  if (rc) return rc;
  unsigned char chunk[1 << 16]; /* a multiple of every element size */
  uint64_t done = 0, total = e->end - e->begin;
  if (fseeko(w->fp, (off_t)(w->data_start + e->begin), SEEK_SET) != 0) {
    rc = ceas_error_set(CEAS_EINPUT, "%s: tensor '%s': cannot seek to its data", w->path,
                        e->info.name);
    goto fail;
  }
  while (done < total) {
    size_t want = total - done < sizeof chunk ? (size_t)(total - done) : sizeof chunk;
    /* Sizes were checked at open, so a short read means the file shrank. */
    if (fread(chunk, 1, want, w->fp) != want) {
      rc = ceas_error_set(CEAS_EINPUT,
                          "%s: tensor '%s': short read (file truncated while open?)",
                          w->path, e->info.name);
      goto fail;
    }
    size_t base = (size_t)(done / (uint64_t)e->esize);
    for (size_t k = 0; k < want / (size_t)e->esize; k++)
      out->data[base + k] = decode(chunk + k * (size_t)e->esize, e->esize, e->info.dtype);
    done += want;
  }
  return CEAS_OK;
fail:
  ceas_weights_tensor_free(out);
  return rc;
}
