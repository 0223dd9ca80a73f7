// shim-model-private.h — what an lk_shim_model handle holds.
#pragma once

#include "shim-encoder.h"
#include "shim-clip.h"
#include "shim-decoder.h"
#include "shim-modernbert.h"

#include <mutex>

namespace lk {
// lk_shim_tower values the models know (LK_SHIM_TOWER_TEXT, _IMAGE).
constexpr int n_towers = LK_SHIM_TOWER_IMAGE + 1;
} // namespace lk

struct lk_shim_model {
  std::shared_ptr<lk::Encoder> enc;            // the encoders (BERT, MPNet, XLM-R)
  std::shared_ptr<lk::Decoder> dec;            // a decoder-only embedder
  std::shared_ptr<lk::ModernBert> mb;          // ModernBERT
  std::shared_ptr<lk::Clip> clip;              // CLIP only
  // What the contribution engine runs over, by lk_shim_tower; null where
  // the model has no such tower. An encoder is its own text tower.
  std::shared_ptr<const lk::Tower> towers[lk::n_towers];
  std::shared_ptr<const lk::Tower> zero_bias_towers[lk::n_towers];  // made on first use
  std::string device_name;
  int pad_id;
  // lk_shim_contributions holds it for its whole run: one run per model at
  // a time (a run already takes every thread and its peak memory), and the
  // zero-bias towers are made under it.
  std::mutex lock;
};
