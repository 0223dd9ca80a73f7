/* main.c — the likeness desktop app. */
#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "lk-application.h"
#include "lk-runtime.h"

int
main (int argc, char *argv[])
{
  g_autoptr(LkApplication) app = NULL;

  lk_runtime_init (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* When running from the build folder, the schema compiled there. */
  lk_application_check_schema ();
  app = lk_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
