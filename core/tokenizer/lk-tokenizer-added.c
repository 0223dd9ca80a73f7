/* lk-tokenizer-added.c — the added tokens of tokenizer.json ("[CLS]", "<mask>", …).
 *
 * The tokenizers package finds them in the text before anything else, so a
 * "[SEP]" typed by the user is one token, not "[", "sep", "]". We do the same.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

static void
added_token_free (LkTokAdded *token)
{
  g_free (token->content);
  g_free (token);
}

static LkTokAdded *
added_token_from_json (JsonNode    *node,
                       const char  *file,
                       const char  *where,
                       GError     **error)
{
  JsonObject *obj;
  const char *content;
  gint64 id;
  LkTokAdded *token;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: %s is a %s (expected an object)"), file, where, json_node_type_name (node));
      return NULL;
    }
  obj = json_node_get_object (node);
  content = lk_tok_json_string (obj, "content", TRUE, file, where, error);
  if (content == NULL || !lk_tok_json_int (obj, "id", -1, file, where, &id, error))
    return NULL;
  if (id < 0 || id > G_MAXINT32)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: %s.id is missing or out of range (expected an id from 0 up)"), file, where);
      return NULL;
    }

  token = g_new0 (LkTokAdded, 1);
  token->content = g_strdup (content);
  token->len = strlen (content);
  token->id = id;
  if (!lk_tok_json_bool (obj, "single_word", FALSE, file, where, &token->single_word, error) ||
      !lk_tok_json_bool (obj, "lstrip", FALSE, file, where, &token->lstrip, error) ||
      !lk_tok_json_bool (obj, "rstrip", FALSE, file, where, &token->rstrip, error) ||
      !lk_tok_json_bool (obj, "normalized", TRUE, file, where, &token->normalized, error) ||
      !lk_tok_json_bool (obj, "special", FALSE, file, where, &token->special, error))
    {
      added_token_free (token);
      return NULL;
    }
  return token;
}

GPtrArray *
lk_tok_added_from_json (JsonArray   *array,
                        const char  *file,
                        GError     **error)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) added_token_free);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *where = g_strdup_printf ("added_tokens[%u]", i);
      LkTokAdded *token = added_token_from_json (json_array_get_element (array, i),
                                                   file, where, error);

      if (token == NULL)
        return NULL;
      if (token->len == 0)
        {
          added_token_free (token);
          continue;
        }
      g_ptr_array_add (tokens, token);
    }
  return g_steal_pointer (&tokens);
}

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || c == '_';
}

/* single_word tokens only count between non-word characters. */
static gboolean
is_single_word (const char *s,
                gsize       len,
                gsize       start,
                gsize       end)
{
  if (start > 0 && is_word_char (g_utf8_get_char (g_utf8_prev_char (s + start))))
    return FALSE;
  return end >= len || !is_word_char (g_utf8_get_char (s + end));
}

/* The longest token that starts at @pos, or NULL. */
static const LkTokAdded *
longest_at (GPtrArray  *tokens,
            const char *s,
            gsize       len,
            gsize       pos)
{
  const LkTokAdded *best = NULL;

  for (guint i = 0; i < tokens->len; i++)
    {
      const LkTokAdded *token = g_ptr_array_index (tokens, i);

      if (token->len <= len - pos && (best == NULL || token->len > best->len) &&
          memcmp (s + pos, token->content, token->len) == 0)
        best = token;
    }
  return best;
}

static void
add_segment (GArray *segments,
             gint32  id,
             gsize   start,
             gsize   end)
{
  LkTokSegment segment = { id, start, end };

  g_array_append_val (segments, segment);
}

void
lk_tok_added_split (GPtrArray  *tokens,
                    const char *s,
                    gsize       len,
                    GArray     *segments)
{
  gsize done = 0;   /* end of the last segment */
  gsize pos = 0;

  while (pos < len)
    {
      const LkTokAdded *token = longest_at (tokens, s, len, pos);
      gsize start = pos, end;

      if (token == NULL)
        {
          pos = g_utf8_next_char (s + pos) - s;
          continue;
        }
      end = pos + token->len;
      pos = end;
      if (token->single_word && !is_single_word (s, len, start, end))
        continue;
      while (token->lstrip && start > done &&
             lk_tok_unichar_is_whitespace (g_utf8_get_char (g_utf8_prev_char (s + start))))
        start = g_utf8_prev_char (s + start) - s;
      while (token->rstrip && end < len && lk_tok_unichar_is_whitespace (g_utf8_get_char (s + end)))
        end = g_utf8_next_char (s + end) - s;
      start = MAX (start, done);
      if (done < start)
        add_segment (segments, -1, done, start);
      add_segment (segments, token->id, start, end);
      done = end;
      pos = MAX (pos, end);
    }
  if (done < len)
    add_segment (segments, -1, done, len);
}
