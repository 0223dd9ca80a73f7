/* test-download.c — downloads from a fake hub: a SoupServer on 127.0.0.1,
 * in its own thread, serving a small model in the hub's URL layout, with
 * variants that misbehave (cut bodies, wrong hashes, 404, 500, ignored
 * ranges).  Nothing leaves the loopback interface. */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include "lk-error.h"
#include "lk-model.h"
#include "lk-model-store.h"
#include "lk-test-utils.h"

#define REPO "lk-test/tiny"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"
#define TOKEN "hf_test_token"
#define WEIGHTS_SIZE 600000

typedef enum {
  HUB_NORMAL,       /* LFS files served directly, ETag = SHA-256 */
  HUB_REDIRECT,     /* LFS files redirected to a CDN, as the real hub does */
  HUB_CUT,          /* model.safetensors' body stops half-way */
  HUB_IGNORE_RANGE, /* Range requests answered 200 with the whole file */
  HUB_BAD_HASH,     /* model.safetensors announced with a wrong SHA-256 */
  HUB_FILE_404,
  HUB_FILE_500,
  HUB_BAD_SHA,      /* the API answers a commit that is a path */
} HubMode;

typedef struct {
  char    *path;
  GBytes  *bytes;
  gboolean lfs;
  char    *etag;
} HubFile;

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;     /* the endpoint */
  char         *cdn_url; /* same server, another port: another origin */
  GMutex        lock;
  GCond         cond;
  gboolean      ready;
  char         *repo;
  HubMode       mode;
  GPtrArray    *log;     /* "METHOD path|range|auth", under lock */
  GPtrArray    *files;   /* of HubFile; read-only once started */
} FakeHub;

typedef struct {
  char    *tmp;
  char    *cache;
  FakeHub *hub;
} Fixture;

/* ---- the model ---------------------------------------------------------- */

static char *
git_blob_sha1 (GBytes *bytes)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *header = g_strdup_printf ("blob %" G_GSIZE_FORMAT, g_bytes_get_size (bytes));
  gsize size;
  const guchar *data = g_bytes_get_data (bytes, &size);

  g_checksum_update (sum, (const guchar *) header, strlen (header) + 1);
  g_checksum_update (sum, data, size);
  return g_strdup (g_checksum_get_string (sum));
}

static GBytes *
pseudo_random_bytes (gsize size, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guchar *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  return g_bytes_new_take (data, size);
}

static void
hub_add (FakeHub *hub, const char *path, GBytes *bytes, gboolean lfs)
{
  HubFile *file = g_new0 (HubFile, 1);

  file->path = g_strdup (path);
  file->bytes = bytes;
  file->lfs = lfs;
  file->etag = lfs ? g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes) : git_blob_sha1 (bytes);
  g_ptr_array_add (hub->files, file);
}

static void
hub_add_text (FakeHub *hub, const char *path, const char *text)
{
  hub_add (hub, path, g_bytes_new (text, strlen (text)), FALSE);
}

static void
hub_file_free (HubFile *file)
{
  g_free (file->path);
  g_bytes_unref (file->bytes);
  g_free (file->etag);
  g_free (file);
}

/* model.safetensors comes early so a cancelled download has files after it. */
static void
hub_fill (FakeHub *hub)
{
  hub_add_text (hub, "config.json", "{\"model_type\": \"bert\", \"hidden_size\": 8}");
  hub_add (hub, "model.safetensors", pseudo_random_bytes (WEIGHTS_SIZE, 1), TRUE);
  hub_add_text (hub, "modules.json", "[{\"idx\": 0, \"path\": \"\"}, {\"idx\": 1, \"path\": \"1_Pooling\"}]");
  hub_add_text (hub, "tokenizer.json", "{\"version\": \"1.0\"}");
  hub_add_text (hub, "vocab.txt", "[PAD]\n[UNK]\nhello\n");
  hub_add_text (hub, "1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}");
  hub_add_text (hub, "2_Dense/config.json", "{\"in_features\": 8}");
  hub_add (hub, "2_Dense/pytorch_model.bin", pseudo_random_bytes (5000, 2), TRUE);
  /* Present, but never needed: */
  hub_add (hub, "pytorch_model.bin", pseudo_random_bytes (3000, 3), TRUE);
  hub_add (hub, "tf_model.h5", pseudo_random_bytes (3000, 4), TRUE);
  hub_add (hub, "onnx/model.onnx", pseudo_random_bytes (3000, 5), TRUE);
  hub_add_text (hub, "onnx/config.json", "{}");
  hub_add_text (hub, "checkpoint-1/config.json", "{}");
  hub_add_text (hub, "README.md", "# tiny\n");
}

/* The committed tiny BERT (tests/golden/tiny/bert), a model that loads. */
static void
hub_fill_tiny_bert (FakeHub *hub)
{
  static const char * const files[] = {
    "config.json", "model.safetensors", "config_sentence_transformers.json", "modules.json",
    "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
    "vocab.txt", "1_Pooling/config.json", NULL
  };
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      char *data = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      hub_add (hub, files[i], g_bytes_new_take (data, len), g_str_has_suffix (files[i], ".safetensors"));
    }
}

static const char * const expected_files[] = {
  "1_Pooling/config.json", "2_Dense/config.json", "2_Dense/pytorch_model.bin",
  "config.json", "model.safetensors", "modules.json", "tokenizer.json", "vocab.txt", NULL
};

static HubFile *
hub_find (FakeHub *hub, const char *path)
{
  for (guint i = 0; i < hub->files->len; i++)
    {
      HubFile *file = hub->files->pdata[i];

      if (g_str_equal (file->path, path) || g_str_equal (file->etag, path))
        return file;
    }
  return NULL;
}

/* ---- the server --------------------------------------------------------- */

static HubMode
hub_get_mode (FakeHub *hub)
{
  HubMode mode;

  g_mutex_lock (&hub->lock);
  mode = hub->mode;
  g_mutex_unlock (&hub->lock);
  return mode;
}

static void
hub_set_mode (FakeHub *hub, HubMode mode)
{
  g_mutex_lock (&hub->lock);
  hub->mode = mode;
  g_mutex_unlock (&hub->lock);
}

static void
hub_set_repo (FakeHub *hub, const char *repo)
{
  g_mutex_lock (&hub->lock);
  g_free (hub->repo);
  hub->repo = g_strdup (repo);
  g_mutex_unlock (&hub->lock);
}

static guint
hub_count (FakeHub *hub)
{
  guint n;

  g_mutex_lock (&hub->lock);
  n = hub->log->len;
  g_mutex_unlock (&hub->lock);
  return n;
}

/* Whether some request line contains @needle. */
static gboolean
hub_saw (FakeHub *hub, const char *needle)
{
  gboolean found = FALSE;

  g_mutex_lock (&hub->lock);
  for (guint i = 0; i < hub->log->len && !found; i++)
    found = strstr (hub->log->pdata[i], needle) != NULL;
  g_mutex_unlock (&hub->lock);
  return found;
}

static void
hub_log (FakeHub *hub, SoupServerMessage *msg, const char *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *range = soup_message_headers_get_one (headers, "Range");
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  g_mutex_lock (&hub->lock);
  g_ptr_array_add (hub->log, g_strdup_printf ("%s %s|%s|%s", soup_server_message_get_method (msg),
                                              path, range ? range : "", auth ? auth : ""));
  g_mutex_unlock (&hub->lock);
}

static void
serve_api (FakeHub *hub, SoupServerMessage *msg)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append_printf (json, "{\"id\": \"%s\", \"sha\": \"%s\", \"siblings\": [",
                          hub->repo, hub_get_mode (hub) == HUB_BAD_SHA ? "../../../escape" : COMMIT);
  for (guint i = 0; i < hub->files->len; i++)
    g_string_append_printf (json, "{\"rfilename\": \"%s\"}, ", ((HubFile *) hub->files->pdata[i])->path);
  /* Paths that would climb out of the snapshot; the server has no such files. */
  g_string_append (json, "{\"rfilename\": \"../evil/config.json\"}, {\"rfilename\": \"/abs/config.json\"}]}");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json->str, json->len);
}

/* Writes the head and half the body by hand, then hangs up: the client
 * sees a connection cut mid-body. */
static void
serve_cut (SoupServerMessage *msg, HubFile *file, const char *etag)
{
  g_autoptr(GIOStream) io = soup_server_message_steal_connection (msg);
  gsize size = g_bytes_get_size (file->bytes);
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n"
                                           "ETag: \"%s\"\r\nConnection: close\r\n\r\n", size, etag);
  GOutputStream *out = g_io_stream_get_output_stream (io);

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  g_output_stream_write_all (out, g_bytes_get_data (file->bytes, NULL), size / 2, NULL, NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
}

static gboolean
parse_range (SoupServerMessage *msg, goffset *start)
{
  const char *range = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Range");

  if (range == NULL || !g_str_has_prefix (range, "bytes=") || !g_str_has_suffix (range, "-"))
    return FALSE;
  *start = g_ascii_strtoll (range + 6, NULL, 10);
  return TRUE;
}

/* The bytes of @file, honouring "Range: bytes=N-" unless told not to. */
static void
serve_bytes (FakeHub *hub, SoupServerMessage *msg, HubFile *file, const char *etag)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize size = g_bytes_get_size (file->bytes);
  const char *data = g_bytes_get_data (file->bytes, NULL);
  gboolean is_get = g_str_equal (soup_server_message_get_method (msg), "GET");
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", etag);
  goffset start = 0;

  soup_message_headers_replace (headers, "ETag", quoted);
  soup_message_headers_replace (headers, "X-Repo-Commit", COMMIT);
  if (is_get && hub_get_mode (hub) == HUB_CUT && g_str_equal (file->path, "model.safetensors"))
    {
      serve_cut (msg, file, etag);
      return;
    }
  if (is_get && hub_get_mode (hub) == HUB_IGNORE_RANGE)
    {
      /* Chunked, so libsoup does not turn it into a 206 by itself. */
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY, data, size);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      return;
    }
  if (is_get && parse_range (msg, &start) && start > 0 && (gsize) start < size)
    {
      soup_message_headers_set_content_range (headers, start, size - 1, size);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                        data + start, size - start);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY, data, size);
}

static void
serve_resolve (FakeHub *hub, SoupServerMessage *msg, HubFile *file)
{
  HubMode mode = hub_get_mode (hub);
  g_autofree char *wrong = NULL;

  if (g_str_equal (file->path, "model.safetensors") && (mode == HUB_FILE_404 || mode == HUB_FILE_500))
    {
      soup_server_message_set_status (msg, mode == HUB_FILE_404 ? 404 : 500, NULL);
      return;
    }
  if (file->lfs && mode == HUB_REDIRECT)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      g_autofree char *location = g_strdup_printf ("%s/cdn/%s", hub->cdn_url, file->etag);
      g_autofree char *quoted = g_strdup_printf ("\"%s\"", file->etag);
      g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (file->bytes));

      soup_message_headers_replace (headers, "X-Linked-Etag", quoted);
      soup_message_headers_replace (headers, "X-Linked-Size", size);
      soup_message_headers_replace (headers, "X-Repo-Commit", COMMIT);
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
      return;
    }
  if (mode == HUB_BAD_HASH && g_str_equal (file->path, "model.safetensors"))
    wrong = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "not these bytes", -1);
  serve_bytes (hub, msg, file, wrong != NULL ? wrong : file->etag);
}

static void
hub_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
             GHashTable *query, gpointer data)
{
  FakeHub *hub = data;
  g_autofree char *repo = NULL;
  g_autofree char *api = NULL;
  g_autofree char *resolve = NULL;
  HubFile *file = NULL;

  hub_log (hub, msg, path);
  g_mutex_lock (&hub->lock);
  repo = g_strdup (hub->repo);
  g_mutex_unlock (&hub->lock);
  api = g_strdup_printf ("/api/models/%s/revision/main", repo);
  resolve = g_strdup_printf ("/%s/resolve/%s/", repo, COMMIT);

  if (g_str_equal (path, api))
    serve_api (hub, msg);
  else if (g_str_has_prefix (path, resolve) && (file = hub_find (hub, path + strlen (resolve))) != NULL)
    serve_resolve (hub, msg, file);
  else if (g_str_has_prefix (path, "/cdn/") && (file = hub_find (hub, path + 5)) != NULL)
    serve_bytes (hub, msg, file, file->etag);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static char *
listen_once (SoupServer *server, GSList **seen)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;
  char *url = NULL;

  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  for (GSList *l = uris; l != NULL && url == NULL; l = l->next)
    {
      g_autofree char *s = g_uri_to_string (l->data);

      if (g_str_has_suffix (s, "/"))
        s[strlen (s) - 1] = '\0';
      if (!g_slist_find_custom (*seen, s, (GCompareFunc) g_strcmp0))
        url = g_steal_pointer (&s);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  *seen = g_slist_prepend (*seen, g_strdup (url));
  return url;
}

static gpointer
hub_thread (gpointer data)
{
  FakeHub *hub = data;
  GSList *seen = NULL;

  g_main_context_push_thread_default (hub->context);
  hub->server = soup_server_new ("server-header", "fake-hub", NULL);
  soup_server_add_handler (hub->server, NULL, hub_handler, hub, NULL);
  hub->url = listen_once (hub->server, &seen);
  hub->cdn_url = listen_once (hub->server, &seen);
  g_slist_free_full (seen, g_free);
  g_assert_true (g_str_has_prefix (hub->url, "http://127.0.0.1:"));

  g_mutex_lock (&hub->lock);
  hub->ready = TRUE;
  g_cond_signal (&hub->cond);
  g_mutex_unlock (&hub->lock);

  g_main_loop_run (hub->loop);
  soup_server_disconnect (hub->server);
  g_clear_object (&hub->server);
  g_main_context_pop_thread_default (hub->context);
  return NULL;
}

static FakeHub *
hub_start (void (*fill) (FakeHub *hub))
{
  FakeHub *hub = g_new0 (FakeHub, 1);

  g_mutex_init (&hub->lock);
  g_cond_init (&hub->cond);
  hub->repo = g_strdup (REPO);
  hub->log = g_ptr_array_new_with_free_func (g_free);
  hub->files = g_ptr_array_new_with_free_func ((GDestroyNotify) hub_file_free);
  fill (hub);
  hub->context = g_main_context_new ();
  hub->loop = g_main_loop_new (hub->context, FALSE);
  hub->thread = g_thread_new ("fake-hub", hub_thread, hub);
  g_mutex_lock (&hub->lock);
  while (!hub->ready)
    g_cond_wait (&hub->cond, &hub->lock);
  g_mutex_unlock (&hub->lock);
  return hub;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
hub_stop (FakeHub *hub)
{
  g_main_context_invoke (hub->context, quit_loop, hub->loop);
  g_thread_join (hub->thread);
  g_main_loop_unref (hub->loop);
  g_main_context_unref (hub->context);
  g_ptr_array_unref (hub->log);
  g_ptr_array_unref (hub->files);
  g_mutex_clear (&hub->lock);
  g_cond_clear (&hub->cond);
  g_free (hub->repo);
  g_free (hub->url);
  g_free (hub->cdn_url);
  g_free (hub);
}

/* ---- fixture and helpers ----------------------------------------------- */

static void
fixture_setup_with (Fixture *f, void (*fill) (FakeHub *hub))
{
  f->tmp = g_dir_make_tmp ("lk-download-XXXXXX", NULL);
  f->cache = g_build_filename (f->tmp, "hub", NULL);
  f->hub = hub_start (fill);
  g_setenv ("HF_HUB_CACHE", f->cache, TRUE);
  g_setenv ("HF_ENDPOINT", f->hub->url, TRUE);
  g_unsetenv ("HF_HUB_OFFLINE");
  g_unsetenv ("HF_TOKEN");
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_setup_with (f, hub_fill);
}

static void
fixture_setup_tiny_bert (Fixture *f, gconstpointer data)
{
  fixture_setup_with (f, hub_fill_tiny_bert);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  hub_stop (f->hub);
  lk_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->cache);
}

static char *
repo_path (Fixture *f, const char *first, ...)
{
  g_autofree char *repo = g_build_filename (f->cache, "models--lk-test--tiny", NULL);
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, repo);
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static gboolean
blob_exists (Fixture *f, const char *name, const char *suffix)
{
  g_autofree char *base = g_strconcat (name, suffix, NULL);
  g_autofree char *path = repo_path (f, "blobs", base, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

typedef struct {
  guint    calls;
  guint64  done;
  guint64  total;
  GThread *thread;
  gboolean finished;
  GCancellable *cancel_on_weights;
} Progress;

static void
on_progress (const char *file, guint64 done, guint64 total, gpointer data)
{
  Progress *p = data;

  g_assert_nonnull (file);
  g_assert_cmpuint (done, >=, p->done);
  g_assert_cmpuint (done, <=, total);
  g_assert_false (p->finished);
  if (p->thread != NULL)
    g_assert_true (g_thread_self () == p->thread);
  p->calls++;
  p->done = done;
  p->total = total;
  if (p->cancel_on_weights != NULL && g_str_equal (file, "model.safetensors"))
    g_cancellable_cancel (p->cancel_on_weights);
}

static char *
download (const char *name, Progress *progress, GCancellable *cancellable, GError **error)
{
  return lk_model_store_resolve (name, TRUE, progress ? on_progress : NULL, progress,
                                 cancellable, error);
}

static guint64
expected_total (FakeHub *hub)
{
  guint64 total = 0;

  for (guint i = 0; expected_files[i] != NULL; i++)
    total += g_bytes_get_size (hub_find (hub, expected_files[i])->bytes);
  return total;
}

static void
list_tree (const char *root, const char *prefix, GPtrArray *out)
{
  g_autofree char *dir_path = g_build_filename (root, prefix, NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *rel = *prefix ? g_strdup_printf ("%s/%s", prefix, name) : g_strdup (name);
      g_autofree char *full = g_build_filename (root, rel, NULL);

      if (!g_file_test (full, G_FILE_TEST_IS_SYMLINK) && g_file_test (full, G_FILE_TEST_IS_DIR))
        list_tree (root, rel, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&rel));
    }
}

/* The snapshot holds exactly the needed files, each a relative link to its
 * blob, each with the hub's bytes; refs/main names the commit. */
static void
assert_snapshot (Fixture *f, const char *path)
{
  g_autofree char *snapshot = repo_path (f, "snapshots", COMMIT, NULL);
  g_autofree char *ref = repo_path (f, "refs", "main", NULL);
  g_autofree char *ref_contents = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpstr (path, ==, snapshot);
  list_tree (snapshot, "", found);
  g_assert_cmpuint (found->len, ==, g_strv_length ((char **) expected_files));
  for (guint i = 0; expected_files[i] != NULL; i++)
    {
      HubFile *file = hub_find (f->hub, expected_files[i]);
      g_autofree char *link = g_build_filename (snapshot, expected_files[i], NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      g_autofree char *want = g_strdup_printf ("%s../../blobs/%s",
                                               strchr (file->path, '/') ? "../" : "", file->etag);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_cmpstr (target, ==, want);
      g_assert_true (g_file_get_contents (link, &contents, &length, NULL));
      g_assert_cmpmem (contents, length, g_bytes_get_data (file->bytes, NULL), g_bytes_get_size (file->bytes));
      g_assert_true (blob_exists (f, file->etag, ""));
      g_assert_false (blob_exists (f, file->etag, ".incomplete"));
    }
  g_assert_true (g_file_get_contents (ref, &ref_contents, NULL, NULL));
  g_assert_cmpstr (ref_contents, ==, COMMIT);
}

static gboolean
is_expected (const char *path)
{
  return g_strv_contains (expected_files, path);
}

static void
assert_nothing_extra_requested (FakeHub *hub)
{
  for (guint i = 0; i < hub->files->len; i++)
    {
      HubFile *file = hub->files->pdata[i];
      g_autofree char *resolve = g_strdup_printf ("%s/%s|", COMMIT, file->path);
      g_autofree char *cdn = g_strdup_printf ("/cdn/%s|", file->etag);

      if (is_expected (file->path))
        continue;
      if (hub_saw (hub, resolve) || hub_saw (hub, cdn))
        g_error ("%s was requested", file->path);
    }
  g_assert_false (hub_saw (hub, "evil"));
  g_assert_false (hub_saw (hub, "/abs/"));
}

/* Whether one request line contains both @a and @b. */
static gboolean
hub_saw_both (FakeHub *hub, const char *a, const char *b)
{
  gboolean found = FALSE;

  g_mutex_lock (&hub->lock);
  for (guint i = 0; i < hub->log->len && !found; i++)
    found = strstr (hub->log->pdata[i], a) != NULL && strstr (hub->log->pdata[i], b) != NULL;
  g_mutex_unlock (&hub->lock);
  return found;
}

static gboolean
snapshot_exists (Fixture *f)
{
  g_autofree char *snapshot = repo_path (f, "snapshots", COMMIT, NULL);

  return g_file_test (snapshot, G_FILE_TEST_EXISTS);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_normal (Fixture *f, gconstpointer data)
{
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *again = NULL;
  guint requests;

  path = download (REPO, &progress, NULL, &error);
  g_assert_no_error (error);
  assert_snapshot (f, path);
  assert_nothing_extra_requested (f->hub);
  g_assert_true (hub_saw (f->hub, "HEAD /" REPO "/resolve/" COMMIT "/model.safetensors"));
  g_assert_false (hub_saw (f->hub, "Bearer"));
  g_assert_cmpuint (progress.calls, >, 0);
  g_assert_cmpuint (progress.total, ==, expected_total (f->hub));
  g_assert_cmpuint (progress.done, ==, progress.total);

  /* Now it is in the cache: no request at all. */
  requests = hub_count (f->hub);
  again = download (REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, path);
  g_assert_cmpuint (hub_count (f->hub), ==, requests);
}

/* As the real hub: LFS files answer 302 to a CDN with X-Linked-Etag and
 * X-Linked-Size; the token goes to the hub, never to the CDN. */
static void
test_redirect (Fixture *f, gconstpointer data)
{
  HubFile *weights = hub_find (f->hub, "model.safetensors");
  g_autofree char *cdn = g_strdup_printf ("GET /cdn/%s", weights->etag);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hub_set_mode (f->hub, HUB_REDIRECT);
  g_setenv ("HF_TOKEN", TOKEN, TRUE);
  path = download (REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_snapshot (f, path);
  assert_nothing_extra_requested (f->hub);
  g_assert_true (hub_saw (f->hub, cdn));
  g_assert_true (hub_saw_both (f->hub, "/api/models/", "Bearer " TOKEN));
  g_assert_true (hub_saw_both (f->hub, "/resolve/", "Bearer " TOKEN));
  g_assert_false (hub_saw_both (f->hub, "/cdn/", "Bearer"));
}

static void
cut_download (Fixture *f)
{
  HubFile *weights = hub_find (f->hub, "model.safetensors");
  g_autofree char *blob = repo_path (f, "blobs", weights->etag, NULL);
  g_autofree char *partial = g_strconcat (blob, ".incomplete", NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  hub_set_mode (f->hub, HUB_CUT);
  g_assert_null (download (REPO, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NETWORK);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "model.safetensors"));
  g_assert_nonnull (strstr (error->message, G_STRINGIFY (WEIGHTS_SIZE)));
  g_assert_nonnull (strstr (error->message, "300000"));

  g_assert_false (g_file_test (blob, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_stat (partial, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, WEIGHTS_SIZE / 2);
  g_assert_false (snapshot_exists (f));
}

static void
test_resume (Fixture *f, gconstpointer data)
{
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  cut_download (f);
  hub_set_mode (f->hub, HUB_NORMAL);
  path = download (REPO, &progress, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hub_saw_both (f->hub, "GET /" REPO "/resolve/" COMMIT "/model.safetensors", "|bytes=300000-|"));
  assert_snapshot (f, path);
  g_assert_cmpuint (progress.done, ==, expected_total (f->hub));
}

/* A server that ignores Range sends the whole file: start over, not append. */
static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  cut_download (f);
  hub_set_mode (f->hub, HUB_IGNORE_RANGE);
  path = download (REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hub_saw (f->hub, "|bytes=300000-|"));
  assert_snapshot (f, path);
}

static void
test_bad_hash (Fixture *f, gconstpointer data)
{
  HubFile *weights = hub_find (f->hub, "model.safetensors");
  g_autofree char *wrong = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "not these bytes", -1);
  g_autofree char *ref = repo_path (f, "refs", "main", NULL);
  g_autoptr(GError) error = NULL;

  hub_set_mode (f->hub, HUB_BAD_HASH);
  g_assert_null (download (REPO, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_CHECKSUM);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "model.safetensors"));
  g_assert_nonnull (strstr (error->message, wrong));
  g_assert_nonnull (strstr (error->message, weights->etag));
  g_assert_false (blob_exists (f, wrong, ""));
  g_assert_false (blob_exists (f, wrong, ".incomplete"));
  g_assert_false (blob_exists (f, weights->etag, ""));
  g_assert_false (snapshot_exists (f));
  g_assert_false (g_file_test (ref, G_FILE_TEST_EXISTS));
}

static void
test_http_status (Fixture *f, gconstpointer data)
{
  HubMode mode = GPOINTER_TO_INT (data);
  g_autofree char *status = g_strdup_printf ("HTTP %d", mode == HUB_FILE_404 ? 404 : 500);
  g_autoptr(GError) error = NULL;

  hub_set_mode (f->hub, mode);
  g_assert_null (download (REPO, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NETWORK);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, status));
  g_assert_nonnull (strstr (error->message, "/resolve/" COMMIT "/model.safetensors"));
  g_assert_nonnull (strstr (error->message, REPO));
  g_assert_false (snapshot_exists (f));
}

static void
test_not_on_hub (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (download ("lk-test/absent", NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "lk-test/absent"));
  g_assert_nonnull (strstr (error->message, "404"));
}

static void
test_offline (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_setenv ("HF_HUB_OFFLINE", "1", TRUE);
  g_assert_null (download (REPO, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_OFFLINE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, REPO));
  g_assert_cmpuint (hub_count (f->hub), ==, 0);
}

static void
test_invalid_ids (Fixture *f, gconstpointer data)
{
  const char *ids[] = { "a/b/c", "a b", "", "x/-y", "a--b", "org/na..me" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (download (ids[i], NULL, NULL, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpuint (hub_count (f->hub), ==, 0);
}

static void
test_bad_commit (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = g_build_filename (f->tmp, "escape", NULL);

  hub_set_mode (f->hub, HUB_BAD_SHA);
  g_assert_null (download (REPO, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_cmpuint (hub_count (f->hub), ==, 1);
  g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
}

/* "tiny" is not on the hub; sentence-transformers/tiny is. */
static void
test_bare_name (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = g_build_filename (f->cache, "models--sentence-transformers--tiny",
                                                "snapshots", COMMIT, NULL);
  g_autofree char *config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hub_set_repo (f->hub, "sentence-transformers/tiny");
  path = download ("tiny", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, expected);
  g_assert_true (hub_saw (f->hub, "GET /api/models/tiny/revision/main|"));
  g_assert_true (hub_saw (f->hub, "GET /api/models/sentence-transformers/tiny/revision/main|"));
  config = g_build_filename (path, "1_Pooling", "config.json", NULL);
  g_assert_true (g_file_test (config, G_FILE_TEST_IS_REGULAR));
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Progress progress = { .cancel_on_weights = cancellable };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_assert_null (download (REPO, &progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (snapshot_exists (f));

  g_clear_error (&error);
  path = download (REPO, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_snapshot (f, path);
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
  Progress progress = { .thread = g_thread_self () };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  lk_model_store_resolve_async (REPO, TRUE, on_progress, &progress, NULL, on_resolved, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  progress.finished = TRUE;
  /* A late progress report would fail on_progress's assertion. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  path = lk_model_store_resolve_finish (result, &error);
  g_assert_no_error (error);
  assert_snapshot (f, path);
  g_assert_cmpuint (progress.calls, >, 0);
  g_assert_cmpuint (progress.done, ==, expected_total (f->hub));
}

/* ---- lk_model_load: downloaded, then loaded ---------------------------- */

static const LkModelOptions cpu = { LK_DEVICE_CPU, 1 };

typedef struct {
  Progress      *progress;
  GAsyncResult  *result;
} Loaded;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Loaded *loaded = data;

  g_assert_null (loaded->result);
  /* Every report came before this callback: the one for the last byte too. */
  g_assert_cmpuint (loaded->progress->done, ==, loaded->progress->total);
  loaded->progress->finished = TRUE;
  loaded->result = g_object_ref (result);
}

/* The async load downloads with progress in the caller's thread, none
 * after the ready callback, and loads what it fetched under its hub id. */
static void
test_load_async (Fixture *f, gconstpointer data)
{
  Progress progress = { .thread = g_thread_self () };
  Loaded loaded = { &progress, NULL };
  g_autoptr(GError) error = NULL;
  LkModel *model;

  lk_model_load_async (REPO, LK_MODEL_LOAD_ALLOW_DOWNLOAD, &cpu, on_progress, &progress, NULL, on_loaded, &loaded);
  while (loaded.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  /* A late progress report would fail on_progress's assertion. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  model = lk_model_load_finish (loaded.result, &error);
  g_clear_object (&loaded.result);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_id (model), ==, REPO);
  g_assert_cmpuint (progress.calls, >, 0);
  g_assert_cmpuint (progress.total, >, 0);
  g_assert_finalize_object (model);
}

/* Without the flag a model missing from the cache is not fetched; with it
 * the sync load downloads and reports in the calling thread; cancelled
 * during the download, it keeps no model and the next load resumes. */
static void
test_load_sync (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Progress progress = { .thread = g_thread_self (), .cancel_on_weights = cancellable };
  Progress again = { .thread = g_thread_self () };
  g_autoptr(GError) error = NULL;
  LkModel *model;

  g_assert_null (lk_model_load (REPO, LK_MODEL_LOAD_NONE, &cpu, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (hub_saw (f->hub, "|"));   /* no request at all */

  g_assert_null (lk_model_load (REPO, LK_MODEL_LOAD_ALLOW_DOWNLOAD, &cpu, on_progress, &progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  model = lk_model_load (REPO, LK_MODEL_LOAD_ALLOW_DOWNLOAD, &cpu, on_progress, &again, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_id (model), ==, REPO);
  g_assert_cmpuint (again.done, ==, again.total);
  g_assert_finalize_object (model);
}

int
main (int argc, char **argv)
{
  /* Straight to the loopback server: no system proxy settings, which the
   * isolated XDG dirs would hide from GIO's proxy modules anyway. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, fn, data) \
  g_test_add ("/download/" path, Fixture, GINT_TO_POINTER (data), fixture_setup, fn, fixture_teardown)
  ADD ("normal", test_normal, 0);
  ADD ("redirect", test_redirect, 0);
  ADD ("resume", test_resume, 0);
  ADD ("restart", test_restart, 0);
  ADD ("bad-hash", test_bad_hash, 0);
  ADD ("http-404", test_http_status, HUB_FILE_404);
  ADD ("http-500", test_http_status, HUB_FILE_500);
  ADD ("not-on-hub", test_not_on_hub, 0);
  ADD ("offline", test_offline, 0);
  ADD ("invalid-ids", test_invalid_ids, 0);
  ADD ("bad-commit", test_bad_commit, 0);
  ADD ("bare-name", test_bare_name, 0);
  ADD ("cancel", test_cancel, 0);
  ADD ("async", test_async, 0);
#undef ADD
  g_test_add ("/download/load/async", Fixture, NULL, fixture_setup_tiny_bert, test_load_async, fixture_teardown);
  g_test_add ("/download/load/sync", Fixture, NULL, fixture_setup_tiny_bert, test_load_sync, fixture_teardown);
  return g_test_run ();
}
