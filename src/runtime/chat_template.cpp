#include "runtime/chat_template.h"

#include <algorithm>
#include <cstdio>

#include "base/error.h"

namespace g4 {

void TokenBuilder::flush() {
  if (buf_.empty()) return;
  std::vector<int32_t> ids = tk_.encode(buf_, buf_parse_special_);
  out_.insert(out_.end(), ids.begin(), ids.end());
  buf_.clear();
}

void TokenBuilder::special(int32_t id) {
  if (id < 0) fail(Status::unsupported, "the model's vocabulary lacks a special token the chat template needs");
  flush();
  out_.push_back(id);
}

void TokenBuilder::text(const std::string& s) { buf_ += s; }

void TokenBuilder::user_text(const std::string& s, bool parse_special) {
  if (!parse_special) {
    // Plain user text is tokenized on its own so that nothing in it is read as a special token.
    flush();
    buf_parse_special_ = false;
    buf_ = s;
    flush();
    buf_parse_special_ = true;
    return;
  }
  buf_ += s;
}

void TokenBuilder::tokens(const std::vector<int32_t>& ids) {
  flush();
  out_.insert(out_.end(), ids.begin(), ids.end());
}

std::string trim(const std::string& s) {
  const char* ws = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string strip_thoughts(const std::string& text) {
  static const std::string open = "<|channel>", close = "<channel|>";
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t a = text.find(open, i);
    if (a == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, a - i);
    size_t b = text.find(close, a + open.size());
    if (b == std::string::npos) break;  // an unterminated thought is dropped entirely
    i = b + close.size();
  }
  return trim(out);
}

int64_t soft_token_count(const InputPart& part) {
  switch (part.kind) {
    case InputPart::Kind::image:
    case InputPart::Kind::video_frame:
      return static_cast<int64_t>(part.image.width / 48) * (part.image.height / 48);
    case InputPart::Kind::audio:
      return static_cast<int64_t>((part.audio.size() + 639) / 640);
    default: return 0;
  }
}

namespace {

// "mm:ss" of a video frame's time (spec §5).
std::string timestamp_text(double seconds) {
  long s = seconds > 0 ? static_cast<long>(seconds) : 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

// Emits the token run of one media part:
//   image:  <|image> N x <|image|> <image|>                                   (spec §3.4)
//   audio:  <|audio> N x <|audio|> <audio|>, in blocks of at most 750 tokens   (spec §4)
//   video frame: "mm:ss " <|image> n x <|video|> <image|>, frames joined by " " (spec §5)
// The placeholders are the soft tokens' pseudo ids; the session maps them back for display.
void render_media(const Context& ctx, const InputPart& p, bool first_frame_of_video, const MediaSink& sink,
                  TokenBuilder& b) {
  const SpecialTokens& sp = ctx.special();
  const int64_t n = soft_token_count(p);
  if (n <= 0) fail(Status::invalid_argument, "a media part has no content");
  const int32_t first = sink(p);
  auto run = [&](int64_t from, int64_t count) {
    std::vector<int32_t> ids(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) ids[i] = first - static_cast<int32_t>(from + i);
    b.tokens(ids);
  };
  if (p.kind == InputPart::Kind::audio) {
    for (int64_t from = 0; from < n; from += kMaxAudioTokensPerBlock) {
      b.special(sp.audio_start);
      run(from, std::min<int64_t>(kMaxAudioTokensPerBlock, n - from));
      b.special(sp.audio_end);
    }
    return;
  }
  if (p.kind == InputPart::Kind::video_frame) b.text((first_frame_of_video ? "" : " ") + timestamp_text(p.timestamp) + " ");
  b.special(sp.image_start);
  run(0, n);
  b.special(sp.image_end);
}

// The turn's content: text parts joined (trimmed at the ends), token parts as they are.
void render_content(const Context& ctx, const Input& input, bool parse_special, bool strip, const MediaSink& sink,
                    TokenBuilder& b) {
  // Join consecutive text parts first so trimming and thought stripping see the whole text.
  std::vector<InputPart> merged;
  for (const auto& p : input.parts) {
    if (p.kind == InputPart::Kind::text && !merged.empty() && merged.back().kind == InputPart::Kind::text)
      merged.back().text += p.text;
    else
      merged.push_back(p);
  }
  for (size_t i = 0; i < merged.size(); ++i) {
    const InputPart& p = merged[i];
    if (p.kind == InputPart::Kind::tokens) {
      b.tokens(p.tokens);
      continue;
    }
    if (p.kind != InputPart::Kind::text) {
      const bool first_frame = p.kind == InputPart::Kind::video_frame &&
                               (i == 0 || merged[i - 1].kind != InputPart::Kind::video_frame);
      render_media(ctx, p, first_frame, sink, b);
      continue;
    }
    std::string s = p.text;
    if (strip) s = strip_thoughts(s);
    const char* ws = " \t\n\r\f\v";
    if (i == 0) {
      size_t first = s.find_first_not_of(ws);
      s = first == std::string::npos ? "" : s.substr(first);
    }
    if (i + 1 == merged.size()) {
      size_t last = s.find_last_not_of(ws);
      s = last == std::string::npos ? "" : s.substr(0, last + 1);
    }
    b.user_text(s, parse_special);
  }
}

}  // namespace

void render_turn(const Context& ctx, Role role, const Input& input, bool thinking, bool parse_special,
                 const MediaSink& sink, std::vector<int32_t>& out) {
  const SpecialTokens& sp = ctx.special();
  TokenBuilder b(ctx.tokenizer(), out);
  b.special(sp.turn_start);
  switch (role) {
    case Role::system:
      b.text("system\n");
      if (thinking) {
        b.special(sp.think);
        b.text("\n");
      }
      render_content(ctx, input, parse_special, false, sink, b);
      break;
    case Role::user:
      b.text("user\n");
      render_content(ctx, input, parse_special, false, sink, b);
      break;
    case Role::model:
      b.text("model\n");
      render_content(ctx, input, true, true, sink, b);
      break;
  }
  b.special(sp.turn_end);
  b.text("\n");
}

void render_think_only_system(const Context& ctx, std::vector<int32_t>& out) {
  const SpecialTokens& sp = ctx.special();
  TokenBuilder b(ctx.tokenizer(), out);
  b.special(sp.turn_start);
  b.text("system\n");
  b.special(sp.think);
  b.text("\n");
  b.special(sp.turn_end);
  b.text("\n");
}

void render_generation_prompt(const Context& ctx, bool thinking, std::vector<int32_t>& out) {
  const SpecialTokens& sp = ctx.special();
  TokenBuilder b(ctx.tokenizer(), out);
  b.special(sp.turn_start);
  b.text("model\n");
  if (!thinking) {
    b.special(sp.channel_start);
    b.text("thought\n");
    b.special(sp.channel_end);
  }
}

void render_raw(const Context& ctx, const Input& input, bool parse_special, const MediaSink& sink,
                std::vector<int32_t>& out) {
  TokenBuilder b(ctx.tokenizer(), out);
  for (size_t i = 0; i < input.parts.size(); ++i) {
    const InputPart& p = input.parts[i];
    if (p.kind == InputPart::Kind::tokens)
      b.tokens(p.tokens);
    else if (p.kind == InputPart::Kind::text)
      b.user_text(p.text, parse_special);
    else
      render_media(ctx, p, p.kind == InputPart::Kind::video_frame &&
                               (i == 0 || input.parts[i - 1].kind != InputPart::Kind::video_frame), sink, b);
  }
}

size_t count_raw_tokens(const Context& ctx, const Input& input, bool parse_special) {
  std::vector<int32_t> out;
  render_raw(ctx, input, parse_special, [](const InputPart&) { return int32_t{-1}; }, out);
  return out.size();
}

}  // namespace g4
