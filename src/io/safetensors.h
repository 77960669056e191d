// Hugging Face model folder reader: one model.safetensors, or shards listed by
// model.safetensors.index.json. Each shard is mapped; headers are untrusted JSON and every
// offset/shape/dtype is checked against the shard before use.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "io/json.h"
#include "io/tensor_info.h"

namespace g4 {

class SafetensorsModel {
 public:
  // dir: the model folder. Throws Error(io) for missing/unreadable files, Error(bad_format)
  // for malformed headers or index, Error(unsupported) for dtypes other than F32/F16/BF16
  // (naming tensor and dtype).
  static std::unique_ptr<SafetensorsModel> open(const std::string& dir, bool use_mmap);
  // Parse one safetensors image already in memory (fuzz target, tests).
  static std::unique_ptr<SafetensorsModel> parse_single(const uint8_t* data, size_t size,
                                                        const std::string& name_for_errors);

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(const std::string& name) const;
  size_t bytes_mapped() const;

 private:
  SafetensorsModel() = default;
  void add_shard(const uint8_t* data, size_t size, const std::string& name);
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  size_t bytes_ = 0;  // sum of the shard sizes
};

// Reads a whole small text file (config.json, tokenizer.json). Throws Error(io).
std::string read_text_file(const std::string& path, size_t max_bytes = 512u << 20);

}  // namespace g4
