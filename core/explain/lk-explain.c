/* lk-explain.c — the request, its checks, the one dispatcher and its async
 * form; see lk-explain.h. The methods' compute functions live in
 * lk-methods.c (the engine methods and alignment), lk-methods-image.c,
 * lk-distance.c and lk-aspects.c. */
#include "config.h"

#include <string.h>

#include <math.h>
#include <stdlib.h>

#include "lk-async.h"
#include "lk-contrast.h"
#include "lk-distance.h"
#include "lk-error.h"
#include "lk-explain.h"
#include "lk-methods.h"
#include "lk-methods-private.h"
#include "lk-model-private.h"

struct _LkExplainRequest {
  LkMethod        method;
  char           *text_a;    /* NULL for an image pair */
  char           *text_b;    /* text B or the caption */
  char           *image;
  char           *contrast;  /* a ranking contrast's document 2, or NULL */
  double          values[LK_N_PARAMS];
  gboolean        set[LK_N_PARAMS];
  LkAspectLayout *layout;
  /* Prompts by side: a name of the model's prompts, or a literal text;
   * prompt_set FALSE: the model's default_prompt_name, if any. */
  gboolean        prompt_set[2];
  char           *prompt_name[2];
  char           *prompt_text[2];
};

G_DEFINE_BOXED_TYPE (LkExplainRequest, lk_explain_request, lk_explain_request_copy, lk_explain_request_free)

LkExplainRequest *
lk_explain_request_new (LkMethod method)
{
  LkExplainRequest *r = g_new0 (LkExplainRequest, 1);

  g_return_val_if_fail (method < LK_N_METHODS, r);
  r->method = method;
  for (guint i = 0; i < LK_N_PARAMS; i++)
    r->values[i] = lk_param_info (i)->default_value;
  return r;
}

static LkAspectLayout *
layout_copy (const LkAspectLayout *l)
{
  LkAspectLayout *copy;

  if (l == NULL)
    return NULL;
  copy = lk_aspect_layout_new (l->n_aspects, l->aspect_dim, (const char * const *) l->names);
  copy->source = g_strdup (l->source);
  return copy;
}

LkExplainRequest *
lk_explain_request_copy (const LkExplainRequest *request)
{
  LkExplainRequest *r;

  g_return_val_if_fail (request != NULL, NULL);
  r = g_memdup2 (request, sizeof *request);
  r->text_a = g_strdup (request->text_a);
  r->text_b = g_strdup (request->text_b);
  r->image = g_strdup (request->image);
  r->contrast = g_strdup (request->contrast);
  r->layout = layout_copy (request->layout);
  for (guint i = 0; i < 2; i++)
    {
      r->prompt_name[i] = g_strdup (request->prompt_name[i]);
      r->prompt_text[i] = g_strdup (request->prompt_text[i]);
    }
  return r;
}

void
lk_explain_request_free (LkExplainRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->text_a);
  g_free (request->text_b);
  g_free (request->image);
  g_free (request->contrast);
  g_clear_pointer (&request->layout, lk_aspect_layout_free);
  for (guint i = 0; i < 2; i++)
    {
      g_free (request->prompt_name[i]);
      g_free (request->prompt_text[i]);
    }
  g_free (request);
}

LkMethod
lk_explain_request_get_method (const LkExplainRequest *request)
{
  g_return_val_if_fail (request != NULL, LK_METHOD_IJ);
  return request->method;
}

void
lk_explain_request_set_method (LkExplainRequest *request, LkMethod method)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (method < LK_N_METHODS);
  request->method = method;
}

void
lk_explain_request_set_texts (LkExplainRequest *request, const char *text_a, const char *text_b)
{
  g_return_if_fail (request != NULL);
  g_free (request->text_a);
  g_free (request->text_b);
  g_clear_pointer (&request->image, g_free);
  request->text_a = g_strdup (text_a);
  request->text_b = g_strdup (text_b);
}

void
lk_explain_request_set_image (LkExplainRequest *request, const char *image_path, const char *caption)
{
  g_return_if_fail (request != NULL);
  g_clear_pointer (&request->text_a, g_free);
  g_free (request->text_b);
  g_free (request->image);
  request->image = g_strdup (image_path);
  request->text_b = g_strdup (caption);
}

void
lk_explain_request_set_contrast (LkExplainRequest *request, const char *document_2)
{
  g_return_if_fail (request != NULL);
  g_free (request->contrast);
  request->contrast = g_strdup (document_2);
}

const char *
lk_explain_request_get_contrast (const LkExplainRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return request->contrast;
}

const char *
lk_explain_request_get_text (const LkExplainRequest *request, guint side)
{
  g_return_val_if_fail (request != NULL && side < 2, NULL);
  return side ? request->text_b : request->text_a;
}

void
lk_explain_request_set_prompt (LkExplainRequest *request, guint side, const char *name, const char *text)
{
  g_return_if_fail (request != NULL && side < 2);
  g_free (request->prompt_name[side]);
  g_free (request->prompt_text[side]);
  request->prompt_set[side] = TRUE;
  request->prompt_name[side] = g_strdup (name);
  request->prompt_text[side] = g_strdup (text);
}

void
lk_explain_request_unset_prompt (LkExplainRequest *request, guint side)
{
  g_return_if_fail (request != NULL && side < 2);
  request->prompt_set[side] = FALSE;
  g_clear_pointer (&request->prompt_name[side], g_free);
  g_clear_pointer (&request->prompt_text[side], g_free);
}

const char *
lk_explain_request_get_prompt_name (const LkExplainRequest *request, guint side)
{
  g_return_val_if_fail (request != NULL && side < 2, NULL);
  return request->prompt_name[side];
}

/* The prompt that goes before side @side's text for @model (NULL: none),
 * and its name (NULL for a literal text). */
static gboolean
resolve_prompt (const LkExplainRequest *r, LkModel *model, guint side, const char **name, const char **text,
                GError **error)
{
  const char *const *names = lk_model_get_prompt_names (model);

  *name = r->prompt_set[side] ? r->prompt_name[side] : lk_model_get_default_prompt_name (model);
  *text = r->prompt_set[side] ? r->prompt_text[side] : NULL;
  if (*text == NULL && *name != NULL && **name != '\0' && (*text = lk_model_get_prompt (model, *name)) == NULL)
    {
      g_autofree char *list = names && names[0] ? g_strjoinv (", ", (char **) names) : NULL;
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   list ? "prompt '%s' (text %c) is not one of %s's prompts (%s)"
                        : "prompt '%s' (text %c): %s defines no prompts (config_sentence_transformers.json)%s",
                   *name, side ? 'B' : 'A', lk_model_get_id (model), list ? list : "");
      return FALSE;
    }
  if (*text != NULL && **text == '\0')
    *text = NULL;
  if (*text != NULL && lk_model_get_config (model)->pool_excludes_prompt)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "a prompt on text %c: %s pools without its prompt (include_prompt is false in its Pooling "
                   "module), which Likeness does not compute; explain the text without a prompt (--prompt-%c none)",
                   side ? 'B' : 'A', lk_model_get_id (model), side ? 'b' : 'a');
      return FALSE;
    }
  return TRUE;
}

const char *
lk_explain_request_get_image (const LkExplainRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);
  return request->image;
}

static char *
format_value (const LkParamInfo *info, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (info->type == LK_PARAM_TYPE_DOUBLE)
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", v));
  return g_strdup_printf ("%.0f", v);
}

gboolean
lk_explain_request_set (LkExplainRequest *request, LkParam param, double value, GError **error)
{
  const LkParamInfo *info;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (param < LK_N_PARAMS, FALSE);

  info = lk_param_info (param);
  if (isnan (value) || value < info->min || value > info->max ||
      (info->type != LK_PARAM_TYPE_DOUBLE && value != floor (value)))
    {
      g_autofree char *v = format_value (info, value), *lo = format_value (info, info->min);
      g_autofree char *hi = format_value (info, info->max);

      if (info->type == LK_PARAM_TYPE_DOUBLE)
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: %s is out of range: expected %s to %s",
                     info->name, v, lo, hi);
      else
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: %s is out of range: expected a whole number "
                     "from %s to %s", info->name, v, lo, hi);
      return FALSE;
    }
  request->values[param] = value;
  request->set[param] = TRUE;
  return TRUE;
}

double
lk_explain_request_get (const LkExplainRequest *request, LkParam param)
{
  g_return_val_if_fail (request != NULL, NAN);
  g_return_val_if_fail (param < LK_N_PARAMS, NAN);
  return request->values[param];
}

gboolean
lk_explain_request_is_set (const LkExplainRequest *request, LkParam param)
{
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (param < LK_N_PARAMS, FALSE);
  return request->set[param];
}

void
lk_explain_request_reset (LkExplainRequest *request, LkParam param)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (param < LK_N_PARAMS);
  request->values[param] = lk_param_info (param)->default_value;
  request->set[param] = FALSE;
}

static const LkParamInfo *
find_param (const char *name, GError **error)
{
  const LkParamInfo *info = lk_param_info_find (name);

  if (info == NULL)
    {
      guint n;
      const LkParamInfo *all = lk_param_infos (&n);
      g_autoptr(GString) names = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", all[i].name);
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "unknown parameter '%s' (expected one of %s)",
                   name ? name : "", names->str);
    }
  return info;
}

static gboolean
set_choice (LkExplainRequest *request, const LkParamInfo *info, const char *value, GError **error)
{
  g_autofree char *names = NULL;

  for (guint i = 0; info->choices[i]; i++)
    if (g_strcmp0 (value, info->choices[i]) == 0)
      return lk_explain_request_set (request, info->param, i, error);
  names = g_strjoinv (", ", (char **) info->choices);
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: '%s' is not one of %s", info->name, value, names);
  return FALSE;
}

gboolean
lk_explain_request_set_string (LkExplainRequest *request, const char *name, const char *value, GError **error)
{
  const LkParamInfo *info;
  char *end = NULL;
  double v;

  g_return_val_if_fail (request != NULL, FALSE);

  if ((info = find_param (name, error)) == NULL)
    return FALSE;
  if (value == NULL)
    value = "";
  if (info->type == LK_PARAM_TYPE_CHOICE)
    return set_choice (request, info, value, error);
  if (info->type == LK_PARAM_TYPE_BOOLEAN)
    {
      if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1") || g_ascii_strcasecmp (value, "yes") == 0)
        return lk_explain_request_set (request, info->param, 1, error);
      if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0") || g_ascii_strcasecmp (value, "no") == 0)
        return lk_explain_request_set (request, info->param, 0, error);
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: '%s' is not a boolean (expected true or false)",
                   info->name, value);
      return FALSE;
    }
  v = g_ascii_strtod (value, &end);
  if (*value == '\0' || end == NULL || *end != '\0' || g_ascii_isspace (*value))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: '%s' is not a number", info->name, value);
      return FALSE;
    }
  return lk_explain_request_set (request, info->param, v, error);
}

gboolean
lk_explain_request_set_value (LkExplainRequest *request, const char *name, const GValue *value, GError **error)
{
  const LkParamInfo *info;
  GValue d = G_VALUE_INIT;
  double v;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (G_IS_VALUE (value), FALSE);

  if ((info = find_param (name, error)) == NULL)
    return FALSE;
  if (G_VALUE_HOLDS_STRING (value))
    return lk_explain_request_set_string (request, name, g_value_get_string (value), error);
  if (G_VALUE_HOLDS_BOOLEAN (value))
    v = g_value_get_boolean (value);
  else if (g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_DOUBLE))
    {
      g_value_init (&d, G_TYPE_DOUBLE);
      g_value_transform (value, &d);
      v = g_value_get_double (&d);
      g_value_unset (&d);
    }
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: a %s is not a value for it (expected a number, "
                   "a boolean or a string)", info->name, G_VALUE_TYPE_NAME (value));
      return FALSE;
    }
  return lk_explain_request_set (request, info->param, v, error);
}

void
lk_explain_request_set_aspect_layout (LkExplainRequest *request, const LkAspectLayout *layout)
{
  g_return_if_fail (request != NULL);
  g_clear_pointer (&request->layout, lk_aspect_layout_free);
  request->layout = layout_copy (layout);
}

/* ---- what the compute functions take ---- */

static int
get_int (const LkExplainRequest *r, LkParam p)
{
  return (int) r->values[p];
}

static void
to_engine_params (const LkExplainRequest *r, LkExplainParams *p)
{
  lk_explain_params_init (p, r->method);
  p->layer = get_int (r, LK_PARAM_LAYER);
  p->steps = get_int (r, LK_PARAM_STEPS);
  p->quadrature = (LkQuadrature) get_int (r, LK_PARAM_QUADRATURE);
  p->tolerance = r->values[LK_PARAM_TOLERANCE];
  p->max_steps = get_int (r, LK_PARAM_MAX_STEPS);
  p->reference = (LkReference) get_int (r, LK_PARAM_REFERENCE);
  p->measure = (LkMeasure) get_int (r, LK_PARAM_MEASURE);
  p->ad_mode = (LkAdMode) get_int (r, LK_PARAM_AD_MODE);
  p->zero_biases = get_int (r, LK_PARAM_ZERO_BIASES);
  p->perturbation = get_int (r, LK_PARAM_PERTURBATION);
  p->seed = (guint) r->values[LK_PARAM_SEED];
}

static void
to_distance_params (const LkExplainRequest *r, LkDistanceParams *p)
{
  lk_distance_params_init (p);
  p->n_masks = get_int (r, LK_PARAM_MASKS);
  p->feature_res = get_int (r, LK_PARAM_FEATURE_RES);
  p->p_keep = r->values[LK_PARAM_P_KEEP];
  p->mask_side = get_int (r, LK_PARAM_MASK_SIDE);
  p->unit = (LkDistanceUnit) get_int (r, LK_PARAM_UNIT);
  p->replace = (LkDistanceReplace) get_int (r, LK_PARAM_REPLACE);
  p->pos_min = r->values[LK_PARAM_CLOSEST_MIN];
  p->pos_max = r->values[LK_PARAM_CLOSEST_MAX];
  p->neg_min = r->values[LK_PARAM_FARTHEST_MIN];
  p->neg_max = r->values[LK_PARAM_FARTHEST_MAX];
  p->batch_size = get_int (r, LK_PARAM_BATCH_SIZE);
  p->stop_at = r->values[LK_PARAM_STOP_AT];
  p->check_every = get_int (r, LK_PARAM_CHECK_EVERY);
  p->seed = (guint32) r->values[LK_PARAM_SEED];
}

/* ---- the compute functions, one row per method ---- */

typedef LkExplanation *(*ComputeFunc) (LkModel *model, const LkExplainRequest *r, LkProgressFunc progress,
                                       gpointer data, GCancellable *cancellable, GError **error);

static LkExplanation *
engine_text (LkModel *model, const LkExplainRequest *r, LkProgressFunc progress, gpointer data,
             GCancellable *cancellable, GError **error)
{
  LkExplainParams p;

  to_engine_params (r, &p);
  return lk_explain_pair (model, r->text_a, r->text_b, &p, progress, data, cancellable, error);
}

static LkExplanation *
engine_image (LkModel *model, const LkExplainRequest *r, LkProgressFunc progress, gpointer data,
              GCancellable *cancellable, GError **error)
{
  LkExplainParams p;

  to_engine_params (r, &p);
  return lk_explain_image (model, r->image, r->text_b, &p, progress, data, cancellable, error);
}

static LkExplanation *
distance_text (LkModel *model, const LkExplainRequest *r, LkProgressFunc progress, gpointer data,
               GCancellable *cancellable, GError **error)
{
  LkDistanceParams p;

  to_distance_params (r, &p);
  return lk_explain_distance_text (model, r->text_a, r->text_b, &p, progress, data, cancellable, error);
}

static LkExplanation *
distance_image (LkModel *model, const LkExplainRequest *r, LkProgressFunc progress, gpointer data,
                GCancellable *cancellable, GError **error)
{
  LkDistanceParams p;

  to_distance_params (r, &p);
  return lk_explain_distance_image (model, r->image, r->text_b, &p, progress, data, cancellable, error);
}

static LkExplanation *
aspects_text (LkModel *model, const LkExplainRequest *r, LkProgressFunc progress, gpointer data,
              GCancellable *cancellable, GError **error)
{
  LkExplanation *x = lk_explain_aspects (model, r->layout, r->text_a, r->text_b, cancellable, error);

  if (x && progress)
    progress (1, data);
  return x;
}

/* What runs each method, for each input kind the registry says it takes. */
static const struct {
  LkMethod    method;
  ComputeFunc text_pair;
  ComputeFunc image_caption;
} computes[] = {
  { LK_METHOD_IJ, engine_text, engine_image },
  { LK_METHOD_BILRP, engine_text, engine_image },
  { LK_METHOD_HXP, engine_text, engine_image },
  { LK_METHOD_ALIGN, engine_text, NULL },
  { LK_METHOD_DISTANCE, distance_text, distance_image },
  { LK_METHOD_ASPECTS, aspects_text, NULL },
};
G_STATIC_ASSERT (G_N_ELEMENTS (computes) == LK_N_METHODS);

static ComputeFunc
compute_func (LkMethod method, gboolean image)
{
  for (guint i = 0; i < G_N_ELEMENTS (computes); i++)
    if (computes[i].method == method)
      return image ? computes[i].image_caption : computes[i].text_pair;
  return NULL;
}

gboolean
lk_explain_request_check (const LkExplainRequest *r, LkModel *model, GError **error)
{
  const LkMethodInfo *info;
  gboolean image;
  LkInputs inputs;

  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (model == NULL || LK_IS_MODEL (model), FALSE);

  info = lk_method_info (r->method);
  image = r->image != NULL;
  inputs = image ? LK_INPUTS_IMAGE_CAPTION : LK_INPUTS_TEXT_PAIR;
  if ((info->inputs & inputs) == 0 || compute_func (r->method, image) == NULL)
    {
      g_autoptr(GString) takers = g_string_new (NULL);
      guint n;
      const LkMethodInfo *all = lk_method_infos (&n);

      for (guint i = 0; i < n; i++)
        if (all[i].inputs & inputs)
          g_string_append_printf (takers, "%s%s", takers->len ? ", " : "", all[i].name);
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, image
                   ? "method '%s' has no image–caption form: it explains two texts (image–caption pairs take %s)"
                   : "method '%s' explains an image and its caption, not two texts (two texts take %s)",
                   info->name, takers->str);
      return FALSE;
    }
  for (guint p = 0; p < LK_N_PARAMS; p++)
    if (r->set[p] && !lk_method_takes_param (r->method, p))
      {
        g_autofree char *takes = lk_method_param_names (r->method);
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s does not apply to method '%s' (it takes %s)",
                     lk_param_info (p)->name, info->name, *takes ? takes : "no parameters");
        return FALSE;
      }
  if (r->contrast != NULL)
    {
      g_autofree char *takers = lk_method_names_with (LK_INPUTS_TEXT_PAIR, TRUE);
      if (image)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                       "a ranking contrast explains two documents for a text query, not an image and a caption");
          return FALSE;
        }
      if (!lk_method_can_contrast (info))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                       "method '%s' gives no token-pair attributions to contrast: a ranking contrast takes %s",
                       info->name, takers);
          return FALSE;
        }
      if (r->contrast[0] == '\0')
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       "document 2 is empty: there is nothing to contrast document 1 with");
          return FALSE;
        }
      if (get_int (r, LK_PARAM_PERTURBATION))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       "perturbation does not apply to a ranking contrast (it checks one pair's map)");
          return FALSE;
        }
    }
  if (image && get_int (r, LK_PARAM_PERTURBATION))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "perturbation does not apply to an image and a caption (it removes text tokens)");
      return FALSE;
    }
  if (r->method == LK_METHOD_DISTANCE)
    {
      LkDistanceParams dp;
      to_distance_params (r, &dp);
      if (!lk_distance_params_check (&dp, error))
        return FALSE;
    }
  if (image && r->image[0] == '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "no image was given: there is nothing to explain");
      return FALSE;
    }
  if (model != NULL && image && !lk_methods_require_vision (model, error))
    return FALSE;
  return TRUE;
}

/* Progress of one of a contrast's two pairs, as a half of the whole. */
typedef struct {
  LkProgressFunc progress;
  gpointer       data;
  double         offset;
} HalfProgress;

static void
half_progress (double fraction, gpointer data)
{
  HalfProgress *h = data;

  h->progress (h->offset + fraction / 2, h->data);
}

/* Two pairs, one query: the query's side is explained twice (each pair is
 * the method's own, unchanged result); lk_contrast_from_results ()
 * combines them, as it does for two lines of a batch. */
/* Flags the tokens of each side's prompt (the request's texts began with
 * them: lk_explain). */
static void
mark_prompts (LkExplanation *x, const char *const *prompts, const char *const *names)
{
  for (guint s = 0; s < 2; s++)
    if (prompts[s] != NULL)
      lk_explanation_mark_prompt (x, s, names[s], strlen (prompts[s]));
}

static LkExplanation *
explain_contrast (LkModel *model, const LkExplainRequest *request, const char *const *prompts,
                  const char *const *names, LkProgressFunc progress, gpointer data,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr(LkExplainRequest) pair = lk_explain_request_copy (request);
  g_autoptr(LkExplanation) x1 = NULL;
  g_autoptr(LkExplanation) x2 = NULL;
  LkExplanation **x[2] = { &x1, &x2 };
  const char *docs[2] = { request->text_b, request->contrast };

  g_clear_pointer (&pair->contrast, g_free);
  for (guint k = 0; k < 2; k++)
    {
      HalfProgress h = { progress, data, k * 0.5 };
      lk_explain_request_set_texts (pair, request->text_a, docs[k]);
      *x[k] = compute_func (pair->method, FALSE) (model, pair, progress ? half_progress : NULL, &h, cancellable, error);
      if (*x[k] == NULL)
        {
          /* Say which document failed: the methods name texts A and B. */
          if (error && *error && k == 1 && (*error)->domain == LK_ERROR)
            g_prefix_error (error, "document 2: ");
          return NULL;
        }
      mark_prompts (*x[k], prompts, names);
    }
  return lk_contrast_from_results (x1, x2, error);
}

LkExplanation *
lk_explain (LkModel                 *model,
            const LkExplainRequest  *request,
            LkProgressFunc           progress,
            gpointer                 progress_data,
            GCancellable            *cancellable,
            GError                 **error)
{
  g_autoptr(LkExplainRequest) prompted = NULL;
  const char *prompts[2] = { NULL, NULL }, *names[2] = { NULL, NULL };
  LkExplanation *x;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!lk_explain_request_check (request, model, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!resolve_prompt (request, model, 0, &names[0], &prompts[0], error) ||
      !resolve_prompt (request, model, 1, &names[1], &prompts[1], error))
    return NULL;
  if (request->image != NULL)
    prompts[0] = NULL;  /* an image takes no text before it */
  if (prompts[0] != NULL || prompts[1] != NULL)
    {
      /* As sentence-transformers' encode (prompt_name=…): the prompt and
       * the text are one string, tokenized together. */
      prompted = lk_explain_request_copy (request);
      for (guint s = 0; s < 2; s++)
        {
          char **text = s ? &prompted->text_b : &prompted->text_a;
          if (prompts[s] != NULL && *text != NULL)
            {
              char *joined = g_strconcat (prompts[s], *text, NULL);
              g_free (*text);
              *text = joined;
            }
        }
      if (prompts[1] != NULL && prompted->contrast != NULL)
        {
          char *joined = g_strconcat (prompts[1], prompted->contrast, NULL);
          g_free (prompted->contrast);
          prompted->contrast = joined;
        }
      request = prompted;
    }
  if (request->contrast != NULL)
    x = explain_contrast (model, request, prompts, names, progress, progress_data, cancellable, error);
  else
    x = compute_func (request->method, request->image != NULL) (model, request, progress, progress_data,
                                                                 cancellable, error);
  if (x != NULL && request->contrast == NULL)
    mark_prompts (x, prompts, names);
  return x;
}

/* ---- async ---- */

typedef struct {
  LkModel          *model;
  LkExplainRequest *request;
  LkAsyncProgress  *relay;               /* owned by the task; NULL without @progress */
  gpointer          progress_data;
  GDestroyNotify    progress_data_free;
} Job;

/* The task's data goes with the task, after the ready callback: the relay
 * is finished by then, so no event can still reach @progress_data. */
static void
job_free (Job *j)
{
  g_object_unref (j->model);
  lk_explain_request_free (j->request);
  if (j->progress_data_free)
    j->progress_data_free (j->progress_data);
  g_free (j);
}

static void
explain_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *j = data;
  GError *error = NULL;
  LkExplanation *x = lk_explain (j->model, j->request, j->relay ? lk_async_progress_fraction_func : NULL, j->relay,
                                 cancellable, &error);

  if (x == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, x, g_object_unref);
}

void
lk_explain_async (LkModel                 *model,
                  const LkExplainRequest  *request,
                  LkProgressFunc           progress,
                  gpointer                 progress_data,
                  GDestroyNotify           progress_data_free,
                  GCancellable            *cancellable,
                  GAsyncReadyCallback      callback,
                  gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *j;

  g_return_if_fail (LK_IS_MODEL (model));
  g_return_if_fail (request != NULL);

  j = g_new0 (Job, 1);
  j->model = g_object_ref (model);
  j->request = lk_explain_request_copy (request);
  j->relay = lk_async_progress_new (NULL, progress, progress_data);
  j->progress_data = progress_data;
  j->progress_data_free = progress_data_free;
  task = lk_async_task_new (NULL, cancellable, callback, user_data, j->relay);
  g_task_set_source_tag (task, lk_explain_async);
  g_task_set_task_data (task, j, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, explain_thread);
}

LkExplanation *
lk_explain_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_explain_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
