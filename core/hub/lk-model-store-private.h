/* lk-model-store-private.h — the store's resolution with an environment
 * read earlier (lk-model-load.c reads it in the calling thread). */
#pragma once

#include "lk-hf-cache.h"
#include "lk-model-store.h"

G_BEGIN_DECLS

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

G_END_DECLS
