#include "lk-error.h"

G_DEFINE_QUARK (lk-error-quark, lk_error)
