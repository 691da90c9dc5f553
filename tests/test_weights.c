/* The weights loader: the example layer written by
 * analysis/make_example_weights.py (numpy, h5py, hand-written safetensors)
 * reads back exactly as numpy holds it, in F32, F16 and BF16 and from HDF5;
 * the half-precision conversions agree with numpy on all 65536 bit patterns;
 * head slicing matches numpy slicing; and every defect of a file is
 * CEAS_EINPUT with a one-line message naming the file. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_weights.h"

static const char *NAMES[] = {"X", "W_q", "W_k", "W_v", "W_o", "ffn/W_1", "ffn/W_2"};
#define N_NAMES (sizeof NAMES / sizeof *NAMES)

/* Criterion re-executes this binary for each test, so the example files are
 * made once in the runner and their directory handed down in the environment. */
ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  (void)set;
  static char dir[] = "/tmp/ceasim-weights-XXXXXX";
  if (!mkdtemp(dir)) return;
  char src[1024], cmd[4096];
  snprintf(src, sizeof src, "%s", __FILE__);
  char *slash = strrchr(src, '/');
  if (slash) *slash = '\0'; /* tests/ */
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 '%s/../analysis/make_example_weights.py' '%s' --fixture --seed 7 >/dev/null",
           src, dir);
  if (system(cmd) == 0) setenv("CEASIM_WEIGHTS_TESTDIR", dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  (void)stats;
  const char *dir = getenv("CEASIM_WEIGHTS_TESTDIR");
  if (dir && strncmp(dir, "/tmp/ceasim-weights-", 20) == 0) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  }
}

static const char *example(const char *file) {
  static char path[1024];
  const char *dir = getenv("CEASIM_WEIGHTS_TESTDIR");
  cr_assert(dir, "example files were not generated (python3 with numpy and h5py?)");
  snprintf(path, sizeof path, "%s/%s", dir, file);
  return path;
}

static ceas_weights *open_ok(const char *path) {
  ceas_weights *w = NULL;
  int rc = ceas_weights_open(path, &w);
  cr_assert_eq(rc, 0, "%s: %s", path, ceas_error_message());
  return w;
}

static ceas_weights_tensor read_ok(ceas_weights *w, const char *name) {
  ceas_weights_tensor t;
  int rc = ceas_weights_read(w, name, &t);
  cr_assert_eq(rc, 0, "%s: %s", name, ceas_error_message());
  return t;
}

/* Bitwise equality, except that any NaN equals any NaN. */
static void expect_same(const ceas_weights_tensor *a, const ceas_weights_tensor *b,
                        const char *what) {
  cr_assert_eq(a->rank, b->rank, "%s: rank %d vs %d", what, a->rank, b->rank);
  for (int k = 0; k < a->rank; k++)
    cr_assert_eq(a->shape[k], b->shape[k], "%s: shape[%d]", what, k);
  cr_assert_eq(a->size, b->size, "%s", what);
  size_t bad = 0;
  for (size_t i = 0; i < a->size; i++) {
    double x = a->data[i], y = b->data[i];
    int same = (isnan(x) && isnan(y)) || memcmp(&x, &y, sizeof x) == 0;
    if (!same && bad++ < 5)
      cr_expect(0, "%s[%zu]: %.17g vs %.17g", what, i, x, y);
  }
  cr_assert_eq(bad, 0, "%s: %zu entries differ", what, bad);
}

/* ---- conversions ------------------------------------------------------- */

Test(conversions, f16_special_values) {
  cr_expect_eq(ceas_weights_f16_to_double(0x3c00), 1.0);
  cr_expect_eq(ceas_weights_f16_to_double(0xc000), -2.0);
  cr_expect_eq(ceas_weights_f16_to_double(0x7bff), 65504.0);
  cr_expect_eq(ceas_weights_f16_to_double(0x0400), 0x1p-14);     /* smallest normal */
  cr_expect_eq(ceas_weights_f16_to_double(0x0001), 0x1p-24);     /* smallest subnormal */
  cr_expect_eq(ceas_weights_f16_to_double(0x03ff), 1023 * 0x1p-24);
  cr_expect_eq(ceas_weights_f16_to_double(0x8001), -0x1p-24);
  cr_expect_eq(ceas_weights_f16_to_double(0x3555), 0x1.554p-2);  /* ~1/3 */
  double z = ceas_weights_f16_to_double(0x8000);
  cr_expect(z == 0 && signbit(z));
  cr_expect(isinf(ceas_weights_f16_to_double(0x7c00)) && ceas_weights_f16_to_double(0x7c00) > 0);
  cr_expect(isinf(ceas_weights_f16_to_double(0xfc00)) && ceas_weights_f16_to_double(0xfc00) < 0);
  cr_expect(isnan(ceas_weights_f16_to_double(0x7e00)));
  cr_expect(isnan(ceas_weights_f16_to_double(0x7c01)));
  cr_expect(isnan(ceas_weights_f16_to_double(0xfe00)));
}

Test(conversions, bf16_special_values) {
  cr_expect_eq(ceas_weights_bf16_to_double(0x3f80), 1.0);
  cr_expect_eq(ceas_weights_bf16_to_double(0xc040), -3.0);
  cr_expect_eq(ceas_weights_bf16_to_double(0x7f7f), 0x1.fep127);
  cr_expect_eq(ceas_weights_bf16_to_double(0x0080), 0x1p-126);
  cr_expect_eq(ceas_weights_bf16_to_double(0x0001), 0x1p-133);
  double z = ceas_weights_bf16_to_double(0x8000);
  cr_expect(z == 0 && signbit(z));
  cr_expect(isinf(ceas_weights_bf16_to_double(0x7f80)));
  cr_expect(isinf(ceas_weights_bf16_to_double(0xff80)) && ceas_weights_bf16_to_double(0xff80) < 0);
  cr_expect(isnan(ceas_weights_bf16_to_double(0x7fc0)));
  cr_expect(isnan(ceas_weights_bf16_to_double(0x7f81)));
}

/* All 65536 patterns of each, against numpy's float16 and float32 widening. */
Test(conversions, all_half_bit_patterns_match_numpy) {
  ceas_weights *w = open_ok(example("halfbits.safetensors"));
  ceas_weights *ref = open_ok(example("reference.h5"));
  const char *pairs[][2] = {{"f16", "halfbits/f16"}, {"bf16", "halfbits/bf16"}};
  for (int p = 0; p < 2; p++) {
    ceas_weights_tensor a = read_ok(w, pairs[p][0]), b = read_ok(ref, pairs[p][1]);
    cr_assert_eq(a.size, 65536);
    expect_same(&a, &b, pairs[p][0]);
    ceas_weights_tensor_free(&a);
    ceas_weights_tensor_free(&b);
  }
  ceas_weights_close(w);
  ceas_weights_close(ref);
}

/* ---- round trips ------------------------------------------------------- */

static void roundtrip(const char *file, const char *prefix) {
  ceas_weights *w = open_ok(example(file));
  ceas_weights *ref = open_ok(example("reference.h5"));
  for (size_t i = 0; i < N_NAMES; i++) {
    char rname[128];
    snprintf(rname, sizeof rname, "%s/%s", prefix, NAMES[i]);
    ceas_weights_tensor a = read_ok(w, NAMES[i]), b = read_ok(ref, rname);
    cr_assert_eq(a.rank, 2);
    expect_same(&a, &b, NAMES[i]);
    cr_assert_str_eq(a.name, NAMES[i]);
    ceas_weights_tensor_free(&a);
    ceas_weights_tensor_free(&b);
  }
  ceas_weights_close(w);
  ceas_weights_close(ref);
}

Test(roundtrip, safetensors_f32) { roundtrip("weights.safetensors", "f32"); }
Test(roundtrip, safetensors_f16) { roundtrip("weights_f16.safetensors", "f16"); }
Test(roundtrip, safetensors_bf16) { roundtrip("weights_bf16.safetensors", "bf16"); }
Test(roundtrip, hdf5_f32) { roundtrip("weights.h5", "f32"); }

/* The F16 file holds an overflow (1e5 -> inf) and subnormals: X[0, 0..3]. */
Test(roundtrip, f16_overflow_and_subnormal) {
  ceas_weights *w = open_ok(example("weights_f16.safetensors"));
  ceas_weights_tensor x = read_ok(w, "X");
  cr_expect(x.data[0] > 0 && x.data[0] < 0x1p-14, "3e-6 is subnormal in F16: %g", x.data[0]);
  cr_expect(x.data[1] < 0 && x.data[1] > -0x1p-23, "-7e-8 is tiny in F16: %g", x.data[1]);
  cr_expect(isinf(x.data[2]), "1e5 overflows F16: %g", x.data[2]);
  cr_expect_eq(x.data[3], -65504.0);
  ceas_weights_tensor_free(&x);
  ceas_weights_close(w);
}

Test(roundtrip, hdf5_and_safetensors_agree) {
  ceas_weights *h = open_ok(example("weights.h5"));
  ceas_weights *s = open_ok(example("weights.safetensors"));
  cr_assert_eq(ceas_weights_count(h), N_NAMES);
  cr_assert_eq(ceas_weights_count(s), N_NAMES);
  for (size_t i = 0; i < ceas_weights_count(s); i++) {
    const ceas_weights_info *si = ceas_weights_info_at(s, i), *hi = NULL;
    cr_assert_eq(ceas_weights_find(h, si->name, &hi), 0, "%s", ceas_error_message());
    cr_expect_str_eq(si->dtype, "F32");
    cr_expect_str_eq(hi->dtype, "F32");
    cr_assert_eq(si->rank, hi->rank);
    for (int k = 0; k < si->rank; k++) cr_assert_eq(si->shape[k], hi->shape[k]);
    ceas_weights_tensor a = read_ok(s, si->name), b = read_ok(h, si->name);
    expect_same(&a, &b, si->name);
    ceas_weights_tensor_free(&a);
    ceas_weights_tensor_free(&b);
  }
  ceas_weights_close(h);
  ceas_weights_close(s);
}

Test(listing, names_dtypes_shapes_in_header_order) {
  ceas_weights *w = open_ok(example("weights_bf16.safetensors"));
  cr_assert_eq(ceas_weights_count(w), N_NAMES); /* __metadata__ is not a tensor */
  for (size_t i = 0; i < N_NAMES; i++) {
    const ceas_weights_info *in = ceas_weights_info_at(w, i);
    cr_expect_str_eq(in->name, NAMES[i]);
    cr_expect_str_eq(in->dtype, "BF16");
    cr_expect_eq(in->rank, 2);
  }
  const ceas_weights_info *q;
  cr_assert_eq(ceas_weights_find(w, "W_q", &q), 0);
  cr_expect_eq(q->shape[0], 8); /* n_heads * d_k = 2 * 4 */
  cr_expect_eq(q->shape[1], 12);
  cr_expect_null(ceas_weights_info_at(w, N_NAMES));
  ceas_weights_close(w);
}

/* ---- heads ------------------------------------------------------------- */

Test(heads, match_numpy_slicing) {
  ceas_weights *w = open_ok(example("weights.safetensors"));
  ceas_weights *ref = open_ok(example("reference.h5"));
  const char *names[] = {"W_q", "W_k", "W_v", "W_o"};
  for (int i = 0; i < 4; i++) {
    ceas_weights_tensor t = read_ok(w, names[i]);
    int axis = i < 3 ? CEAS_WEIGHTS_HEAD_ROWS : CEAS_WEIGHTS_HEAD_COLS;
    for (int h = 0; h < 2; h++) {
      char rname[64];
      snprintf(rname, sizeof rname, "heads/%s/%d", names[i], h);
      ceas_weights_tensor s, r = read_ok(ref, rname);
      cr_assert_eq(ceas_weights_head(&t, axis, 2, h, &s), 0, "%s", ceas_error_message());
      expect_same(&s, &r, rname);
      cr_expect(strstr(s.name, names[i]) && strstr(s.name, "head"), "%s", s.name);
      ceas_weights_tensor_free(&s);
      ceas_weights_tensor_free(&r);
    }
    ceas_weights_tensor_free(&t);
  }
  ceas_weights_close(w);
  ceas_weights_close(ref);
}

Test(heads, bad_requests) {
  ceas_weights *w = open_ok(example("weights.safetensors"));
  ceas_weights_tensor t = read_ok(w, "W_q"), s; /* [8, 12] */
  cr_expect_eq(ceas_weights_head(&t, CEAS_WEIGHTS_HEAD_ROWS, 3, 0, &s), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "W_q"), "%s", ceas_error_message());
  cr_expect_eq(ceas_weights_head(&t, CEAS_WEIGHTS_HEAD_ROWS, 2, 2, &s), CEAS_EINPUT);
  cr_expect_eq(ceas_weights_head(&t, CEAS_WEIGHTS_HEAD_ROWS, 2, -1, &s), CEAS_EINPUT);
  cr_expect_eq(ceas_weights_head(&t, CEAS_WEIGHTS_HEAD_ROWS, 0, 0, &s), CEAS_EINPUT);
  cr_expect_eq(ceas_weights_head(&t, 2, 2, 0, &s), CEAS_EINPUT);
  cr_expect_eq(ceas_weights_head(&t, CEAS_WEIGHTS_HEAD_COLS, 3, 2, &s), 0); /* 12 = 3*4 */
  cr_expect_eq(s.shape[0], 8);
  cr_expect_eq(s.shape[1], 4);
  cr_expect_eq(s.data[0], t.data[8]);
  ceas_weights_tensor_free(&s);
  t.rank = 1;
  cr_expect_eq(ceas_weights_head(&t, CEAS_WEIGHTS_HEAD_ROWS, 2, 0, &s), CEAS_EINPUT);
  t.rank = 2;
  ceas_weights_tensor_free(&t);
  ceas_weights_close(w);
}

/* ---- bad input --------------------------------------------------------- */

static char tmp_path[256];

static const char *tmpfile_path(const char *tag) {
  snprintf(tmp_path, sizeof tmp_path, "/tmp/ceasim-wbad-%d-%s", (int)getpid(), tag);
  return tmp_path;
}

/* Writes a safetensors file: explicit header length `n` (or the JSON's own
 * when n == UINT64_MAX), the JSON, then `data_len` bytes of 0x3f. */
static const char *write_st_n(const char *tag, uint64_t n, const char *json,
                              size_t data_len) {
  const char *path = tmpfile_path(tag);
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  if (n == UINT64_MAX) n = strlen(json);
  unsigned char len[8];
  for (int k = 0; k < 8; k++) len[k] = (unsigned char)(n >> (8 * k));
  fwrite(len, 1, 8, f);
  fwrite(json, 1, strlen(json), f);
  for (size_t i = 0; i < data_len; i++) fputc(0x3f, f);
  fclose(f);
  return path;
}

static const char *write_st(const char *tag, const char *json, size_t data_len) {
  return write_st_n(tag, UINT64_MAX, json, data_len);
}

/* Opening fails with CEAS_EINPUT, one line naming the file and `want`. */
static void expect_bad_open(const char *path, const char *want) {
  ceas_weights *w = (ceas_weights *)0x1;
  ceas_error_clear();
  int rc = ceas_weights_open(path, &w);
  const char *msg = ceas_error_message();
  cr_expect_eq(rc, CEAS_EINPUT, "%s: rc %d (%s)", want, rc, msg);
  cr_expect_null(w);
  cr_expect(strstr(msg, path), "message does not name the file: %s", msg);
  cr_expect(!want || strstr(msg, want), "expected '%s' in: %s", want, msg);
  cr_expect(!strchr(msg, '\n'), "not one line: %s", msg);
  if (rc == 0) ceas_weights_close(w);
  unlink(path);
}

#define T(dt, shape, b, e) "{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" b "," e "]}"

Test(bad_input, file_level) {
  expect_bad_open("/nonexistent/w.safetensors", "cannot open");
  expect_bad_open(write_st_n("empty", 0, "", 0), "header length 0");
  {
    const char *p = tmpfile_path("short");
    FILE *f = fopen(p, "wb");
    fputs("abc", f);
    fclose(f);
    expect_bad_open(p, "too short");
  }
  {
    const char *p = tmpfile_path("text");
    FILE *f = fopen(p, "wb");
    fputs("0 1 1.0\n1 2 1.0\n", f);
    fclose(f);
    expect_bad_open(p, "runs past the end");
  }
  expect_bad_open(write_st_n("past", 1000, "{}", 10), "runs past the end");
  expect_bad_open(write_st_n("huge", UINT64_MAX - 1, "{}", 0), "runs past the end");
  expect_bad_open(write_st_n("minus", (uint64_t)-100, "{}", 0), "runs past the end");
}

Test(bad_input, header_json) {
  expect_bad_open(write_st("notjson", "{\"a\": ", 0), "not valid JSON");
  expect_bad_open(write_st("array", "[1, 2, 3]", 0), "not an object");
  expect_bad_open(write_st("string", "\"hello\"", 0), "not an object");
  expect_bad_open(write_st("trailing", "{} xyz", 0), "trailing");
  {
    /* NUL padding: only whitespace may follow the JSON object. */
    const char *p = tmpfile_path("nul");
    FILE *f = fopen(p, "wb");
    fwrite("\4\0\0\0\0\0\0\0{}\0\0", 1, 12, f);
    fclose(f);
    expect_bad_open(p, "trailing");
  }
  expect_bad_open(write_st("meta", "{\"__metadata__\": 3}", 0), "__metadata__");
  expect_bad_open(write_st("notobj", "{\"w\": [1]}", 0), "'w'");
  expect_bad_open(write_st("nodtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                  "missing 'dtype'");
  expect_bad_open(write_st("dtypenum", "{\"w\":" T("F32", "[1]", "0", "4") ",\"v\":{\"dtype\":7,"
                  "\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "mistyped 'dtype'");
  expect_bad_open(write_st("noshape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
                  "missing 'shape'");
  expect_bad_open(write_st("shapestr", "{\"w\":" T("F32", "\"1\"", "0", "4") "}", 4),
                  "mistyped 'shape'");
  expect_bad_open(write_st("shapeneg", "{\"w\":" T("F32", "[-1]", "0", "4") "}", 4),
                  "shape[0]");
  expect_bad_open(write_st("shapefrac", "{\"w\":" T("F32", "[1,1.5]", "0", "4") "}", 4),
                  "shape[1]");
  expect_bad_open(write_st("nooffs", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
                  "missing 'data_offsets'");
  expect_bad_open(write_st("offs3", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                  "\"data_offsets\":[0,4,8]}}", 8), "'data_offsets'");
  expect_bad_open(write_st("offsneg", "{\"w\":" T("F32", "[1]", "-4", "0") "}", 4),
                  "non-negative");
  expect_bad_open(write_st("offsstr", "{\"w\":" T("F32", "[1]", "\"0\"", "4") "}", 4),
                  "non-negative");
  expect_bad_open(write_st("rank9", "{\"w\":" T("F32", "[1,1,1,1,1,1,1,1,1]", "0", "4") "}",
                  4), "rank 9");
}

Test(bad_input, sizes_and_offsets) {
  expect_bad_open(write_st("dtype", "{\"w\":" T("Q7", "[1]", "0", "4") "}", 4), "'Q7'");
  expect_bad_open(write_st("overflow", "{\"w\":" T("F32", "[1099511627776,1099511627776]",
                  "0", "4") "}", 4), "overflow");
  expect_bad_open(write_st("overflow2", "{\"w\":" T("F64", "[4294967296,4294967296]",
                  "0", "4") "}", 4), "overflow");
  expect_bad_open(write_st("span", "{\"w\":" T("F32", "[2,3]", "0", "20") "}", 24),
                  "needs 24");
  expect_bad_open(write_st("beyond", "{\"w\":" T("F32", "[2,3]", "0", "24") "}", 20),
                  "beyond");
  expect_bad_open(write_st("hugeoff", "{\"w\":" T("F32", "[1]", "9007199254740988",
                  "9007199254740992") "}", 4), "beyond");
  expect_bad_open(write_st("bigint", "{\"w\":" T("F32", "[1]", "1e300", "1e300") "}", 4),
                  "non-negative");
  expect_bad_open(write_st("order", "{\"w\":" T("F32", "[1]", "8", "4") "}", 8), "begin 8 > end 4");
  expect_bad_open(write_st("overlap", "{\"a\":" T("F32", "[2]", "0", "8") ",\"b\":"
                  T("F32", "[2]", "4", "12") "}", 12), "overlaps");
  expect_bad_open(write_st("same", "{\"a\":" T("F32", "[2]", "0", "8") ",\"b\":"
                  T("F16", "[4]", "0", "8") "}", 8), "overlaps");
  expect_bad_open(write_st("dup", "{\"a\":" T("F32", "[1]", "0", "4") ",\"a\":"
                  T("F32", "[1]", "4", "8") "}", 8), "appears twice");
}

Test(bad_input, tolerated) {
  /* Gaps, empty tensors, scalars, padding and integer buffers are legal. */
  const char *p = write_st("ok", "{\"__metadata__\":{\"k\":\"v\"},\"s\":" T("F64", "[]", "0", "8")
                           ",\"e\":" T("F32", "[0,5]", "8", "8") ",\"i\":"
                           T("I64", "[1]", "16", "24") ",\"z\":" T("BF16", "[2]", "8", "12")
                           "}   ", 24);
  ceas_weights *w = open_ok(p);
  cr_assert_eq(ceas_weights_count(w), 4);
  ceas_weights_tensor t = read_ok(w, "s");
  cr_expect_eq(t.rank, 0);
  cr_expect_eq(t.size, 1);
  uint64_t bits = 0x3f3f3f3f3f3f3f3full;
  double d;
  memcpy(&d, &bits, sizeof d);
  cr_expect_eq(t.data[0], d);
  ceas_weights_tensor_free(&t);
  t = read_ok(w, "e");
  cr_expect_eq(t.size, 0);
  ceas_weights_tensor_free(&t);
  t = read_ok(w, "z");
  cr_expect_eq(t.data[1], ceas_weights_bf16_to_double(0x3f3f));
  ceas_weights_tensor_free(&t);
  cr_expect_eq(ceas_weights_read(w, "i", &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "I64") && strstr(ceas_error_message(), p), "%s",
            ceas_error_message());
  cr_expect_null(t.data);
  ceas_weights_close(w);
  unlink(p);
}

Test(bad_input, missing_tensor_lists_present) {
  ceas_weights *w = open_ok(example("weights.safetensors"));
  ceas_weights_tensor t;
  cr_assert_eq(ceas_weights_read(w, "W_x", &t), CEAS_EINPUT);
  const char *msg = ceas_error_message();
  cr_expect(strstr(msg, "weights.safetensors") && strstr(msg, "'W_x'"), "%s", msg);
  for (size_t i = 0; i < N_NAMES; i++) cr_expect(strstr(msg, NAMES[i]), "%s", msg);
  cr_expect_eq(ceas_weights_find(w, "nope", NULL), CEAS_EINPUT);
  ceas_weights_close(w);
  w = open_ok(example("weights.h5"));
  cr_assert_eq(ceas_weights_read(w, "Q", &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "ffn/W_1"), "%s", ceas_error_message());
  ceas_weights_close(w);
}

Test(bad_input, missing_tensor_many_truncated) {
  size_t cap = 1 << 16, len = 0;
  char *json = malloc(cap);
  len += (size_t)snprintf(json, cap, "{");
  for (int i = 0; i < 500; i++)
    len += (size_t)snprintf(json + len, cap - len,
                            "%s\"layers.%d.self_attn.q_proj.weight\":" T("F32", "[1]", "%d", "%d"),
                            i ? "," : "", i, 4 * i, 4 * i + 4);
  snprintf(json + len, cap - len, "}");
  const char *p = write_st("many", json, 2000);
  free(json);
  ceas_weights *w = open_ok(p);
  cr_assert_eq(ceas_weights_count(w), 500);
  cr_assert_eq(ceas_weights_find(w, "W_q", NULL), CEAS_EINPUT);
  const char *msg = ceas_error_message();
  cr_expect(strstr(msg, "layers.0.self_attn.q_proj.weight"), "%s", msg);
  cr_expect(strstr(msg, "more)"), "%s", msg);
  cr_expect(strstr(msg, "holds 500"), "%s", msg);
  cr_expect(strlen(msg) < 800, "%zu chars", strlen(msg));
  ceas_weights_close(w);
  unlink(p);
}

static void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

Test(bad_input, hdf5_defects, .init = h5_quiet) {
  /* Truncated: the signature survives, the rest does not. */
  const char *src = example("weights.h5");
  const char *p = tmpfile_path("trunc.h5");
  FILE *in = fopen(src, "rb"), *out = fopen(p, "wb");
  char buf[1024];
  size_t got = fread(buf, 1, sizeof buf, in);
  fwrite(buf, 1, got / 2, out);
  fclose(in);
  fclose(out);
  expect_bad_open(p, "HDF5");

  /* A dataset never written stores no bytes; an integer one is not a weight. */
  p = tmpfile_path("holes.h5");
  hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims[2] = {1000, 1000};
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t d = H5Dcreate2(f, "W_q", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d);
  d = H5Dcreate2(f, "ids", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d);
  H5Sclose(sp);
  sp = H5Screate(H5S_SCALAR);
  d = H5Dcreate2(f, "beta", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double beta = 0.44;
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &beta);
  H5Dclose(d);
  H5Sclose(sp);
  H5Fclose(f);
  ceas_weights *w = open_ok(p);
  cr_assert_eq(ceas_weights_count(w), 3);
  ceas_weights_tensor t;
  cr_expect_eq(ceas_weights_read(w, "W_q", &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "stores only 0"), "%s", ceas_error_message());
  cr_expect_eq(ceas_weights_read(w, "ids", &t), CEAS_EINPUT);
  cr_expect(strstr(ceas_error_message(), "I32"), "%s", ceas_error_message());
  t = read_ok(w, "beta");
  cr_expect_eq(t.rank, 0);
  cr_expect_eq(t.data[0], 0.44);
  ceas_weights_tensor_free(&t);
  ceas_weights_close(w);
  unlink(p);
}
