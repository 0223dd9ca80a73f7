/* lk-render-export.c — figures to SVG, PNG and PDF files. Always in the
 * light style; written through an LkAtomicFile, so a reader never sees
 * half a figure and a failure or a crash leaves nothing behind. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "lk-atomic-file.h"
#include "lk-error.h"
#include "lk-render-private.h"

gboolean
lk_export_format_from_path (const char *path, LkExportFormat *format, GError **error)
{
  static const struct { const char *ext; LkExportFormat format; } known[] = {
    { ".svg", LK_EXPORT_SVG }, { ".png", LK_EXPORT_PNG }, { ".pdf", LK_EXPORT_PDF }, { ".csv", LK_EXPORT_CSV },
  };
  g_autofree char *lower = g_ascii_strdown (path ? path : "", -1);

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_str_has_suffix (lower, known[i].ext))
      {
        *format = known[i].format;
        return TRUE;
      }
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
               _("“%s”: unknown figure format; the name must end in .svg, .png, .pdf or .csv"), path);
  return FALSE;
}

typedef struct {
  int      fd;
  int      saved_errno;
} Sink;

static gboolean
write_all (Sink *sink, const void *data, gsize length)
{
  const char *p = data;

  while (length > 0)
    {
      gssize n = write (sink->fd, p, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          sink->saved_errno = n < 0 ? errno : EIO;
          return FALSE;
        }
      p += n;
      length -= n;
    }
  return TRUE;
}

static cairo_status_t
write_cairo (void *closure, const unsigned char *data, unsigned int length)
{
  return write_all (closure, data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* What a file holds: a view of a result, or another figure (a batch
 * run's summary), drawn the same way into every format. */
typedef struct {
  void      (*draw) (gpointer data, LkCanvas *c, double *width, double *height);
  gpointer    data;
  LkRgba      background;
  char       *title;       /* the PDF's */
  double     *pixel_scale; /* set per format, when the drawing has photos */
  GError    **failed;      /* where the drawing reports a layer it could not draw */
} Drawer;

static void
draw (Drawer *d, cairo_t *cr, double width, double height)
{
  g_autoptr(LkCanvas) c = lk_canvas_new_cairo (cr);
  double w, h;

  cairo_set_source_rgb (cr, d->background.r, d->background.g, d->background.b);
  cairo_paint (cr);
  d->draw (d->data, c, &w, &h);
}

static gboolean
write_svg (Drawer *d, Sink *sink, double width, double height)
{
  g_autoptr(LkCanvas) c = lk_canvas_new_svg ();
  g_autofree char *doc = NULL;
  gsize length;
  double w, h;

  lk_canvas_class (c, "background");
  lk_canvas_rect (c, 0, 0, width, height, 0, &d->background, NULL, 0);
  d->draw (d->data, c, &w, &h);
  doc = lk_canvas_svg_finish (c, width, height, &length);
  return write_all (sink, doc, length);
}

static cairo_status_t
write_png (Drawer *d, Sink *sink, double width, double height, double scale)
{
  int pw = (int) ceil (width * scale), ph = (int) ceil (height * scale);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, pw, ph);
  cairo_status_t status = cairo_surface_status (s);
  cairo_t *cr;

  if (status != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (s);
      return status;
    }
  cr = cairo_create (s);
  cairo_scale (cr, scale, scale);
  draw (d, cr, width, height);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_write_to_png_stream (s, write_cairo, sink);
  cairo_surface_destroy (s);
  return status;
}

static cairo_status_t
write_pdf (Drawer *d, Sink *sink, double width, double height)
{
  cairo_surface_t *s = cairo_pdf_surface_create_for_stream (write_cairo, sink, width, height);
  cairo_status_t status;
  cairo_t *cr;

  cairo_pdf_surface_set_metadata (s, CAIRO_PDF_METADATA_TITLE, d->title);
  cairo_pdf_surface_set_metadata (s, CAIRO_PDF_METADATA_CREATOR, "Likeness " PACKAGE_VERSION);
  cr = cairo_create (s);
  draw (d, cr, width, height);
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (s);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (s);
  cairo_surface_destroy (s);
  return status;
}

static gboolean
io_error (GError **error, int errsv, const char *format, const char *path, const char *detail)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), format, path, detail);
  return FALSE;
}

/* cairo's image surfaces are at most 32767 pixels a side; and the surface
 * takes 4 bytes a pixel, so 250 million pixels (1 GB) in all. */
#define PNG_MAX_SIDE 32767
#define PNG_MAX_PIXELS 250000000.0

static gboolean
check_png_size (const char *path, double width, double height, double scale, GError **error)
{
  double pw = ceil (width * scale), ph = ceil (height * scale);
  double fits = floor (PNG_MAX_SIDE / MAX (width, height) * 100) / 100;

  if (pw <= PNG_MAX_SIDE && ph <= PNG_MAX_SIDE && pw * ph <= PNG_MAX_PIXELS)
    return TRUE;
  if (pw * ph > PNG_MAX_PIXELS)
    fits = MIN (fits, floor (sqrt (PNG_MAX_PIXELS / (width * height)) * 100) / 100);
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
               _("“%s”: at scale %g the PNG would be %.0f × %.0f pixels, and a PNG can be at most %d pixels a side "
                 "and %d million pixels in all; use a scale of at most %.2f (--scale), or export SVG or PDF, which "
                 "have no such limit"),
               path, scale, pw, ph, PNG_MAX_SIDE, (int) (PNG_MAX_PIXELS / 1000000), fits);
  return FALSE;
}

static gboolean
write_figure (Drawer *d, LkExportFormat format, double scale, Sink *sink, const char *path, GError **error)
{
  g_autoptr(LkCanvas) probe = lk_canvas_new_null ();
  cairo_status_t status = CAIRO_STATUS_SUCCESS;
  double w, h;

  /* photos at the PNG's resolution; at print resolution (288 dpi) in SVG and PDF */
  if (d->pixel_scale)
    *d->pixel_scale = format == LK_EXPORT_PNG ? scale : 4;
  d->draw (d->data, probe, &w, &h);
  if (d->failed && *d->failed)
    {
      g_set_error (error, (*d->failed)->domain, (*d->failed)->code, _("Could not draw the figure “%s”: %s"), path,
                   (*d->failed)->message);
      return FALSE;
    }
  if (format == LK_EXPORT_PNG && !check_png_size (path, w, h, scale, error))
    return FALSE;
  if (format == LK_EXPORT_SVG)
    return write_svg (d, sink, w, h) ? TRUE
           : io_error (error, sink->saved_errno, _("Could not write the figure “%s”: %s"), path, g_strerror (sink->saved_errno));
  status = format == LK_EXPORT_PNG ? write_png (d, sink, w, h, scale) : write_pdf (d, sink, w, h);
  if (status == CAIRO_STATUS_WRITE_ERROR && sink->saved_errno)
    return io_error (error, sink->saved_errno, _("Could not write the figure “%s”: %s"), path, g_strerror (sink->saved_errno));
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, _("Could not draw the figure “%s”: %s"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

/* @d into @path, atomically: nothing appears when drawing or writing fails. */
static gboolean
export_drawer (Drawer *d, LkExportFormat format, double scale, const char *path, GError **error)
{
  g_autoptr(LkAtomicFile) file = NULL;
  g_autoptr(GError) local = NULL;
  Sink sink = { -1, 0 };
  gboolean ok;

  if (format == LK_EXPORT_CSV)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   _("“%s”: this figure has no table of values; choose .svg, .png or .pdf"), path);
      return FALSE;
    }
  if (!(scale > 0 && scale <= 16))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("The PNG scale must be between 0 and 16 (got %g)"), scale);
      return FALSE;
    }
  if ((file = lk_atomic_file_new (path, 0666, &local)) == NULL)
    {
      g_set_error (error, local->domain, local->code, _("Could not write the figure: %s"), local->message);
      return FALSE;
    }
  sink.fd = lk_atomic_file_get_fd (file);
  ok = write_figure (d, format, scale, &sink, path, &local);
  if (ok && !lk_atomic_file_commit (file, &local))
    {
      g_set_error (error, local->domain, local->code, _("Could not save the figure: %s"), local->message);
      return FALSE;
    }
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local));
  return ok;
}

typedef struct {
  LkFigure *f;
  LkView    view;
} ViewDraw;

static void
draw_view (gpointer data, LkCanvas *c, double *width, double *height)
{
  ViewDraw *v = data;
  lk_render_view (v->f, v->view, c, width, height);
}

gboolean
lk_render_export (LkExplanation *x, LkView view, const LkRenderOptions *options, LkExportFormat format,
                  double scale, const char *path, GError **error)
{
  LkRenderOptions opt;
  LkFigure f;
  ViewDraw v;
  Drawer d;
  gboolean ok;

  g_return_val_if_fail (LK_IS_EXPLANATION (x), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (options)
    opt = *options;
  else
    lk_render_options_init (&opt);
  opt.dark = FALSE;   /* exports are for paper and slides: always light */
  lk_figure_init (&f, x, &opt);
  if (format == LK_EXPORT_CSV)
    {
      ok = lk_render_write_csv (&f, view, path, error);
      lk_figure_clear (&f);
      return ok;
    }
  v = (ViewDraw) { &f, view };
  d = (Drawer) {
    .draw = draw_view, .data = &v, .background = f.background, .pixel_scale = &f.pixel_scale, .failed = &f.error,
    .title = g_strdup_printf ("%s · %s", lk_method_title (lk_explanation_get_method (x)),
                              json_object_get_string_member_with_default (lk_explanation_get_model (x), "id", "")),
  };
  ok = export_drawer (&d, format, scale, path, error);
  g_free (d.title);
  lk_figure_clear (&f);
  return ok;
}

/* For lk-render-aggregate.c: any drawing, exported like a figure. */
gboolean
lk_render_export_drawing (void (*draw_fn) (gpointer data, LkCanvas *c, double *width, double *height),
                          gpointer data, const LkRgba *background, const char *title, const char *path,
                          double scale, GError **error)
{
  LkExportFormat format;
  Drawer d = { .draw = draw_fn, .data = data, .background = *background, .title = (char *) title };

  if (!lk_export_format_from_path (path, &format, error))
    return FALSE;
  return export_drawer (&d, format, scale, path, error);
}
