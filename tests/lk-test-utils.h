/* lk-test-utils.h — fixtures shared by the core's test programs, compiled
 * once (tests/meson.build: the lk-test-utils static library that every
 * test program links).
 *
 * Two kinds of model: the tiny random-weight models committed in
 * tests/golden/tiny/ (BERT, MPNet, XLM-R, CLIP; written by tests/oracle/ with
 * the real Python stack), on which the hermetic tests of suite 'core' run,
 * and the real models from the Hugging Face cache, which only the programs
 * of suite 'parity' open (tools/fetch-models.py puts them there). */
#pragma once

#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "lk-methods.h"
#include "lk-model.h"
#include "lk-tokenizer.h"

G_BEGIN_DECLS

/* The CLI's and the app's default model: a real model, parity tests only. */
#define LK_TEST_MODEL "sentence-transformers/all-MiniLM-L6-v2"
#define LK_TEST_MODEL_MPNET "sentence-transformers/all-mpnet-base-v2"
/* Random weights in CLIP's real layout with CLIP's real vocabulary, made by
 * tools/fetch-models.py (tools/make-clip-random.py). */
#define LK_TEST_MODEL_CLIP_RANDOM "likeness-random/clip-vit-base-patch32-random"

/* ---- Models ---- */

/* tests/golden/tiny/@name ("bert", "mpnet", "xlmr", "clip"). */
char     *lk_test_tiny_dir (const char *name);
/* That tiny model, loaded on the CPU; a model that does not load aborts
 * the test program with the reason. */
LkModel  *lk_test_load_tiny (const char *name);

/* For suite 'parity': the programs call this right after g_test_init ().
 * When one of the models (hub ids, NULL-terminated) is not in the Hugging
 * Face cache, it prints "Bail out!" with the model, the cache folder and
 * the remedy (python3 tools/fetch-models.py) and exits 1: a parity run
 * without the real models fails, it is never skipped. */
void      lk_test_require_models (const char *first_id, ...) G_GNUC_NULL_TERMINATED;
/* A real model from the Hugging Face cache (lk_test_require_models () has
 * checked it is there); one that does not load aborts with the reason. */
LkModel  *lk_test_load_model (const char *name);
/* The snapshot folder of a real model in the Hugging Face cache; aborts
 * with the reason when it is not there. */
char     *lk_test_real_model_dir (const char *id);

/* A scratch copy of a model folder's files (one level plus 1_Pooling). */
char     *lk_test_copy_model_dir (const char *src);
/* A scratch copy of the committed tiny BERT (tests/golden/tiny/bert) whose
 * tensor @tensor holds @value at element @index: a model from the hub with
 * NaN or Inf in its weights. */
char     *lk_test_poisoned_tiny_bert (const char *tensor, guint index, float value);

/* ---- Programs, goldens, explanations ---- */

/* Runs @program with @args (NULL-ended), collecting its output; with
 * @timeout_s > 0 under timeout(1), so that a hang fails the test (exit 124
 * is asserted against) instead of stalling it. Returns the exit status, -1
 * when it did not exit. */
int       lk_test_spawn (const char *program, const char *const *args, guint timeout_s, char **out, char **err);
/* tests/golden/@rel parsed (a JSON object); @keep holds the node. */
JsonObject *lk_test_load_golden (const char *rel, JsonNode **keep);
/* @method on (@a, @b) with its default parameters, changed by @tweak when
 * not NULL; a failure fails the test. */
LkExplanation *lk_test_explain (LkModel *model, const char *a, const char *b, LkMethod method,
                                void (*tweak) (LkExplainParams *));
/* max |x − y| over the two results' matrices, relative to max |y| (> 0, and
 * the shapes equal, or the test fails): forward against reverse mode. */
double         lk_test_max_rel_diff (LkExplanation *x, LkExplanation *y);

/* ---- Errors and files ---- */

/* Fails the test unless @error is set and its message contains @fragment. */
void      lk_test_assert_message (const GError *error, const char *fragment);

/* Makes the folder @dir read-only for this process: mode 0555, and, since
 * root writes through mode bits but not through the immutable flag, also
 * chattr +i when running as root. FALSE (with the reason printed) when
 * neither stops this process; lk_test_make_writable () undoes it. */
gboolean  lk_test_make_unwritable (const char *dir);
void      lk_test_make_writable (const char *dir);

/* Removes @path and, for a folder, everything below it; a symbolic link
 * is removed, never followed (the hub cache's snapshots link to blobs). */
void      lk_test_rm_rf (const char *path);

/* A scratch copy (a new temporary folder) of tests/golden/tiny/@name, its
 * module folders and weights included; remove it with lk_test_rm_rf. */
char     *lk_test_copy_tiny (const char *name);
/* Rewrites @dir's model.safetensors with every F32 tensor stored as
 * @dtype ("F16" or "BF16", rounded to nearest even), as checkpoints
 * published in half precision are. */
void      lk_test_store_weights_as (const char *dir, const char *dtype);

/* "[[[[…1…]]]]" nested @depth deep inside @before … @after: the hostile
 * file that overflowed json-glib's recursive parser. */
char     *lk_test_deep_json (const char *before, guint depth, const char *after);

/* ---- Images: hostile and large ones made at run time (nothing big is
 * committed) ---- */

/* A smooth @width × @height photo ("jpeg", "png", "bmp") at @path. */
void      lk_test_write_photo (const char *path, int width, int height, const char *type);
/* A valid PNG chunk stream whose header declares @width × @height (one IDAT
 * of a few bytes; the checksums right, so only the size is hostile). */
void      lk_test_write_huge_png (const char *path, guint32 width, guint32 height);
/* The first @fraction of @src's bytes at @dst. */
void      lk_test_write_cut (const char *src, const char *dst, double fraction);

/* ---- Tokenizer goldens ---- */

/* Checks @tok against every line of @path, a golden file of
 * tests/golden/tokenizers (<tok>-<set>.jsonl.gz, written by
 * tests/oracle/make_goldens.py: per line a text and what the Hugging Face
 * tokenizers package returns for it: ids, offsets in code points, the
 * special-token mask). Each differing line is reported with
 * g_test_message (); the test fails when a line differs or there is none. */
void      lk_test_check_tokenizer_golden (LkTokenizer *tok, const char *path);

G_END_DECLS
