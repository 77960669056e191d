// Image decoding and §3.2 resize tests. Real JPEGs are made with TurboJPEG's compressor and
// PNGs with libpng's writer at run time; hostile files are valid files with bytes patched.
#include <doctest/doctest.h>
#include <png.h>
#include <turbojpeg.h>

#include <cmath>
#include <unistd.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/image.h"
#include "io/image_resize.h"

using namespace g4;

namespace {

using Bytes = std::vector<uint8_t>;

// A smooth test picture with some texture; `channels` interleaved values per pixel.
Bytes make_pixels(int w, int h, int channels, uint32_t seed = 1) {
  Bytes px(static_cast<size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        double v = 128 + 80 * std::sin(0.11 * x + 0.7 * c + seed) * std::cos(0.07 * y - 0.3 * c);
        px[(static_cast<size_t>(y) * w + x) * channels + c] = static_cast<uint8_t>(std::lround(v));
      }
  return px;
}

Bytes encode_jpeg(const Bytes& px, int w, int h, int pixel_format, int subsamp, int quality, int flags = 0) {
  tjhandle tj = tjInitCompress();
  REQUIRE(tj);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(tj, px.data(), w, 0, h, pixel_format, &out, &size, subsamp, quality, flags);
  INFO(tjGetErrorStr2(tj));
  REQUIRE(rc == 0);
  Bytes b(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  return b;
}

double mean_abs_diff(const Bytes& a, const Bytes& b) {
  REQUIRE(a.size() == b.size());
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::abs(int(a[i]) - int(b[i]));
  return s / static_cast<double>(a.size());
}

// Inserts an APP1 Exif segment holding only IFD0 with the Orientation tag, right after SOI.
Bytes with_exif_orientation(const Bytes& jpeg, int orientation, bool little_endian) {
  auto u16 = [&](Bytes& b, uint32_t v) {
    if (little_endian) b.insert(b.end(), {uint8_t(v), uint8_t(v >> 8)});
    else b.insert(b.end(), {uint8_t(v >> 8), uint8_t(v)});
  };
  auto u32 = [&](Bytes& b, uint32_t v) {
    if (little_endian) { u16(b, v & 0xffff); u16(b, v >> 16); }
    else { u16(b, v >> 16); u16(b, v & 0xffff); }
  };
  Bytes tiff;
  tiff.insert(tiff.end(), little_endian ? std::initializer_list<uint8_t>{'I', 'I'} : std::initializer_list<uint8_t>{'M', 'M'});
  u16(tiff, 42);
  u32(tiff, 8);         // IFD0 offset
  u16(tiff, 2);         // two entries: an unrelated tag first, then Orientation
  u16(tiff, 0x010F); u16(tiff, 2); u32(tiff, 4); tiff.insert(tiff.end(), {'A', 'B', 'C', 0});  // Make = "ABC"
  u16(tiff, 0x0112); u16(tiff, 3); u32(tiff, 1); u16(tiff, orientation); u16(tiff, 0);
  u32(tiff, 0);         // no next IFD
  Bytes seg = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  seg.insert(seg.end(), tiff.begin(), tiff.end());
  size_t len = seg.size() - 2;
  seg[2] = uint8_t(len >> 8), seg[3] = uint8_t(len);
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), seg.begin(), seg.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

// ---- PNG writer (libpng classic API) ----

struct PngSpec {
  int w = 0, h = 0, color_type = 0, bit_depth = 8;
  bool interlace = false;
  std::vector<png_color> palette;
  std::vector<uint8_t> trns;  // palette alpha entries
};

PngSpec simple(int w, int h, int color_type, int bit_depth) {
  PngSpec s;
  s.w = w, s.h = h, s.color_type = color_type, s.bit_depth = bit_depth;
  return s;
}

void png_write_cb(png_structp png, png_bytep data, size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
void png_flush_cb(png_structp) {}

// rows: h rows of packed samples in PNG byte order (16-bit samples big-endian).
void encode_png_into(Bytes* out, const PngSpec* spec, const Bytes* rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {  // only C data in this frame
    png_destroy_write_struct(&png, &info);
    out->clear();
    return;
  }
  png_set_write_fn(png, out, png_write_cb, png_flush_cb);
  png_set_IHDR(png, info, spec->w, spec->h, spec->bit_depth, spec->color_type,
               spec->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec->palette.empty()) png_set_PLTE(png, info, spec->palette.data(), static_cast<int>(spec->palette.size()));
  if (!spec->trns.empty()) png_set_tRNS(png, info, spec->trns.data(), static_cast<int>(spec->trns.size()), nullptr);
  png_write_info(png, info);
  const size_t rowbytes = rows->size() / spec->h;
  const int passes = spec->interlace ? png_set_interlace_handling(png) : 1;  // Adam7: rows once per pass
  for (int pass = 0; pass < passes; ++pass)
    for (int r = 0; r < spec->h; ++r) png_write_row(png, rows->data() + r * rowbytes);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
}

Bytes encode_png(const PngSpec& spec, const Bytes& rows) {
  Bytes out;
  encode_png_into(&out, &spec, &rows);
  REQUIRE(!out.empty());
  return out;
}

uint32_t crc32(const uint8_t* p, size_t n) {  // PNG chunk CRC (ISO 3309), bitwise
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put_be32(Bytes& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 24), b[at + 1] = uint8_t(v >> 16), b[at + 2] = uint8_t(v >> 8), b[at + 3] = uint8_t(v);
}

// Rewrites the IHDR size of a PNG and fixes the chunk CRC, so only the size is a lie.
Bytes png_with_size(Bytes png, uint32_t w, uint32_t h) {
  put_be32(png, 16, w);
  put_be32(png, 20, h);
  put_be32(png, 29, crc32(png.data() + 12, 17));
  return png;
}

Status status_of(const Bytes& b, std::string* msg = nullptr) {
  try {
    decode_image(b.data(), b.size(), "test.img");
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

const uint8_t* px_at(const Image& im, int x, int y) { return &im.rgb[(static_cast<size_t>(y) * im.width + x) * 3]; }

}  // namespace

TEST_CASE("JPEG: RGB sizes, aspects and subsamplings decode close to the source") {
  struct Case { int w, h, samp; };
  for (Case c : {Case{64, 48, TJSAMP_444}, Case{33, 17, TJSAMP_420}, Case{17, 65, TJSAMP_422}, Case{128, 32, TJSAMP_440},
                 Case{1, 1, TJSAMP_420}, Case{250, 7, TJSAMP_411}}) {
    CAPTURE(c.w);
    CAPTURE(c.h);
    Bytes src = make_pixels(c.w, c.h, 3);
    Bytes jpg = encode_jpeg(src, c.w, c.h, TJPF_RGB, c.samp, 95);
    Image im = decode_image(jpg.data(), jpg.size(), "rgb.jpg");
    CHECK(im.width == c.w);
    CHECK(im.height == c.h);
    // Quality 95 on smooth content: ~1 level of error; chroma subsampling of a smooth picture
    // adds a little. 3 levels is far below what a wrong colour conversion would give (tens).
    CHECK(mean_abs_diff(im.rgb, src) < 3.0);
  }
}

TEST_CASE("JPEG: progressive and grayscale") {
  Bytes src = make_pixels(80, 60, 3);
  Bytes prog = encode_jpeg(src, 80, 60, TJPF_RGB, TJSAMP_420, 95, TJFLAG_PROGRESSIVE);
  Image ip = decode_image(prog.data(), prog.size(), "prog.jpg");
  CHECK(ip.width == 80);
  CHECK(mean_abs_diff(ip.rgb, src) < 3.0);

  Bytes gray = make_pixels(45, 30, 1);
  Bytes gj = encode_jpeg(gray, 45, 30, TJPF_GRAY, TJSAMP_GRAY, 95);
  Image ig = decode_image(gj.data(), gj.size(), "gray.jpg");
  REQUIRE(ig.width == 45);
  Bytes r(gray.size());
  for (size_t i = 0; i < gray.size(); ++i) {
    CHECK(ig.rgb[3 * i] == ig.rgb[3 * i + 1]);  // gray expands to R = G = B exactly
    CHECK(ig.rgb[3 * i] == ig.rgb[3 * i + 2]);
    r[i] = ig.rgb[3 * i];
  }
  CHECK(mean_abs_diff(r, gray) < 3.0);
}

TEST_CASE("JPEG: CMYK (YCCK, Adobe marker) is converted with inverted-CMYK semantics") {
  // Adobe convention: stored value = 255 - ink, so (c, m, y, k) = (R, G, B, 255) means RGB.
  const int w = 32, h = 16;
  Bytes cmyk(static_cast<size_t>(w) * h * 4);
  for (int i = 0; i < w * h; ++i) {
    const bool left = (i % w) < 16;
    cmyk[4 * i + 0] = left ? 200 : 40;
    cmyk[4 * i + 1] = left ? 100 : 220;
    cmyk[4 * i + 2] = left ? 50 : 128;
    cmyk[4 * i + 3] = left ? 255 : 128;  // right half: K halves the brightness
  }
  Bytes jpg = encode_jpeg(cmyk, w, h, TJPF_CMYK, TJSAMP_444, 98);
  const std::string s(jpg.begin(), jpg.end());
  REQUIRE(s.find("Adobe") != std::string::npos);  // libjpeg writes APP14 for CMYK/YCCK
  Image im = decode_image(jpg.data(), jpg.size(), "cmyk.jpg");
  REQUIRE(im.width == w);
  const uint8_t* l = px_at(im, 4, 8);
  const uint8_t* r = px_at(im, 27, 8);
  // Tolerance 4: quality 98, flat 8×8 blocks away from the edge.
  CHECK(std::abs(l[0] - 200) <= 4);
  CHECK(std::abs(l[1] - 100) <= 4);
  CHECK(std::abs(l[2] - 50) <= 4);
  CHECK(std::abs(r[0] - 40 * 128 / 255) <= 4);
  CHECK(std::abs(r[1] - 220 * 128 / 255) <= 4);
  CHECK(std::abs(r[2] - 128 * 128 / 255) <= 4);
}

TEST_CASE("JPEG: EXIF orientation 3, 6, 8 rotate the picture") {
  // Four flat quadrants 20×12 each; a corner pixel sits inside a flat 8×8 block, so JPEG
  // error there is tiny (tolerance 10 still separates the colours by > 100).
  const int w = 40, h = 24;
  const uint8_t TL[3] = {220, 30, 30}, TR[3] = {30, 220, 30}, BL[3] = {30, 30, 220}, BR[3] = {230, 230, 230};
  Bytes src(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const uint8_t* c = y < h / 2 ? (x < w / 2 ? TL : TR) : (x < w / 2 ? BL : BR);
      std::memcpy(&src[(static_cast<size_t>(y) * w + x) * 3], c, 3);
    }
  Bytes jpg = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_444, 95);
  auto near = [](const uint8_t* p, const uint8_t* q) {
    return std::abs(p[0] - q[0]) <= 10 && std::abs(p[1] - q[1]) <= 10 && std::abs(p[2] - q[2]) <= 10;
  };
  struct Case { int orientation, w, h; const uint8_t* top_left; const uint8_t* top_right; bool le; };
  for (Case c : {Case{1, 40, 24, TL, TR, true}, Case{3, 40, 24, BR, BL, true}, Case{6, 24, 40, BL, TL, true},
                 Case{8, 24, 40, TR, BR, true}, Case{6, 24, 40, BL, TL, false}, Case{8, 24, 40, TR, BR, false}}) {
    CAPTURE(c.orientation);
    CAPTURE(c.le);
    Bytes e = with_exif_orientation(jpg, c.orientation, c.le);
    Image im = decode_image(e.data(), e.size(), "exif.jpg");
    CHECK(im.width == c.w);
    CHECK(im.height == c.h);
    CHECK(near(px_at(im, 0, 0), c.top_left));
    CHECK(near(px_at(im, im.width - 1, 0), c.top_right));
  }
}

TEST_CASE("EXIF: all eight orientations map the corners as the EXIF definition says") {
  // 3×2 picture whose pixel value encodes its position.
  Image s;
  s.width = 3, s.height = 2;
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) s.rgb.insert(s.rgb.end(), {uint8_t(10 * y + x), 0, 0});
  const int TL = 0, TR = 2, BL = 10, BR = 12;
  // (top-left, top-right, bottom-left) of the displayed picture, from the EXIF row/column table.
  const int expect[9][3] = {{}, {TL, TR, BL}, {TR, TL, BR}, {BR, BL, TR}, {BL, BR, TL},
                            {TL, BL, TR}, {BL, TL, BR}, {BR, TR, BL}, {TR, BR, TL}};
  for (int o = 1; o <= 8; ++o) {
    CAPTURE(o);
    Image d = apply_exif_orientation(s, o);
    CHECK(d.width == (o >= 5 ? 2 : 3));
    CHECK(d.height == (o >= 5 ? 3 : 2));
    CHECK(px_at(d, 0, 0)[0] == expect[o][0]);
    CHECK(px_at(d, d.width - 1, 0)[0] == expect[o][1]);
    CHECK(px_at(d, 0, d.height - 1)[0] == expect[o][2]);
  }
}

TEST_CASE("EXIF: the TIFF reader is bounds-checked") {
  const uint8_t good[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
  CHECK(exif_orientation_from_tiff(good, sizeof good) == 6);
  for (size_t n = 0; n < 20; ++n) {  // every truncation before the value is complete
    std::vector<uint8_t> cut(good, good + n);  // exact-size heap block: ASan sees any overread
    CHECK(exif_orientation_from_tiff(cut.data(), cut.size()) == 1);
  }
  uint8_t bad[sizeof good];
  std::memcpy(bad, good, sizeof good);
  bad[4] = 0xF0, bad[7] = 0x7F;  // IFD offset far beyond the end
  CHECK(exif_orientation_from_tiff(bad, sizeof bad) == 1);
  std::memcpy(bad, good, sizeof good);
  bad[8] = 0xFF, bad[9] = 0xFF;  // 65535 entries claimed
  CHECK(exif_orientation_from_tiff(bad, sizeof bad) == 6);  // the first (real) entry still counts
  std::memcpy(bad, good, sizeof good);
  bad[18] = 9;  // orientation out of range
  CHECK(exif_orientation_from_tiff(bad, sizeof bad) == 1);
  bad[0] = 'X';
  CHECK(exif_orientation_from_tiff(bad, sizeof bad) == 1);
}

TEST_CASE("PNG: colour types, bit depths, palette, tRNS, interlace") {
  const int w = 5, h = 3;
  SUBCASE("RGB 8") {
    Bytes rows = make_pixels(w, h, 3);
    Bytes png = encode_png(simple(w, h, PNG_COLOR_TYPE_RGB, 8), rows);
    Image im = decode_image(png.data(), png.size(), "rgb.png");
    CHECK(im.width == w);
    CHECK(im.height == h);
    CHECK(im.rgb == rows);
  }
  SUBCASE("RGB 8 interlaced") {
    Bytes rows = make_pixels(w, h, 3);
    PngSpec spec{w, h, PNG_COLOR_TYPE_RGB, 8, true, {}, {}};
    Bytes png = encode_png(spec, rows);
    CHECK(decode_image(png.data(), png.size(), "adam7.png").rgb == rows);
  }
  SUBCASE("RGBA 8 is composited on white") {
    Bytes rows = {200, 100, 50, 255,  200, 100, 50, 0,  200, 100, 50, 128,  0, 0, 0, 64,  255, 255, 255, 1};
    Bytes png = encode_png(simple(5, 1, PNG_COLOR_TYPE_RGBA, 8), rows);
    Image im = decode_image(png.data(), png.size(), "rgba.png");
    // out = round((c·a + 255·(255 − a)) / 255)
    Bytes expect = {200, 100, 50,  255, 255, 255,  227, 177, 152,  191, 191, 191,  255, 255, 255};
    CHECK(im.rgb == expect);
  }
  SUBCASE("gray 8, gray + alpha, gray 4-bit") {
    Bytes g = {0, 50, 100, 200, 255};
    Bytes gp = encode_png(simple(5, 1, PNG_COLOR_TYPE_GRAY, 8), g);
    Image im = decode_image(gp.data(), gp.size(), "g.png");
    CHECK(im.rgb == Bytes{0, 0, 0, 50, 50, 50, 100, 100, 100, 200, 200, 200, 255, 255, 255});
    Bytes ga = {0, 255, 0, 0, 100, 128};
    Bytes png = encode_png(simple(3, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8), ga);
    CHECK(decode_image(png.data(), png.size(), "ga.png").rgb == Bytes{0, 0, 0, 255, 255, 255, 177, 177, 177});
    Bytes g4 = {0x0F, 0x80};  // 4 pixels: 0, 15, 8, 0 -> scaled ×17
    png = encode_png(simple(4, 1, PNG_COLOR_TYPE_GRAY, 4), g4);
    CHECK(decode_image(png.data(), png.size(), "g4.png").rgb == Bytes{0, 0, 0, 255, 255, 255, 136, 136, 136, 0, 0, 0});
  }
  SUBCASE("16-bit RGB and gray keep the high byte") {
    Bytes rows = {0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF,  0x00, 0xFF, 0x80, 0x01, 0x7F, 0xFF};
    Bytes png = encode_png(simple(2, 1, PNG_COLOR_TYPE_RGB, 16), rows);
    CHECK(decode_image(png.data(), png.size(), "rgb16.png").rgb == Bytes{0x12, 0xAB, 0xFF, 0x00, 0x80, 0x7F});
    Bytes g16 = {0xC0, 0x01, 0x01, 0xFF};
    png = encode_png(simple(2, 1, PNG_COLOR_TYPE_GRAY, 16), g16);
    CHECK(decode_image(png.data(), png.size(), "g16.png").rgb == Bytes{0xC0, 0xC0, 0xC0, 0x01, 0x01, 0x01});
  }
  SUBCASE("palette with tRNS") {
    PngSpec spec{3, 1, PNG_COLOR_TYPE_PALETTE, 8, false, {{10, 20, 30}, {200, 100, 50}, {0, 0, 0}}, {255, 0}};
    Bytes png = encode_png(spec, Bytes{0, 1, 2});  // entry 2 has no tRNS value: opaque
    CHECK(decode_image(png.data(), png.size(), "pal.png").rgb == Bytes{10, 20, 30, 255, 255, 255, 0, 0, 0});
    PngSpec spec2{4, 1, PNG_COLOR_TYPE_PALETTE, 2, false, {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {250, 251, 252}}, {}};
    png = encode_png(spec2, Bytes{0x1B});  // 2-bit indices 0, 1, 2, 3
    CHECK(decode_image(png.data(), png.size(), "pal2.png").rgb == Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252});
  }
}

TEST_CASE("hostile images: statuses and messages, no crash") {
  Bytes src = make_pixels(64, 64, 3);
  Bytes jpg = encode_jpeg(src, 64, 64, TJPF_RGB, TJSAMP_420, 90);
  Bytes prog = encode_jpeg(src, 64, 64, TJPF_RGB, TJSAMP_420, 90, TJFLAG_PROGRESSIVE);
  std::string msg;
  for (const Bytes* f : {&jpg, &prog})
    for (size_t cut : {size_t{3}, size_t{20}, size_t{200}, f->size() / 2, f->size() - 2}) {
      CAPTURE(cut);
      Bytes t(f->begin(), f->begin() + cut);
      CHECK(status_of(t, &msg) == Status::bad_format);
      CHECK(msg.find("test.img") != std::string::npos);
    }
  // SOF dimensions patched: 0 height, and 40000 wide.
  Bytes sof = jpg;
  size_t at = 2;
  while (!(sof[at] == 0xFF && sof[at + 1] == 0xC0)) ++at;  // baseline SOF0
  Bytes zero = sof;
  zero[at + 5] = 0, zero[at + 6] = 0;
  CHECK(status_of(zero) == Status::bad_format);
  Bytes wide = sof;
  wide[at + 7] = 40000 >> 8, wide[at + 8] = 40000 & 0xff;
  CHECK(status_of(wide, &msg) == Status::unsupported);
  CHECK(msg.find("40000") != std::string::npos);

  Bytes rows = make_pixels(16, 16, 3);
  Bytes png = encode_png(simple(16, 16, PNG_COLOR_TYPE_RGB, 8), rows);
  for (size_t cut : {size_t{8}, size_t{30}, size_t{40}, png.size() / 2, png.size() - 13}) {
    CAPTURE(cut);
    CHECK(status_of(Bytes(png.begin(), png.begin() + cut)) == Status::bad_format);
  }
  Bytes ok_end(png.begin(), png.end() - 12);  // IEND missing: all pixels are there, still decodes
  CHECK(status_of(ok_end) == Status::ok);
  CHECK(status_of(png_with_size(png, 30000, 30000), &msg) == Status::unsupported);  // 9e8 pixels
  CHECK(msg.find("30000x30000") != std::string::npos);
  CHECK(status_of(png_with_size(png, 8000, 8000), &msg) == Status::bad_format);  // plausible size, no data
  CHECK(msg.find("too small") != std::string::npos);
  CHECK(status_of(png_with_size(png, 0, 16)) == Status::bad_format);
  CHECK(status_of(png_with_size(png, 0x80000000u, 1)) == Status::unsupported);
  Bytes crc = png;
  crc[23] ^= 1;  // height 16 -> 17 without fixing the CRC
  CHECK(status_of(crc) == Status::bad_format);

  // A real 100000×1 PNG: rejected from IHDR alone, before any pixel allocation.
  Bytes long_rows(100000 * 3, 7);
  Bytes long_png = encode_png(simple(100000, 1, PNG_COLOR_TYPE_RGB, 8), long_rows);
  CHECK(status_of(long_png, &msg) == Status::unsupported);
  CHECK(msg.find("100000x1") != std::string::npos);

  std::mt19937 rng(5);
  for (int i = 0; i < 50; ++i) {
    Bytes r(1 + rng() % 300);
    for (auto& c : r) c = static_cast<uint8_t>(rng());
    CHECK(status_of(r) == Status::bad_format);
    r.insert(r.begin(), {0xFF, 0xD8, 0xFF});
    CHECK(status_of(r) == Status::bad_format);
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    r.insert(r.begin(), sig, sig + 8);
    CHECK(status_of(r) == Status::bad_format);
  }
  CHECK(status_of(Bytes{}) == Status::bad_format);
  CHECK_THROWS_AS(decode_image_file("/nonexistent/dir/x.png"), Error);
  try {
    decode_image_file("/nonexistent/dir/x.png");
  } catch (const Error& e) {
    CHECK(e.status() == Status::io);
  }
}

TEST_CASE("decode_image_file reads a file") {
  Bytes rows = make_pixels(7, 9, 3);
  Bytes png = encode_png(simple(7, 9, PNG_COLOR_TYPE_RGB, 8), rows);
  auto path = std::filesystem::temp_directory_path() / ("g4_image_test_" + std::to_string(::getpid()) + ".png");
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(png.data(), 1, png.size(), f);
  std::fclose(f);
  Image im = decode_image_file(path.string());
  std::filesystem::remove(path);
  CHECK(im.width == 7);
  CHECK(im.height == 9);
  CHECK(im.rgb == rows);
}

TEST_CASE("image_from_pixels: stride, RGBA on white, argument checks") {
  Bytes px = {1, 2, 3, 4, 5, 6, 99, 99,  7, 8, 9, 10, 11, 12, 99, 99};  // 2×2 RGB, stride 8
  Image im = image_from_pixels(px.data(), 2, 2, 8, 3);
  CHECK(im.rgb == Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Bytes rgba = {100, 150, 200, 0,  100, 150, 200, 255};
  CHECK(image_from_pixels(rgba.data(), 2, 1, 8, 4).rgb == Bytes{255, 255, 255, 100, 150, 200});
  auto status = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.status();
    }
    return Status::ok;
  };
  CHECK(status([&] { image_from_pixels(px.data(), 2, 2, 5, 3); }) == Status::invalid_argument);  // stride < 6
  CHECK(status([&] { image_from_pixels(px.data(), 2, 2, 8, 2); }) == Status::invalid_argument);
  CHECK(status([&] { image_from_pixels(px.data(), 0, 2, 8, 3); }) == Status::invalid_argument);
  CHECK(status([&] { image_from_pixels(nullptr, 2, 2, 8, 3); }) == Status::invalid_argument);
  CHECK(status([&] { image_from_pixels(px.data(), 40000, 1, 120000, 3); }) == Status::unsupported);
}

// ---- §3.2 resize ----

TEST_CASE("image_target_size follows the HF budget rule") {
  // Expected values computed by hand-transcribing HF get_aspect_ratio_preserving_size to Python.
  struct Case { int w, h, budget, tw, th; };
  for (Case c : {Case{1000, 1000, 70, 384, 384}, Case{1000, 1000, 140, 528, 528}, Case{1000, 1000, 280, 768, 768},
                 Case{1000, 1000, 560, 1104, 1104}, Case{1000, 1000, 1120, 1584, 1584}, Case{640, 480, 280, 912, 672},
                 Case{640, 480, 70, 432, 336}, Case{4000, 3000, 1120, 1824, 1344},
                 Case{10, 10, 280, 768, 768},        // upscaled
                 Case{10000, 10, 280, 13440, 48},    // H' rounds to 0: 48 high, width capped at 280·48
                 Case{32768, 1, 1120, 53760, 48}, Case{1, 32768, 70, 48, 3360}, Case{1000, 37, 140, 2928, 96}}) {
    CAPTURE(c.w);
    CAPTURE(c.h);
    CAPTURE(c.budget);
    ImageSize t = image_target_size(c.w, c.h, c.budget);
    CHECK(t.width == c.tw);
    CHECK(t.height == c.th);
    CHECK((t.width / 48) * (t.height / 48) <= c.budget);
  }
  CHECK_THROWS_AS(image_target_size(100, 100, 256), Error);
  CHECK_THROWS_AS(image_target_size(0, 100, 280), Error);
}

namespace {

// Independent float64 reference: direct 2-D weights w(x)·w(y) over the whole input, each axis
// normalised, no intermediate rounding; the result is rounded once.
double keys(double x) {
  x = std::fabs(x);
  if (x < 1) return 1.5 * x * x * x - 2.5 * x * x + 1;
  if (x < 2) return -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2;
  return 0;
}

std::vector<std::vector<double>> axis_weights(int in, int out) {
  const double scale = double(in) / out, stretch = std::max(scale, 1.0);
  std::vector<std::vector<double>> w(out, std::vector<double>(in, 0.0));
  for (int i = 0; i < out; ++i) {
    const double center = (i + 0.5) * scale;
    double sum = 0;
    for (int j = 0; j < in; ++j) sum += (w[i][j] = keys((j + 0.5 - center) / stretch));
    for (int j = 0; j < in; ++j) w[i][j] /= sum;
  }
  return w;
}

Bytes reference_resize(const Image& s, int ow, int oh) {
  auto wx = axis_weights(s.width, ow), wy = axis_weights(s.height, oh);
  Bytes out(static_cast<size_t>(ow) * oh * 3);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int c = 0; c < 3; ++c) {
        double acc = 0;
        for (int sy = 0; sy < s.height; ++sy) {
          if (wy[y][sy] == 0) continue;
          for (int sx = 0; sx < s.width; ++sx)
            acc += wy[y][sy] * wx[x][sx] * s.rgb[(static_cast<size_t>(sy) * s.width + sx) * 3 + c];
        }
        out[(static_cast<size_t>(y) * ow + x) * 3 + c] = static_cast<uint8_t>(std::clamp(std::lround(acc), 0L, 255L));
      }
  return out;
}

}  // namespace

TEST_CASE("resize_bicubic_antialias matches a direct float64 reference within ±1") {
  // ±1: the implementation rounds the horizontal pass to uint8 (≤ 0.5 error, times Σ|w| ≈ 1.1
  // in the vertical pass) and uses int16 weights (≤ 2^-15 each); together < 1 before the final
  // rounding, so the two results can differ by at most one level. Values stay in 40..215 so
  // the intermediate clamp never engages (bicubic overshoot here is < 25 levels).
  std::mt19937 rng(11);
  struct Case { int w, h, ow, oh; };
  for (Case c : {Case{97, 61, 48, 48}, Case{30, 20, 96, 48}, Case{200, 150, 48, 96}, Case{64, 40, 64, 17},
                 Case{500, 40, 48, 48}, Case{7, 300, 5, 29}, Case{1, 1, 3, 2}}) {
    CAPTURE(c.w);
    CAPTURE(c.h);
    CAPTURE(c.ow);
    CAPTURE(c.oh);
    Image s;
    s.width = c.w, s.height = c.h;
    s.rgb = make_pixels(c.w, c.h, 3, 3);
    for (auto& v : s.rgb)  // 48..208 squeezed to 50..205, plus noise of ±10
      v = static_cast<uint8_t>(std::clamp<int>(50 + (v - 48) * 155 / 160 + int(rng() % 21) - 10, 40, 215));
    Image r = resize_bicubic_antialias(s, c.ow, c.oh);
    REQUIRE(r.width == c.ow);
    REQUIRE(r.height == c.oh);
    Bytes ref = reference_resize(s, c.ow, c.oh);
    int worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(int(ref[i]) - int(r.rgb[i])));
    CHECK(worst <= 1);
    CHECK(mean_abs_diff(ref, r.rgb) < 0.35);  // most pixels agree exactly
  }
}

TEST_CASE("resize: constants stay constant, same size is a copy, bad sizes are rejected") {
  Image s;
  s.width = 123, s.height = 45;
  s.rgb.assign(123 * 45 * 3, 0);
  for (size_t i = 0; i < s.rgb.size(); i += 3) s.rgb[i] = 0, s.rgb[i + 1] = 137, s.rgb[i + 2] = 255;
  for (auto [ow, oh] : {std::pair{48, 48}, std::pair{480, 96}, std::pair{7, 200}}) {
    Image r = resize_bicubic_antialias(s, ow, oh);
    bool flat = true;
    for (size_t i = 0; i < r.rgb.size(); i += 3) flat &= r.rgb[i] == 0 && r.rgb[i + 1] == 137 && r.rgb[i + 2] == 255;
    CHECK(flat);
  }
  CHECK(resize_bicubic_antialias(s, 123, 45).rgb == s.rgb);
  Image big = resize_for_soft_tokens(s, 280);
  ImageSize t = image_target_size(123, 45, 280);
  CHECK(big.width == t.width);
  CHECK(big.height == t.height);
  CHECK_THROWS_AS(resize_bicubic_antialias(s, 0, 5), Error);
  CHECK_THROWS_AS(resize_bicubic_antialias(s, 70000, 5), Error);
  Image broken = s;
  broken.rgb.pop_back();
  CHECK_THROWS_AS(resize_bicubic_antialias(broken, 5, 5), Error);
}
