// shim-train.cpp — S3BERT metric distillation (METHODS.md §4): the last
// layers of a student learn aspect sub-embeddings while a frozen copy of
// the starting model keeps the overall similarities in place.
#include "shim-encoder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

namespace lk {

std::vector<std::pair<std::string, torch::Tensor *>>
Encoder::tail_parameters (int n)
{
  std::vector<std::pair<std::string, torch::Tensor *>> out;
  bool mpnet = arch_ == LK_SHIM_ARCH_MPNET;
  auto add_linear = [&] (const std::string &name, Linear &l) {
    out.push_back ({ name + ".weight", &l.w });
    if (l.b.defined ())
      out.push_back ({ name + ".bias", &l.b });
  };
  auto add_norm = [&] (const std::string &name, Norm &nm) {
    out.push_back ({ name + ".weight", &nm.w });
    out.push_back ({ name + ".bias", &nm.b });
  };
  int first = std::max (0, num_layers () - n);
  for (int i = first; i < num_layers (); i++)
    {
      std::string l = "encoder.layer." + std::to_string (i) + ".";
      Layer &L = layers_[i];
      add_linear (l + (mpnet ? "attention.attn.q" : "attention.self.query"), L.q);
      add_linear (l + (mpnet ? "attention.attn.k" : "attention.self.key"), L.k);
      add_linear (l + (mpnet ? "attention.attn.v" : "attention.self.value"), L.v);
      add_linear (l + (mpnet ? "attention.attn.o" : "attention.output.dense"), L.o);
      add_norm (l + (mpnet ? "attention.LayerNorm" : "attention.output.LayerNorm"), L.attn_norm);
      add_linear (l + "intermediate.dense", L.up);
      add_linear (l + "output.dense", L.down);
      add_norm (l + "output.LayerNorm", L.out_norm);
    }
  for (size_t i = 0; i < dense_.size (); i++)
    add_linear ("dense." + std::to_string (i) + ".linear", dense_[i].lin);
  return out;
}

namespace {

torch::Device
train_device (lk_shim_device want)
{
  bool cuda = torch::cuda::is_available ();
  if (want == LK_SHIM_DEVICE_CUDA && !cuda)
    fail (LK_SHIM_ERROR_UNSUPPORTED, "CUDA was asked for, but no CUDA device is usable");
  return want != LK_SHIM_DEVICE_CPU && cuda ? torch::Device (torch::kCUDA, 0) : torch::Device (torch::kCPU);
}

struct Data {
  int n_train, n_dev, n_aspects;
  const int32_t *const *ids_a;
  const int *len_a;
  const int32_t *const *ids_b;
  const int *len_b;
  const float *targets;
};

// Padded ids and mask [B, S] for the pairs `rows` of one side.
void
pad (const std::vector<int> &rows, const int32_t *const *ids, const int *len, int pad_id, torch::Device dev,
     torch::Tensor &tid, torch::Tensor &tmask)
{
  int64_t b = (int64_t) rows.size (), s = 0;
  for (int r : rows)
    s = std::max<int64_t> (s, len[r]);
  tid = torch::full ({ b, s }, (int64_t) std::max (pad_id, 0), torch::kInt64);
  tmask = torch::zeros ({ b, s }, torch::kInt64);
  auto ia = tid.accessor<int64_t, 2> ();
  auto ma = tmask.accessor<int64_t, 2> ();
  for (int64_t i = 0; i < b; i++)
    for (int j = 0; j < len[rows[i]]; j++)
      {
        ia[i][j] = ids[rows[i]][j];
        ma[i][j] = 1;
      }
  tid = tid.to (dev);
  tmask = tmask.to (dev);
}

// One side of a batch: its mask and the hidden state entering the first
// trainable layer (the frozen part runs once, without a graph).
struct Side {
  torch::Tensor mask, bias, x;
};

Side
frozen_side (const Encoder &enc, int from, const std::vector<int> &rows, const int32_t *const *ids,
             const int *len, int pad_id)
{
  torch::NoGradGuard no_grad;
  torch::Tensor tid;
  Side s;
  pad (rows, ids, len, pad_id, enc.device (), tid, s.mask);
  s.bias = enc.attention_bias (s.mask);
  s.x = enc.hidden_at (from, tid, s.mask);
  return s;
}

torch::Tensor
embed (const Encoder &enc, int from, const Side &s, const Run &run)
{
  return enc.from_layer (from, s.x, s.bias, s.mask, Rules (), run);
}

torch::Tensor
unit (const torch::Tensor &e)
{
  return e / e.norm (2, -1, true).clamp_min (1e-12);
}

// [B, n]: the cosine of each aspect's sub-embeddings.
torch::Tensor
aspect_cosines (const torch::Tensor &ea, const torch::Tensor &eb, int n, int k)
{
  auto a = unit (ea.narrow (1, 0, (int64_t) n * k).view ({ ea.size (0), n, k }));
  auto b = unit (eb.narrow (1, 0, (int64_t) n * k).view ({ eb.size (0), n, k }));
  return (a * b).sum (-1);
}

torch::Tensor
cos_matrix (const torch::Tensor &ea, const torch::Tensor &eb)
{
  return torch::matmul (unit (ea), unit (eb).t ());
}

torch::Tensor
batch_targets (const Data &d, const std::vector<int> &rows, torch::Device dev)
{
  auto t = torch::empty ({ (int64_t) rows.size (), d.n_aspects }, torch::kFloat32);
  float *p = t.data_ptr<float> ();
  for (size_t i = 0; i < rows.size (); i++)
    memcpy (p + i * d.n_aspects, d.targets + (size_t) rows[i] * d.n_aspects, sizeof (float) * d.n_aspects);
  return t.to (dev);
}

class Trainer {
public:
  Trainer (const lk_shim_model_params &mp, const Data &d, const lk_shim_train_params &tp)
    : mp_ (mp), d_ (d), tp_ (tp), dev_ (train_device (mp.device)),
      student_ (mp, dev_), teacher_ (mp, dev_)
  {
    int dim = student_.embedding_dim ();
    if ((long) tp.n_aspects * tp.aspect_dim > dim)
      fail (LK_SHIM_ERROR_INVALID, "the layout needs %d aspects × %d dims = %d dims, but the model's embedding has %d",
            tp.n_aspects, tp.aspect_dim, tp.n_aspects * tp.aspect_dim, dim);
    from_ = std::max (0, student_.num_layers () - tp.trainable_layers);
    for (auto &kv : student_.tail_parameters (tp.trainable_layers))
      {
        // A private, trainable copy (the loaded tensors may view the read-only map).
        *kv.second = kv.second->detach ().clone ().set_requires_grad (true);
        names_.push_back (kv.first);
        params_.push_back (*kv.second);
      }
    opt_a_ = std::make_unique<torch::optim::AdamW> (params_, torch::optim::AdamWOptions (tp.lr).weight_decay (tp.weight_decay));
    opt_c_ = std::make_unique<torch::optim::AdamW> (params_, torch::optim::AdamWOptions (tp.lr).weight_decay (tp.weight_decay));
    steps_per_epoch_ = (d.n_train + tp.batch_size - 1) / tp.batch_size;
    n_steps_ = (long) steps_per_epoch_ * tp.epochs;
    best_ = snapshot ();
  }

  void run (lk_shim_train_result *res, const Run &abort_run)
  {
    if (tp_.checkpoint_path && std::ifstream (tp_.checkpoint_path).good ())
      load_checkpoint ();
    res->resumed_from_step = (int) step_;
    bool first_report = true;
    while (step_ < n_steps_)
      {
        int epoch = (int) (step_ / steps_per_epoch_);
        std::vector<int> order = epoch_order (epoch);
        long in_epoch = step_ % steps_per_epoch_;
        std::vector<int> rows (order.begin () + in_epoch * tp_.batch_size,
                               order.begin () + std::min<long> (d_.n_train, (in_epoch + 1) * tp_.batch_size));
        abort_run.check_abort ();
        lk_shim_train_progress pr = train_step (rows);
        pr.resumed = first_report && step_ > 1 && res->resumed_from_step > 0;
        first_report = false;
        if (res->steps_done == 0)
          {
            res->first_aspect_loss = pr.aspect_loss;
            res->first_consistency_loss = pr.consistency_loss;
          }
        res->last_aspect_loss = pr.aspect_loss;
        res->last_consistency_loss = pr.consistency_loss;
        res->steps_done++;
        bool epoch_end = step_ % steps_per_epoch_ == 0;
        if (epoch_end || (tp_.eval_steps > 0 && step_ % tp_.eval_steps == 0))
          {
            evaluate (pr);
            if (pr.dev_score > best_score_)
              {
                best_score_ = pr.dev_score;
                best_step_ = step_;
                best_ = snapshot ();
              }
            save_checkpoint ();
          }
        pr.epoch = epoch;
        if (tp_.progress)
          tp_.progress (&pr, tp_.user_data);
      }
    res->best_score = best_score_;
    res->best_step = best_step_;
    res->best_epoch = best_step_ > 0 ? (int) ((best_step_ - 1) / steps_per_epoch_) : -1;
    write_outputs ();
  }

private:
  const lk_shim_model_params &mp_;
  const Data &d_;
  const lk_shim_train_params &tp_;
  torch::Device dev_;
  Encoder student_, teacher_;
  int from_ = 0, steps_per_epoch_ = 1;
  long n_steps_ = 0, step_ = 0, best_step_ = 0;
  double best_score_ = -INFINITY;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_, best_;
  std::unique_ptr<torch::optim::AdamW> opt_a_, opt_c_;

  std::vector<int> epoch_order (int epoch) const
  {
    std::vector<int> order (d_.n_train);
    std::iota (order.begin (), order.end (), 0);
    std::mt19937 rng (tp_.seed * 1000003u + (unsigned) epoch);
    std::shuffle (order.begin (), order.end (), rng);
    return order;
  }

  // Warm-up from 0, then linear decay to 0 at the last step (sentence-transformers' WarmupLinear).
  double lr_at (long step) const
  {
    if (step < tp_.warmup_steps)
      return tp_.lr * (double) step / std::max (1, tp_.warmup_steps);
    return tp_.lr * std::max (0.0, (double) (n_steps_ - step) / std::max (1.0, (double) (n_steps_ - tp_.warmup_steps)));
  }

  void set_lr (torch::optim::AdamW &opt, double lr)
  {
    for (auto &g : opt.param_groups ())
      static_cast<torch::optim::AdamWOptions &> (g.options ()).lr (lr);
  }

  lk_shim_train_progress train_step (const std::vector<int> &rows)
  {
    lk_shim_train_progress pr {};
    pr.n_epochs = tp_.epochs;
    pr.n_steps = n_steps_;
    Run none { nullptr };
    Side a = frozen_side (student_, from_, rows, d_.ids_a, d_.len_a, mp_.pad_token_id);
    Side b = frozen_side (student_, from_, rows, d_.ids_b, d_.len_b, mp_.pad_token_id);
    torch::Tensor target = batch_targets (d_, rows, dev_), teacher_cos;
    {
      torch::NoGradGuard no_grad;
      teacher_cos = cos_matrix (embed (teacher_, from_, a, none), embed (teacher_, from_, b, none));
    }
    double lr = lr_at (step_);
    pr.lr = lr;
    set_lr (*opt_a_, lr);
    set_lr (*opt_c_, lr);

    auto loss_a = torch::mse_loss (aspect_cosines (embed (student_, from_, a, none), embed (student_, from_, b, none),
                                                   tp_.n_aspects, tp_.aspect_dim), target);
    opt_a_->zero_grad ();
    loss_a.backward ();
    opt_a_->step ();
    pr.aspect_loss = loss_a.item<double> ();

    auto loss_c = torch::mse_loss (cos_matrix (embed (student_, from_, a, none), embed (student_, from_, b, none)),
                                   teacher_cos);
    opt_c_->zero_grad ();
    loss_c.backward ();
    opt_c_->step ();
    pr.consistency_loss = loss_c.item<double> ();
    {
      torch::NoGradGuard no_grad;
      auto sa = embed (student_, from_, a, none), sb = embed (student_, from_, b, none);
      pr.aspect_loss_after = torch::mse_loss (aspect_cosines (sa, sb, tp_.n_aspects, tp_.aspect_dim), target).item<double> ();
      pr.consistency_loss_after = torch::mse_loss (cos_matrix (sa, sb), teacher_cos).item<double> ();
    }
    if (!std::isfinite (pr.aspect_loss) || !std::isfinite (pr.consistency_loss))
      fail (LK_SHIM_ERROR_INTERNAL, "training diverged at step %ld (a loss is not finite)", step_ + 1);
    step_++;
    pr.step = step_;
    return pr;
  }

  void evaluate (lk_shim_train_progress &pr)
  {
    torch::NoGradGuard no_grad;
    Run none { nullptr };
    int first = d_.n_dev > 0 ? d_.n_train : 0, n = d_.n_dev > 0 ? d_.n_dev : d_.n_train;
    double sum_a = 0, sum_c = 0;
    int batches = 0;
    for (int from = 0; from < n; from += tp_.batch_size)
      {
        std::vector<int> rows;
        for (int i = from; i < std::min (n, from + tp_.batch_size); i++)
          rows.push_back (first + i);
        Side a = frozen_side (student_, from_, rows, d_.ids_a, d_.len_a, mp_.pad_token_id);
        Side b = frozen_side (student_, from_, rows, d_.ids_b, d_.len_b, mp_.pad_token_id);
        auto sa = embed (student_, from_, a, none), sb = embed (student_, from_, b, none);
        auto ta = embed (teacher_, from_, a, none), tb = embed (teacher_, from_, b, none);
        sum_a += torch::mse_loss (aspect_cosines (sa, sb, tp_.n_aspects, tp_.aspect_dim),
                                  batch_targets (d_, rows, dev_)).item<double> ();
        sum_c += torch::mse_loss (cos_matrix (sa, sb), cos_matrix (ta, tb)).item<double> ();
        batches++;
      }
    pr.evaluated = 1;
    pr.dev_aspect_mse = sum_a / batches;
    pr.dev_consistency_mse = sum_c / batches;
    pr.dev_score = 1.0 - (pr.dev_aspect_mse + pr.dev_consistency_mse);
  }

  std::vector<torch::Tensor> snapshot () const
  {
    std::vector<torch::Tensor> out;
    for (const auto &p : params_)
      out.push_back (p.detach ().to (torch::kCPU).clone ());
    return out;
  }

  void save_checkpoint ()
  {
    if (!tp_.checkpoint_path)
      return;
    torch::serialize::OutputArchive ar;
    ar.write ("step", torch::tensor ((int64_t) step_));
    ar.write ("best_step", torch::tensor ((int64_t) best_step_));
    ar.write ("best_score", torch::tensor (best_score_, torch::kFloat64));
    ar.write ("n_params", torch::tensor ((int64_t) params_.size ()));
    for (size_t i = 0; i < params_.size (); i++)
      {
        ar.write ("p" + std::to_string (i), params_[i].detach ().to (torch::kCPU));
        ar.write ("b" + std::to_string (i), best_[i]);
      }
    torch::serialize::OutputArchive oa, oc;
    opt_a_->save (oa);
    opt_c_->save (oc);
    ar.write ("opt_a", oa);
    ar.write ("opt_c", oc);
    std::string tmp = std::string (tp_.checkpoint_path) + ".tmp";
    try
      {
        ar.save_to (tmp);
      }
    catch (const c10::Error &e)
      {
        std::remove (tmp.c_str ());
        fail (LK_SHIM_ERROR_IO, "%s: cannot write the checkpoint: %s", tp_.checkpoint_path, e.what_without_backtrace ());
      }
    if (std::rename (tmp.c_str (), tp_.checkpoint_path) != 0)
      {
        std::remove (tmp.c_str ());
        fail (LK_SHIM_ERROR_IO, "%s: cannot write the checkpoint", tp_.checkpoint_path);
      }
  }

  void load_checkpoint ()
  {
    torch::serialize::InputArchive ar;
    try
      {
        ar.load_from (tp_.checkpoint_path, dev_);
      }
    catch (const c10::Error &e)
      {
        fail (LK_SHIM_ERROR_FORMAT, "%s: not a checkpoint of this trainer: %s", tp_.checkpoint_path, e.what_without_backtrace ());
      }
    auto get = [&] (const std::string &key) {
      torch::Tensor t;
      ar.read (key, t);
      return t;
    };
    int64_t n = get ("n_params").item<int64_t> ();
    if (n != (int64_t) params_.size ())
      fail (LK_SHIM_ERROR_FORMAT, "%s: the checkpoint holds %lld tensors, this run trains %zu: not the same set-up",
            tp_.checkpoint_path, (long long) n, params_.size ());
    step_ = get ("step").item<int64_t> ();
    best_step_ = get ("best_step").item<int64_t> ();
    best_score_ = get ("best_score").item<double> ();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size (); i++)
      {
        torch::Tensor p = get ("p" + std::to_string (i)), b = get ("b" + std::to_string (i));
        if (p.sizes () != params_[i].sizes () || b.sizes () != params_[i].sizes ())
          fail (LK_SHIM_ERROR_FORMAT, "%s: tensor %s has another shape than this model's", tp_.checkpoint_path,
                names_[i].c_str ());
        params_[i].copy_ (p.to (params_[i].device ()));
        best_[i] = b.to (torch::kCPU).clone ();
      }
    torch::serialize::InputArchive ia, ic;
    ar.read ("opt_a", ia);
    ar.read ("opt_c", ic);
    opt_a_->load (ia);
    opt_c_->load (ic);
    if (step_ > n_steps_)
      fail (LK_SHIM_ERROR_FORMAT, "%s: the checkpoint is at step %ld, beyond this run's %ld steps", tp_.checkpoint_path,
            step_, n_steps_);
  }

  void write_outputs () const;
};

const char *
dtype_name (const torch::Tensor &t)
{
  switch (t.scalar_type ())
    {
    case torch::kFloat32: return "F32";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kFloat64: return "F64";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kInt16: return "I16";
    case torch::kInt8: return "I8";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: fail (LK_SHIM_ERROR_UNSUPPORTED, "a tensor of dtype %s cannot be written to safetensors",
                   c10::toString (t.scalar_type ()));
    }
}

std::string
json_escape (const std::string &s)
{
  std::string o;
  for (char c : s)
    {
      if (c == '"' || c == '\\')
        o += '\\';
      if ((unsigned char) c < 0x20)
        {
          char buf[8];
          snprintf (buf, sizeof buf, "\\u%04x", c);
          o += buf;
          continue;
        }
      o += c;
    }
  return o;
}

// Writes `tensors` (CPU, any order) as a safetensors file, through a temporary file.
void
write_safetensors (const std::string &path, const std::map<std::string, torch::Tensor> &tensors)
{
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  size_t offset = 0;
  std::vector<torch::Tensor> data;
  for (const auto &kv : tensors)
    {
      torch::Tensor t = kv.second.contiguous ();
      size_t n = (size_t) t.numel () * t.element_size ();
      header += ",\"" + json_escape (kv.first) + "\":{\"dtype\":\"" + dtype_name (t) + "\",\"shape\":[";
      for (int64_t i = 0; i < t.dim (); i++)
        header += (i ? "," : "") + std::to_string (t.size (i));
      header += "],\"data_offsets\":[" + std::to_string (offset) + "," + std::to_string (offset + n) + "]}";
      offset += n;
      data.push_back (t);
    }
  header += "}";
  while (header.size () % 8)
    header += ' ';
  std::string tmp = path + ".tmp";
  FILE *f = fopen (tmp.c_str (), "wb");
  if (!f)
    fail (LK_SHIM_ERROR_IO, "%s: cannot create", tmp.c_str ());
  uint64_t hlen = header.size ();
  unsigned char len8[8];
  for (int i = 0; i < 8; i++)
    len8[i] = (unsigned char) (hlen >> (8 * i));
  bool ok = fwrite (len8, 1, 8, f) == 8 && fwrite (header.data (), 1, header.size (), f) == header.size ();
  for (const auto &t : data)
    {
      size_t n = (size_t) t.numel () * t.element_size ();
      ok = ok && (n == 0 || fwrite (t.data_ptr (), 1, n, f) == n);
    }
  ok = (fclose (f) == 0) && ok;
  if (!ok || std::rename (tmp.c_str (), path.c_str ()) != 0)
    {
      std::remove (tmp.c_str ());
      fail (LK_SHIM_ERROR_IO, "%s: cannot write", path.c_str ());
    }
}

// Every tensor of a base weights file, with the trained ones (named
// without the checkpoint's prefix, `strip` removed) put in their place.
void
write_with (const std::string &base_path, const std::string &out, const char *anchor, const std::string &strip,
            const std::vector<std::string> &names, const std::vector<torch::Tensor> &values)
{
  Weights w = load_weights (base_path);
  std::string prefix;
  size_t n = strlen (anchor);
  for (const auto &kv : w.tensors)
    if (kv.first.size () >= n && kv.first.compare (kv.first.size () - n, n, anchor) == 0)
      prefix = kv.first.substr (0, kv.first.size () - n);
  std::map<std::string, torch::Tensor> all;
  for (const auto &kv : w.tensors)
    all[kv.first] = kv.second;
  for (size_t i = 0; i < names.size (); i++)
    {
      if (names[i].compare (0, strip.size (), strip) != 0)
        continue;
      std::string key = prefix + names[i].substr (strip.size ());
      if (!all.count (key))
        fail (LK_SHIM_ERROR_INTERNAL, "%s: no tensor '%s' to replace", base_path.c_str (), key.c_str ());
      all[key] = values[i].to (torch::kCPU, torch::kFloat32);
    }
  write_safetensors (out, all);
}

void
Trainer::write_outputs () const
{
  if (!tp_.output_weights)
    return;
  std::vector<std::string> enc_names;
  std::vector<torch::Tensor> enc_values;
  for (size_t i = 0; i < names_.size (); i++)
    if (names_[i].compare (0, 6, "dense.") != 0)
      {
        enc_names.push_back (names_[i]);
        enc_values.push_back (best_[i]);
      }
  write_with (mp_.weights_path, tp_.output_weights, "embeddings.word_embeddings.weight", "", enc_names, enc_values);
  for (int d = 0; d < mp_.n_dense; d++)
    {
      if (!tp_.output_dense[d])
        fail (LK_SHIM_ERROR_INVALID, "no output path for Dense module %d", d);
      write_with (mp_.dense[d].weights_path, tp_.output_dense[d], "linear.weight",
                  "dense." + std::to_string (d) + ".", names_, best_);
    }
}

} // namespace

} // namespace lk

extern "C" {

void
lk_shim_train_default_params (lk_shim_train_params *p)
{
  memset (p, 0, sizeof *p);
  p->epochs = 2;
  p->batch_size = 64;
  p->lr = 2e-5;
  p->warmup_steps = 100;
  p->weight_decay = 0.01;
  p->trainable_layers = 2;
  p->seed = 1;
}

int
lk_shim_train_aspects (const lk_shim_model_params *model, int n_train, int n_dev,
                       const int32_t *const *ids_a, const int *len_a, const int32_t *const *ids_b, const int *len_b,
                       const float *targets, const lk_shim_train_params *params, lk_shim_train_result *result,
                       lk_shim_status *status)
{
  LK_SHIM_GUARD (status, return -1,
    if (!model || !params || !ids_a || !len_a || !ids_b || !len_b || !targets || n_train < 0 || n_dev < 0)
      lk::fail (LK_SHIM_ERROR_INVALID, "lk_shim_train_aspects: bad arguments");
    if (params->n_aspects <= 0 || params->aspect_dim <= 0)
      lk::fail (LK_SHIM_ERROR_INVALID, "the layout needs at least one aspect of at least one dimension");
    if (params->batch_size <= 0 || params->epochs <= 0 || !(params->lr > 0) || params->warmup_steps < 0 ||
        params->trainable_layers <= 0)
      lk::fail (LK_SHIM_ERROR_INVALID, "training parameters: batch size, epochs, learning rate and trainable layers must be positive");
    if (n_train < params->batch_size)
      lk::fail (LK_SHIM_ERROR_INVALID, "%d training pairs are fewer than one batch of %d", n_train, params->batch_size);
    for (int i = 0; i < n_train + n_dev; i++)
      if (len_a[i] <= 0 || len_b[i] <= 0 || !ids_a[i] || !ids_b[i])
        lk::fail (LK_SHIM_ERROR_INVALID, "pair %d has a text without tokens", i + 1);
    for (long i = 0; i < (long) (n_train + n_dev) * params->n_aspects; i++)
      if (!std::isfinite (targets[i]))
        lk::fail (LK_SHIM_ERROR_INVALID, "pair %ld: target %ld is not a finite number", i / params->n_aspects + 1,
                  i % params->n_aspects + 1);
    lk_shim_train_result local {};
    lk_shim_train_result *res = result ? result : &local;
    *res = lk_shim_train_result {};
    lk::Data d { n_train, n_dev, params->n_aspects, ids_a, len_a, ids_b, len_b, targets };
    lk_shim_run_params rp;
    lk_shim_run_default_params (&rp);
    rp.abort = params->abort;
    rp.user_data = params->user_data;
    if (model->n_threads > 0 || at::get_num_threads () == 1)
      lk_shim_set_num_threads (model->n_threads);
    // The fine-tuning updates an encoder's last layers (Encoder::tail_parameters).
    if (model->arch == LK_SHIM_ARCH_CLIP || model->arch == LK_SHIM_ARCH_DECODER ||
        model->arch == LK_SHIM_ARCH_MODERNBERT)
      lk::fail (LK_SHIM_ERROR_UNSUPPORTED, "aspect fine-tuning needs a BERT, MPNet or XLM-R encoder");
    lk::Trainer trainer (*model, d, *params);
    trainer.run (res, lk::Run { &rp });
    lk::status_ok (status);
    return 0;
  )
}

} // extern "C"
