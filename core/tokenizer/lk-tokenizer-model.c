/* lk-tokenizer-model.c — what WordPiece and Unigram models share: the vocabulary. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

/* Later ids win when a token is listed twice, as in the tokenizers package. */
void
lk_tok_model_set_token (LkTokModel *self,
                        const char *token,
                        gint32      id)
{
  char *copy = g_strdup (token);

  if (self->id_to_token->len <= (guint) id)
    g_ptr_array_set_size (self->id_to_token, id + 1);
  g_free (g_ptr_array_index (self->id_to_token, id));
  g_ptr_array_index (self->id_to_token, id) = copy;
  g_hash_table_replace (self->vocab, g_strdup (token), GINT_TO_POINTER (id + 1));
}

/* -1 if @token (@len bytes, NUL-terminated or not) is not in the vocabulary. */
gint32
lk_tok_model_lookup (const LkTokModel *self,
                     const char       *token,
                     gsize             len)
{
  char stack[64];
  g_autofree char *heap = NULL;
  char *key = stack;
  gpointer value;

  if (len >= sizeof stack)
    key = heap = g_malloc (len + 1);
  memcpy (key, token, len);
  key[len] = '\0';
  value = g_hash_table_lookup (self->vocab, key);
  return value ? GPOINTER_TO_INT (value) - 1 : -1;
}

void
lk_tok_model_free (LkTokModel *self)
{
  if (self == NULL)
    return;
  if (self->free_impl != NULL && self->impl != NULL)
    self->free_impl (self->impl);
  g_clear_pointer (&self->vocab, g_hash_table_unref);
  g_clear_pointer (&self->id_to_token, g_ptr_array_unref);
  g_free (self);
}

LkTokModel *
lk_tok_model_from_json (JsonObject  *model,
                        const char  *file,
                        GError     **error)
{
  const char *type = lk_tok_json_string (model, "type", TRUE, file, "model", error);
  LkTokModel *self;
  gboolean ok;

  if (type == NULL)
    return NULL;
  if (!g_str_equal (type, "WordPiece") && !g_str_equal (type, "Unigram") && !g_str_equal (type, "BPE"))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s: model.type '%s' is not supported here (expected WordPiece, Unigram or BPE)"),
                   file, type);
      return NULL;
    }

  self = g_new0 (LkTokModel, 1);
  self->vocab = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->id_to_token = g_ptr_array_new_with_free_func (g_free);
  self->unk_id = -1;
  if (g_str_equal (type, "WordPiece"))
    {
      self->type = "WordPiece";
      ok = lk_tok_wordpiece_init (self, model, file, error);
    }
  else if (g_str_equal (type, "BPE"))
    {
      self->type = "BPE";
      ok = lk_tok_bpe_init (self, model, file, error);
    }
  else
    {
      self->type = "Unigram";
      ok = lk_tok_unigram_init (self, model, file, error);
    }
  if (!ok)
    g_clear_pointer (&self, lk_tok_model_free);
  return self;
}
