/* test-model-store.c — resolving names to folders: ids, folders, the
 * Hugging Face cache layout, listing.  No network: see test-download.c. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "lk-error.h"
#include "lk-model.h"
#include "lk-model-store.h"
#include "lk-test-utils.h"

#define COMMIT_A "1111111111111111111111111111111111111111"
#define COMMIT_B "2222222222222222222222222222222222222222"

typedef struct {
  char *tmp;
  char *cache;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->tmp = g_dir_make_tmp ("lk-store-XXXXXX", NULL);
  g_assert_nonnull (f->tmp);
  f->cache = g_build_filename (f->tmp, "hub", NULL);
  g_setenv ("HF_HUB_CACHE", f->cache, TRUE);
  g_setenv ("HF_HUB_OFFLINE", "1", TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lk_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->cache);
}

static void
write_file (const char *path, const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* One file of a snapshot, as huggingface_hub stores it: a blob named by
 * its hash and a relative link to it. */
static void
add_cached_bytes (const char *repo, const char *commit, const char *path, const char *data, gsize len)
{
  g_autofree char *etag = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  g_autofree char *blob = g_build_filename (repo, "blobs", etag, NULL);
  g_autofree char *blob_dir = g_path_get_dirname (blob);
  g_autofree char *link = g_build_filename (repo, "snapshots", commit, path, NULL);
  g_autofree char *link_dir = g_path_get_dirname (link);
  g_autofree char *target = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (blob_dir, 0755), ==, 0);
  g_file_set_contents (blob, data, len, &error);
  g_assert_no_error (error);
  target = g_strdup_printf ("%s../../blobs/%s", strchr (path, '/') ? "../" : "", etag);
  g_assert_cmpint (g_mkdir_with_parents (link_dir, 0755), ==, 0);
  g_assert_cmpint (symlink (target, link), ==, 0);
}

static void
add_cached_file (const char *repo, const char *commit, const char *path, const char *contents)
{
  add_cached_bytes (repo, commit, path, contents, strlen (contents));
}

/* Returns the snapshot folder. */
static char *
add_cached_model (Fixture *f, const char *repo_name, const char *commit,
                  gboolean with_ref, gboolean with_weights)
{
  g_autofree char *repo = g_build_filename (f->cache, repo_name, NULL);
  g_autofree char *config = g_strdup_printf ("{\"name\": \"%s\", \"commit\": \"%s\"}", repo_name, commit);

  add_cached_file (repo, commit, "config.json", config);
  add_cached_file (repo, commit, "1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}");
  if (with_weights)
    add_cached_file (repo, commit, "model.safetensors", "weights of " COMMIT_A);
  if (with_ref)
    {
      g_autofree char *ref = g_build_filename (repo, "refs", "main", NULL);

      write_file (ref, commit);
    }
  return g_build_filename (repo, "snapshots", commit, NULL);
}

static char *
resolve (const char *name, gboolean allow_download, GError **error)
{
  return lk_model_store_resolve (name, allow_download, NULL, NULL, NULL, error);
}

static void
test_validate_id (void)
{
  const char *valid[] = {
    "sentence-transformers/all-MiniLM-L6-v2", "bert-base-uncased", "a", "A_b.c-d/x_1",
    "org/_x_", "123/456",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  };
  const char *invalid[] = {
    "", "../x", "/abs", "a/b/c", "a b", "a/", "/", "-a", "a/-b", "a-", ".a", "a..b",
    "a--b", "x.git", "a\nb", "caf\xc3\xa9", "a\\b", "~/x", "./x",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (lk_model_store_validate_id (valid[i], &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (lk_model_store_validate_id (invalid[i], &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, invalid[i]));
    }
}

static void
test_cache_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *from_hub_cache = NULL, *from_home = NULL, *from_xdg = NULL;
  g_autofree char *from_tilde = NULL, *fallback = NULL, *expected = NULL;

  g_setenv ("HF_HOME", "/srv/hf", TRUE);
  g_setenv ("XDG_CACHE_HOME", "/srv/xdg", TRUE);
  from_hub_cache = lk_model_store_get_cache_dir ();
  g_assert_cmpstr (from_hub_cache, ==, f->cache);

  g_unsetenv ("HF_HUB_CACHE");
  from_home = lk_model_store_get_cache_dir ();
  g_assert_cmpstr (from_home, ==, "/srv/hf/hub");

  g_setenv ("HF_HOME", "~/hf", TRUE);
  from_tilde = lk_model_store_get_cache_dir ();
  expected = g_build_filename (g_get_home_dir (), "hf", "hub", NULL);
  g_assert_cmpstr (from_tilde, ==, expected);
  g_clear_pointer (&expected, g_free);

  g_unsetenv ("HF_HOME");
  from_xdg = lk_model_store_get_cache_dir ();
  g_assert_cmpstr (from_xdg, ==, "/srv/xdg/huggingface/hub");

  g_unsetenv ("XDG_CACHE_HOME");
  fallback = lk_model_store_get_cache_dir ();
  expected = g_build_filename (g_get_home_dir (), ".cache", "huggingface", "hub", NULL);
  g_assert_cmpstr (fallback, ==, expected);
}

static void
test_folder (Fixture *f, gconstpointer data)
{
  g_autofree char *model = g_build_filename (f->tmp, "my-model", NULL);
  g_autofree char *config = g_build_filename (model, "config.json", NULL);
  g_autofree char *empty = g_build_filename (f->tmp, "empty", NULL);
  g_autofree char *canonical = NULL;
  g_autofree char *old_cwd = g_get_current_dir ();
  g_autofree char *by_abs = NULL, *by_rel = NULL, *by_dot = NULL, *by_dotdot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) empty_error = NULL;
  g_autoptr(GError) missing_error = NULL;
  char *none;

  write_file (config, "{}");
  g_assert_cmpint (g_mkdir (empty, 0755), ==, 0);
  canonical = g_canonicalize_filename (model, NULL);

  by_abs = resolve (model, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_abs, ==, canonical);

  g_assert_cmpint (g_chdir (f->tmp), ==, 0);
  by_rel = resolve ("my-model", FALSE, &error);
  g_assert_no_error (error);
  by_dot = resolve ("./my-model", FALSE, &error);
  g_assert_no_error (error);
  by_dotdot = resolve ("../hub/../my-model", TRUE, &error);

  none = resolve ("./empty", FALSE, &empty_error);
  g_assert_null (none);
  g_assert_error (empty_error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (empty_error->message, "config.json"));

  none = resolve ("./missing", TRUE, &missing_error);
  g_assert_null (none);
  g_assert_error (missing_error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (missing_error->message, "./missing"));
  g_assert_cmpint (g_chdir (old_cwd), ==, 0);

  g_assert_cmpstr (by_rel, ==, canonical);
  g_assert_cmpstr (by_dot, ==, canonical);
  /* "../hub" does not exist, so the path must fail rather than be guessed. */
  g_assert_null (by_dotdot);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

static void
test_cache_layout (Fixture *f, gconstpointer data)
{
  g_autofree char *snapshot = add_cached_model (f, "models--org--name", COMMIT_A, TRUE, TRUE);
  g_autofree char *other = add_cached_model (f, "models--org--name", COMMIT_B, FALSE, TRUE);
  g_autofree char *path = NULL;
  g_autofree char *config = NULL;
  g_autofree char *pooling = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  /* B is newer, but refs/main names A. */
  path = resolve ("org/name", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, snapshot);

  config = g_build_filename (path, "config.json", NULL);
  g_assert_true (g_file_test (config, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (config, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, COMMIT_A));
  pooling = g_build_filename (path, "1_Pooling", "config.json", NULL);
  g_assert_true (g_file_test (pooling, G_FILE_TEST_IS_REGULAR));
}

static void
test_cache_without_ref (Fixture *f, gconstpointer data)
{
  g_autofree char *snapshot = add_cached_model (f, "models--org--pinned", COMMIT_B, FALSE, TRUE);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  path = resolve ("org/pinned", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, snapshot);
}

static void
test_bare_name (Fixture *f, gconstpointer data)
{
  g_autofree char *st = add_cached_model (f, "models--sentence-transformers--all-MiniLM-L6-v2",
                                          COMMIT_A, TRUE, TRUE);
  g_autofree char *canonical = add_cached_model (f, "models--bert-base-uncased", COMMIT_B, TRUE, TRUE);
  g_autofree char *shadowed = add_cached_model (f, "models--sentence-transformers--bert-base-uncased",
                                                COMMIT_A, TRUE, TRUE);
  g_autofree char *path = NULL;
  g_autofree char *path2 = NULL;
  g_autoptr(GError) error = NULL;

  path = resolve ("all-MiniLM-L6-v2", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, st);

  /* The name as given wins over the sentence-transformers guess. */
  path2 = resolve ("bert-base-uncased", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path2, ==, canonical);
  g_assert_cmpstr (path2, !=, shadowed);
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  g_autofree char *repo = g_build_filename (f->cache, "models--nobody-has-this", NULL);
  g_autofree char *st_repo = g_build_filename (f->cache, "models--sentence-transformers--nobody-has-this", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) offline_error = NULL;
  char *path;

  path = resolve ("nobody-has-this", FALSE, &error);
  g_assert_null (path);
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "nobody-has-this"));
  g_assert_nonnull (strstr (error->message, repo));
  g_assert_nonnull (strstr (error->message, st_repo));

  /* Downloads allowed, but HF_HUB_OFFLINE=1 (set by the fixture). */
  path = resolve ("org/nobody-has-this", TRUE, &offline_error);
  g_assert_null (path);
  g_assert_error (offline_error, LK_ERROR, LK_ERROR_OFFLINE);
  g_test_message ("%s", offline_error->message);
  g_assert_nonnull (strstr (offline_error->message, "org/nobody-has-this"));
  g_assert_nonnull (strstr (offline_error->message, "HF_HUB_OFFLINE"));
}

static void
test_invalid_name (Fixture *f, gconstpointer data)
{
  const char *names[] = { "", "a/b/c", "a b", "org/-x" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (resolve (names[i], TRUE, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
    }
}

/* A snapshot someone filled with config.json only is not complete: it is
 * only the answer when nothing can be downloaded. */
static void
test_incomplete_snapshot (Fixture *f, gconstpointer data)
{
  g_autofree char *snapshot = add_cached_model (f, "models--org--partial", COMMIT_A, TRUE, FALSE);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  path = resolve ("org/partial", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, snapshot);
}

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autofree char *a = add_cached_model (f, "models--org--zeta", COMMIT_A, TRUE, TRUE);
  g_autofree char *b = add_cached_model (f, "models--bert-base-uncased", COMMIT_B, FALSE, TRUE);
  g_autofree char *junk = g_build_filename (f->cache, "models--org--empty", "snapshots", NULL);
  g_autofree char *extra = g_build_filename (f->tmp, "models", NULL);
  g_autofree char *m1 = g_build_filename (extra, "m1", "config.json", NULL);
  g_autofree char *m2 = g_build_filename (extra, "m2", "modules.json", NULL);
  g_autofree char *not_model = g_build_filename (extra, "notes", "README.md", NULL);
  g_autofree char *single = g_build_filename (f->tmp, "single", "config.json", NULL);
  g_autofree char *single_dir = g_path_get_dirname (single);
  g_autofree char *nowhere = g_build_filename (f->tmp, "nowhere", NULL);
  const char *extras[] = { extra, single_dir, nowhere, NULL };
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;
  LkModelInfo *info;

  g_assert_cmpint (g_mkdir_with_parents (junk, 0755), ==, 0);
  write_file (m1, "{\"model_type\": \"clip\"}");
  write_file (m2, "[]");
  write_file (not_model, "hello");
  /* A hostile config.json: listed, its architecture unknown, no crash. */
  {
    g_autofree char *deep = lk_test_deep_json ("{\"model_type\": ", 100000, "}");
    write_file (single, deep);
  }

  infos = lk_model_store_list (extras, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (infos->len, ==, 5);

  info = infos->pdata[0];
  g_assert_cmpstr (info->id, ==, "bert-base-uncased");
  g_assert_cmpstr (info->revision, ==, COMMIT_B);
  g_assert_cmpstr (info->path, ==, b);
  info = infos->pdata[1];
  g_assert_cmpstr (info->id, ==, "org/zeta");
  g_assert_cmpstr (info->revision, ==, COMMIT_A);
  g_assert_cmpstr (info->path, ==, a);
  info = infos->pdata[2];
  g_assert_cmpstr (info->id, ==, "m1");
  g_assert_null (info->revision);
  g_assert_true (g_str_has_suffix (info->path, "/models/m1"));
  /* The architecture from config.json, read through the checked reader. */
  g_assert_cmpstr (info->architecture, ==, "clip");
  info = infos->pdata[3];
  g_assert_cmpstr (info->id, ==, "m2");
  g_assert_null (info->architecture);
  info = infos->pdata[4];
  g_assert_cmpstr (info->id, ==, "single");
  g_assert_null (info->architecture);
  g_assert_true (g_path_is_absolute (info->path));
}

static void
test_list_no_cache (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;

  infos = lk_model_store_list (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (infos->len, ==, 0);
}

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static void
test_async (Fixture *f, gconstpointer data)
{
  g_autofree char *snapshot = add_cached_model (f, "models--org--name", COMMIT_A, TRUE, TRUE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) bad_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  lk_model_store_resolve_async ("org/name", FALSE, NULL, NULL, NULL, on_resolved, &result);
  lk_model_store_resolve_async ("../nope", FALSE, NULL, NULL, NULL, on_resolved, &bad_result);
  while (result == NULL || bad_result == NULL)
    g_main_context_iteration (NULL, TRUE);

  path = lk_model_store_resolve_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, snapshot);
  g_assert_null (lk_model_store_resolve_finish (bad_result, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

/* ---- lk_model_load: the tiny BERT (tests/golden/tiny/bert) as a folder
 * and as a snapshot of the cache ---- */

static const LkModelOptions cpu = { LK_DEVICE_CPU, 1 };

static char *
tiny_bert (void)
{
  return g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
}

/* Returns the snapshot folder. */
static char *
add_cached_tiny_bert (Fixture *f, const char *repo_name)
{
  static const char * const files[] = {
    "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
    "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    "vocab.txt", "1_Pooling/config.json", NULL
  };
  g_autofree char *src = tiny_bert ();
  g_autofree char *repo = g_build_filename (f->cache, repo_name, NULL);
  g_autofree char *ref = g_build_filename (repo, "refs", "main", NULL);

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *from = g_build_filename (src, files[i], NULL);
      g_autofree char *data = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (from, &data, &len, NULL));
      add_cached_bytes (repo, COMMIT_A, files[i], data, len);
    }
  write_file (ref, COMMIT_A);
  return g_build_filename (repo, "snapshots", COMMIT_A, NULL);
}

static LkModel *
load (const char *name, LkModelLoadFlags flags, GCancellable *cancellable, GError **error)
{
  return lk_model_load (name, flags, &cpu, NULL, NULL, cancellable, error);
}

/* A folder is named by its name. */
static void
test_load_folder (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = tiny_bert ();
  g_autofree char *canonical = g_canonicalize_filename (dir, NULL);
  g_autoptr(GError) error = NULL;
  LkModel *model = load (dir, LK_MODEL_LOAD_NONE, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_id (model), ==, "bert");
  g_assert_cmpstr (lk_model_get_path (model), ==, canonical);
  g_assert_cmpuint (lk_model_get_dim (model), >, 0);
  g_assert_finalize_object (model);
}

/* Each kind told apart by what its folder declares: the tiny models in the
 * layouts the real stack saves (tests/oracle/kinds_oracle.py for the two
 * that Likeness does not explain), and the other spellings by hand. */
static void
test_kinds (Fixture *f, gconstpointer data)
{
  static const struct { const char *name; LkModelKind kind; const char *why; } tiny[] = {
    { "bert", LK_MODEL_KIND_TEXT, NULL },
    { "xlmr", LK_MODEL_KIND_TEXT, NULL },
    { "modernbert", LK_MODEL_KIND_TEXT, NULL },
    { "qwen3", LK_MODEL_KIND_TEXT, NULL },
    { "clip", LK_MODEL_KIND_IMAGE_TEXT, NULL },
    { "cross-encoder", LK_MODEL_KIND_CROSS_ENCODER, "BertForSequenceClassification" },
    { "late-interaction", LK_MODEL_KIND_LATE_INTERACTION, "MultiVectorEncoder" },
  };
  static const struct { const char *config, *modules, *st; LkModelKind kind; const char *why; } made[] = {
    /* an older CrossEncoder: config.json only */
    { "{\"model_type\": \"xlm-roberta\", \"architectures\": [\"XLMRobertaForSequenceClassification\"]}",
      NULL, NULL, LK_MODEL_KIND_CROSS_ENCODER, "XLMRobertaForSequenceClassification" },
    /* a decoder reranker (Qwen3-Reranker): a causal LM and a LogitScore */
    { "{\"model_type\": \"qwen3\", \"architectures\": [\"Qwen3ForCausalLM\"]}",
      "[{\"path\": \"\", \"type\": \"sentence_transformers.base.modules.transformer.Transformer\"},"
      " {\"path\": \"1_LogitScore\", \"type\": \"sentence_transformers.cross_encoder.modules.LogitScore\"}]",
      "{\"model_type\": \"CrossEncoder\"}", LK_MODEL_KIND_CROSS_ENCODER, "CrossEncoder" },
    /* PyLate: a Transformer and a token Dense, no Pooling */
    { "{\"model_type\": \"bert\"}",
      "[{\"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
      " {\"path\": \"1_Dense\", \"type\": \"pylate.models.Dense.Dense\"}]",
      NULL, LK_MODEL_KIND_LATE_INTERACTION, "pylate.models.Dense.Dense" },
    /* a bi-encoder in sentence-transformers 5.4's module names */
    { "{\"model_type\": \"bert\", \"architectures\": [\"BertModel\"]}",
      "[{\"path\": \"\", \"type\": \"sentence_transformers.base.modules.transformer.Transformer\"},"
      " {\"path\": \"1_Pooling\", \"type\": \"sentence_transformers.sentence_transformer.modules.pooling.Pooling\"}]",
      "{\"model_type\": \"SentenceTransformer\"}", LK_MODEL_KIND_TEXT, NULL },
    /* hostile spellings: read as what they can be, never a crash */
    { "{\"model_type\": \"bert\", \"architectures\": \"BertForSequenceClassification\"}",
      NULL, NULL, LK_MODEL_KIND_TEXT, NULL },
    { "{\"model_type\": \"bert\", \"architectures\": [1, null, {}, [\"BertForSequenceClassification\"]]}",
      "[1, {\"type\": 2}]", "[]", LK_MODEL_KIND_TEXT, NULL },
    { "{\"architectures\": [\"BertModel\"]}", "{}", "{\"model_type\": 7}", LK_MODEL_KIND_UNKNOWN, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tiny); i++)
    {
      g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", tiny[i].name, NULL);
      g_autofree char *why = NULL;

      g_test_message ("%s", tiny[i].name);
      g_assert_cmpint (lk_model_kind_for_folder (dir, &why), ==, tiny[i].kind);
      if (tiny[i].why)
        g_assert_nonnull (strstr (why, tiny[i].why));
      else
        g_assert_null (why);
    }
  for (guint i = 0; i < G_N_ELEMENTS (made); i++)
    {
      g_autofree char *name = g_strdup_printf ("kind-%u", i);
      g_autofree char *dir = g_build_filename (f->tmp, name, NULL);
      g_autofree char *config = g_build_filename (dir, "config.json", NULL);
      g_autofree char *modules = g_build_filename (dir, "modules.json", NULL);
      g_autofree char *st = g_build_filename (dir, "config_sentence_transformers.json", NULL);
      g_autofree char *why = NULL;

      g_test_message ("%s", made[i].config);
      write_file (config, made[i].config);
      if (made[i].modules)
        write_file (modules, made[i].modules);
      if (made[i].st)
        write_file (st, made[i].st);
      g_assert_cmpint (lk_model_kind_for_folder (dir, &why), ==, made[i].kind);
      if (made[i].why)
        g_assert_nonnull (strstr (why, made[i].why));
      else
        g_assert_null (why);
    }
  g_assert_cmpstr (lk_model_kind_to_string (LK_MODEL_KIND_TEXT), ==, "bi-encoder");
  g_assert_cmpstr (lk_model_kind_to_string (LK_MODEL_KIND_CROSS_ENCODER), ==, "cross-encoder");
  g_assert_cmpstr (lk_model_kind_to_string (LK_MODEL_KIND_LATE_INTERACTION), ==, "late-interaction");
}

/* A reranker or a ColBERT model is not loaded as the bi-encoder of its
 * encoder (whose cosine it never computes): refused, saying what it is. */
static void
test_load_other_kinds (Fixture *f, gconstpointer data)
{
  static const char *const names[][2] = {
    { "cross-encoder", "is a cross-encoder (config.json: architectures BertForSequenceClassification)" },
    { "late-interaction", "is a late-interaction model (config_sentence_transformers.json: model_type MultiVectorEncoder)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", names[i][0], NULL);
      g_autoptr(GError) error = NULL;
      LkModel *model = load (dir, LK_MODEL_LOAD_NONE, NULL, &error);

      g_assert_null (model);
      g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, names[i][1]));
      g_assert_nonnull (strstr (error->message, "not supported yet"));
    }
}

/* A snapshot is named by the hub id it holds; a bare NAME found as
 * sentence-transformers/NAME is recorded so. */
static void
test_load_cached (Fixture *f, gconstpointer data)
{
  g_autofree char *snapshot = add_cached_tiny_bert (f, "models--lk-test--tiny-bert");
  g_autofree char *st = add_cached_tiny_bert (f, "models--sentence-transformers--tiny-bert");
  g_autoptr(GError) error = NULL;
  LkModel *model;

  model = load ("lk-test/tiny-bert", LK_MODEL_LOAD_ALLOW_DOWNLOAD, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_id (model), ==, "lk-test/tiny-bert");
  g_assert_cmpstr (lk_model_get_path (model), ==, snapshot);
  g_assert_finalize_object (model);

  model = lk_model_new ("tiny-bert", &cpu, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_id (model), ==, "sentence-transformers/tiny-bert");
  g_assert_cmpstr (lk_model_get_path (model), ==, st);
  g_assert_finalize_object (model);
}

static void
test_load_missing (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) offline_error = NULL;

  g_assert_null (load ("org/nobody-has-this", LK_MODEL_LOAD_NONE, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  /* HF_HUB_OFFLINE=1, set by the fixture. */
  g_assert_null (load ("org/nobody-has-this", LK_MODEL_LOAD_ALLOW_DOWNLOAD, NULL, &offline_error));
  g_assert_error (offline_error, LK_ERROR, LK_ERROR_OFFLINE);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  GAsyncResult **out = data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static LkModel *
load_async_wait (const char *name, GCancellable *cancel, gulong cancel_after_us, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  lk_model_load_async (name, LK_MODEL_LOAD_NONE, &cpu, NULL, NULL, cancel, on_loaded, &result);
  if (cancel != NULL)
    {
      g_usleep (cancel_after_us);
      g_cancellable_cancel (cancel);
    }
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return lk_model_load_finish (result, error);
}

/* Cancelled before it starts, and at moments while the worker resolves
 * and loads: always G_IO_ERROR_CANCELLED (a model loaded after the cancel
 * is dropped with the task: the sanitizer run, tools/test.sh, would report
 * one kept). */
static void
test_load_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = tiny_bert ();
  g_autofree char *snapshot = add_cached_tiny_bert (f, "models--lk-test--tiny-bert");
  const char *names[] = { dir, "lk-test/tiny-bert" };
  const gulong delays_us[] = { 0, 100, 1000, 5000, 20000 };

  for (guint n = 0; n < G_N_ELEMENTS (names); n++)
    {
      g_autoptr(GCancellable) cancelled = g_cancellable_new ();
      g_autoptr(GError) error = NULL;

      g_cancellable_cancel (cancelled);
      g_assert_null (load (names[n], LK_MODEL_LOAD_NONE, cancelled, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      for (guint d = 0; d < G_N_ELEMENTS (delays_us); d++)
        {
          g_autoptr(GCancellable) cancel = g_cancellable_new ();
          g_autoptr(GError) async_error = NULL;

          g_assert_null (load_async_wait (names[n], cancel, delays_us[d], &async_error));
          g_assert_error (async_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        }
    }
}

/* The sync load cancelled from another thread while it runs: a model (the
 * cancel came too late) or G_IO_ERROR_CANCELLED, never another error. */
typedef struct {
  GCancellable *cancel;
  gulong        after_us;
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *c = data;

  g_usleep (c->after_us);
  g_cancellable_cancel (c->cancel);
  return NULL;
}

static void
test_load_cancel_sync (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = tiny_bert ();
  guint cancelled = 0, loaded = 0;

  for (gulong after = 0; after <= 512000; after = after ? 2 * after : 500)
    {
      g_autoptr(GCancellable) cancel = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      Canceller c = { cancel, after };
      GThread *thread = g_thread_new ("canceller", cancel_later, &c);
      LkModel *model = load (dir, LK_MODEL_LOAD_NONE, cancel, &error);

      g_thread_join (thread);
      if (model != NULL)
        {
          g_assert_no_error (error);
          g_assert_finalize_object (model);
          loaded++;
        }
      else
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
          cancelled++;
        }
    }
  g_test_message ("%u cancelled, %u loaded before the cancel", cancelled, loaded);
}

static void
test_load_async (Fixture *f, gconstpointer data)
{
  g_autofree char *snapshot = add_cached_tiny_bert (f, "models--lk-test--tiny-bert");
  g_autoptr(GError) error = NULL;
  LkModel *model = load_async_wait ("lk-test/tiny-bert", NULL, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_id (model), ==, "lk-test/tiny-bert");
  g_assert_cmpstr (lk_model_get_path (model), ==, snapshot);
  g_assert_finalize_object (model);

  g_assert_null (load_async_wait ("org/nobody-has-this", NULL, 0, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/model-store/validate-id", test_validate_id);
#define ADD(path, fn) g_test_add ("/model-store/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("cache-dir", test_cache_dir);
  ADD ("folder", test_folder);
  ADD ("cache-layout", test_cache_layout);
  ADD ("cache-without-ref", test_cache_without_ref);
  ADD ("bare-name", test_bare_name);
  ADD ("missing", test_missing);
  ADD ("invalid-name", test_invalid_name);
  ADD ("incomplete-snapshot", test_incomplete_snapshot);
  ADD ("list", test_list);
  ADD ("list-no-cache", test_list_no_cache);
  ADD ("async", test_async);
  ADD ("load/folder", test_load_folder);
  ADD ("load/cached", test_load_cached);
  ADD ("load/missing", test_load_missing);
  ADD ("load/cancel", test_load_cancel);
  ADD ("load/cancel-sync", test_load_cancel_sync);
  ADD ("load/async", test_load_async);
  ADD ("kinds", test_kinds);
  ADD ("load/other-kinds", test_load_other_kinds);
#undef ADD
  return g_test_run ();
}
