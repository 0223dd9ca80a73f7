/* fuzz-common.h — what the file-reader targets share: the readers take a
 * path, so each input is written to one file in a private folder first.
 * One file, rewritten each time: a fresh name per input would fill the
 * folder and spend the run in the file system. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *
fuzz_dir (void)
{
  static char *dir;

  if (dir == NULL)
    {
      g_autoptr(GError) error = NULL;

      dir = g_dir_make_tmp ("lk-fuzz-XXXXXX", &error);
      if (dir == NULL)
        {
          fprintf (stderr, "fuzz: %s\n", error->message);
          abort ();
        }
    }
  return dir;
}

/* Writes @data to @name in the private folder; returns its path (owned by the caller). */
static inline char *
fuzz_write (const char *name, const uint8_t *data, size_t size)
{
  char *path = g_build_filename (fuzz_dir (), name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  FILE *f;

  g_mkdir_with_parents (parent, 0700);
  /* fopen, not g_file_set_contents: that one fsyncs, which makes a run ~50x slower. */
  if ((f = fopen (path, "wb")) == NULL || (size > 0 && fwrite (data, 1, size, f) != size) || fclose (f) != 0)
    {
      fprintf (stderr, "fuzz: cannot write %s\n", path);
      abort ();
    }
  return path;
}

/* A reader that fails must say why: an error with a message, never a silent NULL. */
#define FUZZ_CHECK_ERROR(ok, error)                                   \
  do {                                                                \
    if (!(ok) && ((error) == NULL || (error)->message == NULL ||      \
                  (error)->message[0] == '\0'))                       \
      {                                                               \
        fprintf (stderr, "fuzz: failed without a message\n");         \
        abort ();                                                     \
      }                                                               \
    if ((ok) && (error) != NULL)                                      \
      {                                                               \
        fprintf (stderr, "fuzz: succeeded with an error set\n");      \
        abort ();                                                     \
      }                                                               \
  } while (0)
