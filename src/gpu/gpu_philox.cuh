/* Internal to src/gpu: the Philox generators of ceasim's counter-based streams
 * (src/core, Random123's philox4x32-10 and philox4x64-10) as device functions,
 * one copy for every .cu file: a GPU kernel reproduces a CPU kernel's chain only
 * if it draws the very same words, so the rounds are written once. */
#ifndef CEAS_GPU_PHILOX_CUH
#define CEAS_GPU_PHILOX_CUH

#include <stdint.h>

/* Random123's constants: multipliers and Weyl key increments. */
#define CEAS_GPU_PHILOX32_M0 0xD2511F53u
#define CEAS_GPU_PHILOX32_M1 0xCD9E8D57u
#define CEAS_GPU_PHILOX32_W0 0x9E3779B9u
#define CEAS_GPU_PHILOX32_W1 0xBB67AE85u
#define CEAS_GPU_PHILOX64_M0 0xD2E7470EE14C6C93ull
#define CEAS_GPU_PHILOX64_M1 0xCA5A826395121157ull
#define CEAS_GPU_PHILOX64_W0 0x9E3779B97F4A7C15ull
#define CEAS_GPU_PHILOX64_W1 0xBB67AE8584CAA73Bull

/* The ten round keys of key (k0, k1), computed once on the host so that a
 * kernel takes them as parameters (constant bank operands, no adds a round). */
static inline void ceas_gpu_philox4x32_keys(uint32_t k0, uint32_t k1, uint32_t rk[10][2]) {
  for (int i = 0; i < 10; i++) {
    rk[i][0] = k0;
    rk[i][1] = k1;
    k0 += CEAS_GPU_PHILOX32_W0;
    k1 += CEAS_GPU_PHILOX32_W1;
  }
}

static inline void ceas_gpu_philox4x64_keys(uint64_t k0, uint64_t k1, uint64_t rk[10][2]) {
  for (int i = 0; i < 10; i++) {
    rk[i][0] = k0;
    rk[i][1] = k1;
    k0 += CEAS_GPU_PHILOX64_W0;
    k1 += CEAS_GPU_PHILOX64_W1;
  }
}

/* Philox4x32-10 of counter (c0, c1, c2, c3) under the round keys rk. */
__device__ __forceinline__ void ceas_gpu_philox4x32(uint32_t c0, uint32_t c1, uint32_t c2,
                                                    uint32_t c3, const uint32_t (*rk)[2],
                                                    uint32_t out[4]) {
#pragma unroll
  for (int i = 0; i < 10; i++) {
    const uint64_t p0 = (uint64_t)CEAS_GPU_PHILOX32_M0 * c0,
                   p1 = (uint64_t)CEAS_GPU_PHILOX32_M1 * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ rk[i][0];
    const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ rk[i][1];
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* The same under key (k0, k1), its schedule computed on the way (for keys that
 * differ between threads, e.g. one a read). */
__device__ __forceinline__ void ceas_gpu_philox4x32_key(uint32_t c0, uint32_t c1, uint32_t c2,
                                                        uint32_t c3, uint32_t k0, uint32_t k1,
                                                        uint32_t out[4]) {
#pragma unroll
  for (int i = 0; i < 10; i++) {
    const uint64_t p0 = (uint64_t)CEAS_GPU_PHILOX32_M0 * c0,
                   p1 = (uint64_t)CEAS_GPU_PHILOX32_M1 * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += CEAS_GPU_PHILOX32_W0;
    k1 += CEAS_GPU_PHILOX32_W1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* Philox4x64-10 of counter (c0, c1, c2, c3) under the round keys rk
 * (MSC_PHILOX_ROUND of src/msc/msc_simd.h). The 64 x 64 -> 128 products as
 * mul.lo + __umul64hi. Measured on the H100 against two hand-written products
 * (bench/README.md, "GPU: replica-packed kernels"): four 32 x 32 -> 64
 * multiply-adds were 2-4 % slower on every replica kernel, a PTX carry chain
 * 0.7 % faster on the 2D shared schedule but 1.6 % and 3 % slower on the 3D
 * shared and the resident ones. */
__device__ __forceinline__ void ceas_gpu_philox4x64(uint64_t c0, uint64_t c1, uint64_t c2,
                                                    uint64_t c3, const uint64_t (*rk)[2],
                                                    uint64_t out[4]) {
#pragma unroll
  for (int i = 0; i < 10; i++) {
    const uint64_t h0 = __umul64hi(CEAS_GPU_PHILOX64_M0, c0), l0 = CEAS_GPU_PHILOX64_M0 * c0;
    const uint64_t h1 = __umul64hi(CEAS_GPU_PHILOX64_M1, c2), l1 = CEAS_GPU_PHILOX64_M1 * c2;
    c0 = h1 ^ c1 ^ rk[i][0];
    c1 = l1;
    c2 = h0 ^ c3 ^ rk[i][1];
    c3 = l0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

#endif
