/* lk-compare-window.c — three figures in a row: the pinned result, the
 * current one, and current − pinned (lk-compare.h) when both are token
 * matrices of the same tokens; else the reason in its place. Each figure
 * is the main window's own figure view, so hover, selection and zoom work
 * as there. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "lk-compare.h"
#include "lk-compare-window.h"
#include "lk-figure-view.h"
#include "lk-method-info.h"
#include "lk-settings.h"

struct _LkCompareWindow
{
  AdwWindow      parent_instance;
  LkExplanation *difference;
  char          *why_not;
};

G_DEFINE_FINAL_TYPE (LkCompareWindow, lk_compare_window, ADW_TYPE_WINDOW)

static void
lk_compare_window_finalize (GObject *object)
{
  LkCompareWindow *self = LK_COMPARE_WINDOW (object);

  g_clear_object (&self->difference);
  g_free (self->why_not);
  G_OBJECT_CLASS (lk_compare_window_parent_class)->finalize (object);
}

static void
lk_compare_window_class_init (LkCompareWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_compare_window_finalize;
}

static void
lk_compare_window_init (LkCompareWindow *self)
{
}

/* "BiLRP · all-MiniLM-L6-v2 · similarity 0.791" */
static char *
describe (LkExplanation *x)
{
  JsonObject *model = lk_explanation_get_model (x);
  const char *id = model && json_object_has_member (model, "id") ? json_object_get_string_member (model, "id") : "";
  const char *slash = strrchr (id, '/');

  return g_strdup_printf (_("%s · %s · similarity %.3f"), lk_method_title (lk_explanation_get_method (x)),
                          slash ? slash + 1 : id, lk_explanation_get_score (x, LK_SCORE_SIMILARITY, 0));
}

static GtkWidget *
column (const char *title, const char *subtitle, GtkWidget *body)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (title);
  GtkWidget *sub = gtk_label_new (subtitle);

  gtk_widget_add_css_class (heading, "heading");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_label_set_wrap (GTK_LABEL (sub), TRUE);
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), sub);
  gtk_widget_set_vexpand (body, TRUE);
  gtk_widget_set_hexpand (body, TRUE);
  gtk_box_append (GTK_BOX (box), body);
  return box;
}

static GtkWidget *
figure (LkExplanation *x)
{
  GtkWidget *view = lk_figure_view_new (LK_VIEW_HEATMAP);
  LkRenderOptions options;

  lk_render_options_init (&options);
  lk_settings_fill_render_options (lk_settings_get_default (), &options);
  lk_figure_view_set_options (LK_FIGURE_VIEW (view), &options);
  lk_figure_view_set_explanation (LK_FIGURE_VIEW (view), x);
  gtk_widget_set_size_request (view, 320, 320);
  return view;
}

GtkWidget *
lk_compare_window_new (GtkWindow *parent, LkExplanation *pinned, LkExplanation *current)
{
  LkCompareWindow *self;
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL;
  GtkWidget *toolbar, *header, *row, *third;

  g_return_val_if_fail (pinned != NULL && current != NULL, NULL);
  self = g_object_new (LK_TYPE_COMPARE_WINDOW, "title", _("Compare Results"), "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       "default-width", 1280, "default-height", 640, NULL);
  self->difference = lk_explanation_difference (pinned, current, &error);
  if (self->difference == NULL)
    self->why_not = g_strdup (error->message);

  a = describe (pinned);
  b = describe (current);
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  gtk_box_set_homogeneous (GTK_BOX (row), TRUE);
  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 12);
  gtk_widget_set_margin_bottom (row, 12);
  gtk_box_append (GTK_BOX (row), column (_("Pinned"), a, figure (pinned)));
  gtk_box_append (GTK_BOX (row), column (_("Current"), b, figure (current)));
  if (self->difference != NULL)
    {
      g_autofree char *sub = g_strdup_printf (_("Current − pinned, pair by pair; the similarity differs by %+.3f"),
                                              lk_explanation_get_score (self->difference, LK_SCORE_SIMILARITY, 0));
      third = column (_("Difference"), sub, figure (self->difference));
    }
  else
    {
      GtkWidget *status = adw_status_page_new ();
      g_autofree char *escaped = g_markup_escape_text (self->why_not, -1);  /* the description is markup */
      adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "dialog-information-symbolic");
      adw_status_page_set_title (ADW_STATUS_PAGE (status), _("No Difference to Show"));
      adw_status_page_set_description (ADW_STATUS_PAGE (status), escaped);
      gtk_widget_add_css_class (status, "compact");
      third = column (_("Difference"), _("Only two token matrices of the same tokens can be subtracted"), status);
    }
  gtk_widget_set_name (third, "difference");
  gtk_box_append (GTK_BOX (row), third);

  header = adw_header_bar_new ();
  toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (toolbar), header);
  gtk_box_append (GTK_BOX (toolbar), row);
  adw_window_set_content (ADW_WINDOW (self), toolbar);
  return GTK_WIDGET (self);
}

LkExplanation *
lk_compare_window_get_difference (LkCompareWindow *self, const char **why_not)
{
  g_return_val_if_fail (LK_IS_COMPARE_WINDOW (self), NULL);
  if (why_not)
    *why_not = self->why_not;
  return self->difference;
}
