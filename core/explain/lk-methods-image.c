/* lk-methods-image.c — patch × word interactions: IJ, BiLRP and H×P across
 * CLIP's two towers. U_image (D × (1 + grid²): the class token, then the
 * patches row by row) and U_caption (D × tokens) come from the shim's
 * contribution engine on each tower; the matrix is U_imageᵀ U_caption,
 * scaled like the text methods' (÷ ‖e_img‖‖e_txt‖ for cos). */
#include "config.h"

#include <math.h>

#include "lk-error.h"
#include "lk-json.h"
#include "lk-methods.h"
#include "lk-methods-private.h"
#include "lk-model-private.h"
#include "lk-provenance.h"

typedef LkMethodsProgress Progress;

/* One tower's U, e and e_ref. */
typedef struct {
  int    n;       /* tokens */
  int    layer;
  float *u;       /* D × n */
  float *e;
  float *e_ref;
} Tower;

static void
tower_clear (Tower *t)
{
  g_clear_pointer (&t->u, g_free);
  g_clear_pointer (&t->e, g_free);
  g_clear_pointer (&t->e_ref, g_free);
}

static gboolean
run_tower (LkModel *model, Tower *t, const gint32 *ids, const gint32 *ref, const float *pixels,
           const LkExplainParams *p, Progress *prog, GError **error)
{
  lk_shim_contrib_input in = { .tower = pixels ? LK_SHIM_TOWER_IMAGE : LK_SHIM_TOWER_TEXT, .ids = pixels ? NULL : ids,
                               .pixels = pixels, .n_tokens = t->n };
  lk_shim_contrib_output out;
  lk_shim_contrib_params cp;
  lk_shim_status st;
  int d = lk_model_get_dim (model);

  lk_methods_contrib_params (&cp, p, t->layer, ref, prog);  /* ref: NULL for the image, its reference is zero */
  cp.mode = (lk_shim_ad_mode) p->ad_mode;
  t->u = g_new (float, (gsize) d * t->n);
  t->e = g_new (float, d);
  t->e_ref = g_new (float, d);
  out = (lk_shim_contrib_output) { .u = t->u, .e = t->e, .e_ref = t->e_ref };
  if (lk_shim_contributions (lk_model_get_shim (model), &in, &cp, &out, &st) != 0)
    return lk_methods_shim_failed (&st, error);
  return TRUE;
}

static const char *
token_content (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  if (n && JSON_NODE_HOLDS_OBJECT (n))
    return json_object_get_string_member_with_default (json_node_get_object (n), "content", NULL);
  return NULL;
}

/* CLIP's tokenizer.json has no padding section: its padding token lives in
 * special_tokens_map.json, and is the end-of-text token for OpenAI's CLIP
 * (then the caption's last token). −1 when it cannot be told. */
static gint32
clip_pad_id (LkModel *model, const LkEncoding *enc)
{
  g_autofree char *path = g_build_filename (lk_model_get_path (model), "special_tokens_map.json", NULL);
  g_autoptr(JsonNode) root = NULL;
  const char *pad, *eos;

  if (enc->n_tokens == 0 || !enc->special[enc->n_tokens - 1] || (root = lk_json_parse_file (path, NULL)) == NULL)
    return -1;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return -1;
  pad = token_content (json_node_get_object (root), "pad_token");
  eos = token_content (json_node_get_object (root), "eos_token");
  return pad && eos && g_str_equal (pad, eos) ? enc->ids[enc->n_tokens - 1] : -1;
}

static int
tower_layer (const LkExplainParams *p, int n_layers)
{
  if (p->layer >= 0)
    return p->layer;
  return p->method == LK_METHOD_IJ ? MAX (n_layers - 2, 0) : 0;
}

static void
set_params (LkExplanation *x, const LkExplainParams *p, const Tower *img, const Tower *txt, LkModel *model)
{
  JsonObject *o = lk_explanation_get_params (x);
  g_autofree char *reference = g_strdup_printf ("caption: %s; image: zero hidden state",
                                                lk_methods_reference_description (p));

  json_object_set_int_member (o, "layer", txt->layer);
  json_object_set_int_member (o, "image_layer", img->layer);
  lk_methods_set_params (x, p, model, reference,
                         p->ad_mode == LK_AD_FORWARD ? "forward" : p->ad_mode == LK_AD_REVERSE ? "reverse" : "auto");
}

/* Map pixels per patch side in "saliency_map": enough to place the centre
 * crop's edges on a non-square photo to a quarter patch. */
#define MAP_SUB 4

/* "saliency_map" for the saliency view (lk-render-saliency.c): over the
 * whole photo (its aspect), each patch's interaction with one caption word,
 * zero outside the centre crop the vision tower saw. "values" is the
 * default word's map (the caption word, specials excluded, with the largest
 * sum over the patches), "maps" every caption word's, in words.b's order. */
static void
add_saliency_map (LkExplanation *x, const LkImage *image, const char *absolute, guint grid)
{
  const LkMatrix *wm = lk_explanation_get_word_matrix (x);
  JsonObject *o = lk_explanation_get_extra (x, "saliency_map");
  JsonArray *maps = json_array_new ();
  guint nw = wm->cols, side = MIN (image->width, image->height);
  guint mw = MAX (1, (guint) lround ((double) grid * MAP_SUB * image->width / side));
  guint mh = MAX (1, (guint) lround ((double) grid * MAP_SUB * image->height / side));
  double x0 = (image->width - side) / 2.0, y0 = (image->height - side) / 2.0;
  g_autofree int *cell = g_new (int, (gsize) mw * mh);  /* the patch's word row, −1 outside the crop */
  int best = -1;
  double best_sum = -INFINITY;

  if (wm->data == NULL)
    return;
  for (guint my = 0; my < mh; my++)
    for (guint mx = 0; mx < mw; mx++)
      {
        double ox = (mx + 0.5) * image->width / mw - x0, oy = (my + 0.5) * image->height / mh - y0;
        int k = -1;
        if (ox >= 0 && oy >= 0 && ox < side && oy < side)
          {
            guint c = MIN (grid - 1, (guint) (ox / side * grid)), r = MIN (grid - 1, (guint) (oy / side * grid));
            k = (int) lk_explanation_token_word (x, 0, 1 + r * grid + c);
          }
        cell[(gsize) my * mw + mx] = k;
      }
  for (guint w = 0; w < nw; w++)
    {
      double sum = 0;
      for (guint i = 1; i <= grid * grid; i++)
        sum += wm->data[(gsize) lk_explanation_token_word (x, 0, i) * nw + w];
      if (!lk_explanation_word_is_special (x, 1, w) && sum > best_sum)
        best = (int) w, best_sum = sum;
    }
  if (best < 0)
    best = 0;
  for (guint w = 0; w < nw; w++)
    {
      JsonObject *e = json_object_new ();
      JsonArray *v = json_array_sized_new (mw * mh);
      g_autofree char *word = lk_explanation_dup_word (x, 1, w);
      for (gsize q = 0; q < (gsize) mw * mh; q++)
        json_array_add_double_element (v, cell[q] < 0 ? 0 : wm->data[(gsize) cell[q] * nw + w]);
      json_object_set_string_member (e, "word", word);
      if (w == (guint) best)
        json_object_set_array_member (o, "values", json_array_ref (v));
      json_object_set_array_member (e, "values", v);
      json_array_add_object_element (maps, e);
    }
  json_object_set_int_member (o, "width", mw);
  json_object_set_int_member (o, "height", mh);
  json_object_set_string_member (o, "image", absolute);
  json_object_set_int_member (o, "word", best);
  json_object_set_string_member (o, "unit", "patch");
  json_object_set_array_member (o, "maps", maps);
}

LkExplanation *
lk_explain_image (LkModel                *model,
                  const char             *image_path,
                  const char             *caption,
                  const LkExplainParams  *params,
                  LkProgressFunc          progress,
                  gpointer                progress_data,
                  GCancellable           *cancellable,
                  GError                **error)
{
  g_autoptr(LkExplanation) x = NULL;
  g_autoptr(LkEncoding) enc = NULL;
  g_autoptr(LkImage) image = NULL;
  g_autofree char *absolute = NULL, *base = NULL, *sha = NULL;
  g_autofree float *pixels = NULL;
  g_autofree gint32 *ref = NULL;
  LkExplainParams p = *params;
  Progress prog = { .cancellable = cancellable, .progress = progress, .data = progress_data, .offset = 0, .scale = 0.5 };
  Tower img = { 0 }, txt = { 0 };
  LkIjAdaptive choice = { 0 };
  double start = 0;
  lk_shim_model *shim;
  LkMatrix m = { 0 };
  JsonObject *io, *grid_o;
  gint64 t0 = g_get_monotonic_time ();
  guint size, grid;
  int d, n_img_layers, n_txt_layers;
  double norm;
  gboolean ok = FALSE;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  g_return_val_if_fail (image_path != NULL && params != NULL, NULL);

  if (!lk_method_is_attribution (lk_method_info (p.method)) ||
      !(lk_method_info (p.method)->inputs & LK_INPUTS_IMAGE_CAPTION))
    {
      g_autofree char *takers = lk_method_names_with (LK_INPUTS_IMAGE_CAPTION, TRUE);
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "method '%s' has no patch × word form: an image and a caption take %s "
                   "(or distance, for a saliency map)", lk_method_to_string (p.method), takers);
      return NULL;
    }
  if (!lk_methods_require_vision (model, error))
    return NULL;
  if (caption == NULL || *caption == '\0')
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "the caption is empty: there is nothing to explain");
      return NULL;
    }
  if (!lk_methods_check_steps (&p, error))
    return NULL;
  shim = lk_model_get_shim (model);
  n_img_layers = lk_shim_model_num_layers_of (shim, LK_SHIM_TOWER_IMAGE);
  n_txt_layers = lk_shim_model_num_layers_of (shim, LK_SHIM_TOWER_TEXT);
  img.layer = tower_layer (&p, n_img_layers);
  txt.layer = tower_layer (&p, n_txt_layers);
  if (img.layer > n_img_layers || txt.layer > n_txt_layers)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "layer %d is out of range: %s has layers 0 to %d (vision) and 0 to %d (text)",
                   p.layer, lk_model_get_id (model), n_img_layers, n_txt_layers);
      return NULL;
    }

  absolute = g_canonicalize_filename (image_path, NULL);
  if ((image = lk_image_load_for_model (image_path, lk_model_get_image_size (model), error)) == NULL || (enc = lk_model_tokenize_named (model, caption, "the caption", error)) == NULL)
    return NULL;
  size = lk_model_get_image_size (model);
  pixels = g_new (float, (gsize) 3 * size * size);
  if (!lk_model_preprocess_image (model, image, pixels, error))
    return NULL;
  img.n = lk_shim_clip_num_image_tokens (shim);
  grid = (guint) lround (sqrt (img.n - 1));
  if (grid * grid + 1 != (guint) img.n)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BACKEND, "%s: %d image tokens is not a square grid plus the class token",
                   lk_model_get_id (model), img.n);
      return NULL;
    }
  txt.n = enc->n_tokens;
  if (p.method == LK_METHOD_IJ)
    {
      g_autoptr(GError) local = NULL;
      gint32 pad = lk_methods_reference_token (model, &p, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      if (pad < 0 && p.reference == LK_REFERENCE_PAD)
        pad = clip_pad_id (model, enc);
      if ((ref = lk_methods_reference_ids (model, enc, pad, error)) == NULL)
        return NULL;
    }

  d = lk_model_get_dim (model);
  if (p.method == LK_METHOD_IJ && p.quadrature == LK_QUADRATURE_ADAPTIVE)
    {
      LkIjPathInput sides[2] = {
        { { .tower = LK_SHIM_TOWER_IMAGE, .pixels = pixels, .n_tokens = img.n }, img.layer, NULL },
        { { .tower = LK_SHIM_TOWER_TEXT, .ids = enc->ids, .n_tokens = txt.n }, txt.layer, ref },
      };
      prog.scale = LK_IJ_ADAPTIVE_PROGRESS;
      if (!lk_ij_adaptive_choose (model, sides, &p, &prog, &choice, error))
        goto out;
      start = LK_IJ_ADAPTIVE_PROGRESS;
    }
  prog.offset = start;
  prog.scale = (1 - start) / 2;
  if (!run_tower (model, &img, NULL, NULL, pixels, &p, &prog, error) ||
      !lk_methods_check_engine (img.e, img.u, d, img.n, "the image", error))
    goto out;
  prog.offset = start + prog.scale;
  if (!run_tower (model, &txt, enc->ids, ref, NULL, &p, &prog, error) ||
      !lk_methods_check_engine (txt.e, txt.u, d, txt.n, "the caption", error))
    goto out;
  norm = lk_methods_norm (&p, img.e, txt.e, d);
  lk_methods_pair_matrix (img.u, img.n, txt.u, txt.n, d, norm, &m);

  x = lk_explanation_new (lk_method_to_string (p.method));
  lk_explanation_set_text (x, 0, absolute);
  lk_explanation_set_text (x, 1, caption);
  {
    LkToken t = { "[CLS]", 0, 0, TRUE, -1 };
    lk_explanation_add_token (x, 0, &t);
    for (guint r = 0; r < grid; r++)
      for (guint c = 0; c < grid; c++)
        {
          g_autofree char *name = g_strdup_printf ("p(%u,%u)", r, c);
          LkToken pt = { name, 0, 0, FALSE, (int) (r * grid + c) };
          lk_explanation_add_token (x, 0, &pt);
        }
    lk_methods_add_tokens (x, 1, model, enc);
  }
  set_params (x, &p, &img, &txt, model);
  json_object_set_boolean_member (lk_explanation_get_extra (x, "truncated"), "b", enc->truncated);
  lk_explanation_take_matrix (x, &m);
  lk_methods_set_scores (x, img.e, img.e_ref, txt.e, txt.e_ref, d, &p, norm);
  if (choice.probed)
    lk_ij_adaptive_record (x, params, &choice);

  io = lk_explanation_get_extra (x, "image");
  base = g_path_get_basename (image_path);
  json_object_set_string_member (io, "path", base);
  json_object_set_string_member (io, "absolute_path", absolute);
  if ((sha = lk_file_sha256 (image_path, NULL)) != NULL)
    json_object_set_string_member (io, "sha256", sha);
  json_object_set_int_member (io, "width", image->file_width);
  json_object_set_int_member (io, "height", image->file_height);
  json_object_set_int_member (io, "size", size);
  json_object_set_int_member (io, "patch_size", size / grid);
  grid_o = json_object_new ();
  json_object_set_int_member (grid_o, "rows", grid);
  json_object_set_int_member (grid_o, "cols", grid);
  json_object_set_object_member (io, "grid", grid_o);
  json_object_set_boolean_member (io, "class_token", TRUE);
  json_object_set_string_member (io, "crop", "shortest side resized to size, centre crop of size × size");
  add_saliency_map (x, image, absolute, grid);
  json_object_set_double_member (lk_explanation_get_extra (x, "timings"), "explain_seconds",
                                 (g_get_monotonic_time () - t0) / 1e6);
  ok = TRUE;
out:
  lk_ij_adaptive_clear (&choice);
  g_free (m.data);  /* NULL once taken */
  tower_clear (&img);
  tower_clear (&txt);
  return ok ? g_steal_pointer (&x) : NULL;
}
