/* lk-window-explain.c — loading models and running explanations off the
 * main thread, with progress, time left, cancellation and a result cache. */
#include "config.h"

#include <math.h>

#include <string.h>

#include <glib/gi18n.h>

#include "lk-error.h"
#include "lk-method-info.h"
#include "lk-window-private.h"

/* ---- the request key ---- */

/* Everything that decides a result: the model as chosen, the inputs of
 * @mode, the method and the parameters the preferences feed into it.
 * @method NULL: the chosen one. */
char *
lk_window_request_key_for_mode (LkWindow *self, LkInputMode mode, const char *method)
{
  g_autofree char *chosen = method ? NULL : lk_window_dup_method (self);
  g_autofree char *a = NULL, *b = NULL;
  g_autoptr(JsonObject) params = lk_settings_dup_params_json (lk_settings_get_default ());
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), params);
  g_autofree char *params_s = json_to_string (node, FALSE);
  const char *model = lk_model_chooser_get_model (self->model_chooser);

  if (mode == LK_INPUT_IMAGE_CAPTION)
    {
      a = g_strdup (lk_input_pane_get_image (self->input_pane));
      b = g_strdup (lk_input_pane_get_caption (self->input_pane));
    }
  else
    {
      a = lk_input_pane_dup_text (self->input_pane, 0);
      b = lk_input_pane_dup_text (self->input_pane, 1);
    }
  {
    /* "\x1f" (unit separator): no prompt chooser, as for a model without prompts */
    const char *pa = mode == LK_INPUT_TEXT_PAIR ? lk_input_pane_get_prompt (self->input_pane, 0) : NULL;
    const char *pb = mode == LK_INPUT_TEXT_PAIR ? lk_input_pane_get_prompt (self->input_pane, 1) : NULL;
    return g_strjoin ("\x1e", model ? model : "", lk_input_mode_to_string (mode), a ? a : "", b ? b : "",
                      params_s, method ? method : chosen, pa ? pa : "\x1f", pb ? pb : "\x1f", NULL);
  }
}

/* The key for the inputs shown now. */
char *
lk_window_request_key (LkWindow *self, const char *method)
{
  return lk_window_request_key_for_mode (self, lk_input_pane_get_mode (self->input_pane), method);
}

/* ---- progress ---- */

static void
show_progress (LkWindow *self, const char *title)
{
  gtk_label_set_label (self->progress_title, title);
  gtk_label_set_label (self->progress_eta, "");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_spinner_set_spinning (self->spinner, TRUE);
  gtk_revealer_set_reveal_child (self->progress_revealer, TRUE);
}

static void
hide_progress (LkWindow *self)
{
  g_clear_handle_id (&self->pulse_source, g_source_remove);
  gtk_spinner_set_spinning (self->spinner, FALSE);
  gtk_revealer_set_reveal_child (self->progress_revealer, FALSE);
}

static gboolean
pulse (gpointer data)
{
  gtk_progress_bar_pulse (LK_WINDOW (data)->progress_bar);
  return G_SOURCE_CONTINUE;
}

static char *
format_time_left (double seconds)
{
  if (seconds < 60)
    return g_strdup_printf (ngettext ("About %d second left", "About %d seconds left", (int) seconds + 1),
                            (int) seconds + 1);
  return g_strdup_printf (ngettext ("About %d minute left", "About %d minutes left", (int) (seconds / 60) + 1),
                          (int) (seconds / 60) + 1);
}

typedef struct {
  LkWindow *window;   /* weak: cleared when the window goes */
  char     *key;
  guint     generation;
} ExplainJob;

/* Runs in the main context. @data stays valid until after the last event
 * (see on_explained). */
static void
on_explain_progress (double fraction, gpointer data)
{
  LkWindow *self = ((ExplainJob *) data)->window;
  gint64 now = g_get_monotonic_time ();
  double left;

  if (self == NULL || self->disposed || self->explain_cancellable == NULL)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0, 1));
  lk_eta_update (&self->eta, now, fraction);
  if (isfinite (left = lk_eta_seconds_left (&self->eta, now)))
    {
      g_autofree char *text = format_time_left (left);
      gtk_label_set_label (self->progress_eta, text);
    }
}

/* ---- explaining ---- */

/* After the ready callback, when the last progress event is gone
 * (lk_explain_async frees it so). */
static void
free_job (gpointer data)
{
  ExplainJob *job = data;

  if (job->window)
    g_object_remove_weak_pointer (G_OBJECT (job->window), (gpointer *) &job->window);
  g_free (job->key);
  g_free (job);
}

static void
on_explained (GObject *source, GAsyncResult *result, gpointer data)
{
  ExplainJob *job = data;
  LkWindow *self = job->window;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = lk_explain_finish (result, &error);

  if (self == NULL || self->disposed)
    return;
  g_clear_object (&self->explain_cancellable);
  hide_progress (self);
  lk_window_update_actions (self);
  /* Started before a session was opened: its inputs are gone. */
  if (job->generation != self->generation)
    return;
  if (x == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_free (self->last_error);
          self->last_error = g_strdup (_("Explanation cancelled"));
          lk_window_toast (self, _("Explanation cancelled"));
        }
      else
        lk_window_show_error (self, NULL, _("Could Not Explain"), error->message, FALSE);
      return;
    }
  g_debug ("explained with %s: similarity %.4f in %.1f s", lk_explanation_get_method (x),
           lk_explanation_get_score (x, LK_SCORE_SIMILARITY, 0), (g_get_monotonic_time () - self->explain_started) / 1e6);
  g_hash_table_replace (self->cache, g_strdup (job->key), g_object_ref (x));
  lk_window_show_explanation (self, x, job->key);
  /* The inputs may have changed while it ran. */
  lk_window_refresh_results (self);
}

/* @a and @b: the two texts, or (image–caption mode) the image file and
 * the caption. */
static void
start_explain (LkWindow *self, const char *a, const char *b, const char *key)
{
  g_autofree char *method_name = lk_window_dup_method (self);
  g_autofree char *title = NULL;
  ExplainJob *job = g_new0 (ExplainJob, 1);
  g_autoptr(LkExplainRequest) request = NULL;
  LkMethod method = lk_method_default ();

  lk_method_from_string (method_name, &method);
  request = lk_settings_new_request (lk_settings_get_default (), method);
  if (lk_input_pane_get_mode (self->input_pane) == LK_INPUT_IMAGE_CAPTION)
    lk_explain_request_set_image (request, a, b);
  else
    {
      lk_explain_request_set_texts (request, a, b);
      for (guint s = 0; s < 2; s++)
        if (lk_input_pane_get_prompt (self->input_pane, s) != NULL)
          lk_explain_request_set_prompt (request, s, lk_input_pane_get_prompt (self->input_pane, s), NULL);
    }
  job->window = self;
  job->key = g_strdup (key);
  job->generation = self->generation;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &job->window);
  self->explain_cancellable = g_cancellable_new ();
  self->explain_started = g_get_monotonic_time ();
  lk_eta_init (&self->eta);
  title = g_strdup_printf (_("Explaining with %s…"), lk_method_title (method_name));
  show_progress (self, title);
  lk_window_update_actions (self);
  lk_explain_async (self->model, request, on_explain_progress, job, free_job,
                    self->explain_cancellable, on_explained, job);
}

/* The image and its caption, or FALSE (and a message) when something is
 * missing. Whether the model sees images is model_sees_images's to say,
 * once it is loaded; which method fits, the core's. */
static gboolean
image_inputs (LkWindow *self, char **image, char **caption)
{
  const char *path = lk_input_pane_get_image (self->input_pane);
  const char *text = lk_input_pane_get_caption (self->input_pane);

  if (path == NULL)
    {
      lk_window_toast (self, _("Choose an image first"));
      return FALSE;
    }
  *image = g_strdup (path);
  *caption = g_strdup (text ? text : "");
  return TRUE;
}

/* TRUE when the model loaded sees images; otherwise FALSE, with the dialog
 * that says which model is needed. Decided from the model itself: nothing
 * lists the installed models on the main thread. */
static gboolean
model_sees_images (LkWindow *self)
{
  g_autofree char *message = NULL;

  if (lk_model_has_vision (self->model))
    return TRUE;
  message = g_strdup_printf (_("Image explanations need a CLIP model, which sees images as well as text; "
                               "“%s” is a text model. Choose a CLIP model, such as openai/clip-vit-base-patch32."),
                             lk_model_get_id (self->model));
  lk_window_show_error (self, "image-x-generic-symbolic", _("No CLIP Model"), message, FALSE);
  return FALSE;
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

void
lk_window_explain (LkWindow *self)
{
  g_autofree char *a = NULL, *b = NULL, *key = NULL;
  const char *chosen;
  LkExplanation *cached;

  g_return_if_fail (LK_IS_WINDOW (self));

  if (lk_window_get_busy (self))
    return;
  if (lk_input_pane_get_mode (self->input_pane) == LK_INPUT_IMAGE_CAPTION)
    {
      if (!image_inputs (self, &a, &b))
        return;
    }
  else
    {
      a = lk_input_pane_dup_text (self->input_pane, 0);
      b = lk_input_pane_dup_text (self->input_pane, 1);
    }
  if (lk_input_pane_get_mode (self->input_pane) == LK_INPUT_IMAGE_CAPTION && is_blank (b))
    {
      lk_window_toast (self, _("Type a caption for the image"));
      return;
    }
  if (is_blank (a) || is_blank (b))
    {
      lk_window_toast (self, _("Type two texts to compare"));
      lk_input_pane_focus_text (self->input_pane, is_blank (a) ? 0 : 1);
      return;
    }
  key = lk_window_request_key (self, NULL);
  if ((cached = g_hash_table_lookup (self->cache, key)))
    {
      lk_window_show_explanation (self, cached, key);
      return;
    }
  chosen = lk_model_chooser_get_model (self->model_chooser);
  if (self->model == NULL || g_strcmp0 (self->model_name, chosen) != 0)
    {
      self->explain_after_load = TRUE;
      lk_window_load_model (self);
      return;
    }
  if (lk_input_pane_get_mode (self->input_pane) == LK_INPUT_IMAGE_CAPTION && !model_sees_images (self))
    return;
  start_explain (self, a, b, key);
}

/* Forgets every result, the error shown and any job still running, as
 * opening a session does. */
void
lk_window_forget_results (LkWindow *self)
{
  self->generation++;
  self->explain_after_load = FALSE;
  if (self->explain_cancellable)
    g_cancellable_cancel (self->explain_cancellable);
  g_hash_table_remove_all (self->cache);
  g_clear_object (&self->current);
  g_clear_pointer (&self->current_key, g_free);
  g_clear_pointer (&self->last_error, g_free);
}

void
lk_window_cancel (LkWindow *self)
{
  g_return_if_fail (LK_IS_WINDOW (self));

  if (self->explain_cancellable)
    g_cancellable_cancel (self->explain_cancellable);
  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
}

/* ---- loading the model ---- */

static void
on_model_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(LkWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) model = lk_model_load_finish (result, &error);
  g_autofree char *name = g_steal_pointer (&self->load_name);
  gboolean explain = self->explain_after_load;

  g_clear_object (&self->load_cancellable);
  self->explain_after_load = FALSE;
  if (self->disposed)
    return;
  hide_progress (self);
  lk_window_update_actions (self);
  if (model == NULL)
    {
      gboolean missing = g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND) ||
                         g_error_matches (error, LK_ERROR, LK_ERROR_OFFLINE);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          lk_window_toast (self, _("Loading cancelled"));
          return;
        }
      lk_window_show_error (self, missing ? "folder-download-symbolic" : NULL,
                            missing ? _("Model Not Installed") : _("Could Not Load the Model"), error->message,
                            missing && !g_file_test (name, G_FILE_TEST_IS_DIR));
      return;
    }
  g_debug ("loaded %s from %s on %s", name, lk_model_get_path (model), lk_model_get_device_name (model));
  g_set_object (&self->model, model);
  g_free (self->model_name);
  self->model_name = g_steal_pointer (&name);
  lk_input_pane_set_model (self->input_pane, model);
  if (explain)
    lk_window_explain (self);
}

void
lk_window_load_model (LkWindow *self)
{
  LkModelOptions options;
  g_autofree char *title = NULL;

  g_return_if_fail (LK_IS_WINDOW (self));
  g_return_if_fail (self->load_cancellable == NULL);

  g_free (self->load_name);
  self->load_name = g_strdup (lk_model_chooser_get_model (self->model_chooser));
  options = lk_settings_get_model_options (lk_settings_get_default ());
  self->load_cancellable = g_cancellable_new ();
  title = g_strdup_printf (_("Loading %s…"), self->load_name);
  show_progress (self, title);
  self->pulse_source = g_timeout_add (120, pulse, self);
  lk_window_update_actions (self);
  /* Installing is the model chooser's (it shows the download): here only
   * what is there already. */
  lk_model_load_async (self->load_name, LK_MODEL_LOAD_NONE, &options, NULL, NULL, self->load_cancellable,
                       on_model_loaded, g_object_ref (self));
}

void
lk_window_explain_dispose (LkWindow *self)
{
  lk_window_cancel (self);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
}
