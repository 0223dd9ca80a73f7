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
  PRE_SEQUENCE,     /* of Split and ByteLevel (lk-tokenizer-bpe.c) */
  PRE_SPLIT,
  PRE_BYTE_LEVEL,
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
  GPtrArray     *children;  /* Sequence */
  GRegex        *regex;     /* Split; ByteLevel with use_regex */
  gboolean       invert;
  gboolean       removed;
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

/* Split and ByteLevel refine the spans they are given. */
static void
refine (const LkTokPreTokenizer *self,
        LkTokNorm               *norm,
        GArray                  *spans)
{
  if (self->kind == PRE_SPLIT)
    lk_tok_split_regex (self->regex, self->invert, self->removed, norm->str->str, spans);
  else
    {
      if (self->regex != NULL)
        lk_tok_split_regex (self->regex, FALSE, FALSE, norm->str->str, spans);
      lk_tok_byte_level (norm, spans);
    }
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
  if (self->kind == PRE_SEQUENCE || self->kind == PRE_SPLIT || self->kind == PRE_BYTE_LEVEL)
    {
      g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (LkTokSpan));

      add_word (spans, 0, norm->str->len);
      if (self->kind != PRE_SEQUENCE)
        refine (self, norm, spans);
      for (guint i = 0; self->children != NULL && i < self->children->len; i++)
        refine (g_ptr_array_index (self->children, i), norm, spans);
      g_array_append_vals (words, spans->data, spans->len);
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
  if (self == NULL)
    return;
  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_clear_pointer (&self->regex, g_regex_unref);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkTokPreTokenizer, lk_tok_pre_tokenizer_free)

static gboolean
read_split (LkTokPreTokenizer  *self,
            JsonObject         *obj,
            const char         *file,
            GError            **error)
{
  JsonObject *pattern = lk_tok_json_object (obj, "pattern", TRUE, file, "pre_tokenizer", error);
  const char *behavior = lk_tok_json_string (obj, "behavior", TRUE, file, "pre_tokenizer", error);
  const char *source;
  g_autofree char *quoted = NULL;

  if (pattern == NULL || behavior == NULL ||
      !lk_tok_json_bool (obj, "invert", FALSE, file, "pre_tokenizer", &self->invert, error))
    return FALSE;
  if (!g_str_equal (behavior, "Removed") && !g_str_equal (behavior, "Isolated"))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s: pre_tokenizer Split behavior '%s' is not supported (expected Removed or Isolated)"),
                   file, behavior);
      return FALSE;
    }
  self->removed = g_str_equal (behavior, "Removed");
  if (json_object_has_member (pattern, "Regex"))
    source = lk_tok_json_string (pattern, "Regex", TRUE, file, "pre_tokenizer.pattern", error);
  else
    {
      const char *literal = lk_tok_json_string (pattern, "String", TRUE, file, "pre_tokenizer.pattern", error);
      source = quoted = literal ? g_regex_escape_string (literal, -1) : NULL;
    }
  return source != NULL && (self->regex = lk_tok_regex_new (source, file, "pre_tokenizer.pattern", error)) != NULL;
}

static gboolean
read_byte_level (LkTokPreTokenizer  *self,
                 JsonObject         *obj,
                 const char         *file,
                 GError            **error)
{
  gboolean prefix_space, use_regex;

  if (!lk_tok_json_bool (obj, "add_prefix_space", TRUE, file, "pre_tokenizer", &prefix_space, error) ||
      !lk_tok_json_bool (obj, "use_regex", TRUE, file, "pre_tokenizer", &use_regex, error))
    return FALSE;
  if (prefix_space)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s: pre_tokenizer ByteLevel with add_prefix_space is not supported"), file);
      return FALSE;
    }
  return !use_regex || (self->regex = lk_tok_regex_new (NULL, file, "pre_tokenizer", error)) != NULL;
}

static gboolean
read_sequence (LkTokPreTokenizer  *self,
               JsonObject         *obj,
               const char         *file,
               GError            **error)
{
  JsonArray *items = lk_tok_json_array (obj, "pretokenizers", TRUE, file, "pre_tokenizer", error);

  if (items == NULL)
    return FALSE;
  self->children = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_tok_pre_tokenizer_free);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      LkTokPreTokenizer *child = lk_tok_pre_tokenizer_from_json (node, file, error);

      if (child == NULL)
        {
          if (error == NULL || *error == NULL)
            g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                         _("%s: pre_tokenizer.pretokenizers[%u] is null"), file, i);
          return FALSE;
        }
      g_ptr_array_add (self->children, child);
      if (child->kind != PRE_SPLIT && child->kind != PRE_BYTE_LEVEL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                       _("%s: pre_tokenizer.pretokenizers[%u]: only Split and ByteLevel are supported in a Sequence"),
                       file, i);
          return FALSE;
        }
    }
  return TRUE;
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
  g_autoptr(LkTokPreTokenizer) self = NULL;
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
  else if (g_str_equal (type, "Split") || g_str_equal (type, "ByteLevel") || g_str_equal (type, "Sequence"))
    {
      self->kind = g_str_equal (type, "Split") ? PRE_SPLIT : g_str_equal (type, "ByteLevel") ? PRE_BYTE_LEVEL : PRE_SEQUENCE;
      if (!(self->kind == PRE_SPLIT ? read_split : self->kind == PRE_BYTE_LEVEL ? read_byte_level : read_sequence)
            (self, obj, file, error))
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
