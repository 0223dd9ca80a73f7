/* lk-method-chooser.h — the header bar's method menu: IJ, BiLRP, H×P and
 * alignment, and the methods still to come, shown but insensitive. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LK_TYPE_METHOD_CHOOSER (lk_method_chooser_get_type ())
G_DECLARE_FINAL_TYPE (LkMethodChooser, lk_method_chooser, LK, METHOD_CHOOSER, GtkWidget)

/* The method's name in the registry (lk-method-info.h). */
const char *lk_method_chooser_get_method (LkMethodChooser *self);
void        lk_method_chooser_set_method (LkMethodChooser *self,
                                          const char      *method);
/* Whether @method's row can be chosen; @why (NULL: the method's own
 * description) is its subtitle. */
void        lk_method_chooser_set_available (LkMethodChooser *self,
                                             const char      *method,
                                             gboolean         available,
                                             const char      *why);
gboolean    lk_method_chooser_get_available (LkMethodChooser *self,
                                             const char      *method);

G_END_DECLS
