/* test-parity.c — embeddings identical (≤ 1e-5) to sentence-transformers:
 * the real all-MiniLM-L6-v2 and all-mpnet-base-v2 from the Hugging Face cache
 * on 200 STSb sentences (suite parity; the tiny models of tests/golden/tiny:
 * test-tiny-parity.c). Goldens come from tests/oracle/make_goldens.py. */
#include <math.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-test-utils.h"

static JsonObject *
load_golden (const char *rel, JsonNode **keep)
{
  return lk_test_load_golden (rel, keep);
}

static void
check_real (gconstpointer data)
{
  const char *model_id = data;
  g_autofree char *rel = g_strdup_printf ("embeddings/%s-stsb200.json", strrchr (model_id, '/') + 1);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *g = load_golden (rel, &node);
  g_autoptr(LkModel) m = lk_test_load_model (model_id);
  JsonArray *sents = json_object_get_array_member (g, "sentences");
  guint n = json_array_get_length (sents), dim = json_object_get_int_member (g, "dim");
  gsize len;
  g_autofree guchar *want = g_base64_decode (json_object_get_string_member (g, "embeddings_f32_le_base64"), &len);
  g_autofree const char **texts = g_new0 (const char *, n + 1);
  g_autofree float *got = NULL;
  g_autoptr(GError) error = NULL;
  double worst = 0;

  g_assert_cmpuint (n, >=, 200);
  g_assert_cmpuint (len, ==, (gsize) n * dim * sizeof (float));
  g_assert_cmpuint (lk_model_get_dim (m), ==, dim);
  for (guint i = 0; i < n; i++)
    texts[i] = json_array_get_string_element (sents, i);
  got = g_new (float, (gsize) n * dim);
  g_assert_true (lk_model_embed (m, texts, n, got, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (gsize k = 0; k < (gsize) n * dim; k++)
    worst = fmax (worst, fabs (got[k] - ((float *) want)[k]));
  g_test_message ("%s: max |ours − sentence-transformers| = %.3g over %u sentences", model_id, worst, n);
  g_assert_cmpfloat (worst, <=, 1e-5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  lk_test_require_models (LK_TEST_MODEL, LK_TEST_MODEL_MPNET, NULL);
  g_test_add_data_func ("/parity/real/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", check_real);
  g_test_add_data_func ("/parity/real/all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2", check_real);
  return g_test_run ();
}
