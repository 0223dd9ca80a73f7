/* test-encoder.c — loads small random-weight encoders of each architecture
 * in their real tensor layouts and checks the properties the embedding path
 * must have (padding invariance, order, normalisation, errors, cancelling,
 * CPU/CUDA agreement when a GPU is present). Parity with transformers on
 * the committed tiny models is checked by the core's tests. */
#include "likeness-shim.h"
#include "shim-test-model.h"

#include <math.h>
#include <unistd.h>

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
    {
      printf ("Bail out! cannot make the folder %s\n", dir);
      return 1;
    }
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
