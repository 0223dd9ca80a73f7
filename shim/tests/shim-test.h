/* shim-test.h — a tiny TAP harness and safetensors writer for the shim's
 * tests, which must build with nothing but a C compiler and libtorch. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lk_test_n, lk_test_failed;

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    lk_test_n++;                                                           \
    if (cond)                                                              \
      printf ("ok %d - ", lk_test_n);                                      \
    else                                                                   \
      {                                                                    \
        printf ("not ok %d - ", lk_test_n);                                \
        lk_test_failed++;                                                  \
      }                                                                    \
    printf (__VA_ARGS__);                                                  \
    printf ("%s\n", (cond) ? "" : "  (" #cond ")");                      \
  } while (0)

static inline int
lk_test_done (void)
{
  printf ("1..%d\n", lk_test_n);
  return lk_test_failed ? 1 : 0;
}

/* A deterministic generator so that no test depends on libc's rand(). */
static inline float
lk_test_rand (uint64_t *state)
{
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((float) ((*state >> 40) & 0xFFFFFF) / 16777216.0f - 0.5f) * 0.8f;
}

typedef struct {
  const char *name;
  int ndim;
  int64_t shape[4];
  float *data;
} lk_test_tensor;

static inline size_t
lk_test_numel (const lk_test_tensor *t)
{
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++)
    n *= (size_t) t->shape[i];
  return n;
}

/* Writes F32 tensors as a safetensors file. */
static inline int
lk_test_write_safetensors (const char *path, const lk_test_tensor *ts, int n)
{
  size_t cap = 256 + (size_t) n * 256, len = 0, off = 0;
  char *hdr = malloc (cap);
  len += snprintf (hdr + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
  for (int i = 0; i < n; i++)
    {
      size_t bytes = lk_test_numel (&ts[i]) * 4;
      len += snprintf (hdr + len, cap - len, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", ts[i].name);
      for (int d = 0; d < ts[i].ndim; d++)
        len += snprintf (hdr + len, cap - len, "%s%lld", d ? "," : "", (long long) ts[i].shape[d]);
      len += snprintf (hdr + len, cap - len, "],\"data_offsets\":[%zu,%zu]}", off, off + bytes);
      off += bytes;
    }
  len += snprintf (hdr + len, cap - len, "}");
  while (len % 8)
    hdr[len++] = ' ';
  FILE *f = fopen (path, "wb");
  if (!f)
    return -1;
  uint64_t hl = len;
  unsigned char le[8];
  for (int i = 0; i < 8; i++)
    le[i] = (unsigned char) (hl >> (8 * i));
  fwrite (le, 1, 8, f);
  fwrite (hdr, 1, len, f);
  for (int i = 0; i < n; i++)
    fwrite (ts[i].data, 4, lk_test_numel (&ts[i]), f);
  fclose (f);
  free (hdr);
  return 0;
}
