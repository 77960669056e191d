// Gemma 4's chat format (spec §6), rendered straight to token ids:
//   <bos><|turn>system\n{<|think|>\n}{system}<turn|>\n<|turn>user\n{user}<turn|>\n<|turn>model\n...
// Plain template text and user text are tokenized together between special tokens, as a
// tokenizer applied to the rendered template string would do.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/context.h"
#include "runtime/input.h"

namespace g4 {

class TokenBuilder {
 public:
  TokenBuilder(const Tokenizer& tk, std::vector<int32_t>& out) : tk_(tk), out_(out) {}
  ~TokenBuilder() { flush(); }
  void special(int32_t id);                    // a special token by id (must exist)
  void text(const std::string& s);             // template text: never contains special tokens
  void user_text(const std::string& s, bool parse_special);
  void tokens(const std::vector<int32_t>& ids);
  void flush();

 private:
  const Tokenizer& tk_;
  std::vector<int32_t>& out_;
  std::string buf_;
  bool buf_parse_special_ = true;
};

// Everything between <|channel> and <channel|> removed (markers included), then trimmed: how
// earlier model turns are re-sent (spec §6).
std::string strip_thoughts(const std::string& text);
std::string trim(const std::string& s);

enum class Role { system = 0, user = 1, model = 2 };

// Turns a media part into soft-token rows and returns the pseudo token id of its first row:
// -(k+1) for row k of the session's soft-token store; the part's rows follow consecutively.
// A dry run (token counting) returns any negative id.
using MediaSink = std::function<int32_t(const InputPart& part)>;

// Appends one rendered turn to out. The content's text is trimmed at both ends; model turns are
// stripped of thoughts. Media parts become their token runs (spec §3.4, §4, §5) through sink.
void render_turn(const Context& ctx, Role role, const Input& input, bool thinking, bool parse_special,
                 const MediaSink& sink, std::vector<int32_t>& out);
// Appends the system turn that only carries <|think|> (thinking on, no system message).
void render_think_only_system(const Context& ctx, std::vector<int32_t>& out);
// Appends the generation prompt: <|turn>model\n, plus the empty thought block when thinking is off.
void render_generation_prompt(const Context& ctx, bool thinking, std::vector<int32_t>& out);
// Tokens of raw input, media counted without running the embedders.
size_t count_raw_tokens(const Context& ctx, const Input& input, bool parse_special);
// Appends the tokens of raw input (no template).
void render_raw(const Context& ctx, const Input& input, bool parse_special, const MediaSink& sink,
                std::vector<int32_t>& out);

}  // namespace g4
