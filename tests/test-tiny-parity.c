/* test-tiny-parity.c — embeddings identical (≤ 1e-5) to sentence-transformers
 * on the tiny random-weight BERT, MPNet (CLS pooling + Dense) and XLM-R
 * (pytorch_model.bin, no Normalize) models of tests/golden/tiny, in the real
 * layouts, and the tiny Qwen3, Qwen2 and ModernBERT of
 * tests/oracle/decoder_oracle.py and modernbert_oracle.py: the same token ids, and the same embedding from the shim. Goldens
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

/* All the texts in one call: padded batches (to the right, longest
 * first) give each text what it gives alone. For a decoder this is what
 * the causal mask guarantees; for the encoders, the padding mask. */
static void
check_batch (LkModel *m, JsonArray *items)
{
  guint n = json_array_get_length (items), dim = lk_model_get_dim (m);
  g_autofree const int32_t **ids = g_new0 (const int32_t *, n);
  g_autofree int *len = g_new0 (int, n);
  g_autofree float *out = g_new0 (float, (gsize) n * dim);
  g_autoptr(GPtrArray) encs = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_encoding_free);
  lk_shim_run_params rp;
  lk_shim_status st;
  double worst = 0;
  guint used = 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *it = json_array_get_object_element (items, i);
      LkEncoding *enc = lk_model_tokenize (m, json_object_get_string_member (it, "text"), NULL);
      g_assert_nonnull (enc);
      g_ptr_array_add (encs, enc);
      ids[used] = enc->ids;
      len[used++] = enc->n_tokens;
    }
  lk_shim_run_default_params (&rp);
  rp.batch_size = 8;
  g_assert_cmpint (lk_shim_embed (lk_model_get_shim (m), used, ids, len, out, &rp, &st), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      JsonArray *emb = json_object_get_array_member (json_array_get_object_element (items, i), "embedding");
      for (guint d = 0; d < dim; d++)
        worst = fmax (worst, fabs (out[(gsize) i * dim + d] - json_array_get_double_element (emb, d)));
    }
  g_test_message ("batched by 8: max difference %.3g", worst);
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
  check_batch (m, items);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/parity/tiny/bert", "bert", check_tiny);
  g_test_add_data_func ("/parity/tiny/mpnet", "mpnet", check_tiny);
  g_test_add_data_func ("/parity/tiny/xlmr", "xlmr", check_tiny);
  g_test_add_data_func ("/parity/tiny/qwen3", "qwen3", check_tiny);
  g_test_add_data_func ("/parity/tiny/qwen2", "qwen2", check_tiny);
  g_test_add_data_func ("/parity/tiny/modernbert", "modernbert", check_tiny);
  return g_test_run ();
}
