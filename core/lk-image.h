/* lk-image.h — images for CLIP: loading (by content, EXIF orientation
 * applied) and CLIPImageProcessor's preprocessing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* H × W × 3 floats in [0, 1], row-major, after EXIF orientation. */
typedef struct {
  int    width;
  int    height;
  float *rgb;
} LkImage;

/* Any format gdk-pixbuf reads, recognised by content, not by extension.
 * EXIF orientation is applied; alpha is dropped (the colour as stored, as
 * PIL's convert("RGB") does); grayscale is repeated into R, G and B; CMYK
 * JPEGs are converted; 16-bit PNGs are reduced to 8 bits. */
LkImage *lk_image_load (const char *path,
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkImage, lk_image_free)

G_END_DECLS
