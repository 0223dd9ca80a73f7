/* lk-application.c — the AdwApplication of Likeness. */
#include "config.h"

#include <glib/gi18n.h>

#include "lk-application.h"
#include "lk-help-window.h"
#include "lk-method-info.h"
#include "lk-preferences-window.h"
#include "lk-runtime.h"
#include "lk-settings.h"
#include "lk-window.h"

struct _LkApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (LkApplication, lk_application, ADW_TYPE_APPLICATION)

static const struct {
  const char *action;
  const char *accels[4];
} accels[] = {
  { "win.explain", { "<Control>Return", "<Control>KP_Enter", NULL } },
  { "win.cancel", { "Escape", NULL } },
  /* The shortcuts window is built per window (lk_window_init), not loaded
   * by GtkApplication, so its accelerator is set here. */
  { "win.show-help-overlay", { "<Control>question", NULL } },
  { "win.help", { "F1", NULL } },
  { "win.open", { "<Control>o", NULL } },
  { "win.open-audit", { "<Control><Shift>o", NULL } },
  { "win.back", { "<Alt>Left", NULL } },
  { "win.save", { "<Control>s", NULL } },
  { "win.save-as", { "<Control><Shift>s", NULL } },
  { "win.export", { "<Control>e", NULL } },
  { "win.export-report", { "<Control><Shift>e", NULL } },
  { "win.copy-figure", { "<Control><Shift>c", NULL } },
  { "win.pin", { "<Control><Shift>p", NULL } },
  { "win.compare", { "<Control><Shift>d", NULL } },
  { "win.zoom-in", { "<Control>plus", "<Control>equal", "<Control>KP_Add", NULL } },
  { "win.zoom-out", { "<Control>minus", "<Control>KP_Subtract", NULL } },
  { "win.zoom-reset", { "<Control>0", "<Control>KP_0", NULL } },
  { "win.show-view::matrix", { "<Alt>1", NULL } },
  { "win.show-view::alignment", { "<Alt>2", NULL } },
  { "win.show-view::saliency", { "<Alt>3", NULL } },
  { "win.show-view::aspects", { "<Alt>4", NULL } },
  { "win.show-view::details", { "<Alt>5", NULL } },
  { "win.show-view::contrast", { "<Alt>6", NULL } },
  { "win.input-mode::text-pair", { "<Control><Alt>t", NULL } },
  { "win.input-mode::image-caption", { "<Control><Alt>i", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "app.new-window", { "<Control>n", NULL } },
  { "app.quit", { "<Control>q", NULL } },
  { "window.close", { "<Control>w", NULL } },
};

static LkWindow *
new_window (GApplication *app)
{
  return lk_window_new (GTK_APPLICATION (app));
}

/* Without its schema GSettings aborts; say why instead. */
static gboolean
have_schema (void)
{
  if (lk_application_check_schema ())
    return TRUE;
  g_printerr (_("likeness: the settings schema %s is not installed; install Likeness or set GSETTINGS_SCHEMA_DIR\n"),
              LK_SETTINGS_SCHEMA_ID);
  return FALSE;
}

static void
lk_application_activate (GApplication *app)
{
  LkWindow *window;

  if (!have_schema ())
    return;
  window = new_window (app);

  gtk_window_present (GTK_WINDOW (window));
  /* The first thing the user sees is a sample pair explained. */
  lk_window_explain (window);
}

static gboolean
is_audit (GFile *file)
{
  g_autofree char *name = g_file_get_basename (file);

  return g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY ||
         (name && g_str_has_suffix (name, ".jsonl"));
}

static void
lk_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  if (!have_schema ())
    return;
  for (int i = 0; i < n_files; i++)
    {
      LkWindow *window = new_window (app);
      g_autoptr(GError) error = NULL;

      gtk_window_present (GTK_WINDOW (window));
      /* A batch run's output (or a folder of them) opens as an audit. */
      if (is_audit (files[i]))
        lk_window_open_audit (window, files[i]);
      else if (!lk_window_open_session (window, files[i], &error))
        {
          GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (window), _("Could Not Open the Session"),
                                                      error->message);
          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
          gtk_window_present (GTK_WINDOW (dialog));
        }
    }
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));

  GtkWidget *prefs = lk_preferences_window_new (parent);

  gtk_window_set_application (GTK_WINDOW (prefs), GTK_APPLICATION (data));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));
  const char *developers[] = { "The Likeness authors", NULL };
  AdwAboutWindow *about = ADW_ABOUT_WINDOW (adw_about_window_new ());

  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  adw_about_window_set_application_name (about, "Likeness");
  adw_about_window_set_application_icon (about, APPLICATION_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, "The Likeness authors");
  adw_about_window_set_developers (about, developers);
  adw_about_window_set_comments (about, _("See why an embedding model finds two texts alike. "
                                          "Everything runs on your computer; the network is used only "
                                          "to download the models you ask for."));
  adw_about_window_set_website (about, "https://github.com/likeness/likeness");
  adw_about_window_set_issue_url (about, "https://github.com/likeness/likeness/issues");
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_copyright (about, "© 2026 The Likeness authors");
  /* Translators: your name, e.g. "Jane Doe <jane@example.org>", one per line */
  adw_about_window_set_translator_credits (about, _("translator-credits"));
  {
    /* The methods' papers, as the help and the report cite them. */
    g_autofree char *citations = lk_help_citations ();
    g_auto(GStrv) lines = g_strsplit (citations, "\n", -1);
    adw_about_window_add_acknowledgement_section (about, _("Methods"), (const char **) lines);
  }
  gtk_window_present (GTK_WINDOW (about));
}

static void
new_window_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  gtk_window_present (GTK_WINDOW (new_window (G_APPLICATION (data))));
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  GList *windows;

  /* Closing each window cancels its work before the app goes. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (data))))
    gtk_window_destroy (windows->data);
}

static void
lk_application_startup (GApplication *app)
{
  static const GActionEntry entries[] = {
    { "preferences", preferences_action },
    { "about", about_action },
    { "new-window", new_window_action },
    { "quit", quit_action },
  };

  G_APPLICATION_CLASS (lk_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
  /* Control+1… pick the methods of the text-pair chooser in the registry's
   * order; the shortcuts window lists them from these keys. */
  {
    guint n, k = 0;
    const LkMethodInfo *all = lk_method_infos (&n);

    for (guint i = 0; i < n && k < 9; i++)
      if (all[i].inputs & LK_INPUTS_TEXT_PAIR)
        {
          g_autofree char *action = g_strdup_printf ("win.method::%s", all[i].name);
          g_autofree char *accel = g_strdup_printf ("<Control>%u", ++k);
          gtk_application_set_accels_for_action (GTK_APPLICATION (app), action, (const char *[]) { accel, NULL });
        }
  }
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static int
lk_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("likeness %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
lk_application_class_init (LkApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = lk_application_activate;
  app_class->open = lk_application_open;
  app_class->startup = lk_application_startup;
  app_class->handle_local_options = lk_application_handle_local_options;
}

static void
lk_application_init (LkApplication *self)
{
  static const GOptionEntry options[] = {
    { "version", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[SESSION…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("See why an embedding model finds two texts alike."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("Opens the given .likeness session files, or a new window "
                                                  "with a sample pair explained. The command-line tool "
                                                  "likeness-cli does the same without a display."));
}

LkApplication *
lk_application_new (const char *application_id, GApplicationFlags flags)
{
  return g_object_new (LK_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/likeness/Likeness",
                       NULL);
}

gboolean
lk_application_running_uninstalled (void)
{
  return lk_runtime_running_uninstalled ();
}

gboolean
lk_application_check_schema (void)
{
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

#ifdef LK_BUILD_SCHEMA_DIR
  /* Running from the build folder: use the schema compiled there. */
  if (lk_application_running_uninstalled () && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    g_setenv ("GSETTINGS_SCHEMA_DIR", LK_BUILD_SCHEMA_DIR, TRUE);
#endif
  source = g_settings_schema_source_get_default ();
  schema = source ? g_settings_schema_source_lookup (source, LK_SETTINGS_SCHEMA_ID, TRUE) : NULL;
  return schema != NULL;
}
