/*
 * Attune's optional native matrix multiply: a tiny N-API addon over the system OpenBLAS `cblas_sgemm`,
 * and the fused GELU / LayerNorm loops of functions/model/kernels/fused-ops.ts compiled (-O3).
 * The TF.js wasm backend's BatchMatMul/_FusedMatMul kernels call it with Float32Array views of the wasm
 * heap, so it reads the operands and writes the product in place: no copy in or out.
 *
 * Built on demand by functions/model/native/native-blas.ts (g++ or cc, Node's own headers, linked against
 * libopenblas.so.0); the OpenBLAS development headers are not needed, the few symbols are declared here.
 */
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
#ifdef __cplusplus
}
#endif

#define CHECK(env, call)                                                                                 \
  do {                                                                                                   \
    if ((call) != napi_ok) {                                                                             \
      napi_throw_error((env), NULL, "attune-blas: N-API call failed: " #call);                          \
      return NULL;                                                                                       \
    }                                                                                                    \
  } while (0)

/* The data and element count of a Float32Array (or Int32Array for the parameters) argument. */
static int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok) return 0;
  return type == want;
}

/*
 * sgemm(a, b, c, params[, bias]): for each of `batch` matrices, c[i] = op(a[i]) · op(b[i]) (+ bias).
 * params (Int32Array): batch, batchA, batchB (each batch or 1: a batch of one is broadcast), m, n, k,
 * transposeA, transposeB. a[i] is m×k (k×m when transposed), b[i] k×n (n×k), c[i] m×n, row-major.
 * bias, when given, has n elements and is added to every row of c.
 */
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "attune-blas: sgemm(a, b, c, params[, bias])");
    return NULL;
  }
  float *a, *b, *c, *bias = NULL;
  int32_t *p;
  size_t a_len, b_len, c_len, p_len, bias_len = 0;
  if (!typed_array(env, argv[0], napi_float32_array, (void **)&a, &a_len) ||
      !typed_array(env, argv[1], napi_float32_array, (void **)&b, &b_len) ||
      !typed_array(env, argv[2], napi_float32_array, (void **)&c, &c_len) ||
      !typed_array(env, argv[3], napi_int32_array, (void **)&p, &p_len) || p_len < 8) {
    napi_throw_type_error(env, NULL, "attune-blas: a, b, c must be Float32Arrays, params an Int32Array(8)");
    return NULL;
  }
  napi_valuetype bias_type = napi_undefined;
  if (argc >= 5) CHECK(env, napi_typeof(env, argv[4], &bias_type));
  if (bias_type != napi_undefined && bias_type != napi_null &&
      !typed_array(env, argv[4], napi_float32_array, (void **)&bias, &bias_len)) {
    napi_throw_type_error(env, NULL, "attune-blas: bias must be a Float32Array");
    return NULL;
  }
  const int64_t batch = p[0], batch_a = p[1], batch_b = p[2], m = p[3], n = p[4], k = p[5];
  const int trans_a = p[6] != 0, trans_b = p[7] != 0;
  const int shapes_ok = batch > 0 && m >= 0 && n >= 0 && k >= 0 && (batch_a == batch || batch_a == 1) &&
                        (batch_b == batch || batch_b == 1) && (size_t)(batch_a * m * k) <= a_len &&
                        (size_t)(batch_b * k * n) <= b_len && (size_t)(batch * m * n) <= c_len &&
                        (bias == NULL || (size_t)n <= bias_len);
  if (!shapes_ok) {
    napi_throw_range_error(env, NULL, "attune-blas: params do not fit the arrays");
    return NULL;
  }
  if (m == 0 || n == 0) return NULL;
  float beta = 0.0f;
  if (bias != NULL) {
    for (int64_t row = 0; row < batch * m; row++) memcpy(c + row * n, bias, (size_t)n * sizeof(float));
    beta = 1.0f;
  } else if (k == 0) {
    memset(c, 0, (size_t)(batch * m * n) * sizeof(float));
    return NULL;
  }
  const int ta = trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS, tb = trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS;
  const int lda = trans_a ? (int)m : (int)k, ldb = trans_b ? (int)k : (int)n;
  if (batch_b == 1 && !trans_a && batch > 1 && batch_a == batch) {
    /* One shared right-hand matrix and untransposed rows: the batch is one tall product. */
    cblas_sgemm(CBLAS_ROW_MAJOR, ta, tb, (int)(batch * m), (int)n, (int)k, 1.0f, a, lda, b, ldb, beta, c,
                (int)n);
    return NULL;
  }
  for (int64_t i = 0; i < batch; i++) {
    const float *ai = a + (batch_a == 1 ? 0 : i) * m * k;
    const float *bi = b + (batch_b == 1 ? 0 : i) * k * n;
    cblas_sgemm(CBLAS_ROW_MAJOR, ta, tb, (int)m, (int)n, (int)k, 1.0f, ai, lda, bi, ldb, beta, c + i * m * n,
                (int)n);
  }
  return NULL;
}

/* The data of a Float32Array argument, or NULL (with a JS TypeError thrown) when it is not one. */
static float *f32(napi_env env, napi_value value, size_t *length) {
  void *data = NULL;
  if (!typed_array(env, value, napi_float32_array, &data, length)) {
    napi_throw_type_error(env, NULL, "attune-blas: expected a Float32Array");
    return NULL;
  }
  return (float *)data;
}

/* tanh as Eigen's float rational approximation (degree 13/6, clamped at ±7.905): as in fused-ops.ts. */
static inline double rational_tanh(double value) {
  const double x = value > 7.905311107635498 ? 7.905311107635498 : value < -7.905311107635498 ? -7.905311107635498 : value;
  const double x2 = x * x;
  double p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  p = x * p;
  double q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return p / q;
}

#define SQRT_2_OVER_PI 0.7978845608028654
#define CUBIC 0.044715

/* gelu(x, y): GPT-2's tanh-approximation GELU, element-wise; the same formulas as fused-ops.ts. */
static napi_value gelu(napi_env env, napi_callback_info info) {
  size_t argc = 2, n, n_out;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = argc >= 2 ? f32(env, argv[0], &n) : NULL;
  float *y = x ? f32(env, argv[1], &n_out) : NULL;
  if (!y) return NULL;
  if (n_out < n) n = n_out;
  for (size_t i = 0; i < n; i++) {
    const double v = x[i];
    y[i] = (float)(0.5 * v * (1 + rational_tanh(SQRT_2_OVER_PI * (v + CUBIC * v * v * v))));
  }
  return NULL;
}

/* geluGrad(x, dy, dx): dx = dy · d gelu/dx, with 1 ± t and 1 − t² from exp(−2|u|) once |u| ≥ 3. */
static napi_value gelu_grad(napi_env env, napi_callback_info info) {
  size_t argc = 3, n, n_dy, n_dx;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x = argc >= 3 ? f32(env, argv[0], &n) : NULL;
  float *dy = x ? f32(env, argv[1], &n_dy) : NULL;
  float *dx = dy ? f32(env, argv[2], &n_dx) : NULL;
  if (!dx) return NULL;
  if (n_dy < n) n = n_dy;
  if (n_dx < n) n = n_dx;
  for (size_t i = 0; i < n; i++) {
    const double v = x[i];
    const double u = SQRT_2_OVER_PI * (v + CUBIC * v * v * v);
    double one_plus_t, sech2;
    if (u > -3 && u < 3) {
      const double t = rational_tanh(u);
      one_plus_t = 1 + t;
      sech2 = 1 - t * t;
    } else {
      const double e = exp(-2 * fabs(u));
      one_plus_t = u < 0 ? (2 * e) / (1 + e) : 1 + (1 - e) / (1 + e);
      sech2 = (4 * e) / ((1 + e) * (1 + e));
    }
    const double slope = 0.5 * one_plus_t + 0.5 * v * sech2 * SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v);
    dx[i] = (float)(dy[i] * slope);
  }
  return NULL;
}

/* The rows × c shape of a LayerNorm call: argv[at] rows, argv[at + 1] c. */
static int shape2(napi_env env, napi_value *argv, int32_t *rows, int32_t *c) {
  return napi_get_value_int32(env, argv[0], rows) == napi_ok && napi_get_value_int32(env, argv[1], c) == napi_ok &&
         *rows >= 0 && *c > 0;
}

/* layerNorm(rows, c, eps, x, gain, bias, y, mean, rstd): per row, biased variance, double statistics. */
static napi_value layer_norm(napi_env env, napi_callback_info info) {
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
static napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
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

/* The data of an Int32Array argument, or NULL (with a JS TypeError thrown) when it is not one. */
static int32_t *i32(napi_env env, napi_value value, size_t *length) {
  void *data = NULL;
  if (!typed_array(env, value, napi_int32_array, &data, length)) {
    napi_throw_type_error(env, NULL, "attune-blas: expected an Int32Array");
    return NULL;
  }
  return (int32_t *)data;
}

/*
 * softmaxCrossEntropy(n, v, logits, ids, nll, probs): per row of the n×v logits, nll = logsumexp − the
 * target's logit and probs = softmax (kept for the backward). Sums in double.
 */
static napi_value softmax_cross_entropy(napi_env env, napi_callback_info info) {
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
    float *pr = probs + (size_t)i * v;
    float max = xr[0];
    for (int32_t j = 1; j < v; j++) max = xr[j] > max ? xr[j] : max;
    double sum = 0;
    for (int32_t j = 0; j < v; j++) {
      const float e = expf(xr[j] - max);
      pr[j] = e;
      sum += e;
    }
    const float inverse = (float)(1 / sum);
    for (int32_t j = 0; j < v; j++) pr[j] *= inverse;
    nll[i] = (float)(log(sum) + max - xr[ids[i]]);
  }
  return NULL;
}

/* softmaxCrossEntropyGrad(n, v, probs, ids, scale, dx): dx = scale[i]·(probs[i] − onehot(ids[i])). */
static napi_value softmax_cross_entropy_grad(napi_env env, napi_callback_info info) {
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
    const float *pr = probs + (size_t)i * v;
    float *dr = dx + (size_t)i * v;
    for (int32_t j = 0; j < v; j++) dr[j] = pr[j] * s;
    if (ids[i] >= 0 && ids[i] < v) dr[ids[i]] -= s;
  }
  return NULL;
}

/* setThreads(n): OpenBLAS's thread count for every later call. Returns the count now in force. */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t threads = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1) {
    napi_throw_range_error(env, NULL, "attune-blas: setThreads needs a positive integer");
    return NULL;
  }
  openblas_set_num_threads(threads);
  napi_value result;
  CHECK(env, napi_create_int32(env, openblas_get_num_threads(), &result));
  return result;
}

/* config(): OpenBLAS's build description (version, target core, threading), for the log line. */
static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(env, napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, gelu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxCrossEntropy", NULL, softmax_cross_entropy, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxCrossEntropyGrad", NULL, softmax_cross_entropy_grad, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
