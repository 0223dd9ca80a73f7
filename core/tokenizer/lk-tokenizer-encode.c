/* lk-tokenizer-encode.c — text to tokens with offsets.
 *
 * Word indices count the words of the pre-tokenizer and the added tokens
 * found in the text, in order, as the tokenizers package numbers them.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

static void
add_tok (GArray    *toks,
         gint32     id,
         LkTokSpan  span,
         gint       word,
         gint       trim_lead,
         gint       trim_trail)
{
  LkTokToken tok = { id, span.start, span.end, word, trim_lead, trim_trail };

  g_array_append_val (toks, tok);
}

/* An added token found in @s[start, end), its own word. */
static void
add_added (GArray     *toks,
           gint32      id,
           LkTokSpan   span,
           const char *s,
           gsize       start,
           gsize       end,
           gint       *word)
{
  gint lead, trail;

  lk_tok_count_trim (s + start, end - start, &lead, &trail);
  add_tok (toks, id, span, (*word)++, lead, trail);
}

/* The text of a token, as the post-processor sees it: its vocabulary entry for
 * WordPiece (where an unknown word is "[UNK]"), the piece itself for Unigram. */
static void
piece_trim (LkTokenizer      *self,
            const char       *word,
            const LkTokPiece *p,
            gint             *lead,
            gint             *trail)
{
  const char *value = g_ptr_array_index (self->model->id_to_token, p->id);

  if (g_str_equal (self->model->type, "Unigram") || value == NULL)
    lk_tok_count_trim (word + p->start, p->end - p->start, lead, trail);
  else
    lk_tok_count_trim (value, strlen (value), lead, trail);
}

static void
encode_words (LkTokenizer *self,
              LkTokNorm   *norm,
              gint        *word,
              GArray      *toks)
{
  g_autoptr(GArray) words = g_array_new (FALSE, FALSE, sizeof (LkTokSpan));
  g_autoptr(GArray) pieces = g_array_new (FALSE, FALSE, sizeof (LkTokPiece));

  lk_tok_pre_tokenizer_apply (self->pre_tokenizer, norm, words);
  for (guint i = 0; i < words->len; i++)
    {
      LkTokSpan w = g_array_index (words, LkTokSpan, i);

      g_array_set_size (pieces, 0);
      self->model->tokenize (self->model, norm->str->str + w.start, w.end - w.start, pieces);
      for (guint j = 0; j < pieces->len; j++)
        {
          LkTokPiece *p = &g_array_index (pieces, LkTokPiece, j);
          LkTokSpan span = lk_tok_norm_original (norm, w.start + p->start, w.start + p->end);
          gint lead = 0, trail = 0;

          if (self->post.trim_offsets)
            piece_trim (self, norm->str->str + w.start, p, &lead, &trail);
          add_tok (toks, p->id, span, *word, lead, trail);
        }
      (*word)++;
    }
}

/* The error of a normalizer that grew a text past its limit. */
void
lk_tok_norm_set_too_long (const LkTokNorm *norm,
                          gsize            original,
                          GError         **error)
{
  g_autofree char *from = g_strdup_printf ("%" G_GSIZE_FORMAT, original);
  g_autofree char *limit = g_strdup_printf ("%" G_GSIZE_FORMAT, norm->limit);

  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               /* Translators: the numbers are counts of characters. */
               _("The tokenizer's normalizer makes a text of %s bytes more than %s characters long: "
                 "its normalizers in tokenizer.json (a Replace or Prepend with a long content, "
                 "repeated in a Sequence?) cannot be a real tokenizer's"),
               from, limit);
}

/* Normalizes text between raw added tokens, then looks for normalized ones. */
static gboolean
encode_stretch (LkTokenizer *self,
                const char  *text,
                gsize        start,
                gsize        end,
                gint        *word,
                GArray      *toks,
                GError     **error)
{
  g_autoptr(LkTokNorm) norm = lk_tok_norm_new (text, start, end);
  g_autoptr(GArray) segments = g_array_new (FALSE, FALSE, sizeof (LkTokSegment));

  lk_tok_normalizer_apply (self->normalizer, norm);
  if (norm->too_long)
    {
      lk_tok_norm_set_too_long (norm, end - start, error);
      return FALSE;
    }
  lk_tok_added_split (self->added_normalized, norm->str->str, norm->str->len, segments);
  for (guint i = 0; i < segments->len; i++)
    {
      LkTokSegment *seg = &g_array_index (segments, LkTokSegment, i);
      g_autoptr(LkTokNorm) slice = NULL;

      if (seg->id >= 0)
        {
          add_added (toks, seg->id, lk_tok_norm_original (norm, seg->start, seg->end),
                     norm->str->str, seg->start, seg->end, word);
          continue;
        }
      slice = lk_tok_norm_slice (norm, seg->start, seg->end);
      encode_words (self, slice, word, toks);
    }
  return TRUE;
}

static gboolean
encode_text (LkTokenizer *self,
             const char  *text,
             gsize        len,
             GArray      *toks,
             GError     **error)
{
  g_autoptr(GArray) segments = g_array_new (FALSE, FALSE, sizeof (LkTokSegment));
  gint word = 0;

  lk_tok_added_split (self->added_raw, text, len, segments);
  for (guint i = 0; i < segments->len; i++)
    {
      LkTokSegment *seg = &g_array_index (segments, LkTokSegment, i);

      if (seg->id >= 0)
        {
          LkTokSpan span = { seg->start, seg->end };
          add_added (toks, seg->id, span, text, seg->start, seg->end, &word);
        }
      else if (!encode_stretch (self, text, seg->start, seg->end, &word, toks, error))
        return FALSE;
    }
  return TRUE;
}

static void
put_token (LkEncoding *enc,
           guint       i,
           gint32      id,
           gsize       start,
           gsize       end,
           gboolean    special,
           gint        word)
{
  enc->ids[i] = id;
  enc->starts[i] = start;
  enc->ends[i] = end;
  enc->special[i] = special;
  enc->word_ids[i] = word;
}

static LkEncoding *
encoding_new (guint n)
{
  LkEncoding *enc = g_new0 (LkEncoding, 1);

  enc->n_tokens = n;
  enc->ids = g_new0 (gint32, n);
  enc->starts = g_new0 (gsize, n);
  enc->ends = g_new0 (gsize, n);
  enc->special = g_new0 (guint8, n);
  enc->word_ids = g_new0 (gint, n);
  return enc;
}

static LkEncoding *
assemble (LkTokenizer *self,
          GArray      *toks,
          gboolean     truncated)
{
  GArray *prefix = self->post.prefix, *suffix = self->post.suffix;
  LkEncoding *enc = encoding_new (prefix->len + toks->len + suffix->len);
  guint n = 0;

  for (guint i = 0; i < prefix->len; i++)
    put_token (enc, n++, g_array_index (prefix, gint32, i), 0, 0, TRUE, -1);
  for (guint i = 0; i < toks->len; i++)
    {
      LkTokToken *tok = &g_array_index (toks, LkTokToken, i);
      put_token (enc, n++, tok->id, tok->start, tok->end, FALSE, tok->word);
    }
  for (guint i = 0; i < suffix->len; i++)
    put_token (enc, n++, g_array_index (suffix, gint32, i), 0, 0, TRUE, -1);
  enc->truncated = truncated;
  return enc;
}

/* Valid UTF-8, where NUL is a character like any other (GLib's validator
 * stops at NUL, so each stretch between NULs is checked on its own). */
static gboolean
check_utf8 (const char  *text,
            gsize        len,
            GError     **error)
{
  const char *p = text, *end = text + len, *bad = NULL;

  while (p < end)
    {
      const char *nul = memchr (p, '\0', end - p);
      const char *stop = nul ? nul : end;

      if (!g_utf8_validate_len (p, stop - p, &bad))
        break;
      p = nul ? nul + 1 : end;
    }
  if (p >= end)
    return TRUE;
  {
    /* Formatted first: gettext cannot translate a string holding G_GSIZE_FORMAT. */
    g_autofree char *offset = g_strdup_printf ("%" G_GSIZE_FORMAT, (gsize) (bad - text));

    g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                 /* Translators: a byte in hexadecimal, then its offset in the text. */
                 _("The text is not valid UTF-8: byte 0x%02X at byte offset %s "
                   "does not start or continue a character"),
                 (guchar) *bad, offset);
  }
  return FALSE;
}

LkEncoding *
lk_tokenizer_encode_len (LkTokenizer  *self,
                         const char   *text,
                         gsize         len,
                         guint         max_length,
                         GError      **error)
{
  g_autoptr(GArray) toks = g_array_new (FALSE, FALSE, sizeof (LkTokToken));
  guint n_special = self->post.prefix->len + self->post.suffix->len;
  gboolean truncated = FALSE;

  if (!check_utf8 (text, len, error))
    return NULL;
  if (max_length > 0 && max_length < n_special)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   _("A maximum length of %u tokens leaves no room for the %u special tokens"),
                   max_length, n_special);
      return NULL;
    }

  if (!encode_text (self, text, len, toks, error))
    return NULL;
  if (max_length > 0 && toks->len > max_length - n_special)
    {
      g_array_set_size (toks, max_length - n_special);
      truncated = TRUE;
    }
  lk_tok_post_trim (&self->post, text, toks);
  return assemble (self, toks, truncated);
}

LkEncoding *
lk_tokenizer_encode (LkTokenizer  *self,
                     const char   *text,
                     guint         max_length,
                     GError      **error)
{
  g_return_val_if_fail (LK_IS_TOKENIZER (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return lk_tokenizer_encode_len (self, text, strlen (text), max_length, error);
}

void
lk_encoding_free (LkEncoding *enc)
{
  if (enc == NULL)
    return;
  g_free (enc->ids);
  g_free (enc->starts);
  g_free (enc->ends);
  g_free (enc->special);
  g_free (enc->word_ids);
  g_free (enc);
}
