// GGUF v2/v3 reader. Parses the header, metadata and tensor directory of an untrusted file:
// every count, string length, offset, size and shape is checked against the file before use,
// and any violation throws Error(bad_format) with a message naming the problem.
// Tensor data stays in the (mapped) file image.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "io/tensor_info.h"

namespace g4 {

// GGUF metadata value types (numbering from the GGUF specification).
enum class GgufType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8,
  array = 9, u64 = 10, i64 = 11, f64 = 12,
};

struct GgufValue {
  GgufType type = GgufType::u8;
  // Scalars of every numeric/bool type are stored widened in both fields.
  int64_t i = 0;
  double f = 0;
  std::string str;
  // Arrays: element type plus the elements (nested arrays are rejected as unsupported).
  GgufType elem_type = GgufType::u8;
  std::vector<GgufValue> arr;
};

class GgufFile {
 public:
  // Throws Error(io) if the file cannot be read, Error(bad_format) if it is not valid GGUF,
  // Error(unsupported) for a tensor type this library does not implement (naming the
  // tensor and the GGUF type id).
  static std::unique_ptr<GgufFile> open(const std::string& path, bool use_mmap);
  // The same over bytes already in memory (used by the fuzz target); the bytes must outlive
  // the object.
  static std::unique_ptr<GgufFile> parse(const uint8_t* data, size_t size,
                                         const std::string& name_for_errors);

  uint32_t version() const { return version_; }
  const GgufValue* find(const std::string& key) const;  // nullptr if absent
  // Typed lookups: return false if absent; throw Error(bad_format) if present with an
  // incompatible type (numeric types convert among themselves).
  bool get_int(const std::string& key, int64_t& out) const;
  bool get_float(const std::string& key, double& out) const;
  bool get_bool(const std::string& key, bool& out) const;
  bool get_string(const std::string& key, std::string& out) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(const std::string& name) const;  // nullptr if absent
  const std::map<std::string, GgufValue>& metadata() const { return kv_; }
  size_t file_size() const { return size_; }

 private:
  GgufFile() = default;
  std::unique_ptr<MappedFile> file_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> kv_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  friend class GgufParser;
};

}  // namespace g4
