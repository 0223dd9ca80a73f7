/* lk-compare-window.h — a pinned result beside another of the same pair
 * (two methods, or two models), and their difference where the shapes
 * agree. */
#pragma once

#include <adwaita.h>

#include "lk-explanation.h"

G_BEGIN_DECLS

#define LK_TYPE_COMPARE_WINDOW (lk_compare_window_get_type ())
G_DECLARE_FINAL_TYPE (LkCompareWindow, lk_compare_window, LK, COMPARE_WINDOW, AdwWindow)

GtkWidget     *lk_compare_window_new            (GtkWindow     *parent,
                                                 LkExplanation *pinned,
                                                 LkExplanation *current);
/* The difference shown (current − pinned), or NULL with the reason. */
LkExplanation *lk_compare_window_get_difference (LkCompareWindow *self,
                                                 const char     **why_not);

G_END_DECLS
