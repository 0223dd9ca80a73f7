/* lk-palette.h — the colours of the figures: diverging palettes symmetric
 * about 0, in a light (print, export) and a dark (dark style) variant. */
#pragma once

#include <glib.h>

#include "lk-render.h"

G_BEGIN_DECLS

typedef struct {
  double r, g, b, a;
} LkRgba;

/* @t in [-1, 1]: the value divided by the scale (largest |value|). Values
 * outside are clamped; 0 is the neutral colour. */
void        lk_palette_color      (LkPalette palette, gboolean dark, double t, LkRgba *color);
void        lk_palette_neutral    (LkPalette palette, gboolean dark, LkRgba *color);
/* The colour of +1 and −1. */
void        lk_palette_positive   (LkPalette palette, gboolean dark, LkRgba *color);
void        lk_palette_negative   (LkPalette palette, gboolean dark, LkRgba *color);
/* Whether text drawn over @color should be light. */
gboolean    lk_palette_needs_light_text (const LkRgba *color);
/* A colour for the @i-th series of a categorical chart (aspects). */
void        lk_palette_category   (guint i, gboolean dark, LkRgba *color);

/* Theme colours: text, secondary text, lines, the background. */
typedef enum {
  LK_INK_TEXT,
  LK_INK_DIM,
  LK_INK_FAINT,     /* grid lines, borders */
  LK_INK_SURFACE,   /* chips and panels */
  LK_INK_BACKGROUND,
  LK_INK_ACCENT,    /* highlights */
} LkInk;

void        lk_palette_ink        (LkInk ink, gboolean dark, LkRgba *color);

gboolean    lk_palette_from_string (const char *name, LkPalette *palette);
const char *lk_palette_to_string   (LkPalette palette);

/* "#rrggbb" (the alpha is not included). */
void        lk_rgba_to_hex        (const LkRgba *color, char out[8]);

G_END_DECLS
