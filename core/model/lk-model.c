/* lk-model.c — a loaded embedding model: tokenizer + shim weights. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "lk-backend.h"
#include "lk-error.h"
#include "lk-model.h"
#include "lk-model-private.h"

struct _LkModel
{
  GObject        parent_instance;

  char          *id;
  char          *path;
  LkModelConfig  config;
  LkTokenizer   *tokenizer;
  lk_shim_model *shim;
};

G_DEFINE_FINAL_TYPE (LkModel, lk_model, G_TYPE_OBJECT)

static void
lk_model_finalize (GObject *object)
{
  LkModel *self = LK_MODEL (object);

  g_clear_pointer (&self->shim, lk_shim_model_free);
  g_clear_object (&self->tokenizer);
  lk_model_config_clear (&self->config);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->path, g_free);
  G_OBJECT_CLASS (lk_model_parent_class)->finalize (object);
}

static void
lk_model_class_init (LkModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_model_finalize;
}

static void
lk_model_init (LkModel *self)
{
}

void
lk_model_options_init_from_env (LkModelOptions *options)
{
  const char *dev = g_getenv ("LIKENESS_DEVICE");
  const char *threads = g_getenv ("LIKENESS_THREADS");

  options->device = LK_DEVICE_AUTO;
  if (g_strcmp0 (dev, "cpu") == 0)
    options->device = LK_DEVICE_CPU;
  else if (g_strcmp0 (dev, "cuda") == 0)
    options->device = LK_DEVICE_CUDA;
  options->n_threads = threads ? atoi (threads) : 0;
  options->truncate_dim = 0;
}

/* The shim's load is one call that cannot be stopped: @cancellable is
 * checked before each step and after the last, and a cancelled model is
 * dropped whole. */
LkModel *
lk_model_load_dir (const char            *dir,
                   const char            *id,
                   const LkModelOptions  *options,
                   GCancellable          *cancellable,
                   GError               **error)
{
  g_autoptr(LkModel) self = g_object_new (LK_TYPE_MODEL, NULL);
  LkModelOptions defaults;
  lk_shim_status st;

  g_assert (dir != NULL);

  if (options == NULL)
    {
      lk_model_options_init_from_env (&defaults);
      options = &defaults;
    }
  self->path = g_canonicalize_filename (dir, NULL);
  self->id = id ? g_strdup (id) : g_path_get_basename (self->path);
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !lk_model_config_read (&self->config, self->path, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      (self->tokenizer = lk_tokenizer_new_from_dir (self->path, error)) == NULL)
    return NULL;
  if (lk_tokenizer_get_vocab_size (self->tokenizer) > (guint) self->config.params.vocab_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   "%s: the tokenizer has %u ids but config.json's vocab_size is %d",
                   self->path, lk_tokenizer_get_vocab_size (self->tokenizer), self->config.params.vocab_size);
      return NULL;
    }
  self->config.params.device = (lk_shim_device) options->device;
  self->config.params.n_threads = options->n_threads;
  self->config.params.truncate_dim = options->truncate_dim;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  self->shim = lk_shim_model_load (&self->config.params, &st);
  if (self->shim == NULL)
    {
      lk_backend_set_error (&st, self->path, NULL, error);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}

LkModel *
lk_model_new_from_dir (const char            *dir,
                       const char            *id,
                       const LkModelOptions  *options,
                       GError               **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return lk_model_load_dir (dir, id, options, NULL, error);
}

const char *lk_model_get_id (LkModel *self) { return self->id; }
const char *lk_model_get_path (LkModel *self) { return self->path; }
const char *lk_model_get_architecture (LkModel *self) { return self->config.model_type; }
const char *lk_model_get_device_name (LkModel *self) { return lk_shim_model_device_name (self->shim); }
guint lk_model_get_dim (LkModel *self) { return lk_shim_model_embedding_dim (self->shim); }
guint lk_model_get_max_seq_length (LkModel *self) { return self->config.max_seq_length; }
gboolean lk_model_get_normalize (LkModel *self) { return self->config.params.normalize != 0; }
guint lk_model_get_truncate_dim (LkModel *self) { return self->config.params.truncate_dim; }
LkTokenizer *lk_model_get_tokenizer (LkModel *self) { return self->tokenizer; }
const char * const *lk_model_get_prompt_names (LkModel *self) { return (const char * const *) self->config.prompt_names; }
const char *lk_model_get_default_prompt_name (LkModel *self) { return self->config.default_prompt_name; }

const char *
lk_model_get_prompt (LkModel *self, const char *name)
{
  g_return_val_if_fail (LK_IS_MODEL (self), NULL);
  for (guint i = 0; name && self->config.prompt_names && self->config.prompt_names[i]; i++)
    if (g_str_equal (self->config.prompt_names[i], name))
      return self->config.prompt_texts[i];
  return NULL;
}

lk_shim_model *
lk_model_get_shim (gpointer model)
{
  return LK_MODEL (model)->shim;
}

LkModelConfig *
lk_model_get_config (gpointer model)
{
  return &LK_MODEL (model)->config;
}

LkEncoding *
lk_model_tokenize (LkModel     *self,
                   const char  *text,
                   GError     **error)
{
  g_return_val_if_fail (LK_IS_MODEL (self), NULL);
  return lk_tokenizer_encode (self->tokenizer, text, self->config.max_seq_length, error);
}

LkEncoding *
lk_model_tokenize_named (LkModel     *self,
                         const char  *text,
                         const char  *what,
                         GError     **error)
{
  LkEncoding *enc = lk_model_tokenize (self, text, error);

  if (enc == NULL)
    g_prefix_error (error, "%s: ", what);
  return enc;
}

typedef struct {
  GCancellable   *cancellable;   /* first: lk_backend_abort reads it */
  LkProgressFunc  progress;
  gpointer        data;
} RunData;

static void
run_progress (double fraction, void *user_data)
{
  RunData *r = user_data;
  if (r->progress)
    r->progress (fraction, r->data);
}

gboolean
lk_check_finite (const float  *v,
                 gsize         n,
                 const char   *what,
                 GError      **error)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (v[i]))
      {
        g_set_error (error, LK_ERROR, LK_ERROR_BACKEND,
                     "%s is not finite (%s in component %" G_GSIZE_FORMAT "); the model's weights may hold NaN or Inf",
                     what, isnan (v[i]) ? "NaN" : v[i] > 0 ? "+Inf" : "-Inf", i);
        return FALSE;
      }
  return TRUE;
}

/* "text A" and "text B" for a pair, as the CLI and the app name them. */
static char *
text_name (guint i, guint n)
{
  return n == 2 ? g_strdup_printf ("text %c", 'A' + i) : g_strdup_printf ("text %u", i + 1);
}

static gboolean
check_embeddings (const float *out, guint n, guint dim, gboolean texts, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = texts ? text_name (i, n) : g_strdup_printf ("token sequence %u", i + 1);
      g_autofree char *what = g_strdup_printf ("the embedding of %s", name);

      if (!lk_check_finite (out + (gsize) i * dim, dim, what, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
text_is_blank (const char *text)
{
  /* Invalid UTF-8 is not blank: the tokenizer reports where it breaks. */
  if (text != NULL && !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *p = text; p && *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
lk_model_embed (LkModel            *self,
                const char * const *texts,
                guint               n,
                float              *out,
                guint              *n_truncated,
                LkProgressFunc      progress,
                gpointer            progress_data,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autoptr(GPtrArray) encs = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_encoding_free);
  g_autofree const int32_t **ids = g_new0 (const int32_t *, n + 1);
  g_autofree int *lens = g_new0 (int, n + 1);
  RunData rd = { cancellable, progress, progress_data };
  lk_shim_run_params run;
  lk_shim_status st;
  guint cut = 0;

  g_return_val_if_fail (LK_IS_MODEL (self), FALSE);
  g_return_val_if_fail (n == 0 || (texts != NULL && out != NULL), FALSE);

  for (guint i = 0; i < n; i++)
    {
      LkEncoding *enc;
      if (text_is_blank (texts[i]))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "text %u is empty: there is nothing to embed", i + 1);
          return FALSE;
        }
      g_autofree char *name = text_name (i, n);

      if ((enc = lk_model_tokenize_named (self, texts[i], name, error)) == NULL)
        return FALSE;
      g_ptr_array_add (encs, enc);
      ids[i] = enc->ids;
      lens[i] = enc->n_tokens;
      cut += enc->truncated;
    }
  if (n_truncated)
    *n_truncated = cut;
  lk_shim_run_default_params (&run);
  run.abort = cancellable ? lk_backend_abort : NULL;
  run.progress = run_progress;
  run.user_data = &rd;
  if (lk_shim_embed (self->shim, n, ids, lens, out, &run, &st) != 0)
    return lk_backend_set_error (&st, self->id, NULL, error);
  return check_embeddings (out, n, lk_model_get_dim (self), TRUE, error);
}

gboolean
lk_model_embed_ids (LkModel             *self,
                    guint                n,
                    const gint32 *const *ids,
                    const guint         *lengths,
                    float               *out,
                    GCancellable        *cancellable,
                    GError             **error)
{
  g_autofree int *lens = g_new0 (int, n + 1);
  RunData rd = { cancellable, NULL, NULL };
  lk_shim_run_params run;
  lk_shim_status st;

  g_return_val_if_fail (LK_IS_MODEL (self), FALSE);
  g_return_val_if_fail (n == 0 || (ids != NULL && lengths != NULL && out != NULL), FALSE);

  for (guint i = 0; i < n; i++)
    lens[i] = lengths[i];
  lk_shim_run_default_params (&run);
  run.batch_size = MAX (n, 1);
  run.abort = cancellable ? lk_backend_abort : NULL;
  run.user_data = &rd;
  if (lk_shim_embed (self->shim, n, (const int32_t *const *) ids, lens, out, &run, &st) != 0)
    return lk_backend_set_error (&st, self->id, NULL, error);
  return check_embeddings (out, n, lk_model_get_dim (self), FALSE, error);
}

double
lk_cosine (const float *a,
           const float *b,
           guint        dim)
{
  double ab = 0, aa = 0, bb = 0;

  for (guint i = 0; i < dim; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return ab / fmax (sqrt (aa) * sqrt (bb), 1e-12);
}
