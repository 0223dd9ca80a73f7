/* lk-model-chooser.c — pick, add or download a model. */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lk-error.h"
#include "lk-model-chooser.h"
#include "lk-model-store.h"
#include "lk-settings.h"

struct _LkModelChooser
{
  GtkWidget       parent_instance;

  GtkMenuButton  *button;
  GtkLabel       *label;
  GtkPopover     *popover;
  GtkListBox     *list;
  GtkEntry       *download_entry;
  GtkButton      *cancel_button;
  GtkProgressBar *progress;
  GtkLabel       *status;

  char           *model;
  char           *error;
  GCancellable   *download;
  guint           n_models;
};

enum {
  PROP_0,
  PROP_MODEL,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (LkModelChooser, lk_model_chooser, GTK_TYPE_WIDGET)

static void
update_label (LkModelChooser *self)
{
  const char *name = self->model ? self->model : "";
  g_autofree char *base = g_path_get_basename (*name ? name : "?");

  gtk_label_set_label (self->label, *name ? base : _("No Model"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), *name ? name : _("Choose a Model"));
}

static void
sync_checks (LkModelChooser *self)
{
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->list, i)); i++)
    gtk_widget_set_opacity (g_object_get_data (G_OBJECT (row), "check"),
                            g_strcmp0 (g_object_get_data (G_OBJECT (row), "name"), self->model) == 0 ? 1 : 0);
}

static GtkWidget *
make_row (const LkModelInfo *info)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");
  GtkWidget *kind = NULL;
  /* Cache models go by their hub id, folders by their path. */
  const char *name = info->revision ? info->id : info->path;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info->id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), info->path);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  /* What the model compares, at a glance: texts, or images and captions. */
  switch (info->kind)
    {
    case LK_MODEL_KIND_TEXT:
      kind = gtk_label_new (_("Text"));
      break;
    case LK_MODEL_KIND_IMAGE_TEXT:
      kind = gtk_label_new (_("Image & Text"));
      break;
    case LK_MODEL_KIND_CROSS_ENCODER:
      /* Listed so that the user sees why it cannot be chosen: loading it
       * says what Likeness explains instead. */
      kind = gtk_label_new (_("Cross-Encoder"));
      break;
    case LK_MODEL_KIND_LATE_INTERACTION:
      kind = gtk_label_new (_("Late Interaction"));
      break;
    case LK_MODEL_KIND_UNKNOWN:
    default:
      break;
    }
  if (kind)
    {
      gtk_widget_add_css_class (kind, "model-kind");
      gtk_widget_add_css_class (kind, "caption");
      gtk_widget_set_valign (kind, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), kind);
      g_object_set_data (G_OBJECT (row), "kind", kind);
    }
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_set_tooltip_text (row, info->path);
  g_object_set_data (G_OBJECT (row), "check", check);
  g_object_set_data_full (G_OBJECT (row), "name", g_strdup (name), g_free);
  return row;
}

void
lk_model_chooser_refresh (LkModelChooser *self)
{
  g_auto(GStrv) folders = lk_settings_dup_model_folders (lk_settings_get_default ());
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  g_return_if_fail (LK_IS_MODEL_CHOOSER (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))))
    gtk_list_box_remove (self->list, child);
  self->n_models = 0;
  models = lk_model_store_list ((const char * const *) folders, &error);
  if (models == NULL)
    {
      gtk_label_set_label (self->status, error->message);
      return;
    }
  for (guint i = 0; i < models->len; i++)
    gtk_list_box_append (self->list, make_row (g_ptr_array_index (models, i)));
  self->n_models = models->len;
  sync_checks (self);
}

static void
on_popover_show (LkModelChooser *self)
{
  lk_model_chooser_refresh (self);
}

static void
on_row_activated (GtkListBox *list, GtkListBoxRow *row, LkModelChooser *self)
{
  lk_model_chooser_set_model (self, g_object_get_data (G_OBJECT (row), "name"));
  gtk_popover_popdown (self->popover);
}

/* ---- adding a folder ---- */

static void
on_folder_chosen (GtkNativeDialog *dialog, int response, LkModelChooser *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *config = g_build_filename (path, "config.json", NULL);
      g_autofree char *modules = g_build_filename (path, "modules.json", NULL);

      lk_settings_add_model_folder (lk_settings_get_default (), path);
      lk_model_chooser_refresh (self);
      /* A model folder itself is chosen right away; a folder of models is listed. */
      if (g_file_test (config, G_FILE_TEST_EXISTS) || g_file_test (modules, G_FILE_TEST_EXISTS))
        lk_model_chooser_set_model (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
add_folder_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkModelChooser *self = LK_MODEL_CHOOSER (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *dialog;

  gtk_popover_popdown (self->popover);
  dialog = gtk_file_chooser_native_new (_("Add a Model Folder"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Add"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_folder_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- downloads ---- */

static void
set_status (LkModelChooser *self, const char *text, gboolean is_error)
{
  gtk_label_set_label (self->status, text);
  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->status), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
    }
}

static void
set_busy (LkModelChooser *self, gboolean busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->progress), busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), busy);
  g_autofree char *why = NULL;
  gboolean allowed = lk_model_store_downloads_allowed (&why);

  /* Offline, the entry and the button stay, insensitive, and the status
   * line says why, instead of a download that can only fail. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->download_entry), !busy && allowed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "models.download", !busy && allowed);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->download_entry), why);
  if (!allowed && !busy)
    set_status (self, why, FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "models.cancel-download", busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
on_download_progress (const char *file, guint64 done, guint64 total, gpointer data)
{
  LkModelChooser *self = data;
  g_autofree char *done_s = g_format_size (done);
  g_autofree char *total_s = total ? g_format_size (total) : NULL;
  g_autofree char *text = NULL;

  /* A disposed chooser has cancelled; its widgets may be gone. */
  if (self->download == NULL || g_cancellable_is_cancelled (self->download) || self->progress == NULL)
    return;
  if (total > 0)
    {
      gtk_progress_bar_set_fraction (self->progress, (double) done / total);
      /* Translators: bytes downloaded so far, of the total */
      text = g_strdup_printf (_("%s of %s"), done_s, total_s);
    }
  else
    {
      gtk_progress_bar_pulse (self->progress);
      text = g_strdup (done_s);
    }
  gtk_progress_bar_set_text (self->progress, text);
  if (file)
    {
      g_autofree char *what = g_strdup_printf (_("Downloading %s…"), file);
      set_status (self, what, FALSE);
    }
}

static char *
describe_error (const GError *error)
{
  if (g_error_matches (error, LK_ERROR, LK_ERROR_OFFLINE))
    return g_strdup (_("Downloads are turned off (HF_HUB_OFFLINE=1)."));
  if (g_error_matches (error, LK_ERROR, LK_ERROR_NOT_FOUND))
    return g_strdup_printf (_("No such model on the hub: %s"), error->message);
  if (g_error_matches (error, LK_ERROR, LK_ERROR_NETWORK))
    return g_strdup_printf (_("The download failed: %s"), error->message);
  if (g_error_matches (error, LK_ERROR, LK_ERROR_CHECKSUM))
    return g_strdup_printf (_("A downloaded file is damaged: %s"), error->message);
  return g_strdup (error->message);
}

static void
on_download_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(LkModelChooser) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = lk_model_store_resolve_finish (result, &error);

  g_clear_object (&self->download);
  g_clear_pointer (&self->error, g_free);
  if (gtk_widget_in_destruction (GTK_WIDGET (self)) || self->progress == NULL)
    return;
  set_busy (self, FALSE);
  if (path == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, _("Download cancelled. It resumes where it stopped next time."), FALSE);
      else
        {
          self->error = describe_error (error);
          set_status (self, self->error, TRUE);
        }
      return;
    }
  set_status (self, _("Downloaded."), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->download_entry), "");
  lk_model_chooser_refresh (self);
  lk_model_chooser_set_model (self, g_object_get_data (G_OBJECT (self), "download-id"));
}

void
lk_model_chooser_download (LkModelChooser *self, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strstrip (g_strdup (id ? id : ""));

  g_return_if_fail (LK_IS_MODEL_CHOOSER (self));

  if (self->download)
    return;
  g_clear_pointer (&self->error, g_free);
  if (!lk_model_store_validate_id (text, &error))
    {
      self->error = g_strdup_printf (_("“%s” is not a hub model id (expected organization/name): %s"),
                                     text, error->message);
      set_status (self, self->error, TRUE);
      return;
    }
  g_object_set_data_full (G_OBJECT (self), "download-id", g_strdup (text), g_free);
  self->download = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, _("Connecting…"));
  set_status (self, _("Connecting…"), FALSE);
  set_busy (self, TRUE);
  lk_model_store_resolve_async (text, TRUE, on_download_progress, self, self->download,
                                on_download_done, g_object_ref (self));
}

static void
download_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkModelChooser *self = LK_MODEL_CHOOSER (widget);
  lk_model_chooser_download (self, gtk_editable_get_text (GTK_EDITABLE (self->download_entry)));
}

static void
on_download_activate (LkModelChooser *self)
{
  download_action (GTK_WIDGET (self), NULL, NULL);
}

static void
cancel_download_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkModelChooser *self = LK_MODEL_CHOOSER (widget);

  if (self->download)
    g_cancellable_cancel (self->download);
}

/* ---- GObject ---- */

static void
lk_model_chooser_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkModelChooser *self = LK_MODEL_CHOOSER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->download != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_model_chooser_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_MODEL:
      lk_model_chooser_set_model (LK_MODEL_CHOOSER (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_model_chooser_dispose (GObject *object)
{
  LkModelChooser *self = LK_MODEL_CHOOSER (object);

  if (self->download)
    g_cancellable_cancel (self->download);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_MODEL_CHOOSER);
  G_OBJECT_CLASS (lk_model_chooser_parent_class)->dispose (object);
}

static void
lk_model_chooser_finalize (GObject *object)
{
  LkModelChooser *self = LK_MODEL_CHOOSER (object);

  g_clear_object (&self->download);
  g_free (self->model);
  g_free (self->error);
  G_OBJECT_CLASS (lk_model_chooser_parent_class)->finalize (object);
}

static void
lk_model_chooser_class_init (LkModelChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lk_model_chooser_get_property;
  object_class->set_property = lk_model_chooser_set_property;
  object_class->dispose = lk_model_chooser_dispose;
  object_class->finalize = lk_model_chooser_finalize;

  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/likeness/Likeness/lk-model-chooser.ui");
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, button);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, label);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, popover);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, list);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, download_entry);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, progress);
  gtk_widget_class_bind_template_child (widget_class, LkModelChooser, status);
  gtk_widget_class_bind_template_callback (widget_class, on_popover_show);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_download_activate);

  gtk_widget_class_install_action (widget_class, "models.add-folder", NULL, add_folder_action);
  gtk_widget_class_install_action (widget_class, "models.download", NULL, download_action);
  gtk_widget_class_install_action (widget_class, "models.cancel-download", NULL, cancel_download_action);
}

static void
lk_model_chooser_init (LkModelChooser *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  set_busy (self, FALSE);
  update_label (self);
}

const char *
lk_model_chooser_get_model (LkModelChooser *self)
{
  g_return_val_if_fail (LK_IS_MODEL_CHOOSER (self), NULL);
  return self->model;
}

void
lk_model_chooser_set_model (LkModelChooser *self, const char *model)
{
  g_return_if_fail (LK_IS_MODEL_CHOOSER (self));

  if (g_strcmp0 (model, self->model) == 0)
    return;
  g_free (self->model);
  self->model = g_strdup (model);
  update_label (self);
  sync_checks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

guint
lk_model_chooser_get_n_models (LkModelChooser *self)
{
  g_return_val_if_fail (LK_IS_MODEL_CHOOSER (self), 0);
  return self->n_models;
}

gboolean
lk_model_chooser_get_busy (LkModelChooser *self)
{
  g_return_val_if_fail (LK_IS_MODEL_CHOOSER (self), FALSE);
  return self->download != NULL;
}

const char *
lk_model_chooser_get_error (LkModelChooser *self)
{
  g_return_val_if_fail (LK_IS_MODEL_CHOOSER (self), NULL);
  return self->error;
}

const char *
lk_model_chooser_get_kind_label (LkModelChooser *self, const char *name)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (LK_IS_MODEL_CHOOSER (self), NULL);
  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->list, i)); i++)
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "name"), name) == 0)
      {
        GtkWidget *kind = g_object_get_data (G_OBJECT (row), "kind");
        return kind ? gtk_label_get_label (GTK_LABEL (kind)) : NULL;
      }
  return NULL;
}

gboolean
lk_model_chooser_get_can_download (LkModelChooser *self)
{
  g_return_val_if_fail (LK_IS_MODEL_CHOOSER (self), FALSE);
  return gtk_widget_get_sensitive (GTK_WIDGET (self->download_entry));
}
