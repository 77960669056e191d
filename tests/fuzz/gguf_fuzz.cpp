// Fuzz target for the GGUF reader: any input must either parse or throw g4::Error. After a
// successful parse every accessor is exercised and every tensor's first and last byte is read,
// so a wrong bounds check shows up as an AddressSanitizer report.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "io/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = g4::GgufFile::parse(data, size, "fuzz");
    volatile uint64_t sink = f->version();
    for (const auto& [key, v] : f->metadata()) {
      int64_t i;
      double d;
      bool b;
      std::string s;
      // Each getter may legitimately throw for a mismatched type.
      try { f->get_int(key, i); sink += static_cast<uint64_t>(i); } catch (const g4::Error&) {}
      try { f->get_float(key, d); } catch (const g4::Error&) {}
      try { f->get_bool(key, b); } catch (const g4::Error&) {}
      try { f->get_string(key, s); sink += s.size(); } catch (const g4::Error&) {}
      sink += v.arr.size();
    }
    for (const auto& t : f->tensors()) {
      if (f->tensor(t.name) != &t) __builtin_trap();
      if (t.data < data || t.data + t.nbytes > data + size) __builtin_trap();
      if (t.nbytes) sink += t.data[0] + t.data[t.nbytes - 1];
      sink += static_cast<uint64_t>(t.n_elements());
    }
    (void)sink;
  } catch (const g4::Error&) {
    // Rejected input: the expected outcome for most mutations.
  }
  return 0;
}
