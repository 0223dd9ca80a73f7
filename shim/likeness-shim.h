/* likeness-shim.h — the pure-C boundary over libtorch.
 *
 * This is the only interface through which Likeness touches libtorch. It is
 * plain C: opaque handles with create/free pairs, parameter structs with a
 * *_default_params() function, progress and abort callbacks with user_data,
 * and a status object (code + message). No C++ exception ever crosses it.
 * It needs no GLib, so it builds and tests against any libtorch (CPU or CUDA).
 *
 * Threads. A model's weights are read-only once loaded, so every call that
 * takes a model may run on it from several threads at once, except
 * lk_shim_model_free, which must come after all of them. Two
 * lk_shim_contributions calls on one model run one after the other (the
 * second waits): one run already uses every thread and its peak memory,
 * and the first call with zero_biases makes the model's zero-bias copy.
 * Calls on different models are independent, with two exceptions that are
 * process-wide: the thread count (lk_shim_set_num_threads, and the
 * n_threads of lk_shim_model_load, which calls it), and the forward mode of
 * a tower without a linearisation of its own (CLIP's), which runs
 * libtorch's forward-mode AD, one pass at a time in the process.
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
  LK_SHIM_ARCH_CLIP,      /* CLIPModel: the fields above describe the text tower */
  LK_SHIM_ARCH_DECODER,   /* Qwen2/Qwen3 decoder-only embedder (causal, RoPE, GQA, RMSNorm, SwiGLU) */
  LK_SHIM_ARCH_MODERNBERT, /* ModernBERT: RoPE, GeGLU, alternating global and sliding-window attention */
} lk_shim_arch;

typedef enum {
  LK_SHIM_ACT_GELU = 0,   /* exact (erf) GELU */
  LK_SHIM_ACT_GELU_TANH,  /* gelu_new / gelu_pytorch_tanh */
  LK_SHIM_ACT_QUICK_GELU,
  LK_SHIM_ACT_RELU,
  LK_SHIM_ACT_TANH,
  LK_SHIM_ACT_IDENTITY,
  LK_SHIM_ACT_SILU,       /* the gated units of decoders (SwiGLU) */
} lk_shim_activation;

typedef enum {
  LK_SHIM_POOL_MEAN = 0,
  LK_SHIM_POOL_CLS,
  LK_SHIM_POOL_MAX,
  LK_SHIM_POOL_MEAN_SQRT_LEN,
  LK_SHIM_POOL_LAST_TOKEN,
  LK_SHIM_POOL_WEIGHTED_MEAN,  /* token i (from 0) weighs i + 1, as sentence-transformers' weightedmean */
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
  double layer_norm_eps;           /* the decoder's rms_norm_eps */
  /* the decoder (LK_SHIM_ARCH_DECODER) */
  int num_kv_heads;                /* grouped-query attention: key/value heads */
  int head_dim;                    /* may differ from hidden_size / num_heads */
  double rope_theta;
  int qk_norm;                     /* Qwen3's RMSNorm on each query and key head */
  int attention_bias;              /* Qwen2's q/k/v biases; ModernBERT's attention_bias */
  /* ModernBERT (LK_SHIM_ARCH_MODERNBERT); rope_theta is its global layers' */
  double local_rope_theta;
  int local_window;                /* a sliding layer attends to |i − j| ≤ local_window */
  const unsigned char *sliding;    /* num_layers flags: 1 for a sliding-window layer */
  int norm_bias;                   /* LayerNorms with biases */
  int mlp_bias;
  lk_shim_activation hidden_act;
  /* the sentence-transformers pipeline */
  lk_shim_pooling pooling;
  int n_dense;
  lk_shim_dense dense[LK_SHIM_MAX_DENSE];
  int normalize;                   /* a Normalize module ends the pipeline */
  int truncate_dim;                /* Matryoshka: keep the first N dimensions (0: all), before Normalize */
  /* CLIP (LK_SHIM_ARCH_CLIP): the shared space and the vision tower */
  int projection_dim;
  int eos_token_id;                /* 2: the legacy rule, pool at the largest id */
  int vision_hidden_size;
  int vision_num_layers;
  int vision_num_heads;
  int vision_intermediate_size;
  int image_size;
  int patch_size;
  double vision_layer_norm_eps;
  lk_shim_activation vision_hidden_act;
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

/* CLIP: the side of the square image the vision tower takes; 0 when the
 * model has no vision tower. For CLIP, lk_shim_embed runs the text tower
 * (the text projection of the end-of-text token). */
int lk_shim_model_image_size (const lk_shim_model *model);

/* CLIP image embeddings (vision tower + visual projection) of n images of
 * preprocessed pixels, n × 3 × S × S floats (S = lk_shim_model_image_size),
 * into out (n × embedding_dim). Returns 0 on success. */
int lk_shim_embed_images (lk_shim_model *model,
                          int n,
                          const float *pixels,
                          float *out,
                          const lk_shim_run_params *run,
                          lk_shim_status *status);

/* ---- The contribution engine (IJ, BiLRP, H×P: METHODS.md) ----
 *
 * For one input of S tokens to one tower of a model it computes U (D × S):
 * how much token i contributes to embedding dimension d, with e the
 * embedding before any Normalize module:
 *   U[d,i] = Σ_h Δ[i,h] · Σ_k w_k ∂e_d/∂x(α_k)[i,h],  x(α) = r + α (x − r),
 * x the hidden state entering layer `layer`, r the reference's (zero when
 * there is no reference), Δ = x − r. One node α = 1 with no reference is
 * gradient × input at the point (H×P; BiLRP on the LRP graph). The pair
 * matrix of two inputs is U_aᵀ U_b (of an image and a caption,
 * U_imageᵀ U_text). Memory stays O(D·S) plus activations. */

/* The towers of a model: what an input is fed to. Values are never
 * renumbered; a new kind of tower gets the next one. */
typedef enum {
  LK_SHIM_TOWER_TEXT = 0,   /* token ids: a text encoder, or CLIP's text tower */
  LK_SHIM_TOWER_IMAGE,      /* pixels: CLIP's vision tower */
} lk_shim_tower;

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

/* One input, and the tower it goes to. */
typedef struct {
  lk_shim_tower tower;
  const int32_t *ids;           /* TEXT: n_tokens ids, special tokens included, no padding */
  const float *pixels;          /* IMAGE: one preprocessed image, 3 × S × S floats (S = lk_shim_model_image_size) */
  int n_tokens;                 /* TEXT: the ids; IMAGE: lk_shim_clip_num_image_tokens */
} lk_shim_contrib_input;

typedef struct {
  int layer;                    /* 0 = the embedding layer's output … lk_shim_model_num_layers_of (tower) */
  lk_shim_graph graph;
  int n_steps;                  /* nodes on the path, 1 to 10000; 1 with no reference = at the point */
  lk_shim_quadrature quadrature;
  const int32_t *reference_ids; /* TEXT: n_tokens ids of the reference sequence, or NULL (IMAGE: NULL,
                                 * its reference is the zero hidden state) */
  lk_shim_ad_mode mode;
  int zero_biases;              /* every bias set to zero (BiLRP's conservation check) */
  int max_batch;                /* sequences per pass, 0 = chosen from S, H and the tower's heads */
  /* With cotangents (n_cotangents × D, row-major), u is n_cotangents ×
   * n_tokens: W·U, one backward pass per row (reverse mode, whatever
   * mode says). For a pair, W = U_otherᵀ gives the pair matrix, transposed
   * as needed, in as many passes as the other text has tokens instead of
   * min(n_tokens, D): the contributions are linear in the cotangent. */
  const float *cotangents;
  int n_cotangents;
  lk_shim_progress_cb progress;
  lk_shim_abort_cb abort;
  void *user_data;
} lk_shim_contrib_params;

/* Where the results go, all before Normalize. u is required; e and e_ref
 * may be NULL. e_ref is e(r): zero when there is neither a reference nor
 * more than one step (with steps and no reference, the path starts at the
 * zero hidden state). */
typedef struct {
  float *u;                     /* D × n_tokens, row-major */
  float *e;                     /* D floats: e(x) */
  float *e_ref;                 /* D floats: e(r) */
  lk_shim_ad_mode mode_used;    /* set on success: the mode that ran (FORWARD or REVERSE) */
} lk_shim_contrib_output;

void lk_shim_contrib_default_params (lk_shim_contrib_params *params);

/* Layers of one tower; 0 when the model has no such tower. */
int lk_shim_model_num_layers_of (const lk_shim_model *model, lk_shim_tower tower);
/* Layers of the text tower (every model has one). */
int lk_shim_model_num_layers (const lk_shim_model *model);
/* Text encoders: the width of the hidden states of lk_shim_hidden_states; 0 for CLIP. */
int lk_shim_model_hidden_size (const lk_shim_model *model);
/* The tokens of an image (the class token, then the patches row by row);
 * 0 without a vision tower. */
int lk_shim_clip_num_image_tokens (const lk_shim_model *model);

/* U, e and e_ref of one input. Returns 0 on success. */
int lk_shim_contributions (lk_shim_model *model,
                           const lk_shim_contrib_input *in,
                           const lk_shim_contrib_params *params,
                           lk_shim_contrib_output *out,
                           lk_shim_status *status);

/* The nodes and weights on [0, 1] of a path rule with n nodes (1 to
 * 10000): right Riemann, or Gauss–Legendre (exact for polynomials of
 * degree 2n − 1). Returns 0 on success. */
int lk_shim_quadrature_rule (lk_shim_quadrature rule,
                             int n,
                             double *nodes,
                             double *weights,
                             lk_shim_status *status);

/* IJ's path derivatives ∂e/∂α (α_k), before Normalize, for nodes α_k in
 * [0, 1] of the path x(α) = r + α (x − r) that params describe (layer,
 * reference_ids; the plain graph). Σ_k w_k ∂e/∂α (α_k) is what a rule's U
 * adds up to over the tokens, Σ_i U[:, i], so the attribution error of
 * any rule is known before U is computed, at one Jacobian-vector product
 * a node (the tangent on every token at once) instead of one a token.
 * A path keeps x, r, e(x) and e(r) between calls; it holds no reference
 * to the input, but needs the model until it is freed. */
typedef struct lk_shim_path lk_shim_path;

/* e and e_ref (D floats each, may be NULL) as for lk_shim_contributions.
 * NULL on error. */
lk_shim_path *lk_shim_path_new (lk_shim_model *model,
                                const lk_shim_contrib_input *in,
                                const lk_shim_contrib_params *params,
                                float *e,
                                float *e_ref,
                                lk_shim_status *status);
/* n_alphas × D into out. Returns 0 on success. */
int lk_shim_path_derivatives (lk_shim_path *path,
                              const double *alphas,
                              int n_alphas,
                              float *out,
                              lk_shim_status *status);
void lk_shim_path_free (lk_shim_path *path);

/* Hidden states (S × H) entering layer `layer` (num_layers = the last
 * layer's output), for one text, on the plain graph. */
int lk_shim_hidden_states (lk_shim_model *model,
                           const int32_t *ids,
                           int n_tokens,
                           int layer,
                           float *out,
                           lk_shim_status *status);

/* ---- Aspect training: S3BERT metric distillation (METHODS.md §4) ----
 *
 * A student starts as the model of `model` and learns to put n aspects of
 * k dims in the first n·k dimensions of its embedding: aspect loss = MSE
 * between cos(a[ik:(i+1)k], b[ik:(i+1)k]) and the pair's target i;
 * consistency loss = MSE between the student's batch × batch cosine matrix
 * (texts a against texts b) and the frozen starting model's. Each batch
 * takes one AdamW step for each loss (aspect, then consistency), each loss
 * with its own optimizer, as sentence-transformers' fit does for two
 * objectives. Only the last `trainable_layers` layers and the Dense
 * modules learn. After every epoch (and every `eval_steps` steps) the dev
 * pairs are scored 1 − (aspect MSE + consistency MSE); the best weights are
 * the ones written. */

typedef struct {
  int    epoch;               /* 0-based */
  int    n_epochs;
  long   step;                /* optimiser steps done (per loss), 1-based after a step */
  long   n_steps;
  double aspect_loss;         /* this batch's, before its aspect step */
  double consistency_loss;    /* this batch's, after the aspect step, before the consistency step */
  double aspect_loss_after;   /* the same batch's two losses after both steps (the consistency */
  double consistency_loss_after; /* loss starts at 0, student = teacher: these show each step's effect) */
  double lr;
  int    evaluated;           /* 1 when the dev scores below are fresh */
  double dev_aspect_mse;
  double dev_consistency_mse;
  double dev_score;           /* 1 − (aspect MSE + consistency MSE) */
  int    resumed;             /* 1 on the first report after resuming from a checkpoint */
} lk_shim_train_progress;

typedef void (*lk_shim_train_progress_cb) (const lk_shim_train_progress *progress, void *user_data);

typedef struct {
  int n_aspects;
  int aspect_dim;
  int epochs;                      /* default 2 */
  int batch_size;                  /* default 64 */
  double lr;                       /* default 2e-5 */
  int warmup_steps;                /* default 100; then linear decay to 0 */
  double weight_decay;             /* default 0.01 */
  int trainable_layers;            /* default 2 */
  int eval_steps;                  /* also evaluate and checkpoint every K steps; 0 = per epoch only */
  unsigned seed;                   /* shuffling; default 1 */
  const char *checkpoint_path;     /* resumed from when it exists; written after each evaluation */
  const char *output_weights;      /* model.safetensors to write: every tensor of the base, same names */
  const char *output_dense[LK_SHIM_MAX_DENSE]; /* each Dense module's weights file, when the model has any */
  lk_shim_train_progress_cb progress;
  lk_shim_abort_cb abort;
  void *user_data;
} lk_shim_train_params;

typedef struct {
  double best_score;
  int    best_epoch;
  long   best_step;
  long   steps_done;
  int    resumed_from_step;        /* 0 when the run started afresh */
  double first_aspect_loss, last_aspect_loss;
  double first_consistency_loss, last_consistency_loss;
} lk_shim_train_result;

void lk_shim_train_default_params (lk_shim_train_params *params);

/* Pairs 0 … n_train−1 train, n_train … n_train+n_dev−1 are the dev pairs
 * (n_dev may be 0: the training pairs are scored instead). ids_a[i] and
 * ids_b[i] hold len_a[i] and len_b[i] token ids (specials included);
 * targets holds (n_train + n_dev) × n_aspects values. */
int lk_shim_train_aspects (const lk_shim_model_params *model,
                           int n_train,
                           int n_dev,
                           const int32_t *const *ids_a,
                           const int *len_a,
                           const int32_t *const *ids_b,
                           const int *len_b,
                           const float *targets,
                           const lk_shim_train_params *params,
                           lk_shim_train_result *result,
                           lk_shim_status *status);

/* ---- Aspect heads (METHODS.md §5 "Aspects without fine-tuning") ----
 *
 * An orthogonal D × D map Q, trained on a frozen model's embeddings, so that
 * the first n·k coordinates of Qe hold n aspects of k coordinates each:
 * aspect loss = MSE between cos((Qa)_i, (Qb)_i) and the pair's target i, as
 * in lk_shim_train_aspects. Q is a product of n·k Householder reflections,
 * orthogonal throughout, so every cosine is kept exactly and there is no
 * consistency loss. Adam on mini-batches; after every epoch the dev pairs'
 * aspect MSE is measured and the best Q is the one returned (the start, the
 * base model's own first n·k dims, counts as epoch −1). */

typedef struct {
  int    epoch;             /* 0-based */
  int    n_epochs;
  long   step;              /* optimiser steps done */
  long   n_steps;
  double train_loss;        /* the epoch's mean batch loss */
  double dev_aspect_mse;    /* after the epoch */
  int    best;              /* 1 when this epoch is the best so far */
} lk_shim_head_progress;

typedef void (*lk_shim_head_progress_cb) (const lk_shim_head_progress *progress, void *user_data);

typedef struct {
  int n_aspects;
  int aspect_dim;
  int epochs;               /* default 30 */
  int batch_size;           /* default 128 */
  double lr;                /* Adam's, default 3e-3 */
  unsigned seed;            /* shuffling; default 1 */
  lk_shim_head_progress_cb progress;
  lk_shim_abort_cb abort;
  void *user_data;
} lk_shim_head_params;

typedef struct {
  double base_dev_mse;      /* the dev aspect MSE of the base model's first n·k dims */
  double best_dev_mse;
  int    best_epoch;        /* −1: no epoch beat the base dims (Q is their sign flip) */
  long   steps;
  double orthogonality;     /* max |QQᵀ − I| of the float Q written */
} lk_shim_head_result;

void lk_shim_head_default_params (lk_shim_head_params *params);

/* Pairs 0 … n_train−1 train, the next n_dev are the dev pairs (n_dev may be
 * 0: the training pairs are scored). emb_a and emb_b hold (n_train + n_dev)
 * × dim floats, targets (n_train + n_dev) × n_aspects; q_out gets Q, dim ×
 * dim, row-major (Qe: row d of Q dotted with e is coordinate d). CPU only:
 * the work is small. */
int lk_shim_train_aspect_head (int dim,
                               int n_train,
                               int n_dev,
                               const float *emb_a,
                               const float *emb_b,
                               const float *targets,
                               const lk_shim_head_params *params,
                               float *q_out,
                               lk_shim_head_result *result,
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
