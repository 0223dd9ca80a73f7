// shim-safetensors-header.h — the safetensors header, parsed and checked
// without libtorch (so that it can be fuzzed on its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lk {

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// One tensor of the header; begin/end are offsets into the data section,
// already checked against it, against the shape and against the others.
struct StEntry {
  std::string name;
  StDtype dtype;
  int elem_size;  // bytes per element
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

struct StHeader {
  std::vector<StEntry> entries;  // sorted by begin, names unique
  uint64_t data_offset;          // where the data section starts in the file
  uint64_t data_size;
};

// Parses and checks the 8-byte length and JSON header of the safetensors
// file data[0..size); throws lk::Error naming `what` on any fault.
StHeader safetensors_read_header (const uint8_t *data, size_t size, const std::string &what);

} // namespace lk
