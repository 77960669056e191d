// UTF-8 helpers for streaming: tokens can end in the middle of a character (byte tokens).
#pragma once
#include <cstddef>
#include <string>

namespace g4 {

// Length of the longest prefix of s that does not end inside an incomplete (but so far valid)
// multi-byte sequence. Bytes after it may be completed by the next token.
size_t utf8_complete_prefix(const std::string& s);
// s with every invalid byte sequence replaced by U+FFFD.
std::string utf8_sanitize(const std::string& s);

}  // namespace g4
