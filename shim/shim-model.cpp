// shim-model.cpp — the extern "C" surface: models, embeddings, settings.
#include "shim-encoder.h"

#include <algorithm>
#include <numeric>
#include <thread>

#include "shim-model-private.h"

namespace {

torch::Device
pick_device (lk_shim_device want)
{
  bool cuda = torch::cuda::is_available ();
  if (want == LK_SHIM_DEVICE_CUDA && !cuda)
    lk::fail (LK_SHIM_ERROR_UNSUPPORTED, "CUDA was asked for, but %s",
              torch::cuda::device_count () == 0 ? "no CUDA device is present or this libtorch lacks CUDA" : "CUDA is unavailable");
  if (want != LK_SHIM_DEVICE_CPU && cuda)
    return torch::Device (torch::kCUDA, 0);
  return torch::Device (torch::kCPU);
}

int
default_threads ()
{
  unsigned n = std::thread::hardware_concurrency ();
  return n > 0 ? (int) n : 1;
}

void
embed_batch (lk_shim_model *m, const std::vector<int> &order, size_t from, size_t to,
             const int32_t *const *ids, const int *lengths, float *out, const lk::Run &run)
{
  int64_t b = (int64_t) (to - from), s = 0;
  for (size_t i = from; i < to; i++)
    s = std::max<int64_t> (s, lengths[order[i]]);
  auto tid = torch::full ({ b, s }, (int64_t) std::max (m->pad_id, 0), torch::kInt64);
  auto tmask = torch::zeros ({ b, s }, torch::kInt64);
  auto id_acc = tid.accessor<int64_t, 2> ();
  auto mask_acc = tmask.accessor<int64_t, 2> ();
  for (int64_t r = 0; r < b; r++)
    for (int j = 0; j < lengths[order[from + r]]; j++)
      {
        id_acc[r][j] = ids[order[from + r]][j];
        mask_acc[r][j] = 1;
      }
  torch::Device dev = m->towers[LK_SHIM_TOWER_TEXT]->device ();
  tid = tid.to (dev);
  tmask = tmask.to (dev);
  auto e = (m->clip ? m->clip->text_forward (tid, tmask, run)
            : m->dec ? m->dec->forward (tid, tmask, run)
            : m->mb ? m->mb->forward (tid, tmask, run)
                     : m->enc->forward (tid, tmask, run)).to (torch::kCPU, torch::kFloat32).contiguous ();
  int d = lk_shim_model_embedding_dim (m);
  const float *src = e.data_ptr<float> ();
  for (int64_t r = 0; r < b; r++)
    memcpy (out + (size_t) order[from + r] * d, src + r * d, sizeof (float) * d);
}

} // namespace

extern "C" {

void
lk_shim_model_default_params (lk_shim_model_params *p)
{
  memset (p, 0, sizeof *p);
  p->arch = LK_SHIM_ARCH_BERT;
  p->type_vocab_size = 2;
  p->layer_norm_eps = 1e-12;
  p->hidden_act = LK_SHIM_ACT_GELU;
  p->pooling = LK_SHIM_POOL_MEAN;
  p->relative_attention_num_buckets = 32;
  p->device = LK_SHIM_DEVICE_AUTO;
  p->eos_token_id = 2;
  p->vision_hidden_act = LK_SHIM_ACT_QUICK_GELU;
  p->rope_theta = 10000.0;
  p->local_rope_theta = 10000.0;
}

void
lk_shim_run_default_params (lk_shim_run_params *p)
{
  memset (p, 0, sizeof *p);
  p->batch_size = 32;
}

lk_shim_model *
lk_shim_model_load (const lk_shim_model_params *params, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return nullptr,
    if (!params)
      lk::fail (LK_SHIM_ERROR_INVALID, "no model parameters");
    lk::install_cpu_allocator ();
    if (params->n_threads > 0 || at::get_num_threads () == 1)
      lk_shim_set_num_threads (params->n_threads);
    torch::Device dev = pick_device (params->device);
    auto m = std::make_unique<lk_shim_model> ();
    if (params->arch == LK_SHIM_ARCH_CLIP)
      {
        if (params->truncate_dim != 0)
          lk::fail (LK_SHIM_ERROR_UNSUPPORTED, "truncate_dim: Matryoshka truncation is for text embedders, not CLIP");
        m->clip = std::make_shared<lk::Clip> (*params, dev);
        m->towers[LK_SHIM_TOWER_TEXT] = std::make_shared<lk::ClipTextTower> (m->clip);
        m->towers[LK_SHIM_TOWER_IMAGE] = std::make_shared<lk::ClipImageTower> (m->clip);
      }
    else if (params->arch == LK_SHIM_ARCH_MODERNBERT)
      {
        m->mb = std::make_shared<lk::ModernBert> (*params, dev);
        m->towers[LK_SHIM_TOWER_TEXT] = m->mb;
      }
    else if (params->arch == LK_SHIM_ARCH_DECODER)
      {
        m->dec = std::make_shared<lk::Decoder> (*params, dev);
        m->towers[LK_SHIM_TOWER_TEXT] = m->dec;
      }
    else
      {
        m->enc = std::make_shared<lk::Encoder> (*params, dev);
        m->towers[LK_SHIM_TOWER_TEXT] = m->enc;
      }
    m->device_name = dev.str ();
    m->pad_id = params->pad_token_id;
    lk::status_ok (status);
    return m.release ();
  )
}

void
lk_shim_model_free (lk_shim_model *model)
{
  delete model;
}

int
lk_shim_model_embedding_dim (const lk_shim_model *model)
{
  if (!model)
    return 0;
  return model->clip ? model->clip->embedding_dim ()
         : model->dec ? model->dec->embedding_dim ()
         : model->mb ? model->mb->embedding_dim () : model->enc->embedding_dim ();
}

int
lk_shim_model_image_size (const lk_shim_model *model)
{
  return model && model->clip ? model->clip->image_size () : 0;
}

int
lk_shim_embed_images (lk_shim_model *model, int n, const float *pixels, float *out,
                      const lk_shim_run_params *run_params, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || n < 0 || (n > 0 && (!pixels || !out)))
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_embed_images: bad arguments");
    if (!model->clip)
      lk::fail (LK_SHIM_ERROR_UNSUPPORTED, "this model has no vision tower (only CLIP models embed images)");
    lk_shim_run_params defaults;
    lk_shim_run_default_params (&defaults);
    lk::Run run { run_params ? run_params : &defaults };
    int bs = run.p->batch_size > 0 ? run.p->batch_size : 32;
    int64_t s = model->clip->image_size ();
    int d = model->clip->embedding_dim ();
    torch::InferenceMode guard;
    for (int from = 0; from < n; from += bs)
      {
        run.check_abort ();
        int64_t b = std::min (n, from + bs) - from;
        auto px = torch::from_blob ((void *) (pixels + (size_t) from * 3 * s * s), { b, 3, s, s }, torch::kFloat32);
        auto e = model->clip->image_forward (px.to (model->clip->device ()), run).to (torch::kCPU, torch::kFloat32).contiguous ();
        memcpy (out + (size_t) from * d, e.data_ptr<float> (), sizeof (float) * b * d);
        run.progress ((double) (from + b) / n);
      }
    lk::status_ok (status);
    return 0;
  )
}

const char *
lk_shim_model_device_name (const lk_shim_model *model)
{
  return model ? model->device_name.c_str () : "";
}

int
lk_shim_embed (lk_shim_model *model, int n, const int32_t *const *ids, const int *lengths,
               float *out, const lk_shim_run_params *run_params, lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || n < 0 || (n > 0 && (!ids || !lengths || !out)))
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_embed: bad arguments");
    for (int i = 0; i < n; i++)
      if (lengths[i] <= 0 || !ids[i])
        lk::fail (LK_SHIM_ERROR_INVALID, "text %d has no tokens", i);
    lk_shim_run_params defaults;
    lk_shim_run_default_params (&defaults);
    lk::Run run { run_params ? run_params : &defaults };
    int bs = run.p->batch_size > 0 ? run.p->batch_size : 32;
    // Longest first, so that each batch pads little and memory peaks early.
    std::vector<int> order (n);
    std::iota (order.begin (), order.end (), 0);
    std::stable_sort (order.begin (), order.end (), [&] (int a, int b) { return lengths[a] > lengths[b]; });
    torch::InferenceMode guard;
    for (int from = 0; from < n; from += bs)
      {
        run.check_abort ();
        embed_batch (model, order, from, std::min (n, from + bs), ids, lengths, out, run);
        run.progress ((double) std::min (n, from + bs) / n);
      }
    lk::status_ok (status);
    return 0;
  )
}

int
lk_shim_cuda_available (void)
{
  try { return torch::cuda::is_available () ? 1 : 0; } catch (...) { return 0; }
}

void
lk_shim_set_num_threads (int n)
{
  try { at::set_num_threads (n > 0 ? n : default_threads ()); } catch (...) {}
}

int
lk_shim_get_num_threads (void)
{
  try { return at::get_num_threads (); } catch (...) { return 1; }
}

const char *
lk_shim_libtorch_version (void)
{
  return TORCH_VERSION;
}

} // extern "C"
