/* lk-help-window.h — the help: a page on reading the figures, a page on the
 * methods (what each computes, its check, the paper). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* @page: "views" or "methods", or NULL for the first. */
GtkWindow *lk_help_window_new  (GtkWindow  *parent,
                                const char *page);
/* Each method and its paper, a line each (for About). */
char      *lk_help_citations   (void);

G_END_DECLS
