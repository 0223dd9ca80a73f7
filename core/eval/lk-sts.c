/* lk-sts.c — reading STS-style benchmark files and correlating scores. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lk-error.h"
#include "lk-sts.h"

void
lk_sts_set_free (LkStsSet *set)
{
  if (set == NULL)
    return;
  g_free (set->format);
  g_ptr_array_unref (set->a);
  g_ptr_array_unref (set->b);
  g_array_unref (set->gold);
  g_free (set);
}

static gboolean
parse_score (const char *s, double *out)
{
  char *end;

  if (s == NULL || *s == '\0')
    return FALSE;
  *out = g_ascii_strtod (s, &end);
  return *end == '\0' && isfinite (*out);
}

static void
add_pair (LkStsSet *set, const char *a, const char *b, double score)
{
  g_ptr_array_add (set->a, g_strdup (a));
  g_ptr_array_add (set->b, g_strdup (b));
  g_array_append_val (set->gold, score);
}

/* Splits @text into lines, dropping CR of CRLF and a final empty line. */
static char **
split_lines (char *text)
{
  char **lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (lines[i]);
      if (len > 0 && lines[i][len - 1] == '\r')
        lines[i][len - 1] = '\0';
    }
  if (n > 0 && lines[n - 1][0] == '\0')
    g_clear_pointer (&lines[n - 1], g_free);
  return lines;
}

static int
column (char **header, const char *name)
{
  for (int i = 0; header[i]; i++)
    if (g_strcmp0 (header[i], name) == 0)
      return i;
  return -1;
}

static gboolean
bad_row (const char *path, guint line, const char *what, GError **error)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s:%u: %s", path, line, what);
  return FALSE;
}

/* A TSV with a header row naming its columns (SICK, BIOSSES). */
static gboolean
load_named (LkStsSet *set, char **lines, const char *path, const char *split, GError **error)
{
  g_auto(GStrv) header = g_strsplit (lines[0], "\t", -1);
  int ca = column (header, "sentence_A"), cb = column (header, "sentence_B");
  int cs = column (header, "relatedness_score"), csplit = column (header, "SemEval_set");
  int width = g_strv_length (header);

  if (ca < 0)
    {
      ca = column (header, "sentence1");
      cb = column (header, "sentence2");
      cs = column (header, "score");
      g_free (set->format);
      set->format = g_strdup ("biosses");
    }
  if (ca < 0 || cb < 0 || cs < 0)
    return bad_row (path, 1, "header lacks the sentence and score columns "
                    "(expected sentence_A, sentence_B, relatedness_score or sentence1, sentence2, score)", error);
  for (guint i = 1; lines[i]; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], "\t", -1);
      double score;
      if ((int) g_strv_length (f) < width)
        return bad_row (path, i + 1, "fewer columns than the header", error);
      if (!parse_score (f[cs], &score))
        return bad_row (path, i + 1, "the score is not a number", error);
      if (split && csplit >= 0 && g_ascii_strcasecmp (f[csplit], split) != 0)
        continue;
      add_pair (set, f[ca], f[cb], score);
    }
  return TRUE;
}

/* STS Benchmark: genre, file, year, id, score, s1, s2 [, sources…]. */
static gboolean
load_stsb (LkStsSet *set, char **lines, const char *path, GError **error)
{
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], "\t", 8);
      double score;
      if (g_strv_length (f) < 7)
        return bad_row (path, i + 1, "expected at least 7 tab-separated columns (genre, file, year, id, score, sentence 1, sentence 2)", error);
      if (!parse_score (f[4], &score))
        return bad_row (path, i + 1, "column 5 (score) is not a number", error);
      add_pair (set, f[5], f[6], score);
    }
  return TRUE;
}

/* One CSV field with RFC 4180 quoting; advances *p past the separator. */
static char *
csv_field (const char **p)
{
  GString *s = g_string_new (NULL);
  const char *c = *p;

  if (*c == '"')
    {
      for (c++; *c; c++)
        {
          if (*c == '"' && c[1] == '"')
            g_string_append_c (s, *c++);
          else if (*c == '"')
            {
              c++;
              break;
            }
          else
            g_string_append_c (s, *c);
        }
    }
  else
    for (; *c && *c != ','; c++)
      g_string_append_c (s, *c);
  *p = *c == ',' ? c + 1 : c;
  return g_string_free (s, FALSE);
}

/* The plain s1,s2,score CSV. */
static gboolean
load_csv (LkStsSet *set, char **lines, const char *path, GError **error)
{
  for (guint i = 0; lines[i]; i++)
    {
      const char *p = lines[i];
      g_autofree char *a = csv_field (&p);
      g_autofree char *b = csv_field (&p);
      g_autofree char *s = csv_field (&p);
      double score;
      if (!parse_score (s, &score) || *p != '\0')
        return bad_row (path, i + 1, "expected three CSV fields: sentence 1, sentence 2, score", error);
      add_pair (set, a, b, score);
    }
  return TRUE;
}

gboolean
lk_text_file_check_utf8 (const char  *text,
                         gsize        len,
                         const char  *path,
                         GError     **error)
{
  const char *bad = NULL;
  guint line = 1;

  if (g_utf8_validate_len (text, len, &bad))
    return TRUE;
  for (const char *p = text; p < bad; p++)
    line += *p == '\n';
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
               "%s: line %u (byte offset %" G_GSIZE_FORMAT "): not valid UTF-8 (byte 0x%02X)",
               path, line, (gsize) (bad - text), (guchar) *bad);
  return FALSE;
}

LkStsSet *
lk_sts_load (const char  *path,
             const char  *split,
             GError     **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(LkStsSet) set = g_new0 (LkStsSet, 1);
  g_autoptr(GError) local = NULL;
  gsize len;
  gboolean ok;

  g_return_val_if_fail (path != NULL, NULL);

  set->a = g_ptr_array_new_with_free_func (g_free);
  set->b = g_ptr_array_new_with_free_func (g_free);
  set->gold = g_array_new (FALSE, FALSE, sizeof (double));
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_NOT_FOUND, "%s: %s", path, local->message);
      return NULL;
    }
  if (!lk_text_file_check_utf8 (text, len, path, error))
    return NULL;
  lines = split_lines (text);
  if (lines[0] == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: the file is empty", path);
      return NULL;
    }
  if (strstr (lines[0], "sentence_A") || strstr (lines[0], "sentence1"))
    {
      set->format = g_strdup ("sick");
      ok = load_named (set, lines, path, split, error);
    }
  else if (strchr (lines[0], '\t'))
    {
      set->format = g_strdup ("stsb");
      ok = load_stsb (set, lines, path, error);
    }
  else
    {
      set->format = g_strdup ("stsb-csv");
      ok = load_csv (set, lines, path, error);
    }
  if (!ok)
    return NULL;
  if (set->gold->len < 2)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: fewer than two pairs%s%s", path,
                   split ? " in split " : "", split ? split : "");
      return NULL;
    }
  return g_steal_pointer (&set);
}

double
lk_pearson (const double *x, const double *y, gsize n)
{
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;

  for (gsize i = 0; i < n; i++)
    {
      mx += x[i];
      my += y[i];
    }
  mx /= n;
  my /= n;
  for (gsize i = 0; i < n; i++)
    {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
  return sxy / sqrt (sxx * syy);
}

static int
by_key (gconstpointer a, gconstpointer b, gpointer keys)
{
  const double *v = keys;
  double x = v[*(const gsize *) a], y = v[*(const gsize *) b];
  return (x > y) - (x < y);
}

static double *
ranks (const double *v, gsize n)
{
  g_autofree gsize *order = g_new (gsize, n);
  double *r = g_new (double, n);

  for (gsize i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof *order, by_key, (gpointer) v);
  for (gsize i = 0; i < n;)
    {
      gsize j = i;
      while (j + 1 < n && v[order[j + 1]] == v[order[i]])
        j++;
      for (gsize k = i; k <= j; k++)
        r[order[k]] = (i + j) / 2.0 + 1;
      i = j + 1;
    }
  return r;
}

double
lk_spearman (const double *x, const double *y, gsize n)
{
  g_autofree double *rx = ranks (x, n);
  g_autofree double *ry = ranks (y, n);

  return lk_pearson (rx, ry, n);
}
