/* test-sts.c — benchmark file readers and the correlations. */
#include <string.h>
#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-sts.h"

static char *
data_path (const char *rel)
{
  const char *root = g_getenv ("LK_SHARED_DATA");
  g_assert_nonnull (root);
  return g_build_filename (root, rel, NULL);
}

static void
test_correlations (void)
{
  double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 6, 8, 10 }, z[] = { 5, 4, 3, 2, 1 };
  double t1[] = { 1, 2, 2, 3 }, t2[] = { 1, 3, 2, 4 };

  g_assert_cmpfloat_with_epsilon (lk_pearson (x, y, 5), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (lk_spearman (x, z, 5), -1.0, 1e-12);
  /* ties get their mean rank: ranks (1, 2.5, 2.5, 4) against (1, 3, 2, 4) */
  g_assert_cmpfloat_with_epsilon (lk_spearman (t1, t2, 4), 0.9486832980505138, 1e-12);
}

static void
check_file (const char *rel, const char *split, guint pairs, const char *format)
{
  g_autofree char *path = data_path (rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkStsSet) set = lk_sts_load (path, split, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (set->gold->len, ==, pairs);
  g_assert_cmpuint (set->a->len, ==, pairs);
  g_assert_cmpstr (set->format, ==, format);
}

static void
test_formats (void)
{
  check_file ("stsb/sts-test.csv", NULL, 1379, "stsb");
  check_file ("stsb/sts-dev.csv", NULL, 1500, "stsb");
  check_file ("stsb/stsb-en-test.csv", NULL, 1379, "stsb-csv");
  check_file ("sick/SICK_test_relatedness.tsv", NULL, 4906, "sick");
  check_file ("sick/SICK.txt", "TEST", 4906, "sick");
  check_file ("sick/SICK.txt", "TRAIN", 4439, "sick");
  check_file ("sick/SICK.txt", NULL, 9840, "sick");
  check_file ("biosses/biosses.tsv", NULL, 100, "biosses");
}

static void
expect_error (const char *content, const char *fragment)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "lk-test-sts.tsv", NULL);
  g_autoptr(GError) error = NULL;
  LkStsSet *set;

  g_file_set_contents (path, content, -1, NULL);
  set = lk_sts_load (path, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected “%s” in “%s”", fragment, error->message);
  g_unlink (path);
}

static void
test_bad_files (void)
{
  g_autoptr(GError) error = NULL;

  expect_error ("", "empty");
  expect_error ("a\tb\tc\n", "7 tab-separated columns");
  expect_error ("g\tf\ty\tid\tfive\ts1\ts2\ng\tf\ty\tid\t1\ts1\ts2\n", ":1: column 5 (score) is not a number");
  expect_error ("pair_ID\tsentence_A\tsentence_B\trelatedness_score\n1\ta\tb\tNaN?\n", ":2: the score is not a number");
  expect_error ("x,y\n", "three CSV fields");
  g_assert_null (lk_sts_load ("/nonexistent/file.tsv", NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sts/correlations", test_correlations);
  g_test_add_func ("/sts/formats", test_formats);
  g_test_add_func ("/sts/bad-files", test_bad_files);
  return g_test_run ();
}
