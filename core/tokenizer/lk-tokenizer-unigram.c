/* lk-tokenizer-unigram.c — the SentencePiece Unigram model (XLM-R).
 *
 * Viterbi over the byte positions of a word: the best segmentation maximizes
 * the sum of the pieces' scores. A character no piece covers becomes the
 * unknown piece, scored 10 below the worst piece; runs of unknown pieces are
 * fused into one token, as the tokenizers package does.
 *
 * The pieces are kept sorted by their bytes; the pieces that start at a
 * position are found by narrowing a range of that order one byte at a time,
 * so a word costs O(length × longest piece × log vocabulary).
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

#define UNK_PENALTY 10.0

typedef struct {
  const char *bytes;   /* owned by the model's vocabulary */
  gsize       len;
  gint32      id;
} Entry;

typedef struct {
  double *scores;     /* by id */
  guint   n_scores;
  Entry  *sorted;     /* one per distinct piece, by bytes */
  guint   n_sorted;
  double  unk_score;
} Unigram;

typedef struct {
  double score;
  gssize start;       /* -1: not reached yet */
  gint32 id;
} Node;

static void
unigram_free (gpointer data)
{
  Unigram *self = data;

  g_free (self->scores);
  g_free (self->sorted);
  g_free (self);
}

/* The byte of @e at @k, or -1 past its end: shorter pieces sort first. */
static inline gint
byte_at (const Entry *e,
         gsize        k)
{
  return k < e->len ? (guchar) e->bytes[k] : -1;
}

/* First index in [lo, hi) whose byte at @k is >= @b (all share bytes < k). */
static guint
lower_bound (const Unigram *self,
             guint          lo,
             guint          hi,
             gsize          k,
             gint           b)
{
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (byte_at (&self->sorted[mid], k) < b)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
relax (Node   *nodes,
       gsize   to,
       gsize   from,
       double  score,
       gint32  id)
{
  double candidate = nodes[from].score + score;

  /* Strictly better only: the first candidate found wins a tie. */
  if (nodes[to].start < 0 || candidate > nodes[to].score)
    {
      nodes[to].score = candidate;
      nodes[to].start = from;
      nodes[to].id = id;
    }
}

/* Offers every piece that starts at @pos; returns whether one covers exactly
 * the character there. */
static gboolean
relax_from (const Unigram *self,
            Node          *nodes,
            const char    *word,
            gsize          len,
            gsize          pos,
            gsize          char_len)
{
  guint lo = 0, hi = self->n_sorted;
  gboolean single = FALSE;

  for (gsize k = 0; pos + k < len; k++)
    {
      gint b = (guchar) word[pos + k];

      lo = lower_bound (self, lo, hi, k, b);
      hi = lower_bound (self, lo, hi, k, b + 1);
      if (lo >= hi)
        break;
      if (self->sorted[lo].len == k + 1)
        {
          const Entry *e = &self->sorted[lo];

          relax (nodes, pos + k + 1, pos, self->scores[e->id], e->id);
          single |= k + 1 == char_len;
        }
    }
  return single;
}

static void
add_piece (const LkTokModel *model,
           const char       *word,
           gsize             start,
           gsize             end,
           gint32            id,
           GArray           *pieces)
{
  LkTokPiece piece = { id, start, end };

  /* Like the tokenizers package, look the text up again: a fused run of
   * unknown characters is unknown unless it happens to be a piece. */
  if (id == model->unk_id)
    {
      gint32 found = lk_tok_model_lookup (model, word + start, end - start);
      piece.id = found >= 0 ? found : model->unk_id;
    }
  g_array_append_val (pieces, piece);
}

/* Walks back from the end, fusing consecutive unknown pieces. */
static void
backtrack (const LkTokModel *model,
           const Node       *nodes,
           const char       *word,
           gsize             len,
           GArray           *pieces)
{
  guint first = pieces->len;
  gsize end = len, unk_end = 0;
  gboolean in_unk = FALSE;

  while (end > 0)
    {
      const Node *node = &nodes[end];
      gboolean unk = node->id == model->unk_id;

      if (in_unk && !unk)
        add_piece (model, word, end, unk_end, model->unk_id, pieces);
      if (unk && !in_unk)
        unk_end = end;
      if (!unk)
        add_piece (model, word, node->start, end, node->id, pieces);
      in_unk = unk;
      end = node->start;
    }
  if (in_unk)
    add_piece (model, word, 0, unk_end, model->unk_id, pieces);

  /* Collected back to front. */
  for (guint i = first, j = pieces->len - 1; i < pieces->len && i < j; i++, j--)
    {
      LkTokPiece tmp = g_array_index (pieces, LkTokPiece, i);
      g_array_index (pieces, LkTokPiece, i) = g_array_index (pieces, LkTokPiece, j);
      g_array_index (pieces, LkTokPiece, j) = tmp;
    }
}

static void
unigram_tokenize (const LkTokModel *model,
                  const char       *word,
                  gsize             len,
                  GArray           *pieces)
{
  const Unigram *self = model->impl;
  g_autofree Node *nodes = g_new (Node, len + 1);

  for (gsize i = 0; i <= len; i++)
    nodes[i].start = -1;
  nodes[0].score = 0.0;
  nodes[0].start = 0;
  nodes[0].id = -1;

  for (gsize pos = 0; pos < len;)
    {
      gsize next = g_utf8_next_char (word + pos) - word;

      if (!relax_from (self, nodes, word, len, pos, next - pos))
        relax (nodes, next, pos, self->unk_score, model->unk_id);
      pos = next;
    }
  if (len > 0)
    backtrack (model, nodes, word, len, pieces);
}

static gint
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *x = a, *y = b;
  gint c = memcmp (x->bytes, y->bytes, MIN (x->len, y->len));

  if (c != 0)
    return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

/* One entry per distinct piece, with the id the vocabulary maps it to. */
static void
sort_pieces (Unigram          *self,
             const LkTokModel *model)
{
  GHashTableIter iter;
  gpointer key, value;
  guint i = 0;

  self->n_sorted = g_hash_table_size (model->vocab);
  self->sorted = g_new (Entry, self->n_sorted);
  g_hash_table_iter_init (&iter, model->vocab);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      self->sorted[i].bytes = key;
      self->sorted[i].len = strlen (key);
      self->sorted[i].id = GPOINTER_TO_INT (value) - 1;
      i++;
    }
  qsort (self->sorted, self->n_sorted, sizeof (Entry), compare_entries);
}

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
read_piece (LkTokModel  *model,
            JsonNode    *node,
            guint        id,
            const char  *file,
            GError     **error)
{
  Unigram *self = model->impl;
  JsonArray *pair = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  JsonNode *piece = pair && json_array_get_length (pair) == 2 ? json_array_get_element (pair, 0) : NULL;
  JsonNode *score = piece ? json_array_get_element (pair, 1) : NULL;

  if (!holds (piece, G_TYPE_STRING) || (!holds (score, G_TYPE_DOUBLE) && !holds (score, G_TYPE_INT64)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: model.vocab[%u] is not a [piece, score] pair"), file, id);
      return FALSE;
    }
  lk_tok_model_set_token (model, json_node_get_string (piece), id);
  self->scores[id] = json_node_get_double (score);
  return TRUE;
}

gboolean
lk_tok_unigram_init (LkTokModel  *model,
                     JsonObject  *obj,
                     const char  *file,
                     GError     **error)
{
  Unigram *self = g_new0 (Unigram, 1);
  JsonArray *vocab;
  gboolean byte_fallback;
  gint64 unk_id;
  double min_score = G_MAXDOUBLE;

  model->impl = self;
  model->free_impl = unigram_free;
  model->tokenize = unigram_tokenize;

  vocab = lk_tok_json_array (obj, "vocab", TRUE, file, "model", error);
  if (vocab == NULL || !lk_tok_json_int (obj, "unk_id", -1, file, "model", &unk_id, error) ||
      !lk_tok_json_bool (obj, "byte_fallback", FALSE, file, "model", &byte_fallback, error))
    return FALSE;
  if (byte_fallback)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s: model.byte_fallback is true, which is not supported here (expected false)"), file);
      return FALSE;
    }

  self->n_scores = json_array_get_length (vocab);
  self->scores = g_new0 (double, self->n_scores);
  for (guint i = 0; i < self->n_scores; i++)
    {
      if (!read_piece (model, json_array_get_element (vocab, i), i, file, error))
        return FALSE;
      min_score = MIN (min_score, self->scores[i]);
    }
  if (unk_id < 0 || unk_id >= self->n_scores)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: model.unk_id is missing or out of range (expected an id below %u)"),
                   file, self->n_scores);
      return FALSE;
    }
  model->unk_id = unk_id;
  self->unk_score = min_score - UNK_PENALTY;
  sort_pieces (self, model);
  return TRUE;
}
