/*
 * Softmax cross-entropy over rows of logits, forward and backward (functions/model/kernels/cross-entropy.ts).
 * The row loops are branch-free with lane-wise partial max and sums, so they vectorise (ATTUNE_CLONES);
 * the row sum of exponentials is kept in double.
 */
#include <math.h>
#include "attune-blas.h"

enum { LANES = 16 };

/* One row: probs = softmax(x); returns logsumexp(x). */
ATTUNE_CLONES double attune_softmax_row(const float *x, float *probs, int32_t v) {
  float lanes[LANES];
  for (int k = 0; k < LANES; k++) lanes[k] = x[0];
  int32_t j = 0;
  for (; j + LANES <= v; j += LANES)
    for (int k = 0; k < LANES; k++) lanes[k] = x[j + k] > lanes[k] ? x[j + k] : lanes[k];
  float max = lanes[0];
  for (int k = 1; k < LANES; k++) max = lanes[k] > max ? lanes[k] : max;
  for (; j < v; j++) max = x[j] > max ? x[j] : max;
  for (j = 0; j < v; j++) probs[j] = exp_approx(x[j] - max);
  double sums[LANES] = {0};
  for (j = 0; j + LANES <= v; j += LANES)
    for (int k = 0; k < LANES; k++) sums[k] += probs[j + k];
  double sum = 0;
  for (int k = 0; k < LANES; k++) sum += sums[k];
  for (; j < v; j++) sum += probs[j];
  const float inverse = (float)(1 / sum);
  for (j = 0; j < v; j++) probs[j] *= inverse;
  return log(sum) + max;
}

/*
 * softmaxCrossEntropy(n, v, logits, ids, nll, probs): per row of the n×v logits, nll = logsumexp − the
 * target's logit and probs = softmax (kept for the backward).
 */
napi_value attune_softmax_cross_entropy(napi_env env, napi_callback_info info) {
  size_t argc = 6, len[4];
  napi_value argv[6];
  int32_t n, v;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6 || !shape2(env, argv, &n, &v)) {
    napi_throw_type_error(env, NULL, "attune-blas: softmaxCrossEntropy(n, v, logits, ids, nll, probs)");
    return NULL;
  }
  float *x = f32(env, argv[2], &len[0]);
  int32_t *ids = x ? i32(env, argv[3], &len[1]) : NULL;
  float *nll = ids ? f32(env, argv[4], &len[2]) : NULL;
  float *probs = nll ? f32(env, argv[5], &len[3]) : NULL;
  if (!probs) return NULL;
  const size_t total = (size_t)n * (size_t)v;
  if (len[0] < total || len[1] < (size_t)n || len[2] < (size_t)n || len[3] < total) {
    napi_throw_range_error(env, NULL, "attune-blas: softmaxCrossEntropy arrays are too short");
    return NULL;
  }
  for (int32_t i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= v) {
      napi_throw_range_error(env, NULL, "attune-blas: a target id is outside the vocabulary");
      return NULL;
    }
  }
  for (int32_t i = 0; i < n; i++) {
    const float *xr = x + (size_t)i * v;
    nll[i] = (float)(attune_softmax_row(xr, probs + (size_t)i * v, v) - xr[ids[i]]);
  }
  return NULL;
}

ATTUNE_CLONES void attune_scale_row(const float *probs, float s, float *dx, int32_t v) {
  for (int32_t j = 0; j < v; j++) dx[j] = probs[j] * s;
}

/* softmaxCrossEntropyGrad(n, v, probs, ids, scale, dx): dx = scale[i]·(probs[i] − onehot(ids[i])). */
napi_value attune_softmax_cross_entropy_grad(napi_env env, napi_callback_info info) {
  size_t argc = 6, len[4];
  napi_value argv[6];
  int32_t n, v;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6 || !shape2(env, argv, &n, &v)) {
    napi_throw_type_error(env, NULL, "attune-blas: softmaxCrossEntropyGrad(n, v, probs, ids, scale, dx)");
    return NULL;
  }
  float *probs = f32(env, argv[2], &len[0]);
  int32_t *ids = probs ? i32(env, argv[3], &len[1]) : NULL;
  float *scale = ids ? f32(env, argv[4], &len[2]) : NULL;
  float *dx = scale ? f32(env, argv[5], &len[3]) : NULL;
  if (!dx) return NULL;
  const size_t total = (size_t)n * (size_t)v;
  if (len[0] < total || len[1] < (size_t)n || len[2] < (size_t)n || len[3] < total) {
    napi_throw_range_error(env, NULL, "attune-blas: softmaxCrossEntropyGrad arrays are too short");
    return NULL;
  }
  for (int32_t i = 0; i < n; i++) {
    const float s = scale[i];
    float *dr = dx + (size_t)i * v;
    attune_scale_row(probs + (size_t)i * v, s, dr, v);
    if (ids[i] >= 0 && ids[i] < v) dr[ids[i]] -= s;
  }
  return NULL;
}
