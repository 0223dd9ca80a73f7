/* lk-input-pane.c — the texts (or the image and caption) to explain. */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "lk-input-pane.h"
#include "lk-image.h"
#include "lk-application.h"

struct _LkInputPane
{
  GtkWidget    parent_instance;

  GtkStack    *stack;
  GtkTextView *text_a;
  GtkTextView *text_b;
  GtkLabel    *count_a;
  GtkLabel    *count_b;
  GtkImage    *warning_a;
  GtkImage    *warning_b;
  GtkMenuButton *examples_button;
  GtkMenuButton *image_examples_button;
  GtkStack    *image_stack;
  GtkPicture  *picture;
  AdwStatusPage *image_error_page;
  char        *image_error;  /* why the chosen image cannot be read, or NULL */
  GtkEntry    *caption_entry;
  GtkLabel    *count_caption;

  /* A prompt chooser under each text, shown for models that name prompts
   * (config_sentence_transformers.json): "No Prompt", then the names. */
  GtkDropDown *prompt_drop[2];
  GtkStringList *prompt_names;

  LkModel     *model;
  char        *image;
  guint        count_source;
};

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (LkInputPane, lk_input_pane, GTK_TYPE_WIDGET)

/* Model inputs, so they stay in English whatever the language of the UI. */
static const LkExamplePair examples[] = {
  { "The coffee is bad.", "This is not a good coffee." },
  { "A man is playing a guitar.", "Someone plays an instrument." },
  { "A woman is slicing an onion.", "A woman is cutting an onion." },
  { "Three children are playing soccer in a field.", "Kids kick a ball around on the grass." },
  { "The stock market fell sharply on Monday.", "Shares dropped steeply at the start of the week." },
  { "A cat is sleeping on the sofa.", "The dog runs through the park." },
  { "The new phone has a great camera but a weak battery.", "Its battery life is poor, though the photos look excellent." },
  { NULL, NULL },
};

const LkExamplePair *
lk_example_pairs (void)
{
  return examples;
}

/* The photos of data/examples (public domain or CC0, see the README there).
 * The captions are model inputs, so they stay in English. */
static const LkExampleImage example_images[] = {
  /* Translators: the title of an example photo in the Examples menu */
  { "coffee.jpg", N_("Coffee"), "a cup of coffee on a saucer" },
  /* Translators: the title of an example photo in the Examples menu */
  { "chelsea.jpg", N_("Cat"), "a close-up photo of a cat" },
  /* Translators: the title of an example photo in the Examples menu (a woman) */
  { "astronaut.jpg", N_("Astronaut"), "an astronaut in an orange spacesuit" },
  { NULL, NULL, NULL },
};

const LkExampleImage *
lk_example_images (void)
{
  return example_images;
}

char *
lk_example_images_dir (void)
{
  g_autofree char *installed = g_build_filename (LK_PKGDATADIR, "examples", NULL);
  g_autofree char *source = g_build_filename (LK_SOURCE_DIR, "data", "examples", NULL);

  /* Running from the build folder (or not installed): the source tree's. */
  if (g_file_test (source, G_FILE_TEST_IS_DIR)
      && (lk_application_running_uninstalled () || !g_file_test (installed, G_FILE_TEST_IS_DIR)))
    return g_steal_pointer (&source);
  return g_steal_pointer (&installed);
}

static GtkTextView *
text_view (LkInputPane *self, guint side)
{
  return side == 0 ? self->text_a : self->text_b;
}

static char *
buffer_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The full count, so the warning can say how much is cut. */
static void
update_count (LkInputPane *self, const char *text, GtkLabel *label, GtkImage *warning)
{
  g_autoptr(LkEncoding) enc = NULL;
  g_autofree char *markup = NULL;
  guint max;

  if (warning)
    gtk_widget_set_visible (GTK_WIDGET (warning), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (label), "warning");
  if (self->model == NULL || text == NULL || *text == '\0')
    {
      gtk_label_set_label (label, "");
      return;
    }
  max = lk_model_get_max_seq_length (self->model);
  enc = lk_tokenizer_encode (lk_model_get_tokenizer (self->model), text, 0, NULL);
  if (enc == NULL)
    {
      gtk_label_set_label (label, _("Cannot count the tokens of this text"));
      return;
    }
  if (max > 0 && enc->n_tokens > max)
    {
      markup = g_strdup_printf (_("%u tokens: only the first %u are used"), enc->n_tokens, max);
      if (warning)
        gtk_widget_set_visible (GTK_WIDGET (warning), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (label), "warning");
    }
  else
    markup = g_strdup_printf (ngettext ("%u token", "%u tokens", enc->n_tokens), enc->n_tokens);
  gtk_label_set_label (label, markup);
}

static gboolean
update_counts (gpointer data)
{
  LkInputPane *self = data;
  g_autofree char *a = buffer_text (self->text_a);
  g_autofree char *b = buffer_text (self->text_b);

  self->count_source = 0;
  update_count (self, a, self->count_a, self->warning_a);
  update_count (self, b, self->count_b, self->warning_b);
  update_count (self, gtk_editable_get_text (GTK_EDITABLE (self->caption_entry)), self->count_caption, NULL);
  return G_SOURCE_REMOVE;
}

static void
queue_counts (LkInputPane *self)
{
  if (self->count_source == 0)
    self->count_source = g_timeout_add_full (G_PRIORITY_DEFAULT, 120, update_counts, self, NULL);
}

static void
on_changed (LkInputPane *self)
{
  queue_counts (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
example_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkInputPane *self = LK_INPUT_PANE (widget);
  guint i = g_variant_get_uint32 (param);

  if (i >= G_N_ELEMENTS (examples) - 1)
    return;
  lk_input_pane_set_mode (self, LK_INPUT_TEXT_PAIR);
  lk_input_pane_set_text (self, 0, examples[i].a);
  lk_input_pane_set_text (self, 1, examples[i].b);
}

/* As if the photo had been chosen in the file chooser, with its caption. */
static void
example_image_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkInputPane *self = LK_INPUT_PANE (widget);
  guint i = g_variant_get_uint32 (param);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (i >= G_N_ELEMENTS (example_images) - 1)
    return;
  dir = lk_example_images_dir ();
  path = g_build_filename (dir, example_images[i].file, NULL);
  lk_input_pane_set_mode (self, LK_INPUT_IMAGE_CAPTION);
  lk_input_pane_set_image (self, path);
  lk_input_pane_set_caption (self, example_images[i].caption);
}

static void
swap_action (GtkWidget *widget, const char *action, GVariant *param)
{
  LkInputPane *self = LK_INPUT_PANE (widget);
  g_autofree char *a = buffer_text (self->text_a);
  g_autofree char *b = buffer_text (self->text_b);

  lk_input_pane_set_text (self, 0, b);
  lk_input_pane_set_text (self, 1, a);
}

static void
on_image_chosen (GtkNativeDialog *dialog, int response, LkInputPane *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      lk_input_pane_set_image (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose_image_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Choose an Image"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Images"));
  for (const char * const *type = lk_image_mime_types (); *type != NULL; type++)
    gtk_file_filter_add_mime_type (filter, *type);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_image_chosen), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static GMenuModel *
examples_menu (void)
{
  GMenu *menu = g_menu_new ();

  for (guint i = 0; examples[i].a; i++)
    {
      g_autofree char *label = g_strdup_printf ("%s  ·  %s", examples[i].a, examples[i].b);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "input.example", g_variant_new_uint32 (i));
      g_menu_append_item (menu, item);
    }
  return G_MENU_MODEL (menu);
}

/* The photos that are there: none (an incomplete install) hides the menu. */
static GMenuModel *
example_images_menu (void)
{
  GMenu *menu = g_menu_new ();
  g_autofree char *dir = lk_example_images_dir ();

  for (guint i = 0; example_images[i].file; i++)
    {
      g_autofree char *path = g_build_filename (dir, example_images[i].file, NULL);
      g_autofree char *label = NULL;
      g_autoptr(GMenuItem) item = NULL;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      label = g_strdup_printf ("%s  ·  %s", _(example_images[i].title), example_images[i].caption);
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "input.example-image", g_variant_new_uint32 (i));
      g_menu_append_item (menu, item);
    }
  return G_MENU_MODEL (menu);
}

static void
lk_input_pane_dispose (GObject *object)
{
  LkInputPane *self = LK_INPUT_PANE (object);

  g_clear_handle_id (&self->count_source, g_source_remove);
  g_clear_object (&self->model);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_INPUT_PANE);
  g_clear_object (&self->prompt_names);
  G_OBJECT_CLASS (lk_input_pane_parent_class)->dispose (object);
}

static void
lk_input_pane_finalize (GObject *object)
{
  g_free (LK_INPUT_PANE (object)->image);
  g_free (LK_INPUT_PANE (object)->image_error);
  G_OBJECT_CLASS (lk_input_pane_parent_class)->finalize (object);
}

static void
lk_input_pane_class_init (LkInputPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_input_pane_dispose;
  object_class->finalize = lk_input_pane_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/likeness/Likeness/lk-input-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, stack);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, text_a);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, text_b);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, count_a);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, count_b);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, warning_a);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, warning_b);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, examples_button);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, image_examples_button);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, image_stack);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, image_error_page);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, picture);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, caption_entry);
  gtk_widget_class_bind_template_child (widget_class, LkInputPane, count_caption);

  gtk_widget_class_install_action (widget_class, "input.example", "u", example_action);
  gtk_widget_class_install_action (widget_class, "input.example-image", "u", example_image_action);
  gtk_widget_class_install_action (widget_class, "input.swap", NULL, swap_action);
  gtk_widget_class_install_action (widget_class, "input.choose-image", NULL, choose_image_action);
  gtk_widget_class_set_css_name (widget_class, "inputpane");
}

static void
lk_input_pane_init (LkInputPane *self)
{
  g_autoptr(GMenuModel) menu = examples_menu ();
  g_autoptr(GMenuModel) image_menu = example_images_menu ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_menu_button_set_menu_model (self->examples_button, menu);
  gtk_menu_button_set_menu_model (self->image_examples_button, image_menu);
  gtk_widget_set_visible (GTK_WIDGET (self->image_examples_button), g_menu_model_get_n_items (image_menu) > 0);
  for (guint side = 0; side < 2; side++)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (text_view (self, side));
      gtk_text_buffer_create_tag (buffer, "highlight", "background-rgba", &(GdkRGBA) { 0.21, 0.52, 0.89, 0.35 }, NULL);
      g_signal_connect_swapped (buffer, "changed", G_CALLBACK (on_changed), self);
    }
  g_signal_connect_swapped (self->caption_entry, "changed", G_CALLBACK (on_changed), self);

  self->prompt_names = gtk_string_list_new (NULL);
  for (guint side = 0; side < 2; side++)
    {
      GtkLabel *count = side ? self->count_b : self->count_a;
      self->prompt_drop[side] = GTK_DROP_DOWN (gtk_drop_down_new (g_object_ref (G_LIST_MODEL (self->prompt_names)), NULL));
      gtk_widget_set_visible (GTK_WIDGET (self->prompt_drop[side]), FALSE);
      gtk_widget_set_valign (GTK_WIDGET (self->prompt_drop[side]), GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->prompt_drop[side]),
                                   _("The model's prompt put before this text, as sentence-transformers does "
                                     "for a query or a document"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->prompt_drop[side]), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      side ? _("Prompt of text B") : _("Prompt of text A"), -1);
      gtk_widget_set_hexpand (GTK_WIDGET (count), TRUE);
      gtk_widget_insert_after (GTK_WIDGET (self->prompt_drop[side]), gtk_widget_get_parent (GTK_WIDGET (count)),
                               GTK_WIDGET (count));
      g_signal_connect_swapped (self->prompt_drop[side], "notify::selected", G_CALLBACK (on_changed), self);
    }
}

/* The choosers list the model's prompts; each starts at the model's
 * default_prompt_name, else at "No Prompt". The same names again (the
 * model chosen, then loaded) keep what the user picked. */
void
lk_input_pane_set_prompt_names (LkInputPane *self, const char *const *names, const char *def)
{
  guint n = names ? g_strv_length ((char **) names) : 0, selected = 0, have;
  gboolean same;

  g_return_if_fail (LK_IS_INPUT_PANE (self));
  have = g_list_model_get_n_items (G_LIST_MODEL (self->prompt_names));
  same = have == n + 1;
  for (guint i = 0; same && i < n; i++)
    same = g_str_equal (gtk_string_list_get_string (self->prompt_names, i + 1), names[i]);
  if (same && have > 0)
    return;
  for (guint side = 0; side < 2; side++)
    g_signal_handlers_block_by_func (self->prompt_drop[side], on_changed, self);
  gtk_string_list_splice (self->prompt_names, 0, have, NULL);
  gtk_string_list_append (self->prompt_names, _("No Prompt"));
  for (guint i = 0; i < n; i++)
    {
      gtk_string_list_append (self->prompt_names, names[i]);
      if (g_strcmp0 (names[i], def) == 0)
        selected = i + 1;
    }
  for (guint side = 0; side < 2; side++)
    {
      gtk_drop_down_set_selected (self->prompt_drop[side], selected);
      gtk_widget_set_visible (GTK_WIDGET (self->prompt_drop[side]), n > 0);
      g_signal_handlers_unblock_by_func (self->prompt_drop[side], on_changed, self);
    }
  on_changed (self);
}

const char *
lk_input_pane_get_prompt (LkInputPane *self, guint side)
{
  guint i;

  g_return_val_if_fail (LK_IS_INPUT_PANE (self) && side < 2, NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->prompt_drop[side])))
    return NULL;
  i = gtk_drop_down_get_selected (self->prompt_drop[side]);
  if (i == 0 || i == GTK_INVALID_LIST_POSITION)
    return "";
  return gtk_string_list_get_string (self->prompt_names, i);
}

void
lk_input_pane_set_prompt (LkInputPane *self, guint side, const char *name)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self) && side < 2);
  for (guint i = 1; name && *name && i < g_list_model_get_n_items (G_LIST_MODEL (self->prompt_names)); i++)
    if (g_str_equal (gtk_string_list_get_string (self->prompt_names, i), name))
      {
        gtk_drop_down_set_selected (self->prompt_drop[side], i);
        return;
      }
  gtk_drop_down_set_selected (self->prompt_drop[side], 0);
}

LkInputMode
lk_input_pane_get_mode (LkInputPane *self)
{
  LkInputMode mode = LK_INPUT_TEXT_PAIR;

  g_return_val_if_fail (LK_IS_INPUT_PANE (self), mode);
  lk_input_mode_from_string (gtk_stack_get_visible_child_name (self->stack), &mode);
  return mode;
}

void
lk_input_pane_set_mode (LkInputPane *self, LkInputMode mode)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self));

  if (mode == lk_input_pane_get_mode (self))
    return;
  gtk_stack_set_visible_child_name (self->stack, lk_input_mode_to_string (mode));
  g_signal_emit (self, signals[CHANGED], 0);
}

char *
lk_input_pane_dup_text (LkInputPane *self, guint side)
{
  g_return_val_if_fail (LK_IS_INPUT_PANE (self), NULL);
  g_return_val_if_fail (side < 2, NULL);
  return buffer_text (text_view (self, side));
}

void
lk_input_pane_set_text (LkInputPane *self, guint side, const char *text)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self));
  g_return_if_fail (side < 2);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (text_view (self, side)), text ? text : "", -1);
}

const char *
lk_input_pane_get_image (LkInputPane *self)
{
  g_return_val_if_fail (LK_IS_INPUT_PANE (self), NULL);
  return self->image;
}

/* The longest side of the preview: a 24 MP photo is decoded pre-scaled. */
#define PREVIEW_SIDE 1600

/* The photo as the model sees it: turned by its EXIF orientation (what
 * lk_image_load () and the figures do; GtkPicture alone would not). What
 * cannot be read (a FIFO, a folder, a truncated or oversized file) is never
 * handed to GtkPicture, which would block on a FIFO: the picture says why. */
static char *
show_image (GtkPicture *picture, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = path ? lk_image_load_pixbuf (path, 0, PREVIEW_SIDE, NULL, NULL, &error) : NULL;
  g_autoptr(GdkTexture) texture = pixbuf ? gdk_texture_new_for_pixbuf (pixbuf) : NULL;

  gtk_picture_set_paintable (picture, texture ? GDK_PAINTABLE (texture) : NULL);
  return error ? g_strdup (error->message) : NULL;
}

void
lk_input_pane_set_image (LkInputPane *self, const char *path)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self));

  if (g_strcmp0 (path, self->image) == 0)
    return;
  g_free (self->image);
  self->image = g_strdup (path);
  g_free (self->image_error);
  /* An image that cannot be read is said when it is chosen, not at
   * Explain: its page tells why and offers another. */
  self->image_error = show_image (self->picture, path);
  adw_status_page_set_description (self->image_error_page, self->image_error);
  gtk_stack_set_visible_child_name (self->image_stack, path == NULL ? "empty" : self->image_error ? "unreadable" : "image");
  g_signal_emit (self, signals[CHANGED], 0);
}

const char *
lk_input_pane_get_image_error (LkInputPane *self)
{
  g_return_val_if_fail (LK_IS_INPUT_PANE (self), NULL);
  return self->image_error;
}

const char *
lk_input_pane_get_caption (LkInputPane *self)
{
  g_return_val_if_fail (LK_IS_INPUT_PANE (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->caption_entry));
}

void
lk_input_pane_set_caption (LkInputPane *self, const char *caption)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->caption_entry), caption ? caption : "");
}

void
lk_input_pane_set_model (LkInputPane *self, LkModel *model)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self));

  if (g_set_object (&self->model, model))
    {
      g_clear_handle_id (&self->count_source, g_source_remove);
      update_counts (self);
      if (model != NULL)
        lk_input_pane_set_prompt_names (self, lk_model_get_prompt_names (model), lk_model_get_default_prompt_name (model));
    }
}

const char *
lk_input_pane_get_count_label (LkInputPane *self, guint side)
{
  g_return_val_if_fail (LK_IS_INPUT_PANE (self), NULL);
  if (self->count_source)
    {
      g_clear_handle_id (&self->count_source, g_source_remove);
      update_counts (self);
    }
  return gtk_label_get_label (side == 0 ? self->count_a : self->count_b);
}

void
lk_input_pane_highlight (LkInputPane *self, guint side, gsize start, gsize end)
{
  GtkTextBuffer *buffer;
  GtkTextIter first, last;
  g_autofree char *text = NULL;
  gsize len;

  g_return_if_fail (LK_IS_INPUT_PANE (self));
  g_return_if_fail (side < 2);

  buffer = gtk_text_view_get_buffer (text_view (self, side));
  gtk_text_buffer_get_bounds (buffer, &first, &last);
  gtk_text_buffer_remove_tag_by_name (buffer, "highlight", &first, &last);
  text = buffer_text (text_view (self, side));
  len = strlen (text);
  if (start >= end || end > len)
    return;
  gtk_text_buffer_get_iter_at_offset (buffer, &first, g_utf8_pointer_to_offset (text, text + start));
  gtk_text_buffer_get_iter_at_offset (buffer, &last, g_utf8_pointer_to_offset (text, text + end));
  gtk_text_buffer_apply_tag_by_name (buffer, "highlight", &first, &last);
  gtk_text_view_scroll_to_iter (text_view (self, side), &first, 0.1, FALSE, 0, 0);
}

void
lk_input_pane_focus_text (LkInputPane *self, guint side)
{
  g_return_if_fail (LK_IS_INPUT_PANE (self));
  gtk_widget_grab_focus (GTK_WIDGET (text_view (self, side)));
}
