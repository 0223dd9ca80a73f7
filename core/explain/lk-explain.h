/* lk-explain.h — one request, one dispatcher, one async form for every
 * method (the registry, lk-method-info.h, lists them and their
 * parameters). The app, the CLI and the Python binding fill a request and
 * call lk_explain() or lk_explain_async(); none of them dispatches on the
 * method.
 *
 * Thread safety: a request is plain data (copy it to hand it to another
 * thread); lk_explain() may run on several threads at once on one model. */
#pragma once

#include <gio/gio.h>

#include "lk-aspects.h"
#include "lk-explanation.h"
#include "lk-method-info.h"
#include "lk-model.h"

G_BEGIN_DECLS

#define LK_TYPE_EXPLAIN_REQUEST (lk_explain_request_get_type ())

/**
 * LkExplainRequest:
 *
 * What to explain and how: the inputs (two texts, or an image and its
 * caption), the method, a value for each of the method's parameters (the
 * registry's default until set) and, for aspects, an optional layout.
 */
typedef struct _LkExplainRequest LkExplainRequest;

GType              lk_explain_request_get_type    (void) G_GNUC_CONST;
LkExplainRequest  *lk_explain_request_new         (LkMethod                 method);
LkExplainRequest  *lk_explain_request_copy        (const LkExplainRequest  *request);
void               lk_explain_request_free        (LkExplainRequest        *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkExplainRequest, lk_explain_request_free)

LkMethod           lk_explain_request_get_method  (const LkExplainRequest  *request);
void               lk_explain_request_set_method  (LkExplainRequest        *request,
                                                   LkMethod                 method);
void               lk_explain_request_set_texts   (LkExplainRequest        *request,
                                                   const char              *text_a,
                                                   const char              *text_b);
void               lk_explain_request_set_image   (LkExplainRequest        *request,
                                                   const char              *image_path,
                                                   const char              *caption);
/**
 * lk_explain_request_set_contrast:
 * @request: the request
 * @document_2: (nullable): a second document, or %NULL for none
 *
 * Makes the request a ranking contrast (lk-contrast.h): text A is the
 * query, text B document 1 and @document_2 the other; lk_explain()
 * explains why document 1 scores above (or below) document 2. Only for
 * the methods lk_method_can_contrast() accepts.
 */
void               lk_explain_request_set_contrast (LkExplainRequest       *request,
                                                    const char             *document_2);
const char        *lk_explain_request_get_contrast (const LkExplainRequest *request);
/* Side 0: text A (NULL for an image pair), 1: text B or the caption. */
const char        *lk_explain_request_get_text    (const LkExplainRequest  *request,
                                                   guint                    side);
const char        *lk_explain_request_get_image   (const LkExplainRequest  *request);

/* The prompt put before side @side's text (0: text A, 1: text B, the
 * caption or both documents of a contrast), as sentence-transformers'
 * encode (prompt_name=…) does: @name, one of the model's prompts
 * (lk_model_get_prompt_names), or with @text non-NULL a literal text (then
 * @name only labels it). A name of "" or an empty text: no prompt. Unset,
 * a side gets the model's default_prompt_name, if it has one. The prompt's
 * tokens are flagged in the result (LkToken.prompt) and count in every check. */
void               lk_explain_request_set_prompt  (LkExplainRequest        *request,
                                                   guint                    side,
                                                   const char              *name,
                                                   const char              *text);
void               lk_explain_request_unset_prompt (LkExplainRequest       *request,
                                                    guint                   side);
const char        *lk_explain_request_get_prompt_name (const LkExplainRequest *request,
                                                       guint                   side);

/* A parameter's value (a choice's index, a boolean's 0 or 1): range and
 * type checked against the registry, with an error naming the parameter.
 * Whether the method takes it is checked when the request runs. */
gboolean           lk_explain_request_set         (LkExplainRequest        *request,
                                                   LkParam                  param,
                                                   double                   value,
                                                   GError                 **error);
double             lk_explain_request_get         (const LkExplainRequest  *request,
                                                   LkParam                  param);
gboolean           lk_explain_request_is_set      (const LkExplainRequest  *request,
                                                   LkParam                  param);
/* Back to the registry's default, and no longer set. */
void               lk_explain_request_reset       (LkExplainRequest        *request,
                                                   LkParam                  param);
/* By name ("p_keep" or "p-keep"), from a string as a user types it: a
 * number, "true"/"false", or a choice's name ("riemann"). */
gboolean           lk_explain_request_set_string  (LkExplainRequest        *request,
                                                   const char              *name,
                                                   const char              *value,
                                                   GError                 **error);
/* By name, from a GValue holding a number, a boolean or a string (what
 * the Python binding passes). */
gboolean           lk_explain_request_set_value   (LkExplainRequest        *request,
                                                   const char              *name,
                                                   const GValue            *value,
                                                   GError                 **error);
/**
 * lk_explain_request_set_aspect_layout: (skip)
 * @request: the request
 * @layout: (nullable): the layout, copied; %NULL: the model folder's
 *
 * Aspects: the layout to decompose with, instead of the model folder's
 * likeness_aspects.json.
 */
void               lk_explain_request_set_aspect_layout (LkExplainRequest     *request,
                                                         const LkAspectLayout *layout);

/**
 * lk_explain_request_check:
 * @request: the request
 * @model: (nullable): the model it is for, or %NULL
 * @error: what is wrong, naming the parameter or the input
 *
 * Every combination the request makes: inputs the method accepts,
 * parameters it takes, windows that overlap; with @model, that it has a
 * vision tower for an image (its layer count is checked when it runs).
 *
 * Returns: %TRUE when the request can run
 */
gboolean           lk_explain_request_check       (const LkExplainRequest  *request,
                                                   LkModel                 *model,
                                                   GError                 **error);

/**
 * lk_explain:
 * @model: the model
 * @request: what to explain
 * @progress: (scope call) (closure progress_data) (nullable): called with
 *   the fraction done, in the calling thread
 * @progress_data: (nullable): for @progress
 * @cancellable: (nullable): stops the computation (G_IO_ERROR_CANCELLED)
 * @error: the reason when it fails
 *
 * Runs the request's method on its inputs.
 *
 * Returns: (transfer full): the explanation, or %NULL with @error set
 */
LkExplanation     *lk_explain                     (LkModel                 *model,
                                                   const LkExplainRequest  *request,
                                                   LkProgressFunc           progress,
                                                   gpointer                 progress_data,
                                                   GCancellable            *cancellable,
                                                   GError                 **error);

/**
 * lk_explain_async:
 * @model: the model
 * @request: what to explain (copied)
 * @progress: (scope notified) (closure progress_data) (destroy progress_data_free) (nullable):
 *   called with the fraction done, in the caller's thread-default main
 *   context, never after @callback
 * @progress_data: (nullable): for @progress
 * @progress_data_free: (nullable): frees @progress_data after the last call
 * @cancellable: (nullable): stops the computation
 * @callback: called when it is done
 * @user_data: for @callback
 *
 * Runs lk_explain() in a worker thread.
 */
void               lk_explain_async               (LkModel                 *model,
                                                   const LkExplainRequest  *request,
                                                   LkProgressFunc           progress,
                                                   gpointer                 progress_data,
                                                   GDestroyNotify           progress_data_free,
                                                   GCancellable            *cancellable,
                                                   GAsyncReadyCallback      callback,
                                                   gpointer                 user_data);
/**
 * lk_explain_finish:
 * @result: the result given to the callback
 * @error: the reason when it failed
 *
 * Returns: (transfer full): the explanation, or %NULL with @error set
 */
LkExplanation     *lk_explain_finish              (GAsyncResult            *result,
                                                   GError                 **error);

G_END_DECLS
