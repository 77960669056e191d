// Streaming UTF-8 helpers and chat-history helpers (src/runtime/utf8.h, chat_template.h).
#include <doctest/doctest.h>

#include <string>

#include "runtime/chat_template.h"
#include "runtime/utf8.h"

using namespace g4;

TEST_CASE("utf8_complete_prefix holds back only an unfinished character") {
  CHECK(utf8_complete_prefix("abc") == 3);
  CHECK(utf8_complete_prefix("") == 0);
  const std::string euro = "\xE2\x82\xAC";  // U+20AC, 3 bytes
  CHECK(utf8_complete_prefix("a" + euro) == 4);
  CHECK(utf8_complete_prefix("a" + euro.substr(0, 1)) == 1);
  CHECK(utf8_complete_prefix("a" + euro.substr(0, 2)) == 1);
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600, 4 bytes
  CHECK(utf8_complete_prefix(emoji.substr(0, 3)) == 0);
  CHECK(utf8_complete_prefix(emoji) == 4);
  // Invalid bytes are not held (they can never complete): they are delivered and sanitised.
  CHECK(utf8_complete_prefix("a\x80") == 2);
  CHECK(utf8_complete_prefix("a\xE2" "b") == 3);
}

TEST_CASE("utf8_sanitize replaces invalid sequences with U+FFFD and keeps valid ones") {
  const std::string rep = "\xEF\xBF\xBD";
  CHECK(utf8_sanitize("hello") == "hello");
  CHECK(utf8_sanitize("\xE2\x82\xAC") == "\xE2\x82\xAC");
  CHECK(utf8_sanitize("a\x80" "b") == "a" + rep + "b");
  CHECK(utf8_sanitize("\xC0\xAF") == rep + rep);          // overlong
  CHECK(utf8_sanitize("\xED\xA0\x80") == rep + rep + rep);  // surrogate
  CHECK(utf8_sanitize("\xF4\x90\x80\x80") == rep + rep + rep + rep);  // > U+10FFFF
  CHECK(utf8_sanitize("\xE2\x82") == rep + rep);
}

TEST_CASE("strip_thoughts removes thought channels and trims (spec §6)") {
  CHECK(strip_thoughts("<|channel>thought\nlet me think<channel|>The answer is 4.") == "The answer is 4.");
  CHECK(strip_thoughts("<|channel>thought\n<channel|>Hi") == "Hi");
  CHECK(strip_thoughts("  plain answer \n") == "plain answer");
  CHECK(strip_thoughts("a<|channel>x<channel|>b<|channel>y<channel|>c") == "abc");
  CHECK(strip_thoughts("answer<|channel>unterminated") == "answer");
  CHECK(trim("\t x \n") == "x");
  CHECK(trim("   ") == "");
}
