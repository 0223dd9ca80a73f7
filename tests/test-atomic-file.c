/* test-atomic-file.c — LkAtomicFile: whole files or none, also when the
 * writer is killed halfway, in both ways (O_TMPFILE and the named
 * temporary file), with errors that name the user's path. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "lk-atomic-file.h"
#include "lk-json.h"
#include "lk-test-utils.h"

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

static void
assert_names_user_path (const GError *error, const char *path)
{
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  lk_test_assert_message (error, path);
  g_assert_null (strstr (error->message, ".tmp"));
}

static void
test_write (gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-atomic-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "out.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  lk_atomic_file_set_no_tmpfile (GPOINTER_TO_INT (data));
  g_assert_true (lk_atomic_file_write (path, "first", 5, 0640, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "first");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640 & ~0022 & 0777);
  /* an existing file is replaced */
  g_assert_true (lk_atomic_file_write (path, "second", 6, 0644, &error));
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "second");
  g_assert_cmpuint (count_entries (dir), ==, 1);
  /* freed without a commit: nothing appears, the old file stays */
  {
    g_autofree char *fresh = g_build_filename (dir, "never.txt", NULL);
    LkAtomicFile *f = lk_atomic_file_new (fresh, 0644, &error);
    g_assert_no_error (error);
    g_assert_cmpint (write (lk_atomic_file_get_fd (f), "x", 1), ==, 1);
    lk_atomic_file_free (f);
    g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  }
  g_assert_cmpuint (count_entries (dir), ==, 1);
  lk_atomic_file_set_no_tmpfile (FALSE);
  lk_test_rm_rf (dir);
}

typedef enum { DIE_EXIT, DIE_ABORT, DIE_KILL } Death;

/* A child starts writing @path and dies before the commit. */
static void
die_while_writing (const char *path, Death how)
{
  int status;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      struct rlimit no_core = { 0, 0 };
      LkAtomicFile *f = lk_atomic_file_new (path, 0644, NULL);
      setrlimit (RLIMIT_CORE, &no_core);
      if (f == NULL || write (lk_atomic_file_get_fd (f), "half of a file", 14) != 14)
        _exit (3);
      if (how == DIE_ABORT)
        abort ();
      if (how == DIE_KILL)
        raise (SIGKILL);
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (how == DIE_EXIT)
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  else
    g_assert_true (WIFSIGNALED (status));
}

static void
test_crash (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-atomic-XXXXXX", NULL);
  g_autofree char *fresh = g_build_filename (dir, "fresh.svg", NULL);
  g_autofree char *kept = g_build_filename (dir, "kept.json", NULL);
  g_autofree char *text = NULL;

  for (Death how = DIE_EXIT; how <= DIE_KILL; how++)
    {
      die_while_writing (fresh, how);
      g_assert_cmpuint (count_entries (dir), ==, 0);
    }
  g_assert_true (g_file_set_contents (kept, "old", -1, NULL));
  for (Death how = DIE_EXIT; how <= DIE_KILL; how++)
    die_while_writing (kept, how);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_assert_true (g_file_get_contents (kept, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old");
  lk_test_rm_rf (dir);
}

static void
test_errors (gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-atomic-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "r.json", NULL);
  g_autofree char *folder = g_build_filename (dir, "taken.json", NULL);
  g_autofree char *late = g_build_filename (dir, "late.json", NULL);
  g_autoptr(GError) error = NULL;
  LkAtomicFile *f;

  lk_atomic_file_set_no_tmpfile (GPOINTER_TO_INT (data));
  g_assert_false (lk_atomic_file_write (missing, "x", 1, 0644, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_names_user_path (error, missing);
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_false (lk_atomic_file_write (folder, "x", 1, 0644, &error));
  assert_names_user_path (error, folder);
  g_clear_error (&error);

  /* the target becomes a folder while the file is written: the commit fails, nothing is left */
  f = lk_atomic_file_new (late, 0644, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (lk_atomic_file_get_fd (f), "x", 1), ==, 1);
  g_assert_cmpint (g_mkdir (late, 0755), ==, 0);
  g_assert_false (lk_atomic_file_commit (f, &error));
  lk_atomic_file_free (f);
  assert_names_user_path (error, late);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 2);   /* the two folders */
  lk_atomic_file_set_no_tmpfile (FALSE);
  lk_test_rm_rf (dir);
}

/* Results and sessions go through lk_json_save_atomic: its errors name the
 * user's file (g_file_set_contents named its temporary one). */
static void
test_json (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-atomic-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "result.json", NULL);
  g_autofree char *good = g_build_filename (dir, "result.json", NULL);
  g_autoptr(JsonNode) node = json_from_string ("{\"a\": 1}", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (lk_json_save_atomic (node, missing, &error));
  assert_names_user_path (error, missing);
  g_clear_error (&error);
  g_assert_true (lk_json_save_atomic (node, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  lk_test_rm_rf (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/atomic-file/write/tmpfile", GINT_TO_POINTER (FALSE), test_write);
  g_test_add_data_func ("/atomic-file/write/named", GINT_TO_POINTER (TRUE), test_write);
  g_test_add_func ("/atomic-file/crash", test_crash);
  g_test_add_data_func ("/atomic-file/errors/tmpfile", GINT_TO_POINTER (FALSE), test_errors);
  g_test_add_data_func ("/atomic-file/errors/named", GINT_TO_POINTER (TRUE), test_errors);
  g_test_add_func ("/atomic-file/json", test_json);
  return g_test_run ();
}
