/* lk-tokenizer-align.c — normalized strings that remember where each byte came from.
 *
 * The alignment rules are those of the tokenizers package's NormalizedString,
 * because the offsets we report must be the ones it reports, including its
 * choices for inserted and removed characters.
 */
#include "config.h"

#include "lk-tokenizer-private.h"

static void
append_char (GString   *str,
             GArray    *align,
             gunichar   c,
             LkTokSpan  span)
{
  char buf[6];
  gint n = g_unichar_to_utf8 (c, buf);

  g_string_append_len (str, buf, n);
  for (gint i = 0; i < n; i++)
    g_array_append_val (align, span);
}

LkTokNorm *
lk_tok_norm_new (const char *text,
                 gsize       start,
                 gsize       end)
{
  LkTokNorm *self = g_new0 (LkTokNorm, 1);
  gsize pos = start;

  g_assert (start <= end);

  self->base = start;
  self->limit = LK_TOK_NORM_LIMIT (end - start);
  self->str = g_string_new_len (text + start, end - start);
  self->align = g_array_sized_new (FALSE, FALSE, sizeof (LkTokSpan), end - start);
  while (pos < end)
    {
      gsize next = g_utf8_next_char (text + pos) - text;
      LkTokSpan span = { pos, next };

      for (gsize i = pos; i < next; i++)
        g_array_append_val (self->align, span);
      pos = next;
    }

  return self;
}

LkTokNorm *
lk_tok_norm_slice (const LkTokNorm *self,
                   gsize            start,
                   gsize            end)
{
  LkTokNorm *slice = g_new0 (LkTokNorm, 1);

  g_assert (start <= end && end <= self->str->len);

  slice->limit = self->limit;
  slice->str = g_string_new_len (self->str->str + start, end - start);
  slice->align = g_array_sized_new (FALSE, FALSE, sizeof (LkTokSpan), end - start);
  g_array_append_vals (slice->align, &g_array_index (self->align, LkTokSpan, start), end - start);
  slice->base = start < end ? g_array_index (self->align, LkTokSpan, start).start : self->base;

  return slice;
}

void
lk_tok_norm_free (LkTokNorm *self)
{
  if (self == NULL)
    return;
  g_string_free (self->str, TRUE);
  g_array_unref (self->align);
  g_free (self);
}

static gsize
skip_chars (const GString *str,
            gsize          pos,
            gsize          n)
{
  while (n-- > 0 && pos < str->len)
    pos = g_utf8_next_char (str->str + pos) - str->str;
  return pos;
}

static LkTokSpan
align_at (const LkTokNorm *self,
          gsize            pos)
{
  LkTokSpan none = { self->base, self->base };

  if (pos < self->align->len)
    return g_array_index (self->align, LkTokSpan, pos);
  return self->align->len > 0 ? g_array_index (self->align, LkTokSpan, self->align->len - 1) : none;
}

/* Rebuilds the string from @changes (LkTokChange). Inserted characters share
 * the alignment of the byte before them; a character that replaces another
 * takes over that one's alignment; removed characters leave no trace. */
void
lk_tok_norm_transform (LkTokNorm    *self,
                       const GArray *changes)
{
  GString *str;
  GArray *align;
  gsize offset = 0;

  if (self->too_long || lk_tok_norm_over (self, changes))
    return;
  str = g_string_sized_new (self->str->len + changes->len);
  align = g_array_sized_new (FALSE, FALSE, sizeof (LkTokSpan), self->str->len + changes->len);

  for (guint i = 0; i < changes->len; i++)
    {
      const LkTokChange *ch = &g_array_index (changes, LkTokChange, i);
      LkTokSpan span;

      if (ch->c == LK_TOK_CHANGE_SKIP)
        {
          offset = skip_chars (self->str, offset, ch->change);
          continue;
        }
      if (ch->change > 0)
        {
          LkTokSpan none = { self->base, self->base };
          span = offset > 0 ? align_at (self, offset - 1) : none;
        }
      else
        {
          span = align_at (self, offset);
          offset = skip_chars (self->str, offset, 1);
          if (ch->change < 0)
            offset = skip_chars (self->str, offset, -ch->change);
        }
      append_char (str, align, ch->c, span);
    }

  g_string_free (self->str, TRUE);
  g_array_unref (self->align);
  self->str = str;
  self->align = align;
}

LkTokSpan
lk_tok_norm_original (const LkTokNorm *self,
                      gsize            start,
                      gsize            end)
{
  LkTokSpan span;

  if (start >= end)
    {
      span.start = span.end = align_at (self, start).start;
      return span;
    }
  span.start = align_at (self, start).start;
  span.end = align_at (self, end - 1).end;
  return span;
}

gboolean
lk_tok_norm_over (LkTokNorm    *norm,
                  const GArray *changes)
{
  if (norm->limit > 0 && changes->len > norm->limit)
    norm->too_long = TRUE;
  return norm->too_long;
}

void
lk_tok_changes_add (GArray   *changes,
                    gunichar  c,
                    gint      change)
{
  LkTokChange ch = { c, change };

  g_array_append_val (changes, ch);
}

gsize
lk_tok_utf8_count (const char *s,
                   gsize       len)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    n += ((guchar) s[i] & 0xC0) != 0x80;
  return n;
}
