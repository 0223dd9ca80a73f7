/* lk-image.h — images for CLIP: loading (by content, EXIF orientation
 * applied) and CLIPImageProcessor's preprocessing. */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>

G_BEGIN_DECLS

/* The largest image read, in pixels as the file declares them (250 MP:
 * every camera and phone photo; a 30000 × 30000 PNG of a few kB is
 * refused before it is decoded). Files that cannot be decoded scaled (PNG)
 * take up to 4 bytes a pixel while they are read. */
#define LK_IMAGE_MAX_PIXELS 250000000
/* Explaining decodes an image pre-scaled, by a power of two, to no less
 * than this many times the model's input side on its shorter side: the
 * model's own resize then still works from 4× its output, and a 24 MP photo
 * takes some 20 MB instead of 360 MB. */
#define LK_IMAGE_OVERSAMPLE 4

/* H × W × 3 floats in [0, 1], row-major, after EXIF orientation. */
typedef struct {
  int    width;
  int    height;
  float *rgb;
  int    file_width;   /* the file's own size after EXIF orientation; */
  int    file_height;  /* larger than width × height when it was decoded pre-scaled */
} LkImage;

/* Refuses (by type, without opening it) anything that is not a regular
 * file: a folder, a FIFO that would block, a device. */
gboolean   lk_image_check_file  (const char *path,
                                 GError    **error);
/* Decodes @path (a regular file, up to LK_IMAGE_MAX_PIXELS, not truncated)
 * pre-scaled in the decoder, EXIF orientation applied, never enlarged:
 * with @max_short_side, by the largest power of two that leaves the
 * shorter side at least that long (a JPEG is decoded at that scale, with
 * no second resize); else with @max_long_side, to at most that on the
 * longer side (0 and 0: full size). @file_width and @file_height
 * (optional) get the file's own size after orientation. */
GdkPixbuf *lk_image_load_pixbuf (const char *path,
                                 guint       max_short_side,
                                 guint       max_long_side,
                                 int        *file_width,
                                 int        *file_height,
                                 GError    **error);

/* The MIME types of the formats read (JPEG, PNG, WebP, TIFF, GIF, BMP:
 * what photos come in), NULL-terminated, for a file chooser's filter. */
const char * const *lk_image_mime_types (void);

/* JPEG, PNG, WebP (with its gdk-pixbuf loader), TIFF, GIF or BMP,
 * recognised by content, not by extension.
 * EXIF orientation is applied; alpha is dropped (the colour as stored, as
 * PIL's convert("RGB") does); grayscale is repeated into R, G and B; CMYK
 * JPEGs are converted; 16-bit PNGs are reduced to 8 bits. */
LkImage *lk_image_load (const char *path,
                        GError    **error);
/* The same, pre-scaled by a power of two to no less than @max_short_side on
 * the shorter side. */
LkImage *lk_image_load_scaled (const char *path,
                               guint       max_short_side,
                               GError    **error);
/* For a model whose input side is @shortest_edge: pre-scaled to no less
 * than LK_IMAGE_OVERSAMPLE × @shortest_edge on the shorter side. */
LkImage *lk_image_load_for_model (const char *path,
                                  guint       shortest_edge,
                                  GError    **error);
/* An image of @width × @height, all black. */
LkImage *lk_image_new  (int         width,
                        int         height);
LkImage *lk_image_copy (const LkImage *image);
void     lk_image_free (LkImage       *image);

/* CLIPImageProcessor's steps, in its order and with its arithmetic. */
typedef struct {
  guint  shortest_edge;  /* resize so that the shorter side has this many pixels (bicubic) */
  guint  crop_width;     /* then the centre crop */
  guint  crop_height;
  double rescale;        /* 1/255 */
  float  mean[3];
  float  std[3];
} LkImagePreprocess;

/* CLIP's defaults for @size (224 for ViT-B/32). */
void     lk_image_preprocess_init (LkImagePreprocess *params,
                                   guint              size);
/* Into @out, 3 × crop_height × crop_width floats (channel-major). The image
 * is first quantised to 8 bits, as the processor sees a PIL image; the
 * resize is PIL's bicubic (a = −0.5, antialiased when shrinking, 8-bit
 * fixed point, horizontal pass then vertical). */
gboolean lk_image_preprocess      (const LkImage           *image,
                                   const LkImagePreprocess *params,
                                   float                   *out,
                                   GError                 **error);

/* The part of a @width × @height image that the centre crop keeps, in
 * that image's pixels: x, y, width, height. */
void     lk_image_preprocess_crop (const LkImagePreprocess *params,
                                   int                      width,
                                   int                      height,
                                   double                   crop[4]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkImage, lk_image_free)

G_END_DECLS
