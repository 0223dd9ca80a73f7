/* test-decoder.c — decoder-only embedders (the tiny Qwen3 and Qwen2 of
 * tests/golden/tiny, made by tests/oracle/decoder_oracle.py): the
 * explanation engine's checks hold on the new blocks (RMSNorm, SwiGLU,
 * rotary positions, grouped-query and causal attention, last-token
 * pooling), and config.json fields the decoder does not implement are
 * refused by name. Their embeddings against sentence-transformers:
 * test-tiny-parity.c. */
#include <math.h>
#include <string.h>

#include "lk-error.h"
#include "lk-explain.h"
#include "lk-methods.h"
#include "lk-model-private.h"
#include "lk-test-utils.h"

#define A "The coffee is bad."
#define B "This is not a good coffee."

static LkModel *qwen3, *qwen2;

static void zero_biases (LkExplainParams *p) { p->zero_biases = TRUE; }
static void forward_l1 (LkExplainParams *p) { p->ad_mode = LK_AD_FORWARD; p->layer = 1; }
static void reverse_l1 (LkExplainParams *p) { p->ad_mode = LK_AD_REVERSE; p->layer = 1; }
static void forward_l1_zero (LkExplainParams *p) { forward_l1 (p); p->zero_biases = TRUE; }
static void reverse_l1_zero (LkExplainParams *p) { reverse_l1 (p); p->zero_biases = TRUE; }

/* Qwen3 has no bias at all (RMSNorm has none, the projections none): the
 * LRP graph is then linear in each layer's input, and ΣR = e_aᵀe_b holds
 * with the model as it is, not only with its biases zeroed. */
static void
test_conservation_as_is (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (qwen3, A, B, LK_METHOD_BILRP, NULL);
  double sim = lk_explanation_get_score (x, "similarity", NAN);

  g_test_message ("qwen3: ΣR %.6f, similarity %.6f, error_relative %.3g", lk_explanation_get_score (x, "sum", NAN),
                  sim, lk_explanation_get_score (x, "error_relative", NAN));
  g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "sum", NAN) - sim) / fabs (sim), <, 1e-4);
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
}

/* Qwen2's q/k/v biases make a gap, which zeroing them closes. */
static void
test_conservation_zero_biases (void)
{
  g_autoptr(LkExplanation) kept = lk_test_explain (qwen2, A, B, LK_METHOD_BILRP, NULL);
  g_autoptr(LkExplanation) x = lk_test_explain (qwen2, A, B, LK_METHOD_BILRP, zero_biases);
  double sim = lk_explanation_get_score (x, "similarity", NAN);

  g_test_message ("qwen2: error_relative %.3g with biases, %.3g without",
                  lk_explanation_get_score (kept, "error_relative", NAN),
                  lk_explanation_get_score (x, "error_relative", NAN));
  g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "sum", NAN) - sim) / fabs (sim), <, 1e-4);
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
  g_assert_cmpfloat (lk_explanation_get_score (kept, "error_relative", 0), >, 1e-3);
}

/* The default forward mode (libtorch's forward AD through the decoder's
 * from_layer) against reverse mode, on the LRP graph (BiLRP) and the plain
 * one (H×P), for both models. */
static void
test_forward_reverse (void)
{
  LkModel *models[] = { qwen3, qwen2 };

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autoptr(LkExplanation) bf = lk_test_explain (models[m], A, B, LK_METHOD_BILRP, forward_l1_zero);
      g_autoptr(LkExplanation) br = lk_test_explain (models[m], A, B, LK_METHOD_BILRP, reverse_l1_zero);
      g_autoptr(LkExplanation) hf = lk_test_explain (models[m], A, B, LK_METHOD_HXP, forward_l1);
      g_autoptr(LkExplanation) hr = lk_test_explain (models[m], A, B, LK_METHOD_HXP, reverse_l1);
      double db = lk_test_max_rel_diff (bf, br), dh = lk_test_max_rel_diff (hf, hr);

      g_test_message ("%s: forward vs reverse, BiLRP %.3g, H×P %.3g", m ? "qwen2" : "qwen3", db, dh);
      g_assert_cmpfloat (db, <, 1e-5);
      g_assert_cmpfloat (dh, <, 1e-5);
      g_assert_cmpfloat (lk_explanation_get_score (bf, "error_relative", 1), <, 1e-4);
    }
}

/* IJ: ΣA against (e_a − r_a)ᵀ(e_b − r_b), with the reference a text of
 * <|endoftext|> (the pad token) but for its last token. */
static void
test_ij (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (qwen3, A, B, LK_METHOD_IJ, NULL);
  double err = lk_explanation_get_score (x, "error", NAN), expected = lk_explanation_get_score (x, "expected", NAN);

  g_test_message ("qwen3 IJ: ΣA − expected %.3g of %.4f", err, expected);
  g_assert_true (isfinite (err) && isfinite (expected));
  g_assert_cmpfloat (fabs (err), <, 2e-2 * fabs (expected));
}

/* Causality: a decoder's last token sees every token, its first sees only
 * itself. So a token's relevance for text A's embedding comes through the
 * last position, and an edit after a token cannot change the hidden state
 * at that token. */
static void
test_causal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) e1 = lk_model_tokenize (qwen3, "The coffee is bad.", &error);
  g_autoptr(LkEncoding) e2 = lk_model_tokenize (qwen3, "The coffee is good.", &error);
  lk_shim_model *shim = lk_model_get_shim (qwen3);
  int h = lk_shim_model_hidden_size (shim);
  g_autofree float *h1 = g_new (float, (gsize) e1->n_tokens * h);
  g_autofree float *h2 = g_new (float, (gsize) e2->n_tokens * h);
  lk_shim_status st;
  guint same = 0;
  double diff = 0;

  g_assert_no_error (error);
  g_assert_cmpint (lk_shim_hidden_states (shim, e1->ids, e1->n_tokens, 2, h1, &st), ==, 0);
  g_assert_cmpint (lk_shim_hidden_states (shim, e2->ids, e2->n_tokens, 2, h2, &st), ==, 0);
  while (same < e1->n_tokens && same < e2->n_tokens && e1->ids[same] == e2->ids[same])
    same++;
  g_assert_cmpuint (same, >=, 2);
  for (guint i = 0; i < same * (guint) h; i++)
    diff = fmax (diff, fabs (h1[i] - h2[i]));
  g_assert_cmpfloat (diff, <, 1e-6);
  diff = 0;
  for (guint i = same * h; i < (same + 1) * (guint) h; i++)
    diff = fmax (diff, fabs (h1[i] - h2[i]));
  g_assert_cmpfloat (diff, >, 1e-3);
}

/* A query prompt on text A: the similarity is sentence-transformers'
 * encode (prompt_name="query") against the plain encoding of text B (the
 * goldens of tests/oracle/decoder_oracle.py), the token ids are its
 * tokenization of prompt + text, the prompt's tokens are flagged and count
 * in BiLRP's conservation, and all of it survives a round trip through
 * JSON. A prompt name the model lacks is an error listing its prompts. */
static void
test_prompts (void)
{
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *g = lk_test_load_golden ("tiny/qwen3-embeddings.json", &keep);
  JsonArray *items = json_object_get_array_member (g, "items");
  JsonObject *qa = json_array_get_object_element (items, 0), *db = json_array_get_object_element (items, 1);
  JsonArray *q = json_object_get_array_member (qa, "query_embedding"), *d = json_object_get_array_member (db, "embedding");
  JsonArray *ids = json_object_get_array_member (qa, "query_ids");
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_BILRP);
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(LkExplanation) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(LkEncoding) prompt_only = NULL;
  double expected = 0, sim;
  guint flagged = 0;

  g_assert_cmpstr (lk_model_get_prompt (qwen3, "query"), !=, NULL);
  for (guint i = 0; i < json_array_get_length (q); i++)
    expected += json_array_get_double_element (q, i) * json_array_get_double_element (d, i);
  lk_explain_request_set_texts (r, json_object_get_string_member (qa, "text"), json_object_get_string_member (db, "text"));
  lk_explain_request_set_prompt (r, 0, "query", NULL);
  x = lk_explain (qwen3, r, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  sim = lk_explanation_get_score (x, "similarity", NAN);
  g_test_message ("prompted similarity %.7f, sentence-transformers %.7f", sim, expected);
  g_assert_cmpfloat (fabs (sim - expected), <, 1e-5);
  g_assert_cmpuint (lk_explanation_get_n_tokens (x, 0), ==, json_array_get_length (ids));
  prompt_only = lk_tokenizer_encode (lk_model_get_tokenizer (qwen3), lk_model_get_prompt (qwen3, "query"), 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lk_explanation_get_n_tokens (x, 0); i++)
    flagged += lk_explanation_get_token (x, 0, i)->prompt;
  /* the prompt alone, less its <|endoftext|>; the text's first token may
   * merge with the prompt's last, which then counts as the prompt's */
  g_assert_cmpuint (flagged, >=, prompt_only->n_tokens - 2);
  g_assert_cmpuint (flagged, <=, prompt_only->n_tokens - 1);
  for (guint i = 0; i < lk_explanation_get_n_tokens (x, 1); i++)
    g_assert_false (lk_explanation_get_token (x, 1, i)->prompt);
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
  g_assert_cmpuint (lk_explanation_get_prompt_length (x, 0), ==, strlen (lk_model_get_prompt (qwen3, "query")));
  json = lk_explanation_to_string (x, &error);
  g_assert_no_error (error);
  {
    g_autoptr(JsonNode) node = json_from_string (json, &error);
    g_assert_no_error (error);
    back = lk_explanation_new_from_json (node, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (lk_explanation_get_prompt_length (back, 0), ==, lk_explanation_get_prompt_length (x, 0));
  for (guint i = 0; i < lk_explanation_get_n_tokens (x, 0); i++)
    g_assert_cmpint (lk_explanation_get_token (back, 0, i)->prompt, ==, lk_explanation_get_token (x, 0, i)->prompt);

  g_clear_object (&x);
  lk_explain_request_set_prompt (r, 0, "qurey", NULL);
  x = lk_explain (qwen3, r, NULL, NULL, NULL, &error);
  g_assert_null (x);
  lk_test_assert_message (error, "prompt 'qurey' (text A) is not one of");
  lk_test_assert_message (error, "(document, query)");
}

/* Matryoshka: loaded with truncate_dim 16, the model's similarity is the
 * cosine of sentence-transformers' truncate_dim=16 encodings, BiLRP still
 * conserves (its D is 16 now) and forward = reverse; a truncate_dim over
 * the model's width is refused by name. */
static void
test_truncate_dim (void)
{
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *g = lk_test_load_golden ("tiny/qwen3-embeddings.json", &keep);
  JsonObject *t = json_object_get_object_member (g, "truncate_dim");
  JsonArray *embs = json_object_get_array_member (t, "embeddings");
  JsonArray *items = json_object_get_array_member (g, "items");
  JsonArray *e0 = json_array_get_array_element (embs, 0), *e1 = json_array_get_array_element (embs, 1);
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "qwen3", NULL);
  LkModelOptions opts = { LK_DEVICE_CPU, 0, 16 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = lk_model_new_from_dir (dir, NULL, &opts, &error);
  g_autoptr(LkModel) wide = NULL;
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(LkExplanation) y = NULL;
  const char *a = json_object_get_string_member (json_array_get_object_element (items, 0), "text");
  const char *b = json_object_get_string_member (json_array_get_object_element (items, 1), "text");
  double dot = 0, na = 0, nb = 0, expected;

  g_assert_no_error (error);
  g_assert_cmpuint (lk_model_get_dim (m), ==, 16);
  g_assert_cmpint (json_object_get_int_member (t, "dim"), ==, 16);
  for (guint i = 0; i < 16; i++)
    {
      double u = json_array_get_double_element (e0, i), v = json_array_get_double_element (e1, i);
      dot += u * v, na += u * u, nb += v * v;
    }
  expected = dot / sqrt (na * nb);
  x = lk_test_explain (m, a, b, LK_METHOD_BILRP, forward_l1);
  y = lk_test_explain (m, a, b, LK_METHOD_BILRP, reverse_l1);
  g_test_message ("truncate_dim 16: similarity %.7f, sentence-transformers %.7f; error_relative %.3g",
                  lk_explanation_get_score (x, "similarity", NAN), expected,
                  lk_explanation_get_score (x, "error_relative", NAN));
  g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "similarity", NAN) - expected), <, 1e-5);
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
  g_assert_cmpfloat (lk_test_max_rel_diff (x, y), <, 1e-5);
  g_assert_cmpint (json_object_get_int_member (lk_explanation_get_model (x), "truncate_dim"), ==, 16);

  /* The encoders' own linearisation (Encoder::jvp_from_layer) truncates
   * too: the tiny BERT against the cosine of its golden embeddings' first
   * 16 dimensions (truncating after Normalize, as sentence-transformers). */
  {
    g_autoptr(JsonNode) kb = NULL;
    JsonArray *bi = json_object_get_array_member (lk_test_load_golden ("tiny/bert-embeddings.json", &kb), "items");
    JsonArray *b0 = json_object_get_array_member (json_array_get_object_element (bi, 0), "embedding");
    JsonArray *b1 = json_object_get_array_member (json_array_get_object_element (bi, 1), "embedding");
    g_autofree char *bdir = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
    g_autoptr(LkModel) bert = lk_model_new_from_dir (bdir, NULL, &opts, &error);
    g_autoptr(LkExplanation) bf = NULL;
    g_autoptr(LkExplanation) br = NULL;
    double bd = 0, ba = 0, bb = 0;

    g_assert_no_error (error);
    for (guint i = 0; i < 16; i++)
      {
        double u = json_array_get_double_element (b0, i), v = json_array_get_double_element (b1, i);
        bd += u * v, ba += u * u, bb += v * v;
      }
    bf = lk_test_explain (bert, json_object_get_string_member (json_array_get_object_element (bi, 0), "text"),
                          json_object_get_string_member (json_array_get_object_element (bi, 1), "text"),
                          LK_METHOD_BILRP, forward_l1_zero);
    br = lk_test_explain (bert, json_object_get_string_member (json_array_get_object_element (bi, 0), "text"),
                          json_object_get_string_member (json_array_get_object_element (bi, 1), "text"),
                          LK_METHOD_BILRP, reverse_l1_zero);
    {
      /* the similarity of the model as it is (BiLRP's zero-bias run reports its own) */
      g_autoptr(LkExplanation) plain = lk_test_explain (bert, json_object_get_string_member (json_array_get_object_element (bi, 0), "text"),
                                                        json_object_get_string_member (json_array_get_object_element (bi, 1), "text"),
                                                        LK_METHOD_HXP, forward_l1);
      g_assert_cmpfloat (fabs (lk_explanation_get_score (plain, "similarity", NAN) - bd / sqrt (ba * bb)), <, 1e-5);
    }
    g_assert_cmpfloat (lk_explanation_get_score (bf, "error_relative", 1), <, 1e-4);
    g_assert_cmpfloat (lk_test_max_rel_diff (bf, br), <, 1e-5);
  }

  opts.truncate_dim = 33;
  wide = lk_model_new_from_dir (dir, NULL, &opts, &error);
  g_assert_null (wide);
  lk_test_assert_message (error, "truncate_dim 33: the model's embeddings have 32 dimensions");
}

/* config.json fields that change the computation and that the decoder
 * does not implement: refused with the file and the field, not ignored. */
static void
test_config_refused (void)
{
  static const struct { const char *member, *json, *fragment; } cases[] = {
    { "rope_parameters", "{\"rope_type\": \"yarn\", \"factor\": 4.0, \"rope_theta\": 1000000.0}",
      "rope_parameters asks for \"yarn\" rotary scaling" },
    { "rope_scaling", "{\"type\": \"linear\", \"factor\": 2.0}", "rope_scaling asks for \"linear\" rotary scaling" },
    { "use_sliding_window", "true", "use_sliding_window is true" },
    { "layer_types", "[\"full_attention\", \"sliding_attention\"]", "layer_types[1] is \"sliding_attention\"" },
    { "hidden_act", "\"gelu\"", "hidden_act is \"gelu\"" },
    { "num_key_value_heads", "3", "num_attention_heads 4 is not a multiple of num_key_value_heads 3" },
    { "head_dim", "15", "head_dim is 15; expected an even number" },
    { "rms_norm_eps", "-1.0", "rms_norm_eps is -1" },
    { "rope_theta", "0.0", "rope_theta is 0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = lk_test_copy_tiny ("qwen3");
      g_autofree char *path = g_build_filename (dir, "config.json", NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonParser) value = json_parser_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      LkModelOptions opts = { LK_DEVICE_CPU, 1 };
      g_autoptr(GError) error = NULL;
      g_autoptr(LkModel) m = NULL;
      JsonObject *o;

      g_assert_true (json_parser_load_from_file (parser, path, NULL));
      g_assert_true (json_parser_load_from_data (value, cases[i].json, -1, NULL));
      o = json_node_get_object (json_parser_get_root (parser));
      if (g_str_equal (cases[i].member, "rope_theta"))
        json_object_remove_member (o, "rope_parameters");
      json_object_set_member (o, cases[i].member, json_node_copy (json_parser_get_root (value)));
      json_generator_set_root (gen, json_parser_get_root (parser));
      g_assert_true (json_generator_to_file (gen, path, NULL));
      m = lk_model_new_from_dir (dir, NULL, &opts, &error);
      g_assert_null (m);
      g_test_message ("%s = %s: %s", cases[i].member, cases[i].json, error->message);
      lk_test_assert_message (error, "config.json: ");
      lk_test_assert_message (error, cases[i].fragment);
      lk_test_rm_rf (dir);
    }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  qwen3 = lk_test_load_tiny ("qwen3");
  qwen2 = lk_test_load_tiny ("qwen2");
  g_test_add_func ("/decoder/conservation-as-is", test_conservation_as_is);
  g_test_add_func ("/decoder/conservation-zero-biases", test_conservation_zero_biases);
  g_test_add_func ("/decoder/forward-reverse", test_forward_reverse);
  g_test_add_func ("/decoder/ij", test_ij);
  g_test_add_func ("/decoder/causal", test_causal);
  g_test_add_func ("/decoder/prompts", test_prompts);
  g_test_add_func ("/decoder/truncate-dim", test_truncate_dim);
  g_test_add_func ("/decoder/config-refused", test_config_refused);
  rc = g_test_run ();
  g_object_unref (qwen3);
  g_object_unref (qwen2);
  return rc;
}
