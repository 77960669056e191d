// Image decoding for the vision input path: JPEG (TurboJPEG) and PNG (libpng) bytes, or raw
// caller pixels, become one 8-bit RGB picture that the §3.2 resize (image_resize.h) consumes.
//
// Untrusted input: every failure is a thrown g4::Error, never a crash or a half-decoded picture.
//   bad_format       corrupt / truncated data, unknown magic bytes (a TurboJPEG *warning*, e.g.
//                    "premature end of data", is treated as fatal on purpose)
//   unsupported      a valid file beyond the limits below (message carries the numbers)
//   invalid_argument bad caller arguments (image_from_pixels)
//   io               decode_image_file cannot read the file
//
// Conversions, chosen to match the HF reference loader (PIL + transformers' convert_to_rgb):
//   - EXIF orientation 1..8 of a JPEG is applied (HF's load_image calls ImageOps.exif_transpose).
//   - Alpha (PNG RGBA / gray+alpha / tRNS, caller RGBA) is composited on WHITE:
//     out = (c·a + 255·(255 − a)) / 255, rounded — transformers' convert_to_rgb does the same.
//   - 16-bit PNG samples keep their high byte (PIL's reading of 16-bit RGB PNGs); gAMA/iCCP
//     chunks are ignored (PIL does not colour-manage either).
//   - Gray becomes R = G = B.
//   - CMYK / YCCK JPEGs: TurboJPEG yields CMYK; we convert with the naive formula
//     R = (255 − C)(255 − K)/255. When an Adobe APP14 marker is present the stored values are
//     taken as inverted (Photoshop convention, also PIL's assumption), i.e. R = C·K/255.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace g4 {

// 8-bit RGB, tightly packed, row-major, top row first: rgb.size() == width·height·3.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Limits applied to every decoded or caller-supplied picture (larger ones: Error unsupported).
constexpr int kMaxImageSide = 32768;
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;
// decode_image_file refuses files larger than this (Error io) before reading them.
constexpr size_t kMaxImageFileBytes = size_t{512} << 20;

// Sniffs JPEG (FF D8 FF) or PNG (\x89PNG\r\n\x1a\n) from the first bytes. name_for_errors is
// only used in messages (a file name, or e.g. "image #2").
Image decode_image(const uint8_t* data, size_t size, const std::string& name_for_errors);

// Reads the whole file (bounded by kMaxImageFileBytes) and decodes it.
Image decode_image_file(const std::string& path);

// Copies caller pixels: channels 3 (RGB) or 4 (RGBA, composited on white); stride is the byte
// distance between rows and must be >= w·channels.
Image image_from_pixels(const uint8_t* px, int w, int h, size_t stride, int channels);

// Exposed for tests: the EXIF orientation (1..8) stored in a TIFF structure (the APP1 payload
// after "Exif\0\0"); 1 when absent or malformed. Bounds-checked against size.
int exif_orientation_from_tiff(const uint8_t* tiff, size_t size);

// Exposed for tests: turns a stored picture into its displayed form for EXIF orientation 1..8
// (5..8 swap width and height). Other values return the image unchanged.
Image apply_exif_orientation(const Image& stored, int orientation);

}  // namespace g4
