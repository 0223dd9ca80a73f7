/* lk-model-store.h — find a model's folder: a path, the Hugging Face cache,
 * or a download from the hub into that cache.
 *
 * Resolution order for a name:
 *  1. an existing folder (absolute, relative or "~/…") holding config.json
 *     or modules.json;
 *  2. the Hugging Face cache (lk_model_store_get_cache_dir()), layout
 *     models--ORG--NAME/refs/main and snapshots/<commit>/; a bare NAME also
 *     tries sentence-transformers/NAME;
 *  3. when allowed, a download from $HF_ENDPOINT (default
 *     https://huggingface.co) into that same cache, with the same layout as
 *     huggingface_hub writes, so Python tools share what we fetch.  Never
 *     when HF_HUB_OFFLINE=1 (then LK_ERROR_OFFLINE).  $HF_TOKEN, when set, is
 *     sent to the endpoint only (for gated models).
 *
 * Errors are in the LK_ERROR domain (lk-error.h); a cancelled download gives
 * G_IO_ERROR_CANCELLED and keeps its partial file for the next attempt.
 */
#pragma once

#include <gio/gio.h>

#include "lk-async.h"

G_BEGIN_DECLS

/* LkDownloadProgress (lk-async.h) is called while downloading.  From the
 * sync call it runs in the calling thread; from the async call it runs in
 * the caller's thread-default main context, coalesced, and never after the
 * GAsyncReadyCallback. */

typedef enum {
  LK_MODEL_KIND_UNKNOWN,           /* no readable config.json */
  LK_MODEL_KIND_TEXT,              /* a bi-encoder of texts: one embedding each, their cosine */
  LK_MODEL_KIND_IMAGE_TEXT,        /* an image tower and a text tower (CLIP) */
  LK_MODEL_KIND_CROSS_ENCODER,     /* a classifier over the joint input of a pair (a reranker) */
  LK_MODEL_KIND_LATE_INTERACTION,  /* token embeddings scored by MaxSim (ColBERT) */
} LkModelKind;

typedef struct {
  char *id;       /* "ORG/NAME" for the cache, the folder's name for a folder */
  char *revision; /* the commit hash, or NULL for a plain folder */
  char *path;     /* absolute path of the model folder (a snapshot) */
  char *architecture; /* config.json's model_type ("bert", "clip", …); NULL
                       * when the file is missing or cannot be read */
  LkModelKind kind;   /* what the model compares (lk_model_kind_for_folder) */
} LkModelInfo;

void         lk_model_info_free            (LkModelInfo *info);

/* What the model in @dir compares and how, from its config.json, modules.json
 * and config_sentence_transformers.json: the one place that tells the kinds
 * apart, for the list, the app's model menu, `likeness-cli models` and the
 * model loader (which explains only bi-encoders and image–text models).
 * @why, if not NULL, gets the evidence for a cross-encoder or a late
 * interaction model ("config.json: architectures BertForSequenceClassification"),
 * else NULL. */
LkModelKind  lk_model_kind_for_folder  (const char   *dir,
                                        char        **why);
/* "bi-encoder", "image-text", "cross-encoder", "late-interaction" or
 * "unknown", for JSON and the command line. */
const char  *lk_model_kind_to_string   (LkModelKind   kind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkModelInfo, lk_model_info_free)

char        *lk_model_store_get_cache_dir  (void);
gboolean     lk_model_store_validate_id    (const char          *id,
                                            GError             **error);

/* Returns the absolute path of the model folder.  Blocks: call it from a
 * worker thread or a command-line tool. */
char        *lk_model_store_resolve        (const char          *name,
                                            gboolean             allow_download,
                                            LkDownloadProgress   progress,
                                            gpointer             progress_data,
                                            GCancellable        *cancellable,
                                            GError             **error);

/* Same, in a worker thread.  @progress_data must stay valid until @callback
 * has run. */
void         lk_model_store_resolve_async  (const char          *name,
                                            gboolean             allow_download,
                                            LkDownloadProgress   progress,
                                            gpointer             progress_data,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
char        *lk_model_store_resolve_finish (GAsyncResult        *result,
                                            GError             **error);

/* The models in the cache, then those in @extra_folders (each either a model
 * folder itself or a folder of model folders; NULL-terminated, may be NULL).
 * An array of LkModelInfo, cache models sorted by id. */
GPtrArray   *lk_model_store_list           (const char * const  *extra_folders,
                                            GError             **error);

/**
 * lk_model_store_downloads_allowed:
 * @why: (out) (optional) (transfer full): why not, for the user
 *
 * Whether models may be downloaded from the hub here: not when
 * HF_HUB_OFFLINE says so (the one rule the store itself follows).
 */
gboolean lk_model_store_downloads_allowed (char **why);

G_END_DECLS
