/* test-tiny-parity.c — embeddings identical (≤ 1e-5) to sentence-transformers
 * on the tiny random-weight BERT, MPNet (CLS pooling + Dense) and XLM-R
 * (pytorch_model.bin, no Normalize) models of tests/golden/tiny, in the real
 * layouts: the same token ids, and the same embedding from the shim. Goldens
 * come from tests/oracle/make_goldens.py; the real models: test-parity.c. */
#include <math.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-model-private.h"
#include "lk-test-utils.h"

static char *
golden (const char *rel)
{
  return g_test_build_filename (G_TEST_DIST, "golden", rel, NULL);
}

static JsonObject *
load_golden (const char *rel, JsonNode **keep)
{
  return lk_test_load_golden (rel, keep);
}

static void
check_tiny (gconstpointer data)
{
  const char *arch = data;
  g_autofree char *rel = g_strdup_printf ("tiny/%s-embeddings.json", arch);
  g_autofree char *dir_rel = g_strdup_printf ("tiny/%s", arch);
  g_autofree char *dir = golden (dir_rel);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *g = load_golden (rel, &node);
  JsonArray *items = json_object_get_array_member (g, "items");
  LkModelOptions opts = { LK_DEVICE_AUTO, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = lk_model_new_from_dir (dir, NULL, &opts, &error);
  double worst = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *it = json_array_get_object_element (items, i);
      JsonArray *ids = json_object_get_array_member (it, "ids");
      JsonArray *emb = json_object_get_array_member (it, "embedding");
      g_autoptr(LkEncoding) enc = lk_model_tokenize (m, json_object_get_string_member (it, "text"), &error);
      g_autofree float *out = g_new (float, lk_model_get_dim (m));
      lk_shim_status st;
      const int32_t *idp;
      int n;

      g_assert_no_error (error);
      g_assert_cmpuint (enc->n_tokens, ==, json_array_get_length (ids));
      for (guint t = 0; t < enc->n_tokens; t++)
        g_assert_cmpint (enc->ids[t], ==, json_array_get_int_element (ids, t));
      idp = enc->ids;
      n = enc->n_tokens;
      g_assert_cmpint (lk_shim_embed (lk_model_get_shim (m), 1, &idp, &n, out, NULL, &st), ==, 0);
      g_assert_cmpuint (json_array_get_length (emb), ==, lk_model_get_dim (m));
      for (guint d = 0; d < lk_model_get_dim (m); d++)
        worst = fmax (worst, fabs (out[d] - json_array_get_double_element (emb, d)));
    }
  g_test_message ("tiny %s: max difference %.3g", arch, worst);
  g_assert_cmpfloat (worst, <=, 1e-5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/parity/tiny/bert", "bert", check_tiny);
  g_test_add_data_func ("/parity/tiny/mpnet", "mpnet", check_tiny);
  g_test_add_data_func ("/parity/tiny/xlmr", "xlmr", check_tiny);
  return g_test_run ();
}
