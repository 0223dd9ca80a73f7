/* lk-application.h — the application: its actions, accelerators, About
 * and Preferences windows; opens .likeness files. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LK_TYPE_APPLICATION (lk_application_get_type ())
G_DECLARE_FINAL_TYPE (LkApplication, lk_application, LK, APPLICATION, AdwApplication)

LkApplication *lk_application_new (const char        *application_id,
                                   GApplicationFlags  flags);

/* Makes sure the GSettings schema can be found, also when running from the
 * build folder; FALSE when it cannot. */
gboolean       lk_application_check_schema (void);
/* Whether this program runs from the meson build folder. */
gboolean       lk_application_running_uninstalled (void);

G_END_DECLS
