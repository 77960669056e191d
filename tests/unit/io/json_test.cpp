// JSON parser tests: the RFC 8259 grammar, the strictness choices documented in json.cpp
// (duplicate keys, UTF-8, depth, number range), error offsets, and parse speed on a
// tokenizer.json-sized document.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <string>

#include "base/error.h"
#include "io/json.h"

using namespace g4;

namespace {

Status status_of(const std::string& text, std::string* msg = nullptr) {
  try {
    Json::parse(text);
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

bool rejects(const std::string& text) { return status_of(text) == Status::bad_format; }

}  // namespace

TEST_CASE("json: values, order and lookups") {
  Json j = Json::parse(R"( {"b": [1, -2.5e1, true, false, null], "a": {"x": "y"}, "z": {} , "e": []} )");
  REQUIRE(j.is_object());
  CHECK(j.size() == 4);
  const auto& m = j.as_object();
  CHECK(m[0].first == "b");  // file order, not sorted
  CHECK(m[1].first == "a");
  CHECK(m[2].first == "z");
  CHECK(m[3].first == "e");
  const Json* b = j.find("b");
  REQUIRE(b);
  REQUIRE(b->size() == 5);
  CHECK(b->as_array()[0].as_int() == 1);
  CHECK(b->as_array()[1].as_number() == -25.0);
  CHECK(b->as_array()[2].as_bool() == true);
  CHECK(b->as_array()[3].as_bool() == false);
  CHECK(b->as_array()[4].is_null());
  CHECK(j.find("a")->find("x")->as_string() == "y");
  CHECK(j.find("z")->is_object());
  CHECK(j.find("z")->size() == 0);
  CHECK(j.find("e")->is_array());
  CHECK(j.find("missing") == nullptr);
  CHECK(b->find("x") == nullptr);  // not an object
  CHECK(j.find("a")->find("x")->size() == 0);
  // Top-level scalars are JSON texts too.
  CHECK(Json::parse("42").as_int() == 42);
  CHECK(Json::parse(" \"s\" ").as_string() == "s");
  CHECK(Json::parse("null").is_null());
}

TEST_CASE("json: accessor kind mismatches name the value") {
  Json j = Json::parse(R"({"n": 1.5, "s": "x"})");
  try {
    j.find("s")->as_number("vocab_size");
    FAIL("expected a throw");
  } catch (const Error& e) {
    CHECK(e.status() == Status::bad_format);
    CHECK(std::string(e.what()).find("vocab_size") != std::string::npos);
  }
  CHECK_THROWS_AS(j.find("n")->as_int(), Error);  // 1.5 is not integral
  CHECK_THROWS_AS(j.find("n")->as_string(), Error);
  CHECK_THROWS_AS(j.as_array(), Error);
  CHECK_THROWS_AS(j.find("s")->as_object(), Error);
  CHECK_THROWS_AS(j.find("s")->as_bool(), Error);
}

TEST_CASE("json: numbers") {
  CHECK(Json::parse("0").as_number() == 0);
  CHECK(std::signbit(Json::parse("-0").as_number()));
  CHECK(Json::parse("1.5e3").as_number() == 1500);
  CHECK(Json::parse("1E-2").as_number() == 0.01);
  CHECK(Json::parse("2e+2").as_number() == 200);
  CHECK(Json::parse("123456789012345").as_int() == 123456789012345);       // fast path
  CHECK(Json::parse("1234567890123456789").as_int() == 1234567890123456768);  // nearest double
  CHECK(Json::parse("-9007199254740993").as_number() == -9007199254740992.0);
  CHECK(Json::parse("0.1").as_number() == 0.1);  // correctly rounded, not accumulated
  CHECK(Json::parse("1e-400").as_number() == 0);  // underflow -> 0
  CHECK(Json::parse("0.0000e999999").as_number() == 0);
  CHECK(rejects("1e400"));  // overflow
  CHECK(rejects("-123.4e99999999999"));
  for (const char* bad : {"01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x10", "1.e5",
                          "--1", "1ee5", "- 1"}) {
    CAPTURE(bad);
    CHECK(rejects(bad));
  }
  CHECK(Json::parse("-9.2e18").as_int() == -9200000000000000000ll);
  CHECK_THROWS_AS(Json::parse("1e19").as_int(), Error);  // beyond int64
  CHECK_THROWS_AS(Json::parse("9223372036854775808").as_int(), Error);
  CHECK(Json::parse("-9223372036854775808").as_int() == INT64_MIN);
}

TEST_CASE("json: strings, escapes and UTF-8") {
  CHECK(Json::parse(R"("a\"b\\c\/d\b\f\n\r\t")").as_string() == "a\"b\\c/d\b\f\n\r\t");
  CHECK(Json::parse(R"("\u0041\u00e9\u20AC")").as_string() == "A\xc3\xa9\xe2\x82\xac");
  CHECK(Json::parse(R"("\ud83d\ude00")").as_string() == "\xf0\x9f\x98\x80");  // surrogate pair
  CHECK(Json::parse(R"("\u0000")").as_string() == std::string(1, '\0'));
  CHECK(Json::parse("\"\xe2\x96\x81hi \xf0\x9f\x98\x80\"").as_string() == "\xe2\x96\x81hi \xf0\x9f\x98\x80");
  CHECK(Json::parse("\"\xf4\x8f\xbf\xbf\"").as_string() == "\xf4\x8f\xbf\xbf");  // U+10FFFF
  // Escapes between raw runs keep both runs.
  CHECK(Json::parse(R"("ab\ncd\tef")").as_string() == "ab\ncd\tef");

  for (const char* bad : {R"("\ud83d")", R"("\ud83dx")", R"("\ude00")", R"("\ud83d\u0041")", R"("\x")", R"("\u12")",
                          R"("\u12g4")", "\"abc", "\"a\nb\"", "\"\t\"", "\"\\"}) {
    CAPTURE(bad);
    CHECK(rejects(bad));
  }
  // Invalid UTF-8: overlongs, surrogates, above U+10FFFF, stray continuation, truncations.
  for (const char* bad : {"\"\xc0\x80\"", "\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xf0\x80\x80\x80\"",
                          "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\x80\"", "\"\xff\"", "\"\xe2\x82\"",
                          "\"\xe2\x28\xa1\"", "\"\xc3"}) {
    CAPTURE(bad);
    CHECK(rejects(bad));
  }
}

TEST_CASE("json: structure errors, duplicates, depth, offsets") {
  for (const char* bad : {"", "   ", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{1:2}", "{\"a\":}", "[", "{", "]",
                          "tru", "nul", "true false", "{} x", "\xef\xbb\xbf{}", "[1]]", "/*c*/1", "'a'"}) {
    CAPTURE(bad);
    CHECK(rejects(bad));
  }
  std::string msg;
  CHECK(status_of(R"({"a": 1, "b": 2, "a": 3})", &msg) == Status::bad_format);
  CHECK(msg.find("duplicate key 'a'") != std::string::npos);
  // Large objects use the hash-set path.
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  CHECK(status_of(big + "\"k99\":0}") == Status::bad_format);
  CHECK(status_of(big + "\"k100\":0}") == Status::ok);
  // Equal keys in different objects are fine.
  CHECK(status_of(R"({"a": {"a": 1}, "b": {"a": 2}})") == Status::ok);

  std::string deep_ok = std::string(256, '[') + std::string(256, ']');
  CHECK(status_of(deep_ok) == Status::ok);
  std::string too_deep = std::string(257, '[') + std::string(257, ']');
  CHECK(status_of(too_deep) == Status::bad_format);
  CHECK(status_of(std::string(1000000, '[')) == Status::bad_format);  // no stack overflow
  std::string deep_obj;
  for (int i = 0; i < 300; ++i) deep_obj += "{\"a\":";
  CHECK(status_of(deep_obj) == Status::bad_format);

  // The byte offset points at the offending byte.
  CHECK(status_of("[1, 2, x]", &msg) == Status::bad_format);
  CHECK(msg.find("at byte 7") != std::string::npos);
  CHECK(status_of("{\"k\": \"v\xff\"}", &msg) == Status::bad_format);
  CHECK(msg.find("at byte 8") != std::string::npos);
}

TEST_CASE("json: a tokenizer.json-sized document parses quickly") {
  // ~33 MB shaped like a HF tokenizer.json: a 262144-entry vocab object, merges as an
  // array of strings and some added_tokens objects with escapes and non-ASCII text.
  std::string s;
  s.reserve(36u << 20);
  s += "{\"version\":\"1.0\",\"added_tokens\":[";
  for (int i = 0; i < 1000; ++i)
    s += std::string(i ? "," : "") + "{\"id\":" + std::to_string(i) + ",\"content\":\"<unused" + std::to_string(i) +
         ">\\n\",\"special\":true,\"normalized\":false}";
  s += "],\"model\":{\"type\":\"BPE\",\"vocab\":{";
  for (int i = 0; i < 262144; ++i)
    s += std::string(i ? "," : "") + "\"\xe2\x96\x81tok" + std::to_string(i) + "_abcdefghijkl\":" + std::to_string(i);
  s += "},\"merges\":[";
  for (int i = 0; s.size() < (33u << 20); ++i)
    s += std::string(i ? "," : "") + "\"\xe2\x96\x81t" + std::to_string(i) + " ok\\u00e9" + std::to_string(i % 97) + "\"";
  s += "]}}";
  auto t0 = std::chrono::steady_clock::now();
  Json j = Json::parse(s);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("parsed " << s.size() / 1e6 << " MB in " << ms << " ms");
  const Json* vocab = j.find("model")->find("vocab");
  REQUIRE(vocab);
  CHECK(vocab->size() == 262144);
  CHECK(vocab->as_object()[262143].first == "\xe2\x96\x81tok262143_abcdefghijkl");
  CHECK(vocab->as_object()[262143].second.as_int() == 262143);
  CHECK(j.find("model")->find("merges")->as_array()[5].as_string() == "\xe2\x96\x81t5 ok\xc3\xa9" "5");
  CHECK(j.find("added_tokens")->as_array()[3].find("content")->as_string() == "<unused3>\n");
  // No time assertion: the machine is shared and sanitizer builds are ~10x slower; the
  // measured time is reported above (the release target is well under 1 s).
}
