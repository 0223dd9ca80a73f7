/* lk-image.c — image loading through gdk-pixbuf and CLIP's preprocessing,
 * reproducing what transformers' CLIPImageProcessor does with a PIL image:
 * PIL's bicubic resize (its fixed-point 8-bit resampler), centre crop,
 * rescale, normalise. */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "lk-error.h"
#include "lk-image.h"

LkImage *
lk_image_new (int width,
              int height)
{
  LkImage *image;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  image = g_new0 (LkImage, 1);
  image->width = width;
  image->height = height;
  image->rgb = g_new0 (float, (gsize) width * height * 3);
  return image;
}

LkImage *
lk_image_copy (const LkImage *image)
{
  LkImage *copy;

  g_return_val_if_fail (image != NULL, NULL);
  copy = lk_image_new (image->width, image->height);
  memcpy (copy->rgb, image->rgb, sizeof (float) * image->width * image->height * 3);
  return copy;
}

void
lk_image_free (LkImage *image)
{
  if (image == NULL)
    return;
  g_free (image->rgb);
  g_free (image);
}

LkImage *
lk_image_load (const char  *path,
               GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GdkPixbuf) raw = NULL;
  g_autoptr(GdkPixbuf) pix = NULL;
  const guint8 *px;
  LkImage *image;
  int w, h, stride, nc;

  g_return_val_if_fail (path != NULL, NULL);

  /* gdk-pixbuf picks the loader by the file's first bytes. */
  raw = gdk_pixbuf_new_from_file (path, &local);
  if (raw == NULL)
    {
      gboolean missing = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT);
      g_set_error (error, LK_ERROR, missing ? LK_ERROR_NOT_FOUND : LK_ERROR_INVALID_DATA,
                   _("%s: cannot read the image: %s"), path, local->message);
      return NULL;
    }
  pix = gdk_pixbuf_apply_embedded_orientation (raw);
  if (pix == NULL || gdk_pixbuf_get_colorspace (pix) != GDK_COLORSPACE_RGB ||
      gdk_pixbuf_get_bits_per_sample (pix) != 8)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, _("%s: the image has a colour layout that is not supported"), path);
      return NULL;
    }
  w = gdk_pixbuf_get_width (pix);
  h = gdk_pixbuf_get_height (pix);
  stride = gdk_pixbuf_get_rowstride (pix);
  nc = gdk_pixbuf_get_n_channels (pix);
  if (w <= 0 || h <= 0 || nc < 3)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: the image is empty"), path);
      return NULL;
    }
  px = gdk_pixbuf_read_pixels (pix);
  image = lk_image_new (w, h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        image->rgb[((gsize) y * w + x) * 3 + c] = px[(gsize) y * stride + (gsize) x * nc + c] / 255.0f;
  return image;
}

void
lk_image_preprocess_init (LkImagePreprocess *p,
                          guint              size)
{
  static const float mean[3] = { 0.48145466f, 0.4578275f, 0.40821073f };
  static const float std[3] = { 0.26862954f, 0.26130258f, 0.27577711f };

  p->shortest_edge = size;
  p->crop_width = p->crop_height = size;
  p->rescale = 1.0 / 255.0;
  memcpy (p->mean, mean, sizeof mean);
  memcpy (p->std, std, sizeof std);
}

/* ---- PIL's resampler (Pillow's libImaging/Resample.c, as a specification) */

#define PRECISION_BITS (32 - 8 - 2)

static double
bicubic (double x)
{
  const double a = -0.5;

  x = fabs (x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/* Fixed-point coefficients of each output pixel: bounds[2 i] = first input
 * pixel, bounds[2 i + 1] = how many; kk holds ksize ints per output pixel. */
static int
coefficients (int in_size, int out_size, int **bounds_out, int **kk_out)
{
  double scale = (double) in_size / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = 2.0 * filterscale;
  int ksize = (int) ceil (support) * 2 + 1;
  int *bounds = g_new0 (int, out_size * 2);
  int *kk = g_new0 (int, (gsize) out_size * ksize);
  double *k = g_new0 (double, ksize);

  for (int xx = 0; xx < out_size; xx++)
    {
      double center = (xx + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
      int xmin = (int) (center - support + 0.5), xmax;

      if (xmin < 0)
        xmin = 0;
      xmax = (int) (center + support + 0.5);
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          double w = bicubic ((x + xmin - center + 0.5) * ss);
          k[x] = w;
          ww += w;
        }
      for (int x = 0; x < xmax; x++)
        {
          double w = ww != 0.0 ? k[x] / ww : k[x];
          kk[xx * ksize + x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                                     : (int) (0.5 + w * (1 << PRECISION_BITS));
        }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
  g_free (k);
  *bounds_out = bounds;
  *kk_out = kk;
  return ksize;
}

static guint8
clip8 (int v)
{
  v >>= PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (guint8) v;
}

/* One pass along x (horizontal) or y of an 8-bit RGB image. */
static guint8 *
resample_pass (const guint8 *in, int w, int h, int out_size, gboolean horizontal)
{
  g_autofree int *bounds = NULL;
  g_autofree int *kk = NULL;
  int ksize = coefficients (horizontal ? w : h, out_size, &bounds, &kk);
  int ow = horizontal ? out_size : w, oh = horizontal ? h : out_size;
  guint8 *out = g_new (guint8, (gsize) ow * oh * 3);

  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++)
      {
        int i = horizontal ? x : y;
        int lo = bounds[i * 2], n = bounds[i * 2 + 1];
        const int *k = kk + (gsize) i * ksize;
        for (int c = 0; c < 3; c++)
          {
            int ss = 1 << (PRECISION_BITS - 1);
            for (int j = 0; j < n; j++)
              {
                int sx = horizontal ? lo + j : x, sy = horizontal ? y : lo + j;
                ss += in[((gsize) sy * w + sx) * 3 + c] * k[j];
              }
            out[((gsize) y * ow + x) * 3 + c] = clip8 (ss);
          }
      }
  return out;
}

gboolean
lk_image_preprocess (const LkImage           *image,
                     const LkImagePreprocess *p,
                     float                   *out,
                     GError                 **error)
{
  g_autofree guint8 *u8 = NULL;
  int w, h, nw, nh, top, left;
  gsize n;

  g_return_val_if_fail (image != NULL && p != NULL && out != NULL, FALSE);

  w = image->width;
  h = image->height;
  if (w <= 0 || h <= 0 || p->shortest_edge == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, _("the image is empty"));
      return FALSE;
    }
  /* transformers' get_resize_output_image_size: the long side truncated. */
  if (w <= h)
    {
      nw = p->shortest_edge;
      nh = (int) ((double) p->shortest_edge * h / w);
    }
  else
    {
      nh = p->shortest_edge;
      nw = (int) ((double) p->shortest_edge * w / h);
    }
  if ((guint) nw < p->crop_width || (guint) nh < p->crop_height)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("the crop (%u × %u) is larger than the resized image (%d × %d)"),
                   p->crop_width, p->crop_height, nw, nh);
      return FALSE;
    }

  n = (gsize) w * h * 3;
  u8 = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    {
      float v = roundf (image->rgb[i] * 255.0f);
      u8[i] = v < 0 ? 0 : v > 255 ? 255 : (guint8) v;
    }
  /* PIL: a horizontal pass when the width changes, then a vertical one. */
  if (nw != w)
    {
      guint8 *t = resample_pass (u8, w, h, nw, TRUE);
      g_free (u8);
      u8 = t;
      w = nw;
    }
  if (nh != h)
    {
      guint8 *t = resample_pass (u8, w, h, nh, FALSE);
      g_free (u8);
      u8 = t;
      h = nh;
    }
  top = (h - (int) p->crop_height) / 2;
  left = (w - (int) p->crop_width) / 2;
  for (int c = 0; c < 3; c++)
    for (guint y = 0; y < p->crop_height; y++)
      for (guint x = 0; x < p->crop_width; x++)
        {
          /* rescale in double, then float, as transformers does */
          float v = (float) (u8[((gsize) (top + y) * w + left + x) * 3 + c] * p->rescale);
          out[((gsize) c * p->crop_height + y) * p->crop_width + x] = (v - p->mean[c]) / p->std[c];
        }
  return TRUE;
}
