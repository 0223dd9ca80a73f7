/* lk-download.c — fetch a model from the Hugging Face hub into the cache,
 * in the layout huggingface_hub writes, so that Python tools and Likeness
 * share one copy:
 *
 *   models--ORG--NAME/blobs/<etag>                 the bytes, named by ETag
 *   models--ORG--NAME/snapshots/<commit>/<path>    relative symlinks to blobs
 *   models--ORG--NAME/refs/main                    the commit
 *
 * This file speaks the hub's protocol and picks the files; lk-hub-http.c
 * sends the requests, lk-download-cache.c writes the cache. */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-download-private.h"

static void
remote_file_free (LkRemoteFile *file)
{
  g_free (file->path);
  g_free (file->etag);
  g_free (file->url);
  g_free (file);
}

static void
download_clear (LkDownload *dl)
{
  g_clear_object (&dl->session);
  g_clear_pointer (&dl->commit, g_free);
  g_clear_pointer (&dl->repo_dir, g_free);
  g_clear_pointer (&dl->snapshot_dir, g_free);
  g_clear_pointer (&dl->files, g_ptr_array_unref);
}

/* ---- choosing files --------------------------------------------------- */

/* What a sentence-transformers or transformers model needs besides weights. */
static const char * const wanted_files[] = {
  "config.json", "modules.json", "sentence_bert_config.json",
  "config_sentence_transformers.json", "tokenizer.json", "tokenizer_config.json",
  "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json",
  "merges.txt", "sentencepiece.bpe.model", "spiece.model",
  "preprocessor_config.json", NULL
};

/* Server-given paths become local paths: nothing may climb out. */
static gboolean
is_safe_repo_path (const char *path)
{
  g_auto(GStrv) parts = NULL;

  if (*path == '\0' || *path == '/' || strchr (path, '\\') != NULL || strlen (path) > 1024)
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

/* The folder of a file that may belong to the model: "" at the top, or a
 * sentence-transformers module folder ("1_Pooling", "2_Dense", "0_CLIPModel").
 * NULL for anything else: onnx/, openvino/, checkpoints, deeper files. */
static char *
module_dir (const char *path)
{
  const char *slash = strchr (path, '/');
  gsize digits = strspn (path, "0123456789");

  if (slash == NULL)
    return g_strdup ("");
  if (strchr (slash + 1, '/') != NULL || digits == 0 || path[digits] != '_')
    return NULL;
  return g_strndup (path, slash - path);
}

/* Lower is preferred: safetensors over torch pickles, whole over sharded.
 * 0 for files that are not weights we read (tf, flax, rust, onnx…). */
static guint
weight_rank (const char *base)
{
  if (g_str_equal (base, "model.safetensors"))
    return 1;
  if (g_str_equal (base, "model.safetensors.index.json")
      || g_pattern_match_simple ("model-*-of-*.safetensors", base))
    return 2;
  if (g_str_equal (base, "pytorch_model.bin"))
    return 3;
  if (g_str_equal (base, "pytorch_model.bin.index.json")
      || g_pattern_match_simple ("pytorch_model-*-of-*.bin", base))
    return 4;
  return 0;
}

static const char *
base_name (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash != NULL ? slash + 1 : path;
}

/* For each folder, the best kind of weights it has. */
static GHashTable *
best_weights (GPtrArray *names)
{
  GHashTable *best = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *dir = module_dir (names->pdata[i]);
      guint rank = weight_rank (base_name (names->pdata[i]));
      guint old;

      if (dir == NULL || rank == 0)
        continue;
      old = GPOINTER_TO_UINT (g_hash_table_lookup (best, dir));
      if (old == 0 || rank < old)
        g_hash_table_insert (best, g_steal_pointer (&dir), GUINT_TO_POINTER (rank));
    }
  return best;
}

static GPtrArray *
select_files (GPtrArray *names)
{
  g_autoptr(GHashTable) best = best_weights (names);
  GPtrArray *chosen = g_ptr_array_new_with_free_func ((GDestroyNotify) remote_file_free);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      const char *base = base_name (name);
      g_autofree char *dir = module_dir (name);
      guint rank = weight_rank (base);

      if (dir == NULL)
        continue;
      if (g_strv_contains (wanted_files, base)
          || (rank != 0 && rank == GPOINTER_TO_UINT (g_hash_table_lookup (best, dir))))
        {
          LkRemoteFile *file = g_new0 (LkRemoteFile, 1);

          file->path = g_strdup (name);
          g_ptr_array_add (chosen, file);
        }
    }
  return chosen;
}

static gboolean
check_selection (LkDownload *dl, GError **error)
{
  gboolean marker = FALSE, weights = FALSE;

  for (guint i = 0; i < dl->files->len; i++)
    {
      LkRemoteFile *file = dl->files->pdata[i];

      marker |= g_str_equal (file->path, "config.json") || g_str_equal (file->path, "modules.json");
      weights |= weight_rank (base_name (file->path)) != 0;
    }
  if (marker && weights)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("Model “%s” on %s has no %s"), dl->id, dl->env->endpoint,
               !marker ? "config.json or modules.json"
                       : "model.safetensors or pytorch_model.bin");
  return FALSE;
}

/* ---- the revision ----------------------------------------------------- */

static gboolean
parse_revision (LkDownload *dl, GBytes *body, const char *url, GError **error)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonArray *siblings;
  const char *sha;

  if ((answer = lk_json_parse (g_bytes_get_size (body) ? g_bytes_get_data (body, NULL) : "",
                             g_bytes_get_size (body), url, &local_error)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("The answer of %s is not usable JSON: %s"), url, local_error->message);
      return FALSE;
    }
  root = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  sha = root != NULL ? json_object_get_string_member_with_default (root, "sha", NULL) : NULL;
  siblings = root != NULL && json_object_has_member (root, "siblings")
             && JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "siblings"))
             ? json_object_get_array_member (root, "siblings") : NULL;
  /* The commit names a folder: it must be one plain name. */
  if (!lk_model_store_is_safe_name (sha) || siblings == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("The answer of %s has no valid “sha” and “siblings”"), url);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (siblings); i++)
    {
      JsonNode *node = json_array_get_element (siblings, i);
      const char *name = JSON_NODE_HOLDS_OBJECT (node)
        ? json_object_get_string_member_with_default (json_node_get_object (node), "rfilename", NULL)
        : NULL;

      if (name != NULL && is_safe_repo_path (name))
        g_ptr_array_add (names, (gpointer) name);
    }
  dl->commit = g_strdup (sha);
  dl->files = select_files (names);
  return check_selection (dl, error);
}

static gboolean
fetch_revision (LkDownload *dl, const char *revision, GError **error)
{
  g_autofree char *escaped = g_uri_escape_string (revision, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/api/models/%s/revision/%s",
                                          dl->env->endpoint, dl->id, escaped);
  g_autofree char *final_url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  if ((stream = lk_hub_send (dl, "GET", url, 0, &msg, &final_url, error)) == NULL)
    return FALSE;
  status = soup_message_get_status (msg);
  /* The hub answers 401 for a repository that does not exist, too. */
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_UNAUTHORIZED)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND,
                   _("Model “%s” not found on %s (HTTP %u for %s)"),
                   dl->id, dl->env->endpoint, status, final_url);
      return FALSE;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      lk_hub_set_http_error (dl, error, msg, final_url);
      return FALSE;
    }
  if ((body = lk_hub_read_all (dl, stream, final_url, error)) == NULL)
    return FALSE;
  return parse_revision (dl, body, final_url, error);
}

/* ---- metadata --------------------------------------------------------- */

/* W/"abc" → abc */
static char *
normalize_etag (const char *value)
{
  g_autofree char *etag = g_strstrip (g_strdup (value != NULL ? value : ""));
  char *start = etag;
  gsize len;

  if (g_str_has_prefix (start, "W/"))
    start += 2;
  len = strlen (start);
  if (len >= 2 && start[0] == '"' && start[len - 1] == '"')
    {
      start[len - 1] = '\0';
      start++;
    }
  return g_strdup (start);
}

static char *
resolve_url (LkDownload *dl, const char *path)
{
  g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);

  return g_strdup_printf ("%s/%s/resolve/%s/%s", dl->env->endpoint, dl->id, dl->commit, escaped);
}

static gboolean
read_metadata (LkDownload *dl, LkRemoteFile *file, SoupMessage *msg, const char *url, GError **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *linked = soup_message_headers_get_one (headers, "X-Linked-Etag");
  const char *size = soup_message_headers_get_one (headers, "X-Linked-Size");
  const char *commit = soup_message_headers_get_one (headers, "X-Repo-Commit");

  file->etag = normalize_etag (linked != NULL ? linked : soup_message_headers_get_one (headers, "ETag"));
  /* The ETag names the blob: it must be one plain name. */
  if (!lk_model_store_is_safe_name (file->etag))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("No usable ETag for %s (model “%s”)"), url, dl->id);
      return FALSE;
    }
  if (size != NULL)
    file->size = g_ascii_strtoull (size, NULL, 10);
  else if (SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    file->size = soup_message_headers_get_content_length (headers);
  if (commit != NULL && g_strcmp0 (commit, dl->commit) != 0)
    g_debug ("%s: X-Repo-Commit %s differs from %s", url, commit, dl->commit);
  return TRUE;
}

static gboolean
head_file (LkDownload *dl, LkRemoteFile *file, GError **error)
{
  g_autofree char *url = resolve_url (dl, file->path);
  g_autofree char *final_url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  guint status;

  if ((stream = lk_hub_send (dl, "HEAD", url, 0, &msg, &final_url, error)) == NULL)
    return FALSE;
  g_input_stream_close (stream, NULL, NULL);
  status = soup_message_get_status (msg);
  if (lk_hub_is_redirect (status))
    {
      const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");

      file->url = lk_hub_resolve_location (final_url, location, error);
      if (file->url == NULL)
        return FALSE;
    }
  else if (SOUP_STATUS_IS_SUCCESSFUL (status))
    file->url = g_steal_pointer (&final_url);
  else
    {
      lk_hub_set_http_error (dl, error, msg, final_url);
      return FALSE;
    }
  return read_metadata (dl, file, msg, final_url != NULL ? final_url : url, error);
}

/* Files already in this snapshot are kept; the rest are asked about (HEAD)
 * first, so the total size is known before the first byte. */
static gboolean
plan_files (LkDownload *dl, GError **error)
{
  for (guint i = 0; i < dl->files->len; i++)
    {
      LkRemoteFile *file = dl->files->pdata[i];
      g_autofree char *local = g_build_filename (dl->snapshot_dir, file->path, NULL);
      GStatBuf st;

      if (g_stat (local, &st) == 0 && S_ISREG (st.st_mode))
        {
          file->present = TRUE;
          file->size = st.st_size;
          dl->done += st.st_size;
        }
      else if (!head_file (dl, file, error))
        return FALSE;
      dl->total += file->size;
    }
  return TRUE;
}

static gboolean
run_download (LkDownload *dl, const char *revision, GError **error)
{
  g_autofree char *snapshots = NULL;

  if (!fetch_revision (dl, revision, error))
    return FALSE;
  snapshots = g_build_filename (dl->repo_dir, "snapshots", NULL);
  dl->snapshot_dir = g_build_filename (snapshots, dl->commit, NULL);
  if (!plan_files (dl, error))
    return FALSE;
  /* All blobs first, then all links: a snapshot folder appears only once
   * every file is here, so a failed download never looks like a model. */
  for (guint i = 0; i < dl->files->len; i++)
    {
      LkRemoteFile *file = dl->files->pdata[i];

      if (!file->present && !lk_download_fetch_blob (dl, file, error))
        return FALSE;
    }
  for (guint i = 0; i < dl->files->len; i++)
    {
      LkRemoteFile *file = dl->files->pdata[i];

      if (!file->present && !lk_download_link_file (dl, file, error))
        return FALSE;
    }
  return lk_download_write_ref (dl, revision, error);
}

char *
lk_download_model (const LkStoreEnv   *env,
                   const char         *id,
                   const char         *revision,
                   LkDownloadProgress  progress,
                   gpointer            progress_data,
                   GCancellable       *cancellable,
                   GError            **error)
{
  LkDownload dl = {
    .env = env, .id = id, .cancellable = cancellable,
    .progress = progress, .progress_data = progress_data,
  };
  char *path = NULL;

  g_return_val_if_fail (lk_model_store_validate_id (id, NULL), NULL);
  g_return_val_if_fail (lk_model_store_is_safe_name (revision), NULL);

  dl.session = lk_hub_session_new ();
  dl.repo_dir = lk_model_store_repo_dir (env->cache_dir, id);
  if (run_download (&dl, revision, error))
    path = g_strdup (dl.snapshot_dir);
  download_clear (&dl);
  return path;
}
