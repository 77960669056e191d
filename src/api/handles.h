// The opaque handles of the C API and their checked accessors (shared by the api/ files).
#pragma once
#include <memory>
#include <string>

#include "api/boundary.h"
#include "runtime/context.h"
#include "runtime/input.h"
#include "runtime/session.h"

struct gemma4_context {
  std::shared_ptr<g4::Context> ctx;
  std::string isa;
};
struct gemma4_session {
  std::unique_ptr<g4::Session> s;
};
struct gemma4_input {
  g4::Input in;
};

namespace g4::api {

inline const Context& context_of(const gemma4_context* ctx) {
  require(ctx != nullptr && ctx->ctx != nullptr, "context is NULL");
  return *ctx->ctx;
}

inline Session& session_of(gemma4_session* s) {
  require(s != nullptr && s->s != nullptr, "session is NULL");
  return *s->s;
}

inline const Input& input_of(const gemma4_input* in) {
  require(in != nullptr, "input is NULL");
  return in->in;
}

}  // namespace g4::api
