/* test-encoder.c — loads small random-weight encoders of each architecture
 * in their real tensor layouts and checks the properties the embedding path
 * must have (padding invariance, order, normalisation, errors, cancelling,
 * CPU/CUDA agreement when a GPU is present). Parity with transformers on
 * the committed tiny models is checked by the core's tests. */
#include "likeness-shim.h"
#include "shim-test.h"

#include <math.h>
#include <unistd.h>

enum { H = 16, FF = 32, LAYERS = 2, HEADS = 4, VOCAB = 50, MAXPOS = 40, BUCKETS = 32 };

typedef struct {
  lk_test_tensor t[128];
  char names[128][96];
  int n;
  uint64_t rng;
} Builder;

static void
add (Builder *b, const char *name, int ndim, int64_t d0, int64_t d1)
{
  lk_test_tensor *t = &b->t[b->n];
  snprintf (b->names[b->n], sizeof b->names[0], "%s", name);
  t->name = b->names[b->n];
  t->ndim = ndim;
  t->shape[0] = d0;
  t->shape[1] = d1;
  size_t n = lk_test_numel (t);
  t->data = malloc (n * sizeof (float));
  int is_norm_weight = strstr (name, "LayerNorm.weight") != NULL;
  for (size_t i = 0; i < n; i++)
    t->data[i] = (is_norm_weight ? 1.0f : 0.0f) + lk_test_rand (&b->rng);
  b->n++;
}

static void
add_linear (Builder *b, const char *name, int64_t out, int64_t in)
{
  char buf[96];
  snprintf (buf, sizeof buf, "%s.weight", name);
  add (b, buf, 2, out, in);
  snprintf (buf, sizeof buf, "%s.bias", name);
  add (b, buf, 1, out, 0);
}

static void
add_norm (Builder *b, const char *name)
{
  char buf[96];
  snprintf (buf, sizeof buf, "%s.weight", name);
  add (b, buf, 1, H, 0);
  snprintf (buf, sizeof buf, "%s.bias", name);
  add (b, buf, 1, H, 0);
}

static void
build (Builder *b, lk_shim_arch arch, const char *skip)
{
  memset (b, 0, sizeof *b);
  b->rng = 42 + arch;
  add (b, "embeddings.word_embeddings.weight", 2, VOCAB, H);
  add (b, "embeddings.position_embeddings.weight", 2, MAXPOS, H);
  if (arch == LK_SHIM_ARCH_MPNET)
    add (b, "encoder.relative_attention_bias.weight", 2, BUCKETS, HEADS);
  else
    add (b, "embeddings.token_type_embeddings.weight", 2, 1, H);
  add_norm (b, "embeddings.LayerNorm");
  for (int l = 0; l < LAYERS; l++)
    {
      char p[64], n[96];
      snprintf (p, sizeof p, "encoder.layer.%d.", l);
      const char *att[4][2] = { { "attention.self.query", "attention.attn.q" }, { "attention.self.key", "attention.attn.k" },
                                { "attention.self.value", "attention.attn.v" }, { "attention.output.dense", "attention.attn.o" } };
      for (int i = 0; i < 4; i++)
        {
          snprintf (n, sizeof n, "%s%s", p, att[i][arch == LK_SHIM_ARCH_MPNET]);
          add_linear (b, n, H, H);
        }
      snprintf (n, sizeof n, "%s%s", p, arch == LK_SHIM_ARCH_MPNET ? "attention.LayerNorm" : "attention.output.LayerNorm");
      add_norm (b, n);
      snprintf (n, sizeof n, "%sintermediate.dense", p);
      add_linear (b, n, FF, H);
      snprintf (n, sizeof n, "%soutput.dense", p);
      add_linear (b, n, H, FF);
      snprintf (n, sizeof n, "%soutput.LayerNorm", p);
      add_norm (b, n);
    }
  if (skip)
    for (int i = 0; i < b->n; i++)
      if (strcmp (b->t[i].name, skip) == 0)
        {
          free (b->t[i].data);
          b->t[i] = b->t[--b->n];
          memcpy (b->names[i], b->names[b->n], sizeof b->names[0]);
          b->t[i].name = b->names[i];
        }
}

static void
builder_free (Builder *b)
{
  for (int i = 0; i < b->n; i++)
    free (b->t[i].data);
}

static void
params_for (lk_shim_model_params *p, lk_shim_arch arch, const char *path)
{
  lk_shim_model_default_params (p);
  p->arch = arch;
  p->weights_path = path;
  p->vocab_size = VOCAB;
  p->hidden_size = H;
  p->num_layers = LAYERS;
  p->num_heads = HEADS;
  p->intermediate_size = FF;
  p->max_position_embeddings = MAXPOS;
  p->type_vocab_size = 1;
  p->pad_token_id = arch == LK_SHIM_ARCH_BERT ? 0 : 1;
  p->relative_attention_num_buckets = BUCKETS;
  p->layer_norm_eps = 1e-5;
  p->normalize = 1;
  p->device = LK_SHIM_DEVICE_CPU;
  p->n_threads = 2;
}

static int n_aborts;
static int abort_after_one (void *ud) { (void) ud; return n_aborts++ > 0; }
static double last_progress;
static void on_progress (double f, void *ud) { (void) ud; last_progress = f; }

static float
max_diff (const float *a, const float *b, size_t n)
{
  float m = 0;
  for (size_t i = 0; i < n; i++)
    m = fmaxf (m, fabsf (a[i] - b[i]));
  return m;
}

static void
check_arch (lk_shim_arch arch, const char *label, const char *dir)
{
  char path[512];
  snprintf (path, sizeof path, "%s/%s.safetensors", dir, label);
  Builder b;
  build (&b, arch, NULL);
  lk_test_write_safetensors (path, b.t, b.n);
  builder_free (&b);

  lk_shim_model_params p;
  params_for (&p, arch, path);
  lk_shim_status st;
  lk_shim_model *m = lk_shim_model_load (&p, &st);
  CHECK (m != NULL, "%s: loads (%s)", label, st.message);
  if (!m)
    return;
  CHECK (lk_shim_model_embedding_dim (m) == H, "%s: embedding dim", label);

  int32_t t0[] = { 2, 7, 9, 11, 3 }, t1[] = { 2, 5, 3 }, t2[] = { 2, 8, 8, 13, 21, 34, 12, 3 };
  const int32_t *ids[] = { t0, t1, t2 };
  int lens[] = { 5, 3, 8 };
  float all[3 * H], one[H];
  lk_shim_run_params run;
  lk_shim_run_default_params (&run);
  run.progress = on_progress;
  last_progress = 0;
  CHECK (lk_shim_embed (m, 3, ids, lens, all, &run, &st) == 0, "%s: embeds a batch (%s)", label, st.message);
  CHECK (last_progress == 1.0, "%s: progress reaches 1", label);
  double norm = 0;
  for (int i = 0; i < H; i++)
    norm += all[H + i] * all[H + i];
  CHECK (fabs (sqrt (norm) - 1) < 1e-5, "%s: Normalize gives unit length (%g)", label, sqrt (norm));
  for (int i = 0; i < 3; i++)
    {
      lk_shim_embed (m, 1, &ids[i], &lens[i], one, NULL, &st);
      float d = max_diff (one, all + i * H, H);
      CHECK (d < 1e-5, "%s: text %d alone equals its padded batch row (diff %g)", label, i, d);
    }
  CHECK (max_diff (all, all + H, H) > 1e-3, "%s: different texts differ", label);

  int32_t bad[] = { 2, VOCAB + 5, 3 };
  const int32_t *bad_ids[] = { bad };
  int bad_len[] = { 3 };
  CHECK (lk_shim_embed (m, 1, bad_ids, bad_len, one, NULL, &st) != 0 && st.code == LK_SHIM_ERROR_INVALID
         && strstr (st.message, "vocabulary"), "%s: out-of-vocabulary id (%s)", label, st.message);
  int zero_len[] = { 0 };
  CHECK (lk_shim_embed (m, 1, ids, zero_len, one, NULL, &st) != 0 && st.code == LK_SHIM_ERROR_INVALID,
         "%s: empty token list (%s)", label, st.message);
  int32_t longer[MAXPOS + 2] = { 0 };
  const int32_t *long_ids[] = { longer };
  int long_len[] = { MAXPOS + 2 };
  CHECK (lk_shim_embed (m, 1, long_ids, long_len, one, NULL, &st) != 0 && strstr (st.message, "positions"),
         "%s: too many tokens (%s)", label, st.message);

  run.batch_size = 1;
  run.abort = abort_after_one;
  n_aborts = 0;
  CHECK (lk_shim_embed (m, 3, ids, lens, all, &run, &st) != 0 && st.code == LK_SHIM_ERROR_CANCELLED,
         "%s: abort callback cancels (%s)", label, st.message);

  if (lk_shim_cuda_available ())
    {
      p.device = LK_SHIM_DEVICE_CUDA;
      lk_shim_model *g = lk_shim_model_load (&p, &st);
      float gpu[3 * H];
      lk_shim_embed (m, 3, ids, lens, all, NULL, &st);
      CHECK (g && lk_shim_embed (g, 3, ids, lens, gpu, NULL, &st) == 0, "%s: CUDA embeds (%s)", label, st.message);
      CHECK (g && max_diff (all, gpu, 3 * H) < 1e-4, "%s: CUDA agrees with CPU", label);
      printf ("# %s: device %s\n", label, g ? lk_shim_model_device_name (g) : "?");
      lk_shim_model_free (g);
    }
  lk_shim_model_free (m);
}

static void
check_errors (const char *dir)
{
  char path[512];
  lk_shim_model_params p;
  lk_shim_status st;

  params_for (&p, LK_SHIM_ARCH_BERT, "/nonexistent/model.safetensors");
  CHECK (!lk_shim_model_load (&p, &st) && st.code == LK_SHIM_ERROR_IO, "missing file (%s)", st.message);

  Builder b;
  build (&b, LK_SHIM_ARCH_BERT, "encoder.layer.1.output.dense.weight");
  snprintf (path, sizeof path, "%s/missing.safetensors", dir);
  lk_test_write_safetensors (path, b.t, b.n);
  builder_free (&b);
  params_for (&p, LK_SHIM_ARCH_BERT, path);
  CHECK (!lk_shim_model_load (&p, &st) && st.code == LK_SHIM_ERROR_MISSING_WEIGHT
         && strstr (st.message, "encoder.layer.1.output.dense.weight"), "missing tensor named (%s)", st.message);

  build (&b, LK_SHIM_ARCH_BERT, NULL);
  snprintf (path, sizeof path, "%s/ok.safetensors", dir);
  lk_test_write_safetensors (path, b.t, b.n);
  builder_free (&b);
  params_for (&p, LK_SHIM_ARCH_BERT, path);
  p.intermediate_size = FF * 2;
  CHECK (!lk_shim_model_load (&p, &st) && strstr (st.message, "shape"), "config/weights shape mismatch (%s)", st.message);
  params_for (&p, LK_SHIM_ARCH_BERT, path);
  p.num_heads = 3;
  CHECK (!lk_shim_model_load (&p, &st) && st.code == LK_SHIM_ERROR_INVALID, "heads not dividing hidden (%s)", st.message);
  params_for (&p, LK_SHIM_ARCH_MPNET, path);
  CHECK (!lk_shim_model_load (&p, &st) && st.code == LK_SHIM_ERROR_MISSING_WEIGHT, "BERT weights as MPNet (%s)", st.message);

  /* Truncate a copy of the good file. */
  FILE *in = fopen (path, "rb");
  fseek (in, 0, SEEK_END);
  long size = ftell (in);
  fseek (in, 0, SEEK_SET);
  char *buf = malloc (size);
  size_t got = fread (buf, 1, size, in);
  fclose (in);
  snprintf (path, sizeof path, "%s/truncated.safetensors", dir);
  FILE *out = fopen (path, "wb");
  fwrite (buf, 1, got / 2, out);
  fclose (out);
  free (buf);
  params_for (&p, LK_SHIM_ARCH_BERT, path);
  CHECK (!lk_shim_model_load (&p, &st) && st.code == LK_SHIM_ERROR_FORMAT, "truncated file (%s)", st.message);

  snprintf (path, sizeof path, "%s/model.onnx", dir);
  params_for (&p, LK_SHIM_ARCH_BERT, path);
  CHECK (!lk_shim_model_load (&p, &st) && st.code == LK_SHIM_ERROR_UNSUPPORTED, "unknown format (%s)", st.message);
}

int
main (void)
{
  char dir[] = "/tmp/lk-shim-test-XXXXXX";
  if (!mkdtemp (dir))
    return 1;
  printf ("# libtorch %s, %d threads, CUDA %s\n", lk_shim_libtorch_version (), lk_shim_get_num_threads (),
          lk_shim_cuda_available () ? "available" : "not available (CPU checks only)");
  check_arch (LK_SHIM_ARCH_BERT, "bert", dir);
  check_arch (LK_SHIM_ARCH_MPNET, "mpnet", dir);
  check_arch (LK_SHIM_ARCH_XLMR, "xlmr", dir);
  check_errors (dir);
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", dir);
  return lk_test_done ();
}
