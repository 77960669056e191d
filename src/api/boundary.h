// The C boundary's plumbing: every exported function runs its body inside guard(), which
// turns exceptions into a gemma4_status and the calling thread's last-error message.
#pragma once
#include <cstring>
#include <new>
#include <string>

#include "base/error.h"
#include "gemma4.h"

namespace g4::api {

void set_last_error(const std::string& msg);
void clear_last_error();

template <class F>
gemma4_status guard(F&& body) {
  try {
    clear_last_error();
    body();
    return GEMMA4_OK;
  } catch (const Error& e) {
    set_last_error(e.what());
    return static_cast<gemma4_status>(e.status());
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return GEMMA4_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(std::string("internal error: ") + e.what());
    return GEMMA4_ERR_INTERNAL;
  } catch (...) {
    set_last_error("internal error: unknown exception");
    return GEMMA4_ERR_INTERNAL;
  }
}

// Length of a C string argument that may be GEMMA4_NUL_TERMINATED.
inline size_t text_length(const char* text, size_t len) {
  return len == GEMMA4_NUL_TERMINATED ? std::strlen(text) : len;
}

inline void require(bool ok, const char* what) {
  if (!ok) fail(Status::invalid_argument, what);
}

// Reads a caller's sized struct (design.md, style.md §7.4): `out` starts with the library's
// defaults; the caller's bytes replace the part both know. A smaller struct than version 1 is
// invalid; a larger one must have an all-zero tail (fields this library does not know).
template <class T>
void read_sized(const T* in, T& out, size_t v1_size, const char* name) {
  if (!in) return;
  const size_t size = in->struct_size;
  if (size < v1_size)
    fail(Status::invalid_argument, std::string(name) + ".struct_size is " + std::to_string(size) +
                                       ", smaller than any version of the struct (" + std::to_string(v1_size) +
                                       "); fill it with the _default() macro");
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof(T); i < size; ++i)
    if (bytes[i] != 0)
      fail(Status::unsupported, std::string(name) + " has non-zero fields unknown to this library version " +
                                    "(struct_size " + std::to_string(size) + " > " + std::to_string(sizeof(T)) + ")");
  std::memcpy(&out, in, size < sizeof(T) ? size : sizeof(T));
  out.struct_size = static_cast<uint32_t>(sizeof(T));
}

// Writes a result struct into the caller's, up to the caller's struct_size.
template <class T>
void write_sized(const T& full, T* out, size_t v1_size, const char* name) {
  require(out != nullptr, "output struct is NULL");
  const size_t size = out->struct_size;
  if (size < v1_size)
    fail(Status::invalid_argument, std::string(name) + ".struct_size is " + std::to_string(size) +
                                       "; set it to sizeof(" + name + ")");
  const uint32_t keep = out->struct_size;
  std::memcpy(out, &full, size < sizeof(T) ? size : sizeof(T));
  out->struct_size = keep;
}

// Fills a caller's params struct of `size` bytes with defaults (the *_params_init functions).
template <class T>
void init_sized(T* p, size_t size, const T& defaults, size_t v1_size, const char* name) {
  require(p != nullptr, "params pointer is NULL");
  if (size < v1_size || size > (1u << 16))
    fail(Status::invalid_argument, std::string(name) + ": struct size " + std::to_string(size) + " is invalid");
  std::memset(static_cast<void*>(p), 0, size);
  std::memcpy(static_cast<void*>(p), &defaults, size < sizeof(T) ? size : sizeof(T));
  p->struct_size = static_cast<uint32_t>(size);
}

}  // namespace g4::api
