// Strict RFC 8259 JSON parser for untrusted input (safetensors headers, config.json,
// tokenizer.json).
//
// Choices beyond the RFC, each made so that two readers can never disagree about a file:
//   - duplicate object keys are rejected (the RFC leaves them undefined, and "first wins" vs
//     "last wins" differs between libraries: a safetensors header could then describe one
//     tensor two ways);
//   - strings must be valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF) and a
//     \uXXXX escape may not leave a lone surrogate;
//   - numbers are doubles; a number whose magnitude overflows a double is rejected, one that
//     underflows becomes (signed) zero;
//   - nesting deeper than kMaxDepth arrays/objects is rejected (bounds the recursion);
//   - no byte-order mark, no comments, no trailing commas; any top-level value is allowed.
// Every error is Error(bad_format) with the byte offset of the problem.
//
// Speed matters for a 33 MB tokenizer.json: strings are scanned for the first byte that needs
// attention and copied in runs, integers of up to 15 digits skip the general conversion, and
// duplicate keys in large objects are found with one hash set per object.
#include "io/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "base/error.h"

namespace g4 {

namespace {

constexpr int kMaxDepth = 256;

const char* kind_name(Json::Kind k) {
  switch (k) {
    case Json::Kind::null: return "null";
    case Json::Kind::boolean: return "a boolean";
    case Json::Kind::number: return "a number";
    case Json::Kind::string: return "a string";
    case Json::Kind::array: return "an array";
    case Json::Kind::object: return "an object";
  }
  return "?";
}

[[noreturn]] void kind_error(const char* what, const char* expected, Json::Kind got) {
  fail(Status::bad_format, std::string("JSON: expected ") + what + " to be " + expected + ", got " +
                               kind_name(got));
}

// Bytes that end a plain run inside a string: quote, backslash, control characters and the
// start of a multi-byte UTF-8 sequence (which must be validated).
struct StringTable {
  bool special[256];
  constexpr StringTable() : special() {
    for (int c = 0; c < 256; ++c) special[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  }
};
constexpr StringTable kStr;

void append_utf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

}  // namespace

class JsonParser {
 public:
  explicit JsonParser(std::string_view text)
      : begin_(reinterpret_cast<const uint8_t*>(text.data())), p_(begin_), end_(begin_ + text.size()) {}

  Json parse_document() {
    count_elements();
    Json root;
    skip_ws();
    parse_value(root, 0);
    skip_ws();
    if (p_ != end_) error("unexpected data after the top-level value");
    return root;
  }

 private:
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  // Element count of every array/object in the order they open, from a quick lexical pre-pass,
  // so each vector is allocated once at its final size. Growing vectors by doubling touched
  // about twice the final memory and dominated the time on a 33 MB tokenizer.json. For
  // malformed text a count is only a wrong hint; a container of k elements spans >= 2k-1
  // bytes, so the counts of one document sum to at most its size.
  std::vector<uint32_t> counts_;
  size_t next_count_ = 0;

  void count_elements() {
    struct Open {
      size_t index;
      uint32_t commas;
      bool nonempty;
    };
    std::vector<Open> stack;
    for (const uint8_t* q = begin_; q < end_; ++q) {
      uint8_t c = *q;
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      if (c == ']' || c == '}') {
        if (stack.empty()) return;  // malformed; the parser reports it
        counts_[stack.back().index] = stack.back().nonempty ? stack.back().commas + 1 : 0;
        stack.pop_back();
        continue;
      }
      if (c == ',') {
        if (!stack.empty()) ++stack.back().commas;
        continue;
      }
      if (!stack.empty()) stack.back().nonempty = true;
      if (c == '[' || c == '{') {
        if (stack.size() > kMaxDepth) return;  // the parser rejects this depth
        stack.push_back({counts_.size(), 0, false});
        counts_.push_back(0);
      } else if (c == '"') {
        for (++q; q < end_ && *q != '"'; ++q)
          if (*q == '\\') ++q;
      }
    }
  }

  size_t next_count() { return next_count_ < counts_.size() ? counts_[next_count_++] : 0; }

  [[noreturn]] void error_at(const uint8_t* at, const std::string& msg) const {
    fail(Status::bad_format, "JSON: " + msg + " at byte " + std::to_string(at - begin_));
  }
  [[noreturn]] void error(const std::string& msg) const { error_at(p_, msg); }

  void skip_ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  void expect_literal(const char* lit, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, lit, n) != 0)
      error(std::string("invalid literal (expected '") + lit + "')");
    p_ += n;
  }

  void parse_value(Json& out, int depth) {
    if (p_ == end_) error("unexpected end of input, expected a value");
    switch (*p_) {
      case '{': parse_object(out, depth + 1); return;
      case '[': parse_array(out, depth + 1); return;
      case '"':
        out.kind_ = Json::Kind::string;
        parse_string(out.str_);
        return;
      case 't':
        expect_literal("true", 4);
        out.kind_ = Json::Kind::boolean;
        out.b_ = true;
        return;
      case 'f':
        expect_literal("false", 5);
        out.kind_ = Json::Kind::boolean;
        out.b_ = false;
        return;
      case 'n':
        expect_literal("null", 4);
        out.kind_ = Json::Kind::null;
        return;
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
          out.kind_ = Json::Kind::number;
          out.num_ = parse_number();
          return;
        }
        if (*p_ >= 0x20 && *p_ < 0x7f)
          error(std::string("unexpected character '") + static_cast<char>(*p_) + "', expected a value");
        error("unexpected byte " + std::to_string(*p_) + ", expected a value");
    }
  }

  void parse_array(Json& out, int depth) {
    if (depth > kMaxDepth) error("nesting deeper than " + std::to_string(kMaxDepth));
    out.kind_ = Json::Kind::array;
    out.arr_.reserve(next_count());
    ++p_;  // '['
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return;
    }
    for (;;) {
      skip_ws();
      out.arr_.emplace_back();
      parse_value(out.arr_.back(), depth);
      skip_ws();
      if (p_ == end_) error("unexpected end of input inside an array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return;
      }
      error("expected ',' or ']' in an array");
    }
  }

  void parse_object(Json& out, int depth) {
    if (depth > kMaxDepth) error("nesting deeper than " + std::to_string(kMaxDepth));
    const uint8_t* start = p_;
    out.kind_ = Json::Kind::object;
    out.obj_.reserve(next_count());
    ++p_;  // '{'
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return;
    }
    for (;;) {
      skip_ws();
      if (p_ == end_ || *p_ != '"') error("expected a string key in an object");
      out.obj_.emplace_back();
      auto& member = out.obj_.back();
      parse_string(member.first);
      skip_ws();
      if (p_ == end_ || *p_ != ':') error("expected ':' after an object key");
      ++p_;
      skip_ws();
      parse_value(member.second, depth);
      skip_ws();
      if (p_ == end_) error("unexpected end of input inside an object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        break;
      }
      error("expected ',' or '}' in an object");
    }
    check_duplicates(out.obj_, start);
  }

  // Runs once the object is complete, so the string_views into the members stay valid.
  void check_duplicates(const std::vector<std::pair<std::string, Json>>& m, const uint8_t* start) const {
    auto dup = [&](const std::string& k) {
      error_at(start, "duplicate key '" + k + "' in the object starting");
    };
    if (m.size() <= 16) {
      for (size_t i = 1; i < m.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (m[i].first == m[j].first) dup(m[i].first);
      return;
    }
    std::unordered_set<std::string_view> seen;
    seen.reserve(m.size());
    for (const auto& kv : m)
      if (!seen.insert(kv.first).second) dup(kv.first);
  }

  uint32_t hex4() {
    if (end_ - p_ < 4) error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t c = p_[i];
      uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else error("invalid hex digit in \\u escape");
      v = v << 4 | d;
    }
    p_ += 4;
    return v;
  }

  // p_ at a byte >= 0x80: checks one UTF-8 sequence (RFC 3629 table) and returns its length.
  size_t utf8_sequence() const {
    const uint8_t* s = p_;
    size_t avail = static_cast<size_t>(end_ - s);
    uint8_t c = s[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;  // no overlongs
      if (c == 0xed) hi = 0x9f;  // no UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;  // no overlongs
      if (c == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
    } else {
      error("invalid UTF-8 lead byte in a string");
    }
    if (avail < n) error("truncated UTF-8 sequence in a string");
    if (s[1] < lo || s[1] > hi) error_at(s + 1, "invalid UTF-8 sequence in a string");
    for (size_t i = 2; i < n; ++i)
      if ((s[i] & 0xc0) != 0x80) error_at(s + i, "invalid UTF-8 continuation byte in a string");
    return n;
  }

  void parse_string(std::string& out) {
    const uint8_t* open = p_++;
    // Fast path: most strings have no escapes; find the run and copy it once.
    const uint8_t* run = p_;
    for (;;) {
      while (p_ != end_ && !kStr.special[*p_]) ++p_;
      if (p_ == end_) error_at(open, "unterminated string starting");
      uint8_t c = *p_;
      if (c == '"') {
        out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p_ - run));
        ++p_;
        return;
      }
      if (c >= 0x80) {
        p_ += utf8_sequence();
        continue;
      }
      if (c < 0x20) error("unescaped control character in a string");
      // Backslash: flush the run, decode the escape, start a new run.
      out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p_ - run));
      ++p_;
      if (p_ == end_) error("truncated escape in a string");
      switch (*p_++) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const uint8_t* esc = p_ - 2;
          uint32_t cp = hex4();
          if (cp >= 0xdc00 && cp <= 0xdfff) error_at(esc, "lone low surrogate in \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              error_at(esc, "high surrogate not followed by a low surrogate");
            p_ += 2;
            uint32_t lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff) error_at(esc, "high surrogate not followed by a low surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default: error_at(p_ - 1, "invalid escape in a string");
      }
      run = p_;
    }
  }

  double parse_number() {
    const uint8_t* start = p_;
    bool neg = false;
    if (*p_ == '-') {
      neg = true;
      ++p_;
    }
    auto digits = [&] {
      const uint8_t* d = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return static_cast<size_t>(p_ - d);
    };
    const uint8_t* int_begin = p_;
    size_t n_int = digits();
    if (n_int == 0) error_at(start, "invalid number (no digits)");
    if (n_int > 1 && *int_begin == '0') error_at(start, "invalid number (leading zero)");
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      integral = false;
      if (digits() == 0) error_at(start, "invalid number (no digits after '.')");
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integral = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (digits() == 0) error_at(start, "invalid number (no digits in exponent)");
    }
    if (integral && n_int <= 15) {  // exact in a double; the common case in tokenizer files
      int64_t v = 0;
      for (const uint8_t* d = int_begin; d != p_; ++d) v = v * 10 + (*d - '0');
      return neg ? -static_cast<double>(v) : static_cast<double>(v);
    }
    // from_chars: locale-independent, no NUL terminator needed. It does not accept a leading
    // '+', which the grammar above has already excluded.
    double v = 0;
    auto r = std::from_chars(reinterpret_cast<const char*>(start), reinterpret_cast<const char*>(p_), v);
    if (r.ec == std::errc::result_out_of_range) return out_of_range(start, int_begin, neg);
    if (r.ec != std::errc() || r.ptr != reinterpret_cast<const char*>(p_))
      error_at(start, "invalid number");
    return v;
  }

  // Decides between overflow (rejected) and underflow (zero) from the decimal exponent of the
  // first significant digit.
  double out_of_range(const uint8_t* start, const uint8_t* q, bool neg) const {
    int64_t pos10 = 0;  // power of ten of the first significant digit, roughly
    const uint8_t* e = q;
    while (e != p_ && *e != 'e' && *e != 'E') ++e;
    const uint8_t* s = q;
    while (s != e && (*s == '0' || *s == '.')) ++s;
    if (s == e) return neg ? -0.0 : 0.0;  // all zeros
    const uint8_t* dot = static_cast<const uint8_t*>(std::memchr(q, '.', static_cast<size_t>(e - q)));
    if (!dot) dot = e;
    pos10 = s < dot ? dot - s : -(s - dot);
    int64_t exp = 0;
    if (e != p_) {
      const uint8_t* x = e + 1;
      bool eneg = *x == '-';
      if (*x == '+' || *x == '-') ++x;
      for (; x != p_; ++x) exp = exp < 100000000 ? exp * 10 + (*x - '0') : exp;
      if (eneg) exp = -exp;
    }
    if (pos10 + exp > 0) error_at(start, "number out of the range of a double");
    return neg ? -0.0 : 0.0;
  }
};

Json Json::parse(std::string_view text) { return JsonParser(text).parse_document(); }

double Json::as_number(const char* what) const {
  if (kind_ != Kind::number) kind_error(what, "a number", kind_);
  return num_;
}

int64_t Json::as_int(const char* what) const {
  if (kind_ != Kind::number) kind_error(what, "an integer", kind_);
  // 2^63 is exactly representable; every double below it in magnitude fits in int64.
  if (!(num_ >= -9223372036854775808.0 && num_ < 9223372036854775808.0) || std::floor(num_) != num_)
    fail(Status::bad_format, std::string("JSON: expected ") + what + " to be an integer, got " +
                                 std::to_string(num_));
  return static_cast<int64_t>(num_);
}

bool Json::as_bool(const char* what) const {
  if (kind_ != Kind::boolean) kind_error(what, "a boolean", kind_);
  return b_;
}

const std::string& Json::as_string(const char* what) const {
  if (kind_ != Kind::string) kind_error(what, "a string", kind_);
  return str_;
}

const std::vector<Json>& Json::as_array(const char* what) const {
  if (kind_ != Kind::array) kind_error(what, "an array", kind_);
  return arr_;
}

const std::vector<std::pair<std::string, Json>>& Json::as_object(const char* what) const {
  if (kind_ != Kind::object) kind_error(what, "an object", kind_);
  return obj_;
}

const Json* Json::find(std::string_view key) const {
  if (kind_ != Kind::object) return nullptr;
  for (const auto& kv : obj_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

size_t Json::size() const {
  if (kind_ == Kind::array) return arr_.size();
  if (kind_ == Kind::object) return obj_.size();
  return 0;
}

}  // namespace g4
