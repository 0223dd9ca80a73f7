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
