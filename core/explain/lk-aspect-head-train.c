/* lk-aspect-head-train.c — training an aspect head: the pairs and their
 * targets (as the fine-tuning trainer reads them), the frozen model's
 * embeddings computed once, the shim's Householder training, and the head
 * file written atomically with what made it. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lk-aspect-train-private.h"
#include "lk-aspects.h"
#include "lk-backend.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-provenance.h"

#define DEFAULT_ASPECT_DIM 16

void
lk_aspect_head_train_params_init (LkAspectHeadTrainParams *p)
{
  lk_shim_head_params shim;

  g_return_if_fail (p != NULL);
  lk_shim_head_default_params (&shim);
  memset (p, 0, sizeof *p);
  p->aspect_dim = DEFAULT_ASPECT_DIM;
  p->epochs = shim.epochs;
  p->batch_size = shim.batch_size;
  p->lr = shim.lr;
  p->device = LK_DEVICE_AUTO;
}

static gboolean
bad_param (GError **error, const char *msg)
{
  g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, msg);
  return FALSE;
}

static gboolean
check_params (const LkAspectHeadTrainParams *p, GError **error)
{
  if (p->base == NULL || p->pairs == NULL || p->pairs[0] == NULL || p->out == NULL)
    return bad_param (error, "a head needs a base model, at least one pairs file and an output file");
  if (!g_str_has_suffix (p->out, ".safetensors"))
    return bad_param (error, "the head file's name must end in .safetensors (it is one: docs/aspects.md)");
  if (p->epochs < 1 || p->epochs > 10000)
    return bad_param (error, "epochs: expected 1 to 10000");
  if (p->batch_size < 1 || p->batch_size > 65536)
    return bad_param (error, "batch size: expected 1 to 65536");
  if (!(p->lr > 0 && p->lr < 1))
    return bad_param (error, "learning rate: expected a number in (0, 1)");
  if (p->aspect_dim < 1 || p->aspect_dim > 4096 || p->max_pairs < 0)
    return bad_param (error, "dims per aspect: expected 1 to 4096; the pair limit must be 0 or more");
  return TRUE;
}

/* All the pairs files as one set; their aspects must agree. */
static LkAspectPairs *
load_pairs (const LkAspectHeadTrainParams *p, GError **error)
{
  g_autoptr(LkAspectPairs) all = NULL;

  for (guint i = 0; p->pairs[i]; i++)
    {
      g_autoptr(LkAspectPairs) one = lk_aspect_pairs_load_split (p->pairs[i], p->builtin, p->split, error);
      if (one == NULL)
        return NULL;
      if (all == NULL)
        {
          all = g_steal_pointer (&one);
          continue;
        }
      if (!g_strv_equal ((const char * const *) all->names, (const char * const *) one->names))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s names other aspects than %s", p->pairs[i],
                       p->pairs[0]);
          return NULL;
        }
      for (guint k = 0; k < one->a->len; k++)
        {
          g_ptr_array_add (all->a, g_strdup (one->a->pdata[k]));
          g_ptr_array_add (all->b, g_strdup (one->b->pdata[k]));
        }
      g_array_append_vals (all->targets, one->targets->data, one->targets->len);
    }
  if (p->max_pairs > 0 && all->a->len > (guint) p->max_pairs)
    {
      guint na = g_strv_length (all->names);
      g_ptr_array_set_size (all->a, p->max_pairs);
      g_ptr_array_set_size (all->b, p->max_pairs);
      g_array_set_size (all->targets, (gsize) p->max_pairs * na);
    }
  return g_steal_pointer (&all);
}

static gboolean
embed_side (LkModel *model, GPtrArray *texts, float *out, GCancellable *cancellable, GError **error)
{
  return lk_model_embed (model, (const char * const *) texts->pdata, texts->len, out, NULL, NULL, NULL, cancellable,
                         error);
}

static JsonNode *
doubles_node (const double *v, guint n)
{
  JsonArray *a = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < n; i++)
    json_array_add_double_element (a, v[i]);
  json_node_take_array (node, a);
  return node;
}

static void
set_json (JsonObject *meta, const char *key, JsonNode *value)
{
  g_autofree char *s = lk_json_to_data (value, FALSE, key, NULL, NULL);

  json_object_set_string_member (meta, key, s ? s : "null");
  json_node_unref (value);
}

/* What made the head: the metadata beside Q (docs/aspects.md). */
static JsonObject *
head_meta (const LkAspectHeadTrainParams *p, LkModel *model, const double *min, const double *max, guint na,
           const LkAspectHeadTrainResult *r)
{
  JsonObject *meta = json_object_new ();
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonObject) prov = lk_provenance_of_model (lk_model_get_path (model), NULL);
  JsonNode *rev = prov ? json_object_get_member (prov, "revision") : NULL;

  json_object_set_string_member (meta, "metrics", p->builtin ? "built-in surface metrics (docs/aspects.md)"
                                                             : "the score columns of the pairs files");
  json_object_set_string_member (meta, "model_revision", rev && JSON_NODE_HOLDS_VALUE (rev) ? json_node_get_string (rev) : "");
  json_object_set_string_member (meta, "parametrisation", "householder");
  set_json (meta, "target_min", doubles_node (min, na));
  set_json (meta, "target_max", doubles_node (max, na));
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pairs");
  json_builder_begin_array (b);
  for (guint i = 0; p->pairs[i]; i++)
    {
      g_autofree char *base = g_path_get_basename (p->pairs[i]);
      json_builder_add_string_value (b, base);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "split");
  p->split ? json_builder_add_string_value (b, p->split) : json_builder_add_null_value (b);
  json_builder_set_member_name (b, "train_pairs");
  json_builder_add_int_value (b, r->n_train);
  json_builder_set_member_name (b, "dev_pairs");
  json_builder_add_int_value (b, r->n_dev);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, p->epochs);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, p->batch_size);
  json_builder_set_member_name (b, "lr");
  json_builder_add_double_value (b, p->lr);
  json_builder_set_member_name (b, "reflections");
  json_builder_add_int_value (b, (gint64) na * p->aspect_dim);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, r->shim.steps);
  json_builder_set_member_name (b, "best_epoch");
  json_builder_add_int_value (b, r->shim.best_epoch);
  json_builder_set_member_name (b, "base_dev_aspect_mse");
  json_builder_add_double_value (b, r->shim.base_dev_mse);
  json_builder_set_member_name (b, "dev_aspect_mse");
  json_builder_add_double_value (b, r->shim.best_dev_mse);
  json_builder_set_member_name (b, "likeness");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  set_json (meta, "training", json_builder_get_root (b));
  return meta;
}

typedef struct {
  GCancellable         *cancellable;   /* first: lk_backend_abort reads it */
  LkAspectHeadProgress  progress;
  gpointer              data;
} Relay;

static void
relay (const lk_shim_head_progress *p, void *data)
{
  Relay *r = data;

  if (r->progress)
    r->progress (p, r->data);
}

gboolean
lk_aspect_head_train (const LkAspectHeadTrainParams *params,
                      LkAspectHeadProgress           progress,
                      gpointer                       progress_data,
                      GCancellable                  *cancellable,
                      LkAspectHeadTrainResult       *result,
                      GError                       **error)
{
  g_autoptr(LkAspectPairs) pairs = NULL;
  g_autoptr(LkModel) model = NULL;
  g_autoptr(LkAspectHead) head = g_new0 (LkAspectHead, 1);
  g_autofree float *ea = NULL, *eb = NULL, *targets = NULL;
  g_autofree double *min = NULL, *max = NULL;
  LkAspectHeadTrainResult local = { 0 };
  LkModelOptions mo = { params ? params->device : LK_DEVICE_AUTO, params ? params->n_threads : 0 };
  Relay r = { cancellable, progress, progress_data };
  lk_shim_head_params sp;
  lk_shim_status st;
  guint na, dim, n;
  gint64 t0;

  g_return_val_if_fail (params != NULL, FALSE);
  if (result == NULL)
    result = &local;
  memset (result, 0, sizeof *result);
  if (!check_params (params, error) || (pairs = load_pairs (params, error)) == NULL)
    return FALSE;
  na = g_strv_length (pairs->names);
  if (pairs->a->len < 2)
    return bad_param (error, "a head needs at least two pairs to train on");
  result->n_dev = lk_aspect_pairs_split_dev (pairs, params->batch_size);
  result->n_train = pairs->a->len - result->n_dev;
  if ((targets = lk_aspect_pairs_normalise (pairs, params->pairs[0], &min, &max, error)) == NULL)
    return FALSE;
  if ((model = lk_model_load (params->base, LK_MODEL_LOAD_ALLOW_DOWNLOAD, &mo, NULL, NULL, cancellable, error)) == NULL)
    return FALSE;
  dim = lk_model_get_dim (model);
  if ((guint64) na * params->aspect_dim > dim)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "%s embeds in %u dims, too few for %u aspects × %d dims (a smaller --aspect-dim)", params->base, dim,
                   na, params->aspect_dim);
      return FALSE;
    }
  n = pairs->a->len;
  ea = g_new (float, (gsize) n * dim);
  eb = g_new (float, (gsize) n * dim);
  t0 = g_get_monotonic_time ();
  /* Once: the model is frozen, so the head trains on these alone. */
  if (!embed_side (model, pairs->a, ea, cancellable, error) || !embed_side (model, pairs->b, eb, cancellable, error))
    return FALSE;
  result->embed_seconds = (g_get_monotonic_time () - t0) / 1e6;
  lk_shim_head_default_params (&sp);
  sp.n_aspects = na;
  sp.aspect_dim = params->aspect_dim;
  sp.epochs = params->epochs;
  sp.batch_size = params->batch_size;
  sp.lr = params->lr;
  sp.progress = relay;
  sp.abort = cancellable ? lk_backend_abort : NULL;
  sp.user_data = &r;
  head->dim = dim;
  head->q = g_new (float, (gsize) dim * dim);
  t0 = g_get_monotonic_time ();
  if (lk_shim_train_aspect_head (dim, result->n_train, result->n_dev, ea, eb, targets, &sp, head->q, &result->shim, &st) != 0)
    return lk_backend_set_error (&st, "training the aspect head", "training cancelled: no head written", error);
  result->train_seconds = (g_get_monotonic_time () - t0) / 1e6;
  head->layout = lk_aspect_layout_new (na, params->aspect_dim, (const char * const *) pairs->names);
  head->model_id = g_strdup (lk_model_get_id (model));
  {
    g_autoptr(JsonObject) prov = lk_provenance_of_model (lk_model_get_path (model), error);
    if (prov == NULL)
      return FALSE;
    head->weights_sha256 = g_strdup (json_object_get_string_member_with_default (prov, "weights_sha256", ""));
  }
  head->meta = head_meta (params, model, min, max, na, result);
  return lk_aspect_head_write (head, params->out, error);
}
