/* test-safetensors.c — the safetensors reader rejects every malformed file
 * with a specific message and accepts well-formed ones. */
#include "likeness-shim.h"
#include "shim-test.h"

static unsigned char *
make_file (const char *header, size_t data_bytes, size_t *size)
{
  size_t hl = strlen (header);
  *size = 8 + hl + data_bytes;
  unsigned char *buf = calloc (1, *size);
  for (int i = 0; i < 8; i++)
    buf[i] = (unsigned char) ((uint64_t) hl >> (8 * i));
  memcpy (buf + 8, header, hl);
  return buf;
}

static void
expect (const char *label, const char *header, size_t data_bytes, int want_ok, const char *want_msg)
{
  size_t size;
  unsigned char *buf = make_file (header, data_bytes, &size);
  lk_shim_status st;
  int rc = lk_shim_safetensors_validate (buf, size, &st);
  if (want_ok)
    CHECK (rc == 0 && st.code == LK_SHIM_OK, "%s: accepted", label);
  else
    {
      CHECK (rc != 0 && st.code != LK_SHIM_OK, "%s: rejected", label);
      CHECK (strstr (st.message, want_msg) != NULL, "%s: message names the fault (\"%s\")", label, st.message);
    }
  free (buf);
}

int
main (void)
{
  expect ("valid", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"__metadata__\":{\"k\":\"v\\u00e9\"}}", 16, 1, NULL);
  expect ("scalar and empty", "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[4,4]}}", 4, 1, NULL);
  expect ("past the end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, 0, "outside");
  expect ("size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16, 0, "needs 12");
  expect ("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, 0, "overlap");
  expect ("reversed offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 16, 0, "outside");
  expect ("unknown dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, 0, "dtype F8_E4M3");
  expect ("missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, 0, "lacks \"shape\"");
  expect ("negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, 0, "bad dimension");
  expect ("float offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4]}}", 4, 0, "non-negative integers");
  expect ("not json", "{\"a\":", 4, 0, "invalid safetensors header");
  expect ("not an object", "[1,2]", 4, 0, "not a JSON object");
  expect ("trailing", "{} x", 0, 0, "trailing");
  expect ("deep", "{\"m\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0, 0, "nested too deeply");
  expect ("huge shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4,4,4,4,4,4,4,4,4],\"data_offsets\":[0,4]}}", 4, 0, "at most 8");
  expect ("overflowing shape", "{\"a\":{\"dtype\":\"F64\",\"shape\":[4,4611686018427387904],\"data_offsets\":[0,4]}}", 4, 0, "bad dimension");

  /* A header length beyond the file. */
  {
    unsigned char buf[16] = { 0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}' };
    lk_shim_status st;
    int rc = lk_shim_safetensors_validate (buf, sizeof buf, &st);
    CHECK (rc != 0 && strstr (st.message, "beyond the file"), "header length beyond the file (\"%s\")", st.message);
    rc = lk_shim_safetensors_validate (buf, 5, &st);
    CHECK (rc != 0 && strstr (st.message, "too short"), "a 5-byte file (\"%s\")", st.message);
  }
  return lk_test_done ();
}
