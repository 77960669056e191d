// gemma4_input behind the API: an ordered list of parts for one turn or raw append. Media are
// decoded and resized when they are added, so errors surface at the add_* call and a session
// only runs the embedders.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/image.h"

namespace g4 {

constexpr int kDefaultImageTokens = 280;  // spec §3.1: image default budget
constexpr int kDefaultVideoFrameTokens = 70;
constexpr int kMaxAudioTokensPerBlock = 750;  // 30 s: longer audio is split into several blocks

struct InputPart {
  enum class Kind { text, tokens, image, audio, video_frame } kind = Kind::text;
  std::string text;
  std::vector<int32_t> tokens;
  Image image;               // image / video_frame: already resized to multiples of 48 (spec §3.2)
  std::vector<float> audio;  // audio: 16 kHz mono
  double timestamp = 0;      // video_frame: seconds from the start of the video
};

struct Input {
  std::vector<InputPart> parts;
};

// Soft tokens a media part becomes (0 for text and token parts).
int64_t soft_token_count(const InputPart& part);

}  // namespace g4
