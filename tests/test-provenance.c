/* test-provenance.c — which weights made a result: every file of a model
 * folder hashed (and only those the loader may read), the hub snapshot's
 * revision, the hash cache (a file is read once, and again when it
 * changes), and the check that a photo is still the one a result records. */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-provenance.h"
#include "lk-test-utils.h"

static void
put (const char *dir, const char *rel, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

static char *
sha_of (const char *s)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, s, -1);
}

static void
test_model_folder (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-prov-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) prov = NULL;
  g_autofree char *weights_sha = sha_of ("weights v1");
  g_autofree char *pool_sha = sha_of ("{\"pooling_mode_mean_tokens\": true}");
  JsonObject *files;
  guint before;

  put (dir, "config.json", "{}");
  put (dir, "model.safetensors", "weights v1");
  put (dir, "1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}");
  put (dir, "README.md", "# a model card");
  put (dir, ".gitattributes", "*.bin filter=lfs");
  put (dir, "onnx/model.onnx", "not read by Likeness");

  before = lk_file_sha256_count ();
  prov = lk_provenance_of_model (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (prov, "source"), ==, "local folder");
  g_assert_true (json_object_get_null_member (prov, "revision"));
  g_assert_cmpstr (json_object_get_string_member (prov, "weights_sha256"), ==, weights_sha);
  files = json_object_get_object_member (prov, "files");
  g_assert_cmpuint (json_object_get_size (files), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (files, "model.safetensors"), ==, weights_sha);
  g_assert_cmpstr (json_object_get_string_member (files, "1_Pooling/config.json"), ==, pool_sha);
  g_assert_true (json_object_has_member (files, "config.json"));
  g_assert_false (json_object_has_member (files, "README.md"));
  g_assert_false (json_object_has_member (files, "onnx/model.onnx"));
  g_assert_cmpuint (lk_file_sha256_count () - before, ==, 3);

  /* Again: from the cache, nothing read. */
  g_clear_pointer (&prov, json_object_unref);
  prov = lk_provenance_of_model (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lk_file_sha256_count () - before, ==, 3);

  /* The weights change (same size, a later time): read again, new hash. */
  {
    g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
    g_autofree char *v2 = sha_of ("weights v2");
    struct timespec later[2] = { { 0, UTIME_OMIT }, { time (NULL) + 10, 0 } };

    g_assert_true (g_file_set_contents (path, "weights v2", -1, NULL));
    g_assert_cmpint (utimensat (AT_FDCWD, path, later, 0), ==, 0);
    g_clear_pointer (&prov, json_object_unref);
    prov = lk_provenance_of_model (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (lk_file_sha256_count () - before, ==, 4);
    g_assert_cmpstr (json_object_get_string_member (prov, "weights_sha256"), ==, v2);
  }

  /* The cache is kept for the next run. */
  {
    g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "likeness", "sha256.json", NULL);
    g_assert_true (g_file_test (cache, G_FILE_TEST_IS_REGULAR));
  }
  lk_test_rm_rf (dir);
}

static void
test_hub_snapshot (void)
{
  g_autofree char *root = g_dir_make_tmp ("lk-prov-hub-XXXXXX", NULL);
  g_autofree char *snap = g_build_filename (root, "models--org--name", "snapshots",
                                            "0123456789abcdef0123456789abcdef01234567", NULL);
  g_autofree char *blob = g_build_filename (root, "models--org--name", "blobs", "b1", NULL);
  g_autofree char *link = g_build_filename (snap, "pytorch_model.bin", NULL);
  g_autofree char *bin_sha = sha_of ("pickled weights");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) prov = NULL;

  put (snap, "config.json", "{}");
  put (root, "models--org--name/blobs/b1", "pickled weights");
  /* The hub cache's snapshot files are links to blobs: the blob is hashed. */
  g_assert_cmpint (symlink (blob, link), ==, 0);
  prov = lk_provenance_of_model (snap, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (prov, "source"), ==, "hub cache");
  g_assert_cmpstr (json_object_get_string_member (prov, "revision"), ==, "0123456789abcdef0123456789abcdef01234567");
  g_assert_cmpstr (json_object_get_string_member (prov, "weights_sha256"), ==, bin_sha);
  lk_test_rm_rf (root);
}

static void
test_check_image (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-prov-img-XXXXXX", NULL);
  g_autofree char *photo = g_build_filename (dir, "photo.jpg", NULL);
  g_autofree char *fifo = g_build_filename (dir, "pipe.jpg", NULL);
  g_autofree char *sha = sha_of ("the bytes of a photo");
  g_autoptr(JsonObject) image = json_object_new ();
  g_autoptr(GError) error = NULL;
  gboolean unchecked = FALSE;

  g_assert_true (g_file_set_contents (photo, "the bytes of a photo", -1, NULL));
  json_object_set_string_member (image, "absolute_path", photo);

  /* An older result, without a hash: passed, and said so. */
  g_assert_true (lk_provenance_check_image (image, &unchecked, &error));
  g_assert_no_error (error);
  g_assert_true (unchecked);

  json_object_set_string_member (image, "sha256", sha);
  g_assert_true (lk_provenance_check_image (image, &unchecked, &error));
  g_assert_no_error (error);
  g_assert_false (unchecked);

  /* Another photo under the same name: refused, with both hashes. */
  {
    g_autofree char *other = sha_of ("another photo");
    struct timespec later[2] = { { 0, UTIME_OMIT }, { time (NULL) + 10, 0 } };

    g_assert_true (g_file_set_contents (photo, "another photo", -1, NULL));
    g_assert_cmpint (utimensat (AT_FDCWD, photo, later, 0), ==, 0);
    g_assert_false (lk_provenance_check_image (image, &unchecked, &error));
    g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
    lk_test_assert_message (error, photo);
    lk_test_assert_message (error, sha);
    lk_test_assert_message (error, other);
    g_clear_error (&error);
  }

  /* Gone, or not a file: the image loader's words. */
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  json_object_set_string_member (image, "absolute_path", fifo);
  g_assert_false (lk_provenance_check_image (image, &unchecked, &error));
  lk_test_assert_message (error, "named pipe");
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (photo), ==, 0);
  json_object_set_string_member (image, "absolute_path", photo);
  g_assert_false (lk_provenance_check_image (image, &unchecked, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
  lk_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  /* Isolated folders: the hash cache goes to a temporary XDG_CACHE_HOME. */
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/provenance/model-folder", test_model_folder);
  g_test_add_func ("/provenance/hub-snapshot", test_hub_snapshot);
  g_test_add_func ("/provenance/check-image", test_check_image);
  return g_test_run ();
}
