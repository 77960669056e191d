// Binds named tensors of a model file to typed views, checking presence, type and shape with
// messages that name the tensor. Shared by the decoder's and the projector's loaders.
#pragma once
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/half.h"
#include "model/weights.h"

namespace g4 {

inline std::string shape_str(const std::vector<int64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

class Binder {
 public:
  // n_params and bytes accumulate the size of every tensor bound.
  Binder(const TensorLookup& lookup, uint64_t& n_params, uint64_t& bytes)
      : lookup_(lookup), n_params_(n_params), bytes_(bytes) {}

  const TensorInfo* find(const std::string& name) const { return lookup_(name); }

  const TensorInfo& require(const std::string& name) const {
    const TensorInfo* t = lookup_(name);
    if (!t) fail(Status::bad_format, "tensor '" + name + "' is missing from the model file");
    return *t;
  }

  // The tensor's bytes as rows x cols in its stored type (shape checked by the callers).
  static MatView view(const TensorInfo& t, int64_t rows, int64_t cols) {
    MatView m;
    m.data = t.data;
    m.type = t.type;
    m.rows = rows;
    m.cols = cols;
    m.row_bytes = dtype_row_bytes(t.type, cols);
    return m;
  }

  // A linear layer y = W x with W [rows = out][cols = in] (ne = {in, out}).
  MatView matrix(const std::string& name, int64_t out, int64_t in) {
    const TensorInfo& t = require(name);
    if (t.ne.size() != 2 || t.ne[0] != in || t.ne[1] != out)
      fail(Status::bad_format, "tensor '" + name + "' has shape " + shape_str(t.ne) + ", expected [" +
                                   std::to_string(in) + ", " + std::to_string(out) + "] (ne order)");
    if (in % dtype_block_elems(t.type) != 0)
      fail(Status::bad_format, "tensor '" + name + "': row length " + std::to_string(in) +
                                   " is not a multiple of the " + dtype_name(t.type) + " block size");
    MatView m = view(t, out, in);
    if (m.row_bytes * static_cast<size_t>(out) != t.nbytes)
      fail(Status::bad_format, "tensor '" + name + "' has " + std::to_string(t.nbytes) + " bytes, expected " +
                                   std::to_string(m.row_bytes * static_cast<size_t>(out)));
    account(t);
    types_.insert(dtype_name(t.type));
    return m;
  }

  // A tensor of any rank seen as rows of `cols` contiguous values (e.g. a position table).
  MatView rows_view(const std::string& name, int64_t cols, int64_t rows) {
    const TensorInfo& t = require(name);
    if (t.ne.empty() || t.ne[0] != cols || t.n_elements() != cols * rows)
      fail(Status::bad_format, "tensor '" + name + "' has shape " + shape_str(t.ne) + ", expected " +
                                   std::to_string(rows) + " rows of " + std::to_string(cols));
    if (dtype_block_elems(t.type) != 1)
      fail(Status::bad_format, "tensor '" + name + "' must be F32, F16 or BF16, not " + dtype_name(t.type));
    account(t);
    return view(t, rows, cols);
  }

  // A float vector of n values stored as F32, F16 or BF16 (shape [n], or [1] for a scalar).
  // counted = false for constants stored as tensors (rope_freqs): not parameters of the model.
  std::vector<float> vector(const std::string& name, int64_t n, bool counted = true) {
    const TensorInfo& t = require(name);
    if (t.n_elements() != n || t.ne.empty() || t.ne[0] != n)
      fail(Status::bad_format, "tensor '" + name + "' has shape " + shape_str(t.ne) + ", expected [" +
                                   std::to_string(n) + "]");
    std::vector<float> v(static_cast<size_t>(n));
    const uint8_t* p = t.data;
    for (int64_t i = 0; i < n; ++i) {
      switch (t.type) {
        case DType::F32: {
          float f;
          std::memcpy(&f, p + 4 * i, 4);
          v[i] = f;
          break;
        }
        case DType::F16: {
          uint16_t h;
          std::memcpy(&h, p + 2 * i, 2);
          v[i] = f16_to_f32(h);
          break;
        }
        case DType::BF16: {
          uint16_t h;
          std::memcpy(&h, p + 2 * i, 2);
          v[i] = bf16_to_f32(h);
          break;
        }
        default:
          fail(Status::bad_format, "tensor '" + name + "' must be F32, F16 or BF16, not " + dtype_name(t.type));
      }
      if (!std::isfinite(v[i])) fail(Status::bad_format, "tensor '" + name + "' contains NaN or infinity");
    }
    if (counted) account(t);
    return v;
  }

  std::string type_summary() const {
    std::string s;
    for (const auto& t : types_) s += (s.empty() ? "" : "/") + t;
    return types_.size() > 1 ? "mixed " + s : s;
  }

 private:
  void account(const TensorInfo& t) {
    n_params_ += static_cast<uint64_t>(t.n_elements());
    bytes_ += t.nbytes;
  }
  TensorLookup lookup_;  // by value: callers pass temporaries
  uint64_t& n_params_;
  uint64_t& bytes_;
  std::set<std::string> types_;
};

}  // namespace g4
