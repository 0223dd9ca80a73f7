/* lk-image.c — image loading through gdk-pixbuf and CLIP's preprocessing,
 * reproducing what transformers' CLIPImageProcessor does with a PIL image:
 * PIL's bicubic resize (its fixed-point 8-bit resampler), centre crop,
 * rescale, normalise. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "lk-error.h"
#include "lk-file.h"
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
  image->file_width = width;
  image->file_height = height;
  image->rgb = g_new0 (float, (gsize) width * height * 3);
  return image;
}

LkImage *
lk_image_copy (const LkImage *image)
{
  LkImage *copy;

  g_return_val_if_fail (image != NULL, NULL);
  copy = lk_image_new (image->width, image->height);
  copy->file_width = image->file_width;
  copy->file_height = image->file_height;
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

/* ---- reading a file ---- */

static gboolean
not_regular (const char *path, mode_t mode, GError **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
               _("%s is %s, not an image file: Likeness reads images from regular files only"),
               path, lk_file_kind (mode));
  return FALSE;
}

gboolean
lk_image_check_file (const char *path,
                     GError    **error)
{
  GStatBuf st;

  g_return_val_if_fail (path != NULL, FALSE);
  if (g_stat (path, &st) != 0)
    {
      int errsv = errno;
      g_set_error (error, LK_ERROR, errsv == ENOENT ? LK_ERROR_NOT_FOUND : LK_ERROR_INVALID_ARGUMENT,
                   _("%s: cannot read the image: %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return S_ISREG (st.st_mode) ? TRUE : not_regular (path, st.st_mode, error);
}

/* The type is checked by name first, then again on the open descriptor:
 * O_NONBLOCK keeps the open itself from waiting on a FIFO that was put
 * there in between. */
static GMappedFile *
map_file (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  GMappedFile *mapped;
  struct stat st;
  int fd;

  if (!lk_image_check_file (path, error))
    return NULL;
  if ((fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0)) < 0)
    {
      int errsv = errno;
      g_set_error (error, LK_ERROR, errsv == ENOENT ? LK_ERROR_NOT_FOUND : LK_ERROR_INVALID_ARGUMENT,
                   _("%s: cannot read the image: %s"), path, g_strerror (errsv));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      not_regular (path, st.st_mode, error);
      close (fd);
      return NULL;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (mapped == NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: cannot read the image: %s"), path, local->message);
  return mapped;
}

/* ---- truncated files ----
 * gdk-pixbuf fills what a cut file lacks (grey in a JPEG, whatever the
 * buffer held in a PNG) and reports success, so each format's own end
 * is checked here. */

static gboolean
jpeg_complete (const guint8 *d, gsize n)
{
  gsize i = 2;

  /* markers with a length up to the first scan, then EOI: inside entropy-coded
   * data 0xFF is always followed by 0x00 or a restart marker */
  while (i + 4 <= n && d[i] == 0xFF)
    {
      guint8 m = d[i + 1];
      if (m == 0xFF)
        {
          i++;
          continue;
        }
      if (m == 0xDA)
        break;
      i += 2 + ((gsize) d[i + 2] << 8 | d[i + 3]);
    }
  for (i += 2; i + 1 < n; i++)
    if (d[i] == 0xFF && d[i + 1] == 0xD9)
      return TRUE;
  return FALSE;
}

static gboolean
png_complete (const guint8 *d, gsize n)
{
  gsize i = 8;

  while (i + 12 <= n)
    {
      guint32 len = (guint32) d[i] << 24 | (guint32) d[i + 1] << 16 | (guint32) d[i + 2] << 8 | d[i + 3];
      if (memcmp (d + i + 4, "IEND", 4) == 0)
        return TRUE;
      if (len > n - i - 12)
        return FALSE;
      i += 12 + (gsize) len;
    }
  return FALSE;
}

/* Whether data of the format @loader names (sniff_format's) ends early. */
static gboolean
is_truncated (const char *loader, const guint8 *d, gsize n)
{
  if (g_str_equal (loader, "jpeg"))
    return !jpeg_complete (d, n);
  if (g_str_equal (loader, "png"))
    return !png_complete (d, n);
  if (g_str_equal (loader, "gif"))
    return d[n - 1] != 0x3B;
  if (g_str_equal (loader, "bmp") && n >= 6)
    {
      guint32 size = (guint32) d[2] | (guint32) d[3] << 8 | (guint32) d[4] << 16 | (guint32) d[5] << 24;
      return size != 0 && size > n;  /* a size of 0 is allowed and says nothing */
    }
  return FALSE;
}

/* ---- formats ----
 * The formats photos come in, recognised by content. gdk-pixbuf has more
 * loaders (icons, cursors, TGA, XPM, SVG...), each its own parser of
 * untrusted bytes; an image to explain is a photo, so they are not used. */

typedef struct {
  const char *loader;  /* gdk-pixbuf's name for it */
  const char *name;
  const char *mime_type;
} Format;

static const Format formats[] = {
  { "jpeg", "JPEG", "image/jpeg" },
  { "png",  "PNG",  "image/png" },
  { "webp", "WebP", "image/webp" },
  { "tiff", "TIFF", "image/tiff" },
  { "gif",  "GIF",  "image/gif" },
  { "bmp",  "BMP",  "image/bmp" },
};

const char * const *
lk_image_mime_types (void)
{
  static const char *types[G_N_ELEMENTS (formats) + 1];
  static gsize filled = 0;

  if (g_once_init_enter (&filled))
    {
      for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
        types[i] = formats[i].mime_type;
      g_once_init_leave (&filled, 1);
    }
  return types;
}

static const Format *
sniff_format (const guint8 *d, gsize n)
{
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
    return &formats[0];
  if (n >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return &formats[1];
  if (n >= 12 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0)
    return &formats[2];
  if (n >= 4 && (memcmp (d, "II*\0", 4) == 0 || memcmp (d, "MM\0*", 4) == 0))
    return &formats[3];
  if (n >= 6 && (memcmp (d, "GIF87a", 6) == 0 || memcmp (d, "GIF89a", 6) == 0))
    return &formats[4];
  if (n >= 2 && d[0] == 'B' && d[1] == 'M')
    return &formats[5];
  return NULL;
}

static gboolean
unknown_format (const char *path, GError **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               _("%s is not a JPEG, PNG, WebP, TIFF, GIF or BMP image (by its first bytes); "
                 "Likeness reads photos in these formats only"), path);
  return FALSE;
}

/* gdk-pixbuf's GIF loader allocates each frame at the size its own
 * descriptor gives, which nothing bounds by the image's: a 100-byte file can
 * ask for 4 GB. So the frames are walked first (a GIF is a list of blocks). */
static gboolean
check_gif_frames (const char *path, const guint8 *d, gsize n, GError **error)
{
  gsize i = 13;
  guint frame = 0;

  if (n < 13)
    return TRUE;  /* the decoder says the file ends in its header */
  if (d[10] & 0x80)
    i += 3u << ((d[10] & 7) + 1);
  while (i < n && d[i] != 0x3B)
    {
      if (d[i] == 0x21)
        i += 2;  /* introducer and label */
      else if (d[i] == 0x2C)
        {
          int w, h;
          if (i + 11 > n)
            return TRUE;
          w = d[i + 5] | d[i + 6] << 8;
          h = d[i + 7] | d[i + 8] << 8;
          frame++;
          if ((double) w * h > LK_IMAGE_MAX_PIXELS)
            {
              g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                           _("%s: GIF frame %u declares %d × %d pixels (%.0f MP); Likeness reads images up to %d MP"),
                           path, frame, w, h, (double) w * h / 1e6, LK_IMAGE_MAX_PIXELS / 1000000);
              return FALSE;
            }
          if (d[i + 9] & 0x80)
            i += 3u << ((d[i + 9] & 7) + 1);
          i += 11;  /* descriptor and the LZW code size */
        }
      else
        return TRUE;  /* not a GIF block: the decoder reports it */
      /* data sub-blocks, each led by its length, up to an empty one */
      while (i < n && d[i] != 0)
        i += 1 + (gsize) d[i];
      i++;
    }
  return TRUE;
}

/* ---- decoding ---- */

typedef struct {
  guint    max_short, max_long;  /* 0: no bound */
  int      width, height;        /* as the file declares them */
  gboolean too_large;
} Decode;

/* Pre-scaled in the decoder: a JPEG is then decoded at 1/2, 1/4 or 1/8 of
 * its size, and no format keeps more than one full-size copy. */
static void
size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer data)
{
  Decode *d = data;
  double f = 1.0;

  d->width = width;
  d->height = height;
  if ((double) width * height > LK_IMAGE_MAX_PIXELS)
    {
      d->too_large = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);  /* stops the decoder before it allocates */
      return;
    }
  if (d->max_short > 0)
    {
      /* by a power of two, the scales libjpeg decodes at: a JPEG then needs
       * no second, bilinear resize, and the model's bicubic resize sees
       * what it would see from the full photo but for the DCT's scaling */
      int k = 1;
      while ((MIN (width, height) + 2 * k - 1) / (2 * k) >= (int) d->max_short)
        k *= 2;
      if (k > 1)
        gdk_pixbuf_loader_set_size (loader, (width + k - 1) / k, (height + k - 1) / k);
      return;
    }
  if (d->max_long > 0)
    f = MIN (f, (double) d->max_long / MAX (width, height));
  if (f < 1.0)
    gdk_pixbuf_loader_set_size (loader, MAX (1, (int) lround (width * f)), MAX (1, (int) lround (height * f)));
}

static gboolean
too_large (const char *path, const Decode *d, GError **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               _("%s declares %d × %d pixels (%.0f MP); Likeness reads images up to %d MP"),
               path, d->width, d->height, (double) d->width * d->height / 1e6, LK_IMAGE_MAX_PIXELS / 1000000);
  return FALSE;
}

static gboolean
decode (GdkPixbufLoader *loader, Decode *d, const guint8 *data, gsize n, GError **error)
{
  const gsize chunk = 1 << 20;
  gboolean ok = TRUE;

  for (gsize i = 0; ok && i < n && !d->too_large; i += chunk)
    ok = gdk_pixbuf_loader_write (loader, data + i, MIN (chunk, n - i), error);
  if (!ok)
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return FALSE;
    }
  return gdk_pixbuf_loader_close (loader, error);
}

/* gdk-pixbuf's BMP loader allocates the header size the file declares
 * before it reads any size: a 1 kB file can ask for 4 GB. The sizes that
 * BMP's header versions have (core, OS/2 2.x, INFO, V2–V5) are all there are. */
static gboolean
check_bmp_header (const char *path, const guint8 *data, gsize n, GError **error)
{
  static const guint32 sizes[] = { 12, 16, 40, 52, 56, 64, 108, 124 };
  guint32 header, offset;

  if (n < 2 || data[0] != 'B' || data[1] != 'M')
    return TRUE;
  if (n < 18)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: the BMP file ends inside its header"), path);
      return FALSE;
    }
  offset = data[10] | data[11] << 8 | data[12] << 16 | (guint32) data[13] << 24;
  if (offset > n)
    {
      /* The loader buffers everything up to the pixels' offset. */
      g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, n);
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: the BMP pixels are said to start at byte %u, past the end of the file (%s bytes)"),
                   path, offset, size);
      return FALSE;
    }
  header = data[14] | data[15] << 8 | data[16] << 16 | (guint32) data[17] << 24;
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (header == sizes[i])
      return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               _("%s: a BMP header of %u bytes; BMP headers have 12, 16, 40, 52, 56, 64, 108 or 124"), path, header);
  return FALSE;
}

GdkPixbuf *
lk_image_load_pixbuf (const char  *path,
                      guint        max_short_side,
                      guint        max_long_side,
                      int         *file_width,
                      int         *file_height,
                      GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local = NULL;
  Decode d = { max_short_side, max_long_side, 0, 0, FALSE };
  const Format *format;
  const guint8 *data;
  gsize n;
  GdkPixbuf *pix;
  gboolean turned, decoded;
  int raw_w;

  g_return_val_if_fail (path != NULL, NULL);
  if ((mapped = map_file (path, error)) == NULL)
    return NULL;
  data = (const guint8 *) g_mapped_file_get_contents (mapped);
  n = g_mapped_file_get_length (mapped);
  if (n == 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: cannot read the image: the file is empty"), path);
      return NULL;
    }
  if ((format = sniff_format (data, n)) == NULL)
    {
      unknown_format (path, error);
      return NULL;
    }
  if (!check_bmp_header (path, data, n, error) || !check_gif_frames (path, data, n, error))
    return NULL;
  if ((loader = gdk_pixbuf_loader_new_with_type (format->loader, &local)) == NULL)
    {
      /* WebP's loader is a package of its own */
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s is a %s image, and this system's gdk-pixbuf has no %s loader: %s"),
                   path, format->name, format->name, local->message);
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared), &d);
  decoded = decode (loader, &d, data, n, &local);
  if (d.too_large)
    {
      too_large (path, &d, error);
      return NULL;
    }
  /* before the decoder's own message, which for a cut file says little
   * ("Improper call to JPEG library in state 205") */
  if (is_truncated (format->loader, data, n))
    {
      g_autofree char *bytes = g_strdup_printf ("%" G_GSIZE_FORMAT, n);
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   _("%s: the %s data ends before the image does (%s bytes): the file is truncated"), path, format->name, bytes);
      return NULL;
    }
  if (!decoded)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: cannot read the image: %s"), path,
                   local ? local->message : "no image data");
      return NULL;
    }
  if ((pix = gdk_pixbuf_loader_get_pixbuf (loader)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: cannot read the image: no image data"), path);
      return NULL;
    }
  /* maps and figures use the size after EXIF orientation */
  raw_w = gdk_pixbuf_get_width (pix);
  if ((pix = gdk_pixbuf_apply_embedded_orientation (pix)) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, _("%s: cannot apply the image's EXIF orientation"), path);
      return NULL;
    }
  turned = gdk_pixbuf_get_width (pix) != raw_w;
  if (file_width)
    *file_width = turned ? d.height : d.width;
  if (file_height)
    *file_height = turned ? d.width : d.height;
  return pix;
}

static LkImage *
image_from_pixbuf (const char *path, GdkPixbuf *pix, GError **error)
{
  const guint8 *px;
  LkImage *image;
  int w, h, stride, nc;

  if (gdk_pixbuf_get_colorspace (pix) != GDK_COLORSPACE_RGB || gdk_pixbuf_get_bits_per_sample (pix) != 8)
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

LkImage *
lk_image_load_scaled (const char  *path,
                      guint        max_short_side,
                      GError     **error)
{
  g_autoptr(GdkPixbuf) pix = NULL;
  LkImage *image;
  int fw = 0, fh = 0;

  g_return_val_if_fail (path != NULL, NULL);
  if ((pix = lk_image_load_pixbuf (path, max_short_side, 0, &fw, &fh, error)) == NULL ||
      (image = image_from_pixbuf (path, pix, error)) == NULL)
    return NULL;
  image->file_width = fw;
  image->file_height = fh;
  return image;
}

LkImage *
lk_image_load (const char  *path,
               GError     **error)
{
  return lk_image_load_scaled (path, 0, error);
}

LkImage *
lk_image_load_for_model (const char  *path,
                         guint        shortest_edge,
                         GError     **error)
{
  return lk_image_load_scaled (path, shortest_edge * LK_IMAGE_OVERSAMPLE, error);
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

/* transformers' get_resize_output_image_size: the long side truncated. */
static void
resized_size (const LkImagePreprocess *p, int w, int h, int *nw, int *nh)
{
  if (w <= h)
    {
      *nw = p->shortest_edge;
      *nh = (int) ((double) p->shortest_edge * h / w);
    }
  else
    {
      *nh = p->shortest_edge;
      *nw = (int) ((double) p->shortest_edge * w / h);
    }
}

void
lk_image_preprocess_crop (const LkImagePreprocess *p,
                          int                      width,
                          int                      height,
                          double                   crop[4])
{
  int nw, nh;
  double sx, sy;

  g_return_if_fail (p != NULL && width > 0 && height > 0 && p->shortest_edge > 0);
  resized_size (p, width, height, &nw, &nh);
  sx = (double) width / nw;
  sy = (double) height / nh;
  crop[0] = ((nw - (int) p->crop_width) / 2) * sx;
  crop[1] = ((nh - (int) p->crop_height) / 2) * sy;
  crop[2] = p->crop_width * sx;
  crop[3] = p->crop_height * sy;
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
  resized_size (p, w, h, &nw, &nh);
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
