/* lk-model-config-decoder.c — decoder-only embedders in the Qwen2 and
 * Qwen3 layouts (Qwen3-Embedding and the like): config.json as transformers'
 * Qwen3Config / Qwen2Config reads it, with its defaults for what
 * save_pretrained leaves out. A field that would change the computation
 * in a way the shim's Decoder does not implement (scaled rotary
 * positions, sliding windows, another activation) is an error naming it,
 * not ignored. Called by lk-model-config.c. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-model-private.h"

gboolean
lk_model_config_is_decoder (const char *model_type)
{
  return g_strcmp0 (model_type, "qwen3") == 0 || g_strcmp0 (model_type, "qwen2") == 0;
}

static gboolean
unsupported (GError **error, const char *file, const char *field, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("%s: %s %s; Likeness explains decoders with full causal attention and plain rotary positions"),
               file, field, what);
  return FALSE;
}

/* Rotary positions: rope_theta at the top (transformers 4) or in
 * rope_parameters (transformers 5); only the default rotation, since
 * linear, dynamic, YaRN and Llama-3 scaling change the angles. */
static gboolean
read_rope (JsonObject *o, const char *file, double *theta, GError **error)
{
  static const char *const blocks[] = { "rope_scaling", "rope_parameters" };

  if (!lk_json_get_double (o, file, "rope_theta", 10000.0, theta, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      JsonNode *node = json_object_get_member (o, blocks[i]);
      JsonObject *b;
      const char *type;

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return unsupported (error, file, blocks[i], _("is not an object"));
      b = json_node_get_object (node);
      type = lk_json_get_string (b, file, "rope_type", NULL, error);
      if (type == NULL)
        type = lk_json_get_string (b, file, "type", "default", error);
      if (type == NULL)
        return FALSE;
      if (!g_str_equal (type, "default"))
        {
          g_autofree char *what = g_strdup_printf (_("asks for \"%s\" rotary scaling"), type);
          return unsupported (error, file, blocks[i], what);
        }
      if (json_object_has_member (b, "rope_theta") && !lk_json_get_double (b, file, "rope_theta", 10000.0, theta, error))
        return FALSE;
    }
  if (!(*theta > 0) || *theta > 1e12)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: rope_theta is %g; expected a positive number"), file, *theta);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_attention_kind (JsonObject *o, const char *file, GError **error)
{
  gboolean sliding = FALSE;
  JsonNode *types;

  if (!lk_json_get_bool (o, file, "use_sliding_window", FALSE, &sliding, error))
    return FALSE;
  if (sliding)
    return unsupported (error, file, "use_sliding_window", _("is true"));
  types = json_object_get_member (o, "layer_types");
  if (types != NULL && JSON_NODE_HOLDS_ARRAY (types))
    {
      JsonArray *a = json_node_get_array (types);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          const char *t = json_node_get_value_type (json_array_get_element (a, i)) == G_TYPE_STRING
                            ? json_array_get_string_element (a, i) : NULL;
          if (g_strcmp0 (t, "full_attention") != 0)
            {
              g_autofree char *field = g_strdup_printf ("layer_types[%u]", i);
              g_autofree char *what = g_strdup_printf (_("is \"%s\""), t ? t : "?");
              return unsupported (error, file, field, what);
            }
        }
    }
  return TRUE;
}

gboolean
lk_model_config_read_decoder (LkModelConfig *c, JsonObject *o, const char *file, const char *dir, GError **error)
{
  lk_shim_model_params *p = &c->params;
  gboolean qwen3 = g_strcmp0 (c->model_type, "qwen3") == 0;
  gboolean bias = !qwen3;  /* Qwen2's q/k/v always have biases */
  gint64 vocab, hidden, layers, heads, kv, head_dim, inter, positions, pad;
  const char *act;

  p->arch = LK_SHIM_ARCH_DECODER;
  if (!lk_json_get_int (o, file, "vocab_size", TRUE, 0, &vocab, error) ||
      !lk_json_get_int (o, file, "hidden_size", TRUE, 0, &hidden, error) ||
      !lk_json_get_int (o, file, "num_hidden_layers", TRUE, 0, &layers, error) ||
      !lk_json_get_int (o, file, "num_attention_heads", TRUE, 0, &heads, error) ||
      !lk_json_get_int (o, file, "intermediate_size", TRUE, 0, &inter, error) ||
      !lk_json_get_int (o, file, "max_position_embeddings", TRUE, 0, &positions, error))
    return FALSE;
  if (!lk_model_check_size (file, "vocab_size", vocab, error) ||
      !lk_model_check_size (file, "hidden_size", hidden, error) ||
      !lk_model_check_size (file, "num_hidden_layers", layers, error) ||
      !lk_model_check_size (file, "num_attention_heads", heads, error) ||
      !lk_model_check_size (file, "intermediate_size", inter, error) ||
      !lk_model_check_size (file, "max_position_embeddings", positions, error))
    return FALSE;
  if (!lk_json_get_int (o, file, "num_key_value_heads", FALSE, heads, &kv, error) ||
      !lk_model_check_size (file, "num_key_value_heads", kv, error))
    return FALSE;
  if (heads % kv != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: num_attention_heads %lld is not a multiple of num_key_value_heads %lld; expected whole "
                     "groups of query heads per key/value head"), file, (long long) heads, (long long) kv);
      return FALSE;
    }
  /* Qwen3 states head_dim (128 beside hidden 1024 and 16 heads); without it
   * the heads split the width. */
  if (!lk_json_get_int (o, file, "head_dim", FALSE, hidden % heads == 0 ? hidden / heads : 0, &head_dim, error))
    return FALSE;
  if (head_dim <= 0 && !lk_model_check_heads (file, "", hidden, heads, error))
    return FALSE;
  if (!lk_model_check_size (file, "head_dim", head_dim, error))
    return FALSE;
  if (head_dim % 2 != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: head_dim is %lld; expected an even number (rotary positions turn pairs)"), file,
                   (long long) head_dim);
      return FALSE;
    }
  if (!lk_json_get_bool (o, file, "attention_bias", bias, &bias, error) ||
      !lk_json_get_double (o, file, "rms_norm_eps", 1e-6, &p->layer_norm_eps, error) ||
      !read_rope (o, file, &p->rope_theta, error) ||
      !read_attention_kind (o, file, error))
    return FALSE;
  if (!(p->layer_norm_eps > 0) || p->layer_norm_eps > 1)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: rms_norm_eps is %g; expected a small positive number"),
                   file, p->layer_norm_eps);
      return FALSE;
    }
  act = lk_json_get_string (o, file, "hidden_act", "silu", error);
  if (act == NULL)
    return FALSE;
  if (!g_str_equal (act, "silu"))
    {
      g_autofree char *what = g_strdup_printf (_("is \"%s\" (the gated feed-forward takes \"silu\")"), act);
      return unsupported (error, file, "hidden_act", what);
    }
  /* Only what pads a batch: masked out, so any id of the vocabulary does. */
  if (!lk_json_get_int (o, file, "pad_token_id", FALSE, 0, &pad, error))
    return FALSE;
  p->vocab_size = vocab;
  p->hidden_size = hidden;
  p->num_layers = layers;
  p->num_heads = heads;
  p->num_kv_heads = kv;
  p->head_dim = head_dim;
  p->intermediate_size = inter;
  p->max_position_embeddings = positions;
  p->pad_token_id = pad >= 0 && pad < vocab ? pad : 0;
  p->qk_norm = qwen3;
  p->attention_bias = bias;
  c->weights = lk_model_find_weights (dir, error);
  p->weights_path = c->weights;
  return c->weights != NULL;
}
