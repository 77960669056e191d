// A small, strict JSON parser (RFC 8259) for config.json, tokenizer.json, safetensors headers
// and the shard index. Untrusted input: depth-limited, every error is Error(bad_format) with
// the byte offset.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace g4 {

class Json {
 public:
  enum class Kind { null, boolean, number, string, array, object };

  static Json parse(std::string_view text);  // throws Error(bad_format)

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_object() const { return kind_ == Kind::object; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_number() const { return kind_ == Kind::number; }
  bool is_bool() const { return kind_ == Kind::boolean; }

  // Accessors throw Error(bad_format) on a kind mismatch, naming `what` in the message.
  double as_number(const char* what = "value") const;
  int64_t as_int(const char* what = "value") const;  // must be integral
  bool as_bool(const char* what = "value") const;
  const std::string& as_string(const char* what = "value") const;
  const std::vector<Json>& as_array(const char* what = "value") const;
  // Objects keep their members in file order.
  const std::vector<std::pair<std::string, Json>>& as_object(const char* what = "value") const;

  const Json* find(std::string_view key) const;  // object member or nullptr (also if not object)
  size_t size() const;                           // array/object element count, else 0

 private:
  Kind kind_ = Kind::null;
  bool b_ = false;
  double num_ = 0;
  std::string str_;
  std::vector<Json> arr_;
  std::vector<std::pair<std::string, Json>> obj_;
  friend class JsonParser;
};

}  // namespace g4
