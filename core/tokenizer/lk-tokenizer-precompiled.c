/* lk-tokenizer-precompiled.c — SentencePiece's precompiled normalization charsmap.
 *
 * The charsmap (base64 in tokenizer.json) is what sentencepiece writes: a
 * little-endian uint32 with the size of a double-array trie, the trie itself
 * (darts-clone units of 32 bits), then a blob of NUL-terminated replacement
 * strings that the trie's values point into.
 *
 * Matching copies the tokenizers package, quirks included, because the ids
 * must be the same: each grapheme cluster shorter than 6 bytes is looked up
 * whole and, on a hit, replaced as a whole by the replacement of the
 * *shortest* key that prefixes it; otherwise its characters are looked up one
 * by one.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

struct _LkTokPrecompiled {
  guint32    *units;
  gsize       n_units;
  char       *strings;
  gsize       strings_len;
};

/* darts-clone's unit layout */
#define UNIT_HAS_LEAF(u) (((u) >> 8) & 1)
#define UNIT_VALUE(u)    ((u) & 0x7FFFFFFFu)
#define UNIT_LABEL(u)    ((u) & (0x80000000u | 0xFFu))
#define UNIT_OFFSET(u)   (((u) >> 10) << (((u) & (1u << 9)) >> 6))

LkTokPrecompiled *
lk_tok_precompiled_new (const char  *base64,
                        const char  *file,
                        const char  *where,
                        GError     **error)
{
  g_autofree guchar *blob = NULL;
  gsize len = 0;
  guint32 trie_size = 0;
  LkTokPrecompiled *self;

  blob = g_base64_decode (base64, &len);
  if (len >= 4)
    {
      memcpy (&trie_size, blob, 4);
      trie_size = GUINT32_FROM_LE (trie_size);
    }
  if (len < 4 || trie_size % 4 != 0 || trie_size > len - 4)
    {
      /* Formatted first: gettext cannot translate a string holding G_GSIZE_FORMAT. */
      g_autofree char *most = g_strdup_printf ("%" G_GSIZE_FORMAT, len >= 4 ? len - 4 : (gsize) 0);

      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                   /* Translators: a file, a JSON path, then a size in bytes. */
                   _("%s: %s.precompiled_charsmap is not a sentencepiece charsmap "
                     "(expected a trie size and a trie of %s bytes at most)"),
                   file, where, most);
      return NULL;
    }

  self = g_new0 (LkTokPrecompiled, 1);
  self->n_units = trie_size / 4;
  self->units = g_new (guint32, self->n_units + 1);
  for (gsize i = 0; i < self->n_units; i++)
    {
      guint32 u;
      memcpy (&u, blob + 4 + 4 * i, 4);
      self->units[i] = GUINT32_FROM_LE (u);
    }
  self->strings_len = len - 4 - trie_size;
  self->strings = g_malloc (self->strings_len + 1);
  memcpy (self->strings, blob + 4 + trie_size, self->strings_len);
  self->strings[self->strings_len] = '\0';   /* so the last string is terminated */

  return self;
}

void
lk_tok_precompiled_free (LkTokPrecompiled *self)
{
  if (self == NULL)
    return;
  g_free (self->units);
  g_free (self->strings);
  g_free (self);
}

/* The replacement of the shortest key that is a prefix of @key, or NULL. */
static const char *
lookup (const LkTokPrecompiled *self,
        const guchar           *key,
        gsize                   len)
{
  gsize pos;

  if (self->n_units == 0)
    return NULL;
  pos = UNIT_OFFSET (self->units[0]);
  for (gsize i = 0; i < len; i++)
    {
      guint32 unit;

      pos ^= key[i];
      if (pos >= self->n_units)
        return NULL;
      unit = self->units[pos];
      if (UNIT_LABEL (unit) != key[i])
        return NULL;
      pos ^= UNIT_OFFSET (unit);
      if (pos >= self->n_units)
        return NULL;
      if (UNIT_HAS_LEAF (unit))
        {
          gsize value = UNIT_VALUE (self->units[pos]);
          const char *s = self->strings + value;

          if (value >= self->strings_len || !g_utf8_validate (s, -1, NULL))
            return NULL;
          return s;
        }
    }
  return NULL;
}

/* Replaces @n_old characters by @repl the way the tokenizers package does:
 * character for character, extra ones inserted; when it is shorter, the
 * difference is charged to whatever change came last, even one made for an
 * earlier grapheme (and dropped when there is none). */
static void
replace (GArray     *changes,
         glong       n_old,
         const char *repl)
{
  glong n_new = 0;

  for (const char *p = repl; *p; p = g_utf8_next_char (p), n_new++)
    lk_tok_changes_add (changes, g_utf8_get_char (p), 0);
  if (n_new > n_old)
    {
      for (glong i = 0; i < n_new - n_old; i++)
        g_array_index (changes, LkTokChange, changes->len - 1 - i).change = 1;
    }
  else if (n_new < n_old && changes->len > 0)
    g_array_index (changes, LkTokChange, changes->len - 1).change += n_new - n_old;
}

/* Returns whether anything was replaced. */
static gboolean
normalize_chars (const LkTokPrecompiled *self,
                 const char             *s,
                 gsize                   start,
                 gsize                   end,
                 GArray                 *changes)
{
  gboolean modified = FALSE;

  for (gsize pos = start; pos < end; pos = g_utf8_next_char (s + pos) - s)
    {
      gsize next = g_utf8_next_char (s + pos) - s;
      const char *repl = lookup (self, (const guchar *) s + pos, next - pos);

      if (repl != NULL)
        replace (changes, 1, repl);
      else
        lk_tok_changes_add (changes, g_utf8_get_char (s + pos), 0);
      modified |= repl != NULL;
    }
  return modified;
}

void
lk_tok_precompiled_apply (const LkTokPrecompiled *self,
                          LkTokNorm              *norm)
{
  g_autoptr(GArray) changes = g_array_sized_new (FALSE, FALSE, sizeof (LkTokChange), norm->str->len);
  const char *s = norm->str->str;
  gsize len = norm->str->len;
  gboolean modified = FALSE;

  for (gsize pos = 0; pos < len;)
    {
      gsize end = lk_tok_grapheme_end (s, len, pos);
      const char *repl = end - pos < 6 ? lookup (self, (const guchar *) s + pos, end - pos) : NULL;

      if (repl != NULL)
        {
          replace (changes, lk_tok_utf8_count (s + pos, end - pos), repl);
          modified = TRUE;
        }
      else
        modified |= normalize_chars (self, s, pos, end, changes);
      pos = end;
      if (lk_tok_norm_over (norm, changes))
        return;
    }
  if (modified)
    lk_tok_norm_transform (norm, changes);
}
