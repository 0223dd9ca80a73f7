/* lk-hf-cache.h — the Hugging Face cache's layout and the hub's names,
 * shared by the store (lk-model-store.c) and the download (lk-download.c);
 * see lk-hf-cache.c. */
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

/* <cache>/models--ORG--NAME */
char       *lk_model_store_repo_dir      (const char *cache_dir,
                                          const char *id);
/* A string safe as one file name: [A-Za-z0-9._-], not starting with '.'. */
gboolean    lk_model_store_is_safe_name  (const char *name);

/* "~" and "~/…" against the home folder, as huggingface_hub reads paths. */
char       *lk_hf_expand_home            (const char *path);

G_END_DECLS
