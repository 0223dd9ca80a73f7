// shim-model-private.h — what an lk_shim_model handle holds.
#pragma once

#include "shim-encoder.h"
#include "shim-clip.h"

#include <mutex>

struct lk_shim_model {
  std::unique_ptr<lk::Encoder> enc;            // null for CLIP
  std::unique_ptr<lk::Clip> clip;              // CLIP only
  std::unique_ptr<lk::Clip> zero_bias_clip;    // made on first use
  std::unique_ptr<lk::Encoder> zero_bias_enc;  // made on first use
  std::string device_name;
  int pad_id;
  // Forward-mode AD levels are process-wide: one engine run at a time.
  std::mutex lock;
};
