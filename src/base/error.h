// Internal error type. Every failure inside the library is a thrown g4::Error carrying the
// public status code; src/api/ catches it at the C boundary and turns it into a gemma4_status
// plus the thread-local message.
#pragma once
#include <stdexcept>
#include <string>

namespace g4 {

// Mirrors gemma4_status in include/gemma4.h (values must stay identical).
enum class Status : int {
  ok = 0,
  invalid_argument = 1,
  io = 2,
  bad_format = 3,
  unsupported = 4,
  out_of_memory = 5,
  context_full = 6,
  cancelled = 7,
  internal = 8,
  buffer_too_small = 9,
};

class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

[[noreturn]] inline void fail(Status s, const std::string& msg) { throw Error(s, msg); }

}  // namespace g4
