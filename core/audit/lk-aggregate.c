/* lk-aggregate.c — a batch run's summary. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lk-aggregate.h"
#include "lk-atomic-file.h"
#include "lk-csv.h"
#include "lk-error.h"
#include "lk-explanation.h"
#include "lk-file.h"
#include "lk-json.h"

#define HISTOGRAM_BINS 10

typedef struct {
  double sum;          /* Σ of the word's contributions (both sides) */
  guint  occurrences;
  guint  items;        /* items it occurs in */
  guint  last_item;
} WordStat;

typedef struct {
  guint   verdicts[4];   /* by LkVerdict: none, good, fair, poor */
  GArray *values;        /* the check's value per item */
} CheckStat;

typedef struct {
  double share;
  guint  count;
} AspectStat;

/* One query's rank-1 and rank-2 query-side word saliencies. */
typedef struct {
  GPtrArray *words[2];
  GArray    *sums[2];
} RankPair;

typedef struct {
  guint       items, failed, attributions, over_half;
  double      total, special_share, special_abs_share;
  GHashTable *words, *specials, *methods, *models, *checks, *aspects, *ranks;
  GHashTable *contrasts;  /* item id → RankPair: contrast items, beside the queries' ranks */
} Agg;

static void
check_stat_free (gpointer p)
{
  CheckStat *c = p;
  g_array_unref (c->values);
  g_free (c);
}

static void
rank_pair_free (gpointer p)
{
  RankPair *r = p;
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&r->words[i], g_ptr_array_unref);
      g_clear_pointer (&r->sums[i], g_array_unref);
    }
  g_free (r);
}

static void
agg_init (Agg *a)
{
  *a = (Agg) { 0 };
  a->words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  a->specials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  a->methods = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  a->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  a->checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, check_stat_free);
  a->aspects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  a->ranks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, rank_pair_free);
  a->contrasts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, rank_pair_free);
}

static void
agg_clear (Agg *a)
{
  g_hash_table_unref (a->words);
  g_hash_table_unref (a->specials);
  g_hash_table_unref (a->methods);
  g_hash_table_unref (a->models);
  g_hash_table_unref (a->checks);
  g_hash_table_unref (a->aspects);
  g_hash_table_unref (a->ranks);
  g_hash_table_unref (a->contrasts);
}

static void
count (GHashTable *t, const char *key)
{
  gpointer v = g_hash_table_lookup (t, key);
  g_hash_table_insert (t, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (v) + 1));
}

static WordStat *
word_stat (GHashTable *t, const char *key)
{
  WordStat *w = g_hash_table_lookup (t, key);

  if (w == NULL)
    {
      w = g_new0 (WordStat, 1);
      w->last_item = G_MAXUINT;
      g_hash_table_insert (t, g_strdup (key), w);
    }
  return w;
}

/* A word made only of punctuation or symbols: "." "," "?" "—". */
static gboolean
punctuation (const char *word)
{
  if (*word == '\0')
    return FALSE;
  for (const char *p = word; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType t = g_unichar_type (c);
      if (!g_unichar_ispunct (c) && t != G_UNICODE_MATH_SYMBOL && t != G_UNICODE_CURRENCY_SYMBOL &&
          t != G_UNICODE_MODIFIER_SYMBOL && t != G_UNICODE_OTHER_SYMBOL)
        return FALSE;
    }
  return TRUE;
}

/* Each word's contribution on @side: the row (side a) or column (side b)
 * sums of its tokens, times @weight. Each side's sums add up to ΣA, so a
 * pair's words get half of them each (weight ½) and all the words of a run
 * share its ΣA exactly; an image's caption gets them whole. */
static void
side_words (LkExplanation *x, guint side, const LkMatrix *m, double weight, GPtrArray *words, GArray *sums,
            GArray *special)
{
  guint nw = lk_explanation_get_n_words (x, side);
  guint nt = lk_explanation_get_n_tokens (x, side);

  g_array_set_size (sums, nw);
  memset (sums->data, 0, nw * sizeof (double));
  for (guint t = 0; t < nt; t++)
    {
      double s = 0;
      guint w = lk_explanation_token_word (x, side, t);

      if (side == 0)
        for (guint j = 0; j < m->cols; j++)
          s += m->data[(gsize) t * m->cols + j];
      else
        for (guint i = 0; i < m->rows; i++)
          s += m->data[(gsize) i * m->cols + t];
      if (w < nw)
        g_array_index (sums, double, w) += weight * s;
    }
  for (guint w = 0; w < nw; w++)
    {
      g_autofree char *text = lk_explanation_dup_word (x, side, w);
      g_autofree char *stripped = g_strstrip (g_strdup (text));
      gboolean sp = lk_explanation_word_is_special (x, side, w);

      g_ptr_array_add (words, sp ? g_strdup (stripped) : g_utf8_strdown (stripped, -1));
      g_array_append_val (special, sp);
    }
}

static void
add_attribution (Agg *a, LkExplanation *x, JsonObject *line)
{
  const LkMatrix *m = lk_explanation_get_matrix (x);
  double total = lk_matrix_sum (m), on_specials = 0, abs_specials = 0, abs_all = 0;
  gboolean image = lk_explanation_lookup_extra (x, "image") != NULL;

  a->attributions++;
  a->total += total;
  for (guint side = image ? 1 : 0; side < 2; side++)
    {
      g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GArray) sums = g_array_new (FALSE, TRUE, sizeof (double));
      g_autoptr(GArray) special = g_array_new (FALSE, TRUE, sizeof (gboolean));

      side_words (x, side, m, image ? 1.0 : 0.5, words, sums, special);
      for (guint w = 0; w < words->len; w++)
        {
          const char *word = g_ptr_array_index (words, w);
          double s = g_array_index (sums, double, w);
          gboolean sp = g_array_index (special, gboolean, w);
          WordStat *st = word_stat (sp || punctuation (word) ? a->specials : a->words, word);

          st->sum += s;
          st->occurrences++;
          if (st->last_item != a->items)
            st->items++, st->last_item = a->items;
          abs_all += fabs (s);
          if (sp || punctuation (word))
            on_specials += s, abs_specials += fabs (s);
        }
      /* Retrieval: keep the query side of ranks 1 and 2. */
      if (side == 0 && json_object_has_member (line, "query_id") && json_object_has_member (line, "rank"))
        {
          gint64 rank = json_object_get_int_member (line, "rank");
          const char *q = json_object_get_string_member_with_default (line, "query_id", "");
          RankPair *r;

          if (rank == 1 || rank == 2)
            {
              if ((r = g_hash_table_lookup (a->ranks, q)) == NULL)
                g_hash_table_insert (a->ranks, g_strdup (q), r = g_new0 (RankPair, 1));
              g_clear_pointer (&r->words[rank - 1], g_ptr_array_unref);
              g_clear_pointer (&r->sums[rank - 1], g_array_unref);
              /* Specials never decide: they are the same in every query. */
              for (guint w = 0; w < words->len; w++)
                if (g_array_index (special, gboolean, w))
                  g_array_index (sums, double, w) = NAN;
              r->words[rank - 1] = g_ptr_array_ref (words);
              r->sums[rank - 1] = g_array_ref (sums);
            }
        }
    }
  if (total != 0)
    a->special_share += on_specials / total;
  if (abs_all > 0)
    {
      a->special_abs_share += abs_specials / abs_all;
      if (abs_specials / abs_all > 0.5)
        a->over_half++;
    }
}

/* A ranking contrast (a batch item with "b2"): its two pairs' query-side
 * saliencies, merged to words, decide as retrieval's ranks 1 and 2 do. */
static void
add_contrast (Agg *a, LkExplanation *x, JsonObject *line)
{
  JsonObject *c = lk_explanation_lookup_object (x, LK_EXTRA_CONTRAST);
  JsonNode *dn = c ? json_object_get_member (c, "documents") : NULL;
  JsonArray *docs = dn && JSON_NODE_HOLDS_ARRAY (dn) ? json_node_get_array (dn) : NULL;
  guint nt = lk_explanation_get_n_tokens (x, 0), nw = lk_explanation_get_n_words (x, 0);
  g_autofree char *key = NULL;
  RankPair *r;

  if (docs == NULL || json_array_get_length (docs) != 2)
    return;
  r = g_new0 (RankPair, 1);
  for (guint k = 0; k < 2; k++)
    {
      JsonObject *d = json_array_get_object_element (docs, k);
      JsonNode *qn = d ? json_object_get_member (d, "query_saliency") : NULL;
      JsonArray *qs = qn && JSON_NODE_HOLDS_ARRAY (qn) ? json_node_get_array (qn) : NULL;

      if (qs == NULL || json_array_get_length (qs) != nt)
        {
          rank_pair_free (r);
          return;
        }
      r->words[k] = g_ptr_array_new_with_free_func (g_free);
      r->sums[k] = g_array_new (FALSE, TRUE, sizeof (double));
      g_array_set_size (r->sums[k], nw);
      for (guint t = 0; t < nt; t++)
        {
          guint w = lk_explanation_token_word (x, 0, t);
          if (w < nw)
            g_array_index (r->sums[k], double, w) += json_array_get_double_element (qs, t);
        }
      for (guint w = 0; w < nw; w++)
        {
          g_autofree char *text = lk_explanation_dup_word (x, 0, w);
          g_autofree char *stripped = g_strstrip (g_strdup (text));

          /* Specials never decide: they are the same in every query. */
          if (lk_explanation_word_is_special (x, 0, w))
            g_array_index (r->sums[k], double, w) = NAN;
          g_ptr_array_add (r->words[k], g_utf8_strdown (stripped, -1));
        }
    }
  key = g_strdup (json_object_get_string_member_with_default (line, "id", ""));
  g_hash_table_replace (a->contrasts, g_steal_pointer (&key), r);
}

static void
add_result (Agg *a, LkExplanation *x, JsonObject *line)
{
  const char *method = lk_explanation_get_method (x);
  const LkMethodInfo *info = lk_method_info_find (method);
  JsonNode *aspects = lk_explanation_lookup_extra (x, "aspects");
  CheckStat *c;
  double value = NAN;
  LkVerdict v;

  count (a->methods, method);
  count (a->models, json_object_get_string_member_with_default (lk_explanation_get_model (x), "id", "?"));
  if ((c = g_hash_table_lookup (a->checks, method)) == NULL)
    {
      c = g_new0 (CheckStat, 1);
      c->values = g_array_new (FALSE, FALSE, sizeof (double));
      g_hash_table_insert (a->checks, g_strdup (method), c);
    }
  v = lk_explanation_get_verdict (x, &value);
  c->verdicts[CLAMP ((int) v, 0, 3)]++;
  if (isfinite (value))
    g_array_append_val (c->values, value);
  if (info && lk_method_is_attribution (info) && lk_explanation_get_matrix (x)->data)
    add_attribution (a, x, line);
  else if (lk_explanation_lookup_extra (x, LK_EXTRA_CONTRAST) != NULL)
    add_contrast (a, x, line);
  if (aspects && JSON_NODE_HOLDS_ARRAY (aspects))
    {
      JsonArray *list = json_node_get_array (aspects);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *o = json_array_get_object_element (list, i);
          const char *name = o ? json_object_get_string_member_with_default (o, "name", NULL) : NULL;
          AspectStat *s;

          if (name == NULL)
            continue;
          if ((s = g_hash_table_lookup (a->aspects, name)) == NULL)
            g_hash_table_insert (a->aspects, g_strdup (name), s = g_new0 (AspectStat, 1));
          s->share += json_object_get_double_member_with_default (o, "share", 0);
          s->count++;
        }
    }
}

static gboolean
add_file (Agg *a, const char *path, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  guint n = 0;
  char *text;

  if (!lk_file_check_regular (path, "a batch output", error))
    return FALSE;
  if ((stream = g_file_read (file, NULL, &local)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "cannot read %s: %s", path, local->message);
      return FALSE;
    }
  in = g_data_input_stream_new (G_INPUT_STREAM (stream));
  /* One line at a time: a run of any size in little memory. */
  while ((text = g_data_input_stream_read_line (in, NULL, NULL, &local)) != NULL)
    {
      g_autofree char *owned = text;
      g_autofree char *where = g_strdup_printf ("%s line %u", path, ++n);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(LkExplanation) x = NULL;
      JsonObject *o;

      if (*g_strstrip (text) == '\0')
        continue;
      if ((node = lk_json_parse (text, -1, where, error)) == NULL)
        return FALSE;
      if (!JSON_NODE_HOLDS_OBJECT (node) || !json_object_has_member (o = json_node_get_object (node), "id"))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s is not a batch line (a JSON object with an "
                       "\"id\"): expected the output of likeness-cli batch", where);
          return FALSE;
        }
      a->items++;
      if (json_object_has_member (o, "error"))
        {
          a->failed++;
          continue;
        }
      if ((x = lk_explanation_new_from_json (node, &local)) == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: %s", where, local->message);
          return FALSE;
        }
      add_result (a, x, o);
    }
  if (local)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "cannot read %s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- the summary ---- */

typedef struct {
  const char *key;
  WordStat   *stat;
} WordEntry;

static int
by_sum (gconstpointer p, gconstpointer q)
{
  const WordEntry *x = p, *y = q;
  if (x->stat->sum != y->stat->sum)
    return x->stat->sum > y->stat->sum ? -1 : 1;
  return strcmp (x->key, y->key);
}

static JsonArray *
word_table (GHashTable *t, double total, guint top_n)
{
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (WordEntry));
  JsonArray *out = json_array_new ();
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, t);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_array_append_val (all, ((WordEntry) { k, v }));
  g_array_sort (all, by_sum);
  for (guint i = 0; i < MIN (top_n, all->len); i++)
    {
      WordEntry *e = &g_array_index (all, WordEntry, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "word", e->key);
      json_object_set_int_member (o, "items", e->stat->items);
      json_object_set_int_member (o, "occurrences", e->stat->occurrences);
      json_object_set_double_member (o, "sum", e->stat->sum);
      json_object_set_double_member (o, "share", total != 0 ? e->stat->sum / total : 0);
      json_array_add_object_element (out, o);
    }
  return out;
}

static JsonObject *
counts_object (GHashTable *t)
{
  JsonObject *o = json_object_new ();
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (t), (GCompareFunc) strcmp);

  for (GList *l = keys; l; l = l->next)
    json_object_set_int_member (o, l->data, GPOINTER_TO_UINT (g_hash_table_lookup (t, l->data)));
  return o;
}

static int
cmp_double (gconstpointer p, gconstpointer q)
{
  double x = *(const double *) p, y = *(const double *) q;
  return (x > y) - (x < y);
}

static JsonObject *
checks_object (GHashTable *checks)
{
  JsonObject *out = json_object_new ();
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (checks), (GCompareFunc) strcmp);

  for (GList *l = keys; l; l = l->next)
    {
      CheckStat *c = g_hash_table_lookup (checks, l->data);
      const LkMethodInfo *info = lk_method_info_find (l->data);
      JsonObject *o = json_object_new ();
      JsonObject *v = json_object_new ();

      for (int i = 0; i < 4; i++)
        json_object_set_int_member (v, lk_verdict_to_string ((LkVerdict) i), c->verdicts[i]);
      json_object_set_object_member (o, "verdicts", v);
      if (info && info->check.key)
        json_object_set_string_member (o, "key", info->check.key);
      if (c->values->len > 0)
        {
          JsonArray *hist = json_array_new ();
          double lo, hi;

          g_array_sort (c->values, cmp_double);
          lo = g_array_index (c->values, double, 0);
          hi = g_array_index (c->values, double, c->values->len - 1);
          json_object_set_double_member (o, "min", lo);
          json_object_set_double_member (o, "median", g_array_index (c->values, double, c->values->len / 2));
          json_object_set_double_member (o, "max", hi);
          for (guint b = 0; b < HISTOGRAM_BINS; b++)
            {
              double blo = lo + (hi - lo) * b / HISTOGRAM_BINS, bhi = lo + (hi - lo) * (b + 1) / HISTOGRAM_BINS;
              guint n = 0;
              JsonObject *bin = json_object_new ();

              for (guint i = 0; i < c->values->len; i++)
                {
                  double x = g_array_index (c->values, double, i);
                  if ((x >= blo && x < bhi) || (b == HISTOGRAM_BINS - 1 && x == bhi) || (hi == lo && b == 0))
                    n++;
                }
              json_object_set_double_member (bin, "lo", blo);
              json_object_set_double_member (bin, "hi", bhi);
              json_object_set_int_member (bin, "count", hi == lo && b > 0 ? 0 : n);
              json_array_add_object_element (hist, bin);
            }
          json_object_set_array_member (o, "histogram", hist);
        }
      json_object_set_object_member (out, l->data, o);
    }
  return out;
}

/* For each pair of @table (a query's ranks 1 and 2, or a contrast's two
 * documents): the query word whose saliency toward the first most exceeds
 * its saliency toward the second (METHODS.md §5, ranking contrast, merged
 * to words), counted in @deciding. Returns how many pairs decided. */
static guint
decide (GHashTable *table, GHashTable *deciding)
{
  GHashTableIter it;
  gpointer k, v;
  guint n = 0;

  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      RankPair *r = v;
      int best = -1;
      double margin = -INFINITY;
      WordStat *st;

      if (!r->words[0] || !r->words[1] || r->words[0]->len != r->words[1]->len)
        continue;
      for (guint w = 0; w < r->words[0]->len; w++)
        {
          double d = g_array_index (r->sums[0], double, w) - g_array_index (r->sums[1], double, w);
          if (isfinite (d) && d > margin)
            margin = d, best = w;
        }
      if (best < 0)
        continue;
      n++;
      st = word_stat (deciding, g_ptr_array_index (r->words[0], best));
      st->sum += margin;
      st->occurrences++;
      st->items++;
    }
  return n;
}

static JsonObject *
ranks_object (GHashTable *ranks, GHashTable *contrasts, guint top_n)
{
  g_autoptr(GHashTable) deciding = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonObject *o = json_object_new ();
  GHashTableIter it;
  gpointer k, v;
  guint queries = decide (ranks, deciding), contrasts_n = decide (contrasts, deciding);

  json_object_set_int_member (o, "contrasts", contrasts_n);
  json_object_set_int_member (o, "queries", queries);
  /* Sorted by how often a word decides, then by its margin. */
  {
    g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (WordEntry));
    JsonArray *list = json_array_new ();

    g_hash_table_iter_init (&it, deciding);
    while (g_hash_table_iter_next (&it, &k, &v))
      {
        WordStat *s = v;
        /* by_sum sorts on sum: make it the count, margin as tie-break. */
        g_array_append_val (all, ((WordEntry) { k, s }));
      }
    for (guint i = 0; i < all->len; i++)
      {
        WordStat *s = g_array_index (all, WordEntry, i).stat;
        s->last_item = 0;
        s->sum = s->occurrences + atan (s->sum) / G_PI;  /* the count, then the margin within (−½, ½) */
      }
    g_array_sort (all, by_sum);
    for (guint i = 0; i < MIN (top_n, all->len); i++)
      {
        WordEntry *e = &g_array_index (all, WordEntry, i);
        JsonObject *w = json_object_new ();

        json_object_set_string_member (w, "word", e->key);
        json_object_set_int_member (w, "queries", e->stat->occurrences);
        json_array_add_object_element (list, w);
      }
    json_object_set_array_member (o, "deciding_words", list);
  }
  return o;
}

JsonObject *
lk_aggregate_files (const char * const *paths, guint top_n, GError **error)
{
  Agg a;
  JsonObject *out, *specials;
  JsonArray *inputs = json_array_new ();

  agg_init (&a);
  for (guint i = 0; paths[i]; i++)
    {
      json_array_add_string_element (inputs, paths[i]);
      if (!add_file (&a, paths[i], error))
        {
          json_array_unref (inputs);
          agg_clear (&a);
          return NULL;
        }
    }
  out = json_object_new ();
  json_object_set_string_member (out, "schema", LK_AGGREGATE_SCHEMA);
  json_object_set_array_member (out, "inputs", inputs);
  json_object_set_int_member (out, "items", a.items);
  json_object_set_int_member (out, "failed", a.failed);
  json_object_set_int_member (out, "attributions", a.attributions);
  json_object_set_double_member (out, "sum_total", a.total);
  json_object_set_object_member (out, "methods", counts_object (a.methods));
  json_object_set_object_member (out, "models", counts_object (a.models));
  json_object_set_array_member (out, "words", word_table (a.words, a.total, top_n));
  specials = json_object_new ();
  json_object_set_double_member (specials, "share_mean", a.attributions ? a.special_share / a.attributions : 0);
  json_object_set_double_member (specials, "abs_share_mean", a.attributions ? a.special_abs_share / a.attributions : 0);
  json_object_set_int_member (specials, "items_over_half", a.over_half);
  json_object_set_array_member (specials, "tokens", word_table (a.specials, a.total, top_n));
  json_object_set_object_member (out, "specials", specials);
  json_object_set_object_member (out, "checks", checks_object (a.checks));
  if (g_hash_table_size (a.aspects) > 0)
    {
      JsonArray *list = json_array_new ();
      g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (a.aspects), (GCompareFunc) strcmp);
      for (GList *l = keys; l; l = l->next)
        {
          AspectStat *s = g_hash_table_lookup (a.aspects, l->data);
          JsonObject *o = json_object_new ();
          json_object_set_string_member (o, "name", l->data);
          json_object_set_double_member (o, "share_mean", s->share / s->count);
          json_object_set_int_member (o, "items", s->count);
          json_array_add_object_element (list, o);
        }
      json_object_set_array_member (out, "aspects", list);
    }
  if (g_hash_table_size (a.ranks) > 0 || g_hash_table_size (a.contrasts) > 0)
    json_object_set_object_member (out, "retrieval", ranks_object (a.ranks, a.contrasts, top_n));
  agg_clear (&a);
  return out;
}

gboolean
lk_aggregate_write_csv (JsonObject *summary, const char *path, GError **error)
{
  g_autoptr(GString) s = g_string_new ("kind,word,items,occurrences,sum,share\n");
  const char *tables[][2] = { { "word", "words" }, { "special", "specials.tokens" } };

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      JsonObject *holder = summary;
      const char *member = tables[t][1];
      JsonArray *list;

      if (g_str_has_prefix (member, "specials."))
        holder = json_object_get_object_member (summary, "specials"), member += strlen ("specials.");
      list = holder ? json_object_get_array_member (holder, member) : NULL;
      for (guint i = 0; list && i < json_array_get_length (list); i++)
        {
          JsonObject *o = json_array_get_object_element (list, i);
          char num[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append_printf (s, "%s,", tables[t][0]);
          lk_csv_append_field (s, json_object_get_string_member (o, "word"));
          g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",",
                                  json_object_get_int_member (o, "items"), json_object_get_int_member (o, "occurrences"));
          g_string_append (s, g_ascii_dtostr (num, sizeof num, json_object_get_double_member (o, "sum")));
          g_string_append_c (s, ',');
          g_string_append (s, g_ascii_dtostr (num, sizeof num, json_object_get_double_member (o, "share")));
          g_string_append_c (s, '\n');
        }
    }
  return lk_atomic_file_write (path, s->str, s->len, 0666, error);
}
