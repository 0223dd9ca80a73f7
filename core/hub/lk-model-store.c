/* lk-model-store.c — name → model folder: folders, the Hugging Face cache,
 * and (through lk-download.c) the hub. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-download-private.h"
#include "lk-model-store-private.h"

#define DEFAULT_REVISION "main"
#define ST_ORG "sentence-transformers"

/* Files that make a folder a model: transformers' config, or the
 * sentence-transformers pipeline (CLIP models keep config.json in 0_CLIPModel). */
static const char * const marker_files[] = { "config.json", "modules.json", NULL };
static const char * const weight_files[] = {
  "model.safetensors", "model.safetensors.index.json",
  "pytorch_model.bin", "pytorch_model.bin.index.json", NULL
};

void
lk_model_info_free (LkModelInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->revision);
  g_free (info->path);
  g_free (info->architecture);
  g_free (info);
}

/* Through the checked JSON reader: a listed folder is anyone's download. */
static JsonObject *
load_object (const char *file, JsonNode **root)
{
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    return NULL;
  *root = lk_json_load (file, FALSE, NULL);
  return *root ? json_node_get_object (*root) : NULL;
}

/* config.json, where its architecture is; sentence-transformers' CLIP
 * layout keeps it in its first module. */
static JsonObject *
load_config (const char *dir, JsonNode **root)
{
  g_autofree char *file = g_build_filename (dir, "config.json", NULL);

  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_free (file);
      file = g_build_filename (dir, "0_CLIPModel", "config.json", NULL);
    }
  return load_object (file, root);
}

static const char *
model_type (JsonObject *config)
{
  return config ? lk_json_get_string (config, "config.json", "model_type", NULL, NULL) : NULL;
}

/* The head transformers would put on the encoder: "BertForSequenceClassification"
 * is a classifier over the joint input of a pair, which is what a
 * sentence-transformers CrossEncoder saves. */
static const char *
classifier_head (JsonObject *config)
{
  JsonNode *node = json_object_get_member (config, "architectures");
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  a = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      const char *name = lk_json_array_get_string (a, i);

      if (name && g_str_has_suffix (name, "ForSequenceClassification"))
        return name;
    }
  return NULL;
}

/* A sentence-transformers pipeline that ends at the token embeddings (a
 * Transformer, maybe a Dense, no Pooling) scores with them one by one:
 * ColBERT's late interaction, as PyLate saves it. */
static gboolean
ends_at_tokens (const char *dir, char **module)
{
  g_autofree char *file = g_build_filename (dir, "modules.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  gboolean transformer = FALSE;
  JsonArray *mods;

  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR) || (root = lk_json_load (file, TRUE, NULL)) == NULL)
    return FALSE;
  mods = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (mods); i++)
    {
      JsonNode *e = json_array_get_element (mods, i);
      JsonObject *m = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      const char *type = m ? lk_json_get_string (m, file, "type", NULL, NULL) : NULL;

      if (type == NULL)
        return FALSE;
      /* Pooling, CLIP's model and SPLADE's pooling make one vector. */
      if (strstr (type, "Pooling") || strstr (type, "CLIPModel"))
        return FALSE;
      if (g_str_has_suffix (type, ".Transformer"))
        transformer = TRUE;
      else if (module && *module == NULL)
        *module = g_strdup (type);
    }
  return transformer;
}

/* The kind of the model in @dir, whose config.json (or CLIP module's) is
 * @config, read once for the list's architecture and for this. */
static LkModelKind
kind_of (const char *dir, JsonObject *config, char **why)
{
  g_autofree char *st_file = g_build_filename (dir, "config_sentence_transformers.json", NULL);
  g_autofree char *module = NULL;
  g_autoptr(JsonNode) st_root = NULL;
  JsonObject *st = load_object (st_file, &st_root);
  const char *architecture = model_type (config);
  const char *head;
  const char *st_type;

  if (why)
    *why = NULL;
  if (g_strcmp0 (architecture, "clip") == 0)
    return LK_MODEL_KIND_IMAGE_TEXT;
  if (config && (head = classifier_head (config)) != NULL)
    {
      if (why)
        *why = g_strdup_printf ("config.json: architectures %s", head);
      return LK_MODEL_KIND_CROSS_ENCODER;
    }
  /* sentence-transformers 5.4 and later name the model's class here; its
   * CrossEncoder may save a modules.json whose one Transformer has a
   * classifier, or a decoder and a LogitScore (Qwen3-Reranker), so this
   * goes before the test for a pipeline without pooling. */
  st_type = st ? lk_json_get_string (st, st_file, "model_type", NULL, NULL) : NULL;
  if (st_type && g_str_equal (st_type, "CrossEncoder"))
    {
      if (why)
        *why = g_strdup ("config_sentence_transformers.json: model_type CrossEncoder");
      return LK_MODEL_KIND_CROSS_ENCODER;
    }
  if (st_type && g_str_equal (st_type, "MultiVectorEncoder"))
    {
      if (why)
        *why = g_strdup ("config_sentence_transformers.json: model_type MultiVectorEncoder");
      return LK_MODEL_KIND_LATE_INTERACTION;
    }
  if (ends_at_tokens (dir, &module))
    {
      if (why)
        *why = g_strdup_printf ("modules.json: no Pooling module%s%s", module ? ", then " : "", module ? module : "");
      return LK_MODEL_KIND_LATE_INTERACTION;
    }
  return architecture ? LK_MODEL_KIND_TEXT : LK_MODEL_KIND_UNKNOWN;
}

LkModelKind
lk_model_kind_for_folder (const char *dir, char **why)
{
  g_autoptr(JsonNode) root = NULL;

  return kind_of (dir, load_config (dir, &root), why);
}

const char *
lk_model_kind_to_string (LkModelKind kind)
{
  switch (kind)
    {
    case LK_MODEL_KIND_TEXT:
      return "bi-encoder";
    case LK_MODEL_KIND_IMAGE_TEXT:
      return "image-text";
    case LK_MODEL_KIND_CROSS_ENCODER:
      return "cross-encoder";
    case LK_MODEL_KIND_LATE_INTERACTION:
      return "late-interaction";
    case LK_MODEL_KIND_UNKNOWN:
    default:
      return "unknown";
    }
}

static LkModelInfo *
model_info_new (const char *id, const char *revision, const char *path)
{
  LkModelInfo *info = g_new0 (LkModelInfo, 1);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *config = load_config (path, &root);

  info->id = g_strdup (id);
  info->revision = g_strdup (revision);
  info->path = g_strdup (path);
  info->architecture = g_strdup (model_type (config));
  info->kind = kind_of (path, config, NULL);
  return info;
}

/* ---- environment ------------------------------------------------------ */

/* ---- folders ---------------------------------------------------------- */

static gboolean
has_any_file (const char *dir, const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_model_dir (const char *dir)
{
  return has_any_file (dir, marker_files);
}

/* Weights at the top or in a module folder (0_CLIPModel/): a snapshot where
 * someone fetched only config.json is not complete. */
static gboolean
has_weights (const char *dir)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (has_any_file (dir, weight_files))
    return TRUE;
  if ((d = g_dir_open (dir, 0, NULL)) == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (dir, name, NULL);

      if (g_file_test (sub, G_FILE_TEST_IS_DIR) && has_any_file (sub, weight_files))
        return TRUE;
    }
  return FALSE;
}

/* A name the user meant as a path, never as a hub id. */
static gboolean
looks_like_path (const char *name)
{
  return g_path_is_absolute (name) || name[0] == '~' || name[0] == '.';
}

static char *
resolve_folder (const char *name, GError **error)
{
  g_autofree char *path = lk_hf_expand_home (name);

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("Model folder “%s” does not exist"), name);
      return NULL;
    }
  if (!is_model_dir (path))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("Folder “%s” is not a model: it has no config.json or modules.json"),
                   name);
      return NULL;
    }
  return g_canonicalize_filename (path, NULL);
}

/* ---- the cache -------------------------------------------------------- */

static char *
read_ref (const char *repo_dir, const char *ref)
{
  g_autofree char *path = g_build_filename (repo_dir, "refs", ref, NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  g_strstrip (contents);
  return lk_model_store_is_safe_name (contents) ? g_steal_pointer (&contents) : NULL;
}

/* The newest snapshot that is a model, for caches without refs/main
 * (downloaded at a pinned revision). */
static char *
newest_snapshot (const char *snapshots)
{
  g_autoptr(GDir) dir = g_dir_open (snapshots, 0, NULL);
  g_autofree char *best = NULL;
  gint64 best_mtime = G_MININT64;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (snapshots, name, NULL);
      GStatBuf st;

      if (!is_model_dir (path) || g_stat (path, &st) != 0)
        continue;
      if (st.st_mtime > best_mtime)
        {
          best_mtime = st.st_mtime;
          g_free (best);
          best = g_steal_pointer (&path);
        }
    }
  return g_steal_pointer (&best);
}

/* The snapshot of @id in the cache that refs/main names, else the newest. */
static char *
find_in_cache (const char *cache_dir, const char *id)
{
  g_autofree char *repo = lk_model_store_repo_dir (cache_dir, id);
  g_autofree char *snapshots = g_build_filename (repo, "snapshots", NULL);
  g_autofree char *commit = read_ref (repo, DEFAULT_REVISION);

  if (commit != NULL)
    {
      g_autofree char *path = g_build_filename (snapshots, commit, NULL);

      if (is_model_dir (path))
        return g_steal_pointer (&path);
    }
  return newest_snapshot (snapshots);
}

/* ---- resolution ------------------------------------------------------- */

/* The ids a name may stand for: itself, and for a bare NAME also
 * sentence-transformers/NAME, as sentence-transformers itself does. */
static GStrv
candidate_ids (const char *id)
{
  GStrv ids = g_new0 (char *, 3);

  ids[0] = g_strdup (id);
  if (strchr (id, '/') == NULL)
    ids[1] = g_strconcat (ST_ORG "/", id, NULL);
  return ids;
}

static char *
searched_places (const LkStoreEnv *env, const char *name, const char * const *ids)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, _("a folder “%s”"), name);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *repo = lk_model_store_repo_dir (env->cache_dir, ids[i]);

      g_string_append_printf (s, ", %s", repo);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Downloads the first candidate the hub knows; *@hub_id gets which. */
static char *
download_any (const LkStoreEnv *env, const char * const *ids,
              LkDownloadProgress progress, gpointer progress_data,
              GCancellable *cancellable, char **hub_id, GError **error)
{
  g_autoptr(GError) first_error = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      char *path = lk_download_model (env, ids[i], DEFAULT_REVISION, progress,
                                      progress_data, cancellable, &local_error);

      if (path != NULL)
        {
          *hub_id = g_strdup (ids[i]);
          return path;
        }
      if (!g_error_matches (local_error, LK_ERROR, LK_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
    }
  g_propagate_error (error, g_steal_pointer (&first_error));
  return NULL;
}

/* *@hub_id gets the candidate id the folder is for. */
static char *
resolve_hub_id (const LkStoreEnv *env, const char *name, gboolean allow_download,
                LkDownloadProgress progress, gpointer progress_data,
                GCancellable *cancellable, char **hub_id, GError **error)
{
  g_auto(GStrv) ids = candidate_ids (name);
  g_autofree char *incomplete = NULL;
  const char *incomplete_id = NULL;
  g_autofree char *places = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *path = find_in_cache (env->cache_dir, ids[i]);

      if (path != NULL && has_weights (path))
        {
          *hub_id = g_strdup (ids[i]);
          return g_steal_pointer (&path);
        }
      if (path != NULL && incomplete == NULL)
        {
          incomplete = g_steal_pointer (&path);
          incomplete_id = ids[i];
        }
    }

  /* Without a download, a snapshot lacking weights is still the best answer:
   * its loader will say which file is missing. */
  if (incomplete != NULL && (!allow_download || env->offline))
    {
      *hub_id = g_strdup (incomplete_id);
      return g_steal_pointer (&incomplete);
    }

  places = searched_places (env, name, (const char * const *) ids);
  if (!allow_download)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("Model “%s” not found; looked in: %s"), name, places);
      return NULL;
    }
  if (env->offline)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_OFFLINE,
                   _("Model “%s” is not in the Hugging Face cache (looked in: %s), "
                     "and HF_HUB_OFFLINE is set, so it cannot be downloaded"),
                   name, places);
      return NULL;
    }
  return download_any (env, (const char * const *) ids, progress, progress_data,
                       cancellable, hub_id, error);
}

char *
lk_model_store_resolve_env (const LkStoreEnv *env, const char *name, gboolean allow_download,
                            LkDownloadProgress progress, gpointer progress_data,
                            GCancellable *cancellable, char **hub_id, GError **error)
{
  g_autoptr(GError) id_error = NULL;
  g_autofree char *id = NULL;
  char *path;

  if (hub_id != NULL)
    *hub_id = NULL;
  if (*name != '\0' && looks_like_path (name))
    return resolve_folder (name, error);
  if (g_file_test (name, G_FILE_TEST_IS_DIR) && is_model_dir (name))
    return g_canonicalize_filename (name, NULL);

  if (!lk_model_store_validate_id (name, &id_error))
    {
      /* "org/name/sub" may be a relative folder that is not a model. */
      if (g_file_test (name, G_FILE_TEST_IS_DIR))
        return resolve_folder (name, error);
      g_propagate_error (error, g_steal_pointer (&id_error));
      return NULL;
    }
  path = resolve_hub_id (env, name, allow_download, progress, progress_data,
                         cancellable, &id, error);
  if (hub_id != NULL)
    *hub_id = g_steal_pointer (&id);
  return path;
}

/**
 * lk_model_store_resolve:
 * @name: a folder path or a hub id
 * @allow_download: whether a model missing from the cache may be fetched
 * @progress: (nullable): called as bytes arrive
 * @progress_data: for @progress
 * @cancellable: (nullable): stops a download; its partial file is kept
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the absolute path of the model folder, or %NULL.
 */
char *
lk_model_store_resolve (const char          *name,
                        gboolean             allow_download,
                        LkDownloadProgress   progress,
                        gpointer             progress_data,
                        GCancellable        *cancellable,
                        GError             **error)
{
  g_autoptr(LkStoreEnv) env = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  env = lk_store_env_new ();
  return lk_model_store_resolve_env (env, name, allow_download, progress, progress_data,
                                     cancellable, NULL, error);
}

/* ---- async ------------------------------------------------------------ */

typedef struct {
  LkStoreEnv      *env;
  char            *name;
  gboolean         allow_download;
  LkAsyncProgress *progress;       /* the task's */
} ResolveJob;

static void
resolve_job_free (ResolveJob *job)
{
  lk_store_env_free (job->env);
  g_free (job->name);
  g_free (job);
}

static void
resolve_thread (GTask *task, gpointer source_object, gpointer task_data,
                GCancellable *cancellable)
{
  ResolveJob *job = task_data;
  GError *error = NULL;
  char *path;

  path = lk_model_store_resolve_env (job->env, job->name, job->allow_download,
                                     job->progress ? lk_async_progress_download_func : NULL,
                                     job->progress, cancellable, NULL, &error);
  if (path != NULL)
    g_task_return_pointer (task, path, g_free);
  else
    g_task_return_error (task, error);
}

/**
 * lk_model_store_resolve_async:
 *
 * Like lk_model_store_resolve(), in a worker thread.  The environment
 * variables are read now, in the calling thread; @progress reaches the
 * caller through an LkAsyncProgress (lk-async.h).
 */
void
lk_model_store_resolve_async (const char          *name,
                              gboolean             allow_download,
                              LkDownloadProgress   progress,
                              gpointer             progress_data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ResolveJob *job;

  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = g_new0 (ResolveJob, 1);
  job->env = lk_store_env_new ();
  job->name = g_strdup (name);
  job->allow_download = allow_download;
  job->progress = lk_async_progress_new_download (NULL, progress, progress_data);

  task = lk_async_task_new (NULL, cancellable, callback, user_data, job->progress);
  g_task_set_source_tag (task, lk_model_store_resolve_async);
  g_task_set_task_data (task, job, (GDestroyNotify) resolve_job_free);
  g_task_run_in_thread (task, resolve_thread);
}

char *
lk_model_store_resolve_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_model_store_resolve_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- listing ---------------------------------------------------------- */

static int
compare_info (gconstpointer a, gconstpointer b)
{
  const LkModelInfo *x = *(LkModelInfo * const *) a;
  const LkModelInfo *y = *(LkModelInfo * const *) b;

  return g_strcmp0 (x->id, y->id);
}

/* "models--ORG--NAME" → "ORG/NAME"; ids cannot contain "--". */
static char *
id_from_repo_dir (const char *base)
{
  g_auto(GStrv) parts = g_strsplit (base + strlen ("models--"), "--", -1);

  return g_strjoinv ("/", parts);
}

static gboolean
list_cache (const char *cache_dir, GPtrArray *infos, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = g_dir_open (cache_dir, 0, &local_error);
  const char *base;

  if (dir == NULL)
    {
      /* No cache yet is an empty cache. */
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Cannot read the Hugging Face cache: "));
      return FALSE;
    }
  while ((base = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *id = NULL;
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (base, "models--"))
        continue;
      id = id_from_repo_dir (base);
      if (!lk_model_store_validate_id (id, NULL) || (path = find_in_cache (cache_dir, id)) == NULL)
        continue;
      g_ptr_array_add (infos, model_info_new (id, strrchr (path, G_DIR_SEPARATOR) + 1, path));
    }
  g_ptr_array_sort (infos, compare_info);
  return TRUE;
}

static void
add_folder (GPtrArray *infos, const char *path)
{
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  g_autofree char *base = g_path_get_basename (canonical);

  g_ptr_array_add (infos, model_info_new (base, NULL, canonical));
}

/* A model folder, or a folder holding model folders. */
static void
list_extra_folder (const char *folder, GPtrArray *infos)
{
  g_autofree char *path = lk_hf_expand_home (folder);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_model_info_free);
  g_autoptr(GDir) dir = NULL;
  const char *base;

  if (is_model_dir (path))
    {
      add_folder (infos, path);
      return;
    }
  if ((dir = g_dir_open (path, 0, NULL)) == NULL)
    return;
  while ((base = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *sub = g_build_filename (path, base, NULL);

      if (g_file_test (sub, G_FILE_TEST_IS_DIR) && is_model_dir (sub))
        add_folder (found, sub);
    }
  g_ptr_array_sort (found, compare_info);
  g_ptr_array_extend_and_steal (infos, g_steal_pointer (&found));
}

/**
 * lk_model_store_list:
 * @extra_folders: (nullable) (array zero-terminated=1): more places to look
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type LkModelInfo): the models found,
 *   or %NULL if the cache exists but cannot be read.
 */
GPtrArray *
lk_model_store_list (const char * const *extra_folders, GError **error)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_model_info_free);
  g_autofree char *cache_dir = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cache_dir = lk_model_store_get_cache_dir ();
  if (!list_cache (cache_dir, infos, error))
    return NULL;
  for (guint i = 0; extra_folders != NULL && extra_folders[i] != NULL; i++)
    list_extra_folder (extra_folders[i], infos);
  return g_steal_pointer (&infos);
}
