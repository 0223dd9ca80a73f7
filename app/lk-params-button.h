/* lk-params-button.h — the header's button for the chosen method's
 * parameters: a popover generated from the method registry. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LK_TYPE_PARAMS_BUTTON (lk_params_button_get_type ())
G_DECLARE_FINAL_TYPE (LkParamsButton, lk_params_button, LK, PARAMS_BUTTON, GtkWidget)

GtkWidget *lk_params_button_new   (void);
/* Opens the popover. */
void       lk_params_button_popup (LkParamsButton *self);

G_END_DECLS
