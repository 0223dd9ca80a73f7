/* lk-methods.c — IJ, BiLRP, H×P and alignment over the contribution engine. */
#include "config.h"

#include <math.h>

#include "lk-backend.h"
#include "lk-error.h"
#include "lk-methods.h"
#include "lk-methods-private.h"
#include "lk-model-private.h"
#include "lk-provenance.h"

void
lk_explain_params_init (LkExplainParams *p, LkMethod method)
{
  memset (p, 0, sizeof *p);
  /* the registry's defaults (lk-method-info.c) */
  p->method = method;
  p->layer = (int) lk_param_info (LK_PARAM_LAYER)->default_value;
  p->steps = (int) lk_param_info (LK_PARAM_STEPS)->default_value;
  p->quadrature = (LkQuadrature) lk_param_info (LK_PARAM_QUADRATURE)->default_value;
  p->tolerance = lk_param_info (LK_PARAM_TOLERANCE)->default_value;
  p->max_steps = (int) lk_param_info (LK_PARAM_MAX_STEPS)->default_value;
  p->reference = (LkReference) lk_param_info (LK_PARAM_REFERENCE)->default_value;
  p->measure = (LkMeasure) lk_param_info (LK_PARAM_MEASURE)->default_value;
  p->ad_mode = (LkAdMode) lk_param_info (LK_PARAM_AD_MODE)->default_value;
  p->seed = (guint) lk_param_info (LK_PARAM_SEED)->default_value;
}

typedef struct {
  LkEncoding *enc;
  float      *u;      /* D × S */
  float      *e;      /* D: the embedding before Normalize */
  float      *e_ref;  /* D */
  int         d;
} Side;

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->enc, lk_encoding_free);
  g_clear_pointer (&s->u, g_free);
  g_clear_pointer (&s->e, g_free);
  g_clear_pointer (&s->e_ref, g_free);
}

typedef LkMethodsProgress Progress;

static void
engine_progress (double f, void *user_data)
{
  Progress *p = user_data;
  if (p->progress)
    p->progress (p->offset + p->scale * f, p->data);
}

void
lk_methods_contrib_params (lk_shim_contrib_params *cp, const LkExplainParams *p, int layer, const gint32 *ref,
                           LkMethodsProgress *prog)
{
  lk_shim_contrib_default_params (cp);
  cp->layer = layer;
  cp->graph = p->method == LK_METHOD_BILRP ? LK_SHIM_GRAPH_LRP : LK_SHIM_GRAPH_PLAIN;
  cp->zero_biases = p->zero_biases;
  cp->quadrature = p->quadrature == LK_QUADRATURE_GAUSS ? LK_SHIM_QUAD_GAUSS : LK_SHIM_QUAD_RIEMANN;
  cp->progress = engine_progress;
  cp->abort = lk_backend_abort;
  cp->user_data = prog;
  if (p->method == LK_METHOD_IJ)
    {
      cp->reference_ids = ref;
      cp->n_steps = p->steps;
    }
}

gboolean
lk_methods_shim_failed (const lk_shim_status *st, GError **error)
{
  return lk_backend_set_error (st, NULL, "The explanation was cancelled", error);
}

gint32 *
lk_methods_reference_ids (LkModel *model, const LkEncoding *enc, gint32 pad, GError **error)
{
  gint32 *ref;

  if (pad < 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                   "%s: the tokenizer has no padding token to build IJ's reference from", lk_model_get_id (model));
      return NULL;
    }
  ref = g_new (gint32, enc->n_tokens);
  for (guint i = 0; i < enc->n_tokens; i++)
    ref[i] = enc->special[i] ? enc->ids[i] : pad;
  return ref;
}

gint32
lk_methods_reference_token (LkModel *model, const LkExplainParams *p, GError **error)
{
  LkTokenizer *tok = lk_model_get_tokenizer (model);
  gint32 id;

  if (p->reference != LK_REFERENCE_MASK)
    return lk_tokenizer_get_special_id (tok, LK_SPECIAL_PAD);  /* checked by lk_methods_reference_ids () */
  if ((id = lk_tokenizer_get_special_id (tok, LK_SPECIAL_MASK)) < 0)
    g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
                 "reference mask: the tokenizer of %s has no mask token (use reference pad)", lk_model_get_id (model));
  return id;
}

/* The reference ids for @enc, with one error whichever step fails. */
static gint32 *
reference_ids (LkModel *model, const LkEncoding *enc, const LkExplainParams *p, GError **error)
{
  g_autoptr(GError) local = NULL;
  gint32 id = lk_methods_reference_token (model, p, &local);

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return lk_methods_reference_ids (model, enc, id, error);
}

const char *
lk_methods_reference_description (const LkExplainParams *p)
{
  return p->reference == LK_REFERENCE_MASK ? "specials kept, other tokens replaced by the mask token"
                                           : "specials kept, other tokens replaced by the padding token";
}

gboolean
lk_methods_check_steps (LkExplainParams *p, GError **error)
{
  if (p->method == LK_METHOD_IJ && p->quadrature == LK_QUADRATURE_ADAPTIVE)
    {
      if (p->steps != 0)
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                     "%d steps: the adaptive rule chooses its nodes (give max_steps, or a fixed rule)", p->steps);
      else if (!(p->tolerance >= 1e-7 && p->tolerance <= 1))
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "tolerance %g: expected 1e-07 to 1", p->tolerance);
      else if (p->max_steps < 1 || p->max_steps > 10000)
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%d max_steps: expected 1 to 10000", p->max_steps);
      else
        return TRUE;
      return FALSE;
    }
  if (p->method == LK_METHOD_IJ && p->steps == 0)
    p->steps = p->quadrature == LK_QUADRATURE_GAUSS ? LK_IJ_DEFAULT_STEPS_GAUSS : LK_IJ_DEFAULT_STEPS_RIEMANN;
  if (p->method == LK_METHOD_IJ && (p->steps < 1 || p->steps > 10000))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%d steps: expected 1 to 10000", p->steps);
      return FALSE;
    }
  return TRUE;
}

gboolean
lk_methods_require_vision (LkModel *model, GError **error)
{
  if (lk_model_has_vision (model))
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_UNSUPPORTED,
               "%s has no vision tower: image–caption pairs need a CLIP model", lk_model_get_id (model));
  return FALSE;
}

static gboolean
run_engine_full (LkModel *model, Side *s, const LkExplainParams *p, int layer, const float *cotangents,
                 int n_cotangents, Progress *prog, GError **error)
{
  lk_shim_model *shim = lk_model_get_shim (model);
  g_autofree gint32 *ref = NULL;
  lk_shim_contrib_input in = { .tower = LK_SHIM_TOWER_TEXT, .ids = s->enc->ids, .n_tokens = s->enc->n_tokens };
  lk_shim_contrib_output out;
  lk_shim_contrib_params cp;
  lk_shim_status st;

  if (p->method == LK_METHOD_IJ &&
      (ref = reference_ids (model, s->enc, p, error)) == NULL)
    return FALSE;
  lk_methods_contrib_params (&cp, p, layer, ref, prog);
  cp.mode = (lk_shim_ad_mode) p->ad_mode;
  cp.cotangents = cotangents;
  cp.n_cotangents = n_cotangents;
  s->d = lk_model_get_dim (model);
  s->u = g_new (float, (gsize) (cotangents ? n_cotangents : s->d) * s->enc->n_tokens);
  s->e = g_new (float, s->d);
  s->e_ref = g_new (float, s->d);
  out = (lk_shim_contrib_output) { .u = s->u, .e = s->e, .e_ref = s->e_ref };
  if (lk_shim_contributions (shim, &in, &cp, &out, &st) != 0)
    return lk_methods_shim_failed (&st, error);
  return TRUE;
}

static gboolean
run_engine (LkModel *model, Side *s, const LkExplainParams *p, int layer, Progress *prog, GError **error)
{
  return run_engine_full (model, s, p, layer, NULL, 0, prog, error);
}

gboolean
lk_methods_check_engine (const float *e, const float *u, int d, guint n, const char *who, GError **error)
{
  g_autofree char *what_e = g_strdup_printf ("the embedding of %s", who);
  g_autofree char *what_u = g_strdup_printf ("the contributions of %s", who);

  return lk_check_finite (e, d, what_e, error) && lk_check_finite (u, (gsize) d * n, what_u, error);
}

double
lk_methods_dot (const float *a, const float *b, int d)
{
  double s = 0;
  for (int i = 0; i < d; i++)
    s += (double) a[i] * b[i];
  return s;
}

double
lk_methods_norm (const LkExplainParams *p, const float *a, const float *b, int d)
{
  if (p->measure != LK_MEASURE_COS)
    return 1;
  return fmax (sqrt (lk_methods_dot (a, a, d)) * sqrt (lk_methods_dot (b, b, d)), 1e-12);
}

void
lk_methods_pair_matrix (const float *ua, guint sa, const float *ub, guint sb, int dim, double norm, LkMatrix *m)
{
  m->rows = sa;
  m->cols = sb;
  m->data = g_new0 (double, (gsize) sa * sb);
  for (int d = 0; d < dim; d++)
    {
      const float *ra = ua + (gsize) d * sa, *rb = ub + (gsize) d * sb;
      for (guint i = 0; i < sa; i++)
        for (guint j = 0; j < sb; j++)
          m->data[(gsize) i * sb + j] += (double) ra[i] * rb[j];
    }
  for (gsize k = 0; k < (gsize) sa * sb; k++)
    m->data[k] /= norm;
}

void
lk_methods_add_tokens (LkExplanation *x, guint side, LkModel *model, const LkEncoding *enc)
{
  LkTokenizer *tok = lk_model_get_tokenizer (model);

  for (guint i = 0; i < enc->n_tokens; i++)
    {
      LkToken t = { (char *) lk_tokenizer_id_to_token (tok, enc->ids[i]), enc->starts[i], enc->ends[i],
                    enc->special[i], enc->word_ids[i] };
      lk_explanation_add_token (x, side, &t);
    }
}

/* Which weights made the result, and what ran them. A folder that cannot be
 * hashed (a file removed meanwhile) is recorded as such, not fatal: the
 * explanation itself is sound. */
static void
set_provenance (LkExplanation *x, LkModel *model)
{
  JsonObject *m = lk_explanation_get_model (x);
  JsonObject *run = lk_explanation_get_extra (x, "runtime");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) prov = lk_provenance_of_model (lk_model_get_path (model), &error);

  if (prov != NULL)
    {
      GList *members = json_object_get_members (prov);
      for (GList *l = members; l; l = l->next)
        json_object_set_member (m, l->data, json_node_copy (json_object_get_member (prov, l->data)));
      g_list_free (members);
    }
  else
    json_object_set_string_member (m, "provenance_error", error->message);
  json_object_set_string_member (run, "likeness", PACKAGE_VERSION);
  json_object_set_string_member (run, "libtorch", lk_shim_libtorch_version ());
  json_object_set_string_member (run, "device", lk_model_get_device_name (model));
  json_object_set_int_member (run, "threads", lk_shim_get_num_threads ());
}

void
lk_methods_set_model (LkExplanation *x, LkModel *model)
{
  JsonObject *m = lk_explanation_get_model (x);

  json_object_set_int_member (lk_explanation_get_params (x), "max_seq_length", lk_model_get_max_seq_length (model));
  json_object_set_string_member (m, "id", lk_model_get_id (model));
  json_object_set_string_member (m, "path", lk_model_get_path (model));
  json_object_set_string_member (m, "architecture", lk_model_get_architecture (model));
  json_object_set_string_member (m, "device", lk_model_get_device_name (model));
  json_object_set_int_member (m, "dim", lk_model_get_dim (model));
  if (lk_model_get_truncate_dim (model) > 0)
    json_object_set_int_member (m, "truncate_dim", lk_model_get_truncate_dim (model));
  set_provenance (x, model);
}


void
lk_methods_set_params (LkExplanation *x, const LkExplainParams *p, LkModel *model, const char *reference,
                       const char *ad_mode)
{
  JsonObject *o = lk_explanation_get_params (x);

  json_object_set_string_member (o, "measure", p->measure == LK_MEASURE_COS ? "cos" : "dot");
  if (p->method == LK_METHOD_IJ)
    {
      json_object_set_int_member (o, "steps", p->steps);
      json_object_set_string_member (o, "quadrature", lk_param_info (LK_PARAM_QUADRATURE)->choices[p->quadrature]);
      json_object_set_string_member (o, "reference", reference);
    }
  if (p->method == LK_METHOD_BILRP)
    json_object_set_boolean_member (o, "zero_biases", p->zero_biases);
  if (ad_mode)
    json_object_set_string_member (o, "ad_mode", ad_mode);
  lk_methods_set_model (x, model);
}

static void
set_params (LkExplanation *x, const LkExplainParams *p, int layer, LkModel *model)
{
  json_object_set_int_member (lk_explanation_get_params (x), "layer", layer);
  lk_methods_set_params (x, p, model, lk_methods_reference_description (p),
                         p->method == LK_METHOD_ALIGN ? NULL
                         : p->ad_mode == LK_AD_FORWARD ? "forward" : p->ad_mode == LK_AD_REVERSE ? "reverse" : "auto");
}

/* What IJ's ΣA approximates, (a − a_ref)·(b − b_ref) / norm, expanded into
 * the four products the result records (@terms, if not NULL: a·b, a·b_ref,
 * a_ref·b, a_ref·b_ref, each over norm), summed in one order everywhere:
 * the adaptive rule's tolerance is relative to exactly this number. */
double
lk_methods_expected (const float *ea, const float *ea_ref, const float *eb, const float *eb_ref, int d, double norm,
                     double *terms)
{
  double t[4] = {
    lk_methods_dot (ea, eb, d) / norm, lk_methods_dot (ea, eb_ref, d) / norm,
    lk_methods_dot (ea_ref, eb, d) / norm, lk_methods_dot (ea_ref, eb_ref, d) / norm,
  };

  for (guint i = 0; terms && i < G_N_ELEMENTS (t); i++)
    terms[i] = t[i];
  return t[0] - t[1] - t[2] + t[3];
}

/* Scores of the engine methods; norm makes A cosine-scaled when asked. */
void
lk_methods_set_scores (LkExplanation *x, const float *ea, const float *ea_ref, const float *eb, const float *eb_ref,
                       int d, const LkExplainParams *p, double norm)
{
  double score = lk_methods_dot (ea, eb, d) / norm;
  double sum = lk_matrix_sum (lk_explanation_get_matrix (x));

  lk_explanation_set_score (x, LK_SCORE_SIMILARITY, score);
  lk_explanation_set_score (x, LK_SCORE_SUM, sum);
  if (p->method == LK_METHOD_IJ)
    {
      double t[4];
      double expected = lk_methods_expected (ea, ea_ref, eb, eb_ref, d, norm, t);

      lk_explanation_set_score (x, LK_SCORE_REF_A_RB, t[1]);
      lk_explanation_set_score (x, LK_SCORE_REF_RA_B, t[2]);
      lk_explanation_set_score (x, LK_SCORE_REF_RA_RB, t[3]);
      lk_explanation_set_score (x, LK_SCORE_EXPECTED, expected);
      /* error: against what ΣA approximates; error_vs_score: against the score itself */
      lk_explanation_set_score (x, LK_SCORE_ERROR, fabs (sum - expected));
      lk_explanation_set_score (x, LK_SCORE_ERROR_VS_SCORE, fabs (sum - score));
    }
  else
    {
      /* the conservation gap: ΣR against e_aᵀe_b */
      lk_explanation_set_score (x, LK_SCORE_ERROR, fabs (sum - score));
      lk_explanation_set_score (x, LK_SCORE_ERROR_RELATIVE, fabs (sum - score) / fmax (fabs (score), 1e-12));
    }
}

/* The pair matrix needs U_aᵀU_b, not both U: the contributions are linear
 * in the cotangent, so with the shorter text's U as cotangents the longer
 * text's pass gives the matrix directly, in as many backward passes as the
 * shorter text has tokens instead of min(S, D) tangents or dimensions
 * (for a 10-token query and a 155-token passage, 10 passes instead of
 * 155). Only when the mode is left to the engine: forward and reverse
 * still mean what they say. A backward pass costs about 1.5 to 2 tangents
 * here (measured on MiniLM: 9.1 s for 384 dimensions, 2.4 s for 155
 * tangents), hence the factor. */
static gboolean
projection_pays (const LkExplainParams *p, guint s_short, guint s_long, int d)
{
  return p->ad_mode == LK_AD_AUTO && 2 * s_short < MIN (s_long, (guint) d);
}

/* Both texts' engine passes share progress from base to 1. */
static void
progress_half (Progress *prog, double base, int half)
{
  prog->scale = (1 - base) / 2;
  prog->offset = base + half * prog->scale;
}

static gboolean
explain_projected (LkExplanation *x, LkModel *model, Side *a, Side *b, const LkExplainParams *p, int layer,
                   Progress *prog, double base, GError **error)
{
  gboolean a_short = a->enc->n_tokens <= b->enc->n_tokens;
  Side *shrt = a_short ? a : b, *lng = a_short ? b : a;
  guint ns = shrt->enc->n_tokens, nl = lng->enc->n_tokens;
  g_autofree float *w = NULL;
  LkMatrix m = { 0 };
  double norm;
  int d;

  progress_half (prog, base, 0);
  if (!run_engine (model, shrt, p, layer, prog, error) ||
      !lk_methods_check_engine (shrt->e, shrt->u, shrt->d, ns, a_short ? "text A" : "text B", error))
    return FALSE;
  d = shrt->d;
  w = g_new (float, (gsize) ns * d);
  for (guint i = 0; i < ns; i++)
    for (int k = 0; k < d; k++)
      w[(gsize) i * d + k] = shrt->u[(gsize) k * ns + i];
  progress_half (prog, base, 1);
  if (!run_engine_full (model, lng, p, layer, w, ns, prog, error) ||
      !lk_methods_check_engine (lng->e, lng->u, ns, nl, a_short ? "text B" : "text A", error))
    return FALSE;
  norm = lk_methods_norm (p, a->e, b->e, d);
  m.rows = a->enc->n_tokens;
  m.cols = b->enc->n_tokens;
  m.data = g_new (double, (gsize) m.rows * m.cols);
  /* lng->u is ns × nl: row i is the short text's token i. */
  for (guint i = 0; i < m.rows; i++)
    for (guint j = 0; j < m.cols; j++)
      m.data[(gsize) i * m.cols + j] = (a_short ? lng->u[(gsize) i * nl + j] : lng->u[(gsize) j * nl + i]) / norm;
  lk_explanation_take_matrix (x, &m);
  lk_methods_set_scores (x, a->e, a->e_ref, b->e, b->e_ref, d, p, norm);
  json_object_set_string_member (lk_explanation_get_params (x), "contraction",
                                 a_short ? "projected onto text A" : "projected onto text B");
  return TRUE;
}

static gboolean
explain_direct (LkExplanation *x, LkModel *model, Side *a, Side *b, const LkExplainParams *p, int layer,
                Progress *prog, double base, GError **error)
{
  LkMatrix m = { 0 };
  double norm;

  progress_half (prog, base, 0);
  if (!run_engine (model, a, p, layer, prog, error) ||
      !lk_methods_check_engine (a->e, a->u, a->d, a->enc->n_tokens, "text A", error))
    return FALSE;
  progress_half (prog, base, 1);
  if (!run_engine (model, b, p, layer, prog, error) ||
      !lk_methods_check_engine (b->e, b->u, b->d, b->enc->n_tokens, "text B", error))
    return FALSE;
  norm = lk_methods_norm (p, a->e, b->e, a->d);
  lk_methods_pair_matrix (a->u, a->enc->n_tokens, b->u, b->enc->n_tokens, a->d, norm, &m);
  lk_explanation_take_matrix (x, &m);
  lk_methods_set_scores (x, a->e, a->e_ref, b->e, b->e_ref, a->d, p, norm);
  return TRUE;
}

/* Adaptive IJ's rule, from both texts' path sums, in the first tenth of
 * the progress (they cost a node's JVP each, the engine a token's). */
static gboolean
choose_rule (LkModel *model, Side *a, Side *b, LkExplainParams *p, int layer, Progress *prog, LkIjAdaptive *choice,
             GError **error)
{
  g_autoptr(GError) local = NULL;
  gint32 pad = lk_methods_reference_token (model, p, &local);
  g_autofree gint32 *ra = NULL, *rb = NULL;

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if ((ra = lk_methods_reference_ids (model, a->enc, pad, error)) == NULL ||
      (rb = lk_methods_reference_ids (model, b->enc, pad, error)) == NULL)
    return FALSE;
  {
    LkIjPathInput sides[2] = {
      { { .tower = LK_SHIM_TOWER_TEXT, .ids = a->enc->ids, .n_tokens = a->enc->n_tokens }, layer, ra },
      { { .tower = LK_SHIM_TOWER_TEXT, .ids = b->enc->ids, .n_tokens = b->enc->n_tokens }, layer, rb },
    };
    prog->offset = 0;
    prog->scale = LK_IJ_ADAPTIVE_PROGRESS;
    return lk_ij_adaptive_choose (model, sides, p, prog, choice, error);
  }
}

static gboolean
explain_engine (LkExplanation *x, LkModel *model, Side *a, Side *b, const LkExplainParams *params, int layer,
                Progress *prog, GError **error)
{
  LkExplainParams q = *params, *p = &q;
  LkIjAdaptive choice = { 0 };
  double base = 0;
  int d = lk_model_get_dim (model);
  gboolean ok;

  if (p->method == LK_METHOD_IJ && p->quadrature == LK_QUADRATURE_ADAPTIVE)
    {
      if (!choose_rule (model, a, b, p, layer, prog, &choice, error))
        {
          lk_ij_adaptive_clear (&choice);
          return FALSE;
        }
      base = LK_IJ_ADAPTIVE_PROGRESS;
    }
  if (projection_pays (p, MIN (a->enc->n_tokens, b->enc->n_tokens), MAX (a->enc->n_tokens, b->enc->n_tokens), d))
    ok = explain_projected (x, model, a, b, p, layer, prog, base, error);
  else
    ok = explain_direct (x, model, a, b, p, layer, prog, base, error);
  if (ok && choice.probed)
    lk_ij_adaptive_record (x, params, &choice);
  lk_ij_adaptive_clear (&choice);
  return ok;
}

gboolean lk_explain_alignment (LkExplanation *x, LkModel *model, const LkEncoding *ea, const LkEncoding *eb,
                               int layer, GError **error);

static int
default_layer (LkModel *model, const LkExplainParams *p)
{
  int n = lk_shim_model_num_layers (lk_model_get_shim (model));
  if (p->layer >= 0)
    return p->layer;
  if (p->method == LK_METHOD_IJ)
    return MAX (n - 2, 0);
  if (p->method == LK_METHOD_ALIGN)
    return n;
  return 0;
}

LkExplanation *
lk_explain_pair (LkModel                *model,
            const char             *text_a,
            const char             *text_b,
            const LkExplainParams  *params,
            LkProgressFunc          progress,
            gpointer                progress_data,
            GCancellable           *cancellable,
            GError                **error)
{
  g_autoptr(LkExplanation) x = NULL;
  LkExplainParams p = *params;
  Side a = { 0 }, b = { 0 };
  Progress prog = { .cancellable = cancellable, .progress = progress, .data = progress_data, .offset = 0, .scale = 1 };
  gint64 t0 = g_get_monotonic_time ();
  const char *texts[2] = { text_a, text_b };
  gboolean ok;
  int layer;

  g_return_val_if_fail (LK_IS_MODEL (model), NULL);
  g_return_val_if_fail (params != NULL, NULL);

  if (p.method != LK_METHOD_IJ && p.method != LK_METHOD_BILRP && p.method != LK_METHOD_HXP &&
      p.method != LK_METHOD_ALIGN)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "lk_explain_pair: method '%s' is not a token-pair method",
                   lk_method_to_string (p.method));
      return NULL;
    }
  for (guint s = 0; s < 2; s++)
    if (texts[s] == NULL || *texts[s] == '\0')
      {
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "text %c is empty: there is nothing to explain", 'A' + s);
        return NULL;
      }
  if (!lk_methods_check_steps (&p, error))
    return NULL;
  layer = default_layer (model, &p);
  if (layer > lk_shim_model_num_layers (lk_model_get_shim (model)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "layer %d is out of range: %s has layers 0 to %d",
                   layer, lk_model_get_id (model), lk_shim_model_num_layers (lk_model_get_shim (model)));
      return NULL;
    }
  if ((a.enc = lk_model_tokenize_named (model, text_a, "text A", error)) == NULL ||
      (b.enc = lk_model_tokenize_named (model, text_b, "text B", error)) == NULL)
    {
      side_clear (&a);
      return NULL;
    }
  x = lk_explanation_new (lk_method_to_string (p.method));
  lk_explanation_set_text (x, 0, text_a);
  lk_explanation_set_text (x, 1, text_b);
  lk_methods_add_tokens (x, 0, model, a.enc);
  lk_methods_add_tokens (x, 1, model, b.enc);
  set_params (x, &p, layer, model);
  json_object_set_boolean_member (lk_explanation_get_extra (x, "truncated"), "a", a.enc->truncated);
  json_object_set_boolean_member (lk_explanation_get_extra (x, "truncated"), "b", b.enc->truncated);
  if (p.method == LK_METHOD_ALIGN)
    ok = lk_explain_alignment (x, model, a.enc, b.enc, layer, error);
  else
    ok = explain_engine (x, model, &a, &b, &p, layer, &prog, error);
  side_clear (&a);
  side_clear (&b);
  if (!ok)
    return NULL;
  json_object_set_double_member (lk_explanation_get_extra (x, "timings"), "explain_seconds",
                                 (g_get_monotonic_time () - t0) / 1e6);
  if (p.perturbation)
    {
      gint64 t1 = g_get_monotonic_time ();
      if (!lk_explanation_add_perturbation (x, model, 5, p.seed, cancellable, error))
        return NULL;
      json_object_set_double_member (lk_explanation_get_extra (x, "timings"), "perturbation_seconds",
                                     (g_get_monotonic_time () - t1) / 1e6);
    }
  return g_steal_pointer (&x);
}

