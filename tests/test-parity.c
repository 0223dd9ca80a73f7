/* test-parity.c — embeddings identical (≤ 1e-5) to sentence-transformers:
 * the real all-MiniLM-L6-v2 and all-mpnet-base-v2 on 200 STSb sentences,
 * and tiny random-weight BERT, MPNet (CLS pooling + Dense) and XLM-R
 * (pytorch_model.bin, no Normalize) models in the real layouts. Goldens come
 * from tests/oracle/make_goldens.py. */
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
  g_autofree char *path = golden (rel);
  g_autoptr(GError) error = NULL;

  *keep = lk_json_load (path, FALSE, &error);
  g_assert_no_error (error);
  return json_node_get_object (*keep);
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
  g_test_add_data_func ("/parity/real/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", check_real);
  g_test_add_data_func ("/parity/real/all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2", check_real);
  return g_test_run ();
}
