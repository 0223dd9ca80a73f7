/* lk-session.c — the .likeness file: inputs, choices and results. */
#include "config.h"

#include <string.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-render.h"
#include "lk-session.h"

struct _LkSession
{
  GObject     parent_instance;

  LkInputMode mode;
  char       *text[2];
  char       *image;
  char       *caption;
  char       *prompt[2];   /* NULL: the model's default; "": none */
  char       *model;
  char       *method;
  char       *view;
  JsonObject *params;
  GPtrArray  *results;
};

G_DEFINE_FINAL_TYPE (LkSession, lk_session, G_TYPE_OBJECT)

/* g_set_str() is GLib 2.76. */
static void
set_str (char **field, const char *value)
{
  if (*field == value)
    return;
  g_free (*field);
  *field = g_strdup (value);
}

static const char * const mode_names[] = { "text-pair", "image-caption" };

const char *
lk_input_mode_to_string (LkInputMode mode)
{
  g_return_val_if_fail (mode <= LK_INPUT_IMAGE_CAPTION, NULL);
  return mode_names[mode];
}

gboolean
lk_input_mode_from_string (const char *name, LkInputMode *mode)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_strcmp0 (name, mode_names[i]) == 0)
      {
        *mode = i;
        return TRUE;
      }
  return FALSE;
}

static void
lk_session_finalize (GObject *object)
{
  LkSession *self = LK_SESSION (object);

  g_free (self->text[0]);
  g_free (self->text[1]);
  g_free (self->image);
  g_free (self->caption);
  g_free (self->prompt[0]);
  g_free (self->prompt[1]);
  g_free (self->model);
  g_free (self->method);
  g_free (self->view);
  json_object_unref (self->params);
  g_ptr_array_unref (self->results);
  G_OBJECT_CLASS (lk_session_parent_class)->finalize (object);
}

static void
lk_session_class_init (LkSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_session_finalize;
}

static void
lk_session_init (LkSession *self)
{
  self->params = json_object_new ();
  self->results = g_ptr_array_new_with_free_func (g_object_unref);
}

LkSession *
lk_session_new (void)
{
  return g_object_new (LK_TYPE_SESSION, NULL);
}

LkInputMode
lk_session_get_mode (LkSession *self)
{
  g_return_val_if_fail (LK_IS_SESSION (self), LK_INPUT_TEXT_PAIR);
  return self->mode;
}

void
lk_session_set_mode (LkSession *self, LkInputMode mode)
{
  g_return_if_fail (LK_IS_SESSION (self));
  g_return_if_fail (mode <= LK_INPUT_IMAGE_CAPTION);
  self->mode = mode;
}

const char *
lk_session_get_text (LkSession *self, guint side)
{
  g_return_val_if_fail (LK_IS_SESSION (self), NULL);
  g_return_val_if_fail (side < 2, NULL);
  return self->text[side];
}

void
lk_session_set_text (LkSession *self, guint side, const char *text)
{
  g_return_if_fail (LK_IS_SESSION (self));
  g_return_if_fail (side < 2);
  set_str (&self->text[side], text);
}

const char *
lk_session_get_prompt (LkSession *self, guint side)
{
  g_return_val_if_fail (LK_IS_SESSION (self), NULL);
  g_return_val_if_fail (side < 2, NULL);
  return self->prompt[side];
}

void
lk_session_set_prompt (LkSession *self, guint side, const char *name)
{
  g_return_if_fail (LK_IS_SESSION (self));
  g_return_if_fail (side < 2);
  set_str (&self->prompt[side], name);
}

#define STRING_ACCESSORS(field)                                   \
  const char *                                                    \
  lk_session_get_##field (LkSession *self)                        \
  {                                                               \
    g_return_val_if_fail (LK_IS_SESSION (self), NULL);            \
    return self->field;                                           \
  }                                                               \
  void                                                            \
  lk_session_set_##field (LkSession *self, const char *value)     \
  {                                                               \
    g_return_if_fail (LK_IS_SESSION (self));                      \
    set_str (&self->field, value);                              \
  }

STRING_ACCESSORS (image)
STRING_ACCESSORS (caption)
STRING_ACCESSORS (model)
STRING_ACCESSORS (method)
STRING_ACCESSORS (view)

JsonObject *
lk_session_get_params (LkSession *self)
{
  g_return_val_if_fail (LK_IS_SESSION (self), NULL);
  return self->params;
}

void
lk_session_add_result (LkSession *self, LkExplanation *result)
{
  g_return_if_fail (LK_IS_SESSION (self));
  g_return_if_fail (LK_IS_EXPLANATION (result));
  g_ptr_array_add (self->results, g_object_ref (result));
}

guint
lk_session_get_n_results (LkSession *self)
{
  g_return_val_if_fail (LK_IS_SESSION (self), 0);
  return self->results->len;
}

LkExplanation *
lk_session_get_result (LkSession *self, guint i)
{
  g_return_val_if_fail (LK_IS_SESSION (self), NULL);
  g_return_val_if_fail (i < self->results->len, NULL);
  return g_ptr_array_index (self->results, i);
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *ca = NULL, *cb = NULL;

  if (a == NULL || b == NULL)
    return FALSE;
  ca = g_canonicalize_filename (a, NULL);
  cb = g_canonicalize_filename (b, NULL);
  return g_str_equal (ca, cb);
}

/* Side @side's input as the user wrote it: a result's text begins with
 * the prompt that went before it. */
static const char *
user_text (LkExplanation *x, guint side)
{
  const char *text = lk_explanation_get_text (x, side);

  return text ? text + lk_explanation_get_prompt_length (x, side) : NULL;
}

gboolean
lk_session_get_result_mode (LkSession *self, guint i, LkInputMode *mode)
{
  LkExplanation *x;

  g_return_val_if_fail (LK_IS_SESSION (self), FALSE);
  g_return_val_if_fail (i < self->results->len, FALSE);

  x = g_ptr_array_index (self->results, i);
  /* An image result's input a is the photo's absolute path. */
  if (g_strcmp0 (user_text (x, 1), self->caption) == 0 &&
      same_file (lk_explanation_get_text (x, 0), self->image))
    *mode = LK_INPUT_IMAGE_CAPTION;
  else if (g_strcmp0 (user_text (x, 0), self->text[0]) == 0 &&
           g_strcmp0 (user_text (x, 1), self->text[1]) == 0)
    *mode = LK_INPUT_TEXT_PAIR;
  else
    return FALSE;
  return TRUE;
}

/* ---- JSON ---- */

static void
set_string_or_null (JsonObject *obj, const char *name, const char *value)
{
  if (value)
    json_object_set_string_member (obj, name, value);
  else
    json_object_set_null_member (obj, name);
}

JsonNode *
lk_session_to_json (LkSession *self)
{
  g_autoptr(JsonObject) root = json_object_new ();
  g_autoptr(JsonObject) inputs = json_object_new ();
  g_autoptr(JsonArray) results = json_array_new ();
  JsonNode *node;

  g_return_val_if_fail (LK_IS_SESSION (self), NULL);

  json_object_set_string_member (root, "schema", LK_SESSION_SCHEMA);
  json_object_set_string_member (inputs, "mode", lk_input_mode_to_string (self->mode));
  set_string_or_null (inputs, "text_a", self->text[0]);
  set_string_or_null (inputs, "text_b", self->text[1]);
  set_string_or_null (inputs, "image", self->image);
  set_string_or_null (inputs, "caption", self->caption);
  set_string_or_null (inputs, "prompt_a", self->prompt[0]);
  set_string_or_null (inputs, "prompt_b", self->prompt[1]);
  json_object_set_object_member (root, "inputs", g_steal_pointer (&inputs));
  set_string_or_null (root, "model", self->model);
  set_string_or_null (root, "method", self->method);
  set_string_or_null (root, "view", self->view);
  json_object_set_object_member (root, "params", json_object_ref (self->params));
  for (guint i = 0; i < self->results->len; i++)
    json_array_add_element (results, lk_explanation_to_json (g_ptr_array_index (self->results, i)));
  json_object_set_array_member (root, "results", g_steal_pointer (&results));

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, root);
  return node;
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "not a Likeness session: %s", what);
  return FALSE;
}

static gboolean
check_schema (JsonObject *root, GError **error)
{
  return lk_json_check_schema (root, LK_SESSION_SCHEMA_PREFIX, LK_SESSION_SCHEMA_VERSION, "session", error);
}

/* A member that must be a string or null when present. */
static gboolean
get_string (JsonObject *obj, const char *where, const char *name, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "not a Likeness session: \"%s%s\" must be a string",
                   where, name);
      return FALSE;
    }
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static JsonObject *
get_object (JsonObject *obj, const char *name, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL && !required)
    return NULL;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "not a Likeness session: \"%s\" must be an object", name);
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
read_inputs (LkSession *self, JsonObject *root, GError **error)
{
  JsonObject *inputs = get_object (root, "inputs", TRUE, error);
  g_autofree char *mode = NULL;

  if (inputs == NULL ||
      !get_string (inputs, "inputs.", "mode", &mode, error) ||
      !get_string (inputs, "inputs.", "text_a", &self->text[0], error) ||
      !get_string (inputs, "inputs.", "text_b", &self->text[1], error) ||
      !get_string (inputs, "inputs.", "image", &self->image, error) ||
      !get_string (inputs, "inputs.", "caption", &self->caption, error) ||
      !get_string (inputs, "inputs.", "prompt_a", &self->prompt[0], error) ||
      !get_string (inputs, "inputs.", "prompt_b", &self->prompt[1], error))
    return FALSE;
  if (mode != NULL && !lk_input_mode_from_string (mode, &self->mode))
    return invalid (error, "\"inputs.mode\" must be \"text-pair\" or \"image-caption\"");
  return TRUE;
}

static gboolean
read_results (LkSession *self, JsonObject *root, GError **error)
{
  JsonNode *node = json_object_get_member (root, "results");
  JsonArray *results;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "\"results\" must be an array");
  results = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      g_autoptr(GError) local = NULL;
      LkExplanation *x = lk_explanation_new_from_json (json_array_get_element (results, i), &local);

      if (x == NULL)
        {
          g_set_error (error, LK_ERROR, local->code, "result %u: %s", i + 1, local->message);
          return FALSE;
        }
      g_ptr_array_add (self->results, x);
    }
  return TRUE;
}

LkSession *
lk_session_new_from_json (JsonNode *node, GError **error)
{
  g_autoptr(LkSession) self = lk_session_new ();
  JsonObject *root, *params;
  g_autoptr(GError) local = NULL;
  LkView view;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "expected a JSON object"), NULL;
  root = json_node_get_object (node);
  if (!check_schema (root, error) ||
      !read_inputs (self, root, error) ||
      !get_string (root, "", "model", &self->model, error) ||
      !get_string (root, "", "method", &self->method, error) ||
      !get_string (root, "", "view", &self->view, error))
    return NULL;
  if (self->view != NULL && !lk_view_from_string (self->view, &view))
    return invalid (error, "\"view\" must be \"heatmap\", \"alignment\", \"saliency\", \"aspects\" or \"report\""), NULL;
  params = get_object (root, "params", FALSE, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (params != NULL)
    {
      /* A parsed tree may be sealed; the session's params stay editable. */
      g_autoptr(JsonNode) wrap = json_node_init_object (json_node_alloc (), params);
      g_autofree char *text = json_to_string (wrap, FALSE);
      g_autoptr(JsonNode) copy = lk_json_parse (text, -1, "params", error);

      if (copy == NULL)
        return NULL;
      json_object_unref (self->params);
      self->params = json_object_ref (json_node_get_object (copy));
    }
  if (!read_results (self, root, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
lk_session_save (LkSession *self, const char *path, GError **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (LK_IS_SESSION (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  node = lk_session_to_json (self);
  return lk_json_save_atomic (node, path, error);
}

LkSession *
lk_session_load (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonNode) node = NULL;
  LkSession *session;

  g_return_val_if_fail (path != NULL, NULL);

  if ((node = lk_json_load (path, FALSE, error)) == NULL)
    return NULL;
  if ((session = lk_session_new_from_json (node, &local)) == NULL)
    g_set_error (error, LK_ERROR, local->code, "%s: %s", path, local->message);
  return session;
}
