/* test-clip.c — the CLIP towers against transformers: the committed tiny
 * random-weight CLIPModel (tests/golden/tiny/clip, written by
 * tests/oracle/clip_oracle.py) must give the text and image embeddings
 * that transformers gave for the same ids and pixels (golden.txt), alone
 * and in padded batches; plus the errors a bad call must get. */
#include "likeness-shim.h"
#include "shim-test.h"

#include <math.h>

enum { MAXT = 32, MAXLEN = 80, MAXI = 16, S = 32 };

static int n_text, dim, n_image;
static int32_t ids[MAXT][MAXLEN];
static int lens[MAXT];
static float *temb, *pix, *iemb;

static int
read_golden (const char *path)
{
  FILE *f = fopen (path, "r");
  int s, d2;
  if (!f)
    return 0;
  if (fscanf (f, " text %d %d", &n_text, &dim) != 2 || n_text > MAXT)
    goto bad;
  temb = calloc ((size_t) n_text * dim, sizeof (float));
  for (int t = 0; t < n_text; t++)
    {
      if (fscanf (f, "%d", &lens[t]) != 1 || lens[t] > MAXLEN)
        goto bad;
      for (int i = 0; i < lens[t]; i++)
        if (fscanf (f, "%d", &ids[t][i]) != 1)
          goto bad;
      for (int i = 0; i < dim; i++)
        if (fscanf (f, "%f", &temb[t * dim + i]) != 1)
          goto bad;
    }
  if (fscanf (f, " image %d %d %d", &n_image, &s, &d2) != 3 || s != S || d2 != dim || n_image > MAXI)
    goto bad;
  pix = calloc ((size_t) n_image * 3 * S * S, sizeof (float));
  iemb = calloc ((size_t) n_image * dim, sizeof (float));
  for (int m = 0; m < n_image; m++)
    {
      for (int i = 0; i < 3 * S * S; i++)
        if (fscanf (f, "%f", &pix[(size_t) m * 3 * S * S + i]) != 1)
          goto bad;
      for (int i = 0; i < dim; i++)
        if (fscanf (f, "%f", &iemb[m * dim + i]) != 1)
          goto bad;
    }
  fclose (f);
  return 1;
bad:
  fclose (f);
  return 0;
}

static float
max_diff (const float *a, const float *b, size_t n)
{
  float m = 0;
  for (size_t i = 0; i < n; i++)
    m = fmaxf (m, fabsf (a[i] - b[i]));
  return m;
}

/* Σ_i U[d, i] against e[d] (or e − e_ref): the largest relative gap. */
static double
conservation_gap (const float *u, const float *e, const float *e_ref, int d, int s)
{
  double worst = 0, scale = 0;
  for (int k = 0; k < d; k++)
    scale = fmax (scale, fabs (e[k] - (e_ref ? e_ref[k] : 0)));
  for (int k = 0; k < d; k++)
    {
      double sum = 0;
      for (int i = 0; i < s; i++)
        sum += u[k * s + i];
      worst = fmax (worst, fabs (sum - (e[k] - (e_ref ? e_ref[k] : 0))) / scale);
    }
  return worst;
}

/* One tower's input: the image pix[0] or the text ids[1]. */
static int
contrib (lk_shim_model *m, int vision, const lk_shim_contrib_params *cp, float *u, float *e, float *e_ref,
         lk_shim_ad_mode *mode, lk_shim_status *st)
{
  lk_shim_contrib_input in = { .tower = vision ? LK_SHIM_TOWER_IMAGE : LK_SHIM_TOWER_TEXT,
                               .ids = vision ? NULL : ids[1], .pixels = vision ? pix : NULL,
                               .n_tokens = vision ? lk_shim_clip_num_image_tokens (m) : lens[1] };
  lk_shim_contrib_output out = { .u = u, .e = e, .e_ref = e_ref };
  int rc = lk_shim_contributions (m, &in, cp, &out, st);
  if (mode)
    *mode = out.mode_used;
  return rc;
}

/* max |a − b| / max |b| */
static double
rel_diff (const float *a, const float *b, size_t n)
{
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++)
    {
      num = fmax (num, fabs (a[i] - b[i]));
      den = fmax (den, fabs (b[i]));
    }
  return num / fmax (den, 1e-12);
}

/* The contribution engine on both towers: BiLRP's zero-bias conservation
 * (Σ_i U = e exactly when the LRP graph is linear in its input), IJ's
 * completeness from a zero reference (Σ_i U ≈ e − e(0)), and e = the
 * embedding. */
static void
check_contributions (lk_shim_model *m)
{
  int ni = lk_shim_clip_num_image_tokens (m);
  float *u = calloc ((size_t) dim * (ni > MAXLEN ? ni : MAXLEN), sizeof (float));
  float e[64], e_ref[64];
  lk_shim_contrib_params cp;
  lk_shim_status st;
  lk_shim_ad_mode mode;

  CHECK (ni == (S / 8) * (S / 8) + 1, "an image has %d tokens: 16 patches + the class token", ni);
  CHECK (lk_shim_model_num_layers_of (m, LK_SHIM_TOWER_TEXT) == 2 && lk_shim_model_num_layers_of (m, LK_SHIM_TOWER_IMAGE) == 2
         && lk_shim_model_num_layers (m) == 2, "2 + 2 layers");
  for (int vision = 0; vision < 2; vision++)
    for (int layer = 0; layer <= 2; layer += 1)
      {
        const char *what = vision ? "image" : "text";
        int n = vision ? ni : lens[1];
        lk_shim_contrib_default_params (&cp);
        cp.graph = LK_SHIM_GRAPH_LRP;
        cp.zero_biases = 1;
        cp.layer = layer;
        cp.max_batch = 5;
        cp.mode = LK_SHIM_AD_REVERSE;
        int rc = contrib (m, vision, &cp, u, e, NULL, &mode, &st);
        CHECK (rc == 0 && mode == LK_SHIM_AD_REVERSE, "%s, layer %d: BiLRP runs (%s)", what, layer, st.message);
        double gap = conservation_gap (u, e, NULL, dim, n);
        CHECK (gap < 1e-4, "%s, layer %d, zero biases: sum of U = e (relative gap %.2g)", what, layer, gap);
      }
  for (int vision = 0; vision < 2; vision++)
    {
      const char *what = vision ? "image" : "text";
      int n = vision ? ni : lens[1];
      lk_shim_contrib_default_params (&cp);
      cp.n_steps = 32;
      cp.quadrature = LK_SHIM_QUAD_GAUSS;
      int rc = contrib (m, vision, &cp, u, e, e_ref, NULL, &st);
      CHECK (rc == 0, "%s: IJ from zero, 32 nodes (%s)", what, st.message);
      double gap = conservation_gap (u, e, e_ref, dim, n);
      CHECK (gap < 1e-3, "%s: sum of U = e - e(0) (relative gap %.2g)", what, gap);
      float d = max_diff (e, vision ? iemb : temb + dim, dim);
      CHECK (d <= 1e-5, "%s: e is the embedding (max |diff| %g)", what, d);
      lk_shim_contrib_default_params (&cp);
      rc = contrib (m, vision, &cp, u, e, NULL, NULL, &st);
      gap = conservation_gap (u, e, NULL, dim, n);
      CHECK (rc == 0 && gap > 1e-3, "%s: H×P on the plain graph does not conserve (gap %.2g): the check can fail", what, gap);
    }
  lk_shim_contrib_input in = { .tower = LK_SHIM_TOWER_IMAGE, .pixels = pix, .n_tokens = ni - 1 };
  lk_shim_contrib_output out = { .u = u };
  lk_shim_contrib_default_params (&cp);
  int rc = lk_shim_contributions (m, &in, &cp, &out, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_INVALID && strstr (st.message, "17 tokens"),
         "wrong image token count (%s)", st.message);
  in.n_tokens = ni;
  cp.reference_ids = ids[1];
  rc = lk_shim_contributions (m, &in, &cp, &out, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_INVALID && strstr (st.message, "no reference ids"),
         "an image takes no reference ids (%s)", st.message);
  in.pixels = NULL;
  cp.reference_ids = NULL;
  rc = lk_shim_contributions (m, &in, &cp, &out, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_INVALID, "the vision tower without pixels (%s)", st.message);
  cp.layer = 3;
  rc = contrib (m, 0, &cp, u, e, NULL, NULL, &st);
  CHECK (rc != 0 && st.code == LK_SHIM_ERROR_INVALID && strstr (st.message, "layer 3"), "layer out of range (%s)", st.message);
  free (u);
}

/* Forward mode (libtorch's forward-mode AD through each CLIP tower) and
 * reverse mode give the same U and e, on both graphs, at a point and on
 * a path, with the passes split in several ways. */
static void
check_modes (lk_shim_model *m)
{
  int ni = lk_shim_clip_num_image_tokens (m);
  size_t cap = (size_t) dim * (ni > MAXLEN ? ni : MAXLEN);
  float *uf = calloc (cap, sizeof (float)), *ur = calloc (cap, sizeof (float));
  float ef[64], er[64], rf[64], rr[64];
  int32_t ref[MAXLEN];
  lk_shim_contrib_params cp;
  lk_shim_status st;
  lk_shim_ad_mode mode;
  static const struct {
    const char *name;
    lk_shim_graph graph;
    int layer, steps, zero_biases, max_forward, max_reverse;
  } cases[] = {
    { "H×P", LK_SHIM_GRAPH_PLAIN, 0, 1, 0, 0, 0 },
    { "H×P at layer 1, passes of 3 and 5", LK_SHIM_GRAPH_PLAIN, 1, 1, 0, 3, 5 },
    { "BiLRP", LK_SHIM_GRAPH_LRP, 0, 1, 0, 0, 0 },
    { "BiLRP with zero biases", LK_SHIM_GRAPH_LRP, 1, 1, 1, 4, 7 },
    { "IJ, 8 Gauss nodes", LK_SHIM_GRAPH_PLAIN, 1, 8, 0, 0, 0 },
    { "IJ, 8 Gauss nodes, passes of 3", LK_SHIM_GRAPH_PLAIN, 2, 8, 0, 3, 3 },
  };

  ref[0] = ids[1][0];
  for (int i = 1; i < lens[1]; i++)
    ref[i] = i == lens[1] - 1 ? ids[1][i] : 0;
  for (int vision = 0; vision < 2; vision++)
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
      {
        const char *what = vision ? "image" : "text";
        size_t n = (size_t) dim * (vision ? ni : lens[1]);
        lk_shim_contrib_default_params (&cp);
        cp.graph = cases[c].graph;
        cp.layer = cases[c].layer;
        cp.n_steps = cases[c].steps;
        cp.quadrature = LK_SHIM_QUAD_GAUSS;
        cp.zero_biases = cases[c].zero_biases;
        cp.reference_ids = cases[c].steps > 1 && !vision ? ref : NULL;
        cp.mode = LK_SHIM_AD_FORWARD;
        cp.max_batch = cases[c].max_forward;
        int rc = contrib (m, vision, &cp, uf, ef, rf, &mode, &st);
        CHECK (rc == 0 && mode == LK_SHIM_AD_FORWARD, "%s, %s: forward mode runs (%s)", what, cases[c].name, st.message);
        cp.mode = LK_SHIM_AD_REVERSE;
        cp.max_batch = cases[c].max_reverse;
        rc = contrib (m, vision, &cp, ur, er, rr, &mode, &st);
        CHECK (rc == 0 && mode == LK_SHIM_AD_REVERSE, "%s, %s: reverse mode runs (%s)", what, cases[c].name, st.message);
        double du = rel_diff (uf, ur, n);
        CHECK (du < 1e-5, "%s, %s: forward U = reverse U (rel %.2g)", what, cases[c].name, du);
        CHECK (max_diff (ef, er, dim) == 0 && max_diff (rf, rr, dim) == 0, "%s, %s: the same e and e_ref", what,
               cases[c].name);
      }
  /* auto: forward mode when S < D. */
  lk_shim_contrib_default_params (&cp);
  int rc = contrib (m, 0, &cp, uf, NULL, NULL, &mode, &st);
  CHECK (rc == 0 && mode == (lens[1] < dim ? LK_SHIM_AD_FORWARD : LK_SHIM_AD_REVERSE),
         "text: auto picks %s mode for %d tokens and %d dimensions", lens[1] < dim ? "forward" : "reverse", lens[1], dim);
  rc = contrib (m, 1, &cp, uf, NULL, NULL, &mode, &st);
  CHECK (rc == 0 && mode == (ni < dim ? LK_SHIM_AD_FORWARD : LK_SHIM_AD_REVERSE),
         "image: auto picks %s mode for %d tokens and %d dimensions", ni < dim ? "forward" : "reverse", ni, dim);
  free (uf);
  free (ur);
}

static void
tiny_params (lk_shim_model_params *p, const char *weights)
{
  lk_shim_model_default_params (p);
  p->arch = LK_SHIM_ARCH_CLIP;
  p->weights_path = weights;
  p->vocab_size = 2514;
  p->hidden_size = 32;
  p->num_layers = 2;
  p->num_heads = 4;
  p->intermediate_size = 64;
  p->max_position_embeddings = 77;
  p->layer_norm_eps = 1e-5;
  p->hidden_act = LK_SHIM_ACT_QUICK_GELU;
  p->projection_dim = 16;
  p->eos_token_id = 2;
  p->vision_hidden_size = 32;
  p->vision_num_layers = 2;
  p->vision_num_heads = 4;
  p->vision_intermediate_size = 64;
  p->image_size = 32;
  p->patch_size = 8;
  p->vision_layer_norm_eps = 1e-5;
  p->vision_hidden_act = LK_SHIM_ACT_QUICK_GELU;
  p->device = LK_SHIM_DEVICE_CPU;
}

int
main (void)
{
  const char *src = getenv ("LK_SRCDIR");
  char golden[1024], weights[1024];
  snprintf (golden, sizeof golden, "%s/tests/golden/tiny/clip/golden.txt", src ? src : ".");
  snprintf (weights, sizeof weights, "%s/tests/golden/tiny/clip/model.safetensors", src ? src : ".");
  int read_ok = read_golden (golden);  /* CHECK evaluates its condition twice */
  CHECK (read_ok, "reads %s", golden);
  if (lk_test_failed)
    return lk_test_done ();

  lk_shim_model_params p;
  lk_shim_status st;
  tiny_params (&p, weights);
  lk_shim_model *m = lk_shim_model_load (&p, &st);
  CHECK (m != NULL, "loads the tiny CLIPModel (%s)", st.message);
  if (!m)
    return lk_test_done ();
  CHECK (lk_shim_model_embedding_dim (m) == dim, "embedding dim is the projection dim %d", dim);
  CHECK (lk_shim_model_image_size (m) == S, "image size %d", S);

  /* Text tower: one batch (padded, sorted by length) and each text alone. */
  float *out = calloc ((size_t) n_text * dim, sizeof (float));
  const int32_t *idp[MAXT];
  for (int t = 0; t < n_text; t++)
    idp[t] = ids[t];
  CHECK (lk_shim_embed (m, n_text, idp, lens, out, NULL, &st) == 0, "embeds %d texts (%s)", n_text, st.message);
  float d = max_diff (out, temb, (size_t) n_text * dim);
  CHECK (d <= 1e-5, "text embeddings in a padded batch = transformers (max |diff| %g)", d);
  float worst = 0;
  for (int t = 0; t < n_text; t++)
    {
      lk_shim_embed (m, 1, &idp[t], &lens[t], out, NULL, &st);
      worst = fmaxf (worst, max_diff (out, temb + t * dim, dim));
    }
  CHECK (worst <= 1e-5, "each text alone = transformers (max |diff| %g)", worst);

  /* Vision tower. */
  float *iout = calloc ((size_t) n_image * dim, sizeof (float));
  CHECK (lk_shim_embed_images (m, n_image, pix, iout, NULL, &st) == 0, "embeds %d images (%s)", n_image, st.message);
  d = max_diff (iout, iemb, (size_t) n_image * dim);
  CHECK (d <= 1e-5, "image embeddings = transformers (max |diff| %g)", d);
  lk_shim_run_params run;
  lk_shim_run_default_params (&run);
  run.batch_size = 3;
  CHECK (lk_shim_embed_images (m, n_image, pix, iout, &run, &st) == 0, "in batches of 3 (%s)", st.message);
  d = max_diff (iout, iemb, (size_t) n_image * dim);
  CHECK (d <= 1e-5, "batches of 3 = transformers (max |diff| %g)", d);

  /* Errors. */
  int32_t bad[] = { 2512, 99999, 2513 };
  const int32_t *bad_ids[] = { bad };
  int bad_len[] = { 3 };
  CHECK (lk_shim_embed (m, 1, bad_ids, bad_len, out, NULL, &st) != 0 && st.code == LK_SHIM_ERROR_INVALID
         && strstr (st.message, "vocabulary"), "out-of-vocabulary id (%s)", st.message);
  int32_t longer[78] = { 0 };
  const int32_t *long_ids[] = { longer };
  int long_len[] = { 78 };
  CHECK (lk_shim_embed (m, 1, long_ids, long_len, out, NULL, &st) != 0 && strstr (st.message, "positions"),
         "78 tokens exceed 77 positions (%s)", st.message);
  check_contributions (m);
  check_modes (m);
  lk_shim_model_free (m);

  tiny_params (&p, weights);
  p.patch_size = 7;
  m = lk_shim_model_load (&p, &st);
  CHECK (m == NULL && st.code == LK_SHIM_ERROR_INVALID && strstr (st.message, "patch_size"),
         "image size not a multiple of the patch (%s)", st.message);
  tiny_params (&p, weights);
  p.vision_hidden_size = 48;
  p.vision_num_heads = 4;
  m = lk_shim_model_load (&p, &st);
  CHECK (m == NULL && st.code == LK_SHIM_ERROR_MISSING_WEIGHT && strstr (st.message, "class_embedding"),
         "a vision width the weights do not have (%s)", st.message);

  free (out);
  free (iout);
  free (temb);
  free (pix);
  free (iemb);
  return lk_test_done ();
}
