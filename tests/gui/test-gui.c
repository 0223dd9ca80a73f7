/* test-gui.c — the desktop app under a headless display: explain the
 * sample, type texts, run every method on the real default model, check
 * each view, export, save and reopen a session, cancel a running job, load
 * an example photo; a PNG of the window for each view is kept in
 * tests/artifacts/. */
#include "config.h"

#include <string.h>

#include <math.h>
#include <unistd.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "lk-application.h"
#include "lk-compare-window.h"
#include "lk-error.h"
#include "lk-image.h"
#include "lk-method-chooser.h"
#include "lk-method-info.h"
#include "lk-params-button.h"
#include "lk-model-store.h"
#include "lk-methods.h"
#include "lk-preferences-window.h"
#include "lk-render.h"
#include "lk-settings.h"
#include "lk-window.h"

static LkApplication *app;
static LkWindow *win;
static char *artifacts;
static char *workdir;

/* ---- helpers ---- */

typedef gboolean (*Condition) (gpointer data);

/* Runs what is pending now (a destroyed window's idle work), without
 * waiting on the clock. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
wait_for (Condition condition, gpointer data, double timeout, const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout * G_USEC_PER_SEC);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("timed out after %.0f s waiting for %s", timeout, what);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
    }
}

static gboolean
idle_window (gpointer data)
{
  return !lk_window_get_busy (LK_WINDOW (data));
}

static void
wait_idle (LkWindow *w)
{
  wait_for (idle_window, w, 900, "the window to finish its work");
}

static void
on_after_paint (GdkFrameClock *clock, gboolean *painted)
{
  *painted = TRUE;
}

/* Iterates until a frame was painted after this call: layout and drawing
 * of what just changed, however slow the machine. */
static void
wait_for_paint (GtkWidget *widget, gint64 end, const char *name)
{
  gboolean painted = FALSE;
  GdkFrameClock *clock = NULL;
  gulong id = 0;

  while (!painted)
    {
      if (g_get_monotonic_time () > end)
        g_error ("screenshot %s: no frame painted in time (mapped %d, %d × %d)", name,
                 gtk_widget_get_mapped (widget), gtk_widget_get_width (widget), gtk_widget_get_height (widget));
      if (clock == NULL && gtk_widget_get_mapped (widget) && (clock = gtk_widget_get_frame_clock (widget)))
        {
          id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
          gtk_widget_queue_draw (widget);
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  g_signal_handler_disconnect (clock, id);
}

/* The widget's content as a render node, once it has any. */
static GskRenderNode *
widget_node (GtkWidget *widget, gint64 end, const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);

  for (;;)
    {
      int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
      GskRenderNode *node = NULL;

      if (width > 0 && height > 0)
        {
          GtkSnapshot *snap = gtk_snapshot_new ();
          gdk_paintable_snapshot (paintable, snap, width, height);
          node = gtk_snapshot_free_to_node (snap);
        }
      if (node)
        return node;
      if (g_get_monotonic_time () > end)
        g_error ("screenshot %s: the widget drew nothing (%d × %d)", name, width, height);
      wait_for_paint (widget, end, name);
    }
}

static void
snapshot_widget (GtkWidget *widget, const char *name)
{
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (artifacts, file, NULL);
  /* Generous: a loaded machine is slow, not wrong. */
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  wait_for_paint (widget, end, name);
  node = widget_node (widget, end, name);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                              gtk_widget_get_height (widget)));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

static void
snapshot (const char *name)
{
  snapshot_widget (GTK_WIDGET (win), name);
}

static void
set_texts (const char *a, const char *b)
{
  LkInputPane *pane = lk_window_get_input_pane (win);

  lk_input_pane_set_text (pane, 0, a);
  lk_input_pane_set_text (pane, 1, b);
}

static GSettings *
settings (void)
{
  return lk_settings_get_gsettings (lk_settings_get_default ());
}

static void
set_param (LkMethod method, LkParam param, double value)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_settings_set_param (lk_settings_get_default (), method, param, value, &error));
  g_assert_no_error (error);
}

static void
check_views_hold (LkExplanation *x)
{
  for (LkView v = LK_VIEW_HEATMAP; v <= LK_VIEW_ASPECTS; v++)
    {
      LkFigureView *fv = lk_window_get_figure_view (win, v);
      g_assert_true (lk_figure_view_get_explanation (fv) == x);
    }
  g_assert_true (lk_details_view_get_explanation (lk_window_get_details_view (win)) == x);
  g_assert_nonnull (lk_details_view_lookup (lk_window_get_details_view (win), "Similarity"));
}

static LkExplanation *
explain_with (const char *method)
{
  LkExplanation *x;

  g_settings_set_string (settings (), "method", method);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
  wait_idle (win);
  if (lk_window_get_last_error (win))
    g_error ("explaining with %s failed: %s", method, lk_window_get_last_error (win));
  x = lk_window_get_explanation (win);
  g_assert_nonnull (x);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, method);
  g_assert_false (lk_window_get_stale (win));
  return x;
}

static gboolean
mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static LkWindow *
open_window (void)
{
  LkWindow *w = lk_window_new (GTK_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (w), 1180, 760);
  gtk_window_present (GTK_WINDOW (w));
  wait_for (mapped, w, 30, "the window to map");
  return w;
}

/* ---- tests ---- */

static void
test_startup (void)
{
  LkExplanation *x;
  g_autofree char *a = NULL;

  win = open_window ();
  a = lk_input_pane_dup_text (lk_window_get_input_pane (win), 0);
  g_assert_cmpstr (a, ==, "The coffee is bad.");
  /* What activate does: the sample pair with the default model and BiLRP. */
  lk_window_explain (win);
  g_assert_true (lk_window_get_busy (win));
  wait_idle (win);
  x = lk_window_get_explanation (win);
  if (x == NULL)
    g_error ("no explanation at startup: %s", lk_window_get_last_error (win));
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "bilrp");
  g_assert_cmpstr (json_object_get_string_member (lk_explanation_get_model (x), "id"), ==,
                   "sentence-transformers/all-MiniLM-L6-v2");
  check_views_hold (x);
  /* The verdict at a glance, and the report's reading of it on hover. */
  {
    const char *reading = NULL;
    g_assert_cmpstr (lk_window_get_verdict_badge (win, &reading), ==, lk_verdict_title (lk_explanation_get_verdict (x, NULL)));
    g_assert_nonnull (reading);
    g_assert_nonnull (strstr (reading, "%"));
  }
  /* The model menu lists the cache, where the default model is. */
  lk_model_chooser_refresh (lk_window_get_model_chooser (win));
  g_assert_cmpuint (lk_model_chooser_get_n_models (lk_window_get_model_chooser (win)), >=, 1);
  snapshot ("startup-matrix");
}

static void
test_type (void)
{
  LkInputPane *pane = lk_window_get_input_pane (win);
  g_autofree char *long_text = NULL;
  g_autofree char *b = NULL;
  GString *s = g_string_new (NULL);

  /* New texts: the shown result is out of date, the counts follow. */
  set_texts ("A man is playing a guitar.", "Someone plays");
  g_assert_true (lk_window_get_stale (win));
  lk_input_pane_set_text (pane, 1, "Someone plays an instrument.");
  b = lk_input_pane_dup_text (pane, 1);
  g_assert_cmpstr (b, ==, "Someone plays an instrument.");
  g_assert_cmpstr (lk_input_pane_get_count_label (pane, 0), ==, "9 tokens");
  g_assert_cmpstr (lk_input_pane_get_count_label (pane, 1), ==, "7 tokens");

  /* Over max_seq_length (256): a warning says how much is used. */
  for (int i = 0; i < 300; i++)
    g_string_append (s, "word ");
  long_text = g_string_free (s, FALSE);
  lk_input_pane_set_text (pane, 0, long_text);
  g_assert_nonnull (strstr (lk_input_pane_get_count_label (pane, 0), "only the first 256"));
  snapshot ("inputs-truncated");
  lk_input_pane_set_text (pane, 0, "A man is playing a guitar.");
}

static void
test_methods (void)
{
  static const char * const methods[] = { "bilrp", "hxp", "align", "ij" };
  static const char * const pages[] = { "matrix", "alignment", "saliency", "aspects", "details" };

  /* A few IJ nodes keep the test short. */
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 2);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      LkExplanation *x = explain_with (methods[i]);
      check_views_hold (x);
      for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
        {
          g_autofree char *name = g_strdup_printf ("%s-%s", methods[i], pages[p]);
          /* Every view of BiLRP; the matrix and details of the others. */
          if (i > 0 && p != 0 && p != 4 && !(i == 2 && p == 1))
            continue;
          lk_window_set_visible_view (win, pages[p]);
          g_assert_cmpstr (lk_window_get_visible_view (win), ==, pages[p]);
          snapshot (name);
        }
      lk_window_set_visible_view (win, "matrix");
    }

  /* A name the registry does not know (another version's) reads as the
   * default method (lk_method_default, the CLI's too), in the chooser and in what is explained. */
  {
    const char *first = lk_method_to_string (lk_method_default ());
    LkExplanation *x;

    g_settings_set_string (settings (), "method", "no-such-method");
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
    wait_idle (win);
    g_assert_null (lk_window_get_last_error (win));
    x = lk_window_get_explanation (win);
    g_assert_nonnull (x);
    g_assert_cmpstr (lk_explanation_get_method (x), ==, first);
    g_settings_reset (settings (), "method");
  }
}

static void
test_cache (void)
{
  LkExplanation *x;

  /* Switching back to a method already run shows its result at once. */
  g_settings_set_string (settings (), "method", "bilrp");
  g_assert_false (lk_window_get_busy (win));
  x = lk_window_get_explanation (win);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "bilrp");
  g_assert_false (lk_window_get_stale (win));
  g_settings_set_string (settings (), "method", "align");
  g_assert_cmpstr (lk_explanation_get_method (lk_window_get_explanation (win)), ==, "align");
  g_settings_set_string (settings (), "method", "bilrp");
}

static void
test_highlight (void)
{
  LkFigureView *fv = lk_window_get_figure_view (win, LK_VIEW_HEATMAP);

  /* Selecting a cell highlights it in every view. */
  lk_figure_view_select (fv, 1, 1);
  g_assert_cmpint (lk_figure_view_get_options (lk_window_get_figure_view (win, LK_VIEW_ALIGNMENT))->highlight_a, ==, 1);
  snapshot ("bilrp-matrix-selected");
  lk_figure_view_select (fv, -1, -1);

  /* Zoom. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.zoom-in", NULL));
  g_assert_cmpfloat (lk_figure_view_get_zoom (fv), >, 1.0);
  snapshot ("bilrp-matrix-zoomed");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.zoom-reset", NULL));
  g_assert_cmpfloat (lk_figure_view_get_zoom (fv), ==, 1.0);
}

static void
check_file (const char *path, const char *magic)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 500);
  if (memcmp (data, magic, strlen (magic)) != 0 && strstr (data, magic) == NULL)
    g_error ("%s does not start with %s", path, magic);
}

static void
test_export (void)
{
  static const char * const names[] = { "figure.svg", "figure.png", "figure.pdf", "report.pdf", "report.svg" };
  g_autoptr(GError) error = NULL;

  lk_window_set_visible_view (win, "matrix");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (workdir, names[i], NULL);
      gboolean report = g_str_has_prefix (names[i], "report");

      if (!lk_window_export (win, report, path, 2, &error))
        g_error ("exporting %s: %s", names[i], error->message);
      check_file (path, g_str_has_suffix (path, ".svg") ? "<svg" : g_str_has_suffix (path, ".pdf") ? "%PDF" : "\x89PNG");
    }
  {
    g_autofree char *png = g_build_filename (workdir, "figure.png", NULL);
    g_autofree char *copy = g_build_filename (artifacts, "export-matrix.png", NULL);
    g_autoptr(GdkTexture) t = gdk_texture_new_from_filename (png, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_width (t), >, 100);
    g_assert_true (gdk_texture_save_to_png (t, copy));
  }
  /* An unknown extension is a clear error. */
  {
    g_autofree char *bad = g_build_filename (workdir, "figure.bmp", NULL);
    g_assert_false (lk_window_export (win, FALSE, bad, 1, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  /* The values as CSV, with the toast's Open pointing at the file. */
  {
    g_autofree char *csv = g_build_filename (workdir, "figure.csv", NULL);
    g_autofree char *text = NULL;

    lk_window_export_and_tell (win, FALSE, csv, 2);
    g_assert_cmpstr (lk_window_get_last_toast_file (win), ==, csv);
    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "row,col,text_a,text_b,value\n"));
  }
  /* Copying puts a texture and the SVG on the clipboard. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.copy-figure", NULL));
  {
    GdkContentFormats *formats = gdk_clipboard_get_formats (gtk_widget_get_clipboard (GTK_WIDGET (win)));

    g_assert_true (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE));
    g_assert_true (gdk_content_formats_contain_mime_type (formats, "image/svg+xml"));
  }
}

static char *
explanation_json (LkExplanation *x)
{
  g_autoptr(JsonNode) node = lk_explanation_to_json (x);
  return json_to_string (node, FALSE);
}

static void
test_session (void)
{
  g_autofree char *path = g_build_filename (workdir, "pair.likeness", NULL);
  g_autofree char *bad = g_build_filename (workdir, "bad.likeness", NULL);
  g_autofree char *newer = g_build_filename (workdir, "newer.likeness", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) bad_file = g_file_new_for_path (bad);
  g_autoptr(GFile) newer_file = g_file_new_for_path (newer);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL, *after = NULL, *a = NULL;
  LkExplanation *x;

  x = lk_window_get_explanation (win);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "bilrp");
  before = explanation_json (x);
  g_assert_true (lk_window_save_session (win, file, &error));
  g_assert_no_error (error);

  /* Close and reopen in a fresh window with other texts and method. */
  gtk_window_destroy (GTK_WINDOW (win));
  drain ();
  g_settings_set_string (settings (), "method", "hxp");
  win = open_window ();
  set_texts ("Something else.", "Entirely.");
  g_assert_true (lk_window_open_session (win, file, &error));
  g_assert_no_error (error);
  g_assert_false (lk_window_get_busy (win));
  a = lk_input_pane_dup_text (lk_window_get_input_pane (win), 0);
  g_assert_cmpstr (a, ==, "A man is playing a guitar.");
  x = lk_window_get_explanation (win);
  g_assert_nonnull (x);
  after = explanation_json (x);
  g_assert_cmpstr (before, ==, after);
  check_views_hold (x);
  /* The other methods came back too: switching is instant. */
  g_settings_set_string (settings (), "method", "align");
  g_assert_cmpstr (lk_explanation_get_method (lk_window_get_explanation (win)), ==, "align");
  g_settings_set_string (settings (), "method", "bilrp");
  snapshot ("session-reopened");

  /* A corrupt file and a newer one change nothing. */
  g_assert_true (g_file_set_contents (bad, "{ \"schema\": \"likeness.session/1\", \"inputs\": 3 ", -1, NULL));
  g_assert_false (lk_window_open_session (win, bad_file, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (newer, "{ \"schema\": \"likeness.session/7\" }", -1, NULL));
  g_assert_false (lk_window_open_session (win, newer_file, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_free (a);
  a = lk_input_pane_dup_text (lk_window_get_input_pane (win), 0);
  g_assert_cmpstr (a, ==, "A man is playing a guitar.");
  g_assert_true (lk_window_get_explanation (win) == x);
}

static gboolean
progressing (gpointer data)
{
  return !lk_window_get_busy (win) || g_get_monotonic_time () > *(gint64 *) data;
}

static void
test_cancel (void)
{
  LkExplanation *before = lk_window_get_explanation (win);
  gint64 until;

  /* Long enough on any machine (1000 nodes × ~60 tokens a side, minutes)
   * that it is still running when Cancel is pressed. */
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 1000);
  g_settings_set_string (settings (), "method", "ij");
  set_texts ("The weather is lovely today, with a clear blue sky over the old harbour, a light breeze from "
             "the sea, children playing on the beach, fishermen mending their nets on the quay and the "
             "smell of fresh bread drifting from the bakery at the corner of the market square.",
             "It is a beautiful sunny day in the small coastal town: the sky is clear, the wind is soft, "
             "families walk along the shore, boats rock gently in the port and the cafés around the "
             "square are full of people enjoying coffee and pastries in the warm afternoon light.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
  g_assert_true (lk_window_get_busy (win));
  until = g_get_monotonic_time () + 1500000;
  wait_for (progressing, &until, 30, "the job to run a moment");
  g_assert_true (lk_window_get_busy (win));
  snapshot ("cancel-progress");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.cancel", NULL));
  wait_for (idle_window, win, 120, "the job to stop after Cancel");
  g_assert_cmpstr (lk_window_get_last_error (win), ==, "Explanation cancelled");
  g_assert_true (lk_window_get_explanation (win) == before);
  g_assert_true (lk_window_get_stale (win));
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 2);
  g_settings_set_string (settings (), "method", "bilrp");
}

static void
test_image_mode (void)
{
  LkModelChooser *chooser = lk_window_get_model_chooser (win);
  g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));
  g_autofree char *image = g_test_build_filename (G_TEST_DIST, "golden", "clip", "exif6.jpg", NULL);
  g_autofree char *clip = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
  LkExplanation *x;
  JsonObject *map;

  g_settings_set_string (settings (), "input-mode", "image-caption");
  /* An image that cannot be read is said when it is chosen: a truncated
   * JPEG, and a text file named .png. */
  {
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autofree char *cut = g_build_filename (workdir, "truncated.jpg", NULL);
    g_autofree char *text = g_build_filename (workdir, "not-an-image.png", NULL);

    g_assert_true (g_file_get_contents (image, &data, &len, NULL));
    g_assert_true (g_file_set_contents (cut, data, (gssize) len / 2, NULL));
    g_assert_true (g_file_set_contents (text, "hello\n", -1, NULL));
    lk_input_pane_set_image (lk_window_get_input_pane (win), cut);
    g_assert_nonnull (lk_input_pane_get_image_error (lk_window_get_input_pane (win)));
    g_test_message ("truncated: %s", lk_input_pane_get_image_error (lk_window_get_input_pane (win)));
    snapshot ("image-unreadable");
    lk_input_pane_set_image (lk_window_get_input_pane (win), text);
    g_assert_nonnull (lk_input_pane_get_image_error (lk_window_get_input_pane (win)));
  }
  lk_input_pane_set_image (lk_window_get_input_pane (win), image);
  g_assert_null (lk_input_pane_get_image_error (lk_window_get_input_pane (win)));
  /* Switching to images chose the installed image–text model for the text
   * one (and texts give the text model back)... */
  g_assert_cmpstr (lk_model_chooser_get_model (chooser), ==, "likeness-random/clip-vit-base-patch32-random");
  /* Methods without an image form are insensitive, with the reason. */
  g_assert_false (lk_method_chooser_get_available (lk_window_get_method_chooser (win), "align"));
  g_assert_true (lk_method_chooser_get_available (lk_window_get_method_chooser (win), "bilrp"));
  g_assert_true (lk_method_chooser_get_available (lk_window_get_method_chooser (win), "distance"));
  g_settings_set_string (settings (), "input-mode", "text-pair");
  g_assert_cmpstr (lk_model_chooser_get_model (chooser), ==, saved);
  g_assert_true (lk_method_chooser_get_available (lk_window_get_method_chooser (win), "align"));
  g_settings_set_string (settings (), "input-mode", "image-caption");
  /* ...and a text model chosen by hand for an image still gets a clear message. */
  lk_model_chooser_set_model (chooser, saved);
  lk_input_pane_set_caption (lk_window_get_input_pane (win), "a red square on a blue field");

  /* A text model cannot see the image: the message says what is needed. */
  g_settings_set_string (settings (), "method", "distance");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
  wait_idle (win);
  g_assert_nonnull (lk_window_get_last_error (win));
  g_assert_nonnull (strstr (lk_window_get_last_error (win), "CLIP"));
  /* Decided from the model loaded, which the message names. */
  g_assert_nonnull (strstr (lk_window_get_last_error (win), "is a text model"));
  snapshot ("image-mode-text-model");

  /* A (tiny, random-weight) CLIP model: distance masking gives a map at the
   * image's resolution, shown over the photo. */
  lk_model_chooser_set_model (chooser, clip);
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 200);
  x = explain_with ("distance");
  check_views_hold (x);
  map = lk_explanation_get_extra (x, "saliency_map");
  g_assert_nonnull (map);
  g_assert_cmpint (json_object_get_int_member (map, "width"), >, 0);
  g_assert_true (isfinite (lk_explanation_get_score (x, "split_half", NAN)));
  lk_window_set_visible_view (win, "saliency");
  snapshot ("image-distance-saliency");

  /* Patch × word interactions through BiLRP: one row per image token. */
  x = explain_with ("bilrp");
  g_assert_nonnull (lk_explanation_get_extra (x, "image"));
  g_assert_cmpuint (lk_explanation_get_n_tokens (x, 0), >, 1);
  g_assert_cmpuint (lk_explanation_get_matrix (x)->rows, ==, lk_explanation_get_n_tokens (x, 0));
  snapshot ("image-bilrp-saliency");
  /* Clicking a caption word shows the regions that support it; clearing
   * the selection goes back to the strongest word. */
  {
    LkFigureView *fv = lk_window_get_figure_view (win, LK_VIEW_SALIENCY);
    guint last = lk_explanation_get_n_tokens (x, 1) - 2;   /* the last word before the end token */
    int word = (int) lk_explanation_token_word (x, 1, last);

    g_assert_cmpint (lk_figure_view_get_options (fv)->saliency_word, ==, -1);
    lk_figure_view_select (fv, -1, lk_figure_view_get_options (fv)->words ? word : (int) last);
    g_assert_cmpint (lk_figure_view_get_options (fv)->saliency_word, ==, word);
    snapshot ("image-bilrp-saliency-word");
    lk_figure_view_select (fv, -1, -1);
    g_assert_cmpint (lk_figure_view_get_options (fv)->saliency_word, ==, -1);
  }
  lk_window_set_visible_view (win, "matrix");

  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 1000);
  g_settings_set_string (settings (), "method", "bilrp");
  lk_model_chooser_set_model (chooser, saved);
  g_settings_set_string (settings (), "input-mode", "text-pair");
}

/* The first widget under @widget (itself included) of @type and, when
 * @name is not NULL, of that widget name. */
static GtkWidget *
find_widget (GtkWidget *widget, GType type, const char *name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && (name == NULL || g_strcmp0 (gtk_widget_get_name (widget), name) == 0))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, name);
      if (found)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_descendant (GtkWidget *widget, GType type)
{
  return find_widget (widget, type, NULL);
}

/* The menu button whose menu holds @action. */
static GtkMenuButton *
find_menu_button (GtkWidget *widget, const char *action)
{
  if (GTK_IS_MENU_BUTTON (widget))
    {
      GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));
      g_autofree char *first = NULL;

      if (menu && g_menu_model_get_n_items (menu) > 0
          && g_menu_model_get_item_attribute (menu, 0, G_MENU_ATTRIBUTE_ACTION, "s", &first)
          && g_str_equal (first, action))
        return GTK_MENU_BUTTON (widget);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkMenuButton *found = find_menu_button (child, action);
      if (found)
        return found;
    }
  return NULL;
}

/* The Examples menu of image–caption mode: each bundled photo with its
 * caption; choosing one loads it as the file chooser would. */
static void
test_image_examples (void)
{
  LkInputPane *pane = lk_window_get_input_pane (win);
  const LkExampleImage *examples = lk_example_images ();
  g_autofree char *dir = lk_example_images_dir ();
  g_autofree char *path = g_build_filename (dir, examples[0].file, NULL);
  g_autofree char *label = NULL;
  g_autofree char *mode = NULL;
  g_autoptr(LkImage) image = NULL;
  g_autoptr(GError) error = NULL;
  GtkMenuButton *button;
  GMenuModel *menu;
  GtkWidget *picture;
  GdkPaintable *paintable;
  GtkWidget *popover;
  guint n = 0;

  while (examples[n].file)
    n++;
  g_assert_cmpuint (n, >=, 3);
  /* From the build folder: the photos in the source tree. */
  g_assert_true (g_str_has_suffix (dir, "/data/examples"));

  /* Every photo is in the menu, with its caption. */
  button = find_menu_button (GTK_WIDGET (pane), "input.example-image");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));
  menu = gtk_menu_button_get_menu_model (button);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, n);
  g_assert_true (g_menu_model_get_item_attribute (menu, 0, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  g_assert_cmpstr (label, ==, "Coffee  ·  a cup of coffee on a saucer");

  /* From text-pair mode, the first photo: image–caption mode, the photo as
   * the model loads it, its caption. */
  g_assert_cmpint (lk_input_pane_get_mode (pane), ==, LK_INPUT_TEXT_PAIR);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (pane), "input.example-image", "u", 0));
  g_assert_cmpint (lk_input_pane_get_mode (pane), ==, LK_INPUT_IMAGE_CAPTION);
  mode = g_settings_get_string (settings (), "input-mode");
  g_assert_cmpstr (mode, ==, "image-caption");
  g_assert_cmpstr (lk_input_pane_get_image (pane), ==, path);
  g_assert_cmpstr (lk_input_pane_get_caption (pane), ==, "a cup of coffee on a saucer");
  image = lk_image_load (lk_input_pane_get_image (pane), &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 600);
  g_assert_cmpint (image->height, ==, 400);
  picture = find_descendant (GTK_WIDGET (pane), GTK_TYPE_PICTURE);
  g_assert_nonnull (picture);
  paintable = gtk_picture_get_paintable (GTK_PICTURE (picture));
  g_assert_nonnull (paintable);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (paintable), ==, 600);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (paintable), ==, 400);
  snapshot ("image-example");

  gtk_menu_button_popup (button);
  popover = GTK_WIDGET (gtk_menu_button_get_popover (button));
  g_assert_true (gtk_widget_get_visible (popover));
  snapshot_widget (popover, "image-examples-menu");
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* Another photo replaces both. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (pane), "input.example-image", "u", 1));
  g_assert_true (g_str_has_suffix (lk_input_pane_get_image (pane), examples[1].file));
  g_assert_cmpstr (lk_input_pane_get_caption (pane), ==, examples[1].caption);

  /* A FIFO (which would block the preview forever) and a cut photo: no
   * preview, and the pane says why in its place. */
  {
    g_autofree char *tmp = g_dir_make_tmp ("lk-gui-XXXXXX", NULL);
    g_autofree char *fifo = g_build_filename (tmp, "pipe.jpg", NULL);
    g_autofree char *cut = g_build_filename (tmp, "cut.jpg", NULL);
    g_autofree char *data = NULL;
    gsize len;
    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    lk_input_pane_set_image (pane, fifo);
    g_assert_null (gtk_picture_get_paintable (GTK_PICTURE (picture)));
    g_assert_nonnull (strstr (lk_input_pane_get_image_error (pane), "named pipe"));
    g_assert_true (g_file_get_contents (path, &data, &len, NULL));
    g_assert_true (g_file_set_contents (cut, data, len / 2, NULL));
    lk_input_pane_set_image (pane, cut);
    g_assert_null (gtk_picture_get_paintable (GTK_PICTURE (picture)));
    g_assert_nonnull (strstr (lk_input_pane_get_image_error (pane), "truncated"));
    lk_input_pane_set_image (pane, path);
    g_assert_nonnull (gtk_picture_get_paintable (GTK_PICTURE (picture)));
    g_assert_null (lk_input_pane_get_image_error (pane));
    g_unlink (fifo);
    g_unlink (cut);
    g_rmdir (tmp);
  }

  g_settings_set_string (settings (), "input-mode", "text-pair");
  g_assert_cmpint (lk_input_pane_get_mode (pane), ==, LK_INPUT_TEXT_PAIR);
}

/* Distance masking on the texts, and an aspect decomposition with a layout
 * put next to the real MiniLM (an untrained aspect space: its shares still
 * add up to the similarity). */
static void
test_distance_aspects (void)
{
  LkModelChooser *chooser = lk_window_get_model_chooser (win);
  g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));
  g_autofree char *folder = g_build_filename (workdir, "minilm-aspects", NULL);
  g_autofree char *layout = g_build_filename (folder, "likeness_aspects.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *minilm = NULL;
  const char *name;
  LkExplanation *x;
  JsonObject *root;
  JsonArray *aspects;
  double sum;

  set_texts ("A man is playing a guitar.", "Someone plays an instrument.");
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 100);
  x = explain_with ("distance");
  check_views_hold (x);
  g_assert_true (isfinite (lk_explanation_get_score (x, "split_half", NAN)));
  lk_window_set_visible_view (win, "saliency");
  snapshot ("distance-saliency");
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 1000);

  /* The model folder: the cached MiniLM's files, and a layout. */
  minilm = lk_model_store_resolve ("sentence-transformers/all-MiniLM-L6-v2", FALSE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  dir = g_dir_open (minilm, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *src = g_build_filename (minilm, name, NULL);
      g_autofree char *dst = g_build_filename (folder, name, NULL);
      g_autofree char *target = g_canonicalize_filename (src, NULL);
      g_assert_cmpint (symlink (target, dst), ==, 0);
    }
  g_assert_true (g_file_set_contents (layout,
    "{\"format\": \"likeness.aspects/1\", \"n_aspects\": 4, \"aspect_dim\": 16,"
    " \"aspects\": [\"Negation\", \"Quantity\", \"Named entities\", \"Content words\"]}", -1, &error));
  g_assert_no_error (error);

  lk_model_chooser_set_model (chooser, folder);
  x = explain_with ("aspects");
  node = lk_explanation_to_json (x);
  root = json_node_get_object (node);
  aspects = json_object_get_array_member (root, "aspects");
  g_assert_cmpuint (json_array_get_length (aspects), ==, 4);
  sum = json_object_get_double_member (json_object_get_object_member (root, "residual"), "share");
  for (guint i = 0; i < json_array_get_length (aspects); i++)
    sum += json_object_get_double_member (json_array_get_object_element (aspects, i), "share");
  g_assert_cmpfloat_with_epsilon (sum, lk_explanation_get_score (x, "similarity", NAN), 1e-6);
  g_assert_true (lk_details_view_get_explanation (lk_window_get_details_view (win)) == x);
  lk_window_set_visible_view (win, "aspects");
  snapshot ("aspects");
  lk_window_set_visible_view (win, "matrix");
  g_settings_set_string (settings (), "method", "bilrp");
  lk_model_chooser_set_model (chooser, saved);
}

static gboolean
aspects_available (gpointer want)
{
  return lk_method_chooser_get_available (lk_window_get_method_chooser (win), "aspects") == GPOINTER_TO_INT (want);
}

/* The default model has no layout but a shipped aspect head (found from
 * the build folder in the source tree's data/aspect-heads): Aspects is
 * offered and decomposes its own score. A model with neither (the tiny
 * BERT) makes the row insensitive; back to MiniLM it is offered again. */
static void
test_aspects_head (void)
{
  LkModelChooser *chooser = lk_window_get_model_chooser (win);
  g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));
  g_autofree char *bert = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *params;
  LkExplanation *x;

  lk_model_chooser_set_model (chooser, bert);
  wait_for (aspects_available, GINT_TO_POINTER (FALSE), 120, "Aspects to become insensitive for the tiny BERT");
  lk_model_chooser_set_model (chooser, "sentence-transformers/all-MiniLM-L6-v2");
  wait_for (aspects_available, GINT_TO_POINTER (TRUE), 120, "Aspects to be offered for all-MiniLM-L6-v2");
  set_texts ("The coffee is bad.", "This is not a good coffee.");
  x = explain_with ("aspects");
  node = lk_explanation_to_json (x);
  params = json_object_get_object_member (json_object_get_object_member (json_node_get_object (node), "method"),
                                          "params");
  g_assert_cmpstr (json_object_get_string_member (params, "space"), ==, "head");
  g_assert_cmpfloat (lk_explanation_get_score (x, "shares_gap", NAN), <, 1e-6);
  lk_window_set_visible_view (win, "aspects");
  snapshot ("aspects-head");
  lk_window_set_visible_view (win, "matrix");
  g_settings_set_string (settings (), "method", "bilrp");
  lk_model_chooser_set_model (chooser, saved);
}

/* A model that names prompts (the tiny Qwen3: query and document) shows a
 * prompt chooser under each text; a query prompt on text A reaches the
 * result (its tokens flagged, the caption naming it), "No Prompt" gives a
 * result without one, and the two are cached apart. A model without
 * prompts hides the choosers. */
static GtkWidget *
find_by_action (GtkWidget *widget, const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_action (child, action);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
prompts_offered (gpointer want)
{
  return (lk_input_pane_get_prompt (lk_window_get_input_pane (win), 0) != NULL) == GPOINTER_TO_INT (want);
}

static void
test_prompts (void)
{
  LkModelChooser *chooser = lk_window_get_model_chooser (win);
  LkInputPane *pane = lk_window_get_input_pane (win);
  g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));
  g_autofree char *qwen = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "qwen3", NULL);
  g_autofree char *session_path = g_build_filename (g_get_tmp_dir (), "lk-gui-prompts.likeness", NULL);
  g_autoptr(GFile) session_file = g_file_new_for_path (session_path);
  g_autoptr(GError) error = NULL;
  LkExplanation *x;
  double with_prompt;
  guint flagged = 0;

  lk_model_chooser_set_model (chooser, qwen);
  wait_for (prompts_offered, GINT_TO_POINTER (TRUE), 120, "the prompt choosers to appear for the tiny Qwen3");
  g_assert_cmpstr (lk_input_pane_get_prompt (pane, 0), ==, "");  /* no default_prompt_name */
  set_texts ("What is the capital of France?", "Paris is the capital of France.");
  lk_input_pane_set_prompt (pane, 0, "query");
  g_assert_cmpstr (lk_input_pane_get_prompt (pane, 0), ==, "query");
  x = explain_with ("bilrp");
  g_assert_cmpuint (lk_explanation_get_prompt_length (x, 0), ==, 91);  /* Qwen3-Embedding's query prompt */
  for (guint i = 0; i < lk_explanation_get_n_tokens (x, 0); i++)
    flagged += lk_explanation_get_token (x, 0, i)->prompt;
  g_assert_cmpuint (flagged, >, 10);
  g_assert_cmpuint (lk_explanation_get_prompt_length (x, 1), ==, 0);
  with_prompt = lk_explanation_get_score (x, "similarity", NAN);
  g_assert_true (lk_window_save_session (win, session_file, &error));
  g_assert_no_error (error);
  snapshot ("prompts-query");
  g_assert_true (gtk_widget_get_visible (find_by_action (GTK_WIDGET (win), "win.show-prompts")));
  g_settings_set_boolean (settings (), "show-prompts", FALSE);
  snapshot ("prompts-hidden");
  g_settings_set_boolean (settings (), "show-prompts", TRUE);
  lk_input_pane_set_prompt (pane, 0, "");
  x = explain_with ("bilrp");
  g_assert_cmpuint (lk_explanation_get_prompt_length (x, 0), ==, 0);
  g_assert_cmpfloat (fabs (lk_explanation_get_score (x, "similarity", NAN) - with_prompt), >, 1e-4);
  lk_model_chooser_set_model (chooser, saved);
  wait_for (prompts_offered, GINT_TO_POINTER (FALSE), 120, "the prompt choosers to hide for all-MiniLM-L6-v2");

  /* The session keeps the prompt: reopened over another model, it shows
   * the query prompt chosen again, and the result made with it, once
   * the model's prompts are read. */
  g_assert_true (lk_window_open_session (win, session_file, &error));
  g_assert_no_error (error);
  wait_for (prompts_offered, GINT_TO_POINTER (TRUE), 120, "the session's prompt choosers to appear");
  g_assert_cmpstr (lk_input_pane_get_prompt (pane, 0), ==, "query");
  g_assert_cmpstr (lk_input_pane_get_prompt (pane, 1), ==, "");
  x = lk_window_get_explanation (win);
  g_assert_nonnull (x);
  g_assert_cmpuint (lk_explanation_get_prompt_length (x, 0), ==, 91);
  g_assert_cmpfloat (lk_explanation_get_score (x, "similarity", NAN), ==, with_prompt);
  g_assert_false (lk_window_get_stale (win));
  lk_model_chooser_set_model (chooser, saved);
  wait_for (prompts_offered, GINT_TO_POINTER (FALSE), 120, "the prompt choosers to hide again");
  g_file_delete (session_file, NULL, NULL);
}

/* ---- every result through a session ---- */

/* Each method's result as JSON, by method; NULL where it has none. */
typedef struct {
  char *json[LK_N_METHODS];
} Results;

static void
results_clear (Results *r)
{
  for (guint m = 0; m < LK_N_METHODS; m++)
    g_clear_pointer (&r->json[m], g_free);
}

static void
explain_all (const LkMethod *methods, guint n, Results *r)
{
  for (guint i = 0; i < n; i++)
    r->json[methods[i]] = explanation_json (explain_with (lk_method_to_string (methods[i])));
}

/* After opening: every saved result is shown, equal to the last number,
 * for its method, without running anything. */
static void
check_results (const Results *r, const char *what)
{
  for (LkMethod m = 0; m < LK_N_METHODS; m++)
    {
      g_autofree char *json = NULL;
      LkExplanation *x;

      if (r->json[m] == NULL)
        continue;
      g_settings_set_string (settings (), "method", lk_method_to_string (m));
      g_assert_false (lk_window_get_busy (win));
      x = lk_window_get_explanation (win);
      if (x == NULL || lk_window_get_stale (win))
        g_error ("%s: no %s result after reopening the session", what, lk_method_to_string (m));
      g_assert_cmpstr (lk_explanation_get_method (x), ==, lk_method_to_string (m));
      json = explanation_json (x);
      g_assert_cmpstr (json, ==, r->json[m]);
      check_views_hold (x);
    }
}

/* A fresh window holding another session's result and an error page. */
static void
reopen_with_stale_state (const char *other_session)
{
  g_autoptr(GFile) other = g_file_new_for_path (other_session);
  g_autoptr(GError) error = NULL;
  LkModelChooser *chooser;

  gtk_window_destroy (GTK_WINDOW (win));
  drain ();
  g_settings_set_string (settings (), "method", "hxp");
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 1000);
  g_settings_set_string (settings (), "input-mode", "text-pair");
  win = open_window ();
  g_assert_true (lk_window_open_session (win, other, &error));
  g_assert_no_error (error);
  g_assert_nonnull (lk_window_get_explanation (win));
  chooser = lk_window_get_model_chooser (win);
  lk_model_chooser_set_model (chooser, "sentence-transformers/no-such-model-here");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
  wait_idle (win);
  g_assert_nonnull (lk_window_get_last_error (win));
  lk_window_set_visible_view (win, "alignment");
}

static void
open_all (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  g_assert_true (lk_window_open_session (win, file, &error));
  g_assert_no_error (error);
  /* Nothing of the session before: no error, no result for its inputs. */
  g_assert_null (lk_window_get_last_error (win));
  g_assert_false (lk_window_get_busy (win));
}

/* All six methods on a text pair, with a model that has an aspect layout
 * (made by test_distance_aspects). */
static void
test_session_text_all (void)
{
  static const LkMethod methods[] = { LK_METHOD_BILRP, LK_METHOD_IJ, LK_METHOD_HXP, LK_METHOD_ALIGN,
                                      LK_METHOD_DISTANCE, LK_METHOD_ASPECTS };
  g_autofree char *folder = g_build_filename (workdir, "minilm-aspects", NULL);
  g_autofree char *path = g_build_filename (workdir, "all.likeness", NULL);
  g_autofree char *pair = g_build_filename (workdir, "pair.likeness", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  Results r = { { NULL } };

  G_STATIC_ASSERT (G_N_ELEMENTS (methods) == LK_N_METHODS);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
  lk_model_chooser_set_model (lk_window_get_model_chooser (win), folder);
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 2);
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 100);
  set_texts ("The cat sits on the mat.", "A cat is lying on a rug.");
  explain_all (methods, G_N_ELEMENTS (methods), &r);
  /* The user ends on distance masking's saliency view. */
  g_settings_set_string (settings (), "method", "distance");
  lk_window_set_visible_view (win, "saliency");
  g_assert_true (lk_window_save_session (win, file, &error));
  g_assert_no_error (error);

  reopen_with_stale_state (pair);
  open_all (path);
  g_assert_cmpstr (lk_window_get_visible_view (win), ==, "saliency");
  g_assert_cmpstr (lk_explanation_get_method (lk_window_get_explanation (win)), ==, "distance");
  snapshot ("session-all-reopened-saliency");
  lk_window_set_visible_view (win, "aspects");
  check_results (&r, "text pair");
  g_settings_set_string (settings (), "method", "aspects");
  snapshot ("session-all-reopened-aspects");
  g_assert_cmpfloat (lk_settings_get_param (lk_settings_get_default (), LK_METHOD_DISTANCE, LK_PARAM_MASKS, NULL), ==, 100);

  /* The other session's results are gone with it. */
  set_texts ("A man is playing a guitar.", "Someone plays an instrument.");
  lk_model_chooser_set_model (lk_window_get_model_chooser (win), "sentence-transformers/all-MiniLM-L6-v2");
  g_settings_set_string (settings (), "method", "bilrp");
  g_assert_true (lk_window_get_stale (win));
  a = g_strdup (lk_explanation_get_text (lk_window_get_explanation (win), 0));
  g_assert_cmpstr (a, !=, "A man is playing a guitar.");

  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 1000);
  g_settings_set_string (settings (), "method", "bilrp");
  lk_window_set_visible_view (win, "matrix");
  results_clear (&r);
}

/* The image methods on a photo and its caption, with the tiny CLIP. */
static void
test_session_image_all (void)
{
  static const LkMethod methods[] = { LK_METHOD_DISTANCE, LK_METHOD_IJ, LK_METHOD_BILRP, LK_METHOD_HXP };
  g_autofree char *image = g_test_build_filename (G_TEST_DIST, "golden", "clip", "exif6.jpg", NULL);
  g_autofree char *clip = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "clip", NULL);
  g_autofree char *path = g_build_filename (workdir, "image.likeness", NULL);
  g_autofree char *text = g_build_filename (workdir, "all.likeness", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  Results r = { { NULL } };
  LkInputPane *pane;

  g_settings_set_string (settings (), "input-mode", "image-caption");
  lk_input_pane_set_image (lk_window_get_input_pane (win), image);
  lk_input_pane_set_caption (lk_window_get_input_pane (win), "a red square on a blue field");
  lk_model_chooser_set_model (lk_window_get_model_chooser (win), clip);
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 200);
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 2);
  explain_all (methods, G_N_ELEMENTS (methods), &r);
  g_settings_set_string (settings (), "method", "ij");
  lk_window_set_visible_view (win, "details");
  g_assert_true (lk_window_save_session (win, file, &error));
  g_assert_no_error (error);

  reopen_with_stale_state (text);
  open_all (path);
  pane = lk_window_get_input_pane (win);
  g_assert_cmpint (lk_input_pane_get_mode (pane), ==, LK_INPUT_IMAGE_CAPTION);
  g_assert_cmpstr (lk_input_pane_get_image (pane), ==, image);
  g_assert_cmpstr (lk_window_get_visible_view (win), ==, "details");
  g_assert_cmpstr (lk_explanation_get_method (lk_window_get_explanation (win)), ==, "ij");
  snapshot ("session-image-reopened-details");
  lk_window_set_visible_view (win, "saliency");
  check_results (&r, "image and caption");
  g_settings_set_string (settings (), "method", "distance");
  snapshot ("session-image-reopened-saliency");

  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 1000);
  g_settings_set_string (settings (), "method", "bilrp");
  g_settings_set_string (settings (), "input-mode", "text-pair");
  lk_model_chooser_set_model (lk_window_get_model_chooser (win), "sentence-transformers/all-MiniLM-L6-v2");
  lk_window_set_visible_view (win, "matrix");
  results_clear (&r);
}

/* A job still running when a session is opened: its result and its
 * cancellation belong to the inputs that are gone. */
static void
test_session_open_while_running (void)
{
  g_autofree char *path = g_build_filename (workdir, "all.likeness", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  LkExplanation *x;

  gtk_window_destroy (GTK_WINDOW (win));
  drain ();
  g_settings_set_string (settings (), "input-mode", "text-pair");
  win = open_window ();
  lk_model_chooser_set_model (lk_window_get_model_chooser (win), "sentence-transformers/all-MiniLM-L6-v2");
  set_texts ("A man is playing a guitar.", "Someone plays an instrument.");
  explain_with ("bilrp");   /* the model is loaded: what follows is a job */
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 1000);
  set_texts ("A man is playing a guitar in the park.", "Someone plays an instrument outside.");
  g_settings_set_string (settings (), "method", "ij");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
  g_assert_true (lk_window_get_busy (win));
  g_assert_true (lk_window_open_session (win, file, &error));
  g_assert_no_error (error);
  wait_idle (win);
  g_assert_null (lk_window_get_last_error (win));
  x = lk_window_get_explanation (win);
  g_assert_nonnull (x);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "distance");
  g_assert_cmpstr (lk_explanation_get_text (x, 0), ==, "The cat sits on the mat.");
  g_assert_false (lk_window_get_stale (win));
  g_settings_set_string (settings (), "method", "ij");
  g_assert_cmpfloat (lk_settings_get_param (lk_settings_get_default (), LK_METHOD_IJ, LK_PARAM_STEPS, NULL), ==, 2);
  g_assert_cmpstr (lk_explanation_get_method (lk_window_get_explanation (win)), ==, "ij");
  set_param (LK_METHOD_DISTANCE, LK_PARAM_MASKS, 1000);
  g_settings_set_string (settings (), "method", "bilrp");
}

static void
test_dark (void)
{
  AdwStyleManager *style = adw_style_manager_get_default ();

  set_texts ("A man is playing a guitar.", "Someone plays an instrument.");
  g_assert_false (lk_window_get_stale (win));
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  lk_window_set_visible_view (win, "alignment");
  snapshot ("dark-alignment");
  lk_window_set_visible_view (win, "details");
  snapshot ("dark-details");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  lk_window_set_visible_view (win, "matrix");
}

static gboolean
chooser_idle (gpointer data)
{
  return !lk_model_chooser_get_busy (LK_MODEL_CHOOSER (data));
}

static GtkWidget *
popup (GtkWidget *chooser)
{
  GtkMenuButton *button = GTK_MENU_BUTTON (gtk_widget_get_first_child (chooser));

  gtk_menu_button_popup (button);
  return GTK_WIDGET (gtk_menu_button_get_popover (button));
}

static void
test_models (void)
{
  LkModelChooser *chooser = lk_window_get_model_chooser (win);
  g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));
  GtkWidget *popover;

  /* The model menu, with the cache's models and the download row. */
  popover = popup (GTK_WIDGET (chooser));
  g_assert_true (gtk_widget_get_visible (popover));
  g_assert_cmpuint (lk_model_chooser_get_n_models (chooser), >=, 1);
  /* Each model says what it compares. */
  g_assert_cmpstr (lk_model_chooser_get_kind_label (chooser, "sentence-transformers/all-MiniLM-L6-v2"), ==, "Text");
  /* Offline (HF_HUB_OFFLINE=1 here) the download row is insensitive and
   * says why, and so does the missing-model page's button. */
  g_assert_false (lk_model_chooser_get_can_download (chooser));
  snapshot_widget (popover, "model-menu");
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* A model that is not installed: a clear page that offers the download. */
  lk_model_chooser_set_model (chooser, "sentence-transformers/no-such-model-here");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.explain", NULL));
  wait_idle (win);
  g_assert_nonnull (lk_window_get_last_error (win));
  g_assert_nonnull (strstr (lk_window_get_last_error (win), "no-such-model-here"));
  /* The result on screen stays, out of date, under the error. */
  g_assert_true (lk_window_get_error_over_result (win));
  g_assert_nonnull (lk_window_get_explanation (win));
  g_assert_true (lk_window_get_stale (win));
  g_assert_true (gtk_widget_get_visible (lk_window_get_download_button (win)));
  g_assert_false (gtk_widget_get_sensitive (lk_window_get_download_button (win)));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (lk_window_get_download_button (win)), "HF_HUB_OFFLINE"));
  snapshot ("model-missing");

  /* Downloads: a bad id, and offline (HF_HUB_OFFLINE=1 in the tests). */
  lk_model_chooser_download (chooser, "not a model id!");
  g_assert_nonnull (lk_model_chooser_get_error (chooser));
  lk_model_chooser_download (chooser, "sentence-transformers/no-such-model-here");
  wait_for (chooser_idle, chooser, 60, "the download to fail");
  g_assert_nonnull (lk_model_chooser_get_error (chooser));
  g_assert_nonnull (strstr (lk_model_chooser_get_error (chooser), "HF_HUB_OFFLINE"));
  popover = popup (GTK_WIDGET (chooser));
  snapshot_widget (popover, "model-menu-download-error");
  gtk_popover_popdown (GTK_POPOVER (popover));

  lk_model_chooser_set_model (chooser, saved);
  g_assert_false (lk_window_get_stale (win));

  /* The method menu: all six methods. */
  popover = popup (gtk_widget_get_next_sibling (GTK_WIDGET (chooser)));
  snapshot_widget (popover, "method-menu");
  gtk_popover_popdown (GTK_POPOVER (popover));
}

/* A GtkShortcutsShortcut under @w with @title and @accel. */
static gboolean
find_shortcut (GtkWidget *w, const char *title, const char *accel)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (w))
    {
      g_autofree char *t = NULL, *a = NULL;

      g_object_get (w, "title", &t, "accelerator", &a, NULL);
      if (g_strcmp0 (t, title) == 0 && g_strcmp0 (a, accel) == 0)
        return TRUE;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    if (find_shortcut (c, title, accel))
      return TRUE;
  return FALSE;
}

static void
test_shortcuts (void)
{
  g_auto(GStrv) explain = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.explain");
  g_auto(GStrv) open = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.open");
  GtkWidget *overlay;
  g_auto(GStrv) help = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay");
  guint n, listed = 0, with_keys = 0;
  const LkMethodInfo *all = lk_method_infos (&n);

  g_assert_true (g_strv_contains ((const char * const *) explain, "<Control>Return"));
  g_assert_true (g_strv_contains ((const char * const *) open, "<Control>o"));
  g_assert_true (g_strv_contains ((const char * const *) help, "<Control>question"));
  /* The shortcuts window comes from the resources, with one shortcut per
   * method that has a key, built from the registry. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (win), "show-help-overlay"));
  overlay = GTK_WIDGET (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (win)));
  g_assert_nonnull (overlay);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *action = g_strdup_printf ("win.method::%s", all[i].name);
      g_auto(GStrv) keys = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);

      if (keys == NULL || keys[0] == NULL)
        continue;
      with_keys++;
      if (find_shortcut (overlay, lk_method_title (all[i].name), keys[0]))
        listed++;
      else
        g_test_message ("the shortcuts window lacks %s (%s)", all[i].name, keys[0]);
    }
  g_assert_cmpuint (with_keys, >=, 4);
  g_assert_cmpuint (listed, ==, with_keys);
  g_action_group_activate_action (G_ACTION_GROUP (win), "show-help-overlay", NULL);
  snapshot_widget (overlay, "shortcuts");
  gtk_widget_set_visible (overlay, FALSE);
}


/* ---- accessibility: unique mnemonics, named icon buttons ---- */

typedef struct {
  GHashTable *keys;   /* keyval → the label that claims it */
  GString *problems;
} A11yWalk;

/* Whether a button shows only an icon: no label of its own, and no label
 * anywhere in its child (a GtkBox of icon and label names itself). */
static gboolean
has_label_child (GtkWidget *w)
{
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LABEL (c) || has_label_child (c))
      return TRUE;
  return FALSE;
}

static void
a11y_walk (GtkWidget *w, A11yWalk *walk)
{
  if (!gtk_widget_get_mapped (w))
    return;
  /* The title bar's minimise, maximise and close are GTK's own. */
  if (GTK_IS_WINDOW_CONTROLS (w))
    return;
  if (GTK_IS_LABEL (w) && gtk_label_get_use_underline (GTK_LABEL (w)))
    {
      guint key = gdk_keyval_to_lower (gtk_label_get_mnemonic_keyval (GTK_LABEL (w)));
      const char *text = gtk_label_get_label (GTK_LABEL (w));
      const char *other;

      if (key != GDK_KEY_VoidSymbol)
        {
          other = g_hash_table_lookup (walk->keys, GUINT_TO_POINTER (key));
          if (other)
            g_string_append_printf (walk->problems, "Alt+%s is taken by both “%s” and “%s”; ",
                                    gdk_keyval_name (key), other, text);
          else
            g_hash_table_insert (walk->keys, GUINT_TO_POINTER (key), (gpointer) text);
        }
    }
  if ((GTK_IS_BUTTON (w) || GTK_IS_MENU_BUTTON (w)) && !has_label_child (w) &&
      !(GTK_IS_BUTTON (w) && gtk_button_get_label (GTK_BUTTON (w))) &&
      !(GTK_IS_MENU_BUTTON (w) && gtk_menu_button_get_label (GTK_MENU_BUTTON (w))) &&
      !gtk_test_accessible_has_property (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_PROPERTY_LABEL) &&
      !gtk_test_accessible_has_relation (GTK_ACCESSIBLE (w), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    {
      /* A menu button's inner toggle is named by the menu button. */
      GtkWidget *parent = gtk_widget_get_parent (w);
      if (!(parent && GTK_IS_MENU_BUTTON (parent) &&
            (gtk_test_accessible_has_property (GTK_ACCESSIBLE (parent), GTK_ACCESSIBLE_PROPERTY_LABEL) ||
             gtk_menu_button_get_label (GTK_MENU_BUTTON (parent)))))
        g_string_append_printf (walk->problems, "an icon button (%s in %s, icon %s, tooltip “%s”) has no accessible name; ",
                                G_OBJECT_TYPE_NAME (w), parent ? G_OBJECT_TYPE_NAME (parent) : "nothing",
                                GTK_IS_BUTTON (w) && gtk_button_get_icon_name (GTK_BUTTON (w)) ?
                                gtk_button_get_icon_name (GTK_BUTTON (w)) : "?",
                                gtk_widget_get_tooltip_text (w) ? gtk_widget_get_tooltip_text (w) : "");
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    a11y_walk (c, walk);
}

static void
check_a11y (const char *state)
{
  A11yWalk walk = { g_hash_table_new (NULL, NULL), g_string_new (NULL) };

  wait_for_paint (GTK_WIDGET (win), g_get_monotonic_time () + 30 * G_USEC_PER_SEC, state);
  a11y_walk (GTK_WIDGET (win), &walk);
  if (walk.problems->len)
    g_error ("accessibility, %s: %s", state, walk.problems->str);
  g_test_message ("accessibility, %s: %u mnemonics, all distinct", state, g_hash_table_size (walk.keys));
  g_hash_table_unref (walk.keys);
  g_string_free (walk.problems, TRUE);
}

/* Presses a key on a widget through its key controller, as GTK delivers it. */
static gboolean
press_key (GtkWidget *widget, guint keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);
      if (GTK_IS_EVENT_CONTROLLER_KEY (c))
        g_signal_emit_by_name (c, "key-pressed", keyval, 0, (GdkModifierType) 0, &handled);
    }
  return handled;
}

static void
test_a11y (void)
{
  LkFigureView *heatmap = lk_window_get_figure_view (win, LK_VIEW_HEATMAP);
  LkExplanation *x = lk_window_get_explanation (win);

  /* The arrow keys move the selected pair; the figure's description (what
   * a screen reader hears) and the bar's readout say its tokens and value. */
  lk_window_set_visible_view (win, "matrix");
  lk_figure_view_select (heatmap, -1, -1);
  g_assert_true (press_key (GTK_WIDGET (heatmap), GDK_KEY_Right));
  g_assert_true (press_key (GTK_WIDGET (heatmap), GDK_KEY_Down));
  {
    g_autofree char *selected = lk_figure_view_dup_selection_text (heatmap);
    g_autofree char *figure = lk_render_describe (x, LK_VIEW_HEATMAP, lk_figure_view_get_options (heatmap));
    g_autofree char *expected = NULL;
    g_autofree char *wrong = NULL;

    g_assert_nonnull (selected);
    g_assert_cmpint (lk_figure_view_get_options (heatmap)->highlight_a, >=, 0);
    expected = g_strdup_printf ("Selected: %s. %s", selected, figure);
    wrong = gtk_test_accessible_check_property (GTK_ACCESSIBLE (heatmap), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, expected);
    if (wrong)
      g_error ("the figure's description: %s", wrong);
    g_assert_cmpstr (lk_window_get_selection_readout (win), ==, selected);
    g_test_message ("selected with the keyboard: %s", selected);
  }
  snapshot ("keyboard-selection");
  g_assert_true (press_key (GTK_WIDGET (heatmap), GDK_KEY_Escape));
  g_assert_cmpstr (lk_window_get_selection_readout (win), ==, "");
  check_a11y ("texts");
  g_settings_set_string (settings (), "input-mode", "image-caption");
  check_a11y ("image and caption");
  g_settings_set_string (settings (), "input-mode", "text-pair");
  {
    LkModelChooser *chooser = lk_window_get_model_chooser (win);
    g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));

    /* While a run goes (Cancel shows) and after one failed (Try Again,
     * Download Model). */
    lk_window_explain (win);
    check_a11y ("running");
    wait_idle (win);
    lk_model_chooser_set_model (chooser, "sentence-transformers/no-such-model-here");
    lk_window_explain (win);
    wait_idle (win);
    g_assert_nonnull (lk_window_get_last_error (win));
    check_a11y ("model missing");
    lk_model_chooser_set_model (chooser, saved);
  }
}

/* ---- help ---- */

static void
collect_labels (GtkWidget *w, GString *out)
{
  if (GTK_IS_LABEL (w))
    g_string_append_printf (out, "%s\n", gtk_label_get_label (GTK_LABEL (w)));
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    collect_labels (c, out);
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *tops = gtk_window_get_toplevels ();   /* (transfer none) */

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (tops, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WIDGET (w);
    }
  return NULL;
}

/* F1 opens the help at what is on screen: how to read each figure, and
 * each method with its check and its paper, from the registry. */
static void
test_help (void)
{
  g_auto(GStrv) keys = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.help");
  g_autoptr(GString) text = g_string_new (NULL);
  GtkWidget *help;
  guint n;
  const LkMethodInfo *all = lk_method_infos (&n);

  g_assert_true (g_strv_contains ((const char * const *) keys, "F1"));
  lk_window_set_visible_view (win, "details");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.help", NULL));
  help = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (help);
  g_assert_cmpstr (adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (help)), ==, "methods");
  wait_for_paint (help, g_get_monotonic_time () + 30 * G_USEC_PER_SEC, "help");
  snapshot_widget (help, "help-methods");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (help), "views");
  collect_labels (help, text);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *check = lk_method_check_help (&all[i]);
      if (!strstr (text->str, all[i].paper) || !strstr (text->str, check))
        g_error ("the help lacks %s's paper or check", all[i].name);
    }
  g_assert_nonnull (strstr (text->str, lk_view_help (LK_VIEW_HEATMAP)));
  snapshot_widget (help, "help-views");
  gtk_window_destroy (GTK_WINDOW (help));
  lk_window_set_visible_view (win, "matrix");
}

/* ---- small windows ---- */

static void
report_widths (GtkWidget *w, int depth, GString *out)
{
  int min = 0, nat = 0;

  if (!gtk_widget_get_visible (w) || depth > 14)
    return;
  gtk_widget_measure (w, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  if (min >= 30)
    g_string_append_printf (out, "%*s%s (%s) min %d nat %d\n", depth, "", G_OBJECT_TYPE_NAME (w),
                            gtk_widget_get_name (w), min, nat);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    report_widths (c, depth + 1, out);
}

static gboolean
sized (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (win)) <= GPOINTER_TO_INT (data);
}

static gboolean
wide (gpointer data)
{
  return !lk_window_get_narrow (LK_WINDOW (data));
}

/* A window of 800 × 600 fits: nothing asks for more width (the switcher
 * folds its labels under the icons), and every view and the header still
 * show; smaller is refused only below the window's own minimum. */
static void
test_narrow (void)
{
  g_autoptr(GString) widths = g_string_new (NULL);
  int min = 0, nat = 0;
  const char *views[] = { "matrix", "alignment", "saliency", "details" };

  gtk_widget_measure (GTK_WIDGET (win), GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  g_test_message ("the window's minimum width: %d px", min);
  /* measured in the wide form (labels on the mode toggles): still under
   * 800, so that a window of 800 px fits before the header folds */
  if (min > 790)
    {
      report_widths (GTK_WIDGET (win), 0, widths);
      g_error ("the window needs %d px at least; what asks for it:\n%s", min, widths->str);
    }
  gtk_window_set_default_size (GTK_WINDOW (win), 800, 600);
  wait_for (sized, GINT_TO_POINTER (800), 30, "the window to take 800 px");
  wait_for ((Condition) lk_window_get_narrow, win, 30, "the header's narrow form");
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *name = g_strdup_printf ("narrow-%s", views[i]);
      lk_window_set_visible_view (win, views[i]);
      snapshot (name);
      if (gtk_widget_get_width (GTK_WIDGET (win)) > 800)
        {
          report_widths (GTK_WIDGET (win), 0, widths);
          g_error ("the %s view widens the window to %d px:\n%s", views[i], gtk_widget_get_width (GTK_WIDGET (win)),
                   widths->str);
        }
    }
  /* Image mode: the photo's header and the opacity slider. */
  g_settings_set_string (settings (), "input-mode", "image-caption");
  lk_window_set_visible_view (win, "saliency");
  snapshot ("narrow-image");
  if (gtk_widget_get_width (GTK_WIDGET (win)) > 800)
    {
      report_widths (GTK_WIDGET (win), 0, widths);
      g_error ("image mode widens the window to %d px:\n%s", gtk_widget_get_width (GTK_WIDGET (win)), widths->str);
    }
  g_settings_set_string (settings (), "input-mode", "text-pair");
  lk_window_set_visible_view (win, "matrix");
  gtk_window_set_default_size (GTK_WINDOW (win), 1180, 760);
  wait_for (sized, GINT_TO_POINTER (1180), 30, "the window to grow back");
  wait_for (wide, win, 30, "the header's wide form");
}

/* ---- the audit (corpus view) ---- */

static gboolean
audit_idle (gpointer data)
{
  return !lk_window_get_busy (LK_WINDOW (data));
}

/* A retrieval run of likeness-cli batch on the tiny BERT (three queries,
 * their top three of six passages, H×P), a failed item and a stray line. */
static char *
write_audit_run (void)
{
  g_autofree char *cli = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "app", "cli", "likeness-cli", NULL);
  g_autofree char *tiny = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "golden", "tiny", "bert", NULL);
  g_autofree char *queries = g_build_filename (workdir, "audit-q.jsonl", NULL);
  g_autofree char *corpus = g_build_filename (workdir, "audit-c.jsonl", NULL);
  g_autofree char *out = g_build_filename (workdir, "audit-run.jsonl", NULL);
  g_autofree char *cache = g_build_filename (workdir, "audit-cache", NULL);
  g_autofree char *data = NULL, *err = NULL, *summary = NULL;
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "XDG_CACHE_HOME", cache, TRUE);
  const char *argv[] = { cli, "batch", "--method", "hxp", "--model", tiny, "--queries", queries, "--corpus", corpus,
                         "--top-k", "3", "--output", out, NULL };
  g_autoptr(GError) error = NULL;
  gsize length;
  int status = 0;

  g_assert_true (g_file_set_contents (queries,
    "{\"id\": \"q1\", \"text\": \"A man is playing a guitar.\"}\n"
    "{\"id\": \"q2\", \"text\": \"The kitten sleeps on the sofa.\"}\n"
    "{\"id\": \"q3\", \"text\": \"Stock markets fell sharply today.\"}\n", -1, NULL));
  g_assert_true (g_file_set_contents (corpus,
    "{\"id\": \"p1\", \"text\": \"A man plays the guitar on stage.\"}\n"
    "{\"id\": \"p2\", \"text\": \"A cat is asleep on a couch.\"}\n"
    "{\"id\": \"p3\", \"text\": \"Shares dropped in heavy trading.\"}\n"
    "{\"id\": \"p4\", \"text\": \"A woman is slicing an onion.\"}\n"
    "{\"id\": \"p5\", \"text\": \"The band performed a new song.\"}\n"
    "{\"id\": \"p6\", \"text\": \"A dog runs across the field.\"}\n", -1, NULL));
  /* its summary (stdout) is captured: the test's own stdout is TAP */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &summary, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("likeness-cli batch failed: %s", err);
  g_assert_nonnull (strstr (summary, "\ndone=9\n"));
  g_assert_true (g_file_get_contents (out, &data, &length, NULL));
  {
    g_autoptr(GString) more = g_string_new (data);
    g_string_append (more, "{\"id\": \"bad\", \"line\": 9, \"error\": \"item bad (line 9): text A is empty\"}\n");
    g_string_append (more, "this line is no batch line\n");
    g_assert_true (g_file_set_contents (out, more->str, more->len, NULL));
  }
  return g_steal_pointer (&out);
}

static void
test_audit (void)
{
  g_autofree char *run = write_audit_run ();
  g_autofree char *bad = g_build_filename (workdir, "not-a-run.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (run);
  g_autoptr(GFile) bad_file = NULL;
  LkAuditView *audit = lk_window_get_audit_view (win);
  LkExplanation *x;
  guint n, failed = 0, two[2];

  lk_window_open_audit (win, file);
  /* The audit page says at once that the run is being read. */
  g_assert_cmpstr (lk_window_get_page (win), ==, "audit");
  wait_for (audit_idle, win, 120, "the audit to be read");
  g_assert_null (lk_window_get_last_error (win));
  g_assert_cmpstr (lk_window_get_page (win), ==, "audit");
  n = lk_audit_view_get_n_rows (audit);
  g_assert_cmpuint (n, ==, 3 * 3 + 2);
  for (guint i = 0; i < lk_audit_view_get_n_shown (audit); i++)
    failed += lk_audit_row_get_error (lk_audit_view_get_shown (audit, i)) != NULL;
  g_assert_cmpuint (failed, ==, 2);

  /* Sorted by score, best first; errors (no score) last. */
  lk_audit_view_sort_by (audit, "score", GTK_SORT_DESCENDING);
  for (guint i = 1; i < lk_audit_view_get_n_shown (audit); i++)
    g_assert_cmpfloat (isnan (lk_audit_row_get_score (lk_audit_view_get_shown (audit, i))) ? -INFINITY
                       : lk_audit_row_get_score (lk_audit_view_get_shown (audit, i)), <=,
                       isnan (lk_audit_row_get_score (lk_audit_view_get_shown (audit, i - 1))) ? -INFINITY
                       : lk_audit_row_get_score (lk_audit_view_get_shown (audit, i - 1)));
  snapshot ("audit-table");

  /* The search keeps one query's three passages; by rank, 1 then 2. */
  lk_audit_view_set_search (audit, "kitten");
  g_assert_cmpuint (lk_audit_view_get_n_shown (audit), ==, 3);
  lk_audit_view_sort_by (audit, "rank", GTK_SORT_ASCENDING);
  g_assert_cmpint (lk_audit_row_get_rank (lk_audit_view_get_shown (audit, 0)), ==, 1);
  g_assert_cmpint (lk_audit_row_get_rank (lk_audit_view_get_shown (audit, 1)), ==, 2);

  /* One row selected: nothing to compare. Two of one query: the contrast. */
  two[0] = 0;
  lk_audit_view_select (audit, two, 1);
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (audit), "audit.compare", NULL) &&
                  g_strcmp0 (lk_window_get_page (win), "pair") == 0);
  two[0] = 1;
  two[1] = 0;
  lk_audit_view_select (audit, two, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (audit), "audit.compare", NULL));
  g_assert_cmpstr (lk_window_get_page (win), ==, "pair");
  x = lk_window_get_explanation (win);
  g_assert_nonnull (x);
  g_assert_nonnull (lk_explanation_lookup_extra (x, "contrast"));
  /* Document 1 is the better-ranked whatever the order of selection. */
  g_assert_cmpfloat (lk_explanation_get_score (x, "similarity_1", NAN), >=, lk_explanation_get_score (x, "similarity_2", NAN));
  g_assert_cmpstr (lk_window_get_visible_view (win), ==, "contrast");
  {
    const char *reading = NULL;
    g_assert_cmpstr (lk_window_get_verdict_badge (win, &reading), ==, lk_verdict_title (lk_explanation_get_verdict (x, NULL)));
    g_assert_nonnull (strstr (reading, "pair 2:"));
  }
  g_assert_true (lk_figure_view_get_explanation (lk_window_get_figure_view (win, LK_VIEW_CONTRAST)) == x);
  snapshot ("audit-contrast");

  /* Back to the table as it was left; a row opens its pair. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.back", NULL));
  g_assert_cmpstr (lk_window_get_page (win), ==, "audit");
  g_assert_cmpuint (lk_audit_view_get_n_shown (audit), ==, 3);
  lk_audit_view_activate (audit, 0);
  g_assert_cmpstr (lk_window_get_page (win), ==, "pair");
  x = lk_window_get_explanation (win);
  g_assert_cmpstr (lk_explanation_get_method (x), ==, "hxp");
  g_assert_null (lk_explanation_lookup_extra (x, "contrast"));
  g_assert_cmpstr (lk_window_get_visible_view (win), !=, "contrast");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.back", NULL));

  /* A failed item says why instead of opening. */
  lk_audit_view_set_search (audit, "bad");
  g_assert_cmpuint (lk_audit_view_get_n_shown (audit), >=, 1);
  lk_audit_view_activate (audit, 0);
  g_assert_cmpstr (lk_window_get_page (win), ==, "audit");
  g_assert_nonnull (strstr (lk_window_get_last_error (win), "text A is empty"));
  lk_audit_view_set_search (audit, "");

  /* A file with no batch line: an error, and the table stays. */
  g_assert_true (g_file_set_contents (bad, "hello\nworld\n", -1, NULL));
  bad_file = g_file_new_for_path (bad);
  lk_window_open_audit (win, bad_file);
  wait_for (audit_idle, win, 60, "the bad audit to be refused");
  g_assert_nonnull (strstr (lk_window_get_last_error (win), "has no line of a batch run"));
  g_assert_cmpuint (lk_audit_view_get_n_rows (audit), ==, n);
  g_assert_cmpstr (lk_window_get_page (win), ==, "audit");
  g_assert_true (g_file_equal (lk_audit_view_get_file (audit), file));
  {
    g_autoptr(GList) windows = gtk_window_list_toplevels ();
    guint dialogs = 0;
    for (GList *l = windows; l; l = l->next)
      if (ADW_IS_MESSAGE_DIALOG (l->data))
        {
          dialogs++;
          gtk_window_destroy (l->data);
        }
    g_assert_cmpuint (dialogs, ==, 1);
    drain ();
  }
  gtk_widget_activate_action (GTK_WIDGET (win), "win.back", NULL);
}

/* Every parameter of the chosen method is in the header's popover, made
 * from the registry: the default shown (a sentinel as "Default"), a change
 * stored per method and used by the next explanation, Reset back to the
 * defaults, and a session of an earlier version read. */
static GtkWidget *
find_named (GtkWidget *widget, const char *name)
{
  return find_widget (widget, GTK_TYPE_WIDGET, name);
}

static GtkPopover *
params_popover (GtkWidget *button)
{
  return gtk_menu_button_get_popover (GTK_MENU_BUTTON (gtk_widget_get_first_child (button)));
}

static void
test_params (void)
{
  LkSettings *ls = lk_settings_get_default ();
  GtkWidget *button = find_descendant (GTK_WIDGET (win), LK_TYPE_PARAMS_BUTTON);
  const LkMethodInfo *ij = lk_method_info (LK_METHOD_IJ);
  GtkWidget *steps, *quadrature, *unit;
  g_autoptr(JsonObject) legacy = json_object_new ();
  g_autoptr(JsonObject) saved = NULL;
  LkExplanation *x;
  guint n_rows = 0;
  gboolean set;

  g_assert_nonnull (button);
  lk_settings_reset_params (ls, LK_METHOD_IJ);
  g_settings_set_string (settings (), "method", "ij");
  lk_params_button_popup (LK_PARAMS_BUTTON (button));
  drain ();
  /* a row per parameter IJ takes */
  for (guint i = 0; ij->params[i] != LK_N_PARAMS; i++, n_rows++)
    g_assert_nonnull (find_named (button, lk_param_info (ij->params[i])->name));
  g_assert_cmpuint (n_rows, >=, 6);
  g_assert_null (find_named (button, "p_keep"));
  steps = find_named (button, "steps");
  g_assert_true (GTK_IS_SPIN_BUTTON (steps));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (steps)), ==, "Default");
  quadrature = find_named (button, "quadrature");
  g_assert_true (GTK_IS_DROP_DOWN (quadrature));
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (quadrature)), ==, 1);  /* gauss */
  snapshot_widget (GTK_WIDGET (params_popover (button)), "params-ij");

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (steps), 3);
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_IJ, LK_PARAM_STEPS, &set), ==, 3);
  g_assert_true (set);
  /* per method: BiLRP's layer is not IJ's */
  g_assert_false (lk_method_takes_param (LK_METHOD_BILRP, LK_PARAM_STEPS));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (quadrature), 0);  /* riemann */
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_IJ, LK_PARAM_QUADRATURE, NULL), ==, 0);
  gtk_popover_popdown (params_popover (button));
  drain ();

  set_texts ("The cat sits on the mat.", "A cat is lying on a rug.");
  /* Save As offers a name from the texts, not "Untitled" */
  {
    g_autofree char *name = lk_window_dup_suggested_session_name (win);
    g_assert_cmpstr (name, ==, "the-cat-sits-on-the.likeness");
  }
  x = explain_with ("ij");
  g_assert_cmpint (json_object_get_int_member (lk_explanation_get_params (x), "steps"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (lk_explanation_get_params (x), "quadrature"), ==, "riemann");

  /* stored in the session's form, and read back */
  saved = lk_settings_dup_params_json (ls);
  g_assert_cmpint (json_object_get_int_member (saved, "ij.steps"), ==, 3);
  lk_settings_reset_params (ls, LK_METHOD_IJ);
  {
    g_autoptr(JsonObject) now = lk_settings_dup_params_json (ls);
    g_assert_false (json_object_has_member (now, "ij.steps"));
  }
  lk_settings_apply_params_json (ls, saved);
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_IJ, LK_PARAM_STEPS, NULL), ==, 3);
  /* an earlier version's keys; a value out of range is left at the default */
  json_object_set_int_member (legacy, "ij-steps", 7);
  json_object_set_int_member (legacy, "masks", 1);
  json_object_set_string_member (legacy, "distance.p_keep", "half");
  lk_settings_apply_params_json (ls, legacy);
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_IJ, LK_PARAM_STEPS, NULL), ==, 7);
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_IJ, LK_PARAM_QUADRATURE, NULL), ==, 1);
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_DISTANCE, LK_PARAM_MASKS, &set), ==, 1000);
  g_assert_false (set);

  /* distance's popover; Reset in it */
  g_settings_set_string (settings (), "method", "distance");
  lk_params_button_popup (LK_PARAMS_BUTTON (button));
  drain ();
  unit = find_named (button, "unit");
  g_assert_true (GTK_IS_DROP_DOWN (unit));
  g_assert_nonnull (find_named (button, "stop_at"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (unit), 1);
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_DISTANCE, LK_PARAM_UNIT, NULL), ==, 1);
  g_assert_true (gtk_widget_get_sensitive (find_named (button, "reset")));
  g_signal_emit_by_name (find_named (button, "reset"), "clicked");
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_DISTANCE, LK_PARAM_UNIT, &set), ==, 0);
  g_assert_false (set);
  /* IJ's stay */
  g_assert_cmpfloat (lk_settings_get_param (ls, LK_METHOD_IJ, LK_PARAM_STEPS, NULL), ==, 7);
  gtk_popover_popdown (params_popover (button));
  drain ();
  set_param (LK_METHOD_IJ, LK_PARAM_STEPS, 2);
  g_settings_set_string (settings (), "method", "bilrp");
}

/* Pin a result, explain the same pair otherwise, Compare: the two side by
 * side and current − pinned, value by value; with other tokens (another
 * model's tokenizer) the reason instead of a difference. */
static LkCompareWindow *
open_compare (void)
{
  LkCompareWindow *cw = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.compare", NULL));
  drain ();
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l; l = l->next)
    if (LK_IS_COMPARE_WINDOW (l->data))
      cw = l->data;
  g_assert_nonnull (cw);
  return cw;
}

static void
test_compare (void)
{
  g_autofree char *tiny = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "bert", NULL);
  g_autofree char *tiny_mpnet = g_test_build_filename (G_TEST_DIST, "golden", "tiny", "mpnet", NULL);
  LkModelChooser *chooser = lk_window_get_model_chooser (win);
  g_autofree char *saved = g_strdup (lk_model_chooser_get_model (chooser));
  LkExplanation *pinned, *current, *diff;
  const LkMatrix *mp, *mc, *md;
  LkCompareWindow *cw;
  const char *why = NULL;

  set_texts ("The cat sits on the mat.", "A cat is lying on a rug.");
  pinned = explain_with ("bilrp");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.pin", NULL));
  /* nothing to compare with until another result is on screen */
  gtk_widget_activate_action (GTK_WIDGET (win), "win.compare", NULL);
  drain ();
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l; l = l->next)
    g_assert_false (LK_IS_COMPARE_WINDOW (l->data));
  current = explain_with ("hxp");
  cw = open_compare ();
  diff = lk_compare_window_get_difference (cw, &why);
  g_assert_nonnull (diff);
  g_assert_null (why);
  mp = lk_explanation_get_matrix (pinned);
  mc = lk_explanation_get_matrix (current);
  md = lk_explanation_get_matrix (diff);
  g_assert_cmpuint (md->rows, ==, mc->rows);
  g_assert_cmpuint (md->cols, ==, mc->cols);
  for (gsize i = 0; i < (gsize) md->rows * md->cols; i++)
    g_assert_cmpfloat (fabs (md->data[i] - (mc->data[i] - mp->data[i])), <, 1e-12);
  g_assert_cmpfloat (fabs (lk_explanation_get_score (diff, "similarity", NAN) -
                           (lk_explanation_get_score (current, "similarity", NAN) -
                            lk_explanation_get_score (pinned, "similarity", NAN))), <, 1e-12);
  snapshot_widget (GTK_WIDGET (cw), "compare-bilrp-hxp");
  gtk_window_destroy (GTK_WINDOW (cw));
  drain ();

  /* another model with the same tokenizer (the tiny BERT has MiniLM's
   * vocabulary): a difference of two models */
  lk_model_chooser_set_model (chooser, tiny);
  explain_with ("bilrp");
  cw = open_compare ();
  g_assert_nonnull (lk_compare_window_get_difference (cw, &why));
  snapshot_widget (GTK_WIDGET (cw), "compare-two-models");
  gtk_window_destroy (GTK_WINDOW (cw));
  drain ();
  /* another tokenizer (MPNet's <s> … </s>): the shapes do not agree */
  lk_model_chooser_set_model (chooser, tiny_mpnet);
  explain_with ("bilrp");
  cw = open_compare ();
  g_assert_null (lk_compare_window_get_difference (cw, &why));
  g_assert_nonnull (why);
  g_test_message ("MiniLM against the tiny BERT: %s", why);
  g_assert_nonnull (strstr (why, "do not agree"));
  snapshot_widget (GTK_WIDGET (cw), "compare-other-tokens");
  gtk_window_destroy (GTK_WINDOW (cw));
  drain ();
  lk_model_chooser_set_model (chooser, saved);
}

static void
test_preferences (void)
{
  GtkWidget *prefs = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l; l = l->next)
    if (LK_IS_PREFERENCES_WINDOW (l->data))
      prefs = l->data;
  g_assert_nonnull (prefs);
  snapshot_widget (prefs, "preferences");
  gtk_window_destroy (GTK_WINDOW (prefs));
  drain ();
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  artifacts = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".", "artifacts", NULL);
  g_mkdir_with_parents (artifacts, 0755);
  workdir = g_dir_make_tmp ("test-gui-XXXXXX", &error);
  g_assert_no_error (error);

  app = lk_application_new (APPLICATION_ID ".Test", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  /* Screenshots show where a transition ends, not its middle. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/gui/startup", test_startup);
  g_test_add_func ("/gui/type", test_type);
  g_test_add_func ("/gui/methods", test_methods);
  g_test_add_func ("/gui/cache", test_cache);
  g_test_add_func ("/gui/highlight-zoom", test_highlight);
  g_test_add_func ("/gui/export", test_export);
  g_test_add_func ("/gui/session", test_session);
  g_test_add_func ("/gui/cancel", test_cancel);
  g_test_add_func ("/gui/image-mode", test_image_mode);
  g_test_add_func ("/gui/image-examples", test_image_examples);
  g_test_add_func ("/gui/distance-aspects", test_distance_aspects);
  g_test_add_func ("/gui/aspects-head", test_aspects_head);
  g_test_add_func ("/gui/dark", test_dark);
  g_test_add_func ("/gui/models", test_models);
  g_test_add_func ("/gui/shortcuts", test_shortcuts);
  g_test_add_func ("/gui/preferences", test_preferences);
  g_test_add_func ("/gui/params", test_params);
  g_test_add_func ("/gui/compare", test_compare);
  g_test_add_func ("/gui/prompts", test_prompts);
  g_test_add_func ("/gui/audit", test_audit);
  g_test_add_func ("/gui/a11y", test_a11y);
  g_test_add_func ("/gui/narrow", test_narrow);
  g_test_add_func ("/gui/help", test_help);
  /* Last: opening a session forgets the results the tests above share. */
  g_test_add_func ("/gui/session-text-all", test_session_text_all);
  g_test_add_func ("/gui/session-image-all", test_session_image_all);
  g_test_add_func ("/gui/session-open-while-running", test_session_open_while_running);
  rc = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (win));
  drain ();
  g_object_unref (app);
  return rc;
}
