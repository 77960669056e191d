// JPEG / PNG decoding to 8-bit RGB (see image.h for the conversion rules and error statuses).
#include "io/image.h"

#include <png.h>
#include <turbojpeg.h>

#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/error.h"

namespace g4 {
namespace {

// ---- limits ----

void check_dims(int64_t w, int64_t h, const std::string& name, const char* kind) {
  if (w <= 0 || h <= 0)
    fail(Status::bad_format, name + ": " + kind + " has an empty size " + std::to_string(w) + "x" + std::to_string(h));
  if (w > kMaxImageSide || h > kMaxImageSide || w * h > kMaxImagePixels)
    fail(Status::unsupported, name + ": " + kind + " is " + std::to_string(w) + "x" + std::to_string(h) +
                                  " pixels; the limit is " + std::to_string(kMaxImageSide) + " per side and " +
                                  std::to_string(kMaxImagePixels) + " pixels in total");
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Alpha over an opaque white background, rounded to nearest (transformers' convert_to_rgb).
inline uint8_t over_white(uint32_t c, uint32_t a) { return static_cast<uint8_t>((c * a + 255u * (255u - a) + 127u) / 255u); }

// ---- EXIF: a tiny bounds-checked TIFF reader that only looks for tag 0x0112 in IFD0 ----

struct TiffReader {
  const uint8_t* p;
  size_t n;
  bool little;
  bool has(size_t at, size_t len) const { return at <= n && len <= n - at; }
  uint32_t u16(size_t at) const {
    return little ? (uint32_t{p[at]} | uint32_t{p[at + 1]} << 8) : (uint32_t{p[at]} << 8 | p[at + 1]);
  }
  uint32_t u32(size_t at) const {
    return little ? (u16(at) | u16(at + 2) << 16) : (u16(at) << 16 | u16(at + 2));
  }
};

// ---- JPEG ----

struct JpegMarkers {
  int orientation = 1;
  bool adobe = false;  // APP14 "Adobe" present: CMYK samples are stored inverted
};

// Walks the marker segments before the first SOS. Malformed structure just stops the walk:
// TurboJPEG then reports the actual error.
JpegMarkers scan_jpeg_markers(const uint8_t* p, size_t n) {
  JpegMarkers m;
  bool seen_exif = false;
  size_t pos = 2;  // after SOI
  while (pos + 4 <= n) {
    if (p[pos] != 0xFF) break;
    uint8_t marker = p[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // entropy-coded data / EOI
    size_t len = (size_t{p[pos + 2]} << 8) | p[pos + 3];
    if (len < 2 || len > n - pos - 2) break;
    const uint8_t* seg = p + pos + 4;
    size_t seg_len = len - 2;
    if (marker == 0xE1 && !seen_exif && seg_len >= 6 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
      seen_exif = true;  // only the first Exif segment counts (as in PIL)
      m.orientation = exif_orientation_from_tiff(seg + 6, seg_len - 6);
    } else if (marker == 0xEE && seg_len >= 5 && std::memcmp(seg, "Adobe", 5) == 0) {
      m.adobe = true;
    }
    pos += 2 + len;
  }
  return m;
}

struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name) {
  std::unique_ptr<void, TjDeleter> tj(tjInitDecompress());
  if (!tj) fail(Status::internal, name + ": cannot create a TurboJPEG decompressor: " + tjGetErrorStr2(nullptr));
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), data, static_cast<unsigned long>(size), &w, &h, &subsamp, &colorspace) != 0)
    fail(Status::bad_format, name + ": invalid JPEG header: " + tjGetErrorStr2(tj.get()));
  check_dims(w, h, name, "JPEG image");
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int channels = cmyk ? 4 : 3;
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * channels);
  // STOPONWARNING: a truncated or corrupt stream is a warning to libjpeg (it pads with grey);
  // we want an error instead. LIMITSCANS bounds the work of hostile progressive files.
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj.get(), data, static_cast<unsigned long>(size), px.data(), w, w * channels, h,
                    cmyk ? TJPF_CMYK : TJPF_RGB, flags) != 0) {
    const bool warning = tjGetErrorCode(tj.get()) == TJERR_WARNING;
    fail(Status::bad_format, name + ": corrupt or truncated JPEG data" + (warning ? " (libjpeg warning)" : "") + ": " +
                                 tjGetErrorStr2(tj.get()));
  }
  const JpegMarkers markers = scan_jpeg_markers(data, size);
  Image img;
  img.width = w;
  img.height = h;
  if (!cmyk) {
    img.rgb = std::move(px);
  } else {
    img.rgb.resize(static_cast<size_t>(w) * h * 3);
    const size_t n = static_cast<size_t>(w) * h;
    for (size_t i = 0; i < n; ++i) {
      uint32_t c = px[4 * i], m = px[4 * i + 1], y = px[4 * i + 2], k = px[4 * i + 3];
      if (!markers.adobe) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
      // Stored-inverted form: each value is 255 − ink, so R = C·K / 255 (rounded).
      img.rgb[3 * i] = static_cast<uint8_t>((c * k + 127) / 255);
      img.rgb[3 * i + 1] = static_cast<uint8_t>((m * k + 127) / 255);
      img.rgb[3 * i + 2] = static_cast<uint8_t>((y * k + 127) / 255);
    }
  }
  if (markers.orientation != 1) img = apply_exif_orientation(img, markers.orientation);
  return img;
}

// ---- PNG ----
//
// libpng reports errors by longjmp. Everything between setjmp and the last libpng call lives in
// png_decode_core, which holds only plain C data (no destructors to skip); its result is
// turned into C++ objects and exceptions by decode_png afterwards.

struct PngState {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char msg[256];
};

struct PngPixels {
  uint8_t* px;  // malloc'd, height rows of width·channels bytes
  uint32_t width, height;
  int channels;  // 3 RGB or 4 RGBA
};

void png_error_cb(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(st->msg, sizeof st->msg, "%s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}

void png_warning_cb(png_structp, png_const_charp) {}  // benign (e.g. ancillary chunk CRC)

void png_read_cb(png_structp png, png_bytep out, size_t n) {
  auto* st = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > st->size - st->pos) png_error(png, "unexpected end of data (truncated file)");
  std::memcpy(out, st->data + st->pos, n);
  st->pos += n;
}

// Returns true on success; on failure st->msg says why and nothing is left allocated.
bool png_decode_core(PngState* st, PngPixels* out) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, st, png_error_cb, png_warning_cb);
  if (!png) {
    std::snprintf(st->msg, sizeof st->msg, "cannot create a libpng reader");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(st->msg, sizeof st->msg, "cannot create a libpng info struct");
    return false;
  }
  uint8_t* volatile px = nullptr;  // volatile: assigned after setjmp, read after longjmp
  png_bytep* volatile rows = nullptr;
  if (setjmp(png_jmpbuf(png))) {
    std::free(px);
    std::free(rows);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, st, png_read_cb);
  png_set_user_limits(png, kMaxImageSide, kMaxImageSide);
  png_set_chunk_malloc_max(png, 8u << 20);  // ancillary chunks (text, ICC) beyond 8 MB are refused
  png_read_info(png, info);
  png_uint_32 w = 0, h = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  if (w == 0 || h == 0 || w > static_cast<png_uint_32>(kMaxImageSide) || h > static_cast<png_uint_32>(kMaxImageSide) ||
      static_cast<int64_t>(w) * h > kMaxImagePixels)
    png_error(png, "image size outside the supported limits");
  const bool alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  png_set_expand(png);     // palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha channel
  png_set_strip_16(png);   // keep the high byte of 16-bit samples (as PIL)
  png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  const size_t rowbytes = png_get_rowbytes(png, info);
  if (channels != (alpha ? 4 : 3) || rowbytes != static_cast<size_t>(w) * channels)
    png_error(png, "unexpected pixel layout after libpng transforms");
  px = static_cast<uint8_t*>(std::malloc(rowbytes * h));
  rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * h));
  if (!px || !rows) png_error(png, "out of memory for the pixel buffer");
  for (png_uint_32 y = 0; y < h; ++y) rows[y] = px + y * rowbytes;
  png_read_image(png, rows);  // all pixels are in once this returns; the chunks after IDAT are not read
  std::free(rows);
  rows = nullptr;
  png_destroy_read_struct(&png, &info, nullptr);
  out->px = px;
  out->width = w;
  out->height = h;
  out->channels = channels;
  return true;
}

// Bits per pixel of a PNG colour type / bit depth combination, or 0 when invalid.
int png_bits_per_pixel(int color_type, int depth) {
  switch (color_type) {
    case 0: return depth;          // gray
    case 2: return 3 * depth;      // RGB
    case 3: return depth;          // palette
    case 4: return 2 * depth;      // gray + alpha
    case 6: return 4 * depth;      // RGBA
    default: return 0;
  }
}

Image decode_png(const uint8_t* data, size_t size, const std::string& name) {
  // Read IHDR ourselves first: limits get a message with the numbers, and a file that cannot
  // possibly hold the pixels it claims is rejected before anything is allocated. Deflate
  // expands at most ~1032:1, so the raw scanlines cannot exceed ~1032 bytes per input byte.
  if (size < 33 || std::memcmp(data + 12, "IHDR", 4) != 0 || be32(data + 8) != 13)
    fail(Status::bad_format, name + ": PNG does not start with a valid IHDR chunk");
  const int64_t w = be32(data + 16), h = be32(data + 20);
  check_dims(w, h, name, "PNG image");
  const int bpp = png_bits_per_pixel(data[25], data[24]);
  if (bpp == 0) fail(Status::bad_format, name + ": PNG has an invalid colour type / bit depth");
  const double raw_bytes = static_cast<double>(h) * (1.0 + std::ceil(static_cast<double>(w) * bpp / 8.0));
  if (raw_bytes > 1040.0 * static_cast<double>(size) + 4096.0)
    fail(Status::bad_format, name + ": PNG claims " + std::to_string(w) + "x" + std::to_string(h) +
                                 " pixels but the file (" + std::to_string(size) +
                                 " bytes) is too small to hold them (truncated or corrupt)");

  PngState st{data, size, 0, {0}};
  PngPixels pp{nullptr, 0, 0, 0};
  if (!png_decode_core(&st, &pp)) fail(Status::bad_format, name + ": corrupt or truncated PNG: " + st.msg);
  std::unique_ptr<uint8_t, decltype(&std::free)> owner(pp.px, &std::free);
  Image img;
  img.width = static_cast<int>(pp.width);
  img.height = static_cast<int>(pp.height);
  const size_t n = static_cast<size_t>(pp.width) * pp.height;
  if (pp.channels == 3) {
    img.rgb.assign(pp.px, pp.px + n * 3);
  } else {
    img.rgb.resize(n * 3);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* s = pp.px + 4 * i;
      for (int c = 0; c < 3; ++c) img.rgb[3 * i + c] = over_white(s[c], s[3]);
    }
  }
  return img;
}

}  // namespace

int exif_orientation_from_tiff(const uint8_t* tiff, size_t size) {
  if (!tiff || size < 8) return 1;
  TiffReader r{tiff, size, false};
  if (tiff[0] == 'I' && tiff[1] == 'I') r.little = true;
  else if (!(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
  if (r.u16(2) != 42) return 1;
  const size_t ifd = r.u32(4);
  if (!r.has(ifd, 2)) return 1;
  const size_t count = r.u16(ifd);
  for (size_t i = 0; i < count; ++i) {
    const size_t e = ifd + 2 + 12 * i;
    if (!r.has(e, 12)) break;
    if (r.u16(e) != 0x0112) continue;
    const uint32_t type = r.u16(e + 2), n = r.u32(e + 4);
    if (n < 1) return 1;
    uint32_t v = 0;
    if (type == 3) v = r.u16(e + 8);        // SHORT, the type the standard prescribes
    else if (type == 4) v = r.u32(e + 8);   // LONG, seen in some writers
    else return 1;
    return (v >= 1 && v <= 8) ? static_cast<int>(v) : 1;
  }
  return 1;
}

Image apply_exif_orientation(const Image& s, int orientation) {
  if (orientation < 2 || orientation > 8) return s;
  const int W = s.width, H = s.height;
  const bool swap = orientation >= 5;
  Image d;
  d.width = swap ? H : W;
  d.height = swap ? W : H;
  d.rgb.resize(s.rgb.size());
  for (int y = 0; y < d.height; ++y) {
    for (int x = 0; x < d.width; ++x) {
      int sx = x, sy = y;  // source pixel displayed at (x, y)
      switch (orientation) {
        case 2: sx = W - 1 - x; break;                     // mirror left-right
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;     // rotate 180
        case 4: sy = H - 1 - y; break;                     // mirror top-bottom
        case 5: sx = y; sy = x; break;                     // transpose
        case 6: sx = y; sy = H - 1 - x; break;             // rotate 90 clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;     // transverse
        case 8: sx = W - 1 - y; sy = x; break;             // rotate 90 counter-clockwise
      }
      const uint8_t* sp = &s.rgb[(static_cast<size_t>(sy) * W + sx) * 3];
      uint8_t* dp = &d.rgb[(static_cast<size_t>(y) * d.width + x) * 3];
      dp[0] = sp[0], dp[1] = sp[1], dp[2] = sp[2];
    }
  }
  return d;
}

Image decode_image(const uint8_t* data, size_t size, const std::string& name) {
  if (!data && size) fail(Status::invalid_argument, name + ": null image data");
  if (size == 0) fail(Status::bad_format, name + ": empty image data");
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return decode_jpeg(data, size, name);
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return decode_png(data, size, name);
  fail(Status::bad_format, name + ": not a JPEG or PNG image (unrecognised leading bytes)");
}

Image decode_image_file(const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail(Status::io, path + ": cannot open image file: " + std::strerror(errno));
  std::vector<uint8_t> buf;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) {
    if (buf.size() + got > kMaxImageFileBytes)
      fail(Status::io, path + ": image file is larger than " + std::to_string(kMaxImageFileBytes) + " bytes");
    buf.insert(buf.end(), chunk, chunk + got);
  }
  if (std::ferror(f.get())) fail(Status::io, path + ": read error: " + std::strerror(errno));
  return decode_image(buf.data(), buf.size(), path);
}

Image image_from_pixels(const uint8_t* px, int w, int h, size_t stride, int channels) {
  if (channels != 3 && channels != 4)
    fail(Status::invalid_argument, "image_from_pixels: channels must be 3 (RGB) or 4 (RGBA), got " + std::to_string(channels));
  if (w <= 0 || h <= 0)
    fail(Status::invalid_argument, "image_from_pixels: size " + std::to_string(w) + "x" + std::to_string(h) + " is empty");
  check_dims(w, h, "image_from_pixels", "image");
  if (!px) fail(Status::invalid_argument, "image_from_pixels: null pixel pointer");
  const size_t row = static_cast<size_t>(w) * channels;
  if (stride < row)
    fail(Status::invalid_argument, "image_from_pixels: stride " + std::to_string(stride) + " is below width*channels = " +
                                       std::to_string(row));
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    const uint8_t* s = px + static_cast<size_t>(y) * stride;
    uint8_t* d = &img.rgb[static_cast<size_t>(y) * w * 3];
    if (channels == 3) {
      std::memcpy(d, s, row);
    } else {
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c) d[3 * x + c] = over_white(s[4 * x + c], s[4 * x + 3]);
    }
  }
  return img;
}

}  // namespace g4
