/*
 * Shared by the sources of Attune's native addon (attune-blas.c registers every function): N-API
 * argument helpers, the vectorisable float math the fused loops use, and the functions each file defines.
 */
#ifndef ATTUNE_BLAS_H
#define ATTUNE_BLAS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CHECK(env, call)                                                                                 \
  do {                                                                                                   \
    if ((call) != napi_ok) {                                                                             \
      napi_throw_error((env), NULL, "attune-blas: N-API call failed: " #call);                          \
      return NULL;                                                                                       \
    }                                                                                                    \
  } while (0)

/*
 * Element-wise loops are compiled once per instruction set and picked when the addon loads (GCC
 * function multi-versioning): AVX-512 or AVX2 where the CPU has them (picked by feature, not CPU model), portable SSE2 code elsewhere,
 * so a cached build copied to another CPU still runs.
 */
#define ATTUNE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* The data and element count of a typed array argument of type `want`; 0 when it is something else. */
static inline int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void **data,
                              size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

/* The data of a Float32Array argument, or NULL (with a JS TypeError thrown) when it is not one. */
static inline float *f32(napi_env env, napi_value value, size_t *length) {
  void *data = NULL;
  if (!typed_array(env, value, napi_float32_array, &data, length)) {
    napi_throw_type_error(env, NULL, "attune-blas: expected a Float32Array");
    return NULL;
  }
  return (float *)data;
}

/* The data of an Int32Array argument, or NULL (with a JS TypeError thrown) when it is not one. */
static inline int32_t *i32(napi_env env, napi_value value, size_t *length) {
  void *data = NULL;
  if (!typed_array(env, value, napi_int32_array, &data, length)) {
    napi_throw_type_error(env, NULL, "attune-blas: expected an Int32Array");
    return NULL;
  }
  return (int32_t *)data;
}

/* A rows × c shape from argv[0] (rows ≥ 0) and argv[1] (c > 0). */
static inline int shape2(napi_env env, napi_value *argv, int32_t *rows, int32_t *c) {
  return napi_get_value_int32(env, argv[0], rows) == napi_ok && napi_get_value_int32(env, argv[1], c) == napi_ok &&
         *rows >= 0 && *c > 0;
}

/*
 * exp for float, branch-free so loops over it vectorise: Cephes' expf (x = k·ln2 + r, a degree-6
 * polynomial in r, 2^k from the exponent bits; k rounded by adding and removing 1.5·2^23), within 2 ulp
 * of expf; 0 below −87 (expf is < 2^−125 there).
 */
static inline float exp_approx(float value) {
  float x = value < -87.0f ? -87.0f : value;
  x = x > 88.0f ? 88.0f : x;
  const float kf = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - kf * 0.693359375f) - kf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = ((int32_t)kf + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  const float e = p * scale;
  return value < -87.0f ? 0.0f : e;
}

/* tanh as Eigen's float rational approximation (degree 13/6, clamped at ±7.905, where tanh is ±1 in float). */
static inline float tanh_rational(float value) {
  const float clamp = 7.90531110763549805f;
  const float x = value > clamp ? clamp : (value < -clamp ? -clamp : value);
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-8f;
  p = x2 * p + 1.48572235717979e-5f;
  p = x2 * p + 6.37261928875436e-4f;
  p = x2 * p + 4.89352455891786e-3f;
  p = x * p;
  float q = x2 * 1.19825839466702e-6f + 1.18534705686654e-4f;
  q = x2 * q + 2.268434632439e-3f;
  q = x2 * q + 4.89352518554385e-3f;
  return p / q;
}

/* attune-fused.c */
napi_value attune_gelu(napi_env env, napi_callback_info info);
napi_value attune_gelu_grad(napi_env env, napi_callback_info info);
napi_value attune_layer_norm(napi_env env, napi_callback_info info);
napi_value attune_layer_norm_grad(napi_env env, napi_callback_info info);
/* attune-loss.c */
napi_value attune_softmax_cross_entropy(napi_env env, napi_callback_info info);
napi_value attune_softmax_cross_entropy_grad(napi_env env, napi_callback_info info);
/* attune-train.c */
napi_value attune_sum_leading(napi_env env, napi_callback_info info);
napi_value attune_sum_squares(napi_env env, napi_callback_info info);
napi_value attune_gather_rows(napi_env env, napi_callback_info info);
napi_value attune_adamw(napi_env env, napi_callback_info info);
#endif
