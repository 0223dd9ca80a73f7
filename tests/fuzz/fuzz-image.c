/* fuzz-image.c — libFuzzer target for the image loader (any format
 * gdk-pixbuf reads, recognised by content), as explaining an image with
 * CLIP (224-pixel input) reads it. A loaded image has a sane size. */
#include "config.h"

#include "fuzz-common.h"
#include "lk-image.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fuzz_write ("image", data, size);
  LkImage *image = lk_image_load_for_model (path, 224, &error);

  FUZZ_CHECK_ERROR (image != NULL, error);
  if (image != NULL)
    {
      if (image->width <= 0 || image->height <= 0)
        abort ();
      lk_image_free (image);
    }
  return 0;
}
