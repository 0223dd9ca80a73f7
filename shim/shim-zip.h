// shim-zip.h — a structural check of a zip archive before libtorch reads it.
#pragma once

#include <cstddef>
#include <string>

namespace lk {

// Throws lk::Error (LK_SHIM_ERROR_FORMAT) naming @path and the entry when
// the central directory or any entry's data lies outside the archive, or a
// stored entry's sizes disagree. libtorch 1.13's zip reader (miniz over
// memory) trusts these fields: a crafted pytorch_model.bin makes it read
// past the end of its buffer.
void check_zip (const unsigned char *data, size_t size, const std::string &path);

// Walks the opcodes of a pickle (data.pkl) and throws lk::Error naming
// @path and the byte offset when an opcode is unknown or its argument runs
// past the end. libtorch's unpickler reserves whatever a length field says
// before it reads: a 1 kB file can make it allocate gigabytes.
void check_pickle (const unsigned char *data, size_t size, const std::string &path);

} // namespace lk
