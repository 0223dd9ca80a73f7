/* lk-model-config.c — turns a model folder's config.json, modules.json and
 * sentence-transformers module configs into the shim's parameters. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-model-private.h"
#include "lk-model-store.h"

static gboolean
parse_arch (const char *model_type, const char *file, lk_shim_arch *arch, GError **error)
{
  static const struct { const char *name; lk_shim_arch arch; } known[] = {
    { "bert", LK_SHIM_ARCH_BERT }, { "mpnet", LK_SHIM_ARCH_MPNET },
    { "roberta", LK_SHIM_ARCH_XLMR }, { "xlm-roberta", LK_SHIM_ARCH_XLMR },
    { "camembert", LK_SHIM_ARCH_XLMR },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_strcmp0 (model_type, known[i].name) == 0)
      {
        *arch = known[i].arch;
        return TRUE;
      }
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               "%s: model_type \"%s\" is not supported (expected bert, mpnet, roberta, xlm-roberta, modernbert, qwen2 or qwen3)",
               file, model_type ? model_type : "(missing)");
  return FALSE;
}

#define LK_MAX_SIZE (1 << 22)

static const char *const size_fields[] = {
  "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
  "max_position_embeddings",
};

static gboolean
bad_field (GError **error, const char *file, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
bad_field (GError **error, const char *file, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: %s", file, msg);
  return FALSE;
}

gboolean
lk_model_check_size (const char *file, const char *field, gint64 value, GError **error)
{
  if (value <= 0)
    return bad_field (error, file, "%s is %" G_GINT64_FORMAT "; expected a positive integer", field, value);
  if (value > LK_MAX_SIZE)
    return bad_field (error, file, "%s is %" G_GINT64_FORMAT "; expected at most %d", field, value, LK_MAX_SIZE);
  return TRUE;
}

gboolean
lk_model_check_heads (const char *file, const char *prefix, gint64 hidden, gint64 heads, GError **error)
{
  if (hidden % heads == 0)
    return TRUE;
  return bad_field (error, file, "%shidden_size %" G_GINT64_FORMAT " is not a multiple of %snum_attention_heads %"
                    G_GINT64_FORMAT "; expected hidden_size divisible by the number of heads", prefix, hidden, prefix, heads);
}

/* v: the six size fields in size_fields' order, then type_vocab_size
 * (MPNet has no token type table). */
static gboolean
check_sizes (const char *file, lk_shim_arch arch, const gint64 *v, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (size_fields); i++)
    if (!lk_model_check_size (file, size_fields[i], v[i], error))
      return FALSE;
  if (arch != LK_SHIM_ARCH_MPNET && (v[6] < 1 || v[6] > LK_MAX_SIZE))
    return bad_field (error, file, "type_vocab_size is %" G_GINT64_FORMAT "; expected a positive integer "
                      "(token type 0 is looked up in that table)", v[6]);
  return lk_model_check_heads (file, "", v[1], v[3], error);
}

/* The pad id indexes the word table, and RoBERTa-style models (XLM-R,
 * MPNet) number positions from pad_token_id + 1, so the pad id also decides
 * how many positions are left: libtorch would only say "index out of range". */
static gboolean
check_token_ids (const char *file, const lk_shim_model_params *p, GError **error)
{
  gint64 pad = p->pad_token_id;

  if (pad < 0 || pad >= p->vocab_size)
    return bad_field (error, file, "pad_token_id is %" G_GINT64_FORMAT "; expected an id of the vocabulary (0 to %d, "
                      "vocab_size is %d)", pad, p->vocab_size - 1, p->vocab_size);
  if (p->arch != LK_SHIM_ARCH_BERT && p->max_position_embeddings - pad - 1 < 1)
    return bad_field (error, file, "pad_token_id is %" G_GINT64_FORMAT " but max_position_embeddings is %d: positions "
                      "start at pad_token_id + 1, which leaves %" G_GINT64_FORMAT " positions; expected pad_token_id "
                      "below %d", pad, p->max_position_embeddings, p->max_position_embeddings - pad - 1,
                      p->max_position_embeddings - 1);
  return TRUE;
}

static gboolean
read_transformer (LkModelConfig *c, const char *dir, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "config.json", NULL);
  g_autoptr(JsonNode) root = lk_json_load (file, FALSE, error);
  lk_shim_model_params *p = &c->params;
  JsonObject *o;
  gint64 v[9];
  const char *act;

  if (root == NULL)
    return FALSE;
  o = json_node_get_object (root);
  c->model_type = g_strdup (lk_json_get_string (o, file, "model_type", NULL, NULL));
  if (lk_model_config_is_decoder (c->model_type))
    return lk_model_config_read_decoder (c, o, file, dir, error);
  if (g_strcmp0 (c->model_type, "modernbert") == 0)
    return lk_model_config_read_modernbert (c, o, file, dir, error);
  if (!parse_arch (c->model_type, file, &p->arch, error))
    return FALSE;
  if (!lk_json_get_int (o, file, "vocab_size", TRUE, 0, &v[0], error) ||
      !lk_json_get_int (o, file, "hidden_size", TRUE, 0, &v[1], error) ||
      !lk_json_get_int (o, file, "num_hidden_layers", TRUE, 0, &v[2], error) ||
      !lk_json_get_int (o, file, "num_attention_heads", TRUE, 0, &v[3], error) ||
      !lk_json_get_int (o, file, "intermediate_size", TRUE, 0, &v[4], error) ||
      !lk_json_get_int (o, file, "max_position_embeddings", TRUE, 0, &v[5], error) ||
      !lk_json_get_int (o, file, "type_vocab_size", FALSE, 2, &v[6], error) ||
      !lk_json_get_int (o, file, "pad_token_id", FALSE, p->arch == LK_SHIM_ARCH_BERT ? 0 : 1, &v[7], error) ||
      !lk_json_get_int (o, file, "relative_attention_num_buckets", FALSE, 32, &v[8], error) ||
      !lk_json_get_double (o, file, "layer_norm_eps", 1e-12, &p->layer_norm_eps, error))
    return FALSE;
  if (!check_sizes (file, p->arch, v, error))
    return FALSE;
  p->vocab_size = v[0];
  p->hidden_size = v[1];
  p->num_layers = v[2];
  p->num_heads = v[3];
  p->intermediate_size = v[4];
  p->max_position_embeddings = v[5];
  p->type_vocab_size = v[6];
  p->pad_token_id = v[7];
  p->relative_attention_num_buckets = v[8];
  if (!check_token_ids (file, p, error))
    return FALSE;
  act = lk_json_get_string (o, file, "hidden_act", "gelu", error);
  if (act == NULL || !lk_model_parse_activation (act, file, &p->hidden_act, error))
    return FALSE;
  c->weights = lk_model_find_weights (dir, error);
  p->weights_path = c->weights;
  return c->weights != NULL;
}

/* sentence-transformers ≥ 5 writes one "pooling_mode" string (or a list,
 * which concatenates poolings); earlier versions one boolean per mode. */
static gboolean
read_pooling_mode (LkModelConfig *c, JsonObject *o, const char *file, GError **error)
{
  static const struct { const char *name; lk_shim_pooling mode; } names[] = {
    { "mean", LK_SHIM_POOL_MEAN }, { "cls", LK_SHIM_POOL_CLS }, { "max", LK_SHIM_POOL_MAX },
    { "mean_sqrt_len_tokens", LK_SHIM_POOL_MEAN_SQRT_LEN }, { "lasttoken", LK_SHIM_POOL_LAST_TOKEN },
    { "weightedmean", LK_SHIM_POOL_WEIGHTED_MEAN },
  };
  JsonNode *node = json_object_get_member (o, "pooling_mode");
  const char *name = NULL;

  if (JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) == 1)
    node = json_array_get_element (json_node_get_array (node), 0);
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "%s: pooling_mode lists %u modes; concatenated poolings are not supported", file,
                   json_array_get_length (json_node_get_array (node)));
      return FALSE;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    name = json_node_get_string (node);
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i].name))
      {
        c->params.pooling = names[i].mode;
        return TRUE;
      }
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               "%s: pooling_mode is %s%s%s; expected mean, cls, max, mean_sqrt_len_tokens, weightedmean or lasttoken", file,
               name ? "\"" : "", name ? name : "not a string", name ? "\"" : "");
  return FALSE;
}

static gboolean
read_pooling (LkModelConfig *c, const char *module_dir, GError **error)
{
  static const struct { const char *key; lk_shim_pooling mode; } modes[] = {
    { "pooling_mode_mean_tokens", LK_SHIM_POOL_MEAN }, { "pooling_mode_cls_token", LK_SHIM_POOL_CLS },
    { "pooling_mode_max_tokens", LK_SHIM_POOL_MAX }, { "pooling_mode_mean_sqrt_len_tokens", LK_SHIM_POOL_MEAN_SQRT_LEN },
    { "pooling_mode_lasttoken", LK_SHIM_POOL_LAST_TOKEN },
    { "pooling_mode_weightedmean_tokens", LK_SHIM_POOL_WEIGHTED_MEAN },
  };
  g_autofree char *file = g_build_filename (module_dir, "config.json", NULL);
  g_autoptr(JsonNode) root = lk_json_load (file, FALSE, error);
  gboolean include_prompt = TRUE;
  guint n_on = 0;

  if (root == NULL)
    return FALSE;
  /* sentence-transformers can leave a prompt's tokens out of the pooling;
   * lk_explain refuses a prompt on such a model rather than pool it. */
  if (!lk_json_get_bool (json_node_get_object (root), file, "include_prompt", TRUE, &include_prompt, error))
    return FALSE;
  c->pool_excludes_prompt = !include_prompt;
  if (json_object_has_member (json_node_get_object (root), "pooling_mode"))
    return read_pooling_mode (c, json_node_get_object (root), file, error);
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      gboolean on;
      if (!lk_json_get_bool (json_node_get_object (root), file, modes[i].key, FALSE, &on, error))
        return FALSE;
      if (on)
        {
          c->params.pooling = modes[i].mode;
          n_on++;
        }
    }
  if (n_on != 1)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "%s: exactly one pooling mode must be true (found %u); concatenated poolings are not supported",
                   file, n_on);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_dense (LkModelConfig *c, const char *module_dir, GError **error)
{
  g_autofree char *file = g_build_filename (module_dir, "config.json", NULL);
  g_autoptr(JsonNode) root = lk_json_load (file, FALSE, error);
  lk_shim_dense *d;
  gint64 in, out;
  const char *act;
  JsonObject *o;

  if (root == NULL)
    return FALSE;
  if (c->params.n_dense >= LK_SHIM_MAX_DENSE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, "%s: more than %d Dense modules", file, LK_SHIM_MAX_DENSE);
      return FALSE;
    }
  o = json_node_get_object (root);
  d = &c->params.dense[c->params.n_dense];
  if (!lk_json_get_int (o, file, "in_features", TRUE, 0, &in, error) ||
      !lk_json_get_int (o, file, "out_features", TRUE, 0, &out, error) ||
      !lk_json_get_bool (o, file, "bias", TRUE, &d->bias, error))
    return FALSE;
  act = lk_json_get_string (o, file, "activation_function", "torch.nn.modules.activation.Tanh", error);
  if (act == NULL || !lk_model_parse_activation (act, file, &d->activation, error))
    return FALSE;
  d->in_features = in;
  d->out_features = out;
  c->dense_weights[c->params.n_dense] = lk_model_find_weights (module_dir, error);
  d->weights_path = c->dense_weights[c->params.n_dense];
  if (d->weights_path == NULL)
    return FALSE;
  c->params.n_dense++;
  return TRUE;
}

static gboolean
read_modules (LkModelConfig *c, const char *dir, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "modules.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonArray *mods;

  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      /* A plain transformers checkpoint: mean pooling, as sentence-transformers assumes. */
      c->params.pooling = LK_SHIM_POOL_MEAN;
      return TRUE;
    }
  if ((root = lk_json_load (file, TRUE, error)) == NULL)
    return FALSE;
  mods = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (mods); i++)
    {
      JsonObject *m = json_array_get_object_element (mods, i);
      const char *type = m ? lk_json_get_string (m, file, "type", NULL, NULL) : NULL;
      const char *path = m ? lk_json_get_string (m, file, "path", "", NULL) : NULL;
      g_autofree char *mdir = NULL;

      if (type == NULL || path == NULL || strstr (path, "..") != NULL || g_path_is_absolute (path))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       "%s: module %u needs a \"type\" and a relative \"path\" inside the model folder", file, i);
          return FALSE;
        }
      mdir = g_build_filename (dir, path, NULL);
      if (g_str_has_suffix (type, ".Transformer"))
        continue;
      else if (g_str_has_suffix (type, ".Pooling") && !read_pooling (c, mdir, error))
        return FALSE;
      else if (g_str_has_suffix (type, ".Dense") && !read_dense (c, mdir, error))
        return FALSE;
      else if (g_str_has_suffix (type, ".Normalize"))
        c->params.normalize = 1;
      else if (!g_str_has_suffix (type, ".Pooling") && !g_str_has_suffix (type, ".Dense"))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, "%s: module type \"%s\" is not supported", file, type);
          return FALSE;
        }
    }
  return TRUE;
}

/* sentence_bert_config.json's max_seq_length, else the tokenizer's
 * model_max_length, never more than the positions the model has. */
static gboolean
read_max_length (LkModelConfig *c, const char *dir, GError **error)
{
  g_autofree char *sbert = g_build_filename (dir, "sentence_bert_config.json", NULL);
  g_autofree char *tok = g_build_filename (dir, "tokenizer_config.json", NULL);
  gint64 positions = c->params.max_position_embeddings;
  gint64 len = 0;

  /* RoBERTa-type positions start at pad_token_id + 1 */
  if (c->params.arch == LK_SHIM_ARCH_MPNET || c->params.arch == LK_SHIM_ARCH_XLMR)
    positions -= c->params.pad_token_id + 1;
  if (g_file_test (sbert, G_FILE_TEST_EXISTS))
    {
      g_autoptr(JsonNode) root = lk_json_load (sbert, FALSE, error);
      if (root == NULL || !lk_json_get_int (json_node_get_object (root), sbert, "max_seq_length", FALSE, 0, &len, error))
        return FALSE;
    }
  if (len <= 0 && g_file_test (tok, G_FILE_TEST_EXISTS))
    {
      g_autoptr(JsonNode) root = lk_json_load (tok, FALSE, NULL);
      double d = 0;
      if (root != NULL)
        lk_json_get_double (json_node_get_object (root), tok, "model_max_length", 0, &d, NULL);
      len = d > 0 && d < 1e6 ? (gint64) d : 0;
    }
  c->max_seq_length = (len > 0 && len < positions) ? len : positions;
  return TRUE;
}

/* sentence-transformers' prompts (E5's "query: ", Qwen3's "Instruct: …
 * Query:"), which encode(prompt_name=…) puts before the text, and the one
 * it uses when none is named. */
static gboolean
read_prompts (LkModelConfig *c, const char *dir, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "config_sentence_transformers.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  JsonObject *o;
  JsonNode *prompts;
  const char *def;

  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    return TRUE;
  if ((root = lk_json_load (file, FALSE, error)) == NULL)
    return FALSE;
  o = json_node_get_object (root);
  prompts = json_object_get_member (o, "prompts");
  if (prompts != NULL && !JSON_NODE_HOLDS_NULL (prompts))
    {
      g_autoptr(GList) members = NULL;
      if (!JSON_NODE_HOLDS_OBJECT (prompts))
        return bad_field (error, file, "prompts is not an object (expected prompt names mapped to texts)");
      members = json_object_get_members (json_node_get_object (prompts));
      for (GList *l = members; l; l = l->next)
        {
          JsonNode *v = json_object_get_member (json_node_get_object (prompts), l->data);
          if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
            return bad_field (error, file, "prompts.%s is not a string", (const char *) l->data);
          g_ptr_array_add (names, g_strdup (l->data));
          g_ptr_array_add (texts, g_strdup (json_node_get_string (v)));
        }
    }
  def = lk_json_get_string (o, file, "default_prompt_name", NULL, NULL);
  if (def != NULL)
    {
      gboolean known = FALSE;
      for (guint i = 0; i < names->len; i++)
        known |= g_str_equal (g_ptr_array_index (names, i), def);
      if (!known)
        return bad_field (error, file, "default_prompt_name \"%s\" is not one of the prompts", def);
      c->default_prompt_name = g_strdup (def);
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (texts, NULL);
  c->prompt_names = (char **) g_ptr_array_steal (names, NULL);
  c->prompt_texts = (char **) g_ptr_array_steal (texts, NULL);
  return TRUE;
}

gboolean
lk_model_read_prompts (const char *dir, char ***names, char **default_name, GError **error)
{
  LkModelConfig c = { 0 };

  g_return_val_if_fail (dir != NULL && names != NULL, FALSE);
  *names = NULL;
  if (default_name)
    *default_name = NULL;
  if (!read_prompts (&c, dir, error))
    return FALSE;
  *names = g_steal_pointer (&c.prompt_names);
  if (*names == NULL)
    *names = g_new0 (char *, 1);
  if (default_name)
    *default_name = g_steal_pointer (&c.default_prompt_name);
  lk_model_config_clear (&c);
  return TRUE;
}

/* A cross-encoder's encoder or a ColBERT model's token encoder would load
 * as a bi-encoder, and its "similarity" would be a cosine the model never
 * computes: refused, with what gave it away. */
static gboolean
check_kind (const char *dir, GError **error)
{
  g_autofree char *why = NULL;

  switch (lk_model_kind_for_folder (dir, &why))
    {
    case LK_MODEL_KIND_CROSS_ENCODER:
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "%s is a cross-encoder (%s): it scores a pair jointly with a classifier, and Likeness "
                   "explains bi-encoders and image–text models, whose similarity is the cosine of two "
                   "embeddings; explaining rerankers is not supported yet", dir, why);
      return FALSE;
    case LK_MODEL_KIND_LATE_INTERACTION:
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "%s is a late-interaction model (%s): it scores token embeddings by MaxSim, and Likeness "
                   "explains bi-encoders and image–text models, whose similarity is the cosine of two "
                   "embeddings; explaining late interaction is not supported yet", dir, why);
      return FALSE;
    case LK_MODEL_KIND_UNKNOWN:
    case LK_MODEL_KIND_TEXT:
    case LK_MODEL_KIND_IMAGE_TEXT:
    default:
      return TRUE;
    }
}

gboolean
lk_model_config_read (LkModelConfig *c, const char *dir, GError **error)
{
  lk_shim_model_default_params (&c->params);
  if (lk_model_config_is_clip (dir))
    return lk_model_config_read_clip (c, dir, error);
  if (!check_kind (dir, error))
    return FALSE;
  return read_transformer (c, dir, error) &&
         read_modules (c, dir, error) &&
         read_max_length (c, dir, error) &&
         read_prompts (c, dir, error);
}

void
lk_model_config_clear (LkModelConfig *c)
{
  g_clear_pointer (&c->model_type, g_free);
  g_clear_pointer (&c->weights, g_free);
  g_clear_pointer (&c->prompt_names, g_strfreev);
  g_clear_pointer (&c->prompt_texts, g_strfreev);
  g_clear_pointer (&c->default_prompt_name, g_free);
  g_clear_pointer (&c->sliding, g_free);
  for (guint i = 0; i < LK_SHIM_MAX_DENSE; i++)
    g_clear_pointer (&c->dense_weights[i], g_free);
}
