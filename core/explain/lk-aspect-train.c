/* lk-aspect-train.c — metric distillation into an aspect space: the pairs
 * and their targets, every check before training starts, and the output
 * model folder (sentence-transformers files plus likeness_aspects.json),
 * assembled in OUT.partial and renamed (the folders' rules are in
 * lk-aspect-train-output.c). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "lk-aspect-train-private.h"
#include "lk-aspects.h"
#include "lk-backend.h"
#include "lk-error.h"
#include "lk-json.h"
#include "lk-model-private.h"
#include "lk-model-store.h"
#include "lk-sts.h"

/* The aspect width is core's choice: the shim takes whatever it is given. */
#define DEFAULT_ASPECT_DIM 16

void
lk_aspect_train_params_init (LkAspectTrainParams *p)
{
  lk_shim_train_params shim;

  g_return_if_fail (p != NULL);

  lk_shim_train_default_params (&shim);
  memset (p, 0, sizeof *p);
  p->epochs = shim.epochs;
  p->batch_size = shim.batch_size;
  p->lr = shim.lr;
  p->warmup_steps = shim.warmup_steps;
  p->eval_steps = shim.eval_steps;
  p->aspect_dim = DEFAULT_ASPECT_DIM;
  p->device = LK_DEVICE_AUTO;
}

void
lk_aspect_pairs_free (LkAspectPairs *pairs)
{
  if (pairs == NULL)
    return;
  g_ptr_array_unref (pairs->a);
  g_ptr_array_unref (pairs->b);
  g_strfreev (pairs->names);
  g_array_unref (pairs->targets);
  g_free (pairs);
}

static LkAspectPairs *
pairs_new (void)
{
  LkAspectPairs *p = g_new0 (LkAspectPairs, 1);

  p->a = g_ptr_array_new_with_free_func (g_free);
  p->b = g_ptr_array_new_with_free_func (g_free);
  p->targets = g_array_new (FALSE, FALSE, sizeof (float));
  return p;
}

static void
add_builtin_targets (LkAspectPairs *p)
{
  p->names = g_strdupv ((char **) lk_builtin_metric_names ());
  for (guint i = 0; i < p->a->len; i++)
    {
      double m[LK_N_BUILTIN_METRICS];
      lk_builtin_metrics (p->a->pdata[i], p->b->pdata[i], m);
      for (guint k = 0; k < LK_N_BUILTIN_METRICS; k++)
        {
          float v = (float) m[k];
          g_array_append_val (p->targets, v);
        }
    }
}

static gboolean
tsv_error (GError **error, const char *path, guint line, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s, line %u: %s", path, line, what);
  return FALSE;
}

static gboolean
read_row (LkAspectPairs *p, char **cols, guint n_cols, gboolean builtin, const char *path, guint line, GError **error)
{
  guint want = builtin ? 2 : 2 + g_strv_length (p->names);

  if (n_cols < want)
    {
      g_autofree char *msg = g_strdup_printf ("%u columns, expected %u (%s)", n_cols, want,
                                              builtin ? "two texts" : "two texts and one score per aspect of the header");
      return tsv_error (error, path, line, msg);
    }
  if (!builtin && n_cols > want)
    {
      g_autofree char *msg = g_strdup_printf ("%u columns, but the header names %u", n_cols, want);
      return tsv_error (error, path, line, msg);
    }
  for (guint s = 0; s < 2; s++)
    if (*g_strstrip (cols[s]) == '\0')
      {
        g_autofree char *msg = g_strdup_printf ("text %c is empty", 'A' + s);
        return tsv_error (error, path, line, msg);
      }
  for (guint c = 2; !builtin && c < want; c++)
    {
      char *end = NULL;
      double v = g_ascii_strtod (g_strstrip (cols[c]), &end);
      if (*cols[c] == '\0' || end == NULL || *end != '\0' || !isfinite (v))
        {
          g_autofree char *msg = g_strdup_printf ("the score of \"%s\" is \"%s\", expected a finite number",
                                                  p->names[c - 2], cols[c]);
          return tsv_error (error, path, line, msg);
        }
      float f = (float) v;
      g_array_append_val (p->targets, f);
    }
  g_ptr_array_add (p->a, g_strdup (cols[0]));
  g_ptr_array_add (p->b, g_strdup (cols[1]));
  return TRUE;
}

static LkAspectPairs *
read_tsv (const char *path, gboolean builtin, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) header = NULL;
  g_autoptr(LkAspectPairs) p = pairs_new ();
  guint n_header;

  gsize len;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if (!lk_text_file_check_utf8 (text, len, path, error))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL || lines[0][0] == '\0')
    return tsv_error (error, path, 1, "empty file: expected a header (text_a, text_b, then one column per aspect)"), NULL;
  g_strchomp (lines[0]);
  header = g_strsplit (lines[0], "\t", -1);
  n_header = g_strv_length (header);
  if (n_header < 2 || (!builtin && n_header < 3))
    return tsv_error (error, path, 1, builtin ? "the header needs two tab-separated columns: the two texts"
                                              : "the header needs the two text columns and at least one aspect column "
                                                "(or use the built-in metrics)"), NULL;
  p->names = g_new0 (char *, n_header - 1);
  for (guint c = 2; c < n_header; c++)
    {
      if (*g_strstrip (header[c]) == '\0')
        return tsv_error (error, path, 1, "an aspect column has no name"), NULL;
      p->names[c - 2] = g_strdup (header[c]);
    }
  for (guint i = 1; lines[i]; i++)
    {
      g_auto(GStrv) cols = NULL;
      g_strchomp (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      cols = g_strsplit (lines[i], "\t", -1);
      if (!read_row (p, cols, g_strv_length (cols), builtin, path, i + 1, error))
        return NULL;
    }
  if (p->a->len == 0)
    return tsv_error (error, path, 2, "no pairs after the header"), NULL;
  if (builtin)
    {
      g_strfreev (p->names);
      add_builtin_targets (p);
    }
  return g_steal_pointer (&p);
}

LkAspectPairs *
lk_aspect_pairs_load (const char *path, gboolean builtin, GError **error)
{
  return lk_aspect_pairs_load_split (path, builtin, NULL, error);
}

LkAspectPairs *
lk_aspect_pairs_load_split (const char *path, gboolean builtin, const char *split, GError **error)
{
  if (builtin)
    {
      /* A split only means something in an STS file: its error stands. */
      g_autoptr(LkStsSet) set = lk_sts_load (path, split, split ? error : NULL);
      if (set == NULL && split != NULL)
        return NULL;
      if (set != NULL && set->a->len > 0)
        {
          LkAspectPairs *p = pairs_new ();
          for (guint i = 0; i < set->a->len; i++)
            {
              g_ptr_array_add (p->a, g_strdup (set->a->pdata[i]));
              g_ptr_array_add (p->b, g_strdup (set->b->pdata[i]));
            }
          add_builtin_targets (p);
          return p;
        }
    }
  return read_tsv (path, builtin, error);
}

/* ---- training ---- */

typedef struct {
  GCancellable   *cancellable;   /* first: lk_backend_abort reads it */
  const LkAspectTrainParams *p;
  LkAspectPairs  *pairs;
  char           *base_dir;
  LkModelConfig   config;
  LkTokenizer    *tokenizer;
  GPtrArray      *encodings;   /* LkEncoding *, a then b per pair */
  float          *targets;     /* normalised, train pairs then dev pairs */
  double         *min, *max;
  guint           n_aspects, n_train, n_dev, dim;
  int             trainable_layers;  /* as the shim trained them */
  LkTrainOutput   o;
  LkAspectTrainProgress progress;
  gpointer        progress_data;
} Job;

static void
job_clear (Job *j)
{
  g_clear_pointer (&j->pairs, lk_aspect_pairs_free);
  g_free (j->base_dir);
  lk_model_config_clear (&j->config);
  g_clear_object (&j->tokenizer);
  g_clear_pointer (&j->encodings, g_ptr_array_unref);
  g_free (j->targets);
  g_free (j->min);
  g_free (j->max);
  lk_train_output_clear (&j->o);
}

static gboolean
invalid (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, msg);
  return FALSE;
}

static gboolean
check_params (const LkAspectTrainParams *p, GError **error)
{
  if (p->base == NULL || p->pairs == NULL || p->out == NULL)
    return invalid (error, "training needs a base model, a pairs file and an output folder");
  if (p->epochs < 1 || p->epochs > 1000)
    return invalid (error, "%d epochs: expected 1 to 1000", p->epochs);
  if (p->batch_size < 2 || p->batch_size > 4096)
    return invalid (error, "batch size %d: expected 2 to 4096 (the consistency loss compares texts within a batch)",
                    p->batch_size);
  if (!(p->lr > 0 && p->lr < 1))
    return invalid (error, "learning rate %g: expected a number in (0, 1)", p->lr);
  if (p->warmup_steps < 0 || p->eval_steps < 0 || p->max_pairs < 0)
    return invalid (error, "warm-up steps, evaluation steps and the pair limit must be 0 or more");
  if (p->aspect_dim < 1 || p->aspect_dim > 4096)
    return invalid (error, "%d dims per aspect: expected 1 to 4096", p->aspect_dim);
  return TRUE;
}

/* Min-max normalisation per aspect (METHODS.md §4); a constant column
 * teaches nothing and would divide by zero. */
float *
lk_aspect_pairs_normalise (const LkAspectPairs *pairs, const char *what, double **min_out, double **max_out,
                           GError **error)
{
  guint n = pairs->a->len, na = g_strv_length (pairs->names);
  const float *raw = (const float *) pairs->targets->data;
  g_autofree double *min = g_new (double, na), *max = g_new (double, na);
  float *t;

  for (guint k = 0; k < na; k++)
    {
      min[k] = INFINITY;
      max[k] = -INFINITY;
      for (guint i = 0; i < n; i++)
        {
          min[k] = fmin (min[k], raw[(gsize) i * na + k]);
          max[k] = fmax (max[k], raw[(gsize) i * na + k]);
        }
      if (!(max[k] > min[k]))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA,
                       "%s: the scores of \"%s\" are all %g: a constant aspect teaches nothing",
                       what, pairs->names[k], min[k]);
          return NULL;
        }
    }
  t = g_new (float, (gsize) n * na);
  for (guint i = 0; i < n; i++)
    for (guint k = 0; k < na; k++)
      t[(gsize) i * na + k] = (float) ((raw[(gsize) i * na + k] - min[k]) / (max[k] - min[k]));
  *min_out = g_steal_pointer (&min);
  *max_out = g_steal_pointer (&max);
  return t;
}

static gboolean
normalise_targets (Job *j, GError **error)
{
  return (j->targets = lk_aspect_pairs_normalise (j->pairs, j->p->pairs, &j->min, &j->max, error)) != NULL;
}

/* Every tenth pair is a dev pair when that leaves at least two batches to
 * train on; otherwise the training pairs are scored for the checkpoint
 * choice. The pairs are reordered: training pairs first. */
guint
lk_aspect_pairs_split_dev (LkAspectPairs *pairs, guint batch_size)
{
  guint n = pairs->a->len, na = g_strv_length (pairs->names);
  gboolean dev = n / 10 >= 1 && n - n / 10 >= 2 * batch_size;
  g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) b = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) t = g_array_new (FALSE, FALSE, sizeof (float));

  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      if ((dev && i % 10 == 9) == (pass == 1))
        {
          g_ptr_array_add (a, g_strdup (pairs->a->pdata[i]));
          g_ptr_array_add (b, g_strdup (pairs->b->pdata[i]));
          g_array_append_vals (t, (float *) pairs->targets->data + (gsize) i * na, na);
        }
  g_ptr_array_unref (pairs->a);
  g_ptr_array_unref (pairs->b);
  g_array_unref (pairs->targets);
  pairs->a = g_steal_pointer (&a);
  pairs->b = g_steal_pointer (&b);
  pairs->targets = g_steal_pointer (&t);
  return dev ? n / 10 : 0;
}

static void
split_dev (Job *j)
{
  j->n_dev = lk_aspect_pairs_split_dev (j->pairs, j->p->batch_size);
  j->n_train = j->pairs->a->len - j->n_dev;
}

static gboolean
tokenize_all (Job *j, GError **error)
{
  j->encodings = g_ptr_array_new_with_free_func ((GDestroyNotify) lk_encoding_free);
  for (guint i = 0; i < j->pairs->a->len; i++)
    for (guint s = 0; s < 2; s++)
      {
        GPtrArray *side = s ? j->pairs->b : j->pairs->a;
        g_autoptr(GError) e = NULL;
        LkEncoding *enc = lk_tokenizer_encode (j->tokenizer, side->pdata[i], j->config.max_seq_length, &e);
        if (enc == NULL)
          {
            g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s: pair %u, text %c: %s", j->p->pairs, i + 1,
                         'A' + s, e->message);
            return FALSE;
          }
        g_ptr_array_add (j->encodings, enc);
      }
  return TRUE;
}

static guint
embedding_dim (const LkModelConfig *c)
{
  return c->params.n_dense > 0 ? (guint) c->params.dense[c->params.n_dense - 1].out_features
                               : (guint) c->params.hidden_size;
}

static gboolean
load_base (Job *j, GError **error)
{
  if ((j->base_dir = lk_model_store_resolve (j->p->base, TRUE, NULL, NULL, j->cancellable, error)) == NULL ||
      !lk_model_config_read (&j->config, j->base_dir, error) ||
      (j->tokenizer = lk_tokenizer_new_from_dir (j->base_dir, error)) == NULL)
    return FALSE;
  j->dim = embedding_dim (&j->config);
  if ((guint64) j->n_aspects * j->p->aspect_dim > j->dim)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "%s embeds in %u dims, too few for %u aspects × %d dims = %u (a smaller --aspect-dim, or fewer aspects)",
                   j->p->base, j->dim, j->n_aspects, j->p->aspect_dim, j->n_aspects * j->p->aspect_dim);
      return FALSE;
    }
  return TRUE;
}

/* What a checkpoint must agree with to be resumed. */
static char *
fingerprint (Job *j)
{
  g_autofree char *pairs = NULL;
  gsize len = 0;
  g_autofree char *sum = NULL;
  GString *s = g_string_new (NULL);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (g_file_get_contents (j->p->pairs, &pairs, &len, NULL))
    sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) pairs, len);
  g_string_append_printf (s, "base=%s\npairs_sha256=%s\nbuiltin=%d\nmax_pairs=%d\nepochs=%d\nbatch=%d\nlr=%s\n"
                          "warmup=%d\neval_steps=%d\naspect_dim=%d\n",
                          j->base_dir, sum ? sum : "?", j->p->builtin, j->p->max_pairs, j->p->epochs,
                          j->p->batch_size, g_ascii_dtostr (buf, sizeof buf, j->p->lr), j->p->warmup_steps,
                          j->p->eval_steps, j->p->aspect_dim);
  return g_string_free (s, FALSE);
}

static gboolean
copy_file (const char *from, const char *to, GError **error)
{
  g_autoptr(GFile) src = g_file_new_for_path (from);
  g_autoptr(GFile) dst = g_file_new_for_path (to);

  return g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error);
}

static gboolean
is_weights (const char *name)
{
  const char *ext[] = { ".safetensors", ".bin", ".h5", ".msgpack", ".ot", ".onnx", ".pt", ".pth", ".ckpt", NULL };

  for (guint i = 0; ext[i]; i++)
    if (g_str_has_suffix (name, ext[i]))
      return TRUE;
  return strcmp (name, LK_ASPECTS_FILE) == 0 || strcmp (name, "config.py") == 0 || strcmp (name, "README.md") == 0;
}

/* The regular non-weight files of @from into @to (symlinks of the hub
 * cache followed). */
static gboolean
copy_plain_files (const char *from, const char *to, GError **error)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, error);
  const char *name;

  if (dir == NULL || g_mkdir_with_parents (to, 0755) != 0)
    return dir != NULL ? invalid (error, "%s: cannot create the folder", to) : FALSE;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      if (name[0] == '.' || is_weights (name) || !g_file_test (src, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!copy_file (src, dst, error))
        return FALSE;
    }
  return TRUE;
}

/* The module folders that modules.json names (1_Pooling, 2_Dense, …). */
static gboolean
copy_modules (Job *j, GError **error)
{
  g_autofree char *path = g_build_filename (j->base_dir, "modules.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  JsonArray *mods;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if ((root = lk_json_parse_file (path, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return TRUE;
  mods = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (mods); i++)
    {
      JsonNode *n = json_array_get_element (mods, i);
      const char *sub;
      if (!JSON_NODE_HOLDS_OBJECT (n))
        continue;
      sub = json_object_get_string_member_with_default (json_node_get_object (n), "path", "");
      if (sub[0] == '\0' || strstr (sub, "..") || sub[0] == '/')
        continue;
      g_autofree char *from = g_build_filename (j->base_dir, sub, NULL);
      g_autofree char *to = g_build_filename (j->o.partial, sub, NULL);
      if (g_file_test (from, G_FILE_TEST_IS_DIR) && !copy_plain_files (from, to, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_layout (Job *j, const lk_shim_train_result *r, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = g_build_filename (j->o.partial, LK_ASPECTS_FILE, NULL);
  g_autofree char *setup = g_compute_checksum_for_string (G_CHECKSUM_SHA256, j->o.fingerprint, -1);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, LK_ASPECTS_FORMAT);
  json_builder_set_member_name (b, "n_aspects");
  json_builder_add_int_value (b, j->n_aspects);
  json_builder_set_member_name (b, "aspect_dim");
  json_builder_add_int_value (b, j->p->aspect_dim);
  json_builder_set_member_name (b, "aspects");
  json_builder_begin_array (b);
  for (guint k = 0; k < j->n_aspects; k++)
    json_builder_add_string_value (b, j->pairs->names[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "embedding_dim");
  json_builder_add_int_value (b, j->dim);
  json_builder_set_member_name (b, "residual_dims");
  json_builder_add_int_value (b, j->dim - j->n_aspects * j->p->aspect_dim);
  json_builder_set_member_name (b, "metrics");
  json_builder_add_string_value (b, j->p->builtin ? "built-in surface metrics (docs/aspects.md)"
                                                  : "the score columns of the pairs file");
  json_builder_set_member_name (b, "target_min");
  json_builder_begin_array (b);
  for (guint k = 0; k < j->n_aspects; k++)
    json_builder_add_double_value (b, j->min[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "target_max");
  json_builder_begin_array (b);
  for (guint k = 0; k < j->n_aspects; k++)
    json_builder_add_double_value (b, j->max[k]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "training");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "base");
  json_builder_add_string_value (b, j->p->base);
  json_builder_set_member_name (b, "pairs");
  json_builder_add_string_value (b, j->p->pairs);
  json_builder_set_member_name (b, "train_pairs");
  json_builder_add_int_value (b, j->n_train);
  json_builder_set_member_name (b, "dev_pairs");
  json_builder_add_int_value (b, j->n_dev);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, j->p->epochs);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, j->p->batch_size);
  json_builder_set_member_name (b, "lr");
  json_builder_add_double_value (b, j->p->lr);
  json_builder_set_member_name (b, "warmup_steps");
  json_builder_add_int_value (b, j->p->warmup_steps);
  json_builder_set_member_name (b, "trainable_layers");
  json_builder_add_int_value (b, j->trainable_layers);
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, r->steps_done + r->resumed_from_step);
  json_builder_set_member_name (b, "best_step");
  json_builder_add_int_value (b, r->best_step);
  json_builder_set_member_name (b, "best_score");
  json_builder_add_double_value (b, r->best_score);
  json_builder_set_member_name (b, "setup_sha256");
  json_builder_add_string_value (b, setup);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return lk_json_save_atomic (root, path, error);
}

static void
train_progress (const lk_shim_train_progress *p, void *data)
{
  Job *j = data;
  if (j->progress)
    j->progress (p, j->progress_data);
}

/* The dense modules' folder names (2_Dense, …). */
static char *
dense_sub (Job *j, int d)
{
  g_autofree char *dir = g_path_get_dirname (j->config.dense_weights[d]);
  return g_path_get_basename (dir);
}

/* The trained weights go to the checkpoint folder first (a run killed
 * there leaves only what resuming needs); @root/model.safetensors, or
 * @root/2_Dense/model.safetensors for Dense module @d ≥ 0. */
static char *
weights_in (Job *j, const char *root, int d)
{
  g_autofree char *sub = d >= 0 ? dense_sub (j, d) : NULL;
  return g_build_filename (root, sub ? sub : "model.safetensors", sub ? "model.safetensors" : NULL, NULL);
}

static gboolean
run_training (Job *j, lk_shim_train_result *result, GError **error)
{
  guint n = j->n_train + j->n_dev;
  g_autofree const int32_t **ia = g_new (const int32_t *, n), **ib = g_new (const int32_t *, n);
  g_autofree int *la = g_new (int, n), *lb = g_new (int, n);
  g_autofree char *weights = weights_in (j, j->o.checkpoint, -1);
  g_autofree char *ckpt = g_build_filename (j->o.checkpoint, "state.pt", NULL);
  g_autoptr(GPtrArray) dense = g_ptr_array_new_with_free_func (g_free);
  lk_shim_train_params tp;
  lk_shim_status st;

  for (guint i = 0; i < n; i++)
    {
      LkEncoding *a = j->encodings->pdata[2 * i], *b = j->encodings->pdata[2 * i + 1];
      ia[i] = a->ids;
      la[i] = a->n_tokens;
      ib[i] = b->ids;
      lb[i] = b->n_tokens;
    }
  lk_shim_train_default_params (&tp);
  tp.n_aspects = j->n_aspects;
  tp.aspect_dim = j->p->aspect_dim;
  tp.epochs = j->p->epochs;
  tp.batch_size = j->p->batch_size;
  tp.lr = j->p->lr;
  tp.warmup_steps = j->p->warmup_steps;
  tp.eval_steps = j->p->eval_steps;
  tp.checkpoint_path = ckpt;
  tp.output_weights = weights;
  for (int d = 0; d < j->config.params.n_dense; d++)
    {
      g_autofree char *dd = NULL;
      g_ptr_array_add (dense, weights_in (j, j->o.checkpoint, d));
      dd = g_path_get_dirname (dense->pdata[d]);
      g_mkdir_with_parents (dd, 0755);
      tp.output_dense[d] = dense->pdata[d];
    }
  j->trainable_layers = tp.trainable_layers;
  tp.progress = train_progress;
  tp.abort = j->cancellable ? lk_backend_abort : NULL;
  tp.user_data = j;
  j->config.params.device = (lk_shim_device) j->p->device;
  j->config.params.n_threads = j->p->n_threads;
  if (lk_shim_train_aspects (&j->config.params, j->n_train, j->n_dev, ia, la, ib, lb, j->targets, &tp, result, &st) != 0)
    {
      gboolean kept = lk_train_output_has_state (&j->o);
      if (st.code == LK_SHIM_ERROR_CANCELLED && kept)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                     "training cancelled; run the same command again to resume from %s", j->o.checkpoint);
      else if (st.code == LK_SHIM_ERROR_CANCELLED)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "training cancelled before its first checkpoint");
      else
        {
          lk_backend_set_error (&st, "training", NULL, error);
          if (kept && error != NULL)
            {
              /* GLib has g_prefix_error only: the suffix is added by hand. */
              char *m = g_strdup_printf ("%s; the checkpoint in %s is kept: the same command resumes from it",
                                         (*error)->message, j->o.checkpoint);
              g_free ((*error)->message);
              (*error)->message = m;
            }
        }
      return FALSE;
    }
  return TRUE;
}

static guint64
file_size (const char *path)
{
  GStatBuf st;
  return path && g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* The trained weights are written at most in float32 next to the
 * checkpoint, which holds the trained layers several times over: twice the
 * base weights is the estimate. */
static guint64
space_needed (Job *j)
{
  guint64 n = file_size (j->config.weights);

  for (int d = 0; d < j->config.params.n_dense; d++)
    n += file_size (j->config.dense_weights[d]);
  return 2 * n + (1 << 20);
}

static gboolean
prepare (Job *j, GError **error)
{
  g_autofree char *fp = NULL;

  if (!check_params (j->p, error) || !lk_train_output_check (&j->o, j->p->out, j->p->resume, error))
    return FALSE;
  if ((j->pairs = lk_aspect_pairs_load (j->p->pairs, j->p->builtin, error)) == NULL)
    return FALSE;
  j->n_aspects = g_strv_length (j->pairs->names);
  if (j->p->max_pairs > 0 && j->pairs->a->len > (guint) j->p->max_pairs)
    {
      g_ptr_array_set_size (j->pairs->a, j->p->max_pairs);
      g_ptr_array_set_size (j->pairs->b, j->p->max_pairs);
      g_array_set_size (j->pairs->targets, (gsize) j->p->max_pairs * j->n_aspects);
    }
  if (j->pairs->a->len < (guint) j->p->batch_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_DATA, "%s has %u pairs, fewer than one batch of %d",
                   j->p->pairs, j->pairs->a->len, j->p->batch_size);
      return FALSE;
    }
  split_dev (j);
  if (!normalise_targets (j, error) || !load_base (j, error) || !tokenize_all (j, error))
    return FALSE;
  fp = fingerprint (j);
  return lk_train_output_claim (&j->o, fp, space_needed (j), error);
}

/* The weights from the checkpoint folder into OUT.partial. */
static gboolean
move_weights (Job *j, GError **error)
{
  for (int d = -1; d < j->config.params.n_dense; d++)
    {
      g_autofree char *from = weights_in (j, j->o.checkpoint, d);
      g_autofree char *to = weights_in (j, j->o.partial, d);
      g_autofree char *dir = g_path_get_dirname (to);
      if (g_mkdir_with_parents (dir, 0755) != 0 || g_rename (from, to) != 0)
        {
          int errsv = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: cannot move the trained weights there (%s)",
                       to, g_strerror (errsv));
          return FALSE;
        }
    }
  return TRUE;
}

/* After training: the model folder, assembled and renamed. A failure here
 * keeps what was made (OUT.partial and the checkpoint) and says where. */
static gboolean
assemble (Job *j, const lk_shim_train_result *result, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (lk_train_output_open_partial (&j->o, &local) && move_weights (j, &local) &&
      copy_plain_files (j->base_dir, j->o.partial, &local) && copy_modules (j, &local) &&
      write_layout (j, result, &local) && lk_train_output_publish (&j->o, &local))
    return TRUE;
  g_set_error (error, local->domain, local->code,
               "%s; the trained model is kept in %s and its checkpoint in %s: move the first where you want it, "
               "or remove the cause and run the same command again (it does not train again)",
               local->message, j->o.partial, j->o.checkpoint);
  return FALSE;
}

gboolean
lk_aspects_train (const LkAspectTrainParams *params,
                  LkAspectTrainProgress      progress,
                  gpointer                   progress_data,
                  GCancellable              *cancellable,
                  lk_shim_train_result      *result,
                  GError                   **error)
{
  Job j = { .p = params, .cancellable = cancellable, .progress = progress, .progress_data = progress_data,
            .o = { .lock_fd = -1 } };
  lk_shim_train_result local;
  gboolean ok;

  g_return_val_if_fail (params != NULL, FALSE);
  if (result == NULL)
    result = &local;
  memset (result, 0, sizeof *result);
  ok = prepare (&j, error) && run_training (&j, result, error);
  if (ok)
    ok = assemble (&j, result, error);
  else
    lk_train_output_abandon (&j.o);
  job_clear (&j);
  return ok;
}

/* ---- async ---- */

typedef struct {
  LkAspectTrainParams    params;      /* its strings point to the copies below */
  char                  *base, *pairs, *out;
  LkAspectTrainProgress  progress;
  gpointer               progress_data;
  LkAsyncProgress       *relay;       /* the task's */
} TrainJob;

static void
train_job_free (TrainJob *t)
{
  g_free (t->base);
  g_free (t->pairs);
  g_free (t->out);
  g_free (t);
}

/* In the caller's context. */
static void
deliver_train_progress (gpointer payload, gpointer data)
{
  TrainJob *t = data;

  t->progress (payload, t->progress_data);
}

/* In the worker. */
static void
relay_train_progress (const lk_shim_train_progress *p, gpointer data)
{
  TrainJob *t = data;

  lk_async_progress_report_payload (t->relay, g_memdup2 (p, sizeof *p));
}

static void
train_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  TrainJob *t = data;
  lk_shim_train_result result;
  GError *error = NULL;

  if (lk_aspects_train (&t->params, t->relay ? relay_train_progress : NULL, t, cancellable, &result, &error))
    g_task_return_pointer (task, g_memdup2 (&result, sizeof result), g_free);
  else
    g_task_return_error (task, error);
}

void
lk_aspects_train_async (const LkAspectTrainParams *params,
                        LkAspectTrainProgress      progress,
                        gpointer                   progress_data,
                        GCancellable              *cancellable,
                        GAsyncReadyCallback        callback,
                        gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  TrainJob *t;

  g_return_if_fail (params != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  t = g_new0 (TrainJob, 1);
  t->params = *params;
  t->params.base = t->base = g_strdup (params->base);
  t->params.pairs = t->pairs = g_strdup (params->pairs);
  t->params.out = t->out = g_strdup (params->out);
  t->progress = progress;
  t->progress_data = progress_data;
  /* Every report: each step is a line of the log, each evaluation a score. */
  t->relay = lk_async_progress_new_full (NULL, LK_ASYNC_PROGRESS_EVERY, progress ? deliver_train_progress : NULL,
                                         t, g_free);
  task = lk_async_task_new (NULL, cancellable, callback, user_data, t->relay);
  g_task_set_source_tag (task, lk_aspects_train_async);
  /* A run that ended despite a late cancel wrote its model: say so. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, t, (GDestroyNotify) train_job_free);
  g_task_run_in_thread (task, train_thread);
}

gboolean
lk_aspects_train_finish (GAsyncResult          *result,
                         lk_shim_train_result  *train_result,
                         GError               **error)
{
  g_autofree lk_shim_train_result *r = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lk_aspects_train_async, FALSE);

  r = g_task_propagate_pointer (G_TASK (result), error);
  if (train_result != NULL)
    {
      if (r != NULL)
        *train_result = *r;
      else
        memset (train_result, 0, sizeof *train_result);
    }
  return r != NULL;
}
