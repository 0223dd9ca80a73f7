/* lk-params-button.c — every parameter of the chosen method, settable.
 *
 * The rows are made from the registry (lk-method-info.h: label, one-line
 * description, type, range, default) each time the popover opens, so a
 * method or a parameter added there appears here with nothing to write.
 * Values go to the settings' "method-params" (lk-settings.h), which the
 * window watches: a change marks the result on screen out of date. */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <adwaita.h>

#include "lk-method-info.h"
#include "lk-params-button.h"
#include "lk-settings.h"

struct _LkParamsButton
{
  GtkWidget   parent_instance;
  GtkWidget  *button;
  GtkWidget  *popover;
  GtkWidget  *heading;
  GtkWidget  *list;
  GtkWidget  *reset;
  GSettings  *settings;
  LkMethod    method;
  gboolean    filling;  /* while the rows are made: their values are not changes */
};

G_DEFINE_FINAL_TYPE (LkParamsButton, lk_params_button, GTK_TYPE_WIDGET)

#define PARAM_DATA "lk-param"

/* The parameters whose default is a sentinel the method resolves for the
 * model at hand (IJ's layer L−2, the quadrature's own node count): the
 * value shows as "Default" rather than as a number with a meaning. */
static gboolean
has_sentinel_default (const LkParamInfo *info)
{
  return info->param == LK_PARAM_LAYER || info->param == LK_PARAM_STEPS;
}

static int
digits_for (const LkParamInfo *info)
{
  if (info->type != LK_PARAM_TYPE_DOUBLE)
    return 0;
  return info->min > 0 && info->min < 1e-3 ? 7 : 3;
}

static char *
format_value (const LkParamInfo *info, double value)
{
  switch (info->type)
    {
    case LK_PARAM_TYPE_BOOLEAN:
      return g_strdup (value != 0 ? _("on") : _("off"));
    case LK_PARAM_TYPE_CHOICE:
      return g_strdup (info->choices[(int) value]);
    case LK_PARAM_TYPE_DOUBLE:
      return g_strdup_printf ("%g", value);
    case LK_PARAM_TYPE_INT:
    default:
      if (has_sentinel_default (info) && value == info->default_value)
        return g_strdup (_("Default"));
      return g_strdup_printf ("%.0f", value);
    }
}

static void
store (LkParamsButton *self, const LkParamInfo *info, double value)
{
  g_autoptr(GError) error = NULL;

  if (self->filling)
    return;
  /* the widgets' ranges are the registry's, so this holds; a failure
   * would be a registry whose ranges disagree with its own check */
  if (!lk_settings_set_param (lk_settings_get_default (), self->method, info->param, value, &error))
    g_warning ("%s", error->message);
}

static void
on_spin_changed (GtkSpinButton *spin, LkParamsButton *self)
{
  store (self, g_object_get_data (G_OBJECT (spin), PARAM_DATA), gtk_spin_button_get_value (spin));
}

static gboolean
on_spin_output (GtkSpinButton *spin, gpointer data)
{
  const LkParamInfo *info = g_object_get_data (G_OBJECT (spin), PARAM_DATA);
  double value = gtk_spin_button_get_value (spin);
  g_autofree char *text = NULL;

  if (!has_sentinel_default (info) || value != info->default_value)
    return FALSE;
  text = format_value (info, value);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (spin)), text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static int
on_spin_input (GtkSpinButton *spin, double *new_value, gpointer data)
{
  const LkParamInfo *info = g_object_get_data (G_OBJECT (spin), PARAM_DATA);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));

  if (has_sentinel_default (info) && (g_utf8_collate (text, _("Default")) == 0 || g_ascii_strcasecmp (text, "default") == 0))
    {
      *new_value = info->default_value;
      return TRUE;
    }
  return FALSE;
}

static void
on_switch_active (GtkSwitch *sw, GParamSpec *pspec, LkParamsButton *self)
{
  store (self, g_object_get_data (G_OBJECT (sw), PARAM_DATA), gtk_switch_get_active (sw));
}

static void
on_dropdown_selected (GtkDropDown *dropdown, GParamSpec *pspec, LkParamsButton *self)
{
  store (self, g_object_get_data (G_OBJECT (dropdown), PARAM_DATA), gtk_drop_down_get_selected (dropdown));
}

static GtkWidget *
value_widget (LkParamsButton *self, const LkParamInfo *info, double value)
{
  GtkWidget *widget;

  switch (info->type)
    {
    case LK_PARAM_TYPE_BOOLEAN:
      widget = gtk_switch_new ();
      gtk_switch_set_active (GTK_SWITCH (widget), value != 0);
      g_signal_connect (widget, "notify::active", G_CALLBACK (on_switch_active), self);
      break;
    case LK_PARAM_TYPE_CHOICE:
      widget = gtk_drop_down_new_from_strings (info->choices);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (widget), (guint) value);
      g_signal_connect (widget, "notify::selected", G_CALLBACK (on_dropdown_selected), self);
      break;
    case LK_PARAM_TYPE_INT:
    case LK_PARAM_TYPE_DOUBLE:
    default:
      {
        int digits = digits_for (info);
        double step = info->type == LK_PARAM_TYPE_INT ? 1 : (digits > 3 ? 1e-4 : 0.01);
        GtkAdjustment *adj = gtk_adjustment_new (value, info->min, info->max, step, step * 10, 0);
        widget = gtk_spin_button_new (adj, step, digits);
        /* "Default" is text: a numeric spin would refuse it */
        gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (widget), !has_sentinel_default (info));
        gtk_editable_set_width_chars (GTK_EDITABLE (widget), digits > 3 ? 10 : 8);
        g_object_set_data (G_OBJECT (widget), PARAM_DATA, (gpointer) info);
        g_signal_connect (widget, "output", G_CALLBACK (on_spin_output), NULL);
        g_signal_connect (widget, "input", G_CALLBACK (on_spin_input), NULL);
        g_signal_connect (widget, "value-changed", G_CALLBACK (on_spin_changed), self);
        gtk_spin_button_update (GTK_SPIN_BUTTON (widget));
        on_spin_output (GTK_SPIN_BUTTON (widget), NULL);
      }
      break;
    }
  g_object_set_data (G_OBJECT (widget), PARAM_DATA, (gpointer) info);
  gtk_widget_set_valign (widget, GTK_ALIGN_CENTER);
  gtk_widget_set_name (widget, info->name);  /* for tests and the inspector */
  return widget;
}

static void
rebuild (LkParamsButton *self)
{
  g_autofree char *name = g_settings_get_string (self->settings, "method");
  const LkMethodInfo *method = lk_method_info_find (name);
  g_autofree char *heading = NULL;
  gboolean any_set = FALSE;
  GtkWidget *child;

  if (method == NULL)
    method = lk_method_info (lk_method_default ());
  self->method = method->method;
  self->filling = TRUE;
  while ((child = gtk_widget_get_first_child (self->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  /* TRANSLATORS: the heading of a method's parameters, e.g. "Integrated Jacobians Parameters" */
  heading = g_strdup_printf (_("%s Parameters"), lk_method_title (method->name));
  gtk_label_set_label (GTK_LABEL (self->heading), heading);
  for (guint i = 0; method->params[i] != LK_N_PARAMS; i++)
    {
      const LkParamInfo *info = lk_param_info (method->params[i]);
      gboolean set;
      double value = lk_settings_get_param (lk_settings_get_default (), method->method, info->param, &set);
      g_autofree char *def = format_value (info, info->default_value);
      g_autofree char *tip = g_strdup_printf (_("Default: %s"), def);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *widget = value_widget (self, info, value);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(info->label));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(info->description));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), widget);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), widget);
      gtk_widget_set_tooltip_text (row, tip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, _(info->label),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tip, -1);
      if (set)
        gtk_widget_add_css_class (row, "lk-param-set");
      any_set |= set;
      gtk_list_box_append (GTK_LIST_BOX (self->list), row);
    }
  gtk_widget_set_sensitive (self->reset, any_set);
  self->filling = FALSE;
}

static void
on_settings_changed (GSettings *settings, const char *key, LkParamsButton *self)
{
  /* while the popover is open its own edits arrive here: the rows stay,
   * only Reset's sensitivity follows */
  if (g_str_equal (key, "method") || !gtk_widget_get_visible (self->popover))
    return;
  if (g_str_equal (key, "method-params"))
    gtk_widget_set_sensitive (self->reset, lk_settings_has_params (lk_settings_get_default (), self->method));
}

static void
on_popover_show (GtkWidget *popover, LkParamsButton *self)
{
  rebuild (self);
}

static void
on_reset_clicked (GtkButton *button, LkParamsButton *self)
{
  lk_settings_reset_params (lk_settings_get_default (), self->method);
  rebuild (self);
}

static void
lk_params_button_dispose (GObject *object)
{
  LkParamsButton *self = LK_PARAMS_BUTTON (object);

  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->button, gtk_widget_unparent);
  G_OBJECT_CLASS (lk_params_button_parent_class)->dispose (object);
}

static void
lk_params_button_class_init (LkParamsButtonClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = lk_params_button_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
lk_params_button_init (LkParamsButton *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->settings = g_object_ref (lk_settings_get_gsettings (lk_settings_get_default ()));
  self->button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->button), "emblem-system-symbolic");
  gtk_widget_set_tooltip_text (self->button, _("Method Parameters"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Method Parameters"), -1);
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));

  self->heading = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->heading), 0);
  gtk_widget_add_css_class (self->heading, "heading");
  gtk_box_append (GTK_BOX (box), self->heading);

  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->list, "boxed-list");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 460);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->list);
  gtk_widget_set_size_request (scrolled, 440, -1);
  gtk_box_append (GTK_BOX (box), scrolled);

  self->reset = gtk_button_new_with_mnemonic (_("_Reset to Defaults"));
  gtk_widget_set_halign (self->reset, GTK_ALIGN_END);
  gtk_widget_set_name (self->reset, "reset");
  g_signal_connect (self->reset, "clicked", G_CALLBACK (on_reset_clicked), self);
  gtk_box_append (GTK_BOX (box), self->reset);

  self->popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (self->popover), box);
  g_signal_connect (self->popover, "show", G_CALLBACK (on_popover_show), self);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->button), self->popover);
  g_signal_connect (self->settings, "changed", G_CALLBACK (on_settings_changed), self);
}

GtkWidget *
lk_params_button_new (void)
{
  return g_object_new (LK_TYPE_PARAMS_BUTTON, NULL);
}

void
lk_params_button_popup (LkParamsButton *self)
{
  g_return_if_fail (LK_IS_PARAMS_BUTTON (self));
  gtk_menu_button_popup (GTK_MENU_BUTTON (self->button));
}
