/* lk-tokenizer-pretok.c — pre-tokenizers: cutting normalized text into words.
 *
 * BertPreTokenizer drops whitespace and isolates each punctuation character;
 * Metaspace turns spaces into "▁", prefixes one, and starts a word at each.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

typedef enum {
  PRE_BERT,
  PRE_METASPACE,
  PRE_WHITESPACE_SPLIT,
} PreKind;

typedef enum {
  PREPEND_ALWAYS,
  PREPEND_FIRST,
  PREPEND_NEVER,
} PrependScheme;

struct _LkTokPreTokenizer {
  PreKind        kind;
  gunichar       replacement;
  PrependScheme  prepend;
  gboolean       split;
};

static void
add_word (GArray *words,
          gsize   start,
          gsize   end)
{
  LkTokSpan span = { start, end };

  if (end > start)
    g_array_append_val (words, span);
}

static void
split_bert (const LkTokNorm *norm,
            gboolean         isolate_punct,
            GArray          *words)
{
  const char *s = norm->str->str;
  gsize start = 0;

  for (gsize pos = 0; pos < norm->str->len; pos = g_utf8_next_char (s + pos) - s)
    {
      gunichar c = g_utf8_get_char (s + pos);
      gsize next = g_utf8_next_char (s + pos) - s;

      if (lk_tok_unichar_is_whitespace (c))
        {
          add_word (words, start, pos);
          start = next;
        }
      else if (isolate_punct && lk_tok_unichar_is_bert_punct (c))
        {
          add_word (words, start, pos);
          add_word (words, pos, next);
          start = next;
        }
    }
  add_word (words, start, norm->str->len);
}

/* Spaces become the replacement; the prefix copies the alignment of the
 * first character, as NormalizedString.prepend() does. */
static void
metaspace_transform (const LkTokPreTokenizer *self,
                     LkTokNorm               *norm)
{
  g_autoptr(GArray) changes = g_array_sized_new (FALSE, FALSE, sizeof (LkTokChange), norm->str->len + 1);
  const char *s = norm->str->str;
  gunichar first;
  gboolean prefix;

  if (norm->str->len == 0)
    return;
  /* A leading space already becomes the replacement: no prefix then. */
  first = g_utf8_get_char (s);
  prefix = first != ' ' && first != self->replacement &&
           (self->prepend == PREPEND_ALWAYS || (self->prepend == PREPEND_FIRST && norm->base == 0));
  if (prefix)
    lk_tok_changes_add (changes, self->replacement, 0);
  for (const char *p = s; p < s + norm->str->len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      lk_tok_changes_add (changes, c == ' ' ? self->replacement : c, p == s && prefix ? 1 : 0);
    }
  lk_tok_norm_transform (norm, changes);
}

static void
split_metaspace (const LkTokPreTokenizer *self,
                 const LkTokNorm         *norm,
                 GArray                  *words)
{
  const char *s = norm->str->str;
  gsize start = 0;

  if (!self->split)
    {
      add_word (words, 0, norm->str->len);
      return;
    }
  for (gsize pos = 0; pos < norm->str->len; pos = g_utf8_next_char (s + pos) - s)
    if (g_utf8_get_char (s + pos) == self->replacement)
      {
        add_word (words, start, pos);
        start = pos;
      }
  add_word (words, start, norm->str->len);
}

void
lk_tok_pre_tokenizer_apply (const LkTokPreTokenizer *self,
                            LkTokNorm               *norm,
                            GArray                  *words)
{
  if (self == NULL)
    {
      add_word (words, 0, norm->str->len);
      return;
    }
  switch (self->kind)
    {
    case PRE_BERT:
      split_bert (norm, TRUE, words);
      break;
    case PRE_WHITESPACE_SPLIT:
      split_bert (norm, FALSE, words);
      break;
    case PRE_METASPACE:
      metaspace_transform (self, norm);
      split_metaspace (self, norm, words);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
lk_tok_pre_tokenizer_free (LkTokPreTokenizer *self)
{
  g_free (self);
}

static gboolean
read_metaspace (LkTokPreTokenizer  *self,
                JsonObject         *obj,
                const char         *file,
                GError            **error)
{
  const char *replacement = lk_tok_json_string (obj, "replacement", TRUE, file, "pre_tokenizer", error);
  const char *scheme;
  gboolean prefix_space;

  if (replacement == NULL)
    return FALSE;
  if (g_utf8_strlen (replacement, -1) != 1)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: pre_tokenizer.replacement '%s' is not one character"), file, replacement);
      return FALSE;
    }
  self->replacement = g_utf8_get_char (replacement);
  if (!lk_tok_json_bool (obj, "split", TRUE, file, "pre_tokenizer", &self->split, error))
    return FALSE;

  /* Older files say add_prefix_space instead of prepend_scheme. */
  if (lk_tok_json_is_null (obj, "prepend_scheme"))
    {
      if (!lk_tok_json_bool (obj, "add_prefix_space", TRUE, file, "pre_tokenizer", &prefix_space, error))
        return FALSE;
      self->prepend = prefix_space ? PREPEND_ALWAYS : PREPEND_NEVER;
      return TRUE;
    }
  scheme = lk_tok_json_string (obj, "prepend_scheme", TRUE, file, "pre_tokenizer", error);
  if (scheme == NULL)
    return FALSE;
  if (g_str_equal (scheme, "always"))
    self->prepend = PREPEND_ALWAYS;
  else if (g_str_equal (scheme, "first"))
    self->prepend = PREPEND_FIRST;
  else if (g_str_equal (scheme, "never"))
    self->prepend = PREPEND_NEVER;
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: pre_tokenizer.prepend_scheme '%s' is unknown (expected always, first or never)"),
                   file, scheme);
      return FALSE;
    }
  return TRUE;
}

/* A null node is no pre-tokenizer: NULL without an error. */
LkTokPreTokenizer *
lk_tok_pre_tokenizer_from_json (JsonNode    *node,
                                const char  *file,
                                GError     **error)
{
  g_autofree LkTokPreTokenizer *self = NULL;
  JsonObject *obj;
  const char *type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: pre_tokenizer is a %s (expected an object)"), file, json_node_type_name (node));
      return NULL;
    }
  obj = json_node_get_object (node);
  type = lk_tok_json_string (obj, "type", TRUE, file, "pre_tokenizer", error);
  if (type == NULL)
    return NULL;

  self = g_new0 (LkTokPreTokenizer, 1);
  if (g_str_equal (type, "BertPreTokenizer"))
    self->kind = PRE_BERT;
  else if (g_str_equal (type, "WhitespaceSplit"))
    self->kind = PRE_WHITESPACE_SPLIT;
  else if (g_str_equal (type, "Metaspace"))
    {
      self->kind = PRE_METASPACE;
      if (!read_metaspace (self, obj, file, error))
        return NULL;
    }
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s: pre_tokenizer.type '%s' is not supported here "
                   "(expected BertPreTokenizer, Metaspace or WhitespaceSplit)"), file, type);
      return NULL;
    }
  return g_steal_pointer (&self);
}
