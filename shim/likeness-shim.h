/* likeness-shim.h — the pure-C boundary over libtorch.
 *
 * This is the only interface through which Likeness touches libtorch. It is
 * plain C: opaque handles with create/free pairs, parameter structs with a
 * *_default_params() function, progress and abort callbacks with user_data,
 * and a status object (code + message). No C++ exception ever crosses it.
 * It needs no GLib, so it builds and tests against any libtorch (CPU or CUDA).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  LK_SHIM_OK = 0,
  LK_SHIM_ERROR_IO,             /* a file is missing or cannot be read */
  LK_SHIM_ERROR_FORMAT,         /* a weights file is malformed */
  LK_SHIM_ERROR_UNSUPPORTED,    /* architecture, dtype or feature not supported */
  LK_SHIM_ERROR_INVALID,        /* a bad argument */
  LK_SHIM_ERROR_MISSING_WEIGHT, /* a tensor the architecture needs is absent or mis-shaped */
  LK_SHIM_ERROR_CANCELLED,      /* the abort callback asked to stop */
  LK_SHIM_ERROR_INTERNAL,       /* anything libtorch threw that we did not expect */
} lk_shim_code;

typedef struct {
  lk_shim_code code;
  char message[1024];
} lk_shim_status;

/* Return non-zero to abort the running call (it returns LK_SHIM_ERROR_CANCELLED). */
typedef int (*lk_shim_abort_cb) (void *user_data);
/* fraction in [0, 1]. */
typedef void (*lk_shim_progress_cb) (double fraction, void *user_data);

typedef enum {
  LK_SHIM_ARCH_BERT = 0,  /* BERT, MiniLM */
  LK_SHIM_ARCH_MPNET,     /* MPNet, with relative position bias */
  LK_SHIM_ARCH_XLMR,      /* RoBERTa and XLM-RoBERTa */
} lk_shim_arch;

typedef enum {
  LK_SHIM_ACT_GELU = 0,   /* exact (erf) GELU */
  LK_SHIM_ACT_GELU_TANH,  /* gelu_new / gelu_pytorch_tanh */
  LK_SHIM_ACT_QUICK_GELU,
  LK_SHIM_ACT_RELU,
  LK_SHIM_ACT_TANH,
  LK_SHIM_ACT_IDENTITY,
} lk_shim_activation;

typedef enum {
  LK_SHIM_POOL_MEAN = 0,
  LK_SHIM_POOL_CLS,
  LK_SHIM_POOL_MAX,
  LK_SHIM_POOL_MEAN_SQRT_LEN,
  LK_SHIM_POOL_LAST_TOKEN,
} lk_shim_pooling;

typedef enum {
  LK_SHIM_DEVICE_AUTO = 0, /* CUDA when the linked libtorch has it and a GPU is present */
  LK_SHIM_DEVICE_CPU,
  LK_SHIM_DEVICE_CUDA,
} lk_shim_device;

#define LK_SHIM_MAX_DENSE 4

typedef struct {
  const char *weights_path; /* 2_Dense/model.safetensors or pytorch_model.bin */
  int in_features;
  int out_features;
  int bias;
  lk_shim_activation activation;
} lk_shim_dense;

typedef struct {
  lk_shim_arch arch;
  const char *weights_path;        /* model.safetensors or pytorch_model.bin */
  int vocab_size;
  int hidden_size;
  int num_layers;
  int num_heads;
  int intermediate_size;
  int max_position_embeddings;
  int type_vocab_size;
  int pad_token_id;                /* RoBERTa-type position ids start at pad + 1 */
  int relative_attention_num_buckets; /* MPNet */
  double layer_norm_eps;
  lk_shim_activation hidden_act;
  /* the sentence-transformers pipeline */
  lk_shim_pooling pooling;
  int n_dense;
  lk_shim_dense dense[LK_SHIM_MAX_DENSE];
  int normalize;                   /* a Normalize module ends the pipeline */
  /* execution */
  lk_shim_device device;
  int n_threads;                   /* 0 = one per core */
} lk_shim_model_params;

typedef struct {
  int batch_size;                  /* texts per forward pass, default 32 */
  lk_shim_progress_cb progress;
  lk_shim_abort_cb abort;
  void *user_data;
} lk_shim_run_params;

typedef struct lk_shim_model lk_shim_model;

void lk_shim_model_default_params (lk_shim_model_params *params);
void lk_shim_run_default_params (lk_shim_run_params *params);

/* Loads the weights and moves them to the device. NULL on error (status says why). */
lk_shim_model *lk_shim_model_load (const lk_shim_model_params *params, lk_shim_status *status);
void lk_shim_model_free (lk_shim_model *model);

int lk_shim_model_embedding_dim (const lk_shim_model *model);
/* "cpu" or "cuda:N" */
const char *lk_shim_model_device_name (const lk_shim_model *model);

/* Sentence embeddings of n token sequences, each ids[i] of lengths[i] tokens
 * (special tokens included, no padding). Texts run in batches sorted by
 * length, with padding masks. out holds n × embedding_dim floats, in the
 * order of the input. Returns 0 on success. */
int lk_shim_embed (lk_shim_model *model,
                   int n,
                   const int32_t *const *ids,
                   const int *lengths,
                   float *out,
                   const lk_shim_run_params *run,
                   lk_shim_status *status);

/* ---- The contribution engine (IJ, BiLRP, H×P: METHODS.md) ----
 *
 * For one text of S tokens it computes U (D × S): how much token i
 * contributes to embedding dimension d, with e the embedding before any
 * Normalize module:
 *   U[d,i] = Σ_h Δ[i,h] · Σ_k w_k ∂e_d/∂x(α_k)[i,h],  x(α) = r + α (x − r),
 * x the hidden state entering layer `layer`, r the reference's (zero when
 * there is no reference), Δ = x − r. One node α = 1 with no reference is
 * gradient × input at the point (H×P; BiLRP on the LRP graph). The pair
 * matrix of two texts is U_aᵀ U_b. Memory stays O(D·S) plus activations. */

typedef enum {
  LK_SHIM_GRAPH_PLAIN = 0,  /* the model as it is */
  LK_SHIM_GRAPH_LRP,        /* softmax, LayerNorm σ and the activation ratio detached */
} lk_shim_graph;

typedef enum {
  LK_SHIM_AD_AUTO = 0,      /* forward mode when S < D, else reverse */
  LK_SHIM_AD_FORWARD,       /* one Jacobian-vector product per token */
  LK_SHIM_AD_REVERSE,       /* one backward pass per embedding dimension */
} lk_shim_ad_mode;

typedef enum {
  LK_SHIM_QUAD_RIEMANN = 0, /* α_k = 1 − k/N, k = 0..N−1, weights 1/N */
  LK_SHIM_QUAD_GAUSS,       /* Gauss–Legendre nodes and weights on [0, 1] */
} lk_shim_quadrature;

typedef struct {
  int layer;                    /* 0 = the embedding layer's output … num_layers */
  lk_shim_graph graph;
  int n_steps;                  /* nodes on the path; 1 with no reference = at the point */
  lk_shim_quadrature quadrature;
  const int32_t *reference_ids; /* S ids of the reference sequence, or NULL */
  lk_shim_ad_mode mode;
  int zero_biases;              /* every bias set to zero (BiLRP's conservation check) */
  int max_batch;                /* sequences per pass, 0 = chosen from S and H */
  lk_shim_progress_cb progress;
  lk_shim_abort_cb abort;
  void *user_data;
} lk_shim_contrib_params;

void lk_shim_contrib_default_params (lk_shim_contrib_params *params);

int lk_shim_model_num_layers (const lk_shim_model *model);
int lk_shim_model_hidden_size (const lk_shim_model *model);

/* U into u (D × S, row-major), and optionally e(x) and e(r) into e and e_ref
 * (D floats each; e_ref is zero without a reference), all before Normalize.
 * `mode_used`, when not NULL, receives the AD mode that ran. */
int lk_shim_contributions (lk_shim_model *model,
                           const int32_t *ids,
                           int n_tokens,
                           const lk_shim_contrib_params *params,
                           float *u,
                           float *e,
                           float *e_ref,
                           lk_shim_ad_mode *mode_used,
                           lk_shim_status *status);

/* Hidden states (S × H) entering layer `layer` (num_layers = the last
 * layer's output), for one text, on the plain graph. */
int lk_shim_hidden_states (lk_shim_model *model,
                           const int32_t *ids,
                           int n_tokens,
                           int layer,
                           float *out,
                           lk_shim_status *status);

/* Process-wide settings and facts. */
int lk_shim_cuda_available (void);
void lk_shim_set_num_threads (int n); /* 0 = one per core */
int lk_shim_get_num_threads (void);
const char *lk_shim_libtorch_version (void);

/* Validates a safetensors file held in memory (header JSON, dtypes, shapes and
 * that every tensor's offsets lie inside the data and do not overlap).
 * Exposed for the fuzz target. Returns 0 when valid. */
int lk_shim_safetensors_validate (const uint8_t *data, size_t size, lk_shim_status *status);

#ifdef __cplusplus
}
#endif
