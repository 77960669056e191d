// Weight element types and a typed view of one 2-D weight matrix as stored in the model file.
#pragma once
#include <cstddef>
#include <cstdint>

namespace g4 {

// Numbering is internal (not the GGUF type ids; see io/gguf.cpp for that mapping).
enum class DType : int32_t { F32 = 0, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, COUNT };

// Elements per block and bytes per block (1 element per "block" for the float types).
int64_t dtype_block_elems(DType t);
size_t dtype_block_bytes(DType t);
const char* dtype_name(DType t);
// Bytes taken by one row of n elements; n must be a multiple of the block size.
inline size_t dtype_row_bytes(DType t, int64_t n) {
  return static_cast<size_t>(n / dtype_block_elems(t)) * dtype_block_bytes(t);
}

// A row-major matrix W[rows][cols] in its stored format: row r starts at data + r*row_bytes.
// For a linear layer y = W x, rows = output features and cols = input features (the ggml
// [ne0 = in, ne1 = out] layout and the PyTorch [out, in] layout are the same bytes).
struct MatView {
  const void* data = nullptr;
  DType type = DType::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;
  const uint8_t* row(int64_t r) const { return static_cast<const uint8_t*>(data) + r * row_bytes; }
};

}  // namespace g4
