/* lk-model-store-private.h — what lk-model-store.c and lk-download.c share. */
#pragma once

#include "lk-model-store.h"

G_BEGIN_DECLS

/* The environment, read once in the calling thread so a worker thread never
 * reads variables someone may be setting. */
typedef struct {
  char     *cache_dir;
  char     *endpoint; /* no trailing '/' */
  char     *token;    /* $HF_TOKEN or NULL */
  gboolean  offline;
} LkStoreEnv;

LkStoreEnv *lk_store_env_new             (void);
void        lk_store_env_free            (LkStoreEnv *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkStoreEnv, lk_store_env_free)

/* lk_model_store_resolve() with @env, read earlier in the calling thread.
 * *@hub_id (when not NULL) gets the hub id whose snapshot the folder is
 * ("ORG/NAME": for a bare NAME, the candidate that was found), or NULL when
 * @name named a folder. */
char       *lk_model_store_resolve_env   (const LkStoreEnv    *env,
                                          const char          *name,
                                          gboolean             allow_download,
                                          LkDownloadProgress   progress,
                                          gpointer             progress_data,
                                          GCancellable        *cancellable,
                                          char               **hub_id,
                                          GError             **error);

/* <cache>/models--ORG--NAME */
char       *lk_model_store_repo_dir      (const char *cache_dir,
                                          const char *id);
/* A string safe as one file name: [A-Za-z0-9._-], not starting with '.'. */
gboolean    lk_model_store_is_safe_name  (const char *name);

/* Downloads what a sentence-transformers model needs of @id at @revision into
 * the cache; returns the snapshot folder.  LK_ERROR_NOT_FOUND when the hub
 * does not know @id (HTTP 401 or 404 from its API). */
char       *lk_download_model            (const LkStoreEnv    *env,
                                          const char          *id,
                                          const char          *revision,
                                          LkDownloadProgress   progress,
                                          gpointer             progress_data,
                                          GCancellable        *cancellable,
                                          GError             **error);

G_END_DECLS
