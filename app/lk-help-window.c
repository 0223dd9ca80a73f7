/* lk-help-window.c — the app's help: how to read each figure, and what each
 * method computes, how it checks itself and where it comes from. The texts
 * live where the knowledge does (lk_view_help in core/render, the method
 * registry in core/result); this file only lays them out, so the help, the
 * report and the CLI cannot drift apart. */
#include "config.h"

#include <glib/gi18n.h>

#include "lk-help-window.h"
#include "lk-method-info.h"
#include "lk-render.h"

static GtkWidget *
paragraph (const char *text, gboolean dim)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_top (label, 6);
  if (dim)
    gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static AdwPreferencesGroup *
group (const char *title, const char *name)
{
  AdwPreferencesGroup *g = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (g, title);
  gtk_widget_set_name (GTK_WIDGET (g), name);
  return g;
}

static GtkWidget *
views_page (void)
{
  static const LkView views[] = { LK_VIEW_HEATMAP, LK_VIEW_ALIGNMENT, LK_VIEW_SALIENCY, LK_VIEW_ASPECTS,
                                  LK_VIEW_CONTRAST, LK_VIEW_REPORT };
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());

  adw_preferences_page_set_title (page, _("Reading the Figures"));
  adw_preferences_page_set_icon_name (page, "view-grid-symbolic");
  adw_preferences_page_set_name (page, "views");
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      AdwPreferencesGroup *g = group (lk_view_title (views[i]), lk_view_to_string (views[i]));

      adw_preferences_group_add (g, paragraph (lk_view_help (views[i]), FALSE));
      adw_preferences_page_add (page, g);
    }
  return GTK_WIDGET (page);
}

static GtkWidget *
methods_page (void)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  guint n;
  const LkMethodInfo *all = lk_method_infos (&n);

  adw_preferences_page_set_title (page, _("The Methods"));
  adw_preferences_page_set_icon_name (page, "dialog-information-symbolic");
  adw_preferences_page_set_name (page, "methods");
  for (guint i = 0; i < n; i++)
    {
      AdwPreferencesGroup *g = group (lk_method_title (all[i].name), all[i].name);
      g_autofree char *check = lk_method_check_help (&all[i]);
      g_autofree char *paper = g_strdup_printf (_("From: %s"), all[i].paper);

      adw_preferences_group_set_description (g, _(all[i].description));
      adw_preferences_group_add (g, paragraph (check, FALSE));
      adw_preferences_group_add (g, paragraph (paper, TRUE));
      adw_preferences_page_add (page, g);
    }
  return GTK_WIDGET (page);
}

GtkWindow *
lk_help_window_new (GtkWindow *parent, const char *page)
{
  AdwPreferencesWindow *w = ADW_PREFERENCES_WINDOW (adw_preferences_window_new ());

  gtk_window_set_title (GTK_WINDOW (w), _("Likeness Help"));
  gtk_window_set_transient_for (GTK_WINDOW (w), parent);
  gtk_window_set_modal (GTK_WINDOW (w), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (w), 640, 720);
  adw_preferences_window_set_search_enabled (w, TRUE);
  adw_preferences_window_add (w, ADW_PREFERENCES_PAGE (views_page ()));
  adw_preferences_window_add (w, ADW_PREFERENCES_PAGE (methods_page ()));
  if (page)
    adw_preferences_window_set_visible_page_name (w, page);
  return GTK_WINDOW (w);
}

char *
lk_help_citations (void)
{
  GString *out = g_string_new (NULL);
  guint n;
  const LkMethodInfo *all = lk_method_infos (&n);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%s%s: %s", i ? "\n" : "", lk_method_title (all[i].name), all[i].paper);
  return g_string_free (out, FALSE);
}
