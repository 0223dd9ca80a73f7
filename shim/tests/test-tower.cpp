// test-tower.cpp — the Tower interface on its own: a tower that is nothing
// but a from_layer gets a correct forward mode from the default
// jvp_from_layer (libtorch's forward-mode AD), on the plain and the LRP
// graph; and the engine sizes its passes by each tower's heads and width,
// CLIP's vision tower included (no head count is assumed).
#include "shim-clip.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int n_checks, n_failed;

void
check (bool ok, const std::string &what)
{
  n_checks++;
  if (!ok)
    n_failed++;
  std::printf ("%s %d - %s\n", ok ? "ok" : "not ok", n_checks, what.c_str ());
}

// One attention layer over tanh features, mean pooling and a projection:
// softmax across tokens, so that the tokens' tangents interact.
class ToyTower final : public lk::Tower {
public:
  ToyTower (int heads, int hidden) : heads_ (heads), hidden_ (hidden)
  {
    torch::manual_seed (1);
    w_ = torch::randn ({ hidden, hidden }) * 0.5;
    proj_ = torch::randn ({ 5, hidden });
  }

  const char *name () const override { return "the toy tower"; }
  int num_layers () const override { return 1; }
  int hidden () const override { return hidden_; }
  int heads () const override { return heads_; }
  torch::Device device () const override { return torch::kCPU; }
  torch::Tensor hidden_at (int, const lk::TowerInput &in) const override
  {
    return torch::sin (in.ids.to (torch::kFloat32).unsqueeze (-1) * torch::arange (1, hidden_ + 1));
  }
  torch::Tensor from_layer (int layer, const torch::Tensor &xs, const lk::TowerInput &, const lk::Rules &r,
                            const lk::Run &) const override
  {
    auto x = xs;
    if (layer == 0)
      {
        auto f = torch::tanh (torch::matmul (x, w_));
        auto probs = torch::softmax (torch::matmul (f, f.transpose (1, 2)), -1);
        if (r.lrp)
          probs = probs.detach ();
        x = x + torch::matmul (probs, f);
      }
    return torch::matmul (x.mean (1), proj_.t ());
  }
  std::unique_ptr<lk::Tower> with_zero_biases () const override { return std::make_unique<ToyTower> (*this); }

private:
  int heads_, hidden_;
  torch::Tensor w_, proj_;
};

// Rows of the Jacobian by autograd, one backward pass per output dimension:
// J_d · v for the one-row tangents (dv[j] at rows[j]).
torch::Tensor
jvp_by_reverse (const lk::Tower &t, const torch::Tensor &x, const torch::Tensor &rows, const torch::Tensor &dv,
                const lk::TowerInput &in, const lk::Rules &r)
{
  auto input = x.detach ().clone ().requires_grad_ (true);
  auto e = t.from_layer (0, input, in, r, lk::Run { nullptr })[0];
  auto out = torch::zeros ({ dv.size (0), e.size (0) });
  for (int64_t d = 0; d < e.size (0); d++)
    {
      auto g = torch::autograd::grad ({ e[d] }, { input }, {}, true)[0][0];  // [S, H]
      out.select (1, d).copy_ ((g.index_select (0, rows) * dv).sum (-1));
    }
  return out;
}

void
check_default_jvp ()
{
  ToyTower t (4, 8);
  lk::TowerInput in;
  in.ids = torch::tensor ({ { 3, 1, 4, 1, 5, 9 } }, torch::kInt64);
  auto x = t.hidden_at (0, in);  // [1, 6, 8]
  auto rows = torch::tensor ({ 0, 2, 5, 2 }, torch::kInt64);
  auto dv = torch::randn ({ 4, 8 });
  for (bool lrp : { false, true })
    {
      lk::Rules r;
      r.lrp = lrp;
      auto forward = t.jvp_from_layer (0, x, rows, dv, in, r, lk::Run { nullptr });
      auto reverse = jvp_by_reverse (t, x, rows, dv, in, r);
      double diff = (forward - reverse).abs ().max ().item<double> () / reverse.abs ().max ().item<double> ();
      char what[128];
      std::snprintf (what, sizeof what, "default forward mode = reverse mode, %s graph (rel %.2g)",
                     lrp ? "LRP" : "plain", diff);
      check (forward.sizes () == reverse.sizes () && diff < 1e-5, what);
    }
  // The LRP rule is not a no-op here: the detached softmax changes the JVP.
  lk::Rules plain, lrp;
  lrp.lrp = true;
  auto a = t.jvp_from_layer (0, x, rows, dv, in, plain, lk::Run { nullptr });
  auto b = t.jvp_from_layer (0, x, rows, dv, in, lrp, lk::Run { nullptr });
  check ((a - b).abs ().max ().item<double> () > 1e-4, "the LRP graph's JVP differs from the plain one");
  // A level left open by a cancel would make the next forward pass throw.
  lk_shim_run_params rp;
  lk_shim_run_default_params (&rp);
  rp.abort = [] (void *) { return 1; };
  lk::Run cancel { &rp };
  struct Cancelling final : lk::Tower {
    const ToyTower &t;
    explicit Cancelling (const ToyTower &t) : t (t) {}
    const char *name () const override { return "cancelling"; }
    int num_layers () const override { return 1; }
    int hidden () const override { return t.hidden (); }
    int heads () const override { return t.heads (); }
    torch::Device device () const override { return torch::kCPU; }
    torch::Tensor hidden_at (int l, const lk::TowerInput &in) const override { return t.hidden_at (l, in); }
    torch::Tensor from_layer (int l, const torch::Tensor &xs, const lk::TowerInput &in, const lk::Rules &r,
                              const lk::Run &run) const override
    {
      run.check_abort ();
      return t.from_layer (l, xs, in, r, run);
    }
    std::unique_ptr<lk::Tower> with_zero_biases () const override { return nullptr; }
  } stopping (t);
  bool threw = false;
  try
    {
      stopping.jvp_from_layer (0, x, rows, dv, in, plain, cancel);
    }
  catch (const lk::Error &e)
    {
      threw = e.code == LK_SHIM_ERROR_CANCELLED;
    }
  auto again = t.jvp_from_layer (0, x, rows, dv, in, plain, lk::Run { nullptr });
  check (threw && (again - a).abs ().max ().item<double> () == 0, "a cancelled forward pass leaves none open");
}

void
check_sizes ()
{
  ToyTower four (4, 64), many (32, 64);
  int64_t f4 = lk::tangents_per_pass (four, 512, 0), f32 = lk::tangents_per_pass (many, 512, 0);
  int64_t r4 = lk::sequences_per_pass (four, 512, 0), r32 = lk::sequences_per_pass (many, 512, 0);
  check (f32 < f4 && r32 < r4, "more heads, smaller passes at S = 512 (forward " + std::to_string (f4) + " → "
                                  + std::to_string (f32) + ", reverse " + std::to_string (r4) + " → "
                                  + std::to_string (r32) + ")");
  check (lk::tangents_per_pass (many, 512, 3) == 3 && lk::sequences_per_pass (many, 512, 3) == 3,
         "max_batch overrides");
  check (lk::tangents_per_pass (four, 4, 0) == 256 && lk::sequences_per_pass (four, 4, 0) == 256,
         "at most 256 a pass");
}

// The tiny CLIPModel of tests/golden/tiny/clip, its vision tower with
// `heads` heads (its weights do not depend on them).
std::shared_ptr<lk::Clip>
tiny_clip (const std::string &weights, int heads)
{
  lk_shim_model_params p;
  lk_shim_model_default_params (&p);
  p.arch = LK_SHIM_ARCH_CLIP;
  p.weights_path = weights.c_str ();
  p.vocab_size = 2514;
  p.hidden_size = 32;
  p.num_layers = 2;
  p.num_heads = 4;
  p.intermediate_size = 64;
  p.max_position_embeddings = 77;
  p.projection_dim = 16;
  p.vision_hidden_size = 32;
  p.vision_num_layers = 2;
  p.vision_num_heads = heads;
  p.vision_intermediate_size = 64;
  p.image_size = 32;
  p.patch_size = 8;
  return std::make_shared<lk::Clip> (p, torch::kCPU);
}

void
check_clip_sizes ()
{
  const char *src = std::getenv ("LK_SRCDIR");
  std::string weights = std::string (src ? src : ".") + "/tests/golden/tiny/clip/model.safetensors";
  try
    {
      lk::ClipImageTower four (tiny_clip (weights, 4)), two (tiny_clip (weights, 2));
      lk::ClipTextTower text (tiny_clip (weights, 2));
      check (four.heads () == 4 && two.heads () == 2 && text.heads () == 4, "CLIP's towers report their own heads");
      int64_t s = 2048;  // large enough for the memory budget to bind at width 32
      check (lk::sequences_per_pass (two, s, 0) > lk::sequences_per_pass (four, s, 0)
               && lk::tangents_per_pass (two, s, 0) > lk::tangents_per_pass (four, s, 0),
             "a 2-head vision tower takes larger passes than a 4-head one");
    }
  catch (const lk::Error &e)
    {
      check (false, std::string ("loads the tiny CLIP: ") + e.what ());
    }
}

} // namespace

int
main ()
{
  check_default_jvp ();
  check_sizes ();
  check_clip_sizes ();
  std::printf ("1..%d\n", n_checks);
  return n_failed ? 1 : 0;
}
