// Fuzz target for the image decoders (JPEG via TurboJPEG, PNG via libpng, our EXIF reader):
// any input must decode to a consistent Image or throw g4::Error. Small decoded pictures also
// go through the §3.2 resize so its bounds are exercised on odd sizes.
#include <cstddef>
#include <cstdint>

#include "base/error.h"
#include "io/image.h"
#include "io/image_resize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    g4::Image im = g4::decode_image(data, size, "fuzz");
    if (im.width < 1 || im.height < 1 || im.rgb.size() != static_cast<size_t>(im.width) * im.height * 3)
      __builtin_trap();
    if (static_cast<int64_t>(im.width) * im.height <= 4096) {
      const int ow = 1 + static_cast<int>(size % 61), oh = 1 + static_cast<int>((size / 61) % 47);
      g4::Image r = g4::resize_bicubic_antialias(im, ow, oh);
      if (r.rgb.size() != static_cast<size_t>(ow) * oh * 3) __builtin_trap();
    }
  } catch (const g4::Error&) {
  }
  return 0;
}
