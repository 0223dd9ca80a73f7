/* lk-details-view.h — the Details page: scores, faithfulness checks, the
 * model, every parameter and the timings of one explanation. */
#pragma once

#include <gtk/gtk.h>

#include "lk-explanation.h"
#include "lk-render.h"  /* lk_method_title () */

G_BEGIN_DECLS

#define LK_TYPE_DETAILS_VIEW (lk_details_view_get_type ())
G_DECLARE_FINAL_TYPE (LkDetailsView, lk_details_view, LK, DETAILS_VIEW, GtkWidget)

GtkWidget     *lk_details_view_new             (void);
LkExplanation *lk_details_view_get_explanation (LkDetailsView *self);
void           lk_details_view_set_explanation (LkDetailsView *self,
                                                LkExplanation *explanation);
/* The value shown in the row titled @title, for tests; NULL if none. */
const char    *lk_details_view_lookup          (LkDetailsView *self,
                                                const char    *title);

G_END_DECLS
