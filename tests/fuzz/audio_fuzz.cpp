// Fuzz target for audio decoding (libsndfile over memory, mono mix, libsamplerate): any input
// must give 16 kHz samples in [-1, 1] or throw g4::Error.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "io/audio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    g4::Audio a = g4::decode_audio(data, size, "fuzz");
    if (a.samples.empty()) __builtin_trap();
    for (float v : a.samples)
      if (!(v >= -1.0f && v <= 1.0f)) __builtin_trap();  // also catches NaN
  } catch (const g4::Error&) {
  }
  return 0;
}
