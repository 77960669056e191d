// What the model-file readers report about one tensor, in one convention for GGUF and
// safetensors alike.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.h"

namespace g4 {

struct TensorInfo {
  std::string name;
  DType type = DType::F32;
  // Dimensions innermost first (ggml "ne" order): ne[0] is the contiguous axis. A safetensors
  // shape [out, in] is reported as ne = {in, out}.
  std::vector<int64_t> ne;
  const uint8_t* data = nullptr;  // inside the file image, bounds-checked by the reader
  size_t nbytes = 0;
  int64_t n_elements() const {
    int64_t n = 1;
    for (int64_t d : ne) n *= d;
    return n;
  }
};

}  // namespace g4
