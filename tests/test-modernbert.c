/* test-modernbert.c — ModernBERT (the tiny model of tests/golden/tiny,
 * made by tests/oracle/modernbert_oracle.py: three layers, the middle one
 * sliding with a window of 3 tokens on either side): the explanation
 * engine's checks hold on its blocks (bias-free LayerNorm, GeGLU, rotary
 * positions with two bases, sliding-window attention), the window shapes
 * the embedding, prompts match sentence-transformers, and config.json
 * fields the shim does not implement are refused by name; F16 and BF16
 * checkpoints (of ModernBERT and Qwen3) load and compute in F32. Embeddings
 * against sentence-transformers: test-tiny-parity.c. */
#include <math.h>
#include <string.h>

#include "lk-error.h"
#include "lk-explain.h"
#include "lk-methods.h"
#include "lk-model-private.h"
#include "lk-test-utils.h"

#define A "A man is playing a large flute in the park near the lake."
#define B "Someone plays the flute outdoors, beside some water."

static LkModel *mb;

static void forward_l1 (LkExplainParams *p) { p->ad_mode = LK_AD_FORWARD; p->layer = 1; }
static void reverse_l1 (LkExplainParams *p) { p->ad_mode = LK_AD_REVERSE; p->layer = 1; }
static void forward_l0 (LkExplainParams *p) { p->ad_mode = LK_AD_FORWARD; p->layer = 0; }
static void reverse_l0 (LkExplainParams *p) { p->ad_mode = LK_AD_REVERSE; p->layer = 0; }

/* ModernBERT has no bias anywhere (norm_bias, attention_bias and mlp_bias
 * are false): ΣR = e_aᵀe_b must hold with the model as it is, from the
 * embeddings (layer 0) and from a middle layer. */
static void
test_conservation_as_is (void)
{
  void (*at[]) (LkExplainParams *) = { forward_l0, forward_l1 };

  for (guint i = 0; i < G_N_ELEMENTS (at); i++)
    {
      g_autoptr(LkExplanation) x = lk_test_explain (mb, A, B, LK_METHOD_BILRP, at[i]);
      double sim = lk_explanation_get_score (x, "similarity", NAN), sum = lk_explanation_get_score (x, "sum", NAN);

      g_test_message ("layer %u: ΣR %.6f, similarity %.6f, error_relative %.3g", i, sum, sim,
                      lk_explanation_get_score (x, "error_relative", NAN));
      g_assert_cmpfloat (fabs (sim), >, 1e-3);
      g_assert_cmpfloat (fabs (sum - sim) / fabs (sim), <, 1e-4);
      g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
    }
}

/* Forward mode (libtorch's forward AD through from_layer) against reverse
 * mode, on the LRP graph (BiLRP) and the plain one (H×P). */
static void
test_forward_reverse (void)
{
  void (*fw[]) (LkExplainParams *) = { forward_l0, forward_l1 };
  void (*rv[]) (LkExplainParams *) = { reverse_l0, reverse_l1 };

  for (guint i = 0; i < G_N_ELEMENTS (fw); i++)
    {
      g_autoptr(LkExplanation) bf = lk_test_explain (mb, A, B, LK_METHOD_BILRP, fw[i]);
      g_autoptr(LkExplanation) br = lk_test_explain (mb, A, B, LK_METHOD_BILRP, rv[i]);
      g_autoptr(LkExplanation) hf = lk_test_explain (mb, A, B, LK_METHOD_HXP, fw[i]);
      g_autoptr(LkExplanation) hr = lk_test_explain (mb, A, B, LK_METHOD_HXP, rv[i]);
      double db = lk_test_max_rel_diff (bf, br), dh = lk_test_max_rel_diff (hf, hr);

      g_test_message ("layer %u: forward vs reverse, BiLRP %.3g, H×P %.3g", i, db, dh);
      g_assert_cmpfloat (db, <, 1e-5);
      g_assert_cmpfloat (dh, <, 1e-5);
    }
}

/* IJ: ΣA against (e_a − r_a)ᵀ(e_b − r_b). */
static void
test_ij (void)
{
  g_autoptr(LkExplanation) x = lk_test_explain (mb, A, B, LK_METHOD_IJ, NULL);
  double err = lk_explanation_get_score (x, "error", NAN), expected = lk_explanation_get_score (x, "expected", NAN);

  g_test_message ("IJ: ΣA − expected %.3g of %.4f", err, expected);
  g_assert_true (isfinite (err) && isfinite (expected));
  g_assert_cmpfloat (fabs (err), <, 2e-2 * fabs (expected));
}

/* Rewrites the copied model's @rel (a JSON file): @member set to @json
 * (NULL: removed), then @also likewise. */
static void
edit_json (const char *dir, const char *rel, const char *member, const char *json, const char *also,
           const char *also_json)
{
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  const char *members[] = { member, also }, *values[] = { json, also_json };
  JsonObject *o;

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_autoptr(JsonParser) value = json_parser_new ();

      if (members[i] == NULL)
        continue;
      if (values[i] == NULL)
        {
          json_object_remove_member (o, members[i]);
          continue;
        }
      g_assert_true (json_parser_load_from_data (value, values[i], -1, NULL));
      json_object_set_member (o, members[i], json_node_copy (json_parser_get_root (value)));
    }
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (gen, path, NULL));
}

static void
edit_config (const char *dir, const char *member, const char *json, const char *also, const char *also_json)
{
  edit_json (dir, "config.json", member, json, also, also_json);
}

static void
embed (LkModel *m, const char *text, float *out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = lk_model_tokenize (m, text, &error);
  const int32_t *ids;
  int n;
  lk_shim_status st;

  g_assert_no_error (error);
  ids = enc->ids;
  n = enc->n_tokens;
  g_assert_cmpint (lk_shim_embed (lk_model_get_shim (m), 1, &ids, &n, out, NULL, &st), ==, 0);
}

/* The sliding window and the two rotary bases are what make ModernBERT
 * ModernBERT: the golden text is longer than the window, and the same
 * weights with a window wide enough to see everything, or with the local
 * base set to the global one, give another embedding; and the
 * transformers 4 spelling (global_attn_every_n_layers, global_rope_theta,
 * local_rope_theta without layer_types and rope_parameters) gives the
 * same one. */
static void
test_window (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LkEncoding) enc = lk_model_tokenize (mb, A, &error);
  float base[32], other[32];
  static const struct { const char *member, *json, *also, *also_json; double least, most; } cases[] = {
    { "local_attention", "1024", NULL, NULL, 1e-3, INFINITY },
    { "rope_parameters", "{\"full_attention\": {\"rope_theta\": 160000.0, \"rope_type\": \"default\"}, "
                         "\"sliding_attention\": {\"rope_theta\": 160000.0, \"rope_type\": \"default\"}}",
      NULL, NULL, 1e-4, INFINITY },
    /* transformers 4's spelling of the same model */
    { "layer_types", NULL, "rope_parameters", NULL, 0, 1e-6 },
  };

  g_assert_no_error (error);
  g_assert_cmpuint (lk_model_get_dim (mb), ==, 32);
  g_assert_cmpuint (enc->n_tokens, >, 2 * 3 + 1);
  embed (mb, A, base);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *dir = lk_test_copy_tiny ("modernbert");
      LkModelOptions opts = { LK_DEVICE_CPU, 1 };
      g_autoptr(LkModel) m = NULL;
      double diff = 0;

      edit_config (dir, cases[c].member, cases[c].json, cases[c].also, cases[c].also_json);
      if (cases[c].json == NULL)
        edit_config (dir, "global_rope_theta", "160000.0", "local_rope_theta", "10000.0");
      m = lk_model_new_from_dir (dir, NULL, &opts, &error);
      g_assert_no_error (error);
      embed (m, A, other);
      for (guint d = 0; d < 32; d++)
        diff = fmax (diff, fabs (base[d] - other[d]));
      g_test_message ("%s %s: embedding moves by %.3g", cases[c].member, cases[c].json ? cases[c].json : "removed", diff);
      g_assert_cmpfloat (diff, >=, cases[c].least);
      g_assert_cmpfloat (diff, <=, cases[c].most);
      lk_test_rm_rf (dir);
    }
}

/* A query prompt ("search_query: ") on text A: the similarity is
 * sentence-transformers' encode (prompt_name="query") against the plain
 * encoding of text B, the ids its tokenization, and BiLRP conserves. */
static void
test_prompts (void)
{
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *g = lk_test_load_golden ("tiny/modernbert-embeddings.json", &keep);
  JsonArray *items = json_object_get_array_member (g, "items");
  JsonObject *qa = json_array_get_object_element (items, 0), *db = json_array_get_object_element (items, 1);
  JsonArray *q = json_object_get_array_member (qa, "query_embedding"), *d = json_object_get_array_member (db, "embedding");
  JsonArray *ids = json_object_get_array_member (qa, "query_ids");
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_BILRP);
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(GError) error = NULL;
  double expected = 0, sim;
  guint flagged = 0;

  g_assert_cmpstr (lk_model_get_prompt (mb, "query"), ==, "search_query: ");
  for (guint i = 0; i < json_array_get_length (q); i++)
    expected += json_array_get_double_element (q, i) * json_array_get_double_element (d, i);
  lk_explain_request_set_texts (r, json_object_get_string_member (qa, "text"), json_object_get_string_member (db, "text"));
  lk_explain_request_set_prompt (r, 0, "query", NULL);
  x = lk_explain (mb, r, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  sim = lk_explanation_get_score (x, "similarity", NAN);
  g_test_message ("prompted similarity %.7f, sentence-transformers %.7f", sim, expected);
  g_assert_cmpfloat (fabs (sim - expected), <, 1e-5);
  g_assert_cmpuint (lk_explanation_get_n_tokens (x, 0), ==, json_array_get_length (ids));
  {
    g_autofree char *joined = g_strconcat ("search_query: ", json_object_get_string_member (qa, "text"), NULL);
    g_autoptr(LkEncoding) enc = lk_model_tokenize (mb, joined, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (enc->n_tokens, ==, json_array_get_length (ids));
    for (guint i = 0; i < enc->n_tokens; i++)
      g_assert_cmpint (enc->ids[i], ==, json_array_get_int_element (ids, i));
  }
  for (guint i = 0; i < lk_explanation_get_n_tokens (x, 0); i++)
    flagged += lk_explanation_get_token (x, 0, i)->prompt;
  g_assert_cmpuint (flagged, >, 0);
  g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
}

/* Weighted-mean pooling (position i weighs i + 1): the tiny ModernBERT
 * under Pooling("weightedmean") equals sentence-transformers' on four
 * texts; BiLRP conserves through it and forward = reverse. */
static void
test_weighted_mean (void)
{
  g_autoptr(JsonNode) keep = NULL;
  JsonObject *g = lk_test_load_golden ("tiny/modernbert-embeddings.json", &keep);
  JsonArray *embs = json_object_get_array_member (json_object_get_object_member (g, "weightedmean"), "embeddings");
  JsonArray *items = json_object_get_array_member (g, "items");
  g_autofree char *dir = lk_test_copy_tiny ("modernbert");
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = NULL;
  g_autoptr(LkExplanation) f = NULL;
  g_autoptr(LkExplanation) r = NULL;
  float out[32], plain[32];
  double worst = 0, moved = 0;

  edit_json (dir, "1_Pooling/config.json", "pooling_mode", "\"weightedmean\"", NULL, NULL);
  m = lk_model_new_from_dir (dir, NULL, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (embs), ==, 4);
  for (guint i = 0; i < json_array_get_length (embs); i++)
    {
      JsonArray *e = json_array_get_array_element (embs, i);
      const char *text = json_object_get_string_member (json_array_get_object_element (items, i), "text");

      embed (m, text, out);
      embed (mb, text, plain);
      for (guint d = 0; d < 32; d++)
        {
          worst = fmax (worst, fabs (out[d] - json_array_get_double_element (e, d)));
          moved = fmax (moved, fabs (out[d] - plain[d]));
        }
    }
  g_test_message ("weightedmean: max difference %.3g (mean pooling differs by %.3g)", worst, moved);
  g_assert_cmpfloat (worst, <=, 1e-5);
  g_assert_cmpfloat (moved, >, 1e-3);
  f = lk_test_explain (m, A, B, LK_METHOD_BILRP, forward_l1);
  r = lk_test_explain (m, A, B, LK_METHOD_BILRP, reverse_l1);
  g_assert_cmpfloat (lk_explanation_get_score (f, "error_relative", 1), <, 1e-4);
  g_assert_cmpfloat (lk_test_max_rel_diff (f, r), <, 1e-5);
  lk_test_rm_rf (dir);
}

/* A Pooling module that leaves the prompt out (include_prompt false, as
 * INSTRUCTOR's): the model explains texts without a prompt, and a prompt
 * is refused by name rather than pooled in. */
static void
test_prompt_excluded (void)
{
  g_autofree char *dir = lk_test_copy_tiny ("modernbert");
  LkModelOptions opts = { LK_DEVICE_CPU, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) m = NULL;
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_HXP);
  g_autoptr(LkExplanation) x = NULL;

  edit_json (dir, "1_Pooling/config.json", "include_prompt", "false", NULL, NULL);
  m = lk_model_new_from_dir (dir, NULL, &opts, &error);
  g_assert_no_error (error);
  lk_explain_request_set_texts (r, A, B);
  x = lk_explain (m, r, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&x);
  lk_explain_request_set_prompt (r, 1, "document", NULL);
  x = lk_explain (m, r, NULL, NULL, NULL, &error);
  g_assert_null (x);
  lk_test_assert_message (error, "a prompt on text B");
  lk_test_assert_message (error, "include_prompt is false");
  lk_test_rm_rf (dir);
}

/* Checkpoints published in F16 or BF16 load, and compute in F32: the
 * tiny ModernBERT and Qwen3 with their weights rounded to each, against
 * the F32 goldens (the rounding, not the arithmetic, is the difference). */
static void
test_half_precision (void)
{
  static const char *const archs[] = { "modernbert", "qwen3" };
  static const struct { const char *dtype; double floor; } kinds[] = { { "F16", 0.9999 }, { "BF16", 0.999 } };

  for (guint a = 0; a < G_N_ELEMENTS (archs); a++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        g_autofree char *rel = g_strdup_printf ("tiny/%s-embeddings.json", archs[a]);
        g_autoptr(JsonNode) keep = NULL;
        JsonArray *items = json_object_get_array_member (lk_test_load_golden (rel, &keep), "items");
        g_autofree char *dir = lk_test_copy_tiny (archs[a]);
        LkModelOptions opts = { LK_DEVICE_CPU, 1 };
        g_autoptr(GError) error = NULL;
        g_autoptr(LkModel) m = NULL;
        g_autoptr(LkExplanation) x = NULL;
        double worst = 1, moved = 0;

        lk_test_store_weights_as (dir, kinds[k].dtype);
        m = lk_model_new_from_dir (dir, NULL, &opts, &error);
        g_assert_no_error (error);
        for (guint i = 0; i < 4; i++)
          {
            JsonObject *it = json_array_get_object_element (items, i);
            JsonArray *e = json_object_get_array_member (it, "embedding");
            g_autofree float *out = g_new (float, lk_model_get_dim (m));
            double dot = 0, na = 0, nb = 0;

            embed (m, json_object_get_string_member (it, "text"), out);
            for (guint d = 0; d < lk_model_get_dim (m); d++)
              {
                double v = json_array_get_double_element (e, d);
                dot += out[d] * v, na += (double) out[d] * out[d], nb += v * v;
                moved = fmax (moved, fabs (out[d] - v));
              }
            worst = fmin (worst, dot / sqrt (na * nb));
          }
        x = lk_test_explain (m, A, B, LK_METHOD_BILRP, NULL);
        g_test_message ("%s in %s: cosine with F32 at least %.6f (largest change %.3g); BiLRP error_relative %.3g",
                        archs[a], kinds[k].dtype, worst, moved, lk_explanation_get_score (x, "error_relative", NAN));
        g_assert_cmpfloat (moved, >, 0);
        g_assert_cmpfloat (worst, >=, kinds[k].floor);
        g_assert_cmpfloat (lk_explanation_get_score (x, "error_relative", 1), <, 1e-4);
        lk_test_rm_rf (dir);
      }
}

/* config.json fields that change the computation and that the shim does
 * not implement, or values transformers would not run: refused with the
 * file and the field. */
static void
test_config_refused (void)
{
  static const struct { const char *member, *json, *also, *also_json, *fragment; } cases[] = {
    { "rope_parameters", "{\"full_attention\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"rope_theta\": 160000.0}}",
      NULL, NULL, "rope_parameters.full_attention asks for \"yarn\" rotary scaling" },
    { "rope_scaling", "{\"rope_type\": \"linear\", \"factor\": 2.0}", NULL, NULL, "rope_scaling is set" },
    { "layer_types", "[\"full_attention\", \"chunked_attention\", \"full_attention\"]", NULL, NULL,
      "layer_types[1] is \"chunked_attention\"" },
    { "layer_types", "[\"full_attention\"]", NULL, NULL, "layer_types is not a list of 3 layer kinds" },
    { "layer_types", NULL, "global_attn_every_n_layers", "0", "global_attn_every_n_layers is 0" },
    { "hidden_activation", "\"mish\"", NULL, NULL, "activation \"mish\" is not supported" },
    { "norm_eps", "-1.0", NULL, NULL, "norm_eps is -1" },
    { "num_attention_heads", "32", NULL, NULL, "hidden_size / num_attention_heads is 1" },
    { "num_attention_heads", "5", NULL, NULL, "num_attention_heads" },
    { "local_attention", "0", NULL, NULL, "local_attention is 0" },
    { "rope_parameters", "{\"sliding_attention\": {\"rope_theta\": -5.0}}", NULL, NULL,
      "rope_parameters.sliding_attention.rope_theta is -5" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = lk_test_copy_tiny ("modernbert");
      LkModelOptions opts = { LK_DEVICE_CPU, 1 };
      g_autoptr(GError) error = NULL;
      g_autoptr(LkModel) m = NULL;

      edit_config (dir, cases[i].member, cases[i].json, cases[i].also, cases[i].also_json);
      m = lk_model_new_from_dir (dir, NULL, &opts, &error);
      g_assert_null (m);
      g_test_message ("%s = %s: %s", cases[i].member, cases[i].json ? cases[i].json : "(removed)", error->message);
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
  mb = lk_test_load_tiny ("modernbert");
  g_test_add_func ("/modernbert/conservation-as-is", test_conservation_as_is);
  g_test_add_func ("/modernbert/forward-reverse", test_forward_reverse);
  g_test_add_func ("/modernbert/ij", test_ij);
  g_test_add_func ("/modernbert/window", test_window);
  g_test_add_func ("/modernbert/prompts", test_prompts);
  g_test_add_func ("/modernbert/weighted-mean", test_weighted_mean);
  g_test_add_func ("/modernbert/prompt-excluded", test_prompt_excluded);
  g_test_add_func ("/modernbert/half-precision", test_half_precision);
  g_test_add_func ("/modernbert/config-refused", test_config_refused);
  rc = g_test_run ();
  g_object_unref (mb);
  return rc;
}
