// Precompiled once: libtorch's headers dominate the shim's build time.
#include <torch/torch.h>
