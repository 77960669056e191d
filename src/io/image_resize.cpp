// §3.2 target size and torch-compatible antialiased bicubic resampling (see image_resize.h).
//
// Why torch's uint8 fixed-point path and not plain float: HF's Gemma 4 image processor (the
// torchvision backend) resizes the decoded uint8 tensor and only afterwards rescales by 1/255.
// torchvision's resize_image keeps uint8 for BICUBIC on CPU (_do_native_uint8_resize_on_cpu
// returns true for BICUBIC), so ATen's separable uint8 kernel runs: int16 weights, a uint8
// intermediate after the horizontal pass, rounding and clamping after each pass. Reproducing
// that arithmetic gives the same bytes as the reference instead of ±1 differences.
#include "io/image_resize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"

namespace g4 {
namespace {

constexpr int kSideMultiple = 48;  // patch 16 × pooling 3 (spec §3.1)

// Keys cubic convolution with a = −0.5 (ATen aa_filter with antialias, PIL's bicubic).
double cubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// One axis of the separable filter: output i reads inputs [start[i], start[i] + taps[i]) with
// weights w[i·kmax + j] in fixed point with `precision` fractional bits.
struct AxisFilter {
  int kmax = 0;
  unsigned precision = 0;
  std::vector<int> start, taps;
  std::vector<int16_t> w;
};

AxisFilter make_axis_filter(int in, int out) {
  AxisFilter f;
  const double scale = static_cast<double>(in) / out;
  const double support = scale >= 1.0 ? 2.0 * scale : 2.0;  // interp_size 4 × 0.5, widened when shrinking
  const double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  f.kmax = static_cast<int>(std::ceil(support)) * 2 + 1;
  f.start.resize(out);
  f.taps.resize(out);
  std::vector<double> wf(static_cast<size_t>(out) * f.kmax, 0.0);
  double wt_max = 0.0;
  for (int i = 0; i < out; ++i) {
    const double center = scale * (i + 0.5);
    // Truncation toward zero, then clamping, exactly as ATen computes the window.
    const int64_t xmin = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    int64_t xsize = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in) - xmin;
    xsize = std::clamp<int64_t>(xsize, 0, f.kmax);
    double* wi = &wf[static_cast<size_t>(i) * f.kmax];
    double total = 0.0;
    for (int64_t j = 0; j < xsize; ++j) {
      wi[j] = cubic((static_cast<double>(j + xmin) - center + 0.5) * invscale);
      total += wi[j];
    }
    if (total != 0.0)
      for (int64_t j = 0; j < xsize; ++j) {
        wi[j] /= total;
        wt_max = std::max(wt_max, wi[j]);
      }
    f.start[i] = static_cast<int>(xmin);
    f.taps[i] = static_cast<int>(xsize);
  }
  // The largest precision (≤ 22 bits) at which the largest weight still fits in int16.
  unsigned p = 0;
  for (p = 0; p < 22; ++p)
    if (static_cast<int>(0.5 + wt_max * (1 << (p + 1))) >= (1 << 15)) break;
  f.precision = p;
  f.w.resize(wf.size());
  for (size_t k = 0; k < wf.size(); ++k) {
    const double v = wf[k] * (1 << p);
    f.w[k] = static_cast<int16_t>(v < 0 ? static_cast<int>(-0.5 + v) : static_cast<int>(0.5 + v));
  }
  return f;
}

inline uint8_t round_shift_clamp(int acc, unsigned precision) {
  return static_cast<uint8_t>(std::clamp(acc >> precision, 0, 255));  // acc carries the +0.5 bias
}

// Width in -> out on every row; 3 channels interleaved.
std::vector<uint8_t> horizontal_pass(const std::vector<uint8_t>& src, int in_w, int h, int out_w) {
  const AxisFilter f = make_axis_filter(in_w, out_w);
  std::vector<uint8_t> dst(static_cast<size_t>(out_w) * h * 3);
  const int bias = 1 << (f.precision - 1);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = &src[static_cast<size_t>(y) * in_w * 3];
    uint8_t* out = &dst[static_cast<size_t>(y) * out_w * 3];
    for (int x = 0; x < out_w; ++x) {
      const int16_t* w = &f.w[static_cast<size_t>(x) * f.kmax];
      const uint8_t* s = row + static_cast<size_t>(f.start[x]) * 3;
      int a0 = bias, a1 = bias, a2 = bias;
      for (int j = 0; j < f.taps[x]; ++j) {
        a0 += s[3 * j] * w[j];
        a1 += s[3 * j + 1] * w[j];
        a2 += s[3 * j + 2] * w[j];
      }
      out[3 * x] = round_shift_clamp(a0, f.precision);
      out[3 * x + 1] = round_shift_clamp(a1, f.precision);
      out[3 * x + 2] = round_shift_clamp(a2, f.precision);
    }
  }
  return dst;
}

// Height in -> out; rows of `w` RGB pixels. Integer sums are order-independent, so taps are
// accumulated row by row for cache friendliness.
std::vector<uint8_t> vertical_pass(const std::vector<uint8_t>& src, int w, int in_h, int out_h) {
  const AxisFilter f = make_axis_filter(in_h, out_h);
  const size_t row_len = static_cast<size_t>(w) * 3;
  std::vector<uint8_t> dst(row_len * out_h);
  std::vector<int> acc(row_len);
  const int bias = 1 << (f.precision - 1);
  for (int y = 0; y < out_h; ++y) {
    std::fill(acc.begin(), acc.end(), bias);
    const int16_t* wy = &f.w[static_cast<size_t>(y) * f.kmax];
    for (int j = 0; j < f.taps[y]; ++j) {
      const uint8_t* s = &src[static_cast<size_t>(f.start[y] + j) * row_len];
      const int wj = wy[j];
      for (size_t k = 0; k < row_len; ++k) acc[k] += s[k] * wj;
    }
    uint8_t* out = &dst[static_cast<size_t>(y) * row_len];
    for (size_t k = 0; k < row_len; ++k) out[k] = round_shift_clamp(acc[k], f.precision);
  }
  return dst;
}

}  // namespace

ImageSize image_target_size(int width, int height, int max_soft_tokens) {
  if (max_soft_tokens != 70 && max_soft_tokens != 140 && max_soft_tokens != 280 && max_soft_tokens != 560 &&
      max_soft_tokens != 1120)
    fail(Status::invalid_argument, "max_soft_tokens must be one of 70, 140, 280, 560, 1120; got " +
                                       std::to_string(max_soft_tokens));
  if (width <= 0 || height <= 0)
    fail(Status::invalid_argument, "image size " + std::to_string(width) + "x" + std::to_string(height) + " is empty");
  // Same double arithmetic as the Python reference (math.sqrt / math.floor on floats).
  const int64_t max_patches = int64_t{max_soft_tokens} * 9;
  const int64_t target_px = max_patches * 16 * 16;
  const double factor = std::sqrt(static_cast<double>(target_px) / (static_cast<double>(height) * width));
  int64_t th = static_cast<int64_t>(std::floor(factor * height / kSideMultiple)) * kSideMultiple;
  int64_t tw = static_cast<int64_t>(std::floor(factor * width / kSideMultiple)) * kSideMultiple;
  if (th == 0 && tw == 0)  // cannot happen for budgets >= 70, kept as the reference has it
    fail(Status::invalid_argument, "image " + std::to_string(width) + "x" + std::to_string(height) +
                                       " would be resized to 0x0");
  const int64_t max_side = (max_patches / 9) * kSideMultiple;
  if (th == 0) {
    th = kSideMultiple;
    tw = std::min<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(width) / height)) * kSideMultiple, max_side);
  } else if (tw == 0) {
    tw = kSideMultiple;
    th = std::min<int64_t>(static_cast<int64_t>(std::floor(static_cast<double>(height) / width)) * kSideMultiple, max_side);
  }
  if (th * tw > target_px)
    fail(Status::internal, "image_target_size: " + std::to_string(tw) + "x" + std::to_string(th) + " exceeds " +
                               std::to_string(max_patches) + " patches");
  return ImageSize{static_cast<int>(tw), static_cast<int>(th)};
}

Image resize_bicubic_antialias(const Image& src, int out_w, int out_h) {
  if (out_w < 1 || out_h < 1 || out_w > 65536 || out_h > 65536 ||
      static_cast<int64_t>(out_w) * out_h > kMaxImagePixels)
    fail(Status::invalid_argument, "resize: output size " + std::to_string(out_w) + "x" + std::to_string(out_h) +
                                       " is out of range");
  if (src.width < 1 || src.height < 1 || src.rgb.size() != static_cast<size_t>(src.width) * src.height * 3)
    fail(Status::invalid_argument, "resize: source image is empty or its pixel buffer does not match " +
                                       std::to_string(src.width) + "x" + std::to_string(src.height));
  Image out;
  out.width = out_w;
  out.height = out_h;
  // As ATen: horizontal pass first (only if the width changes), then vertical.
  std::vector<uint8_t> cur;
  const std::vector<uint8_t>* p = &src.rgb;
  if (out_w != src.width) {
    cur = horizontal_pass(*p, src.width, src.height, out_w);
    p = &cur;
  }
  if (out_h != src.height) {
    std::vector<uint8_t> next = vertical_pass(*p, out_w, src.height, out_h);
    cur.swap(next);
    p = &cur;
  }
  out.rgb = (p == &src.rgb) ? src.rgb : std::move(cur);
  return out;
}

Image resize_for_soft_tokens(const Image& src, int max_soft_tokens) {
  const ImageSize t = image_target_size(src.width, src.height, max_soft_tokens);
  if (t.width == src.width && t.height == src.height) return src;
  return resize_bicubic_antialias(src, t.width, t.height);
}

}  // namespace g4
