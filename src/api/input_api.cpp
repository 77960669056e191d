// The C API of gemma4_input: text, tokens and media parts (decoded and resized when added).
#include <cmath>
#include <cstring>

#include "api/boundary.h"
#include "api/handles.h"
#include "io/audio.h"
#include "io/image.h"
#include "io/image_resize.h"
#include "runtime/chat_template.h"

using namespace g4;
using g4::api::context_of;
using g4::api::guard;
using g4::api::input_of;
using g4::api::require;
using g4::api::text_length;

namespace {

int image_budget(int32_t max_tokens, int dflt) {
  if (max_tokens == 0) return dflt;
  if (max_tokens != 70 && max_tokens != 140 && max_tokens != 280 && max_tokens != 560 && max_tokens != 1120)
    fail(Status::invalid_argument, "max_tokens must be 0, 70, 140, 280, 560 or 1120 (got " +
                                       std::to_string(max_tokens) + ")");
  return max_tokens;
}

void add_image_part(gemma4_input* input, Image img, int32_t max_tokens, bool video, double timestamp) {
  require(input != nullptr, "input is NULL");
  if (video) require(std::isfinite(timestamp) && timestamp >= 0 && timestamp < 1e7, "timestamp_s must be >= 0");
  InputPart p;
  p.kind = video ? InputPart::Kind::video_frame : InputPart::Kind::image;
  p.image = resize_for_soft_tokens(img, image_budget(max_tokens, video ? kDefaultVideoFrameTokens : kDefaultImageTokens));
  p.timestamp = timestamp;
  input->in.parts.push_back(std::move(p));
}

void add_audio_part(gemma4_input* input, Audio a) {
  InputPart p;
  p.kind = InputPart::Kind::audio;
  p.audio = std::move(a.samples);
  input->in.parts.push_back(std::move(p));
}

Image pixels_image(const uint8_t* pixels, int32_t w, int32_t h, size_t stride, int32_t channels) {
  require(pixels != nullptr, "pixels is NULL");
  require(channels == 3 || channels == 4, "channels must be 3 (RGB) or 4 (RGBA)");
  return image_from_pixels(pixels, w, h, stride, channels);
}

}  // namespace

extern "C" {

// ---- input ------------------------------------------------------------------------------------

gemma4_status gemma4_input_create(gemma4_input** out) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out != nullptr, "out is NULL");
    *out = new gemma4_input();
  });
}

void gemma4_input_free(gemma4_input* input) { delete input; }

gemma4_status gemma4_input_clear(gemma4_input* input) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    input->in.parts.clear();
  });
}

gemma4_status gemma4_input_add_text(gemma4_input* input, const char* text, size_t len) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(text != nullptr, "text is NULL");
    InputPart p;
    p.kind = InputPart::Kind::text;
    p.text.assign(text, text_length(text, len));
    input->in.parts.push_back(std::move(p));
  });
}

gemma4_status gemma4_input_add_tokens(gemma4_input* input, const int32_t* tokens, size_t n) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(tokens != nullptr || n == 0, "tokens is NULL");
    InputPart p;
    p.kind = InputPart::Kind::tokens;
    p.tokens.assign(tokens, tokens + n);
    input->in.parts.push_back(std::move(p));
  });
}

// ---- media ------------------------------------------------------------------------------------

gemma4_status gemma4_input_add_image_file(gemma4_input* input, const char* path, int32_t max_tokens) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(path != nullptr, "path is NULL");
    add_image_part(input, decode_image_file(path), max_tokens, false, 0);
  });
}

gemma4_status gemma4_input_add_image_encoded(gemma4_input* input, const void* data, size_t size, int32_t max_tokens) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(data != nullptr, "data is NULL");
    add_image_part(input, decode_image(static_cast<const uint8_t*>(data), size, "encoded image"), max_tokens, false, 0);
  });
}

gemma4_status gemma4_input_add_image_rgb(gemma4_input* input, const uint8_t* pixels, int32_t width, int32_t height,
                                         size_t stride, int32_t channels, int32_t max_tokens) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    add_image_part(input, pixels_image(pixels, width, height, stride, channels), max_tokens, false, 0);
  });
}

gemma4_status gemma4_input_add_video_frame_encoded(gemma4_input* input, const void* data, size_t size,
                                                   double timestamp_s, int32_t max_tokens) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(data != nullptr, "data is NULL");
    add_image_part(input, decode_image(static_cast<const uint8_t*>(data), size, "video frame"), max_tokens, true,
                   timestamp_s);
  });
}

gemma4_status gemma4_input_add_video_frame_rgb(gemma4_input* input, const uint8_t* pixels, int32_t width,
                                               int32_t height, size_t stride, int32_t channels, double timestamp_s,
                                               int32_t max_tokens) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    add_image_part(input, pixels_image(pixels, width, height, stride, channels), max_tokens, true, timestamp_s);
  });
}

gemma4_status gemma4_input_add_audio_file(gemma4_input* input, const char* path) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(path != nullptr, "path is NULL");
    add_audio_part(input, decode_audio_file(path));
  });
}

gemma4_status gemma4_input_add_audio_encoded(gemma4_input* input, const void* data, size_t size) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(data != nullptr, "data is NULL");
    add_audio_part(input, decode_audio(static_cast<const uint8_t*>(data), size, "encoded audio"));
  });
}

gemma4_status gemma4_input_add_audio_pcm(gemma4_input* input, const void* samples, size_t n_frames, int32_t channels,
                                         int32_t sample_rate, int32_t format) {
  return guard([&] {
    require(input != nullptr, "input is NULL");
    require(samples != nullptr, "samples is NULL");
    if (format == GEMMA4_PCM_F32)
      add_audio_part(input, audio_from_pcm_f32(static_cast<const float*>(samples), n_frames, channels, sample_rate));
    else if (format == GEMMA4_PCM_S16)
      add_audio_part(input, audio_from_pcm_s16(static_cast<const int16_t*>(samples), n_frames, channels, sample_rate));
    else
      fail(Status::invalid_argument, "format must be GEMMA4_PCM_F32 or GEMMA4_PCM_S16");
  });
}

gemma4_status gemma4_input_n_tokens(const gemma4_context* ctx, const gemma4_input* input, size_t* n_tokens) {
  return guard([&] {
    const Context& c = context_of(ctx);
    const Input& in = input_of(input);
    require(n_tokens != nullptr, "n_tokens is NULL");
    *n_tokens = count_raw_tokens(c, in, true);
  });
}

}  // extern "C"
