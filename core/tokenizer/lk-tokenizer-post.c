/* lk-tokenizer-post.c — post-processors: the special tokens around the text.
 *
 * TemplateProcessing, BertProcessing and RobertaProcessing all come down to
 * ids before and after the text for a single sequence. RobertaProcessing may
 * also trim whitespace off the offsets of tokens whose text has some.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

#define BYTE_LEVEL_SPACE 0x120   /* "Ġ", the byte-level encoding of a space */

void
lk_tok_count_trim (const char *s,
                   gsize       len,
                   gint       *lead,
                   gint       *trail)
{
  const char *end = s + len;

  *lead = *trail = 0;
  for (const char *p = s; p < end; p = g_utf8_next_char (p), (*lead)++)
    {
      gunichar c = g_utf8_get_char (p);
      if (c != BYTE_LEVEL_SPACE && !lk_tok_unichar_is_whitespace (c))
        break;
    }
  for (const char *p = end; p > s; (*trail)++)
    {
      gunichar c;

      p = g_utf8_prev_char (p);
      c = g_utf8_get_char (p);
      if (c != BYTE_LEVEL_SPACE && !lk_tok_unichar_is_whitespace (c))
        break;
    }
}

/* Moves @pos @n characters forward in @text, not past @limit. */
static gsize
forward (const char *text,
         gsize       pos,
         gint        n,
         gsize       limit)
{
  while (n-- > 0 && pos < limit)
    pos = g_utf8_next_char (text + pos) - text;
  return MIN (pos, limit);
}

/* The tokenizers package does this on character offsets: start += lead
 * (capped at end), end -= trail when there are that many characters before
 * it (floored at start). */
static void
trim_one (const char *text,
          LkTokToken *tok,
          gint        lead,
          gint        trail)
{
  gsize end = tok->end;
  gint n;

  if (lead > 0)
    tok->start = forward (text, tok->start, lead, tok->end);
  if (trail <= 0)
    return;
  for (n = 0; n < trail && end > 0; n++)
    end = g_utf8_prev_char (text + end) - text;
  if (n == trail)
    tok->end = MAX (end, tok->start);
}

void
lk_tok_post_trim (const LkTokPost *self,
                  const char      *text,
                  GArray          *toks)
{
  if (!self->trim_offsets)
    return;

  for (guint i = 0; i < toks->len; i++)
    {
      LkTokToken *tok = &g_array_index (toks, LkTokToken, i);
      gint lead = tok->trim_lead;

      /* With add_prefix_space the first token keeps its one leading space. */
      if (lead == 1 && self->add_prefix_space && (i == 0 || tok->start == 0))
        lead = 0;
      trim_one (text, tok, lead, tok->trim_trail);
    }
}

static gboolean
add_ids (GArray      *ids,
         JsonObject  *specials,
         const char  *name,
         const char  *file,
         GError     **error)
{
  JsonObject *special = specials ? lk_tok_json_object (specials, name, TRUE, file,
                                                   "post_processor.special_tokens", error) : NULL;
  g_autofree char *where = g_strdup_printf ("post_processor.special_tokens.%s", name);
  JsonArray *list = special ? lk_tok_json_array (special, "ids", TRUE, file, where, error) : NULL;

  if (list == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      gint32 id;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: %s.ids[%u] is not an id (expected an integer)"), file, where, i);
          return FALSE;
        }
      id = json_node_get_int (node);
      g_array_append_val (ids, id);
    }
  return TRUE;
}

/* Items before the sequence "A" are the prefix, those after it the suffix. */
static gboolean
read_template (LkTokPost   *self,
               JsonObject  *obj,
               const char  *file,
               GError     **error)
{
  JsonArray *single = lk_tok_json_array (obj, "single", TRUE, file, "post_processor", error);
  JsonObject *specials = single ? lk_tok_json_object (obj, "special_tokens", TRUE, file, "post_processor", error) : NULL;
  GArray *side = self->prefix;

  if (specials == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (single); i++)
    {
      JsonNode *node = json_array_get_element (single, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *special = item && json_object_has_member (item, "SpecialToken")
                            ? json_object_get_object_member (item, "SpecialToken") : NULL;
      const char *name = special ? json_object_get_string_member_with_default (special, "id", NULL) : NULL;

      if (item != NULL && json_object_has_member (item, "Sequence"))
        side = self->suffix;
      else if (name == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: post_processor.single[%u] is neither a SpecialToken nor a Sequence"), file, i);
          return FALSE;
        }
      else if (!add_ids (side, specials, name, file, error))
        return FALSE;
    }
  return TRUE;
}

/* BertProcessing and RobertaProcessing: "cls": [token, id], "sep": [token, id]. */
static gboolean
read_pair (GArray      *ids,
           JsonObject  *obj,
           const char  *member,
           const char  *file,
           GError     **error)
{
  JsonArray *pair = lk_tok_json_array (obj, member, TRUE, file, "post_processor", error);
  JsonNode *id = pair && json_array_get_length (pair) == 2 ? json_array_get_element (pair, 1) : NULL;
  gint32 value;

  if (pair == NULL)
    return FALSE;
  if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_INT64)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: post_processor.%s is not a [token, id] pair"), file, member);
      return FALSE;
    }
  value = json_node_get_int (id);
  g_array_append_val (ids, value);
  return TRUE;
}

static gboolean
read_kind (LkTokPost   *self,
           JsonObject  *obj,
           const char  *type,
           const char  *file,
           GError     **error)
{
  if (g_str_equal (type, "TemplateProcessing"))
    return read_template (self, obj, file, error);
  if (g_str_equal (type, "BertProcessing"))
    return read_pair (self->prefix, obj, "cls", file, error) &&
           read_pair (self->suffix, obj, "sep", file, error);
  if (g_str_equal (type, "RobertaProcessing"))
    return read_pair (self->prefix, obj, "cls", file, error) &&
           read_pair (self->suffix, obj, "sep", file, error) &&
           lk_tok_json_bool (obj, "trim_offsets", TRUE, file, "post_processor", &self->trim_offsets, error) &&
           lk_tok_json_bool (obj, "add_prefix_space", TRUE, file, "post_processor", &self->add_prefix_space, error);
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("%s: post_processor.type '%s' is not supported here "
               "(expected TemplateProcessing, BertProcessing or RobertaProcessing)"), file, type);
  return FALSE;
}

/* A null node adds no special tokens. */
gboolean
lk_tok_post_init (LkTokPost   *self,
                  JsonNode    *node,
                  const char  *file,
                  GError     **error)
{
  JsonObject *obj;
  const char *type;

  self->prefix = g_array_new (FALSE, FALSE, sizeof (gint32));
  self->suffix = g_array_new (FALSE, FALSE, sizeof (gint32));
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: post_processor is a %s (expected an object)"), file, json_node_type_name (node));
      return FALSE;
    }
  obj = json_node_get_object (node);
  type = lk_tok_json_string (obj, "type", TRUE, file, "post_processor", error);
  return type != NULL && read_kind (self, obj, type, file, error);
}

void
lk_tok_post_clear (LkTokPost *self)
{
  g_clear_pointer (&self->prefix, g_array_unref);
  g_clear_pointer (&self->suffix, g_array_unref);
}
