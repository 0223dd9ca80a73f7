/* lk-method-chooser.c — a popover list of the explanation methods. */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lk-details-view.h"
#include "lk-method-chooser.h"
#include "lk-method-info.h"

struct _LkMethodChooser
{
  GtkWidget      parent_instance;

  GtkMenuButton *button;
  GtkPopover    *popover;
  GtkListBox    *list;
  GtkLabel      *label;
  char          *method;
};

enum {
  PROP_0,
  PROP_METHOD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (LkMethodChooser, lk_method_chooser, GTK_TYPE_WIDGET)

/* The rows follow the method registry's order (lk_method_infos). */
static const LkMethodInfo *
nth_method (int i, guint *n)
{
  const LkMethodInfo *all = lk_method_infos (n);

  return i >= 0 && (guint) i < *n ? &all[i] : NULL;
}

static void
sync_rows (LkMethodChooser *self)
{
  GtkWidget *row;
  int i = 0;

  gtk_label_set_label (self->label, self->method ? lk_method_short_title (self->method) : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), self->method ? lk_method_title (self->method) : NULL);
  while ((row = GTK_WIDGET (gtk_list_box_get_row_at_index (self->list, i))))
    {
      GtkWidget *check = g_object_get_data (G_OBJECT (row), "check");
      guint n;
      const LkMethodInfo *info = nth_method (i, &n);
      gtk_widget_set_opacity (check, info && g_strcmp0 (info->name, self->method) == 0 ? 1 : 0);
      i++;
    }
}

static void
on_row_activated (GtkListBox *list, GtkListBoxRow *row, LkMethodChooser *self)
{
  guint n;
  const LkMethodInfo *info = nth_method (gtk_list_box_row_get_index (row), &n);

  if (info == NULL)
    return;
  lk_method_chooser_set_method (self, info->name);
  gtk_popover_popdown (self->popover);
}

static GtkWidget *
make_row (const LkMethodInfo *info)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), lk_method_title (info->name));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(info->description));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  g_object_set_data (G_OBJECT (row), "check", check);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  return row;
}

static void
lk_method_chooser_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkMethodChooser *self = LK_METHOD_CHOOSER (object);

  switch (prop_id)
    {
    case PROP_METHOD:
      g_value_set_string (value, self->method);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_method_chooser_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LkMethodChooser *self = LK_METHOD_CHOOSER (object);

  switch (prop_id)
    {
    case PROP_METHOD:
      lk_method_chooser_set_method (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_method_chooser_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), LK_TYPE_METHOD_CHOOSER);
  G_OBJECT_CLASS (lk_method_chooser_parent_class)->dispose (object);
}

static void
lk_method_chooser_finalize (GObject *object)
{
  g_free (LK_METHOD_CHOOSER (object)->method);
  G_OBJECT_CLASS (lk_method_chooser_parent_class)->finalize (object);
}

static void
lk_method_chooser_class_init (LkMethodChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lk_method_chooser_get_property;
  object_class->set_property = lk_method_chooser_set_property;
  object_class->dispose = lk_method_chooser_dispose;
  object_class->finalize = lk_method_chooser_finalize;

  properties[PROP_METHOD] =
    g_param_spec_string ("method", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/likeness/Likeness/lk-method-chooser.ui");
  gtk_widget_class_bind_template_child (widget_class, LkMethodChooser, button);
  gtk_widget_class_bind_template_child (widget_class, LkMethodChooser, popover);
  gtk_widget_class_bind_template_child (widget_class, LkMethodChooser, list);
  gtk_widget_class_bind_template_child (widget_class, LkMethodChooser, label);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
}

static void
lk_method_chooser_init (LkMethodChooser *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  {
    guint n;
    const LkMethodInfo *all = lk_method_infos (&n);

    for (guint i = 0; i < n; i++)
      gtk_list_box_append (self->list, make_row (&all[i]));
  }
  self->method = g_strdup (lk_method_to_string (lk_method_default ()));
  sync_rows (self);
}

const char *
lk_method_chooser_get_method (LkMethodChooser *self)
{
  g_return_val_if_fail (LK_IS_METHOD_CHOOSER (self), NULL);
  return self->method;
}

void
lk_method_chooser_set_method (LkMethodChooser *self, const char *method)
{
  g_return_if_fail (LK_IS_METHOD_CHOOSER (self));

  if (method == NULL || g_strcmp0 (method, self->method) == 0)
    return;
  g_free (self->method);
  self->method = g_strdup (method);
  sync_rows (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METHOD]);
}

static GtkWidget *
row_of (LkMethodChooser *self, const char *method)
{
  guint n;
  const LkMethodInfo *all = lk_method_infos (&n);

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (all[i].name, method) == 0)
      return GTK_WIDGET (gtk_list_box_get_row_at_index (self->list, (int) i));
  return NULL;
}

void
lk_method_chooser_set_available (LkMethodChooser *self, const char *method, gboolean available, const char *why)
{
  GtkWidget *row;
  const LkMethodInfo *info;

  g_return_if_fail (LK_IS_METHOD_CHOOSER (self));
  if ((row = row_of (self, method)) == NULL || (info = lk_method_info_find (method)) == NULL)
    return;
  gtk_widget_set_sensitive (row, available);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), why ? why : _(info->description));
}

gboolean
lk_method_chooser_get_available (LkMethodChooser *self, const char *method)
{
  GtkWidget *row;

  g_return_val_if_fail (LK_IS_METHOD_CHOOSER (self), FALSE);
  row = row_of (self, method);
  return row != NULL && gtk_widget_get_sensitive (row);
}
