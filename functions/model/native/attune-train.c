/*
 * Training-step helpers for the wasm backend's kernels (functions/model/kernels/native-train-ops.ts and
 * adamw.ts): sums over leading axes (bias gradients), sums of squares (the global gradient norm), a row
 * gather (embeddings) and the AdamW update. Every output is a fresh buffer the caller allocated.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "attune-blas.h"

ATTUNE_CLONES void attune_add_rows(const float *x, int64_t rows, int64_t cols, double *acc) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    for (int64_t j = 0; j < cols; j++) acc[j] += xr[j];
  }
}

/* sumLeading(rows, cols, x, out): out[j] = Σ_r x[r·cols + j], in double (a column sum of a rows × cols matrix). */
napi_value attune_sum_leading(napi_env env, napi_callback_info info) {
  size_t argc = 4, n_x, n_out;
  napi_value argv[4];
  int32_t rows, cols;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !shape2(env, argv, &rows, &cols)) {
    napi_throw_type_error(env, NULL, "attune-blas: sumLeading(rows, cols, x, out)");
    return NULL;
  }
  float *x = f32(env, argv[2], &n_x);
  float *out = x ? f32(env, argv[3], &n_out) : NULL;
  if (!out) return NULL;
  if (n_x < (size_t)rows * (size_t)cols || n_out < (size_t)cols) {
    napi_throw_range_error(env, NULL, "attune-blas: sumLeading arrays are too short");
    return NULL;
  }
  double *acc = (double *)calloc((size_t)cols, sizeof(double));
  if (!acc) {
    napi_throw_error(env, NULL, "attune-blas: out of memory");
    return NULL;
  }
  attune_add_rows(x, rows, cols, acc);
  for (int32_t j = 0; j < cols; j++) out[j] = (float)acc[j];
  free(acc);
  return NULL;
}

ATTUNE_CLONES double attune_squares(const float *x, size_t n) {
  double lanes[8] = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) lanes[k] += (double)x[i + k] * x[i + k];
  double sum = 0;
  for (int k = 0; k < 8; k++) sum += lanes[k];
  for (; i < n; i++) sum += (double)x[i] * x[i];
  return sum;
}

/* sumSquares(x): Σ x², in double. */
napi_value attune_sum_squares(napi_env env, napi_callback_info info) {
  size_t argc = 1, n;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = argc >= 1 ? f32(env, argv[0], &n) : NULL;
  if (!x) return NULL;
  napi_value result;
  CHECK(env, napi_create_double(env, attune_squares(x, n), &result));
  return result;
}

/* gatherRows(rows, width, x, indices, out): out row i = x row indices[i]; every index must be in [0, rows). */
napi_value attune_gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 5, n_x, n_idx, n_out;
  napi_value argv[5];
  int32_t rows, width;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5 || !shape2(env, argv, &rows, &width)) {
    napi_throw_type_error(env, NULL, "attune-blas: gatherRows(rows, width, x, indices, out)");
    return NULL;
  }
  float *x = f32(env, argv[2], &n_x);
  int32_t *idx = x ? i32(env, argv[3], &n_idx) : NULL;
  float *out = idx ? f32(env, argv[4], &n_out) : NULL;
  if (!out) return NULL;
  if (n_x < (size_t)rows * (size_t)width || n_out < n_idx * (size_t)width) {
    napi_throw_range_error(env, NULL, "attune-blas: gatherRows arrays are too short");
    return NULL;
  }
  for (size_t i = 0; i < n_idx; i++) {
    if (idx[i] < 0 || idx[i] >= rows) {
      char message[96];
      snprintf(message, sizeof message, "GatherV2: the index value %d is not in [0, %d]", idx[i], rows - 1);
      napi_throw_range_error(env, NULL, message);
      return NULL;
    }
  }
  for (size_t i = 0; i < n_idx; i++)
    memcpy(out + i * (size_t)width, x + (size_t)idx[i] * (size_t)width, (size_t)width * sizeof(float));
  return NULL;
}

enum { GRAD_SCALE, BETA1, ONE_MINUS_BETA1, BETA2, ONE_MINUS_BETA2, V_CORRECTION, EPSILON, DECAY, STEP_SIZE, SCALARS };

ATTUNE_CLONES void attune_adamw_loop(const float *__restrict p, const float *__restrict g,
                                   const float *__restrict m, const float *__restrict v, float *__restrict p_out,
                                   float *__restrict m_out, float *__restrict v_out, const float *k, size_t n) {
  const float gs = k[GRAD_SCALE], b1 = k[BETA1], ob1 = k[ONE_MINUS_BETA1], b2 = k[BETA2];
  const float ob2 = k[ONE_MINUS_BETA2], vc = k[V_CORRECTION], eps = k[EPSILON], decay = k[DECAY];
  const float step = k[STEP_SIZE];
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i] * gs;
    const float mi = m[i] * b1 + gi * ob1;
    const float vi = v[i] * b2 + (gi * gi) * ob2;
    p_out[i] = p[i] * decay - (mi / (sqrtf(vi / vc) + eps)) * step;
    m_out[i] = mi;
    v_out[i] = vi;
  }
}

/*
 * adamw(param, grad, m, v, paramOut, mOut, vOut, scalars): one AdamW step, element-wise, in float32 with
 * each scalar rounded to float32 and the operations in the order of optimizer.ts's tf-op update (which
 * this reproduces bit for bit; the addon is built with -ffp-contract=off, so no multiply-add is fused):
 * g = grad·s, m' = m·β1 + g·(1−β1), v' = v·β2 + g²·(1−β2), p' = p·decay − m'/(√(v'/c2) + ε)·stepSize.
 */
napi_value attune_adamw(napi_env env, napi_callback_info info) {
  size_t argc = 8, len[7], n_scalars;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *a[7];
  double *k = NULL;
  if (argc < 8) {
    napi_throw_type_error(env, NULL, "attune-blas: adamw(param, grad, m, v, paramOut, mOut, vOut, scalars)");
    return NULL;
  }
  for (int i = 0; i < 7; i++)
    if (!(a[i] = f32(env, argv[i], &len[i]))) return NULL;
  if (!typed_array(env, argv[7], napi_float64_array, (void **)&k, &n_scalars) || n_scalars < SCALARS) {
    napi_throw_type_error(env, NULL, "attune-blas: adamw scalars must be a Float64Array(9)");
    return NULL;
  }
  const size_t n = len[0];
  for (int i = 1; i < 7; i++) {
    if (len[i] != n) {
      napi_throw_range_error(env, NULL, "attune-blas: adamw arrays differ in length");
      return NULL;
    }
  }
  float k32[SCALARS];
  for (int i = 0; i < SCALARS; i++) k32[i] = (float)k[i];
  attune_adamw_loop(a[0], a[1], a[2], a[3], a[4], a[5], a[6], k32, n);
  return NULL;
}
