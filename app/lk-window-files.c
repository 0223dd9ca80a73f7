/* lk-window-files.c — sessions (.likeness), figure export and the
 * clipboard. */
#include "config.h"

#include <string.h>

#include <math.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "lk-error.h"
#include "lk-session.h"
#include "lk-window-private.h"

/* ---- sessions ---- */

static void
set_session_file (LkWindow *self, GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  g_autofree char *name = g_file_get_basename (file);

  g_set_object (&self->session_file, file);
  adw_window_title_set_subtitle (self->window_title, name);
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
}

static LkSession *
build_session (LkWindow *self)
{
  LkSession *session = lk_session_new ();
  g_autoptr(JsonObject) params = lk_settings_dup_params_json (lk_settings_get_default ());
  g_autoptr(GList) members = json_object_get_members (params);
  g_autofree char *method = lk_window_dup_method (self);

  lk_session_set_mode (session, lk_input_pane_get_mode (self->input_pane));
  for (guint side = 0; side < 2; side++)
    {
      g_autofree char *text = lk_input_pane_dup_text (self->input_pane, side);
      lk_session_set_text (session, side, text);
    }
  lk_session_set_image (session, lk_input_pane_get_image (self->input_pane));
  lk_session_set_caption (session, lk_input_pane_get_caption (self->input_pane));
  for (guint side = 0; side < 2; side++)
    lk_session_set_prompt (session, side, lk_input_pane_get_prompt (self->input_pane, side));
  lk_session_set_model (session, lk_model_chooser_get_model (self->model_chooser));
  lk_session_set_method (session, method);
  for (GList *l = members; l; l = l->next)
    json_object_set_member (lk_session_get_params (session), l->data,
                            json_node_copy (json_object_get_member (params, l->data)));
  lk_session_set_view (session, lk_view_to_string (lk_window_get_view (self)));
  /* Every method's result for these inputs, in both modes, so that
   * nothing is lost and switching stays instant. */
  for (LkInputMode mode = LK_INPUT_TEXT_PAIR; mode <= LK_INPUT_IMAGE_CAPTION; mode++)
    for (LkMethod m = 0; m < LK_N_METHODS; m++)
      {
        g_autofree char *key = lk_window_request_key_for_mode (self, mode, lk_method_to_string (m));
        LkExplanation *x = g_hash_table_lookup (self->cache, key);
        if (x)
          lk_session_add_result (session, x);
      }
  return session;
}

gboolean
lk_window_save_session (LkWindow *self, GFile *file, GError **error)
{
  g_autoptr(LkSession) session = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if ((path = g_file_get_path (file)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("Sessions can only be saved to local files"));
      return FALSE;
    }
  session = build_session (self);
  if (!lk_session_save (session, path, error))
    return FALSE;
  set_session_file (self, file);
  return TRUE;
}

/* Each result under the key of the inputs it explains; one for other
 * inputs cannot be shown for these and is counted. */
static guint
cache_results (LkWindow *self, LkSession *session)
{
  guint skipped = 0;

  for (guint i = 0; i < lk_session_get_n_results (session); i++)
    {
      LkExplanation *x = lk_session_get_result (session, i);
      g_autofree char *key = NULL;
      LkInputMode mode;

      if (!lk_session_get_result_mode (session, i, &mode))
        {
          skipped++;
          continue;
        }
      key = lk_window_request_key_for_mode (self, mode, lk_explanation_get_method (x));
      g_hash_table_replace (self->cache, g_steal_pointer (&key), g_object_ref (x));
    }
  return skipped;
}

static void
apply_session (LkWindow *self, LkSession *session)
{
  LkMethod method;

  /* Nothing of the previous session may show through: results, errors,
   * a job still running. */
  lk_window_forget_results (self);
  lk_window_show_empty (self);
  lk_settings_apply_params_json (lk_settings_get_default (), lk_session_get_params (session));
  if (lk_session_get_model (session))
    lk_model_chooser_set_model (self->model_chooser, lk_session_get_model (session));
  if (lk_method_from_string (lk_session_get_method (session), &method))
    g_settings_set_string (self->settings, "method", lk_method_to_string (method));
  lk_input_pane_set_mode (self->input_pane, lk_session_get_mode (session));
  lk_input_pane_set_text (self->input_pane, 0, lk_session_get_text (session, 0));
  lk_input_pane_set_text (self->input_pane, 1, lk_session_get_text (session, 1));
  lk_input_pane_set_image (self->input_pane, lk_session_get_image (session));
  lk_input_pane_set_caption (self->input_pane, lk_session_get_caption (session));
  /* The results are keyed by the prompts chosen; while the model's prompts
   * are read, the choosers cannot hold the session's yet, so the results
   * wait for them (on_prompts_resolved). A session without prompts (its
   * model has none) is shown at once. */
  g_clear_object (&self->restoring);
  if (self->prompts_pending &&
      (lk_session_get_prompt (session, 0) != NULL || lk_session_get_prompt (session, 1) != NULL))
    self->restoring = g_object_ref (session);
  else
    lk_window_finish_session (self, session);
}

void
lk_window_finish_session (LkWindow *self, LkSession *session)
{
  LkView view;
  guint skipped;

  for (guint side = 0; side < 2; side++)
    if (lk_session_get_prompt (session, side) != NULL)
      lk_input_pane_set_prompt (self->input_pane, side, lk_session_get_prompt (session, side));
  skipped = cache_results (self, session);
  lk_window_refresh_results (self);
  if (lk_view_from_string (lk_session_get_view (session), &view))
    lk_window_set_view (self, view);
  if (skipped > 0)
    {
      g_autofree char *message = g_strdup_printf (ngettext ("%u result in the session is for other inputs and is not shown",
                                                           "%u results in the session are for other inputs and are not shown",
                                                           skipped), skipped);
      lk_window_toast (self, message);
    }
}

gboolean
lk_window_open_session (LkWindow *self, GFile *file, GError **error)
{
  g_autoptr(LkSession) session = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  if ((path = g_file_get_path (file)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("Sessions can only be opened from local files"));
      return FALSE;
    }
  /* Everything is read and checked before anything in the window changes. */
  if ((session = lk_session_load (path, error)) == NULL)
    return FALSE;
  apply_session (self, session);
  set_session_file (self, file);
  return TRUE;
}

static void
report_open_error (LkWindow *self, const GError *error)
{
  gboolean newer = g_error_matches (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                              newer ? _("Session From a Newer Version")
                                                    : _("Could Not Open the Session"),
                                              NULL);

  if (newer)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog), "%s\n\n%s",
                                    _("Update Likeness to open this session. Nothing was changed."),
                                    error->message);
  else
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog), "%s\n\n%s",
                                    _("The file is damaged or is not a Likeness session. Nothing was changed."),
                                    error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  g_free (self->last_error);
  self->last_error = g_strdup (error->message);
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkFileFilter *
session_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Likeness Sessions"));
  gtk_file_filter_add_pattern (filter, "*.likeness");
  gtk_file_filter_add_mime_type (filter, "application/x-likeness-session");
  return filter;
}

static void
on_open_response (GtkNativeDialog *dialog, int response, LkWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      if (!lk_window_open_session (self, file, &error))
        report_open_error (self, error);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
lk_window_open_dialog (LkWindow *self)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = session_filter ();

  dialog = gtk_file_chooser_native_new (_("Open a Session"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_open_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- audits ---- */

static void
on_open_audit_response (GtkNativeDialog *dialog, int response, LkWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      lk_window_open_audit (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* A batch run's output: one .jsonl, or a folder of shards. */
void
lk_window_open_audit_dialog (LkWindow *self, gboolean folder)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (folder ? _("Open an Audit Folder") : _("Open an Audit"), GTK_WINDOW (self),
                                        folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  if (!folder)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Batch Runs (JSON Lines)"));
      gtk_file_filter_add_pattern (filter, "*.jsonl");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_open_audit_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_to (LkWindow *self, GFile *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *message = NULL;

  if (!lk_window_save_session (self, file, &error))
    {
      message = g_strdup_printf (_("Could not save the session: %s"), error->message);
      g_free (self->last_error);
      self->last_error = g_strdup (message);
    }
  else
    message = g_strdup_printf (_("Saved “%s”"), name);
  lk_window_toast (self, message);
}

static GFile *
with_extension (GFile *file, const char *extension)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *fixed = NULL;

  if (path == NULL || g_str_has_suffix (path, extension))
    return g_object_ref (file);
  fixed = g_strconcat (path, extension, NULL);
  return g_file_new_for_path (fixed);
}

static void
on_save_response (GtkNativeDialog *dialog, int response, LkWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) chosen = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GFile) file = with_extension (chosen, ".likeness");
      save_to (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

/* A name from what the session holds, not "Untitled": the first words of
 * text A, or the image's name, in lower case with '-' between words. */
char *
lk_window_dup_suggested_session_name (LkWindow *self)
{
  LkInputPane *pane = lk_window_get_input_pane (self);
  gboolean image = g_settings_get_enum (self->settings, "input-mode") == LK_INPUT_IMAGE_CAPTION;
  g_autofree char *source = NULL;
  g_autoptr(GString) name = g_string_new (NULL);
  guint words = 0;
  gboolean gap = FALSE;

  if (image && lk_input_pane_get_image (pane) != NULL)
    {
      source = g_path_get_basename (lk_input_pane_get_image (pane));
      if (strrchr (source, '.') != NULL)
        *strrchr (source, '.') = '\0';
    }
  else
    source = lk_input_pane_dup_text (pane, 0);
  for (const char *p = source ? source : ""; *p && words < 5; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isalnum (c))
        {
          if (gap && name->len > 0)
            {
              g_string_append_c (name, '-');
              words++;
              if (words == 5)
                break;
            }
          g_string_append_unichar (name, g_unichar_tolower (c));
          gap = FALSE;
        }
      else
        gap = TRUE;
    }
  if (name->len > 0 && name->str[name->len - 1] == '-')
    g_string_truncate (name, name->len - 1);
  if (name->len == 0)
    g_string_append (name, "likeness-session");
  g_string_append (name, ".likeness");
  return g_string_free (g_steal_pointer (&name), FALSE);
}

void
lk_window_save_dialog (LkWindow *self, gboolean save_as)
{
  g_autofree char *suggested = NULL;
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = session_filter ();

  if (!save_as && self->session_file)
    {
      save_to (self, self->session_file);
      return;
    }
  dialog = gtk_file_chooser_native_new (_("Save the Session"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Save"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  suggested = lk_window_dup_suggested_session_name (self);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), suggested);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_save_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- export ---- */

/* The figure as shown, on the light background of a page. */
static void
export_options (LkWindow *self, gboolean report, LkView *view, LkRenderOptions *options)
{
  LkFigureView *fv = lk_window_get_visible_figure (self, view);

  if (report || g_strcmp0 (lk_window_get_visible_view (self), "details") == 0)
    *view = LK_VIEW_REPORT;
  *options = *lk_figure_view_get_options (fv);
  options->dark = FALSE;
}

gboolean
lk_window_export (LkWindow *self, gboolean report, const char *path, double scale, GError **error)
{
  LkRenderOptions options;
  LkExportFormat format;
  LkView view;

  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->current == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("There is no explanation to export yet"));
      return FALSE;
    }
  if (!lk_export_format_from_path (path, &format, error))
    return FALSE;
  export_options (self, report, &view, &options);
  return lk_render_export (self->current, view, &options, format, scale > 0 ? scale : 1, path, error);
}

/* Exports and says so in a toast: with an Open button for the file, or
 * what went wrong. */
void
lk_window_export_and_tell (LkWindow *self, gboolean report, const char *path, double scale)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *message = NULL;

  if (!lk_window_export (self, report, path, scale, &error))
    {
      message = g_strdup_printf (_("Could not export: %s"), error->message);
      lk_window_toast (self, message);
      return;
    }
  message = g_strdup_printf (_("Exported “%s”"), name);
  lk_window_toast_file (self, message, path);
}

static void
on_export_response (GtkNativeDialog *dialog, int response, LkWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) chosen = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
      const char *extension = filter ? g_object_get_data (G_OBJECT (filter), "extension") : NULL;
      g_autofree char *path = g_file_get_path (chosen);
      const char *scale_s = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "scale");
      gboolean report = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "report"));
      LkExportFormat format;

      /* A name without a known extension takes the chosen filter's. */
      if (path && extension && !lk_export_format_from_path (path, &format, NULL))
        {
          char *fixed = g_strconcat (path, extension, NULL);
          g_free (path);
          path = fixed;
        }
      if (path == NULL)
        lk_window_toast (self, _("Figures can only be exported to local files"));
      else
        lk_window_export_and_tell (self, report, path, scale_s ? g_ascii_strtod (scale_s, NULL) : 2);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
add_export_filter (GtkFileChooser *chooser, const char *name, const char *mime, const char *extension)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *pattern = g_strconcat ("*", extension, NULL);

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_mime_type (filter, mime);
  gtk_file_filter_add_pattern (filter, pattern);
  g_object_set_data (G_OBJECT (filter), "extension", (gpointer) extension);
  gtk_file_chooser_add_filter (chooser, filter);
}

void
lk_window_export_dialog (LkWindow *self, gboolean report)
{
  GtkFileChooserNative *dialog;
  const char *scale_ids[] = { "1", "2", "3", NULL };
  const char *scale_labels[] = { N_("1× (72 dpi)"), N_("2× (144 dpi)"), N_("3× (216 dpi)"), NULL };
  const char *labels[4];
  g_autofree char *name = NULL;
  LkView view;

  if (self->current == NULL)
    return;
  for (guint i = 0; i < 4; i++)
    labels[i] = scale_labels[i] ? _(scale_labels[i]) : NULL;
  lk_window_get_visible_figure (self, &view);
  name = report || g_strcmp0 (lk_window_get_visible_view (self), "details") == 0
         ? g_strdup ("likeness-report.pdf")
         : g_strdup_printf ("likeness-%s.svg", lk_window_get_visible_view (self));
  dialog = gtk_file_chooser_native_new (report ? _("Export the Report") : _("Export the Figure"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  add_export_filter (GTK_FILE_CHOOSER (dialog), _("SVG Image"), "image/svg+xml", ".svg");
  add_export_filter (GTK_FILE_CHOOSER (dialog), _("PNG Image"), "image/png", ".png");
  add_export_filter (GTK_FILE_CHOOSER (dialog), _("PDF Document"), "application/pdf", ".pdf");
  if (!report)
    add_export_filter (GTK_FILE_CHOOSER (dialog), _("Values as CSV"), "text/csv", ".csv");
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (dialog), "scale", _("PNG scale"), scale_ids, labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (dialog), "scale", "2");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_object_set_data (G_OBJECT (dialog), "report", GINT_TO_POINTER (report));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_export_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- clipboard ---- */

void
lk_window_copy_figure (LkWindow *self)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) bytes = NULL;
  LkRenderOptions options;
  cairo_surface_t *surface;
  double w = 0, h = 0;
  const double scale = 2;
  cairo_t *cr;
  LkView view;

  if (self->current == NULL)
    return;
  export_options (self, FALSE, &view, &options);
  lk_render_get_size (self->current, view, &options, &w, &h);
  if (w <= 0 || h <= 0)
    return;
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (w * scale), (int) ceil (h * scale));
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, scale, scale);
  lk_render_cairo (self->current, view, &options, cr, w, h);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) cairo_image_surface_get_stride (surface) * cairo_image_surface_get_height (surface),
                                      (GDestroyNotify) cairo_surface_destroy, surface);
  /* Cairo's ARGB32 is GDK's default memory format. */
  texture = gdk_memory_texture_new (cairo_image_surface_get_width (surface), cairo_image_surface_get_height (surface),
                                    GDK_MEMORY_DEFAULT, bytes, cairo_image_surface_get_stride (surface));
  {
    /* SVG as well, for the editors and slides that take vector figures:
     * the exporter writes files only, so through a private temporary one. */
    g_autofree char *tmp = NULL;
    g_autofree char *svg = NULL;
    gsize svg_len = 0;
    GdkContentProvider *providers[2];
    guint n = 0;
    int fd = g_file_open_tmp ("likeness-copy-XXXXXX.svg", &tmp, NULL);

    if (fd >= 0)
      {
        close (fd);
        if (lk_render_export (self->current, view, &options, LK_EXPORT_SVG, 1, tmp, NULL))
          g_file_get_contents (tmp, &svg, &svg_len, NULL);
        g_unlink (tmp);
      }
    providers[n++] = gdk_content_provider_new_typed (GDK_TYPE_TEXTURE, texture);
    if (svg)
      {
        g_autoptr(GBytes) svg_bytes = g_bytes_new_take (g_steal_pointer (&svg), svg_len);
        providers[n++] = gdk_content_provider_new_for_bytes ("image/svg+xml", svg_bytes);
      }
    {
      g_autoptr(GdkContentProvider) both = gdk_content_provider_new_union (providers, n);
      gdk_clipboard_set_content (gtk_widget_get_clipboard (GTK_WIDGET (self)), both);
    }
  }
  lk_window_toast (self, _("Figure copied"));
}
