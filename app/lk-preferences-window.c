/* lk-preferences-window.c — every row bound to a GSettings key. */
#include "config.h"

#include <glib/gi18n.h>

#include "lk-preferences-window.h"
#include "lk-settings.h"

struct _LkPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow   *device_row;
  GtkSpinButton *threads_spin;
  AdwComboRow   *palette_row;
  GtkSwitch     *merge_switch;
  GtkSwitch     *specials_switch;
};

G_DEFINE_FINAL_TYPE (LkPreferencesWindow, lk_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* Enum keys ↔ the combo row's position (the schema's values are 0, 1, 2). */
static gboolean
enum_to_selected (GValue *value, GVariant *variant, gpointer nicks)
{
  const char * const *names = nicks;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; names[i]; i++)
    if (g_str_equal (names[i], nick))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
selected_to_enum (const GValue *value, const GVariantType *type, gpointer nicks)
{
  guint i = g_value_get_uint (value);
  const char * const *names = nicks;

  if (i >= g_strv_length ((char **) names))
    return NULL;
  return g_variant_new_string (names[i]);
}

static void
bind_enum (GSettings *settings, const char *key, AdwComboRow *row, const char * const *nicks)
{
  g_settings_bind_with_mapping (settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                enum_to_selected, selected_to_enum, (gpointer) nicks, NULL);
}

static const char * const device_nicks[] = { "auto", "cpu", "cuda", NULL };
static const char * const palette_nicks[] = { "blue-red", "purple-green", "grayscale", NULL };

static void
lk_preferences_window_class_init (LkPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/likeness/Likeness/lk-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, device_row);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, palette_row);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, merge_switch);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, specials_switch);
}

static void
lk_preferences_window_init (LkPreferencesWindow *self)
{
  GSettings *settings = lk_settings_get_gsettings (lk_settings_get_default ());

  gtk_widget_init_template (GTK_WIDGET (self));
  bind_enum (settings, "device", self->device_row, device_nicks);
  bind_enum (settings, "palette", self->palette_row, palette_nicks);
  g_settings_bind (settings, "threads", self->threads_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "merge-subwords", self->merge_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "show-specials", self->specials_switch, "active", G_SETTINGS_BIND_DEFAULT);
}

GtkWidget *
lk_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (LK_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
