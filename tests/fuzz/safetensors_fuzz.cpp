// Fuzz target for one safetensors image: parse or throw g4::Error; for a parsed image every
// tensor's first and last byte is read so a wrong bounds check trips AddressSanitizer.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto m = g4::SafetensorsModel::parse_single(data, size, "fuzz");
    volatile uint64_t sink = m->bytes_mapped();
    for (const auto& t : m->tensors()) {
      if (m->tensor(t.name) != &t) __builtin_trap();
      if (t.data < data || t.data + t.nbytes > data + size) __builtin_trap();
      if (t.nbytes) sink += t.data[0] + t.data[t.nbytes - 1];
      sink += static_cast<uint64_t>(t.n_elements());
    }
    (void)sink;
  } catch (const g4::Error&) {
  }
  return 0;
}
