/* Corrupted safetensors files: thousands of variants of one valid small file
 * (truncations at every length, bit flips, random header lengths, JSON
 * mutations). Each must either load (and then every tensor must read or be
 * refused cleanly) or fail with CEAS_EINPUT and a message; ASan and UBSan
 * check that nothing reads out of bounds on the way. The RNG seed is fixed so
 * that a failure reproduces. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceas_weights.h"

static const char BASE_JSON[] =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
    "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
    "\"c\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]}}";
#define DATA_LEN 40

static uint64_t rng_state;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

typedef struct {
  unsigned char *p;
  size_t len, cap;
} buf;

/* Keeps a terminator after the bytes so that the mutator may use strstr. */
static void put(buf *b, const void *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = 2 * (b->len + n) + 64;
    b->p = realloc(b->p, b->cap);
    cr_assert(b->p);
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

/* A whole file: header length (the JSON's own unless forced), JSON, data. */
static buf file_of(const char *json, size_t jlen, const uint64_t *forced_len) {
  buf b = {0};
  uint64_t n = forced_len ? *forced_len : jlen;
  unsigned char l[8];
  for (int k = 0; k < 8; k++) l[k] = (unsigned char)(n >> (8 * k));
  put(&b, l, 8);
  put(&b, json, jlen);
  for (int i = 0; i < DATA_LEN; i++) {
    unsigned char c = (unsigned char)(i * 37 + 11);
    put(&b, &c, 1);
  }
  return b;
}

static char path[128];
static long n_ok, n_bad;

static void try_load(const unsigned char *bytes, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert(f);
  if (len) cr_assert_eq(fwrite(bytes, 1, len, f), len);
  fclose(f);
  ceas_weights *w = NULL;
  ceas_error_clear();
  int rc = ceas_weights_open(path, &w);
  if (rc) {
    cr_assert_eq(rc, CEAS_EINPUT, "rc %d: %s", rc, ceas_error_message());
    cr_assert(ceas_error_message()[0], "empty message");
    cr_assert(strstr(ceas_error_message(), path), "%s", ceas_error_message());
    cr_assert_null(w);
    n_bad++;
    return;
  }
  n_ok++;
  for (size_t i = 0; i < ceas_weights_count(w); i++) {
    const ceas_weights_info *in = ceas_weights_info_at(w, i);
    ceas_weights_tensor t;
    ceas_error_clear();
    rc = ceas_weights_read(w, in->name, &t);
    if (rc) {
      cr_assert_eq(rc, CEAS_EINPUT, "%s", ceas_error_message());
      cr_assert(ceas_error_message()[0]);
      continue;
    }
    size_t n = 1;
    for (int k = 0; k < t.rank; k++) n *= (size_t)t.shape[k];
    cr_assert_eq(n, t.size);
    volatile double sum = 0;
    for (size_t k = 0; k < t.size; k++) sum += t.data[k]; /* ASan: every entry is ours */
    (void)sum;
    ceas_weights_tensor_free(&t);
  }
  cr_assert_eq(ceas_weights_find(w, "\x01 no such tensor", NULL), CEAS_EINPUT);
  ceas_weights_close(w);
}

static void setup(void) {
  snprintf(path, sizeof path, "/tmp/ceasim-wfuzz-%d.safetensors", (int)getpid());
  n_ok = n_bad = 0;
}
static void teardown(void) { unlink(path); }

TestSuite(fuzz, .init = setup, .fini = teardown, .timeout = 120);

Test(fuzz, base_file_loads) {
  buf b = file_of(BASE_JSON, strlen(BASE_JSON), NULL);
  try_load(b.p, b.len);
  cr_assert_eq(n_ok, 1, "%s", ceas_error_message());
  free(b.p);
}

Test(fuzz, truncation_at_every_length) {
  buf b = file_of(BASE_JSON, strlen(BASE_JSON), NULL);
  for (size_t len = 0; len < b.len; len++) try_load(b.p, len);
  cr_expect_eq(n_ok, 0, "a truncated file loaded");
  free(b.p);
}

Test(fuzz, bit_flips) {
  rng_state = 1;
  buf b = file_of(BASE_JSON, strlen(BASE_JSON), NULL);
  unsigned char *m = malloc(b.len);
  for (int it = 0; it < 2000; it++) {
    memcpy(m, b.p, b.len);
    int flips = 1 + (int)below(4);
    for (int k = 0; k < flips; k++) {
      /* Half the flips go to the length prefix and header, where parsing is. */
      size_t at = it % 2 ? below(b.len) : below(8 + strlen(BASE_JSON));
      m[at] ^= (unsigned char)(1u << below(8));
    }
    try_load(m, b.len);
  }
  cr_log_info("bit flips: %ld loaded, %ld refused", n_ok, n_bad);
  free(m);
  free(b.p);
}

Test(fuzz, random_header_lengths) {
  rng_state = 2;
  size_t jl = strlen(BASE_JSON);
  for (int it = 0; it < 600; it++) {
    uint64_t n;
    switch (it % 5) {
      case 0: n = next(); break;
      case 1: n = jl + (uint64_t)below(2 * DATA_LEN + 1) - DATA_LEN; break;
      case 2: n = next() >> below(64); break;
      case 3: n = UINT64_MAX - below(1000); break;
      default: n = (uint64_t)1 << below(64); break;
    }
    buf b = file_of(BASE_JSON, jl, &n);
    try_load(b.p, b.len);
    free(b.p);
  }
}

static const char *NUMBERS[] = {
    "-1", "0", "1", "-0", "2.5", "1e308", "1e400", "-1e400", "18446744073709551616",
    "9007199254740993", "4294967296", "99999999999999999999999", "40", "24", "8",
    "\"7\"", "null", "true", "[]", "{}", "[1,2]", "1e-400", "0x10", "NaN",
};
static const char *STRINGS[] = {"\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"",
                                "\"I64\"", "\"Q7\"",  "\"\"",     "\"f32\"",
                                "\"__metadata__\"", "\"a\"", "\"b\"", "\"shape\"",
                                "\"data_offsets\"", "\"dtype\"", "\"\\u0000\""};
static const char GARBAGE[] = "{}[]\",:0123456789-+e.abE \\";

/* One mutation of the JSON text in place (b holds it, no terminator). */
static void mutate(buf *j) {
  buf out = {0};
  size_t len = j->len;
  const char *s = (const char *)j->p;
  switch (below(7)) {
    case 0: { /* replace a number */
      size_t starts[256], n = 0;
      for (size_t i = 0; i < len && n < 256; i++)
        if ((s[i] >= '0' && s[i] <= '9') && (i == 0 || !(s[i - 1] >= '0' && s[i - 1] <= '9')))
          starts[n++] = i;
      if (!n) return;
      size_t a = starts[below(n)], e = a;
      while (e < len && s[e] >= '0' && s[e] <= '9') e++;
      const char *r = NUMBERS[below(sizeof NUMBERS / sizeof *NUMBERS)];
      put(&out, s, a);
      put(&out, r, strlen(r));
      put(&out, s + e, len - e);
      break;
    }
    case 1: { /* replace a string */
      size_t starts[256], n = 0;
      int in = 0;
      for (size_t i = 0; i < len && n < 256; i++)
        if (s[i] == '"') {
          if (!in) starts[n++] = i;
          in = !in;
        }
      if (!n) return;
      size_t a = starts[below(n)], e = a + 1;
      while (e < len && s[e] != '"') e++;
      if (e < len) e++;
      const char *r = STRINGS[below(sizeof STRINGS / sizeof *STRINGS)];
      put(&out, s, a);
      put(&out, r, strlen(r));
      put(&out, s + e, len - e);
      break;
    }
    case 2: { /* delete a field: from a comma or brace to the next comma */
      size_t a = below(len), e;
      while (a > 0 && s[a] != ',' && s[a] != '{') a--;
      e = a + 1;
      while (e < len && s[e] != ',' && s[e] != '}') e++;
      if (s[a] == '{' && e < len && s[e] == ',') e++, a++;
      put(&out, s, a);
      put(&out, s + e, len - e);
      break;
    }
    case 3: { /* delete or duplicate a random span */
      size_t a = below(len + 1), n = 1 + below(20);
      if (a + n > len) n = len - a;
      put(&out, s, a + (below(2) ? n : 0));
      put(&out, s + a, len - a);
      break;
    }
    case 4: { /* insert garbage */
      size_t a = below(len + 1), n = 1 + below(5);
      put(&out, s, a);
      for (size_t i = 0; i < n; i++) put(&out, &GARBAGE[below(sizeof GARBAGE - 1)], 1);
      put(&out, s + a, len - a);
      break;
    }
    case 5: { /* a number or value becomes nested garbage, up to past cJSON's limit */
      size_t a = below(len);
      while (a < len && !(s[a] >= '0' && s[a] <= '9')) a++;
      size_t e = a;
      while (e < len && s[e] >= '0' && s[e] <= '9') e++;
      size_t depth = 1 + below(below(2) ? 20 : 1500);
      int obj = (int)below(2);
      put(&out, s, a);
      for (size_t i = 0; i < depth; i++) put(&out, obj ? "{\"x\":" : "[", obj ? 5 : 1);
      put(&out, "1", 1);
      for (size_t i = 0; i < depth; i++) put(&out, obj ? "}" : "]", 1);
      put(&out, s + e, len - e);
      break;
    }
    default: { /* huge offsets / shapes that still parse */
      const char *r[] = {"[0,9007199254740992]", "[40,0]", "[0,40]", "[8,16]",
                         "[4611686018427387904,4611686018427387904]", "[-8,0]"};
      const char *key = below(2) ? "\"data_offsets\":" : "\"shape\":";
      const char *at = strstr(s, key);
      size_t skip = below(3);
      while (at && skip-- && strstr(at + 1, key)) at = strstr(at + 1, key);
      if (!at || (size_t)(at - s) >= len) return;
      size_t a = (size_t)(at - s) + strlen(key), e = a;
      while (e < len && s[e] != ']') e++;
      if (e < len) e++;
      const char *v = r[below(6)];
      put(&out, s, a);
      put(&out, v, strlen(v));
      put(&out, s + e, len - e);
      break;
    }
  }
  free(j->p);
  *j = out;
  if (!j->p) put(j, "", 0);
}

static void json_mutations(uint64_t seed, int count) {
  rng_state = seed;
  for (int it = 0; it < count; it++) {
    buf j = {0};
    put(&j, BASE_JSON, strlen(BASE_JSON));
    int n = 1 + (int)below(3);
    for (int k = 0; k < n && j.len; k++) mutate(&j);
    buf f = file_of(j.p ? (const char *)j.p : "", j.len, NULL);
    try_load(f.p, f.len);
    free(f.p);
    free(j.p);
  }
  cr_log_info("json mutations: %ld loaded, %ld refused", n_ok, n_bad);
  cr_expect_gt(n_ok, 0, "no mutation kept the file valid: mutations too blunt?");
  cr_expect_gt(n_bad, 0);
}

Test(fuzz, json_mutations_1) { json_mutations(3, 1500); }
Test(fuzz, json_mutations_2) { json_mutations(4, 1500); }

Test(fuzz, deep_nesting_header) {
  size_t depth = 100000;
  buf j = {0};
  for (size_t i = 0; i < depth; i++) put(&j, "[", 1);
  for (size_t i = 0; i < depth; i++) put(&j, "]", 1);
  buf f = file_of((const char *)j.p, j.len, NULL);
  try_load(f.p, f.len);
  cr_expect_eq(n_bad, 1);
  free(f.p);
  free(j.p);
}
