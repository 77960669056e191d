// Fuzz target for the JSON parser: any input must either parse or throw g4::Error; a parsed
// document is walked through every accessor.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "io/json.h"

namespace {

uint64_t walk(const g4::Json& j) {
  uint64_t n = 1;
  switch (j.kind()) {
    case g4::Json::Kind::null: break;
    case g4::Json::Kind::boolean: n += j.as_bool(); break;
    case g4::Json::Kind::number:
      try {
        n += static_cast<uint64_t>(j.as_int());
      } catch (const g4::Error&) {  // not integral or beyond int64
      }
      n += j.as_number() != 0;
      break;
    case g4::Json::Kind::string: n += j.as_string().size(); break;
    case g4::Json::Kind::array:
      for (const auto& e : j.as_array()) n += walk(e);  // depth is bounded by the parser
      break;
    case g4::Json::Kind::object:
      for (const auto& [k, v] : j.as_object()) {
        if (j.find(k) != &v) __builtin_trap();  // keys are unique
        n += walk(v);
      }
      break;
  }
  return n + j.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    g4::Json j = g4::Json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    volatile uint64_t sink = walk(j);
    (void)sink;
  } catch (const g4::Error&) {
  }
  return 0;
}
