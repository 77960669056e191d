#include "runtime/chat_template.h"

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

namespace {

// The turn's content: text parts joined (trimmed at the ends), token parts as they are.
void render_content(const Context& ctx, const Input& input, bool parse_special, bool strip, TokenBuilder& b) {
  (void)ctx;
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
                 std::vector<int32_t>& out) {
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
      render_content(ctx, input, parse_special, false, b);
      break;
    case Role::user:
      b.text("user\n");
      render_content(ctx, input, parse_special, false, b);
      break;
    case Role::model:
      b.text("model\n");
      render_content(ctx, input, true, true, b);
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

void render_raw(const Context& ctx, const Input& input, bool parse_special, std::vector<int32_t>& out) {
  TokenBuilder b(ctx.tokenizer(), out);
  for (const auto& p : input.parts) {
    if (p.kind == InputPart::Kind::tokens)
      b.tokens(p.tokens);
    else
      b.user_text(p.text, parse_special);
  }
}

}  // namespace g4
