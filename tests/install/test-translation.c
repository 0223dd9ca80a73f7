/* test-translation.c — with LANGUAGE=de the app speaks German, from the
 * catalog built in this build folder: `likeness --help` (the application's
 * own option context, run exactly as main.c runs it) and an error of the
 * core (its strings use the same text domain through gi18n-lib.h).
 *
 * The installed app binds its catalog to LOCALEDIR; this program binds the
 * build's po/ folder instead (LK_TEST_LOCALEDIR), and check-install.py
 * checks that the installed catalog lies in LOCALEDIR. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include <glib/gi18n.h>

#include "lk-application.h"
#include "lk-model-store.h"

static void
test_app_help (void)
{
  if (g_test_subprocess ())
    {
      char *argv[] = { (char *) "likeness", (char *) "--help", NULL };
      LkApplication *app = lk_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
      int rc = g_application_run (G_APPLICATION (app), 2, argv);

      g_object_unref (app);
      exit (rc);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* The summary, the parameter string, the description and an option. */
  g_test_trap_assert_stdout ("*Sehen Sie, warum ein Embedding-Modell zwei Texte für ähnlich hält.*");
  g_test_trap_assert_stdout ("*[SITZUNG …]*");
  g_test_trap_assert_stdout ("*Öffnet die angegebenen .likeness-Sitzungsdateien*");
  g_test_trap_assert_stdout ("*Die Version ausgeben und beenden*");
  g_test_trap_assert_stdout_unmatched ("*See why an embedding model*");
}

static void
test_core_message (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (lk_model_store_validate_id ("", &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, ==, "„“ ist keine gültige Modellkennung: sie ist leer");
}

int
main (int argc, char *argv[])
{
  const char *localedir = g_getenv ("LK_TEST_LOCALEDIR");

  /* As main.c, with the build's catalogs. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/translation/app-help", test_app_help);
  g_test_add_func ("/translation/core-message", test_core_message);
  return g_test_run ();
}
