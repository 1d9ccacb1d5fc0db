/*
 * Attune's optional native matrix multiply: a tiny N-API addon over the system OpenBLAS `cblas_sgemm`,
 * with the training step's element-wise loops compiled beside it (attune-fused.c: GELU, LayerNorm;
 * attune-loss.c: softmax cross-entropy; attune-train.c: bias-gradient sums, gather, AdamW). This file
 * holds the matmul and registers every function. The TF.js wasm backend's kernels call it with
 * Float32Array views of the wasm heap: it reads the operands there and writes into output tensors the
 * kernel has just allocated (never into an existing tensor: the zero-copy Identity shares buffers).
 *
 * Built on demand by functions/model/native/native-blas.ts (g++ or cc, Node's own headers, linked against
 * libopenblas.so.0); the OpenBLAS development headers are not needed, the few symbols are declared here.
 */
#include <stdlib.h>
#include "attune-blas.h"

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

/* Enumerable, so `{ ...blas, sgemm: wrapped }` (tests' call counters) keeps every other function. */
NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gelu", NULL, attune_gelu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geluGrad", NULL, attune_gelu_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNorm", NULL, attune_layer_norm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormGrad", NULL, attune_layer_norm_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxCrossEntropy", NULL, attune_softmax_cross_entropy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxCrossEntropyGrad", NULL, attune_softmax_cross_entropy_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumLeading", NULL, attune_sum_leading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumSquares", NULL, attune_sum_squares, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gatherRows", NULL, attune_gather_rows, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamw", NULL, attune_adamw, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}
