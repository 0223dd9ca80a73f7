/* cli.h — shared pieces of likeness-cli's commands. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lk-explain.h"
#include "lk-model.h"
#include "lk-render.h"

G_BEGIN_DECLS

/* Exit codes, as documented in --help and the man page. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_ERROR = 1,   /* the command failed: bad input file, model, download … */
  CLI_EXIT_USAGE = 2,   /* bad command line */
};

#define CLI_DEFAULT_MODEL "sentence-transformers/all-MiniLM-L6-v2"
/* The CLI's method when --method is not given (the app's is the
 * registry's first, BiLRP; the CLI has always defaulted to IJ). */
#define CLI_DEFAULT_METHOD LK_METHOD_IJ

/* The method options every explaining command takes (cli-request.c): the
 * values as parsed, -1 (G_MININT for steps, max-steps and seed, NAN for tolerance, 0 for stop-at; NULL for strings) when
 * not given, so that the registry's defaults apply. */
typedef struct {
  char     *model;
  char     *method;
  int       layer;
  int       steps;
  char     *quadrature;
  double    tolerance;
  int       max_steps;
  char     *measure;
  char     *ad_mode;
  gboolean  zero_biases;
  gboolean  perturbation;
  int       seed;
  /* distance masking */
  char     *image;
  int       masks;
  int       feature_res;
  double    p_keep;
  char     *mask_side;
  char     *unit;
  char     *replace;
  char     *closest;
  char     *farthest;
  int       batch_size;
  double    stop_at;
  int       check_every;
  /* the help texts the entries point to */
  char     *method_help;
  char     *image_help;
} CliMethodOptions;

typedef enum {
  CLI_OPTIONS_METHOD       = 1 << 0,  /* --method (one) */
  CLI_OPTIONS_DISTANCE     = 1 << 1,  /* distance masking's options */
  CLI_OPTIONS_IMAGE        = 1 << 2,  /* --image FILE (with DISTANCE) */
  CLI_OPTIONS_PERTURBATION = 1 << 3,  /* --perturbation */
} CliOptionSet;

void              cli_method_options_init        (CliMethodOptions *o);
void              cli_method_options_clear       (CliMethodOptions *o);
/* Appends the option entries of @set (and --model and the token-pair
 * methods' parameters, always) to @entries, a GArray of GOptionEntry. */
void              cli_method_options_add_entries (CliMethodOptions *o,
                                                  GArray           *entries,
                                                  CliOptionSet      set);
/* The request the options describe (no inputs yet); NULL after printing a
 * usage error that names the option. */
LkExplainRequest *cli_method_options_to_request  (const CliMethodOptions *o,
                                                  const char             *command);

typedef int (*CliCommand) (int argc, char **argv);

int      cli_similarity (int argc, char **argv);
int      cli_embed      (int argc, char **argv);
int      cli_eval_sts   (int argc, char **argv);
int      cli_models     (int argc, char **argv);
int      cli_explain    (int argc, char **argv);
int      cli_eval_perturbation (int argc, char **argv);
int      cli_contrast   (int argc, char **argv);
int      cli_render     (int argc, char **argv);
int      cli_train_aspects (int argc, char **argv);
int      cli_batch      (int argc, char **argv);
int      cli_batch_merge (int argc, char **argv);
int      cli_aggregate  (int argc, char **argv);
/* explain --method aspects (cli-aspects.c); figures: SVG, PNG, PDF paths or NULL. */

/* Writes @view of @x to @path, its format from the extension (.svg, .png at
 * scale 2, .pdf), with default options; for explain --svg/--png/--pdf. */
gboolean cli_export_figure      (LkExplanation          *x,
                                 const char             *path,
                                 LkView                  view,
                                 GError                **error);
gboolean cli_export_figure_full (LkExplanation          *x,
                                 const char             *path,
                                 LkView                  view,
                                 const LkRenderOptions  *options,
                                 double                  scale,
                                 GError                **error);
/* --svg, --png and --pdf name files of their own format (each may be
 * NULL): "--svg x.png" is an error, not a PNG. */
gboolean cli_check_figure_paths (const char             *svg,
                                 const char             *png,
                                 const char             *pdf,
                                 GError                **error);
gboolean cli_view_from_string   (const char             *name,
                                 LkView                 *view);

/* Parses @entries for @command; prints usage errors and returns FALSE. */
gboolean cli_parse      (const char    *command,
                         const char    *params,
                         const char    *summary,
                         GOptionEntry  *entries,
                         int           *argc,
                         char        ***argv);
/* Resolves (downloading if needed, with progress on stderr) and loads. */
LkModel *cli_load_model (const char    *name,
                         GError       **error);
int      cli_fail       (GError        *error);
int      cli_usage      (const char    *command,
                         const char    *message);
/* The texts argv[1 … argc-1] are valid UTF-8, or an error naming which
 * ("text A (argument 2)", "the caption") and the byte offset. Checked before
 * a model is loaded, so that a bad argument costs nothing. */
gboolean cli_check_texts (int            argc,
                          char         **argv,
                          gboolean       caption,
                          GError       **error);
/* FALSE, printing nothing, when the result holds NaN or ±inf. */
gboolean cli_print_json (JsonBuilder   *builder,
                         GError       **error);

G_END_DECLS
