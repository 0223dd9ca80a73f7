/* lk-render.h — the figures: heatmap, alignment arcs, saliency, aspect
 * bars and the one-page report, drawn from an LkExplanation. The app's
 * views and likeness-cli's exports call the same code, so an exported
 * figure is exactly what the window shows. */
#pragma once

#include <cairo.h>

#include "lk-explanation.h"
#include "lk-method-info.h"   /* lk_method_title () */

G_BEGIN_DECLS

typedef enum {
  LK_VIEW_HEATMAP,
  LK_VIEW_ALIGNMENT,
  LK_VIEW_SALIENCY,
  LK_VIEW_ASPECTS,
  LK_VIEW_REPORT,
  LK_VIEW_CONTRAST,   /* a ranking contrast's query tokens (lk-contrast.h) */
} LkView;

typedef enum {
  LK_PALETTE_BLUE_RED,   /* diverging, colour-blind safe, symmetric about 0 */
  LK_PALETTE_PURPLE_GREEN,
  LK_PALETTE_GRAYSCALE,  /* prints well in black and white */
} LkPalette;

typedef enum {
  LK_EXPORT_SVG,
  LK_EXPORT_PNG,
  LK_EXPORT_PDF,
  LK_EXPORT_CSV,   /* the values the figure shows, not a drawing (lk-render-csv.c) */
} LkExportFormat;

typedef struct {
  LkPalette palette;
  gboolean  words;          /* merge sub-words into words */
  gboolean  specials;       /* show special tokens */
  gboolean  hide_prompts;   /* leave a prompt's tokens out of the figure (they still count in its checks) */
  int       top_k;          /* alignment: strongest k links (0 = all above threshold) */
  double    threshold;      /* alignment: hide links below this share of the largest |value| */
  gboolean  dark;           /* dark style colours for the on-screen view */
  int       highlight_a;    /* a token/word of A to highlight, -1 none */
  int       highlight_b;
  int       saliency_word;  /* image–caption: the caption word whose map to show, -1 all */
  double    overlay_alpha;  /* image saliency opacity */
} LkRenderOptions;

void      lk_render_options_init (LkRenderOptions *options);

/* The natural size of the figure in points (1/72 inch). */
void      lk_render_get_size     (LkExplanation          *x,
                                  LkView                  view,
                                  const LkRenderOptions  *options,
                                  double                 *width,
                                  double                 *height);

/* Draws the figure into @cr, scaled to fit width × height. */
void      lk_render_cairo        (LkExplanation          *x,
                                  LkView                  view,
                                  const LkRenderOptions  *options,
                                  cairo_t                *cr,
                                  double                  width,
                                  double                  height);

/* Writes the figure to @path (through a temporary file and a rename). SVG
 * and PDF keep text as text; PNG is rendered at @scale (1 = 72 dpi… 2 = crisp
 * on HiDPI); CSV holds the values the figure shows, as a table. */
gboolean  lk_render_export       (LkExplanation          *x,
                                  LkView                  view,
                                  const LkRenderOptions  *options,
                                  LkExportFormat          format,
                                  double                  scale,
                                  const char             *path,
                                  GError                **error);

/* The format for a file name's extension (.svg, .png, .pdf, .csv). */
gboolean  lk_export_format_from_path (const char       *path,
                                      LkExportFormat   *format,
                                      GError          **error);

/* A sentence for screen readers: what the figure shows and its strongest pairs. */
char     *lk_render_describe     (LkExplanation          *x,
                                  LkView                  view,
                                  const LkRenderOptions  *options);

/* Hit testing for hover and click: which cell/token is at (x, y) of a figure
 * drawn at width × height. Returns FALSE when none. @row and @col are token
 * (or, with options->words, word) indices of A and B, -1 for "none": a cell
 * sets both, a label of A only @row, a label of B only @col; an aspect bar
 * sets @row to the aspect's index. */
gboolean  lk_render_hit          (LkExplanation          *x,
                                  LkView                  view,
                                  const LkRenderOptions  *options,
                                  double                  width,
                                  double                  height,
                                  double                  px,
                                  double                  py,
                                  int                    *row,
                                  int                    *col);

/* Additions. */

/* A tooltip for what lk_render_hit() found: "coffee – coffee: 0.31 (39 % of
 * the total)" for a cell, the item's saliency for a row or column label, the
 * aspect for an aspect bar (@row). Row and column are indices of tokens, or
 * of words when options->words (as lk_render_hit() returns them); NULL when
 * there is nothing there. */
char     *lk_render_describe_hit (LkExplanation          *x,
                                  LkView                  view,
                                  const LkRenderOptions  *options,
                                  int                     row,
                                  int                     col);

/**
 * lk_view_from_string:
 * @name: "heatmap", "alignment", "saliency", "aspects", "report" or "contrast"
 * @view: (out): the view
 *
 * Returns: whether @name is a view's
 */
gboolean     lk_view_from_string (const char *name,
                                  LkView     *view);
const char  *lk_view_to_string   (LkView      view);
/* The view's title for people ("Matrix") and how to read its figure, a
 * paragraph for the help (both translated). */
const char  *lk_view_title       (LkView      view);
const char  *lk_view_help        (LkView      view);

/**
 * lk_render_check_segments:
 * @x: the result
 *
 * The result's check line, as the figures draw it under the title: one
 * segment each ("ΣA = 0.81", "attribution error 4e−4"); the app's header
 * shows the same.
 *
 * Returns: (transfer full) (array zero-terminated=1): the segments
 */
char          **lk_render_check_segments (LkExplanation *x);

/**
 * lk_render_check_readings:
 * @x: the result
 *
 * The check in plain words, as the report prints it: what was checked,
 * the value, and how to read it ("The token pairs carry the score but
 * for a gap of 6 % …"). For a ranking contrast, each pair's check line.
 *
 * Returns: (transfer full) (array zero-terminated=1): one paragraph each
 */
char          **lk_render_check_readings (LkExplanation *x);

/**
 * lk_render_export_file:
 * @x: the result
 * @path: the file: .svg, .png or .pdf
 * @view: the figure
 * @error: the reason when it fails
 *
 * Writes the figure the CLI writes for @view (the default options, PNG at
 * 2×), atomically.
 *
 * Returns: %TRUE on success
 */
gboolean        lk_render_export_file    (LkExplanation *x,
                                          const char    *path,
                                          LkView         view,
                                          GError       **error);

/**
 * lk_render_aggregate_export:
 * @summary: a batch run's summary (schema likeness.aggregate/1)
 * @path: the file: .svg, .png or .pdf
 * @scale: the PNG's scale (1 for SVG and PDF)
 * @error: when @summary is not one or the file cannot be written
 *
 * Draws the summary (the words that carry most of ΣA, specials, the
 * checks, the words that decide rank 1 over 2) into @path, atomically.
 *
 * Returns: %TRUE when written
 */
gboolean        lk_render_aggregate_export (JsonObject    *summary,
                                            const char    *path,
                                            double         scale,
                                            GError       **error);

G_END_DECLS
