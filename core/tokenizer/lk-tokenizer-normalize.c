/* lk-tokenizer-normalize.c — the normalizers of tokenizer.json, keeping alignments.
 *
 * Each step is written as the list of character changes the tokenizers
 * package would make, so that the offsets come out as it computes them.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

typedef enum {
  NORM_BERT,
  NORM_SEQUENCE,
  NORM_PRECOMPILED,
  NORM_REPLACE,
  NORM_STRIP,
  NORM_LOWERCASE,
  NORM_NFD,
  NORM_NFC,
  NORM_NFKD,
  NORM_STRIP_ACCENTS,
  NORM_PREPEND,
} NormKind;

struct _LkTokNormalizer {
  NormKind          kind;
  gboolean          clean_text;     /* BertNormalizer */
  gboolean          chinese;
  gboolean          strip_accents;
  gboolean          lowercase;
  gboolean          left;           /* Strip */
  gboolean          right;
  GPtrArray        *children;       /* Sequence */
  LkTokPrecompiled *precompiled;
  GRegex           *regex;          /* Replace */
  char             *content;        /* Replace, Prepend */
};

/* Returns how many characters replace @c (written to @out), 0 to remove it. */
typedef guint (*ExpandFunc) (gunichar c, gunichar *out);

/* The first output character replaces the input one, the others are inserted
 * after it; a removed character is charged to the character kept before it,
 * as the tokenizers package's filter() does. */
static void
expand (LkTokNorm  *norm,
        ExpandFunc  func)
{
  g_autoptr(GArray) changes = g_array_sized_new (FALSE, FALSE, sizeof (LkTokChange), norm->str->len);
  const char *p = norm->str->str;
  const char *end = p + norm->str->len;
  guint n_removed_first = 0;

  for (; p < end; p = g_utf8_next_char (p))
    {
      gunichar out[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      guint n = func (g_utf8_get_char (p), out);

      if (n == 0 && changes->len == 0)
        n_removed_first++;
      else if (n == 0)
        g_array_index (changes, LkTokChange, changes->len - 1).change -= 1;
      for (guint i = 0; i < n; i++)
        lk_tok_changes_add (changes, out[i], i == 0 ? 0 : 1);
    }
  if (n_removed_first > 0)
    {
      LkTokChange skip = { LK_TOK_CHANGE_SKIP, n_removed_first };
      g_array_prepend_val (changes, skip);
    }
  lk_tok_norm_transform (norm, changes);
}

static guint
keep_clean (gunichar c, gunichar *out)
{
  if (lk_tok_unichar_is_bert_removed (c))
    return 0;
  out[0] = lk_tok_unichar_is_whitespace (c) ? ' ' : c;
  return 1;
}

static guint
pad_cjk (gunichar c, gunichar *out)
{
  if (!lk_tok_unichar_is_cjk (c))
    {
      out[0] = c;
      return 1;
    }
  out[0] = ' ';
  out[1] = c;
  out[2] = ' ';
  return 3;
}

static guint
decompose (gunichar c, gunichar *out)
{
  return g_unichar_fully_decompose (c, FALSE, out, G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
}

static guint
decompose_compat (gunichar c, gunichar *out)
{
  return g_unichar_fully_decompose (c, TRUE, out, G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
}

/* Canonical ordering: marks with a combining class are sorted (stably) within
 * each run of them. Each character keeps its change when it moves, as in the
 * tokenizers package, so offsets follow positions rather than characters. */
static void
reorder_marks (GArray *changes)
{
  for (guint i = 1; i < changes->len; i++)
    {
      LkTokChange moving = g_array_index (changes, LkTokChange, i);
      gint ccc = g_unichar_combining_class (moving.c);
      guint j = i;

      while (ccc > 0 && j > 0)
        {
          LkTokChange *prev = &g_array_index (changes, LkTokChange, j - 1);
          if (g_unichar_combining_class (prev->c) <= ccc)
            break;
          g_array_index (changes, LkTokChange, j) = *prev;
          j--;
        }
      g_array_index (changes, LkTokChange, j) = moving;
    }
}

static void
decompose_all (LkTokNorm  *norm,
               ExpandFunc  func)
{
  g_autoptr(GArray) changes = g_array_sized_new (FALSE, FALSE, sizeof (LkTokChange), norm->str->len);
  const char *end = norm->str->str + norm->str->len;

  for (const char *p = norm->str->str; p < end; p = g_utf8_next_char (p))
    {
      gunichar out[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      guint n = func (g_utf8_get_char (p), out);

      for (guint i = 0; i < n; i++)
        lk_tok_changes_add (changes, out[i], i == 0 ? 0 : 1);
    }
  reorder_marks (changes);
  lk_tok_norm_transform (norm, changes);
}

static guint
keep_unmarked (gunichar c, gunichar *out)
{
  out[0] = c;
  return lk_tok_unichar_is_mark (c) ? 0 : 1;
}

/* StripAccents drops spacing and enclosing marks too. */
static guint
keep_uncombined (gunichar c, gunichar *out)
{
  GUnicodeType type = g_unichar_type (c);

  out[0] = c;
  if (lk_tok_unichar_is_mark (c) || type == G_UNICODE_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK)
    return 0;
  return 1;
}

static guint
lower (gunichar c, gunichar *out)
{
  return lk_tok_unichar_lower (c, out);
}

/* Matches become the content, aligned with the last character of the match
 * (each content character is an insertion after the removed match). */
static void
replace (const LkTokNormalizer *self,
         LkTokNorm             *norm)
{
  g_autoptr(GArray) changes = g_array_sized_new (FALSE, FALSE, sizeof (LkTokChange), norm->str->len);
  g_autoptr(GMatchInfo) match = NULL;
  const char *s = norm->str->str;
  gsize pos = 0;

  g_regex_match_full (self->regex, s, norm->str->len, 0, 0, &match, NULL);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      gint start, stop;
      LkTokChange skip = { LK_TOK_CHANGE_SKIP, 0 };

      g_match_info_fetch_pos (match, 0, &start, &stop);
      if (start == stop)
        continue;
      for (; pos < (gsize) start; pos = g_utf8_next_char (s + pos) - s)
        lk_tok_changes_add (changes, g_utf8_get_char (s + pos), 0);
      skip.change = lk_tok_utf8_count (s + start, stop - start);
      g_array_append_val (changes, skip);
      for (const char *c = self->content; *c; c = g_utf8_next_char (c))
        lk_tok_changes_add (changes, g_utf8_get_char (c), 1);
      pos = stop;
      if (lk_tok_norm_over (norm, changes))
        return;
    }
  for (; pos < norm->str->len; pos = g_utf8_next_char (s + pos) - s)
    lk_tok_changes_add (changes, g_utf8_get_char (s + pos), 0);
  lk_tok_norm_transform (norm, changes);
}

static void
strip (const LkTokNormalizer *self,
       LkTokNorm             *norm)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (LkTokChange));
  const char *s = norm->str->str;
  const char *start = s;
  const char *end = s + norm->str->len;
  LkTokChange skip = { LK_TOK_CHANGE_SKIP, 0 };

  while (self->left && start < end && lk_tok_unichar_is_whitespace (g_utf8_get_char (start)))
    {
      start = g_utf8_next_char (start);
      skip.change++;
    }
  while (self->right && end > start && lk_tok_unichar_is_whitespace (g_utf8_get_char (g_utf8_prev_char (end))))
    end = g_utf8_prev_char (end);
  g_array_append_val (changes, skip);
  for (const char *p = start; p < end; p = g_utf8_next_char (p))
    lk_tok_changes_add (changes, g_utf8_get_char (p), 0);
  lk_tok_norm_transform (norm, changes);
}

/* The first character of the prefix replaces the first character of the
 * string, which is inserted again after the prefix. */
static void
prepend (const LkTokNormalizer *self,
         LkTokNorm             *norm)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (LkTokChange));
  const char *s = norm->str->str;

  if (norm->str->len == 0 || *self->content == '\0')
    return;
  for (const char *c = self->content; *c; c = g_utf8_next_char (c))
    lk_tok_changes_add (changes, g_utf8_get_char (c), c == self->content ? 0 : 1);
  lk_tok_changes_add (changes, g_utf8_get_char (s), 1);
  for (const char *p = g_utf8_next_char (s); p < s + norm->str->len; p = g_utf8_next_char (p))
    lk_tok_changes_add (changes, g_utf8_get_char (p), 0);
  lk_tok_norm_transform (norm, changes);
}

static void
apply_bert (const LkTokNormalizer *self,
            LkTokNorm             *norm)
{
  if (self->clean_text)
    expand (norm, keep_clean);
  if (self->chinese)
    expand (norm, pad_cjk);
  if (self->strip_accents)
    {
      decompose_all (norm, decompose);
      expand (norm, keep_unmarked);
    }
  if (self->lowercase)
    expand (norm, lower);
}

void
lk_tok_normalizer_apply (const LkTokNormalizer *self,
                         LkTokNorm             *norm)
{
  if (self == NULL)
    return;

  switch (self->kind)
    {
    case NORM_BERT:
      apply_bert (self, norm);
      break;
    case NORM_SEQUENCE:
      for (guint i = 0; i < self->children->len && !norm->too_long; i++)
        lk_tok_normalizer_apply (g_ptr_array_index (self->children, i), norm);
      break;
    case NORM_PRECOMPILED:
      lk_tok_precompiled_apply (self->precompiled, norm);
      break;
    case NORM_REPLACE:
      replace (self, norm);
      break;
    case NORM_STRIP:
      strip (self, norm);
      break;
    case NORM_LOWERCASE:
      expand (norm, lower);
      break;
    case NORM_NFD:
      decompose_all (norm, decompose);
      break;
    case NORM_NFKD:
      decompose_all (norm, decompose_compat);
      break;
    case NORM_NFC:
      lk_tok_nfc (norm);
      break;
    case NORM_STRIP_ACCENTS:
      expand (norm, keep_uncombined);
      break;
    case NORM_PREPEND:
      prepend (self, norm);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
lk_tok_normalizer_free (LkTokNormalizer *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_clear_pointer (&self->precompiled, lk_tok_precompiled_free);
  g_clear_pointer (&self->regex, g_regex_unref);
  g_free (self->content);
  g_free (self);
}

/* ---- Reading ------------------------------------------------------------ */

static gboolean
read_bert (LkTokNormalizer  *self,
           JsonObject       *obj,
           const char       *file,
           const char       *where,
           GError          **error)
{
  if (!lk_tok_json_bool (obj, "clean_text", TRUE, file, where, &self->clean_text, error) ||
      !lk_tok_json_bool (obj, "handle_chinese_chars", TRUE, file, where, &self->chinese, error) ||
      !lk_tok_json_bool (obj, "lowercase", TRUE, file, where, &self->lowercase, error))
    return FALSE;
  /* strip_accents: null means "do what lowercase does" */
  return lk_tok_json_bool (obj, "strip_accents", self->lowercase, file, where, &self->strip_accents, error);
}

static gboolean
read_sequence (LkTokNormalizer  *self,
               JsonObject       *obj,
               const char       *file,
               const char       *where,
               GError          **error)
{
  JsonArray *list = lk_tok_json_array (obj, "normalizers", TRUE, file, where, error);

  if (list == NULL)
    return FALSE;
  self->children = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_tok_normalizer_free);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      g_autofree char *child_where = g_strdup_printf ("%s.normalizers[%u]", where, i);
      JsonNode *node = json_array_get_element (list, i);
      LkTokNormalizer *child;

      if (JSON_NODE_HOLDS_NULL (node))
        continue;
      child = lk_tok_normalizer_from_json (node, file, child_where, error);
      if (child == NULL)
        return FALSE;
      g_ptr_array_add (self->children, child);
    }
  return TRUE;
}

static gboolean
read_replace (LkTokNormalizer  *self,
              JsonObject       *obj,
              const char       *file,
              const char       *where,
              GError          **error)
{
  g_autofree char *pattern_where = g_strdup_printf ("%s.pattern", where);
  JsonObject *pattern = lk_tok_json_object (obj, "pattern", TRUE, file, where, error);
  const char *content = pattern ? lk_tok_json_string (obj, "content", TRUE, file, where, error) : NULL;
  g_autofree char *regex = NULL;
  g_autoptr(GError) local = NULL;

  if (content == NULL)
    return FALSE;
  if (json_object_has_member (pattern, "String"))
    {
      const char *literal = lk_tok_json_string (pattern, "String", TRUE, file, pattern_where, error);
      if (literal == NULL)
        return FALSE;
      regex = g_regex_escape_string (literal, -1);
    }
  else if (json_object_has_member (pattern, "Regex"))
    {
      const char *source = lk_tok_json_string (pattern, "Regex", TRUE, file, pattern_where, error);
      if (source == NULL)
        return FALSE;
      regex = g_strdup (source);
    }
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: %s has neither String nor Regex"), file, pattern_where);
      return FALSE;
    }
  self->content = g_strdup (content);
  self->regex = g_regex_new (regex, G_REGEX_OPTIMIZE, 0, &local);
  if (self->regex == NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                 _("%s: %s is not a regular expression this program understands: %s"),
                 file, pattern_where, local->message);
  return self->regex != NULL;
}

static gboolean
read_strip (LkTokNormalizer  *self,
            JsonObject       *obj,
            const char       *file,
            const char       *where,
            GError          **error)
{
  return lk_tok_json_bool (obj, "strip_left", TRUE, file, where, &self->left, error) &&
         lk_tok_json_bool (obj, "strip_right", TRUE, file, where, &self->right, error);
}

static gboolean
read_prepend (LkTokNormalizer  *self,
              JsonObject       *obj,
              const char       *file,
              const char       *where,
              GError          **error)
{
  const char *content = lk_tok_json_string (obj, "prepend", TRUE, file, where, error);

  self->content = g_strdup (content);
  return content != NULL;
}

static gboolean
read_precompiled (LkTokNormalizer  *self,
                  JsonObject       *obj,
                  const char       *file,
                  const char       *where,
                  GError          **error)
{
  const char *map;

  /* Some converted models carry a null charsmap: it changes nothing. */
  if (lk_tok_json_is_null (obj, "precompiled_charsmap"))
    {
      self->kind = NORM_SEQUENCE;
      self->children = g_ptr_array_new ();
      return TRUE;
    }
  map = lk_tok_json_string (obj, "precompiled_charsmap", TRUE, file, where, error);
  if (map == NULL)
    return FALSE;
  self->precompiled = lk_tok_precompiled_new (map, file, where, error);
  return self->precompiled != NULL;
}

typedef gboolean (*ReadFunc) (LkTokNormalizer *self, JsonObject *obj, const char *file,
                              const char *where, GError **error);

static const struct {
  const char *name;
  NormKind    kind;
  ReadFunc    read;
} kinds[] = {
  { "BertNormalizer", NORM_BERT, read_bert },
  { "Sequence", NORM_SEQUENCE, read_sequence },
  { "Precompiled", NORM_PRECOMPILED, read_precompiled },
  { "Replace", NORM_REPLACE, read_replace },
  { "Strip", NORM_STRIP, read_strip },
  { "Prepend", NORM_PREPEND, read_prepend },
  { "Lowercase", NORM_LOWERCASE, NULL },
  { "NFD", NORM_NFD, NULL },
  { "NFC", NORM_NFC, NULL },
  { "NFKD", NORM_NFKD, NULL },
  { "StripAccents", NORM_STRIP_ACCENTS, NULL },
};

static gboolean
read_kind (LkTokNormalizer  *self,
           const char       *type,
           JsonObject       *obj,
           const char       *file,
           const char       *where,
           GError          **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (type, kinds[i].name))
      {
        self->kind = kinds[i].kind;
        return kinds[i].read == NULL || kinds[i].read (self, obj, file, where, error);
      }
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("%s: %s.type '%s' is not supported here (expected BertNormalizer, Sequence, "
               "Precompiled, Replace, Strip, Prepend, Lowercase, NFD, NFC, NFKD or StripAccents)"),
               file, where, type);
  return FALSE;
}

static LkTokNormalizer *
normalizer_from_object (JsonObject  *obj,
                        const char  *file,
                        const char  *where,
                        GError     **error)
{
  const char *type = lk_tok_json_string (obj, "type", TRUE, file, where, error);
  LkTokNormalizer *self;

  if (type == NULL)
    return NULL;
  self = g_new0 (LkTokNormalizer, 1);
  if (!read_kind (self, type, obj, file, where, error))
    g_clear_pointer (&self, lk_tok_normalizer_free);
  return self;
}

/* @where names the field (e.g. "normalizer.normalizers[0]") for errors. A
 * null node is no normalizer: NULL without an error. */
LkTokNormalizer *
lk_tok_normalizer_from_json (JsonNode    *node,
                             const char  *file,
                             const char  *where,
                             GError     **error)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: %s is a %s (expected an object)"), file, where, json_node_type_name (node));
      return NULL;
    }
  return normalizer_from_object (json_node_get_object (node), file, where, error);
}
