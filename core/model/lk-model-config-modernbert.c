/* lk-model-config-modernbert.c — ModernBERT encoders (ModernBertModel):
 * config.json as transformers reads it, in both of its spellings —
 * transformers 4's global_attn_every_n_layers, global_rope_theta and
 * local_rope_theta, and transformers 5's layer_types and rope_parameters
 * per layer kind — with their defaults for what save_pretrained leaves
 * out. What would change the computation in a way the shim's ModernBert
 * does not implement (scaled rotary positions, another layer kind) is an
 * error naming the field. Called by lk-model-config.c. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-model-private.h"

static gboolean
unsupported (GError **error, const char *file, const char *field, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("%s: %s %s; Likeness explains ModernBERT with global and sliding-window attention and plain "
                 "rotary positions"), file, field, what);
  return FALSE;
}

static gboolean
check_theta (const char *file, const char *field, double theta, GError **error)
{
  if (theta > 0 && theta <= 1e12)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: %s is %g; expected a positive number"), file, field,
               theta);
  return FALSE;
}

/* One layer kind's block of rope_parameters (transformers 5): only the
 * default rotation, since the scaled ones change the angles. */
static gboolean
read_rope_block (JsonObject *rope, const char *file, const char *kind, double *theta, GError **error)
{
  g_autofree char *field = g_strdup_printf ("rope_parameters.%s", kind);
  JsonNode *node = json_object_get_member (rope, kind);
  JsonObject *b;
  const char *type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return unsupported (error, file, field, _("is not an object"));
  b = json_node_get_object (node);
  type = lk_json_get_string (b, file, "rope_type", "default", error);
  if (type == NULL)
    return FALSE;
  if (!g_str_equal (type, "default"))
    {
      g_autofree char *what = g_strdup_printf (_("asks for \"%s\" rotary scaling"), type);
      return unsupported (error, file, field, what);
    }
  if (!lk_json_get_double (b, file, "rope_theta", *theta, theta, error))
    return FALSE;
  field = (g_free (field), g_strdup_printf ("rope_parameters.%s.rope_theta", kind));
  return check_theta (file, field, *theta, error);
}

static gboolean
read_rope (JsonObject *o, const char *file, lk_shim_model_params *p, GError **error)
{
  JsonNode *node = json_object_get_member (o, "local_rope_theta");
  /* transformers 4: a local_rope_theta of null gives the sliding layers
   * the global base; a missing one, its default. */
  gboolean local_is_global = node != NULL && JSON_NODE_HOLDS_NULL (node);

  if (!lk_json_get_double (o, file, "global_rope_theta", 160000.0, &p->rope_theta, error) ||
      !lk_json_get_double (o, file, "local_rope_theta", local_is_global ? p->rope_theta : 10000.0,
                           &p->local_rope_theta, error) ||
      !check_theta (file, "global_rope_theta", p->rope_theta, error) ||
      !check_theta (file, "local_rope_theta", p->local_rope_theta, error))
    return FALSE;
  node = json_object_get_member (o, "rope_scaling");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    return unsupported (error, file, "rope_scaling", _("is set"));
  node = json_object_get_member (o, "rope_parameters");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return unsupported (error, file, "rope_parameters", _("is not an object"));
  return read_rope_block (json_node_get_object (node), file, "full_attention", &p->rope_theta, error) &&
         read_rope_block (json_node_get_object (node), file, "sliding_attention", &p->local_rope_theta, error);
}

/* Which layers attend within the window: layer_types when present (it
 * names every layer), else every global_attn_every_n_layers-th layer is
 * global, starting with the first, as ModernBertModel decides it. */
static gboolean
read_layer_kinds (LkModelConfig *c, JsonObject *o, const char *file, gint64 layers, GError **error)
{
  JsonNode *types = json_object_get_member (o, "layer_types");
  gint64 every;

  c->sliding = g_new0 (unsigned char, layers);
  if (types != NULL && !JSON_NODE_HOLDS_NULL (types))
    {
      JsonArray *a;

      if (!JSON_NODE_HOLDS_ARRAY (types) || json_array_get_length (json_node_get_array (types)) != (guint) layers)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: layer_types is not a list of %lld layer kinds (num_hidden_layers)"), file,
                       (long long) layers);
          return FALSE;
        }
      a = json_node_get_array (types);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          const char *t = lk_json_array_get_string (a, i);

          if (g_strcmp0 (t, "sliding_attention") == 0)
            c->sliding[i] = 1;
          else if (g_strcmp0 (t, "full_attention") != 0)
            {
              g_autofree char *field = g_strdup_printf ("layer_types[%u]", i);
              g_autofree char *what = g_strdup_printf (_("is \"%s\""), t ? t : "?");
              return unsupported (error, file, field, what);
            }
        }
      return TRUE;
    }
  if (!lk_json_get_int (o, file, "global_attn_every_n_layers", FALSE, 3, &every, error))
    return FALSE;
  if (every < 1)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: global_attn_every_n_layers is %lld; expected a positive integer"), file, (long long) every);
      return FALSE;
    }
  for (gint64 i = 0; i < layers; i++)
    c->sliding[i] = i % every != 0;
  return TRUE;
}

gboolean
lk_model_config_read_modernbert (LkModelConfig *c, JsonObject *o, const char *file, const char *dir, GError **error)
{
  lk_shim_model_params *p = &c->params;
  gint64 vocab, hidden, layers, heads, inter, positions, pad, window;
  gboolean norm_bias, attention_bias, mlp_bias;
  const char *act;

  p->arch = LK_SHIM_ARCH_MODERNBERT;
  if (!lk_json_get_int (o, file, "vocab_size", FALSE, 50368, &vocab, error) ||
      !lk_json_get_int (o, file, "hidden_size", FALSE, 768, &hidden, error) ||
      !lk_json_get_int (o, file, "num_hidden_layers", FALSE, 22, &layers, error) ||
      !lk_json_get_int (o, file, "num_attention_heads", FALSE, 12, &heads, error) ||
      !lk_json_get_int (o, file, "intermediate_size", FALSE, 1152, &inter, error) ||
      !lk_json_get_int (o, file, "max_position_embeddings", FALSE, 8192, &positions, error) ||
      !lk_json_get_int (o, file, "local_attention", FALSE, 128, &window, error) ||
      !lk_json_get_int (o, file, "pad_token_id", FALSE, 50283, &pad, error))
    return FALSE;
  if (!lk_model_check_size (file, "vocab_size", vocab, error) ||
      !lk_model_check_size (file, "hidden_size", hidden, error) ||
      !lk_model_check_size (file, "num_hidden_layers", layers, error) ||
      !lk_model_check_size (file, "num_attention_heads", heads, error) ||
      !lk_model_check_size (file, "intermediate_size", inter, error) ||
      !lk_model_check_size (file, "max_position_embeddings", positions, error) ||
      !lk_model_check_size (file, "local_attention", window, error) ||
      !lk_model_check_heads (file, "", hidden, heads, error))
    return FALSE;
  if ((hidden / heads) % 2 != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: hidden_size / num_attention_heads is %lld; expected an even number (rotary positions "
                     "turn pairs)"), file, (long long) (hidden / heads));
      return FALSE;
    }
  if (!lk_json_get_double (o, file, "norm_eps", 1e-5, &p->layer_norm_eps, error) ||
      !lk_json_get_bool (o, file, "norm_bias", FALSE, &norm_bias, error) ||
      !lk_json_get_bool (o, file, "attention_bias", FALSE, &attention_bias, error) ||
      !lk_json_get_bool (o, file, "mlp_bias", FALSE, &mlp_bias, error) ||
      !read_rope (o, file, p, error) ||
      !read_layer_kinds (c, o, file, layers, error))
    return FALSE;
  if (!(p->layer_norm_eps > 0) || p->layer_norm_eps > 1)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: norm_eps is %g; expected a small positive number"),
                   file, p->layer_norm_eps);
      return FALSE;
    }
  act = lk_json_get_string (o, file, "hidden_activation", "gelu", error);
  if (act == NULL || !lk_model_parse_activation (act, file, &p->hidden_act, error))
    return FALSE;
  p->vocab_size = vocab;
  p->hidden_size = hidden;
  p->num_layers = layers;
  p->num_heads = heads;
  p->num_kv_heads = heads;
  p->head_dim = hidden / heads;
  p->intermediate_size = inter;
  p->max_position_embeddings = positions;
  /* Only what pads a batch: masked out, so any id of the vocabulary does. */
  p->pad_token_id = pad >= 0 && pad < vocab ? pad : 0;
  /* ModernBertModel lets a sliding layer's token see local_attention / 2
   * tokens on either side. */
  p->local_window = window / 2;
  p->sliding = c->sliding;
  p->norm_bias = norm_bias;
  p->attention_bias = attention_bias;
  p->mlp_bias = mlp_bias;
  c->weights = lk_model_find_weights (dir, error);
  p->weights_path = c->weights;
  return c->weights != NULL;
}
