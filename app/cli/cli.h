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

/* The method options every explaining command takes (cli-request.c): the
 * values as parsed, -1 (G_MININT for steps, max-steps and seed, NAN for
 * tolerance; NULL for strings) when not given, so that the registry's
 * defaults apply. One exception: --masks without --stop-at means exactly
 * that many masks (stop-at 0), so that a command line that names a count
 * gets it, as distance_explainer does. */
typedef struct {
  char     *model;
  char     *method;
  int       layer;
  int       steps;
  char     *quadrature;
  char     *reference;
  double    tolerance;
  int       max_steps;
  char     *measure;
  char     *ad_mode;
  gboolean  zero_biases;
  int       truncate_dim;   /* Matryoshka: 0, all dimensions */
  char     *prompt_name;    /* both sides */
  char     *prompt[2];      /* by side: a prompt name of the model, or "none" */
  char     *prompt_text[2]; /* by side: a literal prompt */
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
/* The files --svg, --png, --pdf and --csv name, by LkExportFormat (each
 * may be NULL). */
#define CLI_N_FIGURE_FORMATS (LK_EXPORT_CSV + 1)
typedef char *CliFigurePaths[CLI_N_FIGURE_FORMATS];
/* Each names a file of its own format: "--svg x.png" is an error, not a PNG. */
gboolean cli_check_figure_paths (char * const            paths[CLI_N_FIGURE_FORMATS],
                                 GError                **error);
gboolean cli_view_from_string   (const char             *name,
                                 LkView                 *view);

/* What a command prints on stdout (--format, which every command takes):
 * text, the default, is key=value lines (models: a table), for a reader
 * and grep; json is one JSON document, for scripts. */
typedef enum {
  CLI_FORMAT_TEXT,
  CLI_FORMAT_JSON,
} CliFormat;

/* The --format the last cli_parse () read. */
CliFormat cli_format    (void);

/* Parses @entries (and --format) for @command; prints usage errors and
 * returns FALSE. */
gboolean cli_parse      (const char    *command,
                         const char    *params,
                         const char    *summary,
                         GOptionEntry  *entries,
                         int           *argc,
                         char        ***argv);
/* Resolves (downloading if needed, with progress on stderr) and loads. */
LkModel *cli_load_model (const char    *name,
                         int            truncate_dim,
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
gboolean cli_print_json_node (JsonNode *node,
                              GError  **error);
/* The object @builder holds in the chosen --format: JSON, or key=value
 * lines of its members (an array of number arrays: a line per row). */
gboolean cli_print_result    (JsonBuilder *builder,
                              GError     **error);

/* A labelled progress line on stderr, redrawn in place: "LABEL [####....]
 * 42%  21/50 pairs  3.5 pairs/s  ETA 8s". Only on a terminal: on a pipe or
 * a log nothing is drawn (cli_progress_new returns NULL, and the other
 * calls take NULL), so that logs and captured output stay clean. */
typedef struct _CliProgress CliProgress;

/* @unit: what @done counts ("pairs"), or NULL for a fraction (total 1). */
CliProgress *cli_progress_new       (const char  *label,
                                     const char  *unit);
void         cli_progress_set_label (CliProgress *progress,
                                     const char  *label);
void         cli_progress_update    (CliProgress *progress,
                                     double       done,
                                     double       total);
/* An LkProgressFunc over cli_progress_update (fraction of 1). */
void         cli_progress_fraction  (double       fraction,
                                     gpointer     progress);
/* Erases the line, so that what follows starts on a clean line. */
void         cli_progress_free      (CliProgress *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliProgress, cli_progress_free)
/* "12s", "3m05s", "1h02m"; "--" for an unknown time. */
void         cli_format_duration    (char        *buf,
                                     gsize        size,
                                     double       seconds);

G_END_DECLS
