/* test-session.c — .likeness sessions: a round trip, and files that are
 * corrupt or come from a newer version. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lk-error.h"
#include "lk-session.h"
#include "lk-test-utils.h"

static LkExplanation *
make_explanation (const char *method)
{
  LkExplanation *x = lk_explanation_new (method);
  const char *a = "The coffee is bad.", *b = "Not a good coffee.";
  LkToken ta[] = { { "[CLS]", 0, 0, TRUE, -1 }, { "coffee", 4, 10, FALSE, 0 }, { "[SEP]", 0, 0, TRUE, -1 } };
  LkToken tb[] = { { "[CLS]", 0, 0, TRUE, -1 }, { "good", 6, 10, FALSE, 0 }, { "coffee", 11, 17, FALSE, 1 },
                   { "[SEP]", 0, 0, TRUE, -1 } };
  LkMatrix m = { 3, 4, g_new0 (double, 12) };

  lk_explanation_set_text (x, 0, a);
  lk_explanation_set_text (x, 1, b);
  for (guint i = 0; i < G_N_ELEMENTS (ta); i++)
    lk_explanation_add_token (x, 0, &ta[i]);
  for (guint i = 0; i < G_N_ELEMENTS (tb); i++)
    lk_explanation_add_token (x, 1, &tb[i]);
  for (guint i = 0; i < 12; i++)
    m.data[i] = (i % 5) * 0.125 - 0.25;
  lk_explanation_take_matrix (x, &m);
  lk_explanation_set_score (x, "similarity", 0.79);
  lk_explanation_set_score (x, "sum", 0.88);
  json_object_set_string_member (lk_explanation_get_model (x), "id", "sentence-transformers/all-MiniLM-L6-v2");
  json_object_set_int_member (lk_explanation_get_params (x), "layer", 0);
  return x;
}

static LkSession *
make_session (void)
{
  LkSession *s = lk_session_new ();
  g_autoptr(LkExplanation) x1 = make_explanation ("bilrp");
  g_autoptr(LkExplanation) x2 = make_explanation ("align");

  lk_session_set_mode (s, LK_INPUT_TEXT_PAIR);
  lk_session_set_text (s, 0, "The coffee is bad.");
  lk_session_set_text (s, 1, "Not a good coffee.");
  lk_session_set_caption (s, "A cup of coffee ☕");
  lk_session_set_prompt (s, 0, "query");
  lk_session_set_prompt (s, 1, "");
  lk_session_set_model (s, "sentence-transformers/all-MiniLM-L6-v2");
  lk_session_set_method (s, "bilrp");
  lk_session_set_view (s, "aspects");
  json_object_set_int_member (lk_session_get_params (s), "ij-steps", 4);
  json_object_set_int_member (lk_session_get_params (s), "ij-layer", -1);
  lk_session_add_result (s, x1);
  lk_session_add_result (s, x2);
  return s;
}

static char *
session_text (LkSession *s)
{
  g_autoptr(JsonNode) node = lk_session_to_json (s);
  return json_to_string (node, TRUE);
}

static char *
temp_path (const char *name)
{
  g_autofree char *dir = g_dir_make_tmp ("test-session-XXXXXX", NULL);
  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static void
remove_temp (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_remove (path);
  g_assert_cmpint (g_rmdir (dir), ==, 0);   /* no temporary file left behind */
}

static void
test_round_trip (void)
{
  LkSession *s = make_session ();
  LkSession *back;
  g_autofree char *path = temp_path ("pair.likeness");
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_session_save (s, path, &error));
  g_assert_no_error (error);
  back = lk_session_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);

  g_assert_cmpint (lk_session_get_mode (back), ==, LK_INPUT_TEXT_PAIR);
  g_assert_cmpstr (lk_session_get_text (back, 0), ==, "The coffee is bad.");
  g_assert_cmpstr (lk_session_get_text (back, 1), ==, "Not a good coffee.");
  g_assert_null (lk_session_get_image (back));
  g_assert_cmpstr (lk_session_get_caption (back), ==, "A cup of coffee ☕");
  /* the prompt chosen, "" (none) kept apart from NULL (the model's default) */
  g_assert_cmpstr (lk_session_get_prompt (back, 0), ==, "query");
  g_assert_cmpstr (lk_session_get_prompt (back, 1), ==, "");
  g_assert_cmpstr (lk_session_get_model (back), ==, "sentence-transformers/all-MiniLM-L6-v2");
  g_assert_cmpstr (lk_session_get_method (back), ==, "bilrp");
  g_assert_cmpstr (lk_session_get_view (back), ==, "aspects");
  g_assert_cmpint (json_object_get_int_member (lk_session_get_params (back), "ij-steps"), ==, 4);
  g_assert_cmpuint (lk_session_get_n_results (back), ==, 2);
  g_assert_cmpstr (lk_explanation_get_method (lk_session_get_result (back, 1)), ==, "align");
  g_assert_cmpfloat_with_epsilon (lk_explanation_get_score (lk_session_get_result (back, 0), "similarity", 0), 0.79, 1e-12);
  g_assert_cmpuint (lk_explanation_get_matrix (lk_session_get_result (back, 0))->cols, ==, 4);

  /* The same file again, byte for byte. */
  before = session_text (s);
  after = session_text (back);
  g_assert_cmpstr (before, ==, after);

  /* A loaded session stays editable. */
  json_object_set_int_member (lk_session_get_params (back), "masks", 100);

  remove_temp (path);
  g_assert_finalize_object (back);
  g_assert_finalize_object (s);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

static void
expect_error (const char *contents, int code, const char *fragment)
{
  g_autofree char *path = temp_path ("bad.likeness");
  g_autoptr(GError) error = NULL;
  LkSession *s;

  write_file (path, contents);
  s = lk_session_load (path, &error);
  g_assert_null (s);
  g_assert_error (error, LK_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));   /* it says which file */
  if (fragment && strstr (error->message, fragment) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, fragment);
  remove_temp (path);
}

static void
test_corrupt (void)
{
  expect_error ("{ \"schema\": \"likeness.session/1\", ", LK_ERROR_INVALID_DATA, "not valid JSON");
  expect_error ("", LK_ERROR_INVALID_DATA, NULL);
  expect_error ("[1, 2]", LK_ERROR_INVALID_DATA, "object");
  expect_error ("{ \"inputs\": {} }", LK_ERROR_INVALID_DATA, "schema");
  expect_error ("{ \"schema\": \"likeness.explanation/1\" }", LK_ERROR_INVALID_DATA, "schema");
  expect_error ("{ \"schema\": \"likeness.session/x\", \"inputs\": {} }", LK_ERROR_INVALID_DATA, "version");
  expect_error ("{ \"schema\": \"likeness.session/1\" }", LK_ERROR_INVALID_DATA, "inputs");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": { \"text_a\": 3 } }",
                LK_ERROR_INVALID_DATA, "inputs.text_a");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": { \"mode\": \"video\" } }",
                LK_ERROR_INVALID_DATA, "inputs.mode");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"params\": [] }",
                LK_ERROR_INVALID_DATA, "params");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"view\": \"matrix\" }",
                LK_ERROR_INVALID_DATA, "\"view\" must be");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"view\": 2 }",
                LK_ERROR_INVALID_DATA, "view");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"results\": {} }",
                LK_ERROR_INVALID_DATA, "results");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"results\": [ { \"schema\": 1 } ] }",
                LK_ERROR_INVALID_DATA, "result 1");
}

/* An older schema is "older", not "newer"; a session nested 100 000 deep
 * gets a message, not SIGSEGV; a text decoded to invalid UTF-8 is refused. */
static void
test_older_deep (void)
{
  g_autofree char *deep = lk_test_deep_json ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"params\": ",
                                             100000, " }");

  expect_error ("{ \"schema\": \"likeness.session/0\", \"inputs\": {} }", LK_ERROR_UNSUPPORTED,
                "from an older version of Likeness");
  expect_error (deep, LK_ERROR_INVALID_DATA, "JSON nested deeper than 512 levels at byte ");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": { \"text_a\": \"\\udc00xy\" } }",
                LK_ERROR_INVALID_DATA, "inputs.text_a is not valid UTF-8");
  expect_error ("{ \"schema\": \"likeness.session/1\", \"inputs\": {}, \"results\": [ { \"scores\": "
                "{ \"similarity\": 1e999 } } ] }", LK_ERROR_INVALID_DATA, "results[0].scores.similarity is not a finite number");
}

static void
test_newer (void)
{
  expect_error ("{ \"schema\": \"likeness.session/2\", \"inputs\": { \"text_a\": 3 }, \"future\": true }",
                LK_ERROR_UNSUPPORTED, "newer version");
}

static void
test_missing (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (lk_session_load ("/nonexistent/dir/x.likeness", &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_NOT_FOUND);
}

static void
test_save_fails (void)
{
  LkSession *s = make_session ();
  g_autoptr(GError) error = NULL;

  g_assert_false (lk_session_save (s, "/nonexistent/dir/x.likeness", &error));
  g_assert_nonnull (error);
  /* the user's path, not the temporary file beside it */
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/dir/x.likeness: "));
  lk_test_assert_message (error, "the folder /nonexistent/dir does not exist");
  g_assert_null (strstr (error->message, ".tmp"));
  g_assert_finalize_object (s);
}

/* Each result says which inputs it explains: the pair, the photo (by file,
 * however the path is written) with its caption, or neither. */
static void
test_result_modes (void)
{
  g_autoptr(LkSession) s = make_session ();
  g_autoptr(LkExplanation) image = make_explanation ("distance");
  g_autoptr(LkExplanation) other = make_explanation ("ij");
  g_autoptr(LkExplanation) prompted = make_explanation ("hxp");
  g_autofree char *dir = g_get_current_dir ();
  g_autofree char *absolute = g_build_filename (dir, "photo.jpg", NULL);
  LkInputMode mode;

  lk_session_set_image (s, "./sub/../photo.jpg");
  lk_explanation_set_text (image, 0, absolute);
  lk_explanation_set_text (image, 1, "A cup of coffee ☕");
  lk_explanation_set_text (other, 1, "Something else.");
  lk_session_add_result (s, image);
  lk_session_add_result (s, other);
  /* a result made with a prompt: its text A begins with it */
  lk_explanation_set_text (prompted, 0, "query: The coffee is bad.");
  lk_explanation_mark_prompt (prompted, 0, "query", strlen ("query: "));
  lk_session_add_result (s, prompted);
  g_assert_true (lk_session_get_result_mode (s, 0, &mode));
  g_assert_cmpint (mode, ==, LK_INPUT_TEXT_PAIR);
  g_assert_true (lk_session_get_result_mode (s, 2, &mode));
  g_assert_cmpint (mode, ==, LK_INPUT_IMAGE_CAPTION);
  g_assert_false (lk_session_get_result_mode (s, 3, &mode));
  g_assert_true (lk_session_get_result_mode (s, 4, &mode));
  g_assert_cmpint (mode, ==, LK_INPUT_TEXT_PAIR);
}

static void
test_modes (void)
{
  LkInputMode mode;

  g_assert_true (lk_input_mode_from_string ("image-caption", &mode));
  g_assert_cmpint (mode, ==, LK_INPUT_IMAGE_CAPTION);
  g_assert_cmpstr (lk_input_mode_to_string (LK_INPUT_TEXT_PAIR), ==, "text-pair");
  g_assert_false (lk_input_mode_from_string ("video", &mode));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session/round-trip", test_round_trip);
  g_test_add_func ("/session/corrupt", test_corrupt);
  g_test_add_func ("/session/newer-schema", test_newer);
  g_test_add_func ("/session/older-deep", test_older_deep);
  g_test_add_func ("/session/missing", test_missing);
  g_test_add_func ("/session/save-fails", test_save_fails);
  g_test_add_func ("/session/modes", test_modes);
  g_test_add_func ("/session/result-modes", test_result_modes);
  return g_test_run ();
}
