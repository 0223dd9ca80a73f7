/* lk-aspect-metrics.c — the built-in aspect metrics: surface measures of
 * two texts, computed from their words alone (no parser, no AMR). Each is
 * in [0, 1], 1 when the texts agree; docs/aspects.md says what each is and
 * what it is not. */
#include "config.h"

#include <string.h>

#include "lk-aspects.h"

static const char * const metric_names[] = {
  "Negation", "Quantity", "Named entities", "Content words", NULL
};

static const char * const negation_cues[] = {
  "not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "nowhere", "without", "cannot", NULL
};

static const char * const number_words[] = {
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
  "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
  "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion",
  "dozen", "half", "couple", "several", "many", "few", "some", "all", "every", "each", "both", "most",
  "single", "double", "twice", NULL
};

static const char * const stop_words[] = {
  "a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about", "to", "from", "in",
  "on", "off", "over", "under", "up", "down", "out", "into", "onto", "is", "are", "was", "were", "be", "been",
  "being", "am", "has", "have", "had", "having", "do", "does", "did", "doing", "will", "would", "shall",
  "should", "can", "could", "may", "might", "must", "this", "that", "these", "those", "it", "its", "he",
  "she", "they", "them", "his", "her", "their", "him", "i", "me", "my", "we", "us", "our", "you", "your",
  "there", "here", "what", "which", "who", "whom", "as", "so", "than", "too", "very", "just", "then", "also",
  "s", "t", "while", "where", "when", "how", "why", "being", NULL
};

const char * const *
lk_builtin_metric_names (void)
{
  return metric_names;
}

/* Words: runs of letters, digits and inner apostrophes or decimal points. */
static GPtrArray *
words (const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  const char *p = text, *start = NULL;

  for (;; p = g_utf8_next_char (p))
    {
      gunichar c = *p ? g_utf8_get_char (p) : 0;
      gboolean inner = start && (c == '\'' || c == 0x2019 || c == '.' || c == ',') && p[1] &&
                       g_unichar_isalnum (g_utf8_get_char (g_utf8_next_char (p))) &&
                       (c != '.' && c != ',' ? TRUE : g_unichar_isdigit (g_utf8_get_char (g_utf8_prev_char (p))));
      if (c && (g_unichar_isalnum (c) || inner))
        {
          if (!start)
            start = p;
          continue;
        }
      if (start)
        g_ptr_array_add (out, g_strndup (start, p - start));
      start = NULL;
      if (!c)
        break;
    }
  return out;
}

static gboolean
in_list (const char * const *list, const char *w)
{
  return g_strv_contains (list, w);
}

static char *
lower (const char *w)
{
  return g_utf8_strdown (w, -1);
}

static guint
count_negations (GPtrArray *ws)
{
  guint n = 0;

  for (guint i = 0; i < ws->len; i++)
    {
      g_autofree char *w = lower (ws->pdata[i]);
      if (in_list (negation_cues, w) || g_str_has_suffix (w, "n't") || g_str_has_suffix (w, "n\u2019t"))
        n++;
    }
  return n;
}

static gboolean
is_number (const char *w)
{
  gboolean digit = FALSE;

  for (const char *p = w; *p; p++)
    digit |= g_ascii_isdigit (*p);
  return digit || in_list (number_words, w);
}

static gboolean
is_capitalised (const char *w)
{
  return g_unichar_isupper (g_utf8_get_char (w));
}

typedef enum { KIND_NUMBER, KIND_ENTITY, KIND_CONTENT } Kind;

/* The set of a text's words of one kind, lower-cased. Entities: capitalised
 * words that do not open the text, and all-capital words of two letters or
 * more anywhere. Content words: not stop words, not numbers, a plural -s
 * dropped. */
static GHashTable *
word_set (GPtrArray *ws, Kind kind)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < ws->len; i++)
    {
      const char *w = ws->pdata[i];
      g_autofree char *l = lower (w);
      gboolean keep = FALSE;

      if (kind == KIND_NUMBER)
        keep = is_number (l);
      else if (kind == KIND_ENTITY)
        {
          g_autofree char *up = g_utf8_strup (w, -1);
          keep = (i > 0 && is_capitalised (w)) || (g_utf8_strlen (w, -1) >= 2 && strcmp (up, w) == 0 && !is_number (l));
        }
      else
        {
          keep = !in_list (stop_words, l) && !in_list (negation_cues, l) && !is_number (l) &&
                 !g_str_has_suffix (l, "n't");
          if (keep && strlen (l) > 3 && g_str_has_suffix (l, "s") && !g_str_has_suffix (l, "ss"))
            l[strlen (l) - 1] = '\0';
        }
      if (keep)
        g_hash_table_add (set, g_steal_pointer (&l));
    }
  return set;
}

/* Jaccard index; two empty sets agree (1). */
static double
jaccard (GHashTable *a, GHashTable *b)
{
  GHashTableIter it;
  gpointer key;
  guint both = 0, either;

  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &key, NULL))
    both += g_hash_table_contains (b, key);
  either = g_hash_table_size (a) + g_hash_table_size (b) - both;
  return either == 0 ? 1.0 : (double) both / either;
}

void
lk_builtin_metrics (const char *text_a,
                    const char *text_b,
                    double      out[LK_N_BUILTIN_METRICS])
{
  g_autoptr(GPtrArray) wa = words (text_a);
  g_autoptr(GPtrArray) wb = words (text_b);
  guint na = count_negations (wa), nb = count_negations (wb);
  Kind kinds[] = { KIND_NUMBER, KIND_ENTITY, KIND_CONTENT };

  out[0] = 1.0 - (double) (na > nb ? na - nb : nb - na) / MAX (MAX (na, nb), 1);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(GHashTable) sa = word_set (wa, kinds[k]);
      g_autoptr(GHashTable) sb = word_set (wb, kinds[k]);
      out[k + 1] = jaccard (sa, sb);
    }
}
