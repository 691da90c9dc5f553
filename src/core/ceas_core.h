/*
 * ceas_core — errors, counter-based random numbers, small utilities.
 *
 * Errors: every fallible function in ceasim returns an int status, 0 on success
 * and one of the CEAS_E* codes otherwise, after recording a one-line message with
 * ceas_error_set(). The message lives in a per-thread buffer and is read with
 * ceas_error_message(); only the CLI turns a status into an exit code
 * (CEAS_EINPUT -> 2, anything else -> 1). Nothing below the CLI calls exit().
 *
 * Random numbers: Random123 Philox4x64-10 used as a pure function
 * (key, counter) -> 4 x 64 random bits. A ceas_rng_key is (seed, stream); callers
 * choose the counter from what they are doing (sweep, site, purpose), so a draw is
 * fixed by its meaning and never by the order in which work happens to be
 * scheduled. ceas_rng_seq is a small cursor over one counter prefix for algorithms
 * that need a variable number of draws (cluster growth); its whole state is
 * (key, prefix, index), so it checkpoints as three integers.
 *
 * Vector code (the rule for every function built for AVX2 or AVX-512, by target
 * attribute or pragma): on every path out of it (return, call, tail jump) the
 * upper YMM/ZMM halves are clean (vzeroupper). The code around it is baseline
 * SSE, ceasim's and libm's; on Intel, SSE instructions after dirty upper halves
 * are slowed throughout (issue 14: a tail path of the AVX2 Philox fill made sa on
 * SK N = 1000 cost 101 instead of 29 CPU ns per update on a Xeon). GCC inserts
 * vzeroupper itself at -O2 and above, but missed a path there, so the hand-written
 * intrinsic functions end in an explicit _mm256_zeroupper() as well, and
 * tests/cli_simd_exits.sh checks every function of the optimised binary.
 */
#ifndef CEAS_CORE_H
#define CEAS_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

enum {
  CEAS_OK = 0,
  CEAS_EINPUT = 1,  /* the user's input is wrong: bad option, file, value */
  CEAS_EIO = 2,     /* the system failed us: cannot write, HDF5 error */
  CEAS_ENOMEM = 3,
  CEAS_EINTERNAL = 4,
  CEAS_EINTERRUPT = 5 /* a signal asked us to stop */
};

/* Records a printf-style message (no trailing newline) and returns code. Control
 * characters in the result (a newline in a quoted value or path) are escaped
 * with ceas_escape_controls, so a message is always one line. */
int ceas_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *ceas_error_message(void);
/* Copies in to out (cap bytes, always terminated) with control characters
 * written as \n, \t, \r or \xNN; returns the length written. For any text
 * that quotes input outside ceas_error_set (warnings). */
size_t ceas_escape_controls(const char *in, char *out, size_t cap);
void ceas_error_clear(void);

/* malloc/calloc that record CEAS_ENOMEM on failure (return NULL). */
void *ceas_malloc(size_t n);
void *ceas_calloc(size_t count, size_t size);

/* The one rule for sizes computed from input (option values, file headers): the
 * product of the n factors (a buffer's bytes, a series' entries) must fit in
 * size_t and stay below the machine's physical memory, else CEAS_EINPUT with
 * "WHAT: needs N bytes ..." naming the input. A size that can never be allocated
 * is bad input (exit 2), caught before any work, not an out-of-memory failure
 * (exit 1) after it; nor may a wrapped product allocate a short buffer.
 * On success *bytes is the product. */
int ceas_size_check(const char *what, size_t *bytes, int n, const size_t *factors);
/* a + b for counters from input (sweeps + thermalisation): CEAS_EINPUT if it
 * wraps, naming WHAT. */
int ceas_u64_add_check(const char *what, uint64_t a, uint64_t b, uint64_t *sum);

/* ---- version ------------------------------------------------------------ */

const char *ceas_version(void);

/* ---- counter-based random numbers --------------------------------------- */

typedef struct {
  uint64_t seed;
  uint64_t stream;
} ceas_rng_key;

/* Four independent 64-bit words for counter (c0, c1, c2, c3). */
void ceas_rng_bits(ceas_rng_key key, uint64_t c0, uint64_t c1, uint64_t c2,
                   uint64_t c3, uint64_t out[4]);

/* Bulk 32-bit numbers (Philox4x32-10, ~4x cheaper per bit than 4x64 here): for
 * kernels that need one uniform per spin update. Its key has only 64 bits, so it
 * is derived from (seed, stream, purpose) by the 4x64 generator; two different
 * chains share a key with probability ~ (number of chains)^2 / 2^65, and within a
 * chain the counter (which carries the sweep) never repeats. */
typedef struct {
  uint32_t k[2];
} ceas_rng_key32;

ceas_rng_key32 ceas_rng_key32_derive(ceas_rng_key key, uint64_t purpose);
void ceas_rng_bits32(ceas_rng_key32 key, uint32_t c0, uint32_t c1, uint32_t c2,
                     uint32_t c3, uint32_t out[4]);
/* Blocks first .. first + n - 1 with counter (block low, block high, c2, c3):
 * out[4 i + w] is word w of block first + i, exactly as ceas_rng_bits32 gives it.
 * Eight blocks at a time in AVX2 where the CPU has it (~0.4 ns per word instead
 * of ~2.4 ns one block at a time). */
void ceas_rng_fill32(ceas_rng_key32 key, uint64_t first, uint32_t c2, uint32_t c3,
                     uint32_t *out, size_t n);

/* Uniform double in [0, 1) from the top 53 bits of a word. */
static inline double ceas_rng_u01(uint64_t w) {
  return (double)(w >> 11) * 0x1.0p-53;
}

/* Uniform double in (0, 1], safe for log(). */
static inline double ceas_rng_u01_open0(uint64_t w) {
  return ((double)(w >> 11) + 1.0) * 0x1.0p-53;
}

/* Uniform integer in [0, n) by Lemire's multiply-shift: unbiased to 2^-64
 * relative, which is far below anything a Monte Carlo run can resolve. */
static inline uint64_t ceas_rng_below(uint64_t w, uint64_t n) {
  return (uint64_t)(((unsigned __int128)w * n) >> 64);
}

/* A cursor over counters (c0, c1, c2, index): draws are taken in blocks of four. */
typedef struct {
  ceas_rng_key key;
  uint64_t c0, c1, c2;
  uint64_t index;   /* number of words drawn so far: the cursor's whole state */
  uint64_t cached;  /* 1 + number of the block in `block`, 0 if none */
  uint64_t block[4];
} ceas_rng_seq;

void ceas_rng_seq_init(ceas_rng_seq *s, ceas_rng_key key, uint64_t c0,
                       uint64_t c1, uint64_t c2);
/* Refills s->block for block number index / 4 (out of line: the slow path). */
void ceas_rng_seq_refill(ceas_rng_seq *s);

/* Inline because cluster growth draws one word per bond it tries. */
static inline uint64_t ceas_rng_seq_next(ceas_rng_seq *s) {
  if (s->cached != (s->index >> 2) + 1) ceas_rng_seq_refill(s);
  return s->block[s->index++ & 3u];
}
static inline double ceas_rng_seq_u01(ceas_rng_seq *s) {
  return ceas_rng_u01(ceas_rng_seq_next(s));
}

/* ---- small utilities ---------------------------------------------------- */

/* Strict parsers: the whole string must be a finite number / an integer in
 * range, otherwise CEAS_EINPUT with a message naming `what`. */
int ceas_parse_double(const char *s, const char *what, double *out);
/* The number rule behind ceas_parse_double, for readers that word their own
 * message (file:LINE): a plain decimal ([+-]digits[.digits][e[+-]digits]; no hex,
 * inf, nan or blanks), finite, and not a nonzero value that underflows to 0
 * (subnormals are accepted). Returns NULL and sets *out, or what was expected
 * ("a finite decimal number", ...) for "expected %s". */
const char *ceas_number_parse(const char *s, double *out);
int ceas_parse_long(const char *s, const char *what, long lo, long hi,
                    long *out);
int ceas_parse_u64(const char *s, const char *what, uint64_t *out);
/* A count, written 100000 or 1e5: a non-negative whole number up to 2^53 (a
 * double's exact integers) in either notation; anything else is CEAS_EINPUT. */
int ceas_parse_count(const char *s, const char *what, uint64_t *out);

/* Monotonic wall clock in seconds. */
double ceas_wtime(void);

#ifdef __cplusplus
}
#endif

#endif
