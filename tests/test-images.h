/* test-images.h — hostile and large images made at run time (nothing big
 * is committed): photos of any size, a PNG that declares a huge size,
 * cut files. */
#pragma once

#include <string.h>
#include <glib.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

/* A smooth @width × @height photo ("jpeg" or "png") at @path. */
static inline void
lk_test_write_photo (const char *path, int width, int height, const char *type)
{
  g_autoptr(GdkPixbuf) p = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  guchar *px = gdk_pixbuf_get_pixels (p);
  int rs = gdk_pixbuf_get_rowstride (p);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *q = px + (gsize) y * rs + (gsize) x * 3;
        q[0] = (guchar) ((gint64) x * 255 / width);
        q[1] = (guchar) ((gint64) y * 255 / height);
        q[2] = (guchar) (((x / 64) ^ (y / 64)) & 1 ? 200 : 40);
      }
  g_assert_true (gdk_pixbuf_save (p, path, type, &error, g_str_equal (type, "jpeg") ? "quality" : NULL, "90", NULL));
  g_assert_no_error (error);
}

static inline void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* A valid PNG chunk stream whose header declares @width × @height (one IDAT
 * of a few bytes; the checksums right, so only the size is hostile). */
static inline void
lk_test_write_huge_png (const char *path, guint32 width, guint32 height)
{
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01 };
  GByteArray *b = g_byte_array_new ();
  guint8 ihdr[13], chunk[8];
  struct { const char *type; const guint8 *data; guint32 len; } chunks[3] = {
    { "IHDR", ihdr, 13 }, { "IDAT", idat, sizeof idat }, { "IEND", NULL, 0 } };

  put_be32 (ihdr, width);
  put_be32 (ihdr + 4, height);
  ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = ihdr[11] = ihdr[12] = 0;  /* 8-bit RGB */
  g_byte_array_append (b, sig, 8);
  for (guint i = 0; i < 3; i++)
    {
      guint32 crc = 0xffffffffu;
      GByteArray *t = g_byte_array_new ();
      g_byte_array_append (t, (const guint8 *) chunks[i].type, 4);
      if (chunks[i].len)
        g_byte_array_append (t, chunks[i].data, chunks[i].len);
      for (guint k = 0; k < t->len; k++)
        {
          crc ^= t->data[k];
          for (int j = 0; j < 8; j++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
      put_be32 (chunk, chunks[i].len);
      g_byte_array_append (b, chunk, 4);
      g_byte_array_append (b, t->data, t->len);
      put_be32 (chunk, crc ^ 0xffffffffu);
      g_byte_array_append (b, chunk, 4);
      g_byte_array_unref (t);
    }
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  g_byte_array_unref (b);
}

/* The first @fraction of @src's bytes at @dst. */
static inline void
lk_test_write_cut (const char *src, const char *dst, double fraction)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (dst, data, (gssize) (len * fraction), NULL));
}
