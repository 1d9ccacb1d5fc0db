/*
 * The fused GELU and LayerNorm loops of functions/model/kernels/fused-ops.ts, compiled: the same
 * formulas and argument meaning. GELU runs in float, branch-free, so it vectorises (see ATTUNE_CLONES);
 * LayerNorm keeps its statistics in double.
 */
#include <math.h>
#include <stdlib.h>
#include "attune-blas.h"

#define SQRT_2_OVER_PI 0.797884560802865355f
#define CUBIC 0.044715f

ATTUNE_CLONES void attune_gelu_loop(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + tanh_rational(SQRT_2_OVER_PI * (v + CUBIC * v * v * v)));
  }
}

/*
 * dx = dy · d gelu/dx = dy · (½(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(u); once
 * |u| ≥ 3, 1 ± t and 1 − t² come from e = exp(−2|u|) (1 − t² = 4e/(1 + e)²), accurate where t rounds to ±1.
 */
ATTUNE_CLONES void attune_gelu_grad_loop(const float *x, const float *dy, float *dx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    const float u = SQRT_2_OVER_PI * (v + CUBIC * v * v * v);
    const float t = tanh_rational(u);
    const float e = exp_approx(-2.0f * fabsf(u));
    const float inv = 1.0f / (1.0f + e);
    const bool central = u > -3.0f && u < 3.0f;
    const float one_plus_t = central ? 1.0f + t : (u < 0.0f ? 2.0f * e * inv : 1.0f + (1.0f - e) * inv);
    const float sech2 = central ? 1.0f - t * t : 4.0f * e * inv * inv;
    const float slope = 0.5f * one_plus_t + 0.5f * v * sech2 * SQRT_2_OVER_PI * (1.0f + 3.0f * CUBIC * v * v);
    dx[i] = dy[i] * slope;
  }
}

/* gelu(x, y): GPT-2's tanh-approximation GELU, element-wise. */
napi_value attune_gelu(napi_env env, napi_callback_info info) {
  size_t argc = 2, n, n_out;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = argc >= 2 ? f32(env, argv[0], &n) : NULL;
  float *y = x ? f32(env, argv[1], &n_out) : NULL;
  if (!y) return NULL;
  attune_gelu_loop(x, y, n_out < n ? n_out : n);
  return NULL;
}

/* geluGrad(x, dy, dx). */
napi_value attune_gelu_grad(napi_env env, napi_callback_info info) {
  size_t argc = 3, n, n_dy, n_dx;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = argc >= 3 ? f32(env, argv[0], &n) : NULL;
  float *dy = x ? f32(env, argv[1], &n_dy) : NULL;
  float *dx = dy ? f32(env, argv[2], &n_dx) : NULL;
  if (!dx) return NULL;
  if (n_dy < n) n = n_dy;
  if (n_dx < n) n = n_dx;
  attune_gelu_grad_loop(x, dy, dx, n);
  return NULL;
}

/* layerNorm(rows, c, eps, x, gain, bias, y, mean, rstd): per row, biased variance, double statistics. */
napi_value attune_layer_norm(napi_env env, napi_callback_info info) {
  size_t argc = 9, len[6];
  napi_value argv[9];
  int32_t rows, c;
  double eps;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || !shape2(env, argv, &rows, &c) || napi_get_value_double(env, argv[2], &eps) != napi_ok) {
    napi_throw_type_error(env, NULL, "attune-blas: layerNorm(rows, c, eps, x, gain, bias, y, mean, rstd)");
    return NULL;
  }
  float *p[6];
  for (int i = 0; i < 6; i++)
    if (!(p[i] = f32(env, argv[3 + i], &len[i]))) return NULL;
  const size_t total = (size_t)rows * (size_t)c;
  if (len[0] < total || len[1] < (size_t)c || len[2] < (size_t)c || len[3] < total || len[4] < (size_t)rows ||
      len[5] < (size_t)rows) {
    napi_throw_range_error(env, NULL, "attune-blas: layerNorm arrays are too short");
    return NULL;
  }
  const float *x = p[0], *g = p[1], *b = p[2];
  float *y = p[3], *means = p[4], *rstds = p[5];
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * c;
    float *yr = y + (size_t)r * c;
    double sum = 0, squares = 0;
    for (int32_t j = 0; j < c; j++) sum += xr[j];
    const double mean = sum / c;
    for (int32_t j = 0; j < c; j++) squares += (xr[j] - mean) * (xr[j] - mean);
    const double rstd = 1 / sqrt(squares / c + eps);
    for (int32_t j = 0; j < c; j++) yr[j] = (float)((xr[j] - mean) * rstd * g[j] + b[j]);
    means[r] = (float)mean;
    rstds[r] = (float)rstd;
  }
  return NULL;
}

/* layerNormGrad(rows, c, x, dy, gain, mean, rstd, dx, dgain, dbias): as fused-ops.ts. */
napi_value attune_layer_norm_grad(napi_env env, napi_callback_info info) {
  size_t argc = 10, len[8];
  napi_value argv[10];
  int32_t rows, c;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 10 || !shape2(env, argv, &rows, &c)) {
    napi_throw_type_error(env, NULL, "attune-blas: layerNormGrad(rows, c, x, dy, gain, mean, rstd, dx, dgain, dbias)");
    return NULL;
  }
  float *p[8];
  for (int i = 0; i < 8; i++)
    if (!(p[i] = f32(env, argv[2 + i], &len[i]))) return NULL;
  const size_t total = (size_t)rows * (size_t)c;
  if (len[0] < total || len[1] < total || len[2] < (size_t)c || len[3] < (size_t)rows || len[4] < (size_t)rows ||
      len[5] < total || len[6] < (size_t)c || len[7] < (size_t)c) {
    napi_throw_range_error(env, NULL, "attune-blas: layerNormGrad arrays are too short");
    return NULL;
  }
  const float *x = p[0], *dy = p[1], *g = p[2], *means = p[3], *rstds = p[4];
  float *dx = p[5], *dg = p[6], *db = p[7];
  double *acc = (double *)calloc(2 * (size_t)c, sizeof(double));
  if (!acc) {
    napi_throw_error(env, NULL, "attune-blas: out of memory");
    return NULL;
  }
  for (int32_t r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * c, *dyr = dy + (size_t)r * c;
    float *dxr = dx + (size_t)r * c;
    const double mean = means[r], rstd = rstds[r];
    double sum_g = 0, sum_gx = 0;
    for (int32_t j = 0; j < c; j++) {
      const double xhat = (xr[j] - mean) * rstd, gh = (double)dyr[j] * g[j];
      sum_g += gh;
      sum_gx += gh * xhat;
      acc[j] += dyr[j] * xhat;
      acc[c + j] += dyr[j];
    }
    const double mean_g = sum_g / c, mean_gx = sum_gx / c;
    for (int32_t j = 0; j < c; j++) {
      const double xhat = (xr[j] - mean) * rstd;
      dxr[j] = (float)(rstd * ((double)dyr[j] * g[j] - mean_g - xhat * mean_gx));
    }
  }
  for (int32_t j = 0; j < c; j++) {
    dg[j] = (float)acc[j];
    db[j] = (float)acc[c + j];
  }
  free(acc);
  return NULL;
}

