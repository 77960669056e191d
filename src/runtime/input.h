// gemma4_input behind the API: an ordered list of parts (text or token ids) for one turn.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace g4 {

struct InputPart {
  enum class Kind { text, tokens } kind = Kind::text;
  std::string text;
  std::vector<int32_t> tokens;
};

struct Input {
  std::vector<InputPart> parts;
};

}  // namespace g4
