/* lk-tokenizer-wordpiece.c — the WordPiece model (BERT, MiniLM, MPNet).
 *
 * Greedy longest match from the left; pieces after the first carry the
 * continuing prefix ("##"). A word with a part that matches nothing, or longer
 * than max_input_chars_per_word, becomes a single unknown token.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

typedef struct {
  char  *prefix;
  gsize  max_chars;
  gsize  max_token_len;   /* bytes: no match can be longer */
} WordPiece;

static void
wordpiece_free (gpointer data)
{
  WordPiece *self = data;

  g_free (self->prefix);
  g_free (self);
}

static void
add_piece (GArray *pieces,
           gint32  id,
           gsize   start,
           gsize   end)
{
  LkTokPiece piece = { id, start, end };

  g_array_append_val (pieces, piece);
}

/* The longest vocabulary entry at @start, or -1; sets *@end. */
static gint32
longest_match (const LkTokModel *model,
               GString          *key,
               const char       *word,
               gsize             len,
               gsize             start,
               gsize            *end)
{
  const WordPiece *self = model->impl;
  gsize prefix_len = start > 0 ? strlen (self->prefix) : 0;
  gsize stop = MIN (len, start + self->max_token_len);

  /* Back to a character boundary. */
  while (stop > start && stop < len && (word[stop] & 0xC0) == 0x80)
    stop--;
  for (; stop > start; stop = g_utf8_prev_char (word + stop) - word)
    {
      gint32 id;

      g_string_truncate (key, 0);
      g_string_append_len (key, self->prefix, prefix_len);
      g_string_append_len (key, word + start, stop - start);
      id = lk_tok_model_lookup (model, key->str, key->len);
      if (id >= 0)
        {
          *end = stop;
          return id;
        }
    }
  return -1;
}

static void
wordpiece_tokenize (const LkTokModel *model,
                    const char       *word,
                    gsize             len,
                    GArray           *pieces)
{
  const WordPiece *self = model->impl;
  g_autoptr(GString) key = g_string_sized_new (64);
  guint first = pieces->len;
  gsize start = 0;

  if (lk_tok_utf8_count (word, len) > self->max_chars)
    {
      add_piece (pieces, model->unk_id, 0, len);
      return;
    }
  while (start < len)
    {
      gsize end = start;
      gint32 id = longest_match (model, key, word, len, start, &end);

      if (id < 0)
        {
          g_array_set_size (pieces, first);
          add_piece (pieces, model->unk_id, 0, len);
          return;
        }
      add_piece (pieces, id, start, end);
      start = end;
    }
}

static gboolean
read_vocab (LkTokModel  *model,
            JsonObject  *vocab,
            const char  *file,
            GError     **error)
{
  WordPiece *self = model->impl;
  g_autoptr(GList) members = json_object_get_members (vocab);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (vocab, l->data);
      gint64 id = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
                  ? json_node_get_int (node) : -1;

      if (id < 0 || id > G_MAXINT32 / 2)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: model.vocab['%s'] is not a valid id (expected a number from 0 up)"),
                       file, (const char *) l->data);
          return FALSE;
        }
      lk_tok_model_set_token (model, l->data, id);
      self->max_token_len = MAX (self->max_token_len, strlen (l->data));
    }
  return TRUE;
}

gboolean
lk_tok_wordpiece_init (LkTokModel  *model,
                       JsonObject  *obj,
                       const char  *file,
                       GError     **error)
{
  WordPiece *self = g_new0 (WordPiece, 1);
  JsonObject *vocab;
  const char *unk, *prefix = "##";
  gint64 max_chars;

  model->impl = self;
  model->free_impl = wordpiece_free;
  model->tokenize = wordpiece_tokenize;

  vocab = lk_tok_json_object (obj, "vocab", TRUE, file, "model", error);
  unk = vocab ? lk_tok_json_string (obj, "unk_token", TRUE, file, "model", error) : NULL;
  if (unk == NULL || !lk_tok_json_int (obj, "max_input_chars_per_word", 100, file, "model", &max_chars, error))
    return FALSE;
  if (!lk_tok_json_is_null (obj, "continuing_subword_prefix") &&
      (prefix = lk_tok_json_string (obj, "continuing_subword_prefix", TRUE, file, "model", error)) == NULL)
    return FALSE;
  self->prefix = g_strdup (prefix);
  self->max_chars = MAX (max_chars, 0);
  if (!read_vocab (model, vocab, file, error))
    return FALSE;

  model->unk_id = lk_tok_model_lookup (model, unk, strlen (unk));
  if (model->unk_id < 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: model.unk_token '%s' is not in model.vocab"), file, unk);
      return FALSE;
    }
  return TRUE;
}
