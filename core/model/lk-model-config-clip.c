/* lk-model-config-clip.c — CLIP models (Hugging Face CLIPModel folders):
 * their config.json (text_config, vision_config, with transformers'
 * defaults for what save_pretrained leaves out) and
 * preprocessor_config.json. Below lk-model-config.c, which calls it; the
 * image side of LkModel is lk-model-vision.c. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-backend.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-model.h"
#include "lk-model-private.h"

gboolean
lk_model_config_is_clip (const char *dir)
{
  g_autofree char *file = g_build_filename (dir, "config.json", NULL);
  g_autoptr(JsonNode) root = lk_json_load (file, FALSE, NULL);

  return root != NULL &&
         g_strcmp0 (lk_json_get_string (json_node_get_object (root), file, "model_type", NULL, NULL), "clip") == 0;
}

typedef struct {
  const char *field;
  gint64      fallback;
  int        *out;
} IntField;

/* @prefix: "text_config." or "vision_config." or "", for the messages. */
static gboolean
read_ints (JsonObject *o, const char *file, const char *prefix, const IntField *fields, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strconcat (prefix, fields[i].field, NULL);
      gint64 v;
      if (!lk_json_get_int (o, file, fields[i].field, FALSE, fields[i].fallback, &v, error) ||
          !lk_model_check_size (file, name, v, error))
        return FALSE;
      *fields[i].out = (int) v;
    }
  return TRUE;
}

/* What the towers index with: the heads split the width, the patches tile
 * the image, and the text pools at eos_token_id. */
static gboolean
check_towers (const char *file, const lk_shim_model_params *p, gint64 eos, GError **error)
{
  if (!lk_model_check_heads (file, "text_config.", p->hidden_size, p->num_heads, error) ||
      !lk_model_check_heads (file, "vision_config.", p->vision_hidden_size, p->vision_num_heads, error))
    return FALSE;
  if (p->image_size % p->patch_size != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: vision_config.image_size %d is not a multiple of vision_config.patch_size %d"), file,
                   p->image_size, p->patch_size);
      return FALSE;
    }
  if (eos < 0 || eos >= p->vocab_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: text_config.eos_token_id is %lld; expected an id of the vocabulary (0 to %d)"),
                   file, (long long) eos, p->vocab_size - 1);
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
sub_object (JsonObject *o, const char *file, const char *field, GError **error)
{
  JsonNode *node = json_object_get_member (o, field);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: %s must be an object (a CLIPModel config)"), file, field);
      return NULL;
    }
  return json_node_get_object (node);
}

/* size: {"shortest_edge": n} or {"height": h, "width": w} or n */
static gboolean
read_size (JsonObject *o, const char *file, const char *field, guint *w, guint *h, GError **error)
{
  JsonNode *node = json_object_get_member (o, field);
  gint64 a, b;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64 && json_node_get_int (node) > 0)
    {
      *w = *h = json_node_get_int (node);
      return TRUE;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *s = json_node_get_object (node);
      if (json_object_has_member (s, "shortest_edge"))
        {
          if (!lk_json_get_int (s, file, "shortest_edge", TRUE, 0, &a, error))
            return FALSE;
          if (a > 0)
            {
              *w = *h = a;
              return TRUE;
            }
        }
      else if (lk_json_get_int (s, file, "height", TRUE, 0, &a, NULL) &&
               lk_json_get_int (s, file, "width", TRUE, 0, &b, NULL) && a > 0 && b > 0)
        {
          *h = a;
          *w = b;
          return TRUE;
        }
    }
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               _("%s: %s must be a positive integer, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}"), file, field);
  return FALSE;
}

static gboolean
read_triple (JsonObject *o, const char *file, const char *field, float out[3], GError **error)
{
  JsonNode *node = json_object_get_member (o, field);
  JsonArray *a;

  if (node == NULL)
    return TRUE;
  a = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  if (a == NULL || json_array_get_length (a) != 3)
    goto bad;
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || (json_node_get_value_type (e) != G_TYPE_DOUBLE &&
                                         json_node_get_value_type (e) != G_TYPE_INT64))
        goto bad;
      out[i] = json_node_get_double (e);
    }
  return TRUE;
bad:
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: %s must be a list of 3 numbers"), file, field);
  return FALSE;
}

static gboolean
read_preprocessor (LkModelConfig *c, const char *dir, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "preprocessor_config.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  LkImagePreprocess *p = &c->preprocess;
  guint sw, sh;
  JsonObject *o;
  double std_min;

  lk_image_preprocess_init (p, c->params.image_size);
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    return TRUE;
  if ((root = lk_json_load (file, FALSE, error)) == NULL)
    return FALSE;
  o = json_node_get_object (root);
  sw = sh = p->shortest_edge;
  if (!read_size (o, file, "size", &sw, &sh, error) ||
      !read_size (o, file, "crop_size", &p->crop_width, &p->crop_height, error) ||
      !read_triple (o, file, "image_mean", p->mean, error) ||
      !read_triple (o, file, "image_std", p->std, error) ||
      !lk_json_get_double (o, file, "rescale_factor", p->rescale, &p->rescale, error))
    return FALSE;
  p->shortest_edge = MIN (sw, sh);
  std_min = MIN (p->std[0], MIN (p->std[1], p->std[2]));
  if (p->crop_width != (guint) c->params.image_size || p->crop_height != (guint) c->params.image_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: crop_size %u × %u differs from the vision tower's image_size %d"),
                   file, p->crop_width, p->crop_height, c->params.image_size);
      return FALSE;
    }
  if (std_min <= 0 || p->rescale <= 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: image_std and rescale_factor must be positive"), file);
      return FALSE;
    }
  return TRUE;
}

gboolean
lk_model_config_read_clip (LkModelConfig *c, const char *dir, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tok = g_build_filename (dir, "tokenizer_config.json", NULL);
  g_autoptr(JsonNode) root = lk_json_load (file, FALSE, error);
  lk_shim_model_params *p = &c->params;
  JsonObject *o, *t, *v;
  const char *act;
  gint64 eos;
  int proj;

  if (root == NULL)
    return FALSE;
  o = json_node_get_object (root);
  c->model_type = g_strdup ("clip");
  c->clip = TRUE;
  p->arch = LK_SHIM_ARCH_CLIP;
  if ((t = sub_object (o, file, "text_config", error)) == NULL ||
      (v = sub_object (o, file, "vision_config", error)) == NULL)
    return FALSE;
  {
    /* transformers' CLIPConfig defaults: openai/clip-vit-base-patch32 */
    const IntField top[] = { { "projection_dim", 512, &proj } };
    const IntField text[] = {
      { "vocab_size", 49408, &p->vocab_size }, { "hidden_size", 512, &p->hidden_size },
      { "num_hidden_layers", 12, &p->num_layers }, { "num_attention_heads", 8, &p->num_heads },
      { "intermediate_size", 2048, &p->intermediate_size }, { "max_position_embeddings", 77, &p->max_position_embeddings },
    };
    const IntField vision[] = {
      { "hidden_size", 768, &p->vision_hidden_size }, { "num_hidden_layers", 12, &p->vision_num_layers },
      { "num_attention_heads", 12, &p->vision_num_heads }, { "intermediate_size", 3072, &p->vision_intermediate_size },
      { "image_size", 224, &p->image_size }, { "patch_size", 32, &p->patch_size },
    };
    if (!read_ints (o, file, "", top, G_N_ELEMENTS (top), error) ||
        !read_ints (t, file, "text_config.", text, G_N_ELEMENTS (text), error) ||
        !read_ints (v, file, "vision_config.", vision, G_N_ELEMENTS (vision), error))
      return FALSE;
  }
  p->projection_dim = proj;
  if (!lk_json_get_int (t, file, "eos_token_id", FALSE, 49407, &eos, error) ||
      !lk_json_get_double (t, file, "layer_norm_eps", 1e-5, &p->layer_norm_eps, error) ||
      !lk_json_get_double (v, file, "layer_norm_eps", 1e-5, &p->vision_layer_norm_eps, error))
    return FALSE;
  if (!check_towers (file, p, eos, error))
    return FALSE;
  p->eos_token_id = (int) eos;
  act = lk_json_get_string (t, file, "hidden_act", "quick_gelu", error);
  if (act == NULL || !lk_model_parse_activation (act, file, &p->hidden_act, error))
    return FALSE;
  act = lk_json_get_string (v, file, "hidden_act", "quick_gelu", error);
  if (act == NULL || !lk_model_parse_activation (act, file, &p->vision_hidden_act, error))
    return FALSE;
  if (v != NULL && json_object_has_member (v, "num_channels"))
    {
      gint64 ch;
      if (!lk_json_get_int (v, file, "num_channels", TRUE, 3, &ch, error))
        return FALSE;
      if (ch != 3)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, _("%s: vision_config.num_channels is %d (expected 3)"), file, (int) ch);
          return FALSE;
        }
    }
  p->pooling = LK_SHIM_POOL_LAST_TOKEN;  /* not used by the CLIP tower; says what it does */
  if ((c->weights = lk_model_find_weights (dir, error)) == NULL)
    return FALSE;
  p->weights_path = c->weights;

  /* 77 tokens, or fewer if the tokenizer says so */
  c->max_seq_length = p->max_position_embeddings;
  if (g_file_test (tok, G_FILE_TEST_EXISTS))
    {
      g_autoptr(JsonNode) troot = lk_json_load (tok, FALSE, NULL);
      double d = 0;
      if (troot != NULL)
        lk_json_get_double (json_node_get_object (troot), tok, "model_max_length", 0, &d, NULL);
      if (d >= 2 && d < c->max_seq_length)
        c->max_seq_length = (guint) d;
    }
  return read_preprocessor (c, dir, error);
}
