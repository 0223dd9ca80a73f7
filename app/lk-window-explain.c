/* lk-window-explain.c — loading models and running explanations off the
 * main thread, with progress, time left, cancellation and a result cache. */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "lk-error.h"
#include "lk-method-info.h"
#include "lk-model-store.h"
#include "lk-window-private.h"

/* ---- the request key ---- */

static char *
current_method (LkWindow *self)
{
  return g_settings_get_string (self->settings, "method");
}

/* Everything that decides a result: the model as chosen, the inputs of
 * @mode, the method and the parameters the preferences feed into it.
 * @method NULL: the chosen one. */
char *
lk_window_request_key_for_mode (LkWindow *self, LkInputMode mode, const char *method)
{
  g_autofree char *chosen = method ? NULL : current_method (self);
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
  return g_strjoin ("\x1e", model ? model : "", lk_input_mode_to_string (mode), a ? a : "", b ? b : "",
                    params_s, method ? method : chosen, NULL);
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

/* Runs in the main context. @data stays valid until after the last event
 * (see on_explained). */
static void
on_explain_progress (double fraction, gpointer data)
{
  LkWindow *self = *(LkWindow **) data;
  double elapsed;

  if (self == NULL || self->disposed || self->explain_cancellable == NULL)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0, 1));
  elapsed = (g_get_monotonic_time () - self->explain_started) / 1e6;
  if (fraction > 0.03 && elapsed > 0.5)
    {
      g_autofree char *left = format_time_left (elapsed * (1 - fraction) / fraction);
      gtk_label_set_label (self->progress_eta, left);
    }
}

/* ---- explaining ---- */

typedef struct {
  LkWindow *window;   /* weak: cleared when the window goes */
  char     *key;
  guint     generation;
} ExplainJob;

static gboolean
free_job (gpointer data)
{
  ExplainJob *job = data;

  if (job->window)
    g_object_remove_weak_pointer (G_OBJECT (job->window), (gpointer *) &job->window);
  g_free (job->key);
  g_free (job);
  return G_SOURCE_REMOVE;
}

static void
on_explained (GObject *source, GAsyncResult *result, gpointer data)
{
  ExplainJob *job = data;
  LkWindow *self = job->window;
  g_autoptr(GError) error = NULL;
  g_autoptr(LkExplanation) x = lk_explain_finish (result, &error);

  /* Progress events queued before the result are delivered first at
   * default priority; the job outlives them. */
  g_idle_add_full (G_PRIORITY_LOW, free_job, job, NULL);
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
  g_autofree char *method_name = current_method (self);
  g_autofree char *title = NULL;
  ExplainJob *job = g_new0 (ExplainJob, 1);
  g_autoptr(LkExplainRequest) request = NULL;
  LkMethod method = LK_METHOD_BILRP;

  lk_method_from_string (method_name, &method);
  request = lk_settings_new_request (lk_settings_get_default (), method);
  if (lk_input_pane_get_mode (self->input_pane) == LK_INPUT_IMAGE_CAPTION)
    lk_explain_request_set_image (request, a, b);
  else
    lk_explain_request_set_texts (request, a, b);
  job->window = self;
  job->key = g_strdup (key);
  job->generation = self->generation;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &job->window);
  self->explain_cancellable = g_cancellable_new ();
  self->explain_started = g_get_monotonic_time ();
  title = g_strdup_printf (_("Explaining with %s…"), lk_method_title (method_name));
  show_progress (self, title);
  lk_window_update_actions (self);
  lk_explain_async (self->model, request, on_explain_progress, &job->window, NULL,
                    self->explain_cancellable, on_explained, job);
}

/* Whether any installed model is a CLIP model: the store reads each
 * config.json's model_type (with the checked JSON reader), once per list. */
static gboolean
have_clip_model (void)
{
  g_auto(GStrv) folders = lk_settings_dup_model_folders (lk_settings_get_default ());
  g_autoptr(GPtrArray) models = lk_model_store_list ((const char * const *) folders, NULL);

  for (guint i = 0; models && i < models->len; i++)
    if (g_strcmp0 (((LkModelInfo *) g_ptr_array_index (models, i))->architecture, "clip") == 0)
      return TRUE;
  return FALSE;
}

/* The image and its caption, or FALSE (and a message) when something is
 * missing. Which model and method fit is the core's to say. */
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
  if (!have_clip_model ())
    {
      lk_window_show_error (self, "image-x-generic-symbolic", _("No CLIP Model"),
                            _("Image explanations need a CLIP model; none is installed."), FALSE);
      return FALSE;
    }
  *image = g_strdup (path);
  *caption = g_strdup (text ? text : "");
  return TRUE;
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

typedef struct {
  char           *name;
  LkModelOptions  options;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->name);
  g_free (data);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;
  g_autofree char *dir = lk_model_store_resolve (data->name, FALSE, NULL, NULL, cancellable, &error);
  LkModel *model;

  if (dir == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  model = lk_model_new_from_dir (dir, g_file_test (data->name, G_FILE_TEST_IS_DIR) ? NULL : data->name,
                                 &data->options, &error);
  if (g_task_return_error_if_cancelled (task))
    g_clear_object (&model);
  else if (model == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, model, g_object_unref);
}

static void
on_model_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  LkWindow *self = LK_WINDOW (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(LkModel) model = g_task_propagate_pointer (G_TASK (result), &error);
  LoadData *load = g_task_get_task_data (G_TASK (result));
  gboolean explain = self->explain_after_load;

  g_clear_object (&self->load_cancellable);
  self->explain_after_load = FALSE;
  if (self->disposed)
    return;
  hide_progress (self);
  lk_window_update_actions (self);
  if (model == NULL)
    {
      g_autofree char *title = NULL;
      gboolean missing = g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND) ||
                         g_error_matches (error, LK_ERROR, LK_ERROR_OFFLINE);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          lk_window_toast (self, _("Loading cancelled"));
          return;
        }
      title = g_strdup (missing ? _("Model Not Installed") : _("Could Not Load the Model"));
      lk_window_show_error (self, missing ? "folder-download-symbolic" : NULL, title, error->message,
                            missing && !g_file_test (load->name, G_FILE_TEST_IS_DIR));
      return;
    }
  g_debug ("loaded %s from %s on %s", load->name, lk_model_get_path (model), lk_model_get_device_name (model));
  g_set_object (&self->model, model);
  g_free (self->model_name);
  self->model_name = g_strdup (load->name);
  lk_input_pane_set_model (self->input_pane, model);
  if (explain)
    lk_window_explain (self);
}

void
lk_window_load_model (LkWindow *self)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data = g_new0 (LoadData, 1);
  g_autofree char *title = NULL;

  g_return_if_fail (LK_IS_WINDOW (self));
  g_return_if_fail (self->load_cancellable == NULL);

  data->name = g_strdup (lk_model_chooser_get_model (self->model_chooser));
  data->options = lk_settings_get_model_options (lk_settings_get_default ());
  self->load_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->load_cancellable, on_model_loaded, NULL);
  g_task_set_source_tag (task, lk_window_load_model);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  title = g_strdup_printf (_("Loading %s…"), data->name);
  show_progress (self, title);
  self->pulse_source = g_timeout_add (120, pulse, self);
  lk_window_update_actions (self);
  g_task_run_in_thread (task, load_thread);
}

void
lk_window_explain_dispose (LkWindow *self)
{
  lk_window_cancel (self);
  g_clear_handle_id (&self->pulse_source, g_source_remove);
}
