/* lk-aspect-train-private.h — the folders of a training run: OUT (the
 * model, made at the end), OUT.checkpoint (kept to resume, ours when it
 * holds setup.txt) and OUT.partial (where the model is assembled, ours when
 * it holds the marker). */
#pragma once

#include <glib.h>

#include "lk-aspects.h"

G_BEGIN_DECLS

/* Shared by the two trainers (lk-aspect-train.c, lk-aspect-head.c). */
/* The targets min-max normalised per aspect (n_pairs × n_aspects), the raw
 * ranges in @min and @max; an error naming @what for a constant aspect. */
float   *lk_aspect_pairs_normalise (const LkAspectPairs *pairs, const char *what, double **min, double **max,
                                    GError **error);
/* Every tenth pair becomes a dev pair, moved to the end, when that leaves
 * two batches to train on. Returns the number of dev pairs (0: none). */
guint    lk_aspect_pairs_split_dev (LkAspectPairs *pairs, guint batch_size);

#define LK_TRAIN_MARKER "likeness-train.txt"

typedef struct {
  char     *out;               /* canonical: absolute, no trailing slash */
  char     *parent;
  char     *checkpoint;
  char     *partial;
  char     *fingerprint;
  int       lock_fd;           /* flock on the checkpoint folder while we run */
  gboolean  made_checkpoint;
  gboolean  stale_partial;     /* an OUT.partial of an earlier run */
} LkTrainOutput;

/* The checks that need nothing but the path, before anything is read. */
gboolean lk_train_output_check   (LkTrainOutput *o, const char *out, gboolean resume, GError **error);
/* Takes the checkpoint folder (checked against @fingerprint, or made) and
 * its lock, checks the free space, and clears an earlier run's OUT.partial. */
gboolean lk_train_output_claim   (LkTrainOutput *o, const char *fingerprint, guint64 need_bytes, GError **error);
/* A state file to resume from is in the checkpoint folder. */
gboolean lk_train_output_has_state (LkTrainOutput *o);
gboolean lk_train_output_open_partial (LkTrainOutput *o, GError **error);
/* OUT.partial becomes OUT (never over an existing OUT); the checkpoint goes. */
gboolean lk_train_output_publish (LkTrainOutput *o, GError **error);
/* After a failure: a checkpoint we made and that holds nothing to resume goes. */
void     lk_train_output_abandon (LkTrainOutput *o);
void     lk_train_output_clear   (LkTrainOutput *o);

G_END_DECLS
