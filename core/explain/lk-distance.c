/* lk-distance.c — the Distance Explainer over images and texts. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lk-method-info.h"
#include "lk-distance.h"
#include "lk-error.h"
#include "lk-image.h"
#include "lk-methods-private.h"
#include "lk-model-private.h"
#include "lk-provenance.h"
#include "lk-sts.h"

void
lk_distance_params_init (LkDistanceParams *p)
{
  /* The defaults are the registry's (lk-method-info.c), one home for each. */
  memset (p, 0, sizeof *p);
  p->n_masks = (guint) lk_param_info (LK_PARAM_MASKS)->default_value;
  p->feature_res = (guint) lk_param_info (LK_PARAM_FEATURE_RES)->default_value;
  p->p_keep = lk_param_info (LK_PARAM_P_KEEP)->default_value;
  p->pos_min = lk_param_info (LK_PARAM_CLOSEST_MIN)->default_value;
  p->pos_max = lk_param_info (LK_PARAM_CLOSEST_MAX)->default_value;
  p->neg_min = lk_param_info (LK_PARAM_FARTHEST_MIN)->default_value;
  p->neg_max = lk_param_info (LK_PARAM_FARTHEST_MAX)->default_value;
  p->batch_size = (guint) lk_param_info (LK_PARAM_BATCH_SIZE)->default_value;
  p->seed = (guint32) lk_param_info (LK_PARAM_SEED)->default_value;
  p->stop_at = lk_param_info (LK_PARAM_STOP_AT)->default_value;
  p->check_every = (guint) lk_param_info (LK_PARAM_CHECK_EVERY)->default_value;
  p->mask_side = (guint) lk_param_info (LK_PARAM_MASK_SIDE)->default_value;
  p->unit = (LkDistanceUnit) lk_param_info (LK_PARAM_UNIT)->default_value;
  p->replace = (LkDistanceReplace) lk_param_info (LK_PARAM_REPLACE)->default_value;
}

static gboolean
bad_param (GError **error, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "distance explainer: %s", what);
  return FALSE;
}

gboolean
lk_distance_params_check (const LkDistanceParams *p, GError **error)
{
  if (p->n_masks < 2 || p->n_masks > 1000000)
    return bad_param (error, "the number of masks must be between 2 and 1000000");
  if (p->feature_res < 1 || p->feature_res > 256)
    return bad_param (error, "the feature resolution must be between 1 and 256");
  if (!(p->p_keep > 0 && p->p_keep < 1))
    return bad_param (error, "p_keep must lie strictly between 0 and 1");
  if (!(p->pos_min >= 0 && p->pos_min < p->pos_max && p->pos_max <= 1))
    return bad_param (error, "the closest window must satisfy 0 ≤ min < max ≤ 1");
  if (!(p->neg_min >= 0 && p->neg_min < p->neg_max && p->neg_max <= 1))
    return bad_param (error, "the farthest window must satisfy 0 ≤ min < max ≤ 1");
  if (p->batch_size < 1 || p->batch_size > 4096)
    return bad_param (error, "the batch size must be between 1 and 4096");
  if (!(p->stop_at >= 0 && p->stop_at <= 1))
    return bad_param (error, "the early-stop threshold must lie between 0 (off) and 1");
  if (p->check_every < 2)
    return bad_param (error, "the early-stop check interval must be at least 2 masks");
  if (p->mask_side > 1)
    return bad_param (error, "the masked side must be a (0) or b (1)");
  return TRUE;
}

/* ---- numpy's legacy MT19937 ---- */

void
lk_numpy_random_seed (LkNumpyRandom *r, guint32 seed)
{
  r->mt[0] = seed;
  for (int i = 1; i < 624; i++)
    r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + i;
  r->index = 624;
}

static void
mt_twist (LkNumpyRandom *r)
{
  for (int i = 0; i < 624; i++)
    {
      guint32 y = (r->mt[i] & 0x80000000u) | (r->mt[(i + 1) % 624] & 0x7fffffffu);
      r->mt[i] = r->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) ? 0x9908b0dfu : 0);
    }
  r->index = 0;
}

guint32
lk_numpy_random_uint32 (LkNumpyRandom *r)
{
  guint32 y;

  if (r->index >= 624)
    mt_twist (r);
  y = r->mt[r->index++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

double
lk_numpy_random_double (LkNumpyRandom *r)
{
  guint32 a = lk_numpy_random_uint32 (r) >> 5, b = lk_numpy_random_uint32 (r) >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

guint32
lk_numpy_random_below (LkNumpyRandom *r, guint32 high)
{
  guint32 rng = high - 1, mask = rng, v;

  if (high <= 1)
    return 0;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  while ((v = lk_numpy_random_uint32 (r) & mask) > rng)
    ;
  return v;
}

/* choice((True, False), p=(p_keep, 1 − p_keep)): True when u < cdf[0] */
static double
keep_threshold (double p_keep)
{
  return p_keep / (p_keep + (1 - p_keep));
}

/* ---- RISE masks ---- */

struct _LkRise {
  guint    n, height, width, res;
  guint    cell_y, cell_x;
  guint8  *grid;      /* n × res × res */
  guint   *offsets;   /* n × 2: dy, dx */
  /* bilinear taps of each output row and column of the upsampled grid */
  guint   *iy, *ix;
  double  *ty, *tx;
};

/* skimage.transform.resize, order 1, mode "reflect": output pixel o samples
 * the input at (o + ½)·in/out − ½, mirrored about the edge samples. */
static void
upsample_taps (guint in, guint out, guint *idx, double *t)
{
  double scale = (double) in / out;

  for (guint o = 0; o < out; o++)
    {
      double c = (o + 0.5) * scale - 0.5;
      guint i0;
      if (in == 1)
        {
          idx[o] = 0;
          t[o] = 0;
          continue;
        }
      if (c < 0)
        c = -c;
      if (c > in - 1)
        c = 2.0 * (in - 1) - c;
      i0 = MIN ((guint) floor (c), in - 2);
      idx[o] = i0;
      t[o] = c - i0;
    }
}

LkRise *
lk_rise_new (guint n_masks, guint height, guint width, guint feature_res, double p_keep, guint32 seed)
{
  LkRise *r = g_new0 (LkRise, 1);
  LkNumpyRandom rng;
  double keep = keep_threshold (p_keep);
  guint up_y, up_x;

  g_return_val_if_fail (n_masks > 0 && height > 0 && width > 0 && feature_res > 0, NULL);
  r->n = n_masks;
  r->height = height;
  r->width = width;
  r->res = feature_res;
  r->cell_y = (height + feature_res - 1) / feature_res;
  r->cell_x = (width + feature_res - 1) / feature_res;
  r->grid = g_new (guint8, (gsize) n_masks * feature_res * feature_res);
  r->offsets = g_new (guint, (gsize) n_masks * 2);
  lk_numpy_random_seed (&rng, seed);
  for (gsize k = 0; k < (gsize) n_masks * feature_res * feature_res; k++)
    r->grid[k] = lk_numpy_random_double (&rng) < keep;
  for (guint i = 0; i < n_masks; i++)
    {
      r->offsets[2 * i] = lk_numpy_random_below (&rng, r->cell_y);
      r->offsets[2 * i + 1] = lk_numpy_random_below (&rng, r->cell_x);
    }
  up_y = (feature_res + 1) * r->cell_y;
  up_x = (feature_res + 1) * r->cell_x;
  r->iy = g_new (guint, up_y);
  r->ty = g_new (double, up_y);
  r->ix = g_new (guint, up_x);
  r->tx = g_new (double, up_x);
  upsample_taps (feature_res, up_y, r->iy, r->ty);
  upsample_taps (feature_res, up_x, r->ix, r->tx);
  return r;
}

void
lk_rise_free (LkRise *r)
{
  if (r == NULL)
    return;
  g_free (r->grid);
  g_free (r->offsets);
  g_free (r->iy);
  g_free (r->ix);
  g_free (r->ty);
  g_free (r->tx);
  g_free (r);
}

void
lk_rise_mask (const LkRise *r, guint i, float *out)
{
  const guint8 *g = r->grid + (gsize) i * r->res * r->res;
  guint dy = r->offsets[2 * i], dx = r->offsets[2 * i + 1];
  guint res = r->res, step = res > 1 ? 1 : 0;

  g_return_if_fail (i < r->n);
  for (guint y = 0; y < r->height; y++)
    {
      guint iy = r->iy[y + dy];
      double ty = r->ty[y + dy];
      const guint8 *g0 = g + (gsize) iy * res, *g1 = g0 + step * res;
      float *row = out + (gsize) y * r->width;
      for (guint x = 0; x < r->width; x++)
        {
          guint ix = r->ix[x + dx];
          double tx = r->tx[x + dx];
          double top = g0[ix] * (1 - tx) + g0[ix + step] * tx;
          double bottom = g1[ix] * (1 - tx) + g1[ix + step] * tx;
          row[x] = (float) (top * (1 - ty) + bottom * ty);
        }
    }
}

void
lk_rise_offset (const LkRise *r, guint i, guint *dy, guint *dx)
{
  g_return_if_fail (i < r->n);
  *dy = r->offsets[2 * i];
  *dx = r->offsets[2 * i + 1];
}

const guint8 *
lk_rise_grid (const LkRise *r, guint i)
{
  g_return_val_if_fail (i < r->n, NULL);
  return r->grid + (gsize) i * r->res * r->res;
}

float *
lk_distance_unit_masks (guint n_masks, guint n_units, double p_keep, guint32 seed)
{
  float *m = g_new (float, MAX ((gsize) n_masks * n_units, 1));
  double keep = keep_threshold (p_keep);
  LkNumpyRandom rng;

  lk_numpy_random_seed (&rng, seed);
  for (gsize k = 0; k < (gsize) n_masks * n_units; k++)
    m[k] = lk_numpy_random_double (&rng) < keep ? 1.0f : 0.0f;
  return m;
}

/* ---- selection and aggregation ---- */

static int
by_distance (gconstpointer a, gconstpointer b, gpointer data)
{
  const double *d = data;
  guint i = *(const guint *) a, j = *(const guint *) b;

  if (d[i] != d[j])
    return d[i] < d[j] ? -1 : 1;
  return (i > j) - (i < j);
}

/* Python's int(n * fraction), clamped to n. */
static guint
window_bound (guint n, double fraction)
{
  return MIN ((guint) (n * fraction), n);
}

static void
add_window (const guint *order, guint n, double lo, double hi, gsize size, LkMaskFunc get_mask, gpointer data,
            double sign, float *buf, double *out)
{
  guint a = window_bound (n, lo), b = window_bound (n, hi);
  g_autofree double *sum = NULL;

  if (b <= a)
    return;
  sum = g_new0 (double, size);
  for (guint k = a; k < b; k++)
    {
      get_mask (order[k], buf, data);
      for (gsize j = 0; j < size; j++)
        sum[j] += buf[j];
    }
  for (gsize j = 0; j < size; j++)
    out[j] += sign * sum[j] / (b - a);
}

void
lk_distance_aggregate (guint first, guint n, gsize size, LkMaskFunc get_mask, gpointer data,
                       const double *distances, const LkDistanceParams *p, double *out)
{
  g_autofree guint *order = g_new (guint, MAX (n, 1));
  g_autofree float *buf = g_new (float, MAX (size, 1));

  memset (out, 0, size * sizeof *out);
  for (guint k = 0; k < n; k++)
    order[k] = first + k;
  g_qsort_with_data (order, n, sizeof *order, by_distance, (gpointer) distances);
  add_window (order, n, p->pos_min, p->pos_max, size, get_mask, data, 1, buf, out);
  add_window (order, n, p->neg_min, p->neg_max, size, get_mask, data, -1, buf, out);
}

double
lk_distance_split_half (guint n, gsize size, LkMaskFunc get_mask, gpointer data, const double *distances,
                        const LkDistanceParams *p)
{
  g_autofree double *first = g_new (double, MAX (size, 1));
  g_autofree double *second = g_new (double, MAX (size, 1));
  double r;

  if (n < 4 || size < 2)
    return 0;
  lk_distance_aggregate (0, n / 2, size, get_mask, data, distances, p, first);
  lk_distance_aggregate (n / 2, n - n / 2, size, get_mask, data, distances, p, second);
  r = lk_pearson (first, second, size);
  return isfinite (r) ? r : 0;
}

double
lk_distance_cosine (const float *a, const float *b, guint dim)
{
  return (1 - lk_cosine (a, b, dim)) / 2;
}

/* ---- the masking loop, shared by images and texts ---- */

/* Embeds masked inputs [first, first + n) into out (n × dim). */
typedef gboolean (*EmbedMasked) (gpointer runner, guint first, guint n, float *out, GCancellable *cancellable,
                                 GError **error);

typedef struct {
  const LkDistanceParams *p;
  guint         dim;
  const float  *reference;
  gsize         size;         /* values per mask */
  LkMaskFunc    get_mask;
  gpointer      runner;
  EmbedMasked   embed;
  LkProgressFunc progress;
  gpointer      progress_data;
  /* masked embeddings of an earlier run on the same input (the cache
   * below): masks [0, n_cached) are not embedded again */
  const float  *cached;
  guint         n_cached;
  float        *kept;         /* NULL, or n_masks × dim: every embedding, for the cache */
  /* results */
  double       *distances;    /* n_masks */
  guint         n_used;
  gboolean      converged;    /* stopped at stop_at before the last mask */
  double       *map;          /* size */
  double        split_half;
  double        seconds;
} Loop;

static gboolean
cancelled (GCancellable *cancellable, GError **error)
{
  if (!g_cancellable_is_cancelled (cancellable))
    return FALSE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The explanation was cancelled");
  return TRUE;
}

/* The embeddings of masks [first, first + b): from the cache where it
 * has them (whole batches: a run is cached at batch boundaries or at its
 * last mask), else from the model. */
static const float *
batch_embeddings (Loop *l, guint first, guint b, float *buf, GCancellable *cancellable, GError **error)
{
  const float *emb = buf;

  if (first + b <= l->n_cached)
    emb = l->cached + (gsize) first * l->dim;
  else if (!l->embed (l->runner, first, b, buf, cancellable, error))
    return NULL;
  if (l->kept)
    memcpy (l->kept + (gsize) first * l->dim, emb, (gsize) b * l->dim * sizeof *emb);
  return emb;
}

static gboolean
run_loop (Loop *l, GCancellable *cancellable, GError **error)
{
  const LkDistanceParams *p = l->p;
  g_autofree float *buf = g_new (float, (gsize) p->batch_size * l->dim);
  guint next_check = p->check_every;
  gint64 t0 = g_get_monotonic_time ();

  l->distances = g_new0 (double, p->n_masks);
  l->n_used = 0;
  l->converged = FALSE;
  while (l->n_used < p->n_masks)
    {
      guint b = MIN (p->batch_size, p->n_masks - l->n_used);
      const float *emb;
      if (cancelled (cancellable, error) ||
          (emb = batch_embeddings (l, l->n_used, b, buf, cancellable, error)) == NULL)
        return FALSE;
      for (guint j = 0; j < b; j++)
        l->distances[l->n_used + j] = lk_distance_cosine (emb + (gsize) j * l->dim, l->reference, l->dim);
      l->n_used += b;
      if (l->progress)
        l->progress ((double) l->n_used / p->n_masks, l->progress_data);
      /* The map of the masks so far is as stable as two independent maps
       * of half as many agree; checked every check_every masks, so that
       * the check (two aggregations) stays a small part of the run. */
      if (p->stop_at > 0 && l->n_used >= next_check && l->n_used < p->n_masks)
        {
          next_check = l->n_used + p->check_every;
          if (lk_distance_split_half (l->n_used, l->size, l->get_mask, l->runner, l->distances, p) >= p->stop_at)
            {
              l->converged = TRUE;
              break;
            }
        }
    }
  l->map = g_new (double, l->size);
  lk_distance_aggregate (0, l->n_used, l->size, l->get_mask, l->runner, l->distances, p, l->map);
  l->split_half = lk_distance_split_half (l->n_used, l->size, l->get_mask, l->runner, l->distances, p);
  l->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return TRUE;
}

static void
loop_clear (Loop *l)
{
  g_clear_pointer (&l->distances, g_free);
  g_clear_pointer (&l->map, g_free);
}

/* ---- the result ---- */

static JsonArray *
window_array (double lo, double hi)
{
  JsonArray *a = json_array_new ();
  json_array_add_double_element (a, lo);
  json_array_add_double_element (a, hi);
  return a;
}

static void
set_common (LkExplanation *x, LkModel *model, const LkDistanceParams *p, const Loop *l, double similarity,
            double full_distance, gboolean image)
{
  JsonObject *o = lk_explanation_get_params (x);
  JsonObject *d = lk_explanation_get_extra (x, LK_EXTRA_DISTANCE);
  JsonArray *dist = json_array_sized_new (l->n_used);
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  json_object_set_int_member (o, "n_masks", p->n_masks);
  json_object_set_int_member (o, "n_masks_used", l->n_used);
  if (image && p->mask_side == 0)
    json_object_set_int_member (o, "feature_res", p->feature_res);
  json_object_set_double_member (o, "p_keep", p->p_keep);
  json_object_set_array_member (o, "closest_window", window_array (p->pos_min, p->pos_max));
  json_object_set_array_member (o, "farthest_window", window_array (p->neg_min, p->neg_max));
  json_object_set_int_member (o, "batch_size", p->batch_size);
  json_object_set_int_member (o, "seed", p->seed);
  json_object_set_string_member (o, "rng", "numpy legacy MT19937 (np.random.seed)");
  json_object_set_double_member (o, "stop_at", p->stop_at);
  json_object_set_int_member (o, "check_every", p->check_every);
  /* why the run ended: "converged" (the split-half reached stop_at),
   * "all masks" (it never did), "off" (stop_at 0: exactly n_masks) */
  json_object_set_string_member (o, "stopped", l->converged ? "converged" : p->stop_at > 0 ? "all masks" : "off");
  json_object_set_string_member (o, "mask_side", p->mask_side ? "b" : "a");
  json_object_set_string_member (o, "distance", "cosine distance / 2");
  lk_methods_set_model (x, model);
  lk_explanation_set_score (x, LK_SCORE_SIMILARITY, similarity);
  lk_explanation_set_score (x, LK_SCORE_SPLIT_HALF, l->split_half);
  /* Spearman–Brown: the reliability of the map of all masks */
  lk_explanation_set_score (x, LK_SCORE_SPLIT_HALF_CORRECTED, l->split_half > -1 ? 2 * l->split_half / (1 + l->split_half) : 0);
  for (guint i = 0; i < l->n_used; i++)
    {
      json_array_add_double_element (dist, l->distances[i]);
      lo = MIN (lo, l->distances[i]);
      hi = MAX (hi, l->distances[i]);
    }
  json_object_set_double_member (d, "full", full_distance);
  json_object_set_double_member (d, "min", lo);
  json_object_set_double_member (d, "max", hi);
  json_object_set_array_member (d, "masks", dist);
  /* masked inputs whose embeddings an earlier run on the same image gave */
  json_object_set_int_member (d, "reused", MIN (l->n_cached, l->n_used));
  json_object_set_double_member (lk_explanation_get_extra (x, "timings"), "explain_seconds", l->seconds);
}

/* ---- texts ---- */

typedef struct {
  LkModel          *model;
  const LkEncoding *enc;
  int              *unit;       /* per token: its unit, -1 for specials */
  guint             n_units;
  float            *masks;      /* n_masks × n_units */
  gint32            replacement; /* -1: drop */
} TextRunner;

static void
text_mask (guint i, float *out, gpointer data)
{
  TextRunner *t = data;
  memcpy (out, t->masks + (gsize) i * t->n_units, t->n_units * sizeof *out);
}

static gboolean
text_embed (gpointer data, guint first, guint n, float *out, GCancellable *cancellable, GError **error)
{
  TextRunner *t = data;
  guint s = t->enc->n_tokens;
  g_autofree gint32 *buf = g_new (gint32, (gsize) n * s);
  g_autofree const gint32 **ids = g_new (const gint32 *, n);
  g_autofree guint *lens = g_new0 (guint, n);

  for (guint k = 0; k < n; k++)
    {
      const float *m = t->masks + (gsize) (first + k) * t->n_units;
      gint32 *row = buf + (gsize) k * s;
      for (guint i = 0; i < s; i++)
        {
          if (t->unit[i] < 0 || m[t->unit[i]] > 0.5f)
            row[lens[k]++] = t->enc->ids[i];
          else if (t->replacement >= 0)
            row[lens[k]++] = t->replacement;
        }
      ids[k] = row;
    }
  return lk_model_embed_ids (t->model, n, ids, lens, out, cancellable, error);
}

/* Units over the non-special tokens: one per token, or one per tokenizer word. */
static guint
text_units (const LkEncoding *enc, LkDistanceUnit unit, int *out)
{
  guint n = 0;
  int last_word = G_MININT;

  for (guint i = 0; i < enc->n_tokens; i++)
    {
      if (enc->special[i])
        out[i] = -1;
      else if (unit == LK_DISTANCE_UNIT_WORD && enc->word_ids[i] == last_word && n > 0)
        out[i] = n - 1;
      else
        {
          out[i] = n++;
          last_word = enc->word_ids[i];
        }
    }
  return n;
}

static gint32
replacement_id (LkModel *model, LkDistanceReplace replace, const char **name)
{
  LkTokenizer *tok = lk_model_get_tokenizer (model);
  gint32 id;

  if (replace == LK_DISTANCE_REPLACE_DROP)
    return *name = "drop", -1;
  if ((id = lk_tokenizer_get_special_id (tok, LK_SPECIAL_MASK)) >= 0)
    return *name = "mask token", id;
  if ((id = lk_tokenizer_get_special_id (tok, LK_SPECIAL_UNK)) >= 0)
    return *name = "unknown token (the tokenizer has no mask token)", id;
  return *name = "drop (the tokenizer has neither a mask nor an unknown token)", -1;
}

/* Per-token saliency of the masked side: a word's value is shared out
 * equally over its sub-words, so that words sum to the word's value. */
static JsonArray *
token_saliency (const TextRunner *t, const double *map)
{
  JsonArray *a = json_array_sized_new (t->enc->n_tokens);
  g_autofree guint *count = g_new0 (guint, MAX (t->n_units, 1));

  for (guint i = 0; i < t->enc->n_tokens; i++)
    if (t->unit[i] >= 0)
      count[t->unit[i]]++;
  for (guint i = 0; i < t->enc->n_tokens; i++)
    json_array_add_double_element (a, t->unit[i] < 0 ? 0 : map[t->unit[i]] / count[t->unit[i]]);
  return a;
}

/* Masks the text @enc against @reference; fills the explanation's text side. */
static gboolean
explain_text_side (LkExplanation *x, LkModel *model, const LkEncoding *enc, const float *reference,
                   const LkDistanceParams *p, double *similarity, Loop *l, LkProgressFunc progress,
                   gpointer progress_data, GCancellable *cancellable, GError **error)
{
  TextRunner t = { model, enc, NULL, 0, NULL, -1 };
  guint dim = lk_model_get_dim (model);
  g_autofree float *full = g_new (float, dim);
  const gint32 *ids[1] = { enc->ids };
  guint len[1] = { enc->n_tokens };
  const char *replacement;
  JsonObject *o = lk_explanation_get_params (x);
  gboolean ok = FALSE;

  t.unit = g_new (int, MAX (enc->n_tokens, 1));
  if ((t.n_units = text_units (enc, p->unit, t.unit)) == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "text %c has no token besides the special ones: there is nothing to mask", 'A' + p->mask_side);
      goto out;
    }
  if (!lk_model_embed_ids (model, 1, ids, len, full, cancellable, error))
    goto out;
  t.replacement = replacement_id (model, p->replace, &replacement);
  t.masks = lk_distance_unit_masks (p->n_masks, t.n_units, p->p_keep, p->seed);
  *l = (Loop) { p, dim, reference, t.n_units, text_mask, &t, text_embed, progress, progress_data };
  if (!run_loop (l, cancellable, error))
    goto out;
  *similarity = lk_cosine (full, reference, dim);
  json_object_set_string_member (o, "unit", p->unit == LK_DISTANCE_UNIT_WORD ? "word" : "token");
  json_object_set_string_member (o, "replacement", replacement);
  json_object_set_int_member (o, "n_units", t.n_units);
  json_object_set_array_member (lk_explanation_get_extra (x, "saliency"), p->mask_side ? "b" : "a",
                                token_saliency (&t, l->map));
  ok = TRUE;
out:
  g_free (t.unit);
  g_free (t.masks);
  return ok;
}

LkExplanation *
lk_explain_distance_text (LkModel *model, const char *text_a, const char *text_b, const LkDistanceParams *params,
                          LkProgressFunc progress, gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(LkExplanation) x = NULL;
  LkEncoding *enc[2] = { NULL, NULL };
  const char *texts[2] = { text_a, text_b };
  guint side, dim;
  g_autofree float *reference = NULL;
  double similarity = 0;
  Loop l = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  g_return_val_if_fail (params != NULL, NULL);

  if (!lk_distance_params_check (params, error))
    return NULL;
  for (guint s = 0; s < 2; s++)
    if (texts[s] == NULL || *texts[s] == '\0')
      {
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "text %c is empty: there is nothing to explain", 'A' + s);
        return NULL;
      }
  side = params->mask_side;
  dim = lk_model_get_dim (model);
  reference = g_new (float, dim);
  x = lk_explanation_new (lk_method_to_string (LK_METHOD_DISTANCE));
  for (guint s = 0; s < 2; s++)
    {
      if ((enc[s] = lk_model_tokenize_named (model, texts[s], s ? "text B" : "text A", error)) == NULL)
        goto out;
      lk_explanation_set_text (x, s, texts[s]);
      lk_methods_add_tokens (x, s, model, enc[s]);
      json_object_set_boolean_member (lk_explanation_get_extra (x, "truncated"), s ? "b" : "a",
                                      enc[s]->truncated);
    }
  if (!lk_model_embed_ids (model, 1, (const gint32 *const *) &enc[!side]->ids, &enc[!side]->n_tokens, reference,
                           cancellable, error) ||
      !explain_text_side (x, model, enc[side], reference, params, &similarity, &l, progress, progress_data,
                          cancellable, error))
    goto out;
  set_common (x, model, params, &l, similarity, (1 - similarity) / 2, FALSE);
  ok = TRUE;
out:
  loop_clear (&l);
  g_clear_pointer (&enc[0], lk_encoding_free);
  g_clear_pointer (&enc[1], lk_encoding_free);
  return ok ? g_steal_pointer (&x) : NULL;
}

/* ---- images ---- */


typedef struct {
  LkModel       *model;
  const LkImage *image;
  LkRise        *rise;
  guint          size;     /* the model's input side S */
  float         *mask;     /* H × W */
  LkImage       *masked;
  float         *pixels;   /* batch × 3 × S × S */
} ImageRunner;

/* A masked copy as CLIPImageProcessor sees the reference's float image:
 * scaled to 255 in double, then cut to 8 bits (numpy's astype(uint8)
 * truncates). The preprocessing's own rounding then keeps that level. */
static float
quantise (float v)
{
  float scaled = (float) ((double) v * 255.0);
  return (float) (scaled <= 0 ? 0 : scaled >= 255 ? 255 : floorf (scaled)) / 255.0f;
}

static void
image_mask (guint i, float *out, gpointer data)
{
  lk_rise_mask (((ImageRunner *) data)->rise, i, out);
}

static gboolean
image_embed (gpointer data, guint first, guint n, float *out, GCancellable *cancellable, GError **error)
{
  ImageRunner *r = data;
  gsize hw = (gsize) r->image->width * r->image->height, plane = (gsize) 3 * r->size * r->size;

  for (guint k = 0; k < n; k++)
    {
      lk_rise_mask (r->rise, first + k, r->mask);
      for (gsize j = 0; j < hw; j++)
        for (guint c = 0; c < 3; c++)
          r->masked->rgb[3 * j + c] = quantise (r->image->rgb[3 * j + c] * r->mask[j]);
      if (!lk_model_preprocess_image (r->model, r->masked, r->pixels + k * plane, error))
        return FALSE;
    }
  return lk_model_embed_pixels (r->model, n, r->pixels, out, cancellable, error);
}

static gboolean
embed_image (LkModel *model, const LkImage *image, float *out, GCancellable *cancellable, GError **error)
{
  guint s = lk_model_get_image_size (model);
  g_autofree float *pixels = g_new (float, (gsize) 3 * s * s);

  return lk_model_preprocess_image (model, image, pixels, error) &&
         lk_model_embed_pixels (model, 1, pixels, out, cancellable, error);
}

/* One pixel of a map over the rectangle [x0, x0 + fx) × [y0, y0 + fy) of
 * the w × h input map: the mean of the input pixels whose centres lie in
 * it, or (when it holds none: the input is coarser) the input pixel under
 * its centre. */
static double
footprint_mean (const double *map, int w, int h, double x0, double y0, double fx, double fy)
{
  int ax = (int) ceil (x0 - 0.5), bx = (int) ceil (x0 + fx - 0.5);
  int ay = (int) ceil (y0 - 0.5), by = (int) ceil (y0 + fy - 0.5);
  double sum = 0;

  ax = CLAMP (ax, 0, w);
  bx = CLAMP (bx, 0, w);
  ay = CLAMP (ay, 0, h);
  by = CLAMP (by, 0, h);
  if (bx <= ax || by <= ay)
    {
      int cx = CLAMP ((int) floor (x0 + fx / 2), 0, w - 1), cy = CLAMP ((int) floor (y0 + fy / 2), 0, h - 1);
      return map[(gsize) cy * w + cx];
    }
  for (int y = ay; y < by; y++)
    for (int x = ax; x < bx; x++)
      sum += map[(gsize) y * w + x];
  return sum / ((double) (bx - ax) * (by - ay));
}

void
lk_distance_map_resample (const double *map, int width, int height, const double crop[4], int out_width,
                          int out_height, float *out)
{
  double fx = crop[2] / out_width, fy = crop[3] / out_height;

  for (int y = 0; y < out_height; y++)
    for (int x = 0; x < out_width; x++)
      out[(gsize) y * out_width + x] = (float) footprint_mean (map, width, height, crop[0] + x * fx,
                                                               crop[1] + y * fy, fx, fy);
}

/* The map at the model's input resolution, over the centre crop the model
 * saw (pixels outside it do not reach the embedding), with the crop's
 * place on the photo: a map at the photo's own resolution would take
 * 128 MB of JSON for a 24 MP photo. Float32 little-endian, base64
 * ("values_f32le"): a JSON array of doubles would take some 20 bytes per
 * pixel. */
static void
fill_map (JsonObject *o, LkModel *model, const LkImage *image, const char *path, const double *map)
{
  const LkImagePreprocess *pp = &lk_model_get_config (model)->preprocess;
  int mw = (int) pp->crop_width, mh = (int) pp->crop_height;
  double crop[4], kx = (double) image->file_width / image->width, ky = (double) image->file_height / image->height;
  g_autofree float *small = g_new (float, (gsize) mw * mh);
  g_autofree guint32 *le = g_new (guint32, (gsize) mw * mh);
  g_autofree char *b64 = NULL;
  JsonObject *c = json_object_new ();

  lk_image_preprocess_crop (pp, image->width, image->height, crop);
  lk_distance_map_resample (map, image->width, image->height, crop, mw, mh, small);
  for (gsize j = 0; j < (gsize) mw * mh; j++)
    {
      union { float f; guint32 u; } v = { .f = small[j] };
      le[j] = GUINT32_TO_LE (v.u);
    }
  b64 = g_base64_encode ((const guchar *) le, (gsize) mw * mh * sizeof *le);
  json_object_set_double_member (c, "x", crop[0] * kx);
  json_object_set_double_member (c, "y", crop[1] * ky);
  json_object_set_double_member (c, "width", crop[2] * kx);
  json_object_set_double_member (c, "height", crop[3] * ky);
  json_object_set_int_member (o, "width", mw);
  json_object_set_int_member (o, "height", mh);
  json_object_set_int_member (o, "photo_width", image->file_width);
  json_object_set_int_member (o, "photo_height", image->file_height);
  json_object_set_object_member (o, "crop", c);
  json_object_set_string_member (o, "image", path);
  {
    /* So that render can tell the photo under the map is still this one. */
    g_autofree char *sha = lk_file_sha256 (path, NULL);
    if (sha != NULL)
      json_object_set_string_member (o, "sha256", sha);
  }
  json_object_set_string_member (o, "values_f32le", b64);
}

/* ---- masked image embeddings, kept for the next caption ----
 *
 * The masked copies of an image do not depend on the caption: only their
 * distances do. So the model keeps the embeddings of the last few images'
 * masks, keyed by the image's pixels and everything that draws or batches
 * the masks (the masks of a seed depend on their count, RISE drawing every
 * grid before the offsets; a batch's composition can change the float
 * rounding). A second caption, a batch item with the same photo, the
 * app's next run: each embeds only the masks no earlier run embedded, and
 * gets the very floats a run of its own would have (same batches), hence
 * the same map. On the model, so that it goes with it; a run adds its
 * embeddings when it succeeds. */

#define CACHE_ENTRIES 4
#define CACHE_MAX_BYTES ((gsize) 128 << 20)   /* one run's embeddings, at most */

typedef struct {
  char  *key;
  guint  n;      /* masks [0, n) */
  float *emb;    /* n × dim */
} CacheEntry;

typedef struct {
  GMutex  lock;
  GQueue  entries;  /* CacheEntry, the most recently used first */
} Cache;

static void
cache_entry_free (gpointer data)
{
  CacheEntry *e = data;
  g_free (e->key);
  g_free (e->emb);
  g_free (e);
}

static void
cache_free (gpointer data)
{
  Cache *c = data;
  g_queue_clear_full (&c->entries, cache_entry_free);
  g_mutex_clear (&c->lock);
  g_free (c);
}

static Cache *
model_cache (LkModel *model)
{
  static GMutex creating;
  Cache *c;

  g_mutex_lock (&creating);
  if ((c = g_object_get_data (G_OBJECT (model), "lk-distance-cache")) == NULL)
    {
      c = g_new0 (Cache, 1);
      g_mutex_init (&c->lock);
      g_queue_init (&c->entries);
      g_object_set_data_full (G_OBJECT (model), "lk-distance-cache", c, cache_free);
    }
  g_mutex_unlock (&creating);
  return c;
}

static char *
cache_key (const LkImage *image, const LkDistanceParams *p)
{
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint32 header[6] = { (guint32) image->width, (guint32) image->height, p->n_masks, p->feature_res,
                        p->seed, p->batch_size };
  char *key;

  g_checksum_update (sum, (const guchar *) header, sizeof header);
  g_checksum_update (sum, (const guchar *) &p->p_keep, sizeof p->p_keep);
  g_checksum_update (sum, (const guchar *) image->rgb, (gsize) image->width * image->height * 3 * sizeof (float));
  key = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return key;
}

/* A copy of the embeddings kept for @key, or NULL. */
static float *
cache_lookup (Cache *c, const char *key, guint dim, guint *n)
{
  float *emb = NULL;

  *n = 0;
  g_mutex_lock (&c->lock);
  for (GList *link = c->entries.head; link; link = link->next)
    {
      CacheEntry *e = link->data;
      if (!g_str_equal (e->key, key))
        continue;
      emb = g_memdup2 (e->emb, (gsize) e->n * dim * sizeof *emb);
      *n = e->n;
      g_queue_unlink (&c->entries, link);
      g_queue_push_head_link (&c->entries, link);
      break;
    }
  g_mutex_unlock (&c->lock);
  return emb;
}

/* Keeps @emb (masks [0, @n)) for @key unless more are kept already. */
static void
cache_store (Cache *c, const char *key, float *emb, guint n)
{
  CacheEntry *e = NULL;

  g_mutex_lock (&c->lock);
  for (GList *link = c->entries.head; link && e == NULL; link = link->next)
    if (g_str_equal (((CacheEntry *) link->data)->key, key))
      e = link->data;
  if (e == NULL)
    {
      e = g_new0 (CacheEntry, 1);
      e->key = g_strdup (key);
      g_queue_push_head (&c->entries, e);
      while (c->entries.length > CACHE_ENTRIES)
        cache_entry_free (g_queue_pop_tail (&c->entries));
    }
  if (n > e->n)
    {
      g_free (e->emb);
      e->emb = emb;
      e->n = n;
      emb = NULL;
    }
  g_mutex_unlock (&c->lock);
  g_free (emb);
}

void
lk_distance_forget (LkModel *model)
{
  g_return_if_fail (LK_IS_MODEL (model));
  g_object_set_data (G_OBJECT (model), "lk-distance-cache", NULL);
}

static gboolean
explain_image_side (LkExplanation *x, LkModel *model, const LkImage *image, const char *path, const float *reference,
                    const LkDistanceParams *p, Loop *l, LkProgressFunc progress,
                    gpointer progress_data, GCancellable *cancellable, GError **error)
{
  guint dim = lk_model_get_dim (model);
  ImageRunner r = { model, image, NULL, lk_model_get_image_size (model) };
  Cache *cache = model_cache (model);
  g_autofree char *key = cache_key (image, p);
  g_autofree float *cached = NULL;
  guint n_cached;
  gboolean ok;

  r.rise = lk_rise_new (p->n_masks, image->height, image->width, p->feature_res, p->p_keep, p->seed);
  r.mask = g_new (float, (gsize) image->width * image->height);
  r.masked = lk_image_copy (image);
  r.pixels = g_new (float, (gsize) p->batch_size * 3 * r.size * r.size);
  cached = cache_lookup (cache, key, dim, &n_cached);
  *l = (Loop) { p, dim, reference, (gsize) image->width * image->height, image_mask, &r, image_embed, progress,
                progress_data, cached, n_cached };
  if ((gsize) p->n_masks * dim * sizeof (float) <= CACHE_MAX_BYTES)
    l->kept = g_new (float, (gsize) p->n_masks * dim);
  if ((ok = run_loop (l, cancellable, error)))
    fill_map (lk_explanation_get_extra (x, "saliency_map"), model, image, path, l->map);
  if (ok && l->kept && l->n_used > n_cached)
    cache_store (cache, key, g_steal_pointer (&l->kept), l->n_used);
  g_clear_pointer (&l->kept, g_free);
  lk_rise_free (r.rise);
  g_free (r.mask);
  lk_image_free (r.masked);
  g_free (r.pixels);
  return ok;
}

LkExplanation *
lk_explain_distance_image (LkModel *model, const char *image_path, const char *caption, const LkDistanceParams *params,
                           LkProgressFunc progress, gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(LkEncoding) enc = NULL;
  LkImage *image = NULL;
  g_autofree char *absolute = NULL;
  guint dim;
  g_autofree float *e_image = NULL, *e_caption = NULL;
  double similarity;
  Loop l = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  g_return_val_if_fail (image_path != NULL && params != NULL, NULL);

  if (!lk_distance_params_check (params, error))
    return NULL;
  if (!lk_methods_require_vision (model, error))
    return NULL;
  if (caption == NULL || *caption == '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "the caption is empty: there is nothing to compare the image with");
      return NULL;
    }
  absolute = g_canonicalize_filename (image_path, NULL);
  if ((image = lk_image_load_for_model (image_path, lk_model_get_image_size (model), error)) == NULL || (enc = lk_model_tokenize_named (model, caption, "the caption", error)) == NULL)
    goto out;
  dim = lk_model_get_dim (model);
  e_image = g_new (float, dim);
  e_caption = g_new (float, dim);
  if (!embed_image (model, image, e_image, cancellable, error) ||
      !lk_model_embed_ids (model, 1, (const gint32 *const *) &enc->ids, &enc->n_tokens, e_caption, cancellable, error))
    goto out;
  similarity = lk_cosine (e_image, e_caption, dim);
  x = lk_explanation_new (lk_method_to_string (LK_METHOD_DISTANCE));
  lk_explanation_set_text (x, 0, absolute);
  lk_explanation_set_text (x, 1, caption);
  lk_methods_add_tokens (x, 1, model, enc);
  json_object_set_boolean_member (lk_explanation_get_extra (x, "truncated"), "b", enc->truncated);
  if (params->mask_side == 0)
    {
      if (!explain_image_side (x, model, image, absolute, e_caption, params, &l, progress, progress_data,
                               cancellable, error))
        goto out;
      lk_explanation_get_extra (x, "saliency");
    }
  else if (!explain_text_side (x, model, enc, e_image, params, &similarity, &l, progress, progress_data,
                               cancellable, error))
    goto out;
  set_common (x, model, params, &l, lk_cosine (e_image, e_caption, dim), (1 - similarity) / 2, TRUE);
  ok = TRUE;
out:
  loop_clear (&l);
  if (image)
    lk_image_free (image);
  return ok ? g_steal_pointer (&x) : NULL;
}
