/* lk-model.h — a sentence embedding model: its tokenizer, its
 * sentence-transformers pipeline and its weights on the shim. */
#pragma once

#include <gio/gio.h>

#include "lk-async.h"
#include "lk-image.h"
#include "lk-model-store.h"
#include "lk-tokenizer.h"

G_BEGIN_DECLS

#define LK_TYPE_MODEL (lk_model_get_type ())
G_DECLARE_FINAL_TYPE (LkModel, lk_model, LK, MODEL, GObject)

typedef enum {
  LK_DEVICE_AUTO,  /* CUDA when libtorch has it and a GPU is present */
  LK_DEVICE_CPU,
  LK_DEVICE_CUDA,
} LkDevice;

typedef struct {
  LkDevice device;
  int      n_threads;   /* 0: one per core */
  int      truncate_dim; /* Matryoshka: keep the first N embedding dimensions, as sentence-transformers'
                          * truncate_dim (0: all; text embedders only) */
} LkModelOptions;

/* Fills @options from $LIKENESS_DEVICE (auto, cpu, cuda) and $LIKENESS_THREADS. */
void         lk_model_options_init_from_env (LkModelOptions *options);

/* Loads the model folder @dir; @id names it in results (NULL: the folder's name). */
LkModel     *lk_model_new_from_dir   (const char            *dir,
                                      const char            *id,
                                      const LkModelOptions  *options,
                                      GError               **error);

typedef enum {
  LK_MODEL_LOAD_NONE           = 0,
  LK_MODEL_LOAD_ALLOW_DOWNLOAD = 1 << 0, /* fetch a model missing from the cache */
} LkModelLoadFlags;

/**
 * lk_model_load:
 * @name: a hub id ("sentence-transformers/all-MiniLM-L6-v2") or a folder
 * @flags: whether it may be downloaded
 * @options: (nullable): device and threads; %NULL: from the environment
 * @progress: (scope call) (closure progress_data) (nullable): the download's bytes
 * @progress_data: (nullable): for @progress
 * @cancellable: (nullable): stops the download and the loading
 * @error: the reason when it fails
 *
 * Resolves @name as lk_model_store_resolve() does (a folder, the Hugging
 * Face cache, or with LK_MODEL_LOAD_ALLOW_DOWNLOAD a download, whose bytes
 * @progress hears) and loads it (@options NULL: from the environment). The
 * model's id is the hub id its folder holds ("ORG/NAME", also for a bare
 * NAME found as sentence-transformers/NAME), or the folder's name when
 * @name named a folder. @cancellable stops the download (its partial file
 * is kept) and the loading between its steps (reading the configuration,
 * the tokenizer, the weights; the shim's reading of the weights is one
 * call that runs to its end): a cancelled load returns G_IO_ERROR_CANCELLED
 * and keeps no model. Blocks: call it from a worker thread or a
 * command-line tool.
 *
 * Returns: (transfer full): the model, or %NULL with @error set
 */
LkModel     *lk_model_load           (const char            *name,
                                      LkModelLoadFlags       flags,
                                      const LkModelOptions  *options,
                                      LkDownloadProgress     progress,
                                      gpointer               progress_data,
                                      GCancellable          *cancellable,
                                      GError               **error);
/**
 * lk_model_load_async: (skip)
 *
 * The same in a worker thread; the environment and @options are read now,
 * in the calling thread. @progress runs in the calling thread's
 * thread-default main context, coalesced, and never after @callback
 * (lk-async.h): @progress_data must stay valid until @callback has run.
 * Once @cancellable is cancelled the result is G_IO_ERROR_CANCELLED, even
 * for a model that finished loading meanwhile (it is dropped).
 */
void         lk_model_load_async     (const char            *name,
                                      LkModelLoadFlags       flags,
                                      const LkModelOptions  *options,
                                      LkDownloadProgress     progress,
                                      gpointer               progress_data,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data);
/**
 * lk_model_load_finish: (skip)
 */
LkModel     *lk_model_load_finish    (GAsyncResult          *result,
                                      GError               **error);
/**
 * lk_model_new:
 * @name: a hub id ("sentence-transformers/all-MiniLM-L6-v2") or a folder
 * @options: (nullable): device and threads; %NULL: from the environment
 * @error: the reason when it fails
 *
 * lk_model_load (@name, LK_MODEL_LOAD_NONE, @options, NULL, NULL, NULL,
 * @error): no download.
 *
 * Returns: (transfer full): the model, or %NULL with @error set
 */
LkModel     *lk_model_new            (const char            *name,
                                      const LkModelOptions  *options,
                                      GError               **error);

const char  *lk_model_get_id             (LkModel *self);
const char  *lk_model_get_path           (LkModel *self);
const char  *lk_model_get_architecture   (LkModel *self); /* config.json model_type */
const char  *lk_model_get_device_name    (LkModel *self);
guint        lk_model_get_dim            (LkModel *self);
guint        lk_model_get_max_seq_length (LkModel *self);
gboolean     lk_model_get_normalize      (LkModel *self);
/* The truncate_dim it was loaded with (0: the full embedding). */
guint        lk_model_get_truncate_dim   (LkModel *self);
/**
 * lk_model_get_prompt_names:
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the names
 * of the prompts in config_sentence_transformers.json ("query", …)
 */
const char * const *lk_model_get_prompt_names (LkModel *self);
/* The text of prompt @name, or NULL when the model has none of that name. */
const char  *lk_model_get_prompt         (LkModel *self, const char *name);
/* The prompt names of model folder @dir without loading it (for a chooser
 * shown before the model is): @names NULL-terminated (free with
 * g_strfreev), @default_name the default_prompt_name or NULL. */
gboolean     lk_model_read_prompts       (const char *dir, char ***names, char **default_name, GError **error);
/* default_prompt_name: the prompt sentence-transformers uses when none is named. */
const char  *lk_model_get_default_prompt_name (LkModel *self);
/**
 * lk_model_get_tokenizer: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
LkTokenizer *lk_model_get_tokenizer      (LkModel *self);

/**
 * lk_model_tokenize: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
/* Token ids as the model sees them: truncated to max_seq_length. */
LkEncoding  *lk_model_tokenize           (LkModel     *self,
                                          const char  *text,
                                          GError     **error);
/**
 * lk_model_tokenize_named: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
/* The same, with its errors prefixed by @what ("text A", "the caption"), so
 * that a message about invalid UTF-8 says which input it is about. */
LkEncoding  *lk_model_tokenize_named     (LkModel     *self,
                                          const char  *text,
                                          const char  *what,
                                          GError     **error);

/**
 * lk_model_embed: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
/* Embeds @n texts into @out (n × dim floats, the whole pipeline). Empty
 * texts are an error: they carry nothing to explain. @n_truncated, when not
 * NULL, receives how many texts were cut to max_seq_length. */
gboolean     lk_model_embed              (LkModel            *self,
                                          const char * const *texts,
                                          guint               n,
                                          float              *out,
                                          guint              *n_truncated,
                                          LkProgressFunc      progress,
                                          gpointer            progress_data,
                                          GCancellable       *cancellable,
                                          GError            **error);

/**
 * lk_model_embed_ids: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
/* Embeds @n token-id sequences (special tokens included, as the model's
 * tokenizer writes them) into @out (n × dim floats): for masked inputs. */
gboolean     lk_model_embed_ids          (LkModel             *self,
                                          guint                n,
                                          const gint32 *const *ids,
                                          const guint         *lengths,
                                          float               *out,
                                          GCancellable        *cancellable,
                                          GError             **error);

/* CLIP models (a CLIPModel folder): the image side. For them, lk_model_embed
 * and lk_model_tokenize use the text tower (the text projection of the
 * end-of-text token) and lk_model_get_dim is the shared space's. */
gboolean     lk_model_has_vision         (LkModel            *self);
/* The square side the vision tower takes (224 for ViT-B/32); 0 without one. */
guint        lk_model_get_image_size     (LkModel            *self);
/**
 * lk_model_preprocess_image: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
/* CLIPImageProcessor: shortest side to image_size (bicubic), centre crop,
 * rescale, normalise; @out holds 3 × S × S floats. */
gboolean     lk_model_preprocess_image   (LkModel            *self,
                                          const LkImage      *image,
                                          float              *out,
                                          GError            **error);
/**
 * lk_model_embed_pixels: (skip)
 *
 * Not for bindings: it takes or gives types of the C API only.
 */
/* Image embeddings (vision tower + visual projection), n × dim, of @n
 * preprocessed images (n × 3 × S × S floats). */
gboolean     lk_model_embed_pixels       (LkModel            *self,
                                          guint               n,
                                          const float        *pixels,
                                          float              *out,
                                          GCancellable       *cancellable,
                                          GError            **error);

/* FALSE, with "WHAT is not finite (NaN in component 17); the model's weights
 * may hold NaN or Inf", when one of the @n floats at @v is NaN or ±inf: what
 * a model computes is checked here before anything is derived or written. */
gboolean     lk_check_finite             (const float *v,
                                          gsize        n,
                                          const char  *what,
                                          GError     **error);

double       lk_cosine                   (const float *a,
                                          const float *b,
                                          guint        dim);

G_END_DECLS
