/* lk-distance.h — the Distance Explainer (METHODS.md §3): random masks,
 * each masked input's distance to a reference embedding, and the masks of
 * the closest window minus those of the farthest. Images (RISE masks over
 * the pixels) and texts (masks over the tokens or words of one text). */
#pragma once

#include <gio/gio.h>

#include "lk-explanation.h"
#include "lk-model.h"

G_BEGIN_DECLS

typedef enum {
  LK_DISTANCE_UNIT_TOKEN,   /* texts: each non-special token is masked on its own */
  LK_DISTANCE_UNIT_WORD,    /* texts: a word's sub-words are masked together */
} LkDistanceUnit;

typedef enum {
  LK_DISTANCE_REPLACE_MASK, /* a masked token becomes the tokenizer's mask token ([UNK] without one) */
  LK_DISTANCE_REPLACE_DROP, /* a masked token is left out */
} LkDistanceReplace;

typedef struct {
  guint             n_masks;      /* 1000 */
  guint             feature_res;  /* images: grid cells per axis, 8 */
  double            p_keep;       /* 0.5 */
  double            pos_min, pos_max;  /* closest window, fractions of the sorted masks: [0, 0.1) */
  double            neg_min, neg_max;  /* farthest window: [0.9, 1.0) */
  guint             batch_size;   /* masked inputs per embedding call, 32 */
  guint32           seed;         /* the masks of np.random.seed(seed) in distance_explainer */
  double            stop_at;      /* > 0: stop once the split-half correlation reaches it (0.9); 0: all n_masks */
  guint             check_every;  /* masks between two early-stop checks, 100 */
  guint             mask_side;    /* 0: mask A (image or text A), 1: mask B (text B or the caption) */
  LkDistanceUnit    unit;
  LkDistanceReplace replace;
} LkDistanceParams;

void           lk_distance_params_init   (LkDistanceParams *params);
/* A clear error naming the parameter when one is out of range. */
gboolean       lk_distance_params_check  (const LkDistanceParams *params,
                                          GError                **error);

/* Text pairs: the tokens (or words) of text @mask_side masked, the other
 * text's embedding the reference. Saliency per token of the masked side. */
LkExplanation *lk_explain_distance_text  (LkModel                 *model,
                                          const char              *text_a,
                                          const char              *text_b,
                                          const LkDistanceParams  *params,
                                          LkProgressFunc           progress,
                                          gpointer                 progress_data,
                                          GCancellable            *cancellable,
                                          GError                 **error);

/* Image–caption pairs on a model with a vision tower (CLIP): mask_side 0
 * masks the image (a map at the image's resolution, the caption's embedding
 * the reference); 1 masks the caption's tokens (the image's embedding the
 * reference). */
LkExplanation *lk_explain_distance_image (LkModel                 *model,
                                          const char              *image_path,
                                          const char              *caption,
                                          const LkDistanceParams  *params,
                                          LkProgressFunc           progress,
                                          gpointer                 progress_data,
                                          GCancellable            *cancellable,
                                          GError                 **error);

/* Image masking keeps the embeddings of the last few images' masked
 * copies on the model, so that another caption of the same image (same
 * mask settings and seed) embeds only masks no earlier run did; the map is
 * the one a run of its own gives. This drops them (the tests time and
 * compare cold runs with it); not while a run on @model is under way. */
void           lk_distance_forget        (LkModel                 *model);

/* ---- the pieces, exposed for the tests ---- */

/* numpy's legacy generator (MT19937, np.random.seed): the same stream of
 * doubles and bounded integers as RandomState. */
typedef struct {
  guint32 mt[624];
  int     index;
} LkNumpyRandom;

void           lk_numpy_random_seed      (LkNumpyRandom *r, guint32 seed);
guint32        lk_numpy_random_uint32    (LkNumpyRandom *r);
double         lk_numpy_random_double    (LkNumpyRandom *r);
/* randint(0, high) of RandomState (masked rejection sampling) */
guint32        lk_numpy_random_below     (LkNumpyRandom *r, guint32 high);

/* RISE masks as dianna draws them: every n×res×res grid value first, then
 * per mask the y and x offsets; each mask the grid bilinearly upsampled
 * (mirrored edges) to (res+1)·cell and cropped at its offset. */
typedef struct _LkRise LkRise;

LkRise        *lk_rise_new               (guint     n_masks,
                                          guint     height,
                                          guint     width,
                                          guint     feature_res,
                                          double    p_keep,
                                          guint32   seed);
void           lk_rise_free              (LkRise   *rise);
/* Mask @i into @out (height × width floats in [0, 1]). */
void           lk_rise_mask              (const LkRise *rise,
                                          guint         i,
                                          float        *out);
void           lk_rise_offset            (const LkRise *rise,
                                          guint         i,
                                          guint        *dy,
                                          guint        *dx);
const guint8  *lk_rise_grid              (const LkRise *rise,
                                          guint         i);

/* Text masks: n × n_units values 0/1 (1 = kept), Bernoulli(p_keep) drawn
 * like the RISE grid from the same seeded stream. */
float         *lk_distance_unit_masks    (guint    n_masks,
                                          guint    n_units,
                                          double   p_keep,
                                          guint32  seed);

/* Mask @i (of @size values) into @out. */
typedef void (*LkMaskFunc) (guint i, float *out, gpointer user_data);

/* The map of masks [@first, @first + @n): sorted by distance (ties by
 * index), mean of the closest window minus mean of the farthest; an empty
 * window counts as 0. @out holds @size values. */
void           lk_distance_aggregate     (guint                    first,
                                          guint                    n,
                                          gsize                    size,
                                          LkMaskFunc               get_mask,
                                          gpointer                 user_data,
                                          const double            *distances,
                                          const LkDistanceParams  *params,
                                          double                  *out);
/* Pearson correlation of the maps of the first and the second half of
 * masks [0, @n); 0 when either map is constant. */
double         lk_distance_split_half    (guint                    n,
                                          gsize                    size,
                                          LkMaskFunc               get_mask,
                                          gpointer                 user_data,
                                          const double            *distances,
                                          const LkDistanceParams  *params);
/* The @width × @height map resampled to @out_width × @out_height over the
 * rectangle @crop (x, y, width, height in the map's pixels): each output
 * pixel the mean of the input pixels whose centres lie in its footprint,
 * or the input pixel under its centre when none do. */
void           lk_distance_map_resample  (const double *map,
                                          int           width,
                                          int           height,
                                          const double  crop[4],
                                          int           out_width,
                                          int           out_height,
                                          float        *out);
/* Cosine distance / 2, in [0, 1]. */
double         lk_distance_cosine        (const float *a,
                                          const float *b,
                                          guint        dim);

G_END_DECLS
