#include "base/dtype.h"

namespace g4 {

// Block layouts follow GGUF (see kernels/blocks.h for the byte structures).
int64_t dtype_block_elems(DType t) {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0: return 32;
    case DType::Q4_K:
    case DType::Q6_K: return 256;
    default: return 1;
  }
}

size_t dtype_block_bytes(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16:
    case DType::BF16: return 2;
    case DType::Q8_0: return 34;   // fp16 scale + 32 int8
    case DType::Q4_0: return 18;   // fp16 scale + 16 bytes of nibbles
    case DType::Q4_K: return 144;  // 2 fp16 + 12 bytes scales/mins + 128 bytes of nibbles
    case DType::Q6_K: return 210;  // 128 low nibbles + 64 high bits + 16 scales + fp16
    default: return 0;
  }
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_0: return "Q4_0";
    case DType::Q4_K: return "Q4_K";
    case DType::Q6_K: return "Q6_K";
    default: return "?";
  }
}

}  // namespace g4
