/* lk-sts.h — sentence-similarity benchmark files and their correlations. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char      *format;     /* "stsb", "stsb-csv", "sick", "biosses", "pairs-tsv" */
  GPtrArray *a;          /* sentences (char *) */
  GPtrArray *b;
  GArray    *gold;       /* double */
} LkStsSet;

/* Reads the STS Benchmark (tab-separated, first 7 columns; or the plain
 * s1,s2,score CSV), SICK (SICK.txt or a sentence_A/sentence_B/
 * relatedness_score TSV) or BIOSSES (sentence1/sentence2/score TSV),
 * recognised by content. @split keeps only SICK.txt rows of that SemEval_set
 * (TRAIN, TRIAL, TEST); NULL keeps every row. */
LkStsSet *lk_sts_load       (const char  *path,
                             const char  *split,
                             GError     **error);
void      lk_sts_set_free   (LkStsSet    *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkStsSet, lk_sts_set_free)

double    lk_pearson        (const double *x, const double *y, gsize n);
/* Spearman's rho: Pearson of the ranks, ties given their mean rank. */
double    lk_spearman       (const double *x, const double *y, gsize n);

/* A text file the user gave (pairs, STS data) is valid UTF-8 with no NUL, or
 * "PATH: line N (byte offset K): not valid UTF-8 (byte 0xFF)". */
gboolean  lk_text_file_check_utf8 (const char  *text,
                                   gsize        len,
                                   const char  *path,
                                   GError     **error);

G_END_DECLS
