/* test-batch.c — batch files, runs, resume, shards, merges and retrieval
 * (core/audit), on the tiny random-weight BERT. */
#include "config.h"

#include <math.h>
#include <sys/stat.h>

#include "lk-aggregate.h"
#include "lk-batch.h"
#include "lk-render.h"
#include "lk-error.h"
#include "lk-retrieval.h"
#include "lk-test-utils.h"

static char *workdir;
static LkModel *model;

static char *
scratch (const char *name, const char *content)
{
  char *path = g_build_filename (workdir, name, NULL);

  if (content)
    g_assert_true (g_file_set_contents (path, content, -1, NULL));
  return path;
}

/* Every item of @path as parsed objects. */
static GPtrArray *
read_objects (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = lk_batch_read_items (path, &error);
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_assert_no_error (error);
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (g_ptr_array_index (items, i), NULL);
      g_ptr_array_add (objects, json_object_ref (json_node_get_object (node)));
    }
  return objects;
}

/* The lines of @path as objects, by id. */
static GHashTable *
read_lines (const char *path)
{
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);

  g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
  g_assert_true (*data == '\0' || g_str_has_suffix (data, "\n"));
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] && *lines[i]; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (lines[i], NULL);
      JsonObject *o = json_node_get_object (node);
      const char *id = json_object_get_string_member (o, "id");

      g_assert_false (g_hash_table_contains (by_id, id));
      g_hash_table_insert (by_id, g_strdup (id), json_object_ref (o));
    }
  return by_id;
}

static void
test_formats (void)
{
  g_autofree char *jsonl = scratch ("f.jsonl",
    "{\"id\": \"x\", \"a\": \"one\", \"b\": \"two\", \"label\": 3}\n"
    "\n"
    "{\"a\": \"no id\", \"b\": \"so the line\"}\n"
    "{\"id\": 7, \"image\": \"pic.png\", \"b\": \"a caption\"}\n"
    "[1, 2]\n"
    "{\"id\": \"bad\", \"a\": 1, \"b\": \"x\"}\n"
    "{\"id\": \"half\", \"a\": \"only a\"}\n"
    "{\"id\": {\"no\": 1}, \"a\": \"x\", \"b\": \"y\"}\n");
  g_autofree char *csv = scratch ("f.csv",
    "id,a,b,note\r\n"
    "c1,\"with, comma\",\"with \"\"quotes\"\"\",n\r\n"
    "c2,\"two\nlines\",b,\n"
    "c3,short\n");
  g_autofree char *tsv = scratch ("f.tsv", "a\tb\nleft\tright\n\nl2\tr2\n");
  g_autoptr(GPtrArray) j = read_objects (jsonl);
  g_autoptr(GPtrArray) c = read_objects (csv);
  g_autoptr(GPtrArray) t = read_objects (tsv);
  g_autofree char *pic = g_build_filename (workdir, "pic.png", NULL);
  JsonObject *o;

  g_assert_cmpuint (j->len, ==, 7);
  o = j->pdata[0];
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "x");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "meta"), "label"), ==, 3);
  /* No id: the line number (the blank line counts). */
  g_assert_cmpstr (json_object_get_string_member (j->pdata[1], "id"), ==, "3");
  /* An integer id; an image path made absolute against the file's folder. */
  g_assert_cmpstr (json_object_get_string_member (j->pdata[2], "id"), ==, "7");
  g_assert_cmpstr (json_object_get_string_member (j->pdata[2], "image"), ==, pic);
  for (guint i = 3; i < 7; i++)
    g_assert_true (json_object_has_member (j->pdata[i], "error"));
  g_assert_nonnull (strstr (json_object_get_string_member (j->pdata[3], "error"), "f.jsonl line 5"));
  g_assert_nonnull (strstr (json_object_get_string_member (j->pdata[4], "error"), "\"a\" must be a string"));
  g_assert_nonnull (strstr (json_object_get_string_member (j->pdata[5], "error"), "expected \"a\" and \"b\""));
  g_assert_nonnull (strstr (json_object_get_string_member (j->pdata[6], "error"), "\"id\" must be"));

  g_assert_cmpuint (c->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (c->pdata[0], "a"), ==, "with, comma");
  g_assert_cmpstr (json_object_get_string_member (c->pdata[0], "b"), ==, "with \"quotes\"");
  g_assert_cmpstr (json_object_get_string_member (c->pdata[1], "a"), ==, "two\nlines");
  g_assert_nonnull (strstr (json_object_get_string_member (c->pdata[2], "error"), "2 fields where the header has 4"));

  g_assert_cmpuint (t->len, ==, 2);
  g_assert_cmpstr (json_object_get_string_member (t->pdata[1], "a"), ==, "l2");
  g_assert_cmpstr (json_object_get_string_member (t->pdata[1], "id"), ==, "4");
}

static void
test_bad_files (void)
{
  g_autofree char *dup = scratch ("dup.jsonl", "{\"id\": \"a\", \"a\": \"x\", \"b\": \"y\"}\n"
                                               "{\"id\": \"a\", \"a\": \"x\", \"b\": \"z\"}\n");
  g_autofree char *header = scratch ("h.csv", "id,text\n1,hello\n");
  g_autofree char *twice = scratch ("t.tsv", "a\ta\tb\n1\t2\t3\n");
  g_autofree char *open_quote = scratch ("q.csv", "a,b\n\"never closed,b\n");
  g_autofree char *missing = g_build_filename (workdir, "missing.jsonl", NULL);
  g_autofree char *txt = scratch ("items.txt", "x\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) q = NULL;

  g_assert_null (lk_batch_read_items (dup, &error));
  lk_test_assert_message (error, "the id 'a' is on line 1 and on line 2");
  g_clear_error (&error);
  g_assert_null (lk_batch_read_items (header, &error));
  lk_test_assert_message (error, "the header row has the columns id, text; expected columns a and b");
  g_clear_error (&error);
  g_assert_null (lk_batch_read_items (twice, &error));
  lk_test_assert_message (error, "names the column 'a' twice");
  g_clear_error (&error);
  g_assert_null (lk_batch_read_items (missing, &error));
  lk_test_assert_message (error, "missing.jsonl");
  g_clear_error (&error);
  g_assert_null (lk_batch_read_items (txt, &error));
  lk_test_assert_message (error, "expected .jsonl (JSON Lines), .tsv or .csv");
  g_clear_error (&error);
  /* What would block or overwrite: a FIFO, the input as the output, an
   * output that is a folder or in a missing one. */
  {
    g_autofree char *fifo = g_build_filename (workdir, "pipe.jsonl", NULL);
    g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_BILRP);
    g_autofree char *nowhere = g_build_filename (workdir, "no", "such", "out.jsonl", NULL);
    g_autofree char *before = NULL, *after = NULL;

    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    g_assert_null (lk_batch_read_items (fifo, &error));
    lk_test_assert_message (error, "is a named pipe (FIFO), not a batch input file");
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (dup, &before, NULL, NULL));
    g_assert_false (lk_batch_run (model, r, dup, dup, 0, 1, TRUE, NULL, NULL, NULL, &error));
    lk_test_assert_message (error, "is both an input and the output");
    g_clear_error (&error);
    g_assert_true (g_file_get_contents (dup, &after, NULL, NULL));
    g_assert_cmpstr (before, ==, after);
    g_assert_false (lk_batch_run (model, r, header, workdir, 0, 1, FALSE, NULL, NULL, NULL, &error));
    lk_test_assert_message (error, "is a folder, not a file results can be written to");
    g_clear_error (&error);
    g_assert_false (lk_batch_run (model, r, header, nowhere, 0, 1, FALSE, NULL, NULL, NULL, &error));
    lk_test_assert_message (error, "does not exist");
    g_clear_error (&error);
  }
  /* A NUL byte inside a line is that line's error, not a cut text. */
  {
    g_autofree char *nul = g_build_filename (workdir, "nul.jsonl", NULL);
    static const char text[] = "{\"id\": \"n\", \"a\": \"x\0y\", \"b\": \"z\"}\n{\"id\": \"ok\", \"a\": \"x\", \"b\": \"z\"}\n";
    g_autoptr(GPtrArray) n = NULL;

    g_assert_true (g_file_set_contents (nul, text, sizeof text - 1, NULL));
    n = read_objects (nul);
    g_assert_cmpuint (n->len, ==, 2);
    g_assert_nonnull (strstr (json_object_get_string_member (n->pdata[0], "error"), "line 1 holds a NUL byte"));
    g_assert_false (json_object_has_member (n->pdata[1], "error"));
  }
  /* An unclosed quote is that record's error, and the file's end. */
  q = read_objects (open_quote);
  g_assert_cmpuint (q->len, ==, 1);
  g_assert_nonnull (strstr (json_object_get_string_member (q->pdata[0], "error"), "never closed"));
}

static void
test_shards (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* The first 8 bytes of SHA-256("p1"), big-endian, mod 7 and mod 1000
   * (Python: int.from_bytes(hashlib.sha256(b"p1").digest()[:8], "big")). */
  g_assert_cmpuint (lk_batch_shard_of ("p1", 7), ==, 2);
  g_assert_cmpuint (lk_batch_shard_of ("p1", 1000), ==, 587);
  g_assert_cmpuint (lk_batch_shard_of ("q0", 7), ==, 4);
  g_assert_cmpuint (lk_batch_shard_of ("anything", 1), ==, 0);
  /* Every id in exactly one shard, and no shard of 5 empty over 200 ids. */
  {
    guint count[5] = { 0 };
    for (guint i = 0; i < 200; i++)
      {
        g_autofree char *id = g_strdup_printf ("item-%u", i);
        count[lk_batch_shard_of (id, 5)]++;
      }
    for (guint s = 0; s < 5; s++)
      g_assert_cmpuint (count[s], >, 10);
  }
}

static const char *pairs =
  "{\"id\": \"p1\", \"a\": \"a man plays a guitar\", \"b\": \"someone plays music\"}\n"
  "{\"id\": \"p2\", \"a\": \"the cat sleeps\", \"b\": \"a dog barks\"}\n"
  "{\"id\": \"p3\", \"a\": \"\", \"b\": \"empty a\"}\n"
  "{\"id\": \"p4\", \"a\": \"rain falls\", \"b\": \"it is wet outside\"}\n"
  "{\"id\": \"p5\", \"a\": \"two birds\", \"b\": \"birds on a wire\"}\n"
  "not json\n";

static void
test_run_resume (void)
{
  g_autofree char *input = scratch ("pairs.jsonl", pairs);
  g_autofree char *full = scratch ("full.jsonl", NULL);
  g_autofree char *cut = scratch ("cut.jsonl", NULL);
  g_autofree char *data = NULL;
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_BILRP);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) a = NULL, b = NULL;
  gsize len;
  GHashTableIter it;
  gpointer key, value;

  g_assert_true (lk_batch_run (model, r, input, full, 0, 1, FALSE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  a = read_lines (full);
  g_assert_cmpuint (g_hash_table_size (a), ==, 6);
  g_assert_true (json_object_has_member (g_hash_table_lookup (a, "p3"), "error"));
  lk_test_assert_message (&(GError) { .message = (char *) json_object_get_string_member (g_hash_table_lookup (a, "p3"), "error") },
                          "item p3 (line 3): text A is empty");
  g_assert_true (json_object_has_member (g_hash_table_lookup (a, "6"), "error"));
  g_assert_cmpstr (json_object_get_string_member (g_hash_table_lookup (a, "p1"), "schema"), ==, LK_EXPLANATION_SCHEMA);

  /* Not over a file with results. */
  g_assert_true (g_file_get_contents (full, &data, &len, NULL));
  g_assert_false (lk_batch_run (model, r, input, full, 0, 1, FALSE, NULL, NULL, NULL, &error));
  lk_test_assert_message (error, "already holds results: continue it with --resume");
  g_clear_error (&error);
  {
    g_autofree char *again = NULL;
    g_assert_true (g_file_get_contents (full, &again, NULL, NULL));
    g_assert_cmpstr (again, ==, data);
  }

  /* A run killed in the middle of its third line: resume drops the cut
   * line and ends with every id once, and the same numbers. */
  {
    const char *third = strchr (strchr (data, '\n') + 1, '\n') + 1;
    g_assert_true (g_file_set_contents (cut, data, (third - data) + 40, NULL));
  }
  g_assert_true (lk_batch_run (model, r, input, cut, 0, 1, TRUE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  b = read_lines (cut);
  g_assert_cmpuint (g_hash_table_size (b), ==, 6);
  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      JsonObject *x = value, *y = g_hash_table_lookup (b, key);
      g_assert_nonnull (y);
      if (json_object_has_member (x, "scores"))
        g_assert_cmpfloat_with_epsilon (json_object_get_double_member (json_object_get_object_member (x, "scores"), "similarity"),
                                        json_object_get_double_member (json_object_get_object_member (y, "scores"), "similarity"),
                                        1e-9);
    }

  /* A resume with another method would mix two runs. */
  {
    g_autoptr(LkExplainRequest) ij = lk_explain_request_new (LK_METHOD_IJ);
    g_assert_false (lk_batch_run (model, ij, input, full, 0, 1, TRUE, NULL, NULL, NULL, &error));
    lk_test_assert_message (error, "was made with the method bilrp");
    g_clear_error (&error);
  }
  /* A resume into a file this program did not write is refused. */
  {
    g_autofree char *alien = scratch ("alien.jsonl", "hello\n");
    g_assert_false (lk_batch_run (model, r, input, alien, 0, 1, TRUE, NULL, NULL, NULL, &error));
    lk_test_assert_message (error, "alien.jsonl line 1 is not a batch line");
    g_clear_error (&error);
  }
}

static void
test_shard_merge (void)
{
  g_autofree char *input = scratch ("m.jsonl", pairs);
  g_autofree char *all = scratch ("all.jsonl", NULL);
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_HXP);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) merged = NULL;
  guint total = 0, lines = 0, failed = 0;

  for (guint s = 0; s < 3; s++)
    {
      g_autofree char *name = g_strdup_printf ("m-%u.jsonl", s);
      char *out = scratch (name, NULL);
      g_autoptr(GHashTable) got = NULL;

      g_assert_true (lk_batch_run (model, r, input, out, s, 3, FALSE, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      got = read_lines (out);
      total += g_hash_table_size (got);
      g_ptr_array_add (outs, out);
    }
  g_assert_cmpuint (total, ==, 6);
  g_ptr_array_add (outs, NULL);
  g_assert_true (lk_batch_merge ((const char * const *) outs->pdata, all, input, &lines, &failed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lines, ==, 6);
  g_assert_cmpuint (failed, ==, 2);
  merged = read_lines (all);
  g_assert_cmpuint (g_hash_table_size (merged), ==, 6);

  /* A missing shard, and a shard given twice, are errors; nothing is
   * written. */
  {
    g_autofree char *none = g_build_filename (workdir, "none.jsonl", NULL);
    const char *two[] = { outs->pdata[0], outs->pdata[1], NULL };
    const char *doubled[] = { outs->pdata[0], outs->pdata[1], outs->pdata[2], outs->pdata[2], NULL };

    g_assert_false (lk_batch_merge (two, none, input, NULL, NULL, &error));
    lk_test_assert_message (error, "have no line");
    g_clear_error (&error);
    g_assert_false (lk_batch_merge (doubled, none, NULL, NULL, NULL, &error));
    lk_test_assert_message (error, "a shard was run twice or the shards overlap");
    g_clear_error (&error);
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  }
}

static void
test_cancel (void)
{
  g_autofree char *input = scratch ("c.jsonl", pairs);
  g_autofree char *out = scratch ("c-out.jsonl", NULL);
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_IJ);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) lines = NULL;

  g_cancellable_cancel (cancel);
  g_assert_false (lk_batch_run (model, r, input, out, 0, 1, FALSE, NULL, NULL, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Only whole lines; a resume finishes it. */
  lines = read_lines (out);
  g_assert_cmpuint (g_hash_table_size (lines), <, 6);
  g_clear_error (&error);
  g_assert_true (lk_batch_run (model, r, input, out, 0, 1, TRUE, NULL, NULL, NULL, &error));
  g_clear_pointer (&lines, g_hash_table_unref);
  lines = read_lines (out);
  g_assert_cmpuint (g_hash_table_size (lines), ==, 6);
}

static void
test_retrieval (void)
{
  g_autofree char *queries = scratch ("q.jsonl", "{\"id\": \"q1\", \"text\": \"a guitar is played\"}\n"
                                                 "{\"id\": \"q2\", \"text\": \"the weather is wet\"}\n");
  g_autofree char *corpus = scratch ("corpus.jsonl", "{\"id\": \"d1\", \"text\": \"music from a guitar\"}\n"
                                                     "{\"id\": \"d2\", \"text\": \"rain all day\"}\n"
                                                     "{\"id\": \"d3\", \"text\": \"a cat on a mat\"}\n"
                                                     "{\"id\": \"d4\", \"text\": \"stocks fell\"}\n");
  g_autofree char *out = scratch ("r.jsonl", NULL);
  g_autofree char *cache = NULL;
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_BILRP);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = lk_retrieval_items (model, queries, corpus, 3, 0, 1, NULL, &error);
  g_autoptr(GHashTable) lines = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 6);
  g_assert_cmpuint (lk_retrieval_embedded_count (), ==, 4);
  cache = lk_retrieval_cache_path (model, corpus, &error);
  g_assert_true (g_str_has_prefix (cache, workdir));
  g_assert_true (g_file_test (cache, G_FILE_TEST_IS_REGULAR));
  g_assert_true (lk_batch_run_items (model, r, items, out, 0, 1, FALSE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  lines = read_lines (out);
  for (guint q = 1; q <= 2; q++)
    {
      double prev = INFINITY;
      for (guint k = 1; k <= 3; k++)
        {
          g_autofree char *id = g_strdup_printf ("q%u#%u", q, k);
          g_autofree char *qid = g_strdup_printf ("q%u", q);
          JsonObject *o = g_hash_table_lookup (lines, id);
          double score;

          g_assert_nonnull (o);
          g_assert_cmpstr (json_object_get_string_member (o, "query_id"), ==, qid);
          g_assert_cmpint (json_object_get_int_member (o, "rank"), ==, k);
          score = json_object_get_double_member (o, "retrieval_score");
          g_assert_cmpfloat (score, <=, prev);
          prev = score;
          /* The ranking score is the model's own, the one explained. */
          g_assert_cmpfloat_with_epsilon (score, json_object_get_double_member (json_object_get_object_member (o, "scores"),
                                                                                "similarity"), 1e-5);
        }
    }
  /* A second run reads the cache; a changed corpus is embedded again. */
  g_clear_pointer (&items, g_ptr_array_unref);
  items = lk_retrieval_items (model, queries, corpus, 3, 0, 1, NULL, &error);
  g_assert_nonnull (items);
  g_assert_cmpuint (lk_retrieval_embedded_count (), ==, 0);
  g_assert_true (g_file_set_contents (corpus, "{\"id\": \"d1\", \"text\": \"only one now\"}\n", -1, NULL));
  g_clear_pointer (&items, g_ptr_array_unref);
  items = lk_retrieval_items (model, queries, corpus, 3, 0, 1, NULL, &error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_cmpuint (lk_retrieval_embedded_count (), ==, 1);
  /* A corpus with an empty passage is refused before any work. */
  g_assert_true (g_file_set_contents (corpus, "{\"id\": \"d1\", \"text\": \"ok\"}\n{\"id\": \"d2\", \"text\": \"  \"}\n", -1, NULL));
  g_clear_pointer (&items, g_ptr_array_unref);
  items = lk_retrieval_items (model, queries, corpus, 3, 0, 1, NULL, &error);
  g_assert_null (items);
  lk_test_assert_message (error, "line 2 (id 'd2'): the text is empty");
}

static double
shares (JsonArray *list)
{
  double s = 0;
  for (guint i = 0; i < json_array_get_length (list); i++)
    s += json_object_get_double_member (json_array_get_object_element (list, i), "share");
  return s;
}

/* The summary of a retrieval run and a pair run: the words' and the
 * specials' shares add up to the run's ΣA exactly; counts; the rank
 * deciders; the figure and the CSV; a file that is not a batch output. */
static void
test_aggregate (void)
{
  g_autofree char *queries = scratch ("aq.jsonl", "{\"id\": \"q1\", \"text\": \"a guitar is played.\"}\n"
                                                  "{\"id\": \"q2\", \"text\": \"the weather is wet\"}\n");
  g_autofree char *corpus = scratch ("ac.jsonl", "{\"id\": \"d1\", \"text\": \"music from a guitar\"}\n"
                                                 "{\"id\": \"d2\", \"text\": \"rain all day.\"}\n"
                                                 "{\"id\": \"d3\", \"text\": \"a cat on a mat\"}\n");
  g_autofree char *pairs_in = scratch ("ap.jsonl", pairs);
  g_autofree char *r_out = scratch ("ar.jsonl", NULL);
  g_autofree char *p_out = scratch ("apo.jsonl", NULL);
  g_autofree char *csv = scratch ("agg.csv", NULL);
  g_autofree char *svg = scratch ("agg.svg", NULL);
  g_autofree char *csv_text = NULL, *svg_text = NULL;
  g_autoptr(LkExplainRequest) r = lk_explain_request_new (LK_METHOD_IJ);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = lk_retrieval_items (model, queries, corpus, 2, 0, 1, NULL, &error);
  g_autoptr(JsonObject) sum = NULL;
  const char *paths[] = { r_out, p_out, NULL };
  JsonObject *specials, *retrieval, *checks;

  g_assert_no_error (error);
  g_assert_true (lk_batch_run_items (model, r, items, r_out, 0, 1, FALSE, NULL, NULL, NULL, &error));
  g_assert_true (lk_batch_run (model, r, pairs_in, p_out, 0, 1, FALSE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  sum = lk_aggregate_files (paths, 100000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (sum, "schema"), ==, LK_AGGREGATE_SCHEMA);
  g_assert_cmpint (json_object_get_int_member (sum, "items"), ==, 4 + 6);
  g_assert_cmpint (json_object_get_int_member (sum, "failed"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (sum, "attributions"), ==, 8);
  specials = json_object_get_object_member (sum, "specials");
  g_assert_cmpfloat_with_epsilon (shares (json_object_get_array_member (sum, "words")) +
                                  shares (json_object_get_array_member (specials, "tokens")), 1.0, 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (specials, "abs_share_mean"), >, 0);
  checks = json_object_get_object_member (sum, "checks");
  g_assert_true (json_object_has_member (checks, "ij"));
  retrieval = json_object_get_object_member (sum, "retrieval");
  g_assert_nonnull (retrieval);
  g_assert_cmpint (json_object_get_int_member (retrieval, "queries"), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (retrieval, "deciding_words")), >=, 1);

  g_assert_true (lk_aggregate_write_csv (sum, csv, &error));
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv_text, "kind,word,items,occurrences,sum,share\n"));
  g_assert_nonnull (strstr (csv_text, "\nspecial,[CLS],"));
  g_assert_true (lk_render_aggregate_export (sum, svg, 1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &svg_text, NULL, NULL));
  g_assert_nonnull (strstr (svg_text, "<svg"));

  /* Not a batch output: named, with its line. */
  {
    g_autofree char *bad = scratch ("bad.jsonl", "{\"id\": \"x\"}\n[1]\n");
    const char *one[] = { bad, NULL };
    g_autoptr(JsonObject) none = lk_aggregate_files (one, 10, &error);
    g_assert_null (none);
    lk_test_assert_message (error, "bad.jsonl line 1");
  }
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  workdir = g_dir_make_tmp ("test-batch-XXXXXX", &error);
  g_assert_no_error (error);
  /* The corpus cache goes into the scratch folder. */
  g_setenv ("XDG_CACHE_HOME", workdir, TRUE);
  model = lk_test_load_tiny ("bert");

  g_test_add_func ("/batch/formats", test_formats);
  g_test_add_func ("/batch/bad-files", test_bad_files);
  g_test_add_func ("/batch/shards", test_shards);
  g_test_add_func ("/batch/run-resume", test_run_resume);
  g_test_add_func ("/batch/shard-merge", test_shard_merge);
  g_test_add_func ("/batch/cancel", test_cancel);
  g_test_add_func ("/batch/retrieval", test_retrieval);
  g_test_add_func ("/batch/aggregate", test_aggregate);
  rc = g_test_run ();
  g_object_unref (model);
  lk_test_rm_rf (workdir);
  g_free (workdir);
  return rc;
}
