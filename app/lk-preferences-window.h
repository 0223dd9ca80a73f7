/* lk-preferences-window.h — the preferences, bound to GSettings. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LK_TYPE_PREFERENCES_WINDOW (lk_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (LkPreferencesWindow, lk_preferences_window, LK, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *lk_preferences_window_new (GtkWindow *parent);

G_END_DECLS
