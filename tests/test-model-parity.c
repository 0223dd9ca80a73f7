/* test-model-parity.c — the real all-MiniLM-L6-v2 from the Hugging Face
 * cache (suite parity): its size, pooling and Normalize as
 * sentence-transformers has them, and the embedding of a related pair (the
 * same checks on the tiny BERT: test-model.c). */
#include <math.h>

#include "lk-error.h"
#include "lk-test-utils.h"

static void
test_real_model (void)
{
  g_autoptr(LkModel) m = lk_test_load_model (LK_TEST_MODEL);
  g_autoptr(GError) error = NULL;
  const char *pair[] = { "A man is playing a guitar.", "Someone plays an instrument." };
  const char *bad[] = { "fine", "   " };
  const char *broken[] = { "ok", "\xff\xfe broken" };
  float e[2 * 384];
  double norm = 0;

  g_assert_cmpuint (lk_model_get_dim (m), ==, 384);
  g_assert_cmpuint (lk_model_get_max_seq_length (m), ==, 256);
  g_assert_true (lk_model_get_normalize (m));
  g_assert_cmpstr (lk_model_get_architecture (m), ==, "bert");
  g_assert_true (lk_model_embed (m, pair, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 384; i++)
    norm += e[i] * e[i];
  g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
  g_assert_cmpfloat (lk_cosine (e, e + 384, 384), >, 0.3);

  g_assert_false (lk_model_embed (m, bad, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  lk_test_assert_message (error, "text 2 is empty");
  g_clear_error (&error);
  g_assert_false (lk_model_embed (m, broken, 2, e, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, NULL);
  g_test_add_func ("/model/real", test_real_model);
  return g_test_run ();
}
