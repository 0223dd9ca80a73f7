/* lk-window.c — the main window's layout, actions and views. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "lk-aspects.h"
#include "lk-compare-window.h"
#include "lk-method-info.h"
#include "lk-help-window.h"
#include "lk-model-store.h"
#include "lk-params-button.h"
#include "lk-window-private.h"

G_DEFINE_FINAL_TYPE (LkWindow, lk_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct {
  const char *name;
  LkView      view;
} pages[] = {
  { "matrix", LK_VIEW_HEATMAP },
  { "alignment", LK_VIEW_ALIGNMENT },
  { "saliency", LK_VIEW_SALIENCY },
  { "aspects", LK_VIEW_ASPECTS },
  { "details", LK_VIEW_REPORT },
  { "contrast", LK_VIEW_CONTRAST },
};

static LkFigureView *
figure_view (LkWindow *self, LkView view)
{
  switch (view)
    {
    case LK_VIEW_HEATMAP:   return self->matrix_view;
    case LK_VIEW_ALIGNMENT: return self->alignment_view;
    case LK_VIEW_SALIENCY:  return self->saliency_view;
    case LK_VIEW_ASPECTS:   return self->aspects_view;
    case LK_VIEW_CONTRAST:  return self->contrast_view;
    default:                return NULL;
    }
}

#define FOREACH_FIGURE(self, fv) \
  for (LkView _v = LK_VIEW_HEATMAP; _v <= LK_VIEW_CONTRAST; _v++) \
    for (LkFigureView *fv = figure_view (self, _v); fv; fv = NULL)

/* ---- state ---- */

gboolean
lk_window_get_busy (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  return self->load_cancellable != NULL || self->explain_cancellable != NULL || self->audit_cancellable != NULL;
}

void
lk_window_update_actions (LkWindow *self)
{
  gboolean busy = lk_window_get_busy (self);
  gboolean has = self->current != NULL;
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);
  gboolean figure = has && g_strcmp0 (page, "details") != 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.explain", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-report", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-figure", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.pin", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.compare",
                                 has && self->pinned != NULL && self->pinned != self->current);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.zoom-in", figure && self->zoom < 8);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.zoom-out", figure && self->zoom > 0.25);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.zoom-reset", figure);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.back", lk_audit_view_get_file (self->audit_view) != NULL);
  gtk_widget_set_visible (self->audit_button, lk_audit_view_get_file (self->audit_view) != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

void
lk_window_toast (LkWindow *self, const char *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A toast with an Open button for the file just written. */
void
lk_window_toast_file (LkWindow *self, const char *message, const char *path)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 5);
  adw_toast_set_button_label (toast, _("_Open"));
  adw_toast_set_action_name (toast, "win.open-file");
  adw_toast_set_action_target_value (toast, g_variant_new_string (path));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  g_free (self->last_toast_file);
  g_free (self->text_model);
  self->last_toast_file = g_strdup (path);
}

GtkWidget *
lk_window_get_download_button (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return gtk_revealer_get_reveal_child (self->error_revealer) ? self->error_bar_download_button
                                                              : self->error_download_button;
}

const char *
lk_window_get_last_toast_file (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->last_toast_file;
}

/* An error's Download Model button: shown where the download applies;
 * offline it stays, insensitive, to say why there is no download. */
static void
show_download_button (GtkWidget *button, gboolean offer_download)
{
  gtk_widget_set_visible (button, offer_download);
  if (offer_download)
    {
      g_autofree char *why = NULL;
      gboolean allowed = lk_model_store_downloads_allowed (&why);

      gtk_widget_set_sensitive (button, allowed);
      gtk_widget_set_tooltip_text (button, why);
    }
}

void
lk_window_show_error (LkWindow *self, const char *icon_name, const char *title, const char *message,
                      gboolean offer_download)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  /* A good result on screen stays: the error goes in the bar above it
   * (the result is out of date now, and says so). */
  if (self->current &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->results_stack), "results") == 0)
    {
      gtk_label_set_label (self->error_bar_title, title);
      gtk_label_set_label (self->error_bar_label, message);
      show_download_button (self->error_bar_download_button, offer_download);
      gtk_widget_set_visible (self->stale_label, TRUE);
      gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
      return;
    }
  adw_status_page_set_icon_name (self->error_page, icon_name ? icon_name : "dialog-warning-symbolic");
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, message);
  show_download_button (self->error_download_button, offer_download);
  gtk_stack_set_visible_child_name (self->results_stack, "error");
}

static gboolean
has_member (LkExplanation *x, const char *name)
{
  return lk_explanation_lookup_extra (x, name) != NULL;
}

/* Numbers as the figures print them (a point, whatever the locale), so the
 * header and an exported figure read the same. */
static const char *
num (char *buf, const char *format, double value)
{
  return g_ascii_formatd (buf, G_ASCII_DTOSTR_BUF_SIZE, format, value);
}

static void
update_summary (LkWindow *self, LkExplanation *x)
{
  JsonObject *model = lk_explanation_get_model (x);
  const char *method = lk_explanation_get_method (x);
  const char *id = model ? json_object_get_string_member_with_default (model, "id", "") : "";
  char b0[G_ASCII_DTOSTR_BUF_SIZE];
  g_auto(GStrv) segments = NULL;
  g_autofree char *title = g_strdup_printf (_("%s on %s"), lk_method_title (method), id);
  g_autofree char *subtitle = NULL;

  segments = lk_render_check_segments (x);
  subtitle = g_strjoinv (" · ", segments);
  if (has_member (x, LK_EXTRA_CONTRAST))
    {
      /* A contrast's score is the difference it explains. */
      g_autofree char *d = g_strdup_printf ("Δ %s", num (b0, "%.3g", lk_explanation_get_score (x, LK_SCORE_SIMILARITY_DIFFERENCE, NAN)));
      gtk_label_set_label (self->score_label, d);
      gtk_label_set_label (self->score_caption, _("score difference"));
    }
  else
    {
      gtk_label_set_label (self->score_label, num (b0, "%.3f", lk_explanation_get_score (x, LK_SCORE_SIMILARITY, NAN)));
      gtk_label_set_label (self->score_caption, _("similarity"));
    }
  gtk_label_set_label (self->summary_title, title);
  gtk_label_set_label (self->summary_subtitle, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->summary_title), title);
  /* The registry's verdict on the check the subtitle shows, at a glance;
   * the report's reading of it on hover. */
  {
    static const char * const classes[] = { "verdict-none", "verdict-good", "verdict-fair", "verdict-poor" };
    LkVerdict verdict = lk_explanation_get_verdict (x, NULL);
    g_auto(GStrv) readings = lk_render_check_readings (x);
    g_autofree char *reading = g_strjoinv (has_member (x, LK_EXTRA_CONTRAST) ? " · " : "\n\n", readings);

    for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
      gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_badge), classes[i]);
    gtk_widget_add_css_class (GTK_WIDGET (self->verdict_badge), classes[CLAMP (verdict, 0, 3)]);
    gtk_label_set_label (self->verdict_badge, lk_verdict_title (verdict));
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->verdict_badge), reading);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->summary_subtitle), reading);
  }
}

static void
set_page_visible (LkWindow *self, const char *name, gboolean visible)
{
  GtkWidget *child = adw_view_stack_get_child_by_name (self->view_stack, name);

  adw_view_stack_page_set_visible (adw_view_stack_get_page (self->view_stack, child), visible);
}

/* A ranking contrast has one figure of its own and no token matrix: its
 * page instead of the pair's four, and back when a pair is shown. */
static void
show_pages_for (LkWindow *self, LkExplanation *x)
{
  gboolean contrast = x != NULL && has_member (x, LK_EXTRA_CONTRAST);
  const char *pair_pages[] = { "matrix", "alignment", "saliency", "aspects" };
  const char *visible = adw_view_stack_get_visible_child_name (self->view_stack);

  for (guint i = 0; i < G_N_ELEMENTS (pair_pages); i++)
    set_page_visible (self, pair_pages[i], !contrast);
  set_page_visible (self, "contrast", contrast);
  if (contrast && g_strcmp0 (visible, "details") != 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "contrast");
  else if (!contrast && g_strcmp0 (visible, "contrast") == 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "matrix");
}

static void on_visible_view_changed (LkWindow *self);

void
lk_window_show_explanation (LkWindow *self, LkExplanation *x, const char *key)
{
  g_return_if_fail (LK_IS_EXPLANATION (x));

  g_set_object (&self->current, x);
  g_free (self->current_key);
  self->current_key = g_strdup (key);
  g_clear_pointer (&self->last_error, g_free);
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  FOREACH_FIGURE (self, fv)
    lk_figure_view_set_explanation (fv, x);
  lk_details_view_set_explanation (self->details_view, x);
  gtk_stack_set_visible_child_name (self->aspects_stack, has_member (x, LK_EXTRA_ASPECTS) ? "figure" : "none");
  show_pages_for (self, x);
  update_summary (self, x);
  gtk_widget_set_visible (self->stale_label, FALSE);
  gtk_stack_set_visible_child_name (self->results_stack, "results");
  lk_input_pane_highlight (self->input_pane, 0, 0, 0);
  lk_input_pane_highlight (self->input_pane, 1, 0, 0);
  on_visible_view_changed (self);
}

/* No result: every view empty, as at startup. */
void
lk_window_show_empty (LkWindow *self)
{
  FOREACH_FIGURE (self, fv)
    lk_figure_view_set_explanation (fv, NULL);
  lk_details_view_set_explanation (self->details_view, NULL);
  gtk_stack_set_visible_child_name (self->aspects_stack, "none");
  show_pages_for (self, NULL);
  gtk_widget_set_visible (self->stale_label, FALSE);
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  gtk_stack_set_visible_child_name (self->results_stack, "empty");
  lk_window_update_actions (self);
}

/* Called whenever the inputs, the model, the method or a parameter
 * changes: a result for the new request is shown at once when cached. */
void
lk_window_refresh_results (LkWindow *self)
{
  g_autofree char *key = lk_window_request_key (self, NULL);
  LkExplanation *cached = g_hash_table_lookup (self->cache, key);

  if (cached)
    {
      if (cached != self->current || gtk_widget_get_visible (self->stale_label) ||
          g_strcmp0 (gtk_stack_get_visible_child_name (self->results_stack), "results") != 0)
        lk_window_show_explanation (self, cached, key);
      return;
    }
  gtk_widget_set_visible (self->stale_label, self->current != NULL);
}

/* ---- views ---- */

static void
apply_render_options (LkWindow *self)
{
  LkRenderOptions options;

  lk_render_options_init (&options);
  lk_settings_fill_render_options (lk_settings_get_default (), &options);
  FOREACH_FIGURE (self, fv)
    {
      LkRenderOptions o = options;
      o.highlight_a = lk_figure_view_get_options (fv)->highlight_a;
      o.highlight_b = lk_figure_view_get_options (fv)->highlight_b;
      o.saliency_word = lk_figure_view_get_options (fv)->saliency_word;
      lk_figure_view_set_options (fv, &o);
    }
}

static void
set_zoom (LkWindow *self, double zoom)
{
  g_autofree char *label = NULL;

  self->zoom = CLAMP (zoom, 0.25, 8.0);
  FOREACH_FIGURE (self, fv)
    lk_figure_view_set_zoom (fv, self->zoom);
  label = g_strdup_printf ("%.0f%%", 100 * self->zoom);
  gtk_button_set_label (self->zoom_button, label);
  lk_window_update_actions (self);
}

static void
on_zoom_step (LkWindow *self, int direction)
{
  set_zoom (self, self->zoom * (direction > 0 ? 1.25 : 0.8));
}

/* The bytes of text @side that token or word @index covers. */
static gboolean
unit_span (LkExplanation *x, gboolean words, guint side, int index, gsize *start, gsize *end)
{
  gboolean found = FALSE;

  if (index < 0)
    return FALSE;
  for (guint t = 0; t < lk_explanation_get_n_tokens (x, side); t++)
    {
      const LkToken *token = lk_explanation_get_token (x, side, t);
      gboolean hit = words ? lk_explanation_token_word (x, side, t) == (guint) index : t == (guint) index;

      if (!hit || token->special || token->end <= token->start)
        continue;
      *start = found ? MIN (*start, token->start) : token->start;
      *end = found ? MAX (*end, token->end) : token->end;
      found = TRUE;
    }
  return found;
}

static void
highlight_side (LkWindow *self, LkExplanation *x, gboolean words, guint side, int index)
{
  g_autofree char *text = lk_input_pane_dup_text (self->input_pane, side);
  gsize start = 0, end = 0;

  /* Offsets only mean something in the text they were computed for. */
  if (g_strcmp0 (text, lk_explanation_get_text (x, side)) != 0 || !unit_span (x, words, side, index, &start, &end))
    start = end = 0;
  lk_input_pane_highlight (self->input_pane, side, start, end);
}

const char *
lk_window_get_selection_readout (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return gtk_label_get_text (self->selection_label);
}

/* The visible figure's selection, as its tooltip says it. */
static void
update_selection_label (LkWindow *self)
{
  GtkWidget *page = adw_view_stack_get_visible_child (self->view_stack);
  g_autofree char *text = NULL;

  FOREACH_FIGURE (self, fv)
    if (gtk_widget_is_ancestor (GTK_WIDGET (fv), page) || GTK_WIDGET (fv) == page)
      text = lk_figure_view_dup_selection_text (fv);
  gtk_label_set_text (self->selection_label, text ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->selection_label), text);
}

static void
on_selection_changed (LkFigureView *view, int row, int col, LkWindow *self)
{
  LkExplanation *x = lk_figure_view_get_explanation (view);
  gboolean words = lk_figure_view_get_options (view)->words;

  if (x == NULL)
    return;
  highlight_side (self, x, words, 0, row);
  highlight_side (self, x, words, 1, col);
  FOREACH_FIGURE (self, fv)
    if (fv != view)
      lk_figure_view_select (fv, row, col);
  update_selection_label (self);
}

static void
on_visible_view_changed (LkWindow *self)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);
  gboolean figure = g_strcmp0 (page, "details") != 0;

  gtk_widget_set_visible (self->topk_box, g_strcmp0 (page, "alignment") == 0);
  /* Opacity is that of the map over the photo: text saliency has none. */
  gtk_widget_set_visible (self->opacity_box, g_strcmp0 (page, "saliency") == 0 && self->current &&
                                             lk_explanation_lookup_object (self->current, "saliency_map"));
  update_selection_label (self);
  gtk_widget_set_visible (self->words_button, figure);
  gtk_widget_set_visible (self->specials_button, figure);
  gtk_widget_set_visible (self->prompts_button, figure && self->current &&
                          (lk_explanation_get_prompt_length (self->current, 0) > 0 ||
                           lk_explanation_get_prompt_length (self->current, 1) > 0));
  gtk_widget_set_visible (self->zoom_box, figure);
  lk_window_update_actions (self);
}

LkFigureView *
lk_window_get_visible_figure (LkWindow *self, LkView *view)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_strcmp0 (page, pages[i].name) == 0)
      {
        *view = pages[i].view;
        return figure_view (self, pages[i].view);
      }
  *view = LK_VIEW_HEATMAP;
  return self->matrix_view;
}

LkView
lk_window_get_view (LkWindow *self)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_strcmp0 (page, pages[i].name) == 0)
      return pages[i].view;
  return LK_VIEW_HEATMAP;
}

void
lk_window_set_view (LkWindow *self, LkView view)
{
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (pages[i].view == view)
      adw_view_stack_set_visible_child_name (self->view_stack, pages[i].name);
}

/* ---- inputs and settings ---- */

static void
on_inputs_changed (LkWindow *self)
{
  LkInputMode mode = lk_input_pane_get_mode (self->input_pane);

  if ((LkInputMode) g_settings_get_enum (self->settings, "input-mode") != mode)
    g_settings_set_enum (self->settings, "input-mode", mode);
  lk_window_refresh_results (self);
}

/* Switching to images with a text model selected: the first image–text
 * model installed is chosen (and the text model comes back with texts),
 * or the toast says what is needed, instead of a choice that can only fail
 * at Explain. */
static void
offer_model_for_mode (LkWindow *self, LkInputMode mode)
{
  g_auto(GStrv) folders = lk_settings_dup_model_folders (lk_settings_get_default ());
  g_autoptr(GPtrArray) models = lk_model_store_list ((const char * const *) folders, NULL);
  const char *current = lk_model_chooser_get_model (self->model_chooser);
  LkModelKind kind = LK_MODEL_KIND_UNKNOWN;
  const char *image_model = NULL;
  g_autofree char *message = NULL;

  for (guint i = 0; models && i < models->len; i++)
    {
      LkModelInfo *m = g_ptr_array_index (models, i);
      const char *name = m->revision ? m->id : m->path;
      LkModelKind k = m->kind;

      if (g_strcmp0 (name, current) == 0)
        kind = k;
      if (k == LK_MODEL_KIND_IMAGE_TEXT && image_model == NULL)
        image_model = name;
    }
  if (mode == LK_INPUT_IMAGE_CAPTION && kind == LK_MODEL_KIND_TEXT)
    {
      if (image_model == NULL)
        {
          lk_window_toast (self, _("Images need an image–text model such as CLIP: add one in the model menu"));
          return;
        }
      g_free (self->text_model);
      self->text_model = g_strdup (current);
      lk_model_chooser_set_model (self->model_chooser, image_model);
      message = g_strdup_printf (_("Using %s for images"), image_model);
      lk_window_toast (self, message);
    }
  else if (mode == LK_INPUT_TEXT_PAIR && kind == LK_MODEL_KIND_IMAGE_TEXT && self->text_model)
    {
      lk_model_chooser_set_model (self->model_chooser, self->text_model);
      g_clear_pointer (&self->text_model, g_free);
    }
}

static void update_method_availability (LkWindow *self);

static void
on_settings_changed (LkWindow *self, const char *key)
{
  if (g_str_equal (key, "input-mode"))
    {
      lk_input_pane_set_mode (self->input_pane, g_settings_get_enum (self->settings, "input-mode"));
      offer_model_for_mode (self, g_settings_get_enum (self->settings, "input-mode"));
      update_method_availability (self);
      {
        /* A method without an image form gives way to the default one. */
        const LkMethodInfo *m = lk_method_info_find (lk_method_chooser_get_method (self->method_chooser));
        if (g_settings_get_enum (self->settings, "input-mode") == LK_INPUT_IMAGE_CAPTION && m &&
            !(m->inputs & LK_INPUTS_IMAGE_CAPTION))
          g_settings_set_string (self->settings, "method", lk_method_to_string (lk_method_default ()));
      }
    }
  else if (g_str_equal (key, "palette") || g_str_equal (key, "merge-subwords") || g_str_equal (key, "show-specials")
           || g_str_equal (key, "show-prompts") || g_str_equal (key, "alignment-top-k") || g_str_equal (key, "saliency-opacity"))
    apply_render_options (self);
  else if (g_str_equal (key, "method-params")
           || g_str_equal (key, "method"))
    lk_window_refresh_results (self);
  else if (g_str_equal (key, "device") || g_str_equal (key, "threads"))
    g_clear_pointer (&self->model_name, g_free);   /* reload with the new options next time */
}

/* The methods that cannot apply are insensitive in the chooser, with the
 * reason in place of their description: those without an image form in
 * image mode, and Aspects for a model with neither layout nor head. */
static void
update_method_availability (LkWindow *self)
{
  gboolean image = g_settings_get_enum (self->settings, "input-mode") == LK_INPUT_IMAGE_CAPTION;
  guint n;
  const LkMethodInfo *all = lk_method_infos (&n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *why = NULL;

      if (image && !(all[i].inputs & LK_INPUTS_IMAGE_CAPTION))
        /* Translators: %s is a method's name */
        why = g_strdup_printf (_("%s compares two texts: switch to Texts"), lk_method_title (all[i].name));
      else if (all[i].method == LK_METHOD_ASPECTS && self->aspects_unavailable)
        why = g_strdup (_("This model has no aspect layout and no aspect head: "
                          "likeness-cli train-aspects --head trains one"));
      lk_method_chooser_set_available (self->method_chooser, all[i].name, why == NULL, why);
    }
}

static void
on_aspects_checked (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(LkWindow) self = data;
  g_autoptr(GError) error = NULL;
  gboolean available = lk_aspects_available_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->disposed)
    return;
  g_clear_object (&self->aspects_cancellable);
  /* A model that is not installed yet cannot be judged: Explain says what
   * is missing, so the method stays open. */
  if (error != NULL)
    available = TRUE;
  self->aspects_unavailable = !available;
  update_method_availability (self);
}

/* Aspects need the model's own layout or a head for its weights
 * (lk-aspects.h): decided off the main thread (hashing the weights the
 * first time takes a moment), for the chosen model. */
static void
check_aspects (LkWindow *self)
{
  const char *model = lk_model_chooser_get_model (self->model_chooser);

  if (self->aspects_cancellable)
    g_cancellable_cancel (self->aspects_cancellable);
  g_clear_object (&self->aspects_cancellable);
  if (model == NULL || *model == '\0')
    return;
  self->aspects_cancellable = g_cancellable_new ();
  lk_aspects_available_async (model, self->aspects_cancellable, on_aspects_checked, g_object_ref (self));
}

/* The chosen model's prompts, read from its folder (not loaded: that
 * waits for Explain), so that the prompt choosers show before it runs. */
static void
on_prompts_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(LkWindow) self = data;
  g_autofree char *dir = lk_model_store_resolve_finish (result, NULL);
  g_auto(GStrv) names = NULL;
  g_autofree char *def = NULL;

  if (self->disposed || g_strcmp0 (self->prompts_for, lk_model_chooser_get_model (self->model_chooser)) != 0)
    return;
  self->prompts_pending = FALSE;
  if (dir == NULL || !lk_model_read_prompts (dir, &names, &def, NULL))
    names = g_new0 (char *, 1);
  lk_input_pane_set_prompt_names (self->input_pane, (const char *const *) names, def);
  if (self->restoring)
    {
      g_autoptr(LkSession) session = g_steal_pointer (&self->restoring);
      lk_window_finish_session (self, session);
    }
}

static void
check_prompts (LkWindow *self)
{
  const char *model = lk_model_chooser_get_model (self->model_chooser);

  g_free (self->prompts_for);
  self->prompts_for = g_strdup (model);
  if (model == NULL || *model == '\0')
    {
      self->prompts_pending = FALSE;
      lk_input_pane_set_prompt_names (self->input_pane, NULL, NULL);
      return;
    }
  self->prompts_pending = TRUE;
  lk_model_store_resolve_async (model, FALSE, NULL, NULL, NULL, on_prompts_resolved, g_object_ref (self));
}

static void
on_model_changed (LkWindow *self)
{
  check_aspects (self);
  check_prompts (self);
  lk_window_refresh_results (self);
}

/* ---- the method setting ---- */

/* The setting is a string, not an enum listing the methods: the registry is
 * the one list, and a name it does not know (an older or newer version's)
 * reads as its default method rather than as an error. */
static const char *
known_method (const char *name)
{
  if (name != NULL && lk_method_info_find (name) != NULL)
    return name;
  return lk_method_to_string (lk_method_default ());
}

char *
lk_window_dup_method (LkWindow *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "method");

  return g_strdup (known_method (name));
}

static gboolean
method_from_setting (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_string (value, known_method (g_variant_get_string (variant, NULL)));
  return TRUE;
}

static GVariant *
method_to_setting (const GValue *value, const GVariantType *type, gpointer user_data)
{
  return g_variant_new_string (known_method (g_value_get_string (value)));
}

/* ---- actions ---- */

static void
explain_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_explain (LK_WINDOW (widget));
}

static void
cancel_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_cancel (LK_WINDOW (widget));
}

static void
open_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_open_dialog (LK_WINDOW (widget));
}

static void
save_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_save_dialog (LK_WINDOW (widget), g_str_equal (action, "win.save-as"));
}

static void
export_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_export_dialog (LK_WINDOW (widget), g_str_equal (action, "win.export-report"));
}

static void
copy_figure_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_copy_figure (LK_WINDOW (widget));
}

/* The result on screen is kept aside; Compare then shows it beside the
 * result on screen at that time. */
static void
pin_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  g_autofree char *message = NULL;

  if (self->current == NULL)
    return;
  g_set_object (&self->pinned, self->current);
  message = g_strdup_printf (_("%s pinned: explain with another method or model, then Compare"),
                             lk_method_title (lk_explanation_get_method (self->pinned)));
  lk_window_toast (self, message);
  lk_window_update_actions (self);
}

static void
compare_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  if (self->current == NULL || self->pinned == NULL)
    return;
  gtk_window_present (GTK_WINDOW (lk_compare_window_new (GTK_WINDOW (self), self->pinned, self->current)));
}

/* F1: the help, at the page for what is on screen (Details: the methods). */
static void
help_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  const char *page = g_strcmp0 (lk_window_get_visible_view (self), "details") == 0 ? "methods" : "views";

  gtk_window_present (lk_help_window_new (GTK_WINDOW (self), page));
}

static void
dismiss_error_action (GtkWidget *widget, const char *action, GVariant *param)
{
  gtk_revealer_set_reveal_child (LK_WINDOW (widget)->error_revealer, FALSE);
}

gboolean
lk_window_get_error_over_result (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  return gtk_revealer_get_reveal_child (self->error_revealer);
}

/* The export toast's Open: the file in the desktop's viewer for its type. */
static void
open_file_action (GtkWidget *widget, const char *action, GVariant *param)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  g_autofree char *uri = g_file_get_uri (file);

  gtk_show_uri (GTK_WINDOW (widget), uri, GDK_CURRENT_TIME);
}

static void
zoom_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  if (g_str_equal (action, "win.zoom-in"))
    on_zoom_step (self, 1);
  else if (g_str_equal (action, "win.zoom-out"))
    on_zoom_step (self, -1);
  else
    set_zoom (self, 1.0);
}

static void
show_view_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_set_visible_view (LK_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
download_model_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  lk_model_chooser_download (self->model_chooser, lk_model_chooser_get_model (self->model_chooser));
  lk_window_toast (self, _("Downloading the model; the model menu shows the progress"));
}

/* ---- the audit ---- */

static void
on_audit_open_result (LkWindow *self, LkExplanation *x)
{
  lk_window_show_explanation (self, x, NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "pair");
  lk_window_update_actions (self);
}

static void
on_audit_error (LkWindow *self, const char *message)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  lk_window_toast (self, message);
}

static void
on_audit_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(LkWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!lk_audit_view_open_finish (LK_AUDIT_VIEW (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !self->disposed)
        {
          GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Could Not Open the Audit"), NULL);
          adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog), "%s\n\n%s",
                                          _("Nothing was changed."), error->message);
          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
          g_free (self->last_error);
          self->last_error = g_strdup (error->message);
          gtk_window_present (GTK_WINDOW (dialog));
        }
    }
  else
    g_clear_pointer (&self->last_error, g_free);
  /* Back to the pair when there is no audit to show (the first one failed). */
  if (!self->disposed && lk_audit_view_get_file (LK_AUDIT_VIEW (source)) == NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "pair");
  g_clear_object (&self->audit_cancellable);
  if (!self->disposed)
    lk_window_update_actions (self);
}

void
lk_window_open_audit (LkWindow *self, GFile *file)
{
  g_return_if_fail (LK_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->audit_cancellable)
    g_cancellable_cancel (self->audit_cancellable);
  g_clear_object (&self->audit_cancellable);
  self->audit_cancellable = g_cancellable_new ();
  lk_audit_view_open_async (self->audit_view, file, self->audit_cancellable, on_audit_opened, g_object_ref (self));
  /* The audit page shows that the run is being read. */
  gtk_stack_set_visible_child_name (self->main_stack, "audit");
  lk_window_update_actions (self);
}

LkAuditView *
lk_window_get_audit_view (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->audit_view;
}

const char *
lk_window_get_verdict_badge (LkWindow *self, const char **reading)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  if (reading)
    *reading = gtk_widget_get_tooltip_text (GTK_WIDGET (self->verdict_badge));
  return gtk_label_get_label (self->verdict_badge);
}

const char *
lk_window_get_page (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* Between the pair and the audit it came from, either way. */
static void
back_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  if (lk_audit_view_get_file (self->audit_view) == NULL)
    return;
  gtk_stack_set_visible_child_name (self->main_stack,
                                    g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "audit") == 0
                                    ? "pair" : "audit");
}

static void
open_audit_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_window_open_audit_dialog (LK_WINDOW (widget), g_str_equal (action, "win.open-audit-folder"));
}

static void
focus_text_action (GtkWidget *widget, const char *action, GVariant *param)
{
  lk_input_pane_focus_text (LK_WINDOW (widget)->input_pane, g_variant_get_uint32 (param));
}

/* ---- GObject ---- */

/* Stateful actions straight from GSettings: the header bar's input mode,
 * the options bar's toggles and the method shortcuts. */
static const char * const settings_actions[] = { "input-mode", "merge-subwords", "show-specials", "show-prompts", "method" };

static void
lk_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, lk_window_get_busy (LK_WINDOW (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_window_dispose (GObject *object)
{
  LkWindow *self = LK_WINDOW (object);

  self->disposed = TRUE;
  g_clear_handle_id (&self->narrow_idle, g_source_remove);
  if (self->aspects_cancellable)
    g_cancellable_cancel (self->aspects_cancellable);
  g_clear_object (&self->aspects_cancellable);
  if (self->audit_cancellable)
    g_cancellable_cancel (self->audit_cancellable);
  lk_window_explain_dispose (self);
  /* Removed while the window's action group is alive, so that a settings
   * change never reaches a finalized group. */
  for (guint i = 0; i < G_N_ELEMENTS (settings_actions); i++)
    g_action_map_remove_action (G_ACTION_MAP (self), settings_actions[i]);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_WINDOW);
  g_clear_object (&self->current);
  g_clear_object (&self->pinned);
  g_clear_object (&self->model);
  g_clear_object (&self->session_file);
  G_OBJECT_CLASS (lk_window_parent_class)->dispose (object);
}

static void
lk_window_finalize (GObject *object)
{
  LkWindow *self = LK_WINDOW (object);

  g_hash_table_unref (self->cache);
  g_free (self->model_name);
  g_free (self->load_name);
  g_free (self->prompts_for);
  g_clear_object (&self->restoring);
  g_free (self->current_key);
  g_free (self->last_toast_file);
  g_free (self->last_error);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (lk_window_parent_class)->finalize (object);
}

/* Below this width the header's labels would be cut ("all-Mi…"): the mode
 * toggles keep their icons (their names and tooltips stay) and the title
 * goes, which leaves the model and method their names. libadwaita 1.2 has
 * no breakpoints, so the window decides after its allocation, in an idle
 * (changing children while allocating would ask for another allocation
 * inside this one); the margin keeps it from flickering at the edge. */
#define NARROW_WIDTH 1000
#define NARROW_MARGIN 24

static gboolean
apply_narrow (gpointer data)
{
  LkWindow *self = LK_WINDOW (data);
  int width = gtk_widget_get_width (GTK_WIDGET (self));

  self->narrow_idle = 0;
  if (self->narrow ? width > NARROW_WIDTH + NARROW_MARGIN : width < NARROW_WIDTH)
    {
      self->narrow = !self->narrow;
      adw_button_content_set_label (self->texts_content, self->narrow ? "" : _("_Texts"));
      adw_button_content_set_label (self->image_content, self->narrow ? "" : _("_Image"));
      gtk_widget_set_visible (GTK_WIDGET (self->window_title), !self->narrow);
    }
  return G_SOURCE_REMOVE;
}

static void
lk_window_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  LkWindow *self = LK_WINDOW (widget);

  GTK_WIDGET_CLASS (lk_window_parent_class)->size_allocate (widget, width, height, baseline);
  if (self->narrow_idle == 0 &&
      (self->narrow ? width > NARROW_WIDTH + NARROW_MARGIN : width < NARROW_WIDTH))
    self->narrow_idle = g_idle_add (apply_narrow, self);
}

gboolean
lk_window_get_narrow (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  return self->narrow;
}

static void
lk_window_class_init (LkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lk_window_get_property;
  object_class->dispose = lk_window_dispose;
  object_class->finalize = lk_window_finalize;
  widget_class->size_allocate = lk_window_size_allocate;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (LK_TYPE_MODEL_CHOOSER);
  g_type_ensure (LK_TYPE_METHOD_CHOOSER);
  g_type_ensure (LK_TYPE_PARAMS_BUTTON);
  g_type_ensure (LK_TYPE_INPUT_PANE);
  g_type_ensure (LK_TYPE_FIGURE_VIEW);
  g_type_ensure (LK_TYPE_DETAILS_VIEW);
  g_type_ensure (LK_TYPE_AUDIT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/likeness/Likeness/lk-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, LkWindow, name)
  BIND (toast_overlay);
  BIND (main_stack);
  BIND (audit_view);
  BIND (audit_button);
  BIND (window_title);
  BIND (model_chooser);
  BIND (method_chooser);
  BIND (input_pane);
  BIND (progress_revealer);
  BIND (spinner);
  BIND (progress_title);
  BIND (progress_eta);
  BIND (progress_bar);
  BIND (results_stack);
  BIND (error_page);
  BIND (error_revealer);
  BIND (error_bar_title);
  BIND (error_bar_label);
  BIND (error_bar_download_button);
  BIND (error_download_button);
  BIND (score_label);
  BIND (score_caption);
  BIND (summary_title);
  BIND (verdict_badge);
  BIND (summary_subtitle);
  BIND (stale_label);
  BIND (view_stack);
  BIND (matrix_view);
  BIND (alignment_view);
  BIND (saliency_view);
  BIND (aspects_view);
  BIND (contrast_view);
  BIND (aspects_stack);
  BIND (details_view);
  BIND (words_button);
  BIND (specials_button);
  BIND (prompts_button);
  BIND (topk_box);
  BIND (opacity_box);
  BIND (selection_label);
  BIND (texts_content);
  BIND (image_content);
  BIND (zoom_box);
  BIND (zoom_button);
  BIND (topk_adjustment);
  BIND (opacity_adjustment);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_inputs_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_visible_view_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_audit_open_result);
  gtk_widget_class_bind_template_callback (widget_class, on_audit_error);

  gtk_widget_class_install_action (widget_class, "win.explain", NULL, explain_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.save-as", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-report", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.copy-figure", NULL, copy_figure_action);
  gtk_widget_class_install_action (widget_class, "win.pin", NULL, pin_action);
  gtk_widget_class_install_action (widget_class, "win.compare", NULL, compare_action);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s", open_file_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, dismiss_error_action);
  gtk_widget_class_install_action (widget_class, "win.help", NULL, help_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-reset", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.download-model", NULL, download_model_action);
  gtk_widget_class_install_action (widget_class, "win.focus-text", "u", focus_text_action);
  gtk_widget_class_install_action (widget_class, "win.open-audit", NULL, open_audit_action);
  gtk_widget_class_install_action (widget_class, "win.open-audit-folder", NULL, open_audit_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
}

static void
add_settings_actions (LkWindow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings_actions); i++)
    {
      g_autoptr(GAction) action = g_settings_create_action (self->settings, settings_actions[i]);
      g_action_map_add_action (G_ACTION_MAP (self), action);
    }
}

static void setup_shortcuts_window (LkWindow *self);

static void
on_application_changed (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  setup_shortcuts_window (LK_WINDOW (object));
}

static void
lk_window_init (LkWindow *self)
{
  const LkExamplePair *sample = lk_example_pairs ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->settings = g_object_ref (lk_settings_get_gsettings (lk_settings_get_default ()));
  self->zoom = 1.0;

  add_settings_actions (self);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "method", self->method_chooser, "method", G_SETTINGS_BIND_DEFAULT,
                                method_from_setting, method_to_setting, NULL, NULL);
  g_settings_bind (self->settings, "model", self->model_chooser, "model", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "alignment-top-k", self->topk_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "saliency-opacity", self->opacity_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->settings, "changed", G_CALLBACK (on_settings_changed), self);
  g_signal_connect_swapped (self->model_chooser, "notify::model", G_CALLBACK (on_model_changed), self);
  g_signal_connect (self, "notify::application", G_CALLBACK (on_application_changed), NULL);

  FOREACH_FIGURE (self, fv)
    {
      g_signal_connect_object (fv, "selection-changed", G_CALLBACK (on_selection_changed), self, 0);
      g_signal_connect_object (fv, "zoom-step", G_CALLBACK (on_zoom_step), self, G_CONNECT_SWAPPED);
    }
  lk_input_pane_set_mode (self->input_pane, g_settings_get_enum (self->settings, "input-mode"));
  update_method_availability (self);
  lk_input_pane_set_text (self->input_pane, 0, sample[0].a);
  lk_input_pane_set_text (self->input_pane, 1, sample[0].b);
  apply_render_options (self);
  set_zoom (self, 1.0);
  on_visible_view_changed (self);
  check_aspects (self);
  check_prompts (self);
  lk_window_update_actions (self);
  if (g_strcmp0 (PROFILE, "") != 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

/* The shortcuts window: the .ui file holds every shortcut but the methods',
 * which come from the accelerators the application gave "win.method::NAME"
 * (lk-application.c, in the registry's order), so that neither the list of
 * methods nor their keys is written twice. */
static void
setup_shortcuts_window (LkWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autoptr(GBytes) bytes = g_resources_lookup_data ("/io/github/likeness/Likeness/lk-shortcuts-window.ui", 0, NULL);
  g_autoptr(GString) ui = NULL;
  g_autoptr(GString) methods = g_string_new (NULL);
  g_autoptr(GtkBuilder) builder = NULL;
  const LkMethodInfo *all;
  guint n;
  gsize size, at;
  const char *data, *marker, *end;

  /* "application" is set after construction, and again if the window
   * moves; the keys are the application's. */
  if (app == NULL || bytes == NULL)
    return;
  data = g_bytes_get_data (bytes, &size);
  ui = g_string_new_len (data, size);
  all = lk_method_infos (&n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *action = g_strdup_printf ("win.method::%s", all[i].name);
      g_auto(GStrv) keys = gtk_application_get_accels_for_action (app, action);
      g_autofree char *title = NULL, *accel = NULL;

      if (keys == NULL || keys[0] == NULL)
        continue;
      title = g_markup_escape_text (lk_method_title (all[i].name), -1);
      accel = g_markup_escape_text (keys[0], -1);
      g_string_append_printf (methods,
                              "<child><object class=\"GtkShortcutsShortcut\">"
                              "<property name=\"title\">%s</property>"
                              "<property name=\"accelerator\">%s</property>"
                              "</object></child>", title, accel);
    }
  /* The marker is a comment, so the file stays valid on its own. */
  marker = strstr (ui->str, "<!-- lk-methods");
  end = marker ? strstr (marker, "-->") : NULL;
  if (end == NULL)
    {
      g_critical ("lk-shortcuts-window.ui has no lk-methods marker");
      return;
    }
  at = marker - ui->str;
  g_string_erase (ui, at, end + strlen ("-->") - marker);
  g_string_insert (ui, at, methods->str);
  builder = gtk_builder_new ();
  gtk_builder_set_translation_domain (builder, GETTEXT_PACKAGE);
  if (!gtk_builder_add_from_string (builder, ui->str, ui->len, NULL))
    return;
  gtk_application_window_set_help_overlay (GTK_APPLICATION_WINDOW (self),
                                           GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay")));
}

LkWindow *
lk_window_new (GtkApplication *application)
{
  return g_object_new (LK_TYPE_WINDOW, "application", application, NULL);
}

/* ---- accessors ---- */

LkExplanation *
lk_window_get_explanation (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->current;
}

const char *
lk_window_get_last_error (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->last_error;
}

gboolean
lk_window_get_stale (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), FALSE);
  return gtk_widget_get_visible (self->stale_label);
}

LkInputPane *
lk_window_get_input_pane (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->input_pane;
}

LkModelChooser *
lk_window_get_model_chooser (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->model_chooser;
}

LkMethodChooser *
lk_window_get_method_chooser (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->method_chooser;
}

LkFigureView *
lk_window_get_figure_view (LkWindow *self, LkView view)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return figure_view (self, view);
}

LkDetailsView *
lk_window_get_details_view (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return self->details_view;
}

const char *
lk_window_get_visible_view (LkWindow *self)
{
  g_return_val_if_fail (LK_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

void
lk_window_set_visible_view (LkWindow *self, const char *name)
{
  GtkWidget *page;

  g_return_if_fail (LK_IS_WINDOW (self));
  /* A hidden page (the ranking contrast without a contrast) stays hidden. */
  if ((page = adw_view_stack_get_child_by_name (self->view_stack, name)) &&
      adw_view_stack_page_get_visible (adw_view_stack_get_page (self->view_stack, page)))
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}
