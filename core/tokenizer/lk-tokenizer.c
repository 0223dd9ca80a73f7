/* lk-tokenizer.c — LkTokenizer: reading tokenizer.json and encoding text.
 *
 * The steps, in the order the tokenizers package runs them: added tokens are
 * found in the raw text; each stretch between them is normalized; added
 * tokens marked "normalized" are found in the result; the rest is cut into
 * words, and the model cuts words into pieces. Then truncation, then the
 * post-processor's special tokens.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-tokenizer-private.h"

G_DEFINE_FINAL_TYPE (LkTokenizer, lk_tokenizer, G_TYPE_OBJECT)

static void
lk_tokenizer_finalize (GObject *object)
{
  LkTokenizer *self = LK_TOKENIZER (object);

  g_clear_pointer (&self->model, lk_tok_model_free);
  g_clear_pointer (&self->normalizer, lk_tok_normalizer_free);
  g_clear_pointer (&self->pre_tokenizer, lk_tok_pre_tokenizer_free);
  lk_tok_post_clear (&self->post);
  g_clear_pointer (&self->added_raw, g_ptr_array_unref);
  g_clear_pointer (&self->added_normalized, g_ptr_array_unref);
  g_clear_pointer (&self->added, g_ptr_array_unref);
  g_clear_pointer (&self->id_to_token, g_ptr_array_unref);

  G_OBJECT_CLASS (lk_tokenizer_parent_class)->finalize (object);
}

static void
lk_tokenizer_class_init (LkTokenizerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_tokenizer_finalize;
}

static void
lk_tokenizer_init (LkTokenizer *self)
{
  self->pad_id = -1;
}

static void
free_added_copy (LkTokAdded *token)
{
  g_free (token->content);
  g_free (token);
}

/* Normalized added tokens are looked for in normalized text, so their content
 * is normalized too (as the tokenizers package does). */
static gboolean
sort_added_tokens (LkTokenizer *self,
                   const char  *file,
                   GError     **error)
{
  self->added_raw = g_ptr_array_new ();
  self->added_normalized = g_ptr_array_new_with_free_func ((GDestroyNotify) free_added_copy);
  for (guint i = 0; i < self->added->len; i++)
    {
      LkTokAdded *token = g_ptr_array_index (self->added, i);
      g_autoptr(LkTokNorm) norm = NULL;
      LkTokAdded *copy;

      if (!token->normalized)
        {
          g_ptr_array_add (self->added_raw, token);
          continue;
        }
      norm = lk_tok_norm_new (token->content, 0, token->len);
      /* Tighter than a text's: every added token keeps its normalized copy. */
      norm->limit = MAX (64 * token->len, 256);
      lk_tok_normalizer_apply (self->normalizer, norm);
      if (norm->too_long)
        {
          g_autoptr(GError) local = NULL;

          lk_tok_norm_set_too_long (norm, token->len, &local);
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: added token %d: %s"),
                       file, token->id, local->message);
          return FALSE;
        }
      if (norm->str->len == 0)
        continue;
      copy = g_memdup2 (token, sizeof *token);
      copy->content = g_strndup (norm->str->str, norm->str->len);
      copy->len = norm->str->len;
      g_ptr_array_add (self->added_normalized, copy);
    }
  return TRUE;
}

/* Added tokens name ids first, as in the tokenizers package. */
static void
build_id_to_token (LkTokenizer *self)
{
  GPtrArray *model = self->model->id_to_token;

  self->id_to_token = g_ptr_array_new ();
  g_ptr_array_set_size (self->id_to_token, model->len);
  for (guint i = 0; i < model->len; i++)
    g_ptr_array_index (self->id_to_token, i) = g_ptr_array_index (model, i);
  for (guint i = 0; i < self->added->len; i++)
    {
      LkTokAdded *token = g_ptr_array_index (self->added, i);

      if ((guint) token->id >= self->id_to_token->len)
        g_ptr_array_set_size (self->id_to_token, token->id + 1);
      g_ptr_array_index (self->id_to_token, token->id) = token->content;
    }
}

static gboolean
read_padding (LkTokenizer  *self,
              JsonObject   *root,
              const char   *file,
              GError      **error)
{
  JsonObject *padding;
  gint64 pad_id;

  if (lk_tok_json_is_null (root, "padding"))
    return TRUE;
  padding = lk_tok_json_object (root, "padding", TRUE, file, "", error);
  if (padding == NULL || !lk_tok_json_int (padding, "pad_id", -1, file, "padding", &pad_id, error))
    return FALSE;
  self->pad_id = pad_id >= 0 && pad_id <= G_MAXINT32 ? pad_id : -1;
  return TRUE;
}

static gboolean
read_root (LkTokenizer  *self,
           JsonObject   *root,
           const char   *file,
           GError      **error)
{
  JsonObject *model = lk_tok_json_object (root, "model", TRUE, file, "", error);
  GError *local = NULL;

  if (model == NULL || (self->model = lk_tok_model_from_json (model, file, error)) == NULL)
    return FALSE;
  if (!lk_tok_json_is_null (root, "added_tokens"))
    {
      JsonArray *added = lk_tok_json_array (root, "added_tokens", TRUE, file, "", error);
      if (added == NULL || (self->added = lk_tok_added_from_json (added, file, error)) == NULL)
        return FALSE;
    }
  else
    self->added = lk_tok_added_from_json (NULL, file, error);

  self->normalizer = lk_tok_normalizer_from_json (json_object_get_member (root, "normalizer"),
                                              file, "normalizer", &local);
  if (local == NULL)
    self->pre_tokenizer = lk_tok_pre_tokenizer_from_json (json_object_get_member (root, "pre_tokenizer"),
                                                      file, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (!lk_tok_post_init (&self->post, json_object_get_member (root, "post_processor"), file, error) ||
      !read_padding (self, root, file, error))
    return FALSE;

  if (!sort_added_tokens (self, file, error))
    return FALSE;
  build_id_to_token (self);
  return TRUE;
}

LkTokenizer *
lk_tokenizer_new_from_file (const char  *tokenizer_json_path,
                            GError     **error)
{
  g_autoptr(LkTokenizer) self = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (tokenizer_json_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((root = lk_json_parse_file (tokenizer_json_path, error)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: the top level is not a JSON object (expected a tokenizer.json)"),
                   tokenizer_json_path);
      return NULL;
    }

  self = g_object_new (LK_TYPE_TOKENIZER, NULL);
  if (!read_root (self, json_node_get_object (root), tokenizer_json_path, error))
    return NULL;
  return g_steal_pointer (&self);
}

static gint32
find_token (LkTokenizer *self,
            const char  *a,
            const char  *b)
{
  gint32 id = lk_tok_model_lookup (self->model, a, strlen (a));

  for (guint i = 0; id < 0 && i < self->added->len; i++)
    {
      LkTokAdded *token = g_ptr_array_index (self->added, i);
      if (g_str_equal (token->content, a) || g_str_equal (token->content, b))
        id = token->id;
    }
  return id >= 0 ? id : lk_tok_model_lookup (self->model, b, strlen (b));
}

/* Without a padding block in tokenizer.json, transformers takes the pad
 * token from tokenizer_config.json (or special_tokens_map.json): a string,
 * or an object with its "content". Qwen's tokenizers name <|endoftext|>
 * there and nowhere else. A file that cannot be read leaves no pad token:
 * the methods that need one say so. */
static void
read_pad_token (LkTokenizer *self,
                const char  *model_dir)
{
  static const char *const files[] = { "tokenizer_config.json", "special_tokens_map.json" };

  for (guint f = 0; f < G_N_ELEMENTS (files) && self->pad_id < 0; f++)
    {
      g_autofree char *path = g_build_filename (model_dir, files[f], NULL);
      g_autoptr(JsonNode) root = g_file_test (path, G_FILE_TEST_IS_REGULAR) ? lk_json_parse_file (path, NULL) : NULL;
      JsonNode *node;
      const char *content = NULL;

      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
          (node = json_object_get_member (json_node_get_object (root), "pad_token")) == NULL)
        continue;
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        content = json_node_get_string (node);
      else if (JSON_NODE_HOLDS_OBJECT (node))
        content = json_object_get_string_member_with_default (json_node_get_object (node), "content", NULL);
      if (content != NULL)
        self->pad_id = find_token (self, content, content);
    }
}

LkTokenizer *
lk_tokenizer_new_from_dir (const char  *model_dir,
                           GError     **error)
{
  g_autoptr(LkTokenizer) self = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (model_dir != NULL, NULL);

  path = g_build_filename (model_dir, "tokenizer.json", NULL);
  self = lk_tokenizer_new_from_file (path, error);
  if (self != NULL && self->pad_id < 0)
    read_pad_token (self, model_dir);
  return g_steal_pointer (&self);
}

const char *
lk_tokenizer_id_to_token (LkTokenizer *self,
                          gint32       id)
{
  g_return_val_if_fail (LK_IS_TOKENIZER (self), NULL);

  if (id < 0 || (guint) id >= self->id_to_token->len)
    return NULL;
  return g_ptr_array_index (self->id_to_token, id);
}

gint32
lk_tokenizer_get_special_id (LkTokenizer    *self,
                             LkSpecialToken  which)
{
  g_return_val_if_fail (LK_IS_TOKENIZER (self), -1);

  switch (which)
    {
    case LK_SPECIAL_CLS:
      if (self->post.prefix->len > 0)
        return g_array_index (self->post.prefix, gint32, 0);
      return find_token (self, "[CLS]", "<s>");
    case LK_SPECIAL_SEP:
      if (self->post.suffix->len > 0)
        return g_array_index (self->post.suffix, gint32, 0);
      return find_token (self, "[SEP]", "</s>");
    case LK_SPECIAL_PAD:
      return self->pad_id >= 0 ? self->pad_id : find_token (self, "[PAD]", "<pad>");
    case LK_SPECIAL_MASK:
      return find_token (self, "[MASK]", "<mask>");
    case LK_SPECIAL_UNK:
      return self->model->unk_id;
    default:
      g_return_val_if_reached (-1);
    }
}

guint
lk_tokenizer_get_vocab_size (LkTokenizer *self)
{
  g_return_val_if_fail (LK_IS_TOKENIZER (self), 0);

  return self->id_to_token->len;
}

const char *
lk_tokenizer_get_model_type (LkTokenizer *self)
{
  g_return_val_if_fail (LK_IS_TOKENIZER (self), NULL);

  return self->model->type;
}
