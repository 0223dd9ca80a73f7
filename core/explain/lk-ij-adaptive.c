/* lk-ij-adaptive.c — IJ's adaptive rule: the fewest Gauss–Legendre nodes
 * whose attribution error on this pair is within the tolerance.
 *
 * ΣA = s_aᵀ s_b / norm, where s = Σ_i U[:, i] = Σ_k w_k ∂e/∂α (α_k) is what
 * one text's contributions add up to; the path derivative ∂e/∂α is one
 * Jacobian-vector product a node with the tangent x − r on every token
 * (lk_shim_path_derivatives), where U takes one a token. So the error
 * |ΣA − expected ΣA| of any rule is known, exactly up to float rounding,
 * before U is computed, and U is computed once, with the rule chosen: no
 * node of the expensive pass is spent on a rule that is then refined.
 * Path derivatives are kept by node, so a node two rules share (the
 * midpoint of every odd Gauss–Legendre rule) is computed once.
 *
 * Gauss–Legendre rather than a nested family (Gauss–Kronrod 7/15,
 * Patterson 3/7/15/31): nesting saves only these cheap path derivatives,
 * while the expensive pass costs one node per node, and a nested rule
 * buys its nesting with degree (15 Kronrod nodes are exact to degree 22,
 * as 12 Gauss nodes are to 23) and with coarse steps (7 or 15, where 9
 * may do). The error falls geometrically with the nodes (about 2.5× a
 * node on MiniLM's STSb pairs), so after two rules the next is predicted
 * from that rate. */
#include "config.h"

#include <math.h>

#include "lk-error.h"
#include "lk-methods-private.h"
#include "lk-model-private.h"

/* The first rule tried, and the one after it when the first falls short
 * (from the two, the rate predicts the rest). */
#define FIRST_STEPS 4
#define SECOND_STEPS 7
/* Below this the error is float rounding in U, not the rule's. */
#define ERROR_FLOOR 1e-6

typedef struct {
  const LkIjPathInput *input;
  GArray *alphas;   /* double: the nodes whose path derivative is known */
  GPtrArray *edots; /* float[d] each */
  float *e, *e_ref;
  int d;
  lk_shim_path *path;
} Side;

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->alphas, g_array_unref);
  g_clear_pointer (&s->edots, g_ptr_array_unref);
  g_clear_pointer (&s->e, g_free);
  g_clear_pointer (&s->e_ref, g_free);
  g_clear_pointer (&s->path, lk_shim_path_free);
}

static int
find_node (const Side *s, double alpha)
{
  for (guint k = 0; k < s->alphas->len; k++)
    if (fabs (g_array_index (s->alphas, double, k) - alpha) < 1e-12)
      return (int) k;
  return -1;
}

/* The path derivatives of the nodes not yet known, in one call. */
static gboolean
derive (LkModel *model, Side *s, const LkExplainParams *p, const double *alphas, int n, LkMethodsProgress *prog,
        GError **error)
{
  g_autofree double *todo = g_new (double, n);
  g_autofree float *out = NULL;
  lk_shim_contrib_params cp;
  lk_shim_status st;
  int m = 0;

  for (int k = 0; k < n; k++)
    if (find_node (s, alphas[k]) < 0)
      todo[m++] = alphas[k];
  if (m == 0)
    return TRUE;
  if (s->path == NULL)
    {
      lk_methods_contrib_params (&cp, p, s->input->layer, s->input->ref, prog);
      cp.progress = NULL;
      cp.n_steps = 2;  /* a path: from the zero hidden state when there is no reference */
      s->e = g_new (float, s->d);
      s->e_ref = g_new (float, s->d);
      if ((s->path = lk_shim_path_new (lk_model_get_shim (model), &s->input->in, &cp, s->e, s->e_ref, &st)) == NULL)
        return lk_methods_shim_failed (&st, error);
    }
  out = g_new (float, (gsize) m * s->d);
  if (lk_shim_path_derivatives (s->path, todo, m, out, &st) != 0)
    return lk_methods_shim_failed (&st, error);
  if (!lk_check_finite (out, (gsize) m * s->d, "IJ's path derivatives", error))
    return FALSE;
  for (int k = 0; k < m; k++)
    {
      g_array_append_val (s->alphas, todo[k]);
      g_ptr_array_add (s->edots, g_memdup2 (out + (gsize) k * s->d, sizeof (float) * s->d));
    }
  return TRUE;
}

/* s = Σ_k w_k ∂e/∂α (α_k) of Gauss–Legendre n, into sum (d doubles). */
static gboolean
path_sum (LkModel *model, Side *s, const LkExplainParams *p, int n, double *sum, LkMethodsProgress *prog,
          GError **error)
{
  g_autofree double *nodes = g_new (double, n), *weights = g_new (double, n);
  lk_shim_status st;

  if (lk_shim_quadrature_rule (LK_SHIM_QUAD_GAUSS, n, nodes, weights, &st) != 0)
    return lk_methods_shim_failed (&st, error);
  if (!derive (model, s, p, nodes, n, prog, error))
    return FALSE;
  memset (sum, 0, sizeof (double) * s->d);
  for (int k = 0; k < n; k++)
    {
      const float *v = g_ptr_array_index (s->edots, find_node (s, nodes[k]));
      for (int j = 0; j < s->d; j++)
        sum[j] += weights[k] * v[j];
    }
  return TRUE;
}

typedef struct {
  LkModel *model;
  Side a, b;
  const LkExplainParams *p;
  LkMethodsProgress *prog;
  double norm, expected;
  double *sa, *sb;
} Search;

/* The attribution error of Gauss–Legendre n on the pair, or NAN on error. */
static double
rule_error (Search *q, int n, LkIjAdaptive *out, GError **error)
{
  double sum = 0;

  if (!path_sum (q->model, &q->a, q->p, n, q->sa, q->prog, error) ||
      !path_sum (q->model, &q->b, q->p, n, q->sb, q->prog, error))
    return NAN;
  if (out->probed->len == 0)
    {
      q->norm = lk_methods_norm (q->p, q->a.e, q->b.e, q->a.d);
      q->expected = lk_methods_expected (q->a.e, q->a.e_ref, q->b.e, q->b.e_ref, q->a.d, q->norm, NULL);
      out->tolerance_abs = fmax (q->p->tolerance * fabs (q->expected), ERROR_FLOOR);
    }
  for (int j = 0; j < q->a.d; j++)
    sum += q->sa[j] * q->sb[j];
  g_array_append_val (out->probed, n);
  if (q->prog->progress)
    q->prog->progress (q->prog->offset + q->prog->scale * (1 - 1.0 / (out->probed->len + 1)), q->prog->data);
  return fabs (sum / q->norm - q->expected);
}

/* The next rule after n (error e) fell short: from the rate since the rule
 * before (n0, e0), the count that reaches the tolerance, at least n + 1. */
static int
next_steps (int n0, double e0, int n, double e, double tol)
{
  double rate;

  if (n0 == 0 || !(e < e0) || e <= 0)
    return MAX (n + 1, n == FIRST_STEPS ? SECOND_STEPS : n + 2);
  rate = log (e / e0) / (n - n0);  /* < 0 */
  return n + MAX (1, (int) ceil (log (tol / e) / rate));
}

gboolean
lk_ij_adaptive_choose (LkModel *model, const LkIjPathInput sides[2], LkExplainParams *p, LkMethodsProgress *prog,
                       LkIjAdaptive *out, GError **error)
{
  int d = lk_model_get_dim (model);
  g_autofree double *sa = g_new (double, d), *sb = g_new (double, d);
  Search q = { model, { &sides[0], g_array_new (FALSE, FALSE, sizeof (double)), g_ptr_array_new_with_free_func (g_free), NULL, NULL, d, NULL },
               { &sides[1], g_array_new (FALSE, FALSE, sizeof (double)), g_ptr_array_new_with_free_func (g_free), NULL, NULL, d, NULL },
               p, prog, 1, 0, sa, sb };
  int n = MIN (FIRST_STEPS, p->max_steps), n0 = 0;
  double e0 = 0, e;
  gboolean ok = FALSE;
  gint64 t0 = g_get_monotonic_time ();

  memset (out, 0, sizeof *out);
  out->probed = g_array_new (FALSE, FALSE, sizeof (int));
  for (;;)
    {
      if (isnan (e = rule_error (&q, n, out, error)))
        goto done;
      if (n >= p->max_steps)
        break;
      /* ΣA's error is one number and can cross zero between two rules
       * (on mpnet a 5-node rule reached 5e-4, 6 nodes 1e-2): a rule counts
       * when the next one is within the tolerance as well. */
      if (e <= out->tolerance_abs)
        {
          double e1 = rule_error (&q, n + 1, out, error);
          if (isnan (e1))
            goto done;
          if (e1 <= out->tolerance_abs)
            break;
          n0 = n, e0 = e, n = n + 1, e = e1;
          if (n >= p->max_steps)
            break;
        }
      {
        int m = CLAMP (next_steps (n0, e0, n, e, out->tolerance_abs), n + 1, p->max_steps);
        n0 = n, e0 = e, n = m;
      }
    }
  out->steps = n;
  out->error = e;
  out->evaluations = (int) (q.a.alphas->len + q.b.alphas->len);
  out->seconds = (g_get_monotonic_time () - t0) / 1e6;
  p->quadrature = LK_QUADRATURE_GAUSS;
  p->steps = n;
  ok = TRUE;
done:
  side_clear (&q.a);
  side_clear (&q.b);
  return ok;
}

void
lk_ij_adaptive_record (LkExplanation *x, const LkExplainParams *p, const LkIjAdaptive *a)
{
  JsonObject *o = lk_explanation_get_params (x);
  JsonArray *probed = json_array_sized_new (a->probed->len);

  for (guint k = 0; k < a->probed->len; k++)
    json_array_add_int_element (probed, g_array_index (a->probed, int, k));
  json_object_set_string_member (o, "quadrature", "adaptive");
  json_object_set_string_member (o, "rule", "gauss");
  json_object_set_int_member (o, "steps", a->steps);
  json_object_set_double_member (o, "tolerance", p->tolerance);
  json_object_set_int_member (o, "max_steps", p->max_steps);
  json_object_set_array_member (o, "probed_steps", probed);
  json_object_set_int_member (o, "path_derivatives", a->evaluations);
  /* against the error of the U that ran, not the path sums' prediction */
  json_object_set_boolean_member (o, "tolerance_reached",
                                  lk_explanation_get_score (x, LK_SCORE_ERROR, INFINITY) <= a->tolerance_abs);
  lk_explanation_set_score (x, LK_SCORE_ERROR_TOLERANCE, a->tolerance_abs);
  json_object_set_double_member (lk_explanation_get_extra (x, "timings"), "rule_search_seconds", a->seconds);
}

void
lk_ij_adaptive_clear (LkIjAdaptive *a)
{
  g_clear_pointer (&a->probed, g_array_unref);
}
