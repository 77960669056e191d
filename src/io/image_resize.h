// The §3.2 resize of the HF Gemma 4 image processor: pick the target size for a soft-token
// budget, then resample with antialiased bicubic exactly as torchvision does for the uint8
// tensors HF hands it (resize happens before the ×1/255 rescale).
#pragma once
#include "io/image.h"

namespace g4 {

struct ImageSize {
  int width = 0;
  int height = 0;
};

// Spec §3.2 / HF get_aspect_ratio_preserving_size (patch 16, pooling 3, side multiple 48):
// the largest multiple-of-48 size with the input's aspect ratio and at most max_soft_tokens
// 48×48 patches; small images are upscaled. max_soft_tokens must be one of 70, 140, 280, 560,
// 1120 and both sides positive (else Error invalid_argument). When one side would round to 0
// it becomes 48 and the other floor(long/short)·48, capped at max_soft_tokens·48.
ImageSize image_target_size(int width, int height, int max_soft_tokens);

// Antialiased bicubic resample (Keys cubic, a = −0.5; support scaled by the downscale factor;
// separable, normalised weights; horizontal pass then vertical pass). The arithmetic is
// torch's CPU uint8 path (ATen UpSampleKernel.cpp, reached via torchvision resize on uint8):
// per-axis weights computed in double, normalised, converted to int16 fixed point with a
// per-axis precision; each pass accumulates integers with +0.5 rounding and clamps to 0..255,
// so the intermediate picture is uint8 (as in PIL). A pass whose size is unchanged is skipped.
// out_w, out_h in 1..65536 and out_w·out_h <= kMaxImagePixels, else Error invalid_argument.
Image resize_bicubic_antialias(const Image& src, int out_w, int out_h);

// image_target_size + resize_bicubic_antialias; returns a copy when the size already matches.
Image resize_for_soft_tokens(const Image& src, int max_soft_tokens);

}  // namespace g4
