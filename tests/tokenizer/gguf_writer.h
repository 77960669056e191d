// A minimal in-memory GGUF v3 writer for tokenizer tests: metadata only, no tensors.
// (Little-endian host assumed, as the reader does.)
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace g4test {

class GgufWriter {
 public:
  // GGUF value type ids (GGUF specification).
  enum : uint32_t { kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9 };

  void add_string(const std::string& key, const std::string& v) {
    begin(key, kString);
    str(v);
  }
  void add_bool(const std::string& key, bool v) {
    begin(key, kBool);
    kv_.push_back(v ? 1 : 0);
  }
  void add_u32(const std::string& key, uint32_t v) {
    begin(key, kU32);
    pod(v);
  }
  void add_strings(const std::string& key, const std::vector<std::string>& v) {
    begin_array(key, kString, v.size());
    for (const auto& s : v) str(s);
  }
  void add_i32s(const std::string& key, const std::vector<int32_t>& v) {
    begin_array(key, kI32, v.size());
    for (int32_t x : v) pod(x);
  }
  void add_f32s(const std::string& key, const std::vector<float>& v) {
    begin_array(key, kF32, v.size());
    for (float x : v) pod(x);
  }

  // The whole file: header, metadata, padding to the default alignment of 32.
  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    const auto put = [&](const auto& x) {
      const uint8_t* p = reinterpret_cast<const uint8_t*>(&x);
      out.insert(out.end(), p, p + sizeof x);
    };
    put(uint32_t{3});
    put(uint64_t{0});  // tensors
    put(n_kv_);
    out.insert(out.end(), kv_.begin(), kv_.end());
    while (out.size() % 32) out.push_back(0);
    return out;
  }

 private:
  std::vector<uint8_t> kv_;
  uint64_t n_kv_ = 0;

  template <class T>
  void pod(T x) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(&x);
    kv_.insert(kv_.end(), p, p + sizeof x);
  }
  void str(const std::string& s) {
    pod(static_cast<uint64_t>(s.size()));
    kv_.insert(kv_.end(), s.begin(), s.end());
  }
  void begin(const std::string& key, uint32_t type) {
    ++n_kv_;
    str(key);
    pod(type);
  }
  void begin_array(const std::string& key, uint32_t elem, size_t n) {
    begin(key, kArray);
    pod(elem);
    pod(static_cast<uint64_t>(n));
  }
};

}  // namespace g4test
