/* shim-test-model.h — small random-weight encoders of each architecture,
 * written in their real tensor layouts, for the shim's tests. */
#pragma once

#include "likeness-shim.h"
#include "shim-test.h"

enum { H = 16, FF = 32, LAYERS = 2, HEADS = 4, VOCAB = 50, MAXPOS = 40, BUCKETS = 32 };

typedef struct {
  lk_test_tensor t[128];
  char names[128][96];
  int n;
  uint64_t rng;
} Builder;

static inline void
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

static inline void
add_linear (Builder *b, const char *name, int64_t out, int64_t in)
{
  char buf[96];
  snprintf (buf, sizeof buf, "%s.weight", name);
  add (b, buf, 2, out, in);
  snprintf (buf, sizeof buf, "%s.bias", name);
  add (b, buf, 1, out, 0);
}

static inline void
add_norm (Builder *b, const char *name)
{
  char buf[96];
  snprintf (buf, sizeof buf, "%s.weight", name);
  add (b, buf, 1, H, 0);
  snprintf (buf, sizeof buf, "%s.bias", name);
  add (b, buf, 1, H, 0);
}

static inline void
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

static inline void
builder_free (Builder *b)
{
  for (int i = 0; i < b->n; i++)
    free (b->t[i].data);
}

static inline void
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

/* Writes the model of @arch to DIR/LABEL.safetensors; returns the path. */
static inline char *
write_model (lk_shim_arch arch, const char *dir, const char *label)
{
  char *path = malloc (512);
  snprintf (path, 512, "%s/%s.safetensors", dir, label);
  Builder b;
  build (&b, arch, NULL);
  lk_test_write_safetensors (path, b.t, b.n);
  builder_free (&b);
  return path;
}
