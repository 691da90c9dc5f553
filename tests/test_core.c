/* Core: the Philox generator against Random123's published known-answer
 * vectors, the cursor's restartability, the derived uniform variates, and the
 * strict number parsers. */
#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "ceas_core.h"
#include "mc_support.h"

/* Random123 kat_vectors, philox4x64 10: counter (4 words), key (2 words) -> 4 words. */
Test(core, philox_known_answers) {
  static const uint64_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL,
       0xd7e772cee186176bULL, 0x7e68b68aec7ba23bULL},
      {~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, 0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL,
       0x9cc7d7c69cd777b6ULL, 0xa09caebf594f0ba0ULL},
      {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL,
       0x082efa98ec4e6c89ULL, 0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL,
       0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL,
       0x57bd43b5e52b7fe6ULL}};
  for (int v = 0; v < 3; v++) {
    ceas_rng_key key = {kat[v][4], kat[v][5]};
    uint64_t out[4];
    ceas_rng_bits(key, kat[v][0], kat[v][1], kat[v][2], kat[v][3], out);
    for (int w = 0; w < 4; w++)
      cr_expect_eq(out[w], kat[v][6 + w], "vector %d word %d: %016llx", v, w,
                   (unsigned long long)out[w]);
  }
}

/* Random123 kat_vectors, philox4x32 10: counter (4 words), key (2 words) -> 4 words. */
Test(core, philox4x32_known_answers) {
  static const uint32_t kat[2][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
      {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
       0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
  for (int v = 0; v < 2; v++) {
    ceas_rng_key32 key = {{kat[v][4], kat[v][5]}};
    uint32_t out[4];
    ceas_rng_bits32(key, kat[v][0], kat[v][1], kat[v][2], kat[v][3], out);
    for (int w = 0; w < 4; w++)
      cr_expect_eq(out[w], kat[v][6 + w], "vector %d word %d: %08x", v, w, out[w]);
  }
}

/* The bulk (AVX2 where available) generator is the one-block generator, word for
 * word: every group length, a start that is not a multiple of 8, and a start
 * whose low counter word wraps inside a group of 8. */
Test(core, fill32_equals_one_block_at_a_time) {
  ceas_rng_key32 key = ceas_rng_key32_derive((ceas_rng_key){5, 9}, 2);
  static const uint64_t starts[] = {0, 3, 0xfffffffbULL, 0x1fffffffcULL, 12345678901ULL};
  for (size_t a = 0; a < sizeof starts / sizeof *starts; a++)
    for (size_t n = 0; n <= 37; n++) {
      uint32_t got[4 * 37 + 1], want[4];
      got[4 * n] = 0xdeadbeefu;
      ceas_rng_fill32(key, starts[a], 77, 0x80000001u, got, n);
      cr_assert_eq(got[4 * n], 0xdeadbeefu, "wrote past %zu blocks", n);
      for (size_t i = 0; i < n; i++) {
        uint64_t b = starts[a] + i;
        ceas_rng_bits32(key, (uint32_t)b, (uint32_t)(b >> 32), 77, 0x80000001u, want);
        for (int w = 0; w < 4; w++)
          cr_assert_eq(got[4 * i + w], want[w], "start %llx n %zu block %zu word %d",
                       (unsigned long long)starts[a], n, i, w);
      }
    }
  /* Distinct purposes and streams give distinct keys. */
  ceas_rng_key32 k2 = ceas_rng_key32_derive((ceas_rng_key){5, 9}, 3);
  ceas_rng_key32 k3 = ceas_rng_key32_derive((ceas_rng_key){5, 10}, 2);
  cr_expect(memcmp(&key, &k2, sizeof key) != 0 && memcmp(&key, &k3, sizeof key) != 0);
}

Test(core, cursor_restarts_from_its_index) {
  ceas_rng_key key = {7, 3};
  ceas_rng_seq a;
  ceas_rng_seq_init(&a, key, 1, 2, 3);
  uint64_t ref[23];
  for (int i = 0; i < 23; i++) ref[i] = ceas_rng_seq_next(&a);
  for (uint64_t start = 0; start < 23; start++) {
    ceas_rng_seq b;
    ceas_rng_seq_init(&b, key, 1, 2, 3);
    b.index = start; /* a checkpoint stores only this */
    for (uint64_t i = start; i < 23; i++)
      cr_assert_eq(ceas_rng_seq_next(&b), ref[i], "restart at %llu, draw %llu",
                   (unsigned long long)start, (unsigned long long)i);
  }
  /* Different prefixes give different streams. */
  ceas_rng_seq c;
  ceas_rng_seq_init(&c, key, 1, 2, 4);
  cr_expect_neq(ceas_rng_seq_next(&c), ref[0]);
}

/* Pearson chi^2 on 64 equiprobable cells, at the 1e-6 quantile. */
static void expect_uniform_cells(const long *cells, int k, long n, const char *what) {
  double chi2 = 0, e = (double)n / k;
  for (int i = 0; i < k; i++) chi2 += (cells[i] - e) * (cells[i] - e) / e;
  cr_expect(chi2 < gsl_cdf_chisq_Qinv(1e-6, k - 1), "%s: chi2 = %.1f with %d dof", what, chi2,
            k - 1);
}

Test(core, uniform_variates) {
  ceas_rng_key key = {99, 0};
  long cells[64] = {0}, below[48] = {0};
  const long n = 1 << 20;
  double sum = 0;
  for (long i = 0; i < n; i++) {
    uint64_t w[4];
    ceas_rng_bits(key, (uint64_t)i, 0, 0, 0, w);
    double u = ceas_rng_u01(w[0]);
    cr_assert(u >= 0 && u < 1);
    double v = ceas_rng_u01_open0(w[1]);
    cr_assert(v > 0 && v <= 1);
    sum += u;
    cells[(int)(u * 64)]++;
    below[ceas_rng_below(w[2], 48)]++;
  }
  /* Mean of n uniforms: 1/2 with standard error 1/sqrt(12 n). */
  cr_expect(fabs(sum / n - 0.5) < 5 / sqrt(12.0 * n), "mean %.6f", sum / n);
  expect_uniform_cells(cells, 64, n, "u01");
  expect_uniform_cells(below, 48, n, "below(48)");
  cr_expect_eq(ceas_rng_u01(0), 0.0);
  cr_expect(ceas_rng_u01(~0ULL) < 1.0);
  cr_expect_eq(ceas_rng_below(~0ULL, 10), 9u);
}

Test(core, strict_parsers) {
  double d;
  long l;
  uint64_t u;
  cr_expect_eq(ceas_parse_double("0.44", "--beta", &d), 0);
  cr_expect_eq(d, 0.44);
  /* Decimal only (strtod took hex, infinity and leading blanks); a subnormal is the
   * finite number written, a nonzero value that underflows to 0 is refused. */
  cr_expect_eq(ceas_parse_double("1e-310", "--h", &d), 0);
  cr_expect(d > 0 && d < 2.2250738585072014e-308);
  cr_expect_eq(ceas_parse_double("-.5e+1", "--h", &d), 0);
  cr_expect_eq(d, -5.0);
  cr_expect_eq(ceas_parse_double("0e-400", "--h", &d), 0);
  cr_expect_eq(d, 0.0);
  const char *bad_d[] = {"", "abc", "0.4x", "nan", "inf", "-inf", "1e999", "0x10",
                         " 1", "1e-400", ".", "1e", "infinity", "1 "};
  for (size_t i = 0; i < sizeof bad_d / sizeof *bad_d; i++) {
    cr_expect_eq(ceas_parse_double(bad_d[i], "--beta", &d), CEAS_EINPUT, "'%s'", bad_d[i]);
    cr_expect(strstr(ceas_error_message(), "--beta") != NULL);
  }
  cr_expect_eq(ceas_parse_long("32", "--L", 2, 100, &l), 0);
  cr_expect_eq(l, 32);
  const char *bad_l[] = {"", "1", "101", "3.5", "-4", "12abc", " 32", "0x20"};
  for (size_t i = 0; i < sizeof bad_l / sizeof *bad_l; i++)
    cr_expect_eq(ceas_parse_long(bad_l[i], "--L", 2, 100, &l), CEAS_EINPUT, "'%s'", bad_l[i]);
  cr_expect_eq(ceas_parse_u64("18446744073709551615", "--seed", &u), 0);
  cr_expect_eq(u, ~0ULL);
  const char *bad_u[] = {"", "-1", "+1", "18446744073709551616", "0x10"};
  for (size_t i = 0; i < sizeof bad_u / sizeof *bad_u; i++)
    cr_expect_eq(ceas_parse_u64(bad_u[i], "--seed", &u), CEAS_EINPUT, "'%s'", bad_u[i]);
  /* A message quoting input stays one line: control characters are escaped. */
  ceas_error_set(CEAS_EINPUT, "--out %s: bad", "a\nb\tc\x1b[2Jd");
  cr_expect_str_eq(ceas_error_message(), "--out a\\nb\\tc\\x1b[2Jd: bad");
  char small[4];
  cr_expect_eq(ceas_escape_controls("ab\ncd", small, sizeof small), 2u); /* no half escape */
  cr_expect_str_eq(small, "ab");
}

/* Same parameters -> bitwise-identical series; another seed or stream -> not. */
static ceas_task *short_run(const char *algo, uint64_t seed, uint64_t stream) {
  ceas_task_params p;
  ceas_task_params_default(&p);
  p.L = 8;
  p.algo = algo;
  p.sweeps = 512;
  p.therm = 100;
  p.seed = seed;
  p.stream = stream;
  ceas_task *t = NULL;
  cr_assert_eq(ceas_task_create(&p, &t), 0, "%s", ceas_error_message());
  cr_assert_eq(ceas_task_run(t, NULL, NULL, NULL), 0, "%s", ceas_error_message());
  return t;
}

Test(core, reproducible_by_seed_and_stream) {
  const char *algos[] = {"metropolis", "heatbath", "wolff", "sw"};
  for (int a = 0; a < 4; a++) {
    ceas_task *x = short_run(algos[a], 5, 0), *y = short_run(algos[a], 5, 0);
    ceas_task *z = short_run(algos[a], 6, 0), *w = short_run(algos[a], 5, 1);
    size_t bytes = x->n_meas * sizeof(double);
    cr_expect_eq(memcmp(x->e, y->e, bytes), 0, "%s: same seed, different energies", algos[a]);
    cr_expect_eq(memcmp(x->m, y->m, bytes), 0, "%s: same seed, different magnetisations",
                 algos[a]);
    int8_t sx[64], sy[64];
    ceas_kernel_get_spins(x->kernel, sx);
    ceas_kernel_get_spins(y->kernel, sy);
    cr_expect_eq(memcmp(sx, sy, 64), 0);
    cr_expect_neq(memcmp(x->e, z->e, bytes), 0, "%s: seeds 5 and 6 agree", algos[a]);
    cr_expect_neq(memcmp(x->e, w->e, bytes), 0, "%s: streams 0 and 1 agree", algos[a]);
    ceas_task_free(x);
    ceas_task_free(y);
    ceas_task_free(z);
    ceas_task_free(w);
  }
}
