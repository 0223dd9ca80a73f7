/* lk-aspects.h — S3BERT aspect spaces (METHODS.md §4, docs/aspects.md):
 * the layout of n aspects × k dims at the start of an embedding, the exact
 * decomposition of a pair's cosine into the aspects' shares and the
 * residual's, the built-in surface metrics, and metric distillation. */
#pragma once

#include <gio/gio.h>

#include "likeness-shim.h"
#include "lk-explanation.h"
#include "lk-model.h"

G_BEGIN_DECLS

#define LK_ASPECTS_FILE   "likeness_aspects.json"
#define LK_ASPECTS_FORMAT "likeness.aspects/1"

typedef struct {
  guint   n_aspects;
  guint   aspect_dim;   /* k: aspect i is dims [i·k, (i+1)·k) */
  char  **names;        /* n_aspects names */
  char   *source;       /* the file it was read from, or NULL */
} LkAspectLayout;

LkAspectLayout *lk_aspect_layout_new   (guint               n_aspects,
                                        guint               aspect_dim,
                                        const char * const *names);
/* From @model_dir's likeness_aspects.json, else S3BERT's own config.py
 * convention (N, FEATURE_DIM and the FEATURES list). LK_ERROR_NOT_FOUND
 * when the folder has neither. */
LkAspectLayout *lk_aspect_layout_read  (const char          *model_dir,
                                        GError             **error);
void            lk_aspect_layout_free  (LkAspectLayout      *layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAspectLayout, lk_aspect_layout_free)

/* The decomposition of one pair. sims and shares hold n_aspects + 1 values,
 * the residual's last: sims[i] = cos(a_i, b_i); shares[i] = a_i·b_i /
 * (‖a‖‖b‖), whose sum is cos(a, b) exactly (up to rounding). Returns the
 * overall cosine. FALSE (and no values) when @dim is too small. */
gboolean        lk_aspects_decompose   (const LkAspectLayout *layout,
                                        const float          *a,
                                        const float          *b,
                                        guint                 dim,
                                        double               *overall,
                                        double               *sims,
                                        double               *shares);

/* Explains a pair with the aspect layout of @model's folder (@layout NULL)
 * or @layout: an LkExplanation of method "aspects" with "aspects" [{name,
 * similarity, share}…] and "residual" {similarity, share}. */
LkExplanation  *lk_explain_aspects     (LkModel              *model,
                                        const LkAspectLayout *layout,
                                        const char           *text_a,
                                        const char           *text_b,
                                        GCancellable         *cancellable,
                                        GError              **error);

/* ---- aspect heads (lk-aspect-head.c; METHODS.md §5, docs/aspects.md) ----
 *
 * An orthogonal D × D map Q over a frozen model's embeddings: the aspects
 * are the first n·k coordinates of Qe, the residual the rest. Q keeps every
 * cosine, so the shares decompose the model's own score. A head is made for
 * one model's weights (SHA-256 of its weights file) and refused for others. */

#define LK_ASPECT_HEAD_FORMAT "likeness.aspect-head/1"

typedef struct {
  LkAspectLayout *layout;          /* source: the head file */
  guint           dim;
  float          *q;               /* dim × dim, row-major: (Qe)_d = Σ_j q[d·dim + j] e_j */
  char           *path;
  char           *model_id;        /* the model it was trained for */
  char           *weights_sha256;  /* of that model's weights file */
  double          orthogonality;   /* max |QQᵀ − I| of the float Q */
  JsonObject     *meta;            /* every metadata field, as strings (training, ranges, …) */
} LkAspectHead;

/* A safetensors file with one F32 tensor "Q" [D, D] and the layout and
 * provenance in "__metadata__"; every field checked, Q's orthogonality too. */
LkAspectHead   *lk_aspect_head_read    (const char          *path,
                                        GError             **error);
/* Atomically; @head->meta may add metadata (strings) of its own. */
gboolean        lk_aspect_head_write   (const LkAspectHead  *head,
                                        const char          *path,
                                        GError             **error);
void            lk_aspect_head_free    (LkAspectHead        *head);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAspectHead, lk_aspect_head_free)

/* FALSE, naming both models and hashes, when @head was made for other
 * weights or another width than @model's. */
gboolean        lk_aspect_head_check_model (const LkAspectHead *head,
                                            LkModel            *model,
                                            GError            **error);
/* Where heads are looked for, in order: $LIKENESS_ASPECT_HEADS (folders
 * separated by ':'), the user's data folder (…/likeness/aspect-heads), and
 * the shipped ones (the source tree's data/aspect-heads when running from
 * the build folder, else <datadir>/likeness/aspect-heads). */
char          **lk_aspect_head_dirs    (void);
/* The path of the first head in @dirs made for weights @weights_sha256, or NULL. */
char           *lk_aspect_head_find_path (char       **dirs,
                                          const char  *weights_sha256);
/* The first head in those folders made for @model's weights;
 * LK_ERROR_NOT_FOUND (saying where it looked) when there is none. */
LkAspectHead   *lk_aspect_head_find    (LkModel             *model,
                                        GError             **error);
/* @out (dim doubles) = Q @e. */
void            lk_aspect_head_apply   (const LkAspectHead  *head,
                                        const float         *e,
                                        double              *out);
double          lk_aspect_head_orthogonality (const float *q,
                                              guint        dim);

/* Whether @model_dir's model can be explained by aspects: its own layout,
 * or a head for its weights (hashing them the first time: call it off the
 * main thread). */
gboolean        lk_aspects_available   (const char          *model_dir);
/* The same for a model name (a hub id or a folder) in a worker thread; an
 * error when the model is not installed (nothing is downloaded). */
void            lk_aspects_available_async  (const char          *model_name,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean        lk_aspects_available_finish (GAsyncResult        *result,
                                             GError             **error);

/* Trains a head (lk-aspect-head-train.c). */
typedef struct {
  const char         *base;        /* hub id or folder */
  const char * const *pairs;       /* NULL-terminated: the pairs files, read as lk_aspect_pairs_load_split () */
  const char         *split;       /* SICK.txt rows of this split only (TRAIN …), or NULL */
  gboolean            builtin;
  const char         *out;         /* the head file to write (atomically; replaced if there) */
  int                 aspect_dim;
  int                 epochs;
  int                 batch_size;
  double              lr;
  int                 max_pairs;   /* 0: all */
  LkDevice            device;      /* for the embeddings */
  int                 n_threads;
} LkAspectHeadTrainParams;

void            lk_aspect_head_train_params_init (LkAspectHeadTrainParams *params);

typedef struct {
  guint  n_train, n_dev;
  double embed_seconds, train_seconds;
  lk_shim_head_result shim;
} LkAspectHeadTrainResult;

typedef void (*LkAspectHeadProgress) (const lk_shim_head_progress *progress, gpointer user_data);

gboolean        lk_aspect_head_train   (const LkAspectHeadTrainParams *params,
                                        LkAspectHeadProgress           progress,
                                        gpointer                       progress_data,
                                        GCancellable                  *cancellable,
                                        LkAspectHeadTrainResult       *result,
                                        GError                       **error);

/* ---- built-in metrics (lk-aspect-metrics.c) ---- */

#define LK_N_BUILTIN_METRICS 4

/* "Negation", "Quantity", "Named entities", "Content words"; NULL-terminated. */
const char * const *lk_builtin_metric_names (void);
void            lk_builtin_metrics     (const char *text_a,
                                        const char *text_b,
                                        double      out[LK_N_BUILTIN_METRICS]);

/* ---- training ---- */

/* Pairs and their per-aspect targets, as read from a file. */
typedef struct {
  GPtrArray *a;          /* char * */
  GPtrArray *b;
  GStrv      names;      /* the aspects, one per target column */
  GArray    *targets;    /* float, n_pairs × n_aspects, raw */
} LkAspectPairs;

/* A TSV with a header: two text columns, then one numeric column per
 * aspect (its header names the aspect). With @builtin, any pairs file
 * lk_sts_load() reads, or a TSV whose first two columns are the texts; the
 * targets are the built-in metrics. */
LkAspectPairs  *lk_aspect_pairs_load   (const char   *path,
                                        gboolean      builtin,
                                        GError      **error);
/* The same; with @builtin and a SICK.txt file, only the rows of @split
 * (TRAIN, TRIAL, TEST; NULL: all). */
LkAspectPairs  *lk_aspect_pairs_load_split (const char *path,
                                            gboolean    builtin,
                                            const char *split,
                                            GError    **error);
void            lk_aspect_pairs_free   (LkAspectPairs *pairs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkAspectPairs, lk_aspect_pairs_free)

/* lk_aspect_train_params_init() sets the defaults: the shim's
 * (lk_shim_train_default_params) for what the shim trains with, core's
 * for the aspect width; no field has a "0 means default" reading. */
typedef struct {
  const char *base;          /* hub id or folder */
  const char *pairs;         /* the pairs file */
  gboolean    builtin;       /* targets from the built-in metrics */
  const char *out;           /* the folder to write */
  int         epochs;
  int         batch_size;
  double      lr;            /* AdamW's peak learning rate */
  int         warmup_steps;  /* linear warm-up, then linear decay to 0 */
  int         eval_steps;    /* also evaluate every K steps; 0: per epoch only */
  int         aspect_dim;    /* k, the dims per aspect */
  int         max_pairs;     /* 0: all */
  LkDevice    device;
  int         n_threads;     /* 0: one per core */
  gboolean    resume;        /* fail unless OUT.checkpoint is there to resume */
} LkAspectTrainParams;

void            lk_aspect_train_params_init (LkAspectTrainParams *params);

typedef void (*LkAspectTrainProgress) (const lk_shim_train_progress *progress, gpointer user_data);

/* Reads and checks everything first (the output folder's parent, the
 * pairs, the base model, the layout against its dimensions, the disk
 * space, a checkpoint to resume), then trains, resuming from @out's
 * checkpoint (OUT.checkpoint/) when one of the same set-up is there, and
 * assembles the model folder in OUT.partial/, renamed to @out at the end.
 * @out may end in a slash; it must not exist. Folders this call did not
 * make are never removed; one of the user's at OUT.partial is refused. */
gboolean        lk_aspects_train       (const LkAspectTrainParams *params,
                                        LkAspectTrainProgress      progress,
                                        gpointer                   progress_data,
                                        GCancellable              *cancellable,
                                        lk_shim_train_result      *result,
                                        GError                   **error);

/* The same in a worker thread; @params and its strings are copied now.
 * @progress runs in the calling thread's thread-default main context, once
 * for every step, in order, and never after @callback (lk-async.h):
 * @progress_data must stay valid until @callback has run. A cancelled run
 * gives G_IO_ERROR_CANCELLED, unless it had already finished. */
void            lk_aspects_train_async (const LkAspectTrainParams *params,
                                        LkAspectTrainProgress      progress,
                                        gpointer                   progress_data,
                                        GCancellable              *cancellable,
                                        GAsyncReadyCallback        callback,
                                        gpointer                   user_data);
/* @train_result (may be NULL) gets the run's numbers, zeros on failure. */
gboolean        lk_aspects_train_finish (GAsyncResult             *result,
                                         lk_shim_train_result     *train_result,
                                         GError                  **error);

G_END_DECLS
