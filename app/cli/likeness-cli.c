/* likeness-cli — the headless twin of Likeness. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cli.h"
#include "lk-method-info.h"
#include "likeness-shim.h"
#include "lk-runtime.h"

static const struct {
  const char *name;
  CliCommand  run;
  const char *summary;
} commands[] = {
  { "similarity", cli_similarity, "cosine similarity of two texts, or of an image and a text (--image)" },
  { "embed", cli_embed, "sentence embeddings of texts and images" },
  { "eval-sts", cli_eval_sts, "Pearson and Spearman ×100 on an STSb, SICK or BIOSSES file" },
  { "explain", cli_explain, "explain a pair of texts, or an image and its caption (--image), by a method below" },
  { "contrast", cli_contrast, "why one document scores above another for a query (IJ, BiLRP, H×P)" },
  { "eval-perturbation", cli_eval_perturbation, "perturbation-curve areas of methods over a data file" },
  { "models", cli_models, "list the models that can be resolved" },
  { "train-aspects", cli_train_aspects, "train an aspect space (S3BERT metric distillation) from a base model" },
  { "batch", cli_batch, "explain every pair of a file, or each query's top-k passages of a corpus (JSON Lines out)" },
  { "batch-merge", cli_batch_merge, "join a sharded batch run's outputs, checking that no item is missing or doubled" },
  { "aggregate", cli_aggregate, "summarise batch outputs: the words that carry ΣA, specials, checks, rank deciders" },
  { "render", cli_render, "draw a saved explanation as SVG, PNG or PDF (heatmap, alignment, saliency, aspects, report, contrast)" },
};

static int
usage (FILE *out)
{
  const LkMethodInfo *methods;
  guint n;

  fprintf (out, "Usage: likeness-cli COMMAND [OPTION…] [ARGUMENT…]\n\n"
                "Explains why an embedding model finds two inputs alike.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-18s %s\n", commands[i].name, commands[i].summary);
  /* From the registry, so that a new method is listed without an edit here. */
  fprintf (out, "\nMethods (explain --method; the default is %s, as in the app):\n",
           lk_method_to_string (lk_method_default ()));
  methods = lk_method_infos (&n);
  for (guint i = 0; i < n; i++)
    fprintf (out, "  %-18s %s%s\n", methods[i].name, methods[i].title,
             methods[i].inputs & LK_INPUTS_IMAGE_CAPTION ? " (texts, or --image and a caption)" : " (texts)");
  fprintf (out, "\nOutput: text (key=value lines) by default; --format json prints one JSON document on stdout.\n"
                "Progress (with rate and ETA) goes to stderr, on a terminal only.\n");
  fprintf (out, "\nOptions:\n  -h, --help         show this help (COMMAND --help for a command's options)\n"
                "  --version          print the version\n\n"
                "Exit status: 0 on success, 1 when the command fails, 2 for a bad command line.\n"
                "See likeness-cli(1).\n");
  return out == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  lk_runtime_init (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if (argc < 2)
    return usage (stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    return usage (stdout);
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("likeness-cli %s (libtorch %s)\n", PACKAGE_VERSION, lk_shim_libtorch_version ());
      return CLI_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "likeness-cli: unknown command '%s'\n\n", argv[1]);
  return usage (stderr);
}
