#include <Random123/philox.h>

#include "ceas_core.h"

void ceas_rng_bits(ceas_rng_key key, uint64_t c0, uint64_t c1, uint64_t c2,
                   uint64_t c3, uint64_t out[4]) {
  philox4x64_key_t k = {{key.seed, key.stream}};
  philox4x64_ctr_t c = {{c0, c1, c2, c3}};
  philox4x64_ctr_t r = philox4x64(c, k);
  out[0] = r.v[0];
  out[1] = r.v[1];
  out[2] = r.v[2];
  out[3] = r.v[3];
}

void ceas_rng_seq_init(ceas_rng_seq *s, ceas_rng_key key, uint64_t c0,
                       uint64_t c1, uint64_t c2) {
  s->key = key;
  s->c0 = c0;
  s->c1 = c1;
  s->c2 = c2;
  s->index = 0;
  s->cached = 0;
}

/* The block is a function of (prefix, index / 4) only, so a cursor whose index
 * was set from a checkpoint continues exactly where the original would have. */
void ceas_rng_seq_refill(ceas_rng_seq *s) {
  uint64_t blk = s->index >> 2;
  ceas_rng_bits(s->key, s->c0, s->c1, s->c2, blk, s->block);
  s->cached = blk + 1;
}
