/* lk-palette.c — diverging ramps (ColorBrewer RdBu and PRGn, colour-blind
 * safe; a gray ramp that survives black-and-white printing), their dark
 * variants, Paul Tol's muted categorical colours, and the theme inks. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "lk-palette.h"

/* Nine stops from −1 to +1; stop 4 is the neutral middle. */
typedef struct {
  guint32 stops[9];
} Ramp;

static const Ramp ramps[3][2] = {
  [LK_PALETTE_BLUE_RED] = {
    { { 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b } },
    { { 0x8ec1ea, 0x5b9bd5, 0x3a6e9e, 0x2c4560, 0x2e2e32, 0x5e3333, 0x9c3d3a, 0xd9544d, 0xf28b7d } },
  },
  [LK_PALETTE_PURPLE_GREEN] = {
    { { 0x762a83, 0x9970ab, 0xc2a5cf, 0xe7d4e8, 0xf7f7f7, 0xd9f0d3, 0xa6dba0, 0x5aae61, 0x1b7837 } },
    { { 0xc9a7e0, 0xa77bca, 0x74518f, 0x47394f, 0x2e2e32, 0x33503a, 0x3f8a52, 0x5bb870, 0x9fe0a5 } },
  },
  /* Darkness is magnitude; negative values stop at a mid gray, and the
   * heatmap marks them, so sign survives a black-and-white print. */
  [LK_PALETTE_GRAYSCALE] = {
    { { 0x8c8c8c, 0xa5a5a5, 0xc4c4c4, 0xe0e0e0, 0xf7f7f7, 0xd9d9d9, 0xa8a8a8, 0x6e6e6e, 0x252525 } },
    { { 0x8c8c8c, 0x717171, 0x565656, 0x3e3e42, 0x2e2e32, 0x55555a, 0x8a8a8f, 0xbdbdc2, 0xf0f0f0 } },
  },
};

static void
rgb_from_hex (guint32 hex, LkRgba *c)
{
  c->r = ((hex >> 16) & 0xff) / 255.0;
  c->g = ((hex >> 8) & 0xff) / 255.0;
  c->b = (hex & 0xff) / 255.0;
  c->a = 1.0;
}

static const Ramp *
ramp_for (LkPalette palette, gboolean dark)
{
  if ((guint) palette >= G_N_ELEMENTS (ramps))
    palette = LK_PALETTE_BLUE_RED;
  return &ramps[palette][dark ? 1 : 0];
}

void
lk_palette_color (LkPalette palette, gboolean dark, double t, LkRgba *color)
{
  const Ramp *ramp = ramp_for (palette, dark);
  LkRgba lo, hi;
  double pos, f;
  int k;

  if (isnan (t))
    t = 0;
  t = CLAMP (t, -1.0, 1.0);
  pos = (t + 1.0) * 4.0;
  k = MIN ((int) floor (pos), 7);
  f = pos - k;
  rgb_from_hex (ramp->stops[k], &lo);
  rgb_from_hex (ramp->stops[k + 1], &hi);
  /* Exact stops stay exact, so the ends and the middle match their hex. */
  if (f <= 0)
    *color = lo;
  else if (f >= 1)
    *color = hi;
  else
    {
      color->r = lo.r + f * (hi.r - lo.r);
      color->g = lo.g + f * (hi.g - lo.g);
      color->b = lo.b + f * (hi.b - lo.b);
      color->a = 1.0;
    }
}

void
lk_palette_neutral (LkPalette palette, gboolean dark, LkRgba *color)
{
  rgb_from_hex (ramp_for (palette, dark)->stops[4], color);
}

void
lk_palette_positive (LkPalette palette, gboolean dark, LkRgba *color)
{
  rgb_from_hex (ramp_for (palette, dark)->stops[8], color);
}

void
lk_palette_negative (LkPalette palette, gboolean dark, LkRgba *color)
{
  rgb_from_hex (ramp_for (palette, dark)->stops[0], color);
}

/* Relative luminance (WCAG), linearised sRGB. */
static double
channel (double v)
{
  return v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

gboolean
lk_palette_needs_light_text (const LkRgba *c)
{
  double l = 0.2126 * channel (c->r) + 0.7152 * channel (c->g) + 0.0722 * channel (c->b);
  /* Contrast against white beats contrast against near-black text. */
  return (1.05 / (l + 0.05)) > ((l + 0.05) / 0.06);
}

void
lk_palette_category (guint i, gboolean dark, LkRgba *color)
{
  static const guint32 tol_muted[] = {
    0x332288, 0x88ccee, 0x44aa99, 0x117733, 0x999933, 0xddcc77, 0xcc6677, 0x882255, 0xaa4499,
  };
  guint n = G_N_ELEMENTS (tol_muted);
  double tint = (i / n) % 2 ? 0.45 : 0.0;

  rgb_from_hex (tol_muted[i % n], color);
  if (dark && (i % n == 0 || i % n == 3 || i % n == 7))
    tint += 0.3;
  color->r += tint * (1 - color->r);
  color->g += tint * (1 - color->g);
  color->b += tint * (1 - color->b);
}

void
lk_palette_ink (LkInk ink, gboolean dark, LkRgba *color)
{
  static const guint32 light[] = { 0x1f1f23, 0x5e5c64, 0xd6d5d9, 0xf1f0f3, 0xffffff, 0x1c71d8 };
  static const guint32 darkc[] = { 0xf6f5f4, 0xc0bfc4, 0x4a4a50, 0x38383d, 0x242424, 0x78aeed };

  g_return_if_fail ((guint) ink < G_N_ELEMENTS (light));
  rgb_from_hex (dark ? darkc[ink] : light[ink], color);
}

static const char *palette_names[] = { "blue-red", "purple-green", "gray" };

gboolean
lk_palette_from_string (const char *name, LkPalette *palette)
{
  for (guint i = 0; i < G_N_ELEMENTS (palette_names); i++)
    if (g_strcmp0 (name, palette_names[i]) == 0)
      {
        *palette = i;
        return TRUE;
      }
  if (g_strcmp0 (name, "grey") == 0 || g_strcmp0 (name, "grayscale") == 0)
    {
      *palette = LK_PALETTE_GRAYSCALE;
      return TRUE;
    }
  return FALSE;
}

const char *
lk_palette_to_string (LkPalette palette)
{
  return (guint) palette < G_N_ELEMENTS (palette_names) ? palette_names[palette] : "blue-red";
}

void
lk_rgba_to_hex (const LkRgba *c, char out[8])
{
  snprintf (out, 8, "#%02x%02x%02x",
            (int) lround (CLAMP (c->r, 0, 1) * 255),
            (int) lround (CLAMP (c->g, 0, 1) * 255),
            (int) lround (CLAMP (c->b, 0, 1) * 255));
}
