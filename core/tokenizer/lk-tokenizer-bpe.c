/* lk-tokenizer-bpe.c — byte-level BPE as CLIP uses it (and the parts of the
 * pipeline it needs): the BPE model with an end-of-word suffix, the NFC
 * normalizer, and the Split (regex) and ByteLevel pre-tokenizers.
 *
 * The model applies the merges in rank order, the lowest-ranked pair
 * first and the leftmost of equal pairs, as the tokenizers package does;
 * a symbol missing from the vocabulary becomes the unknown token. The
 * ByteLevel step maps every byte of the text to one printable character
 * (GPT-2's table), so that the vocabulary holds no raw bytes.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "lk-error.h"
#include "lk-tokenizer-private.h"

/* ---- The BPE model ------------------------------------------------------- */

typedef struct {
  GHashTable *merges;     /* (id a << 32 | id b) → Merge */
  char       *suffix;     /* end_of_word_suffix, may be "" */
} Bpe;

typedef struct {
  gint32 rank;
  gint32 id;              /* of the merged symbol */
} Merge;

static void
bpe_free (gpointer data)
{
  Bpe *bpe = data;

  g_hash_table_unref (bpe->merges);
  g_free (bpe->suffix);
  g_free (bpe);
}

static guint
pair_hash (gconstpointer key)
{
  guint64 k = *(const guint64 *) key;
  return (guint) (k ^ (k >> 29) ^ (k >> 32) * 2654435761u);
}

static gboolean
pair_equal (gconstpointer a, gconstpointer b)
{
  return *(const guint64 *) a == *(const guint64 *) b;
}

static guint64
pair_key (gint32 a, gint32 b)
{
  return (guint64) (guint32) a << 32 | (guint32) b;
}

typedef struct {
  gint32 id;
  gint   prev, next;      /* -1 at the ends */
  gsize  start, end;      /* byte range in the word */
  gboolean gone;
} Symbol;

typedef struct {
  gint32 rank;
  gint   pos;             /* the left symbol */
  gint32 left, right;     /* the ids it was made for, to tell stale entries */
} Candidate;

static gboolean
cand_less (const Candidate *a, const Candidate *b)
{
  return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void
heap_push (GArray *heap, Candidate c)
{
  guint i = heap->len;

  g_array_append_val (heap, c);
  while (i > 0)
    {
      guint up = (i - 1) / 2;
      Candidate *x = &g_array_index (heap, Candidate, i), *y = &g_array_index (heap, Candidate, up);
      if (!cand_less (x, y))
        break;
      Candidate t = *x;
      *x = *y;
      *y = t;
      i = up;
    }
}

static Candidate
heap_pop (GArray *heap)
{
  Candidate top = g_array_index (heap, Candidate, 0);
  guint i = 0;

  g_array_index (heap, Candidate, 0) = g_array_index (heap, Candidate, heap->len - 1);
  g_array_set_size (heap, heap->len - 1);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      if (l < heap->len && cand_less (&g_array_index (heap, Candidate, l), &g_array_index (heap, Candidate, m)))
        m = l;
      if (r < heap->len && cand_less (&g_array_index (heap, Candidate, r), &g_array_index (heap, Candidate, m)))
        m = r;
      if (m == i)
        break;
      Candidate t = g_array_index (heap, Candidate, i);
      g_array_index (heap, Candidate, i) = g_array_index (heap, Candidate, m);
      g_array_index (heap, Candidate, m) = t;
      i = m;
    }
  return top;
}

static void
consider (const Bpe *bpe, GArray *syms, GArray *heap, gint pos)
{
  Symbol *a, *b;
  guint64 key;
  const Merge *m;

  if (pos < 0)
    return;
  a = &g_array_index (syms, Symbol, pos);
  if (a->next < 0)
    return;
  b = &g_array_index (syms, Symbol, a->next);
  key = pair_key (a->id, b->id);
  if (a->id >= 0 && b->id >= 0 && (m = g_hash_table_lookup (bpe->merges, &key)) != NULL)
    heap_push (heap, (Candidate) { m->rank, pos, a->id, b->id });
}

/* The pair of lowest rank first, the leftmost of equal ones, as the
 * tokenizers package's Word::merge_all does; O(n log n) in the word. */
static void
bpe_tokenize (const LkTokModel *self,
              const char       *word,
              gsize             len,
              GArray           *pieces)
{
  const Bpe *bpe = self->impl;
  g_autoptr(GArray) syms = g_array_new (FALSE, FALSE, sizeof (Symbol));
  g_autoptr(GArray) heap = g_array_new (FALSE, FALSE, sizeof (Candidate));
  g_autoptr(GString) sym = g_string_new (NULL);

  for (const char *p = word; p < word + len; p = g_utf8_next_char (p))
    {
      const char *next = g_utf8_next_char (p);
      Symbol s = { -1, (gint) syms->len - 1, -1, p - word, next - word, FALSE };

      g_string_assign (sym, "");
      g_string_append_len (sym, p, next - p);
      if (next >= word + len)
        g_string_append (sym, bpe->suffix);
      s.id = lk_tok_model_lookup (self, sym->str, sym->len);
      if (syms->len > 0)
        g_array_index (syms, Symbol, syms->len - 1).next = syms->len;
      g_array_append_val (syms, s);
    }
  for (guint i = 0; i < syms->len; i++)
    consider (bpe, syms, heap, i);
  while (heap->len > 0)
    {
      Candidate c = heap_pop (heap);
      Symbol *a = &g_array_index (syms, Symbol, c.pos), *b;
      guint64 key;
      const Merge *m;

      if (a->gone || a->next < 0 || a->id != c.left)
        continue;
      b = &g_array_index (syms, Symbol, a->next);
      if (b->id != c.right)
        continue;
      key = pair_key (a->id, b->id);
      m = g_hash_table_lookup (bpe->merges, &key);
      a->id = m->id;
      a->end = b->end;
      a->next = b->next;
      b->gone = TRUE;
      if (b->next >= 0)
        g_array_index (syms, Symbol, b->next).prev = c.pos;
      consider (bpe, syms, heap, a->prev);
      consider (bpe, syms, heap, c.pos);
    }
  for (gint i = syms->len > 0 ? 0 : -1; i >= 0; i = g_array_index (syms, Symbol, i).next)
    {
      Symbol *s = &g_array_index (syms, Symbol, i);
      LkTokPiece piece = { s->id >= 0 ? s->id : self->unk_id, s->start, s->end };

      g_array_append_val (pieces, piece);
    }
}

gboolean
lk_tok_bpe_init (LkTokModel  *self,
                 JsonObject  *model,
                 const char  *file,
                 GError     **error)
{
  JsonObject *vocab = lk_tok_json_object (model, "vocab", TRUE, file, "model", error);
  JsonArray *merges = vocab ? lk_tok_json_array (model, "merges", TRUE, file, "model", error) : NULL;
  const char *suffix, *prefix, *unk;
  gboolean byte_fallback;
  g_autoptr(GList) members = NULL;
  Bpe *bpe;

  if (merges == NULL)
    return FALSE;
  if (!lk_tok_json_is_null (model, "dropout"))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, _("%s: model.dropout is set: BPE dropout is not supported"), file);
      return FALSE;
    }
  if (!lk_tok_json_bool (model, "byte_fallback", FALSE, file, "model", &byte_fallback, error))
    return FALSE;
  prefix = lk_tok_json_is_null (model, "continuing_subword_prefix") ? ""
           : lk_tok_json_string (model, "continuing_subword_prefix", TRUE, file, "model", error);
  if (prefix == NULL)
    return FALSE;
  if (byte_fallback || *prefix != '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   _("%s: BPE with byte_fallback or a continuing_subword_prefix is not supported"), file);
      return FALSE;
    }
  suffix = lk_tok_json_is_null (model, "end_of_word_suffix") ? ""
           : lk_tok_json_string (model, "end_of_word_suffix", TRUE, file, "model", error);
  if (suffix == NULL)
    return FALSE;

  members = json_object_get_members (vocab);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (vocab, l->data);
      gint64 id = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
                  ? json_node_get_int (node) : -1;

      if (id < 0 || id > G_MAXINT32 - 1)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: model.vocab[\"%s\"] is not a non-negative integer id"), file, (const char *) l->data);
          return FALSE;
        }
      lk_tok_model_set_token (self, l->data, id);
    }

  bpe = g_new0 (Bpe, 1);
  bpe->merges = g_hash_table_new_full (pair_hash, pair_equal, g_free, g_free);
  bpe->suffix = g_strdup (suffix);
  self->impl = bpe;
  self->free_impl = bpe_free;
  self->tokenize = bpe_tokenize;
  for (guint i = 0; i < json_array_get_length (merges); i++)
    {
      JsonNode *node = json_array_get_element (merges, i);
      g_autofree char *a = NULL, *b = NULL, *ab = NULL;
      gint32 ia, ib, iab;
      guint64 key;

      /* "a b" (older files) or ["a", "b"] */
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          const char *s = json_node_get_string (node);
          const char *space = strchr (s, ' ');
          if (space != NULL && space > s && space[1] != '\0' && strchr (space + 1, ' ') == NULL)
            {
              a = g_strndup (s, space - s);
              b = g_strdup (space + 1);
            }
        }
      else if (JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) == 2)
        {
          JsonArray *pair = json_node_get_array (node);
          const char *x = json_array_get_string_element (pair, 0), *y = json_array_get_string_element (pair, 1);
          if (x != NULL && y != NULL && *x && *y)
            {
              a = g_strdup (x);
              b = g_strdup (y);
            }
        }
      if (a == NULL)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: model.merges[%u] is not a pair of symbols (\"a b\" or [\"a\", \"b\"])"), file, i);
          return FALSE;
        }
      ab = g_strconcat (a, b, NULL);
      ia = lk_tok_model_lookup (self, a, strlen (a));
      ib = lk_tok_model_lookup (self, b, strlen (b));
      iab = lk_tok_model_lookup (self, ab, strlen (ab));
      if (ia < 0 || ib < 0 || iab < 0)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       _("%s: model.merges[%u] (\"%s %s\") names a token that is not in model.vocab"), file, i, a, b);
          return FALSE;
        }
      key = pair_key (ia, ib);
      if (!g_hash_table_contains (bpe->merges, &key))
        {
          Merge *m = g_new (Merge, 1);
          m->rank = i;
          m->id = iab;
          g_hash_table_insert (bpe->merges, g_memdup2 (&key, sizeof key), m);
        }
    }

  unk = lk_tok_json_is_null (model, "unk_token") ? NULL
        : lk_tok_json_string (model, "unk_token", TRUE, file, "model", error);
  if (unk != NULL)
    self->unk_id = lk_tok_model_lookup (self, unk, strlen (unk));
  return TRUE;
}

/* ---- NFC ----------------------------------------------------------------- */

/* Composes each run of a character and what composes with or combines onto
 * it; a run that changes becomes its composed characters, the first
 * replacing the run's first character and the others its next ones. */
void
lk_tok_nfc (LkTokNorm *norm)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (LkTokChange));
  const char *s = norm->str->str, *end = s + norm->str->len;
  const char *p = s;

  while (p < end)
    {
      const char *q = g_utf8_next_char (p);

      /* GLib's normalisation stops at a NUL, which NFC keeps as it is and
       * which composes with nothing: a run of its own */
      if (*p == '\0')
        {
          lk_tok_changes_add (changes, 0, 0);
          p = q;
          continue;
        }
      gunichar last = g_utf8_get_char (p);
      g_autofree char *composed = NULL;
      glong n_old, n_new;

      while (q < end)
        {
          gunichar c = g_utf8_get_char (q), r;
          if (c == 0 || (g_unichar_combining_class (c) == 0 && !g_unichar_compose (last, c, &r)))
            break;
          last = c;
          q = g_utf8_next_char (q);
        }
      n_old = g_utf8_strlen (p, q - p);
      composed = g_utf8_normalize (p, q - p, G_NORMALIZE_NFC);
      if (composed == NULL)
        composed = g_strndup (p, q - p);
      n_new = g_utf8_strlen (composed, -1);
      {
        glong i = 0, total = 0;
        gunichar buf[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];

        /* When each composed character stands for as many old ones as it
         * decomposes into (the usual case), it replaces those; otherwise
         * the surplus old characters go with the last new one. */
        for (const char *c = composed; *c; c = g_utf8_next_char (c))
          total += g_unichar_fully_decompose (g_utf8_get_char (c), FALSE, buf, G_N_ELEMENTS (buf));
        for (const char *c = composed; i < n_new; c = g_utf8_next_char (c), i++)
          {
            gunichar u = g_utf8_get_char (c);
            gint change = 0;
            if (total == n_old)
              change = 1 - (gint) g_unichar_fully_decompose (u, FALSE, buf, G_N_ELEMENTS (buf));
            else if (i >= n_old)
              change = 1;
            else if (i == n_new - 1 && n_new < n_old)
              change = -(gint) (n_old - n_new);
            lk_tok_changes_add (changes, u, change);
          }
      }
      p = q;
    }
  lk_tok_norm_transform (norm, changes);
}

/* ---- Split and ByteLevel pre-tokenizers --------------------------------- */

#define GPT2_PATTERN "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

GRegex *
lk_tok_regex_new (const char  *pattern,
                  const char  *file,
                  const char  *where,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  GRegex *re = g_regex_new (pattern ? pattern : GPT2_PATTERN, G_REGEX_OPTIMIZE, 0, &local);

  if (re == NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED, _("%s: %s: the regular expression cannot be used: %s"),
                 file, where, local->message);
  return re;
}

static void
push (GArray *out, gsize start, gsize end)
{
  LkTokSpan span = { start, end };

  if (end > start)
    g_array_append_val (out, span);
}

/* Cuts each span of @spans at the matches of @re; with @invert the matches
 * are the content and the rest the delimiters. Delimiters are dropped when
 * @removed, else kept as spans of their own (Isolated). */
void
lk_tok_split_regex (const GRegex *re,
                    gboolean      invert,
                    gboolean      removed,
                    const char   *s,
                    GArray       *spans)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (LkTokSpan));

  for (guint i = 0; i < spans->len; i++)
    {
      LkTokSpan sp = g_array_index (spans, LkTokSpan, i);
      g_autoptr(GMatchInfo) info = NULL;
      gsize pos = sp.start;

      g_regex_match_full (re, s, sp.end, sp.start, 0, &info, NULL);
      while (g_match_info_matches (info))
        {
          gint ms, me;
          g_match_info_fetch_pos (info, 0, &ms, &me);
          if (me > ms)
            {
              if ((gsize) ms > pos && !(removed && invert))
                push (out, pos, ms);
              if (!(removed && !invert))
                push (out, ms, me);
              pos = me;
            }
          g_match_info_next (info, NULL);
        }
      if (sp.end > pos && !(removed && invert))
        push (out, pos, sp.end);
    }
  g_array_set_size (spans, 0);
  g_array_append_vals (spans, out->data, out->len);
}

static gunichar
byte_symbol (guint8 b)
{
  if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE))
    return b;
  /* the other 68 bytes, in order, become U+0100 … */
  {
    guint n = 0;
    for (guint x = 0; x < b; x++)
      if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE)))
        n++;
    return 256 + n;
  }
}

/* Every byte becomes its printable symbol; @spans (byte ranges of @norm,
 * on character boundaries) are moved to the new string. */
void
lk_tok_byte_level (LkTokNorm *norm,
                   GArray    *spans)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (LkTokChange));
  gsize len = norm->str->len, cur = 0;
  g_autofree gsize *moved = g_new0 (gsize, len + 1);
  const guint8 *s = (const guint8 *) norm->str->str;

  for (gsize i = 0; i < len; i++)
    {
      gunichar sym = byte_symbol (s[i]);
      /* continuation bytes are inserted after the first byte of their character */
      lk_tok_changes_add (changes, sym, (s[i] & 0xC0) == 0x80 ? 1 : 0);
      moved[i] = cur;
      cur += g_unichar_to_utf8 (sym, NULL);
    }
  moved[len] = cur;
  lk_tok_norm_transform (norm, changes);
  for (guint i = 0; i < spans->len; i++)
    {
      LkTokSpan *sp = &g_array_index (spans, LkTokSpan, i);
      sp->start = moved[sp->start];
      sp->end = moved[sp->end];
    }
}
