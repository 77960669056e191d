// The exported C functions. Each checks its arguments, converts between the C structs and the
// runtime's C++ types, and runs inside guard(). No model logic lives here.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "api/boundary.h"
#include "api/handles.h"
#include "io/audio.h"
#include "io/image.h"
#include "io/image_resize.h"
#include "kernels/kernels.h"
#include "runtime/context.h"
#include "runtime/session.h"

using namespace g4;
using g4::api::guard;
using g4::api::require;
using g4::api::context_of;
using g4::api::session_of;
using g4::api::input_of;
using g4::api::text_length;

// Sizes of version 1 of each struct. When fields are appended, these stay as they are.
static constexpr size_t kContextParamsV1 = sizeof(gemma4_context_params);
static constexpr size_t kSessionParamsV1 = sizeof(gemma4_session_params);
static constexpr size_t kGenerateParamsV1 = sizeof(gemma4_generate_params);
static constexpr size_t kModelInfoV1 = sizeof(gemma4_model_info);
static constexpr size_t kGenerateResultV1 = sizeof(gemma4_generate_result);

namespace {

thread_local std::string t_last_error;

const gemma4_context_params& context_defaults() {
  static const gemma4_context_params d = [] {
    gemma4_context_params p;
    std::memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.n_threads = 0;
    p.use_mmap = 1;
    p.log_level = GEMMA4_LOG_WARN;
    return p;
  }();
  return d;
}

const gemma4_session_params& session_defaults() {
  static const gemma4_session_params d = [] {
    gemma4_session_params p;
    std::memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.parse_special = 1;
    return p;
  }();
  return d;
}

const gemma4_generate_params& generate_defaults() {
  static const gemma4_generate_params d = [] {
    gemma4_generate_params p;
    std::memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.max_tokens = 512;
    p.temperature = 1.0f;
    p.top_k = 64;
    p.top_p = 0.95f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.0f;
    p.repeat_last_n = 64;
    return p;
  }();
  return d;
}


// Copies bytes into a caller buffer with the BUFFER_TOO_SMALL convention (room for a NUL).
void write_text(const std::string& s, char* buf, size_t capacity, size_t* n_bytes) {
  require(n_bytes != nullptr, "n_bytes is NULL");
  require(buf != nullptr || capacity == 0, "buf is NULL but capacity is not 0");
  *n_bytes = s.size();
  if (capacity < s.size() + 1) {
    if (capacity > 0) buf[0] = '\0';
    fail(Status::buffer_too_small, "buffer of " + std::to_string(capacity) + " bytes is too small; " +
                                       std::to_string(s.size() + 1) + " needed (including the NUL)");
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
}




}  // namespace

namespace g4::api {
void set_last_error(const std::string& msg) { t_last_error = msg; }
void clear_last_error() { t_last_error.clear(); }
}  // namespace g4::api

extern "C" {

// ---- versions and errors ----------------------------------------------------------------------

const char* gemma4_version(void) { return GEMMA4_VERSION_STRING; }
int32_t gemma4_version_number(void) { return GEMMA4_VERSION_NUMBER; }
int32_t gemma4_abi_version(void) { return GEMMA4_ABI_VERSION; }
const char* gemma4_last_error(void) { return t_last_error.c_str(); }

const char* gemma4_status_string(gemma4_status status_enum) {
  int32_t status;  // any int may come from C (see gemma4_session_add_turn)
  std::memcpy(&status, &status_enum, sizeof status);
  switch (status) {
    case GEMMA4_OK: return "GEMMA4_OK: success";
    case GEMMA4_ERR_INVALID_ARGUMENT: return "GEMMA4_ERR_INVALID_ARGUMENT: invalid argument";
    case GEMMA4_ERR_IO: return "GEMMA4_ERR_IO: input/output error";
    case GEMMA4_ERR_BAD_FORMAT: return "GEMMA4_ERR_BAD_FORMAT: malformed or inconsistent data";
    case GEMMA4_ERR_UNSUPPORTED: return "GEMMA4_ERR_UNSUPPORTED: not supported";
    case GEMMA4_ERR_OUT_OF_MEMORY: return "GEMMA4_ERR_OUT_OF_MEMORY: out of memory";
    case GEMMA4_ERR_CONTEXT_FULL: return "GEMMA4_ERR_CONTEXT_FULL: the context is full";
    case GEMMA4_ERR_CANCELLED: return "GEMMA4_ERR_CANCELLED: cancelled";
    case GEMMA4_ERR_INTERNAL: return "GEMMA4_ERR_INTERNAL: internal error";
    case GEMMA4_ERR_BUFFER_TOO_SMALL: return "GEMMA4_ERR_BUFFER_TOO_SMALL: buffer too small";
  }
  return "unknown gemma4_status";
}

// ---- context ----------------------------------------------------------------------------------

gemma4_status gemma4_context_params_init(gemma4_context_params* p, size_t size) {
  return guard([&] { api::init_sized(p, size, context_defaults(), kContextParamsV1, "gemma4_context_params"); });
}

gemma4_status gemma4_context_create(const char* path, const gemma4_context_params* params, gemma4_context** out) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out != nullptr, "out is NULL");
    require(path != nullptr && *path, "path is NULL or empty");
    gemma4_context_params p = context_defaults();
    api::read_sized(params, p, kContextParamsV1, "gemma4_context_params");
    require(p.n_threads >= 0 && p.n_threads <= 1024, "n_threads must be in 0..1024");
    require(p.use_mmap == 0 || p.use_mmap == 1, "use_mmap must be 0 or 1");
    ContextOptions o;
    o.n_threads = p.n_threads;
    o.use_mmap = p.use_mmap != 0;
    o.log_level = p.log_level;
    if (p.log_fn) {
      gemma4_log_fn fn = p.log_fn;
      void* ud = p.log_user_data;
      o.log = [fn, ud](int level, const std::string& msg) { fn(ud, level, msg.c_str()); };
    }
    if (p.progress_fn) {
      gemma4_progress_fn fn = p.progress_fn;
      void* ud = p.progress_user_data;
      o.progress = [fn, ud](float f) { return fn(ud, f) == 0; };
    }
    const uint32_t all = GEMMA4_MODALITY_TEXT | GEMMA4_MODALITY_IMAGE | GEMMA4_MODALITY_AUDIO;
    require((p.modalities & ~all) == 0, "unknown bits in modalities");
    require(p.reserved0 == 0, "reserved0 must be 0");
    if (p.mmproj_path) {
      require(*p.mmproj_path != 0, "mmproj_path is empty");
      o.mmproj_path = p.mmproj_path;
    }
    if (p.modalities != 0) {
      o.want_vision = (p.modalities & GEMMA4_MODALITY_IMAGE) != 0;
      o.want_audio = (p.modalities & GEMMA4_MODALITY_AUDIO) != 0;
    }
    auto handle = std::make_unique<gemma4_context>();
    handle->ctx = Context::load(path, o);
    handle->isa = kernels::isa_name(handle->ctx->kernels().isa);
    *out = handle.release();
  });
}

void gemma4_context_free(gemma4_context* ctx) { delete ctx; }

gemma4_status gemma4_context_info(const gemma4_context* ctx, gemma4_model_info* info) {
  return guard([&] {
    const Context& c = context_of(ctx);
    const ModelConfig& m = c.config();
    gemma4_model_info r;
    std::memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.n_vocab = m.n_vocab;
    r.n_ctx_train = m.n_ctx_train;
    r.n_embd = m.n_embd;
    r.n_layer = m.n_layer();
    r.n_head = m.n_head;
    for (const auto& l : m.layers) {
      if (l.sliding) {
        r.n_head_kv_sliding = l.n_kv_head;
        r.head_dim_sliding = l.head_dim;
      } else {
        r.n_head_kv_full = l.n_kv_head;
        r.head_dim_full = l.head_dim;
        ++r.n_layer_full;
      }
    }
    r.n_ff = m.n_ff;
    r.sliding_window = m.sliding_window;
    r.n_threads = c.pool().size();
    r.has_vision = c.has_vision() ? 1 : 0;
    r.has_audio = c.has_audio() ? 1 : 0;
    r.add_bos = c.special().add_bos ? 1 : 0;
    r.n_params = c.weights().n_params;
    r.bytes_mapped = c.bytes_mapped();
    r.bytes_weights = c.weights().bytes;  // the decoder's; read once per generated token
    r.format = c.format().c_str();
    r.weight_type = c.weights().type_summary.c_str();
    r.isa = ctx->isa.c_str();
    api::write_sized(r, info, kModelInfoV1, "gemma4_model_info");
  });
}

// ---- tokenizer --------------------------------------------------------------------------------

gemma4_status gemma4_tokenize(const gemma4_context* ctx, const char* text, size_t len, int32_t flags,
                              int32_t* tokens, size_t capacity, size_t* n_tokens) {
  return guard([&] {
    const Context& c = context_of(ctx);
    require(text != nullptr, "text is NULL");
    require(n_tokens != nullptr, "n_tokens is NULL");
    require(tokens != nullptr || capacity == 0, "tokens is NULL but capacity is not 0");
    require((flags & ~(GEMMA4_TOKENIZE_ADD_BOS | GEMMA4_TOKENIZE_PARSE_SPECIAL)) == 0, "unknown tokenize flags");
    std::string_view sv(text, text_length(text, len));
    std::vector<int32_t> ids;
    if ((flags & GEMMA4_TOKENIZE_ADD_BOS) && c.special().bos >= 0) ids.push_back(c.special().bos);
    std::vector<int32_t> body = c.tokenizer().encode(sv, (flags & GEMMA4_TOKENIZE_PARSE_SPECIAL) != 0);
    ids.insert(ids.end(), body.begin(), body.end());
    *n_tokens = ids.size();
    if (ids.size() > capacity)
      fail(Status::buffer_too_small, "token buffer holds " + std::to_string(capacity) + " ids; " +
                                         std::to_string(ids.size()) + " needed");
    if (!ids.empty()) std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
  });
}

gemma4_status gemma4_detokenize(const gemma4_context* ctx, const int32_t* tokens, size_t n, int32_t flags,
                                char* buf, size_t capacity, size_t* n_bytes) {
  return guard([&] {
    const Context& c = context_of(ctx);
    require(tokens != nullptr || n == 0, "tokens is NULL");
    require((flags & ~GEMMA4_DETOKENIZE_RENDER_SPECIAL) == 0, "unknown detokenize flags");
    const Tokenizer& tk = c.tokenizer();
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      int32_t id = tokens[i];
      if (id < 0 || id >= tk.n_vocab())
        fail(Status::invalid_argument, "token id " + std::to_string(id) + " at index " + std::to_string(i) +
                                           " is outside the vocabulary");
      if (tk.is_control(id) && !(flags & GEMMA4_DETOKENIZE_RENDER_SPECIAL)) continue;
      s += tk.token_bytes(id);
    }
    write_text(s, buf, capacity, n_bytes);
  });
}

gemma4_status gemma4_token_to_piece(const gemma4_context* ctx, int32_t token, char* buf, size_t capacity,
                                    size_t* n_bytes) {
  return guard([&] {
    const Context& c = context_of(ctx);
    if (token < 0 || token >= c.tokenizer().n_vocab())
      fail(Status::invalid_argument, "token id " + std::to_string(token) + " is outside the vocabulary");
    write_text(c.tokenizer().token_bytes(token), buf, capacity, n_bytes);
  });
}

int32_t gemma4_special_token(const gemma4_context* ctx, gemma4_special which_enum) {
  if (!ctx || !ctx->ctx) { t_last_error = "context is NULL"; return -1; }
  int32_t which;  // any int may come from C (see gemma4_session_add_turn)
  std::memcpy(&which, &which_enum, sizeof which);
  const SpecialTokens& s = ctx->ctx->special();
  switch (which) {
    case GEMMA4_TOKEN_PAD: return s.pad;
    case GEMMA4_TOKEN_EOS: return s.eos;
    case GEMMA4_TOKEN_BOS: return s.bos;
    case GEMMA4_TOKEN_TURN_START: return s.turn_start;
    case GEMMA4_TOKEN_TURN_END: return s.turn_end;
    case GEMMA4_TOKEN_THINK: return s.think;
    case GEMMA4_TOKEN_CHANNEL_START: return s.channel_start;
    case GEMMA4_TOKEN_CHANNEL_END: return s.channel_end;
    case GEMMA4_TOKEN_IMAGE_START: return s.image_start;
    case GEMMA4_TOKEN_IMAGE_END: return s.image_end;
    case GEMMA4_TOKEN_AUDIO_START: return s.audio_start;
    case GEMMA4_TOKEN_AUDIO_END: return s.audio_end;
    case GEMMA4_TOKEN_TOOL_RESPONSE_START: return s.tool_response_start;
  }
  return -1;
}

int32_t gemma4_token_lookup(const gemma4_context* ctx, const char* text) {
  if (!ctx || !ctx->ctx || !text) { t_last_error = "context or text is NULL"; return -1; }
  return ctx->ctx->tokenizer().find(text);
}

// ---- session ----------------------------------------------------------------------------------

gemma4_status gemma4_session_params_init(gemma4_session_params* p, size_t size) {
  return guard([&] { api::init_sized(p, size, session_defaults(), kSessionParamsV1, "gemma4_session_params"); });
}

gemma4_status gemma4_session_create(gemma4_context* ctx, const gemma4_session_params* params, gemma4_session** out) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out != nullptr, "out is NULL");
    context_of(ctx);
    gemma4_session_params p = session_defaults();
    api::read_sized(params, p, kSessionParamsV1, "gemma4_session_params");
    require(p.thinking == 0 || p.thinking == 1, "thinking must be 0 or 1");
    require(p.parse_special == 0 || p.parse_special == 1, "parse_special must be 0 or 1");
    require(p.kv_type == GEMMA4_KV_F16 || p.kv_type == GEMMA4_KV_BF16 || p.kv_type == GEMMA4_KV_F32,
            "kv_type must be GEMMA4_KV_F16, GEMMA4_KV_BF16 or GEMMA4_KV_F32");
    SessionOptions o;
    o.kv_type = p.kv_type == GEMMA4_KV_F32 ? DType::F32 : p.kv_type == GEMMA4_KV_BF16 ? DType::BF16 : DType::F16;
    o.n_ctx = p.n_ctx;
    o.n_batch = p.n_batch;
    o.thinking = p.thinking != 0;
    o.parse_special = p.parse_special != 0;
    o.seed = p.seed;
    if (p.progress_fn) {
      gemma4_progress_fn fn = p.progress_fn;
      void* ud = p.progress_user_data;
      o.progress = [fn, ud](float f) { return fn(ud, f) == 0; };
    }
    auto handle = std::make_unique<gemma4_session>();
    handle->s = std::make_unique<Session>(ctx->ctx, o);
    *out = handle.release();
  });
}

void gemma4_session_free(gemma4_session* session) { delete session; }

gemma4_status gemma4_session_reset(gemma4_session* session) {
  return guard([&] { session_of(session).reset(); });
}

gemma4_status gemma4_session_add_turn(gemma4_session* session, gemma4_role role_enum, const gemma4_input* input) {
  // A C caller may pass any int; in C++ an out-of-range enum value is undefined: read it as an int.
  int32_t role;
  std::memcpy(&role, &role_enum, sizeof role);
  return guard([&] {
    Session& s = session_of(session);
    const Input& in = input_of(input);
    require(role == GEMMA4_ROLE_SYSTEM || role == GEMMA4_ROLE_USER || role == GEMMA4_ROLE_MODEL,
            "role must be GEMMA4_ROLE_SYSTEM, GEMMA4_ROLE_USER or GEMMA4_ROLE_MODEL");
    s.add_turn(static_cast<Role>(role), in);
  });
}

gemma4_status gemma4_session_append(gemma4_session* session, const gemma4_input* input) {
  return guard([&] { session_of(session).append(input_of(input)); });
}

gemma4_status gemma4_generate_params_init(gemma4_generate_params* p, size_t size) {
  return guard([&] { api::init_sized(p, size, generate_defaults(), kGenerateParamsV1, "gemma4_generate_params"); });
}

gemma4_status gemma4_session_generate(gemma4_session* session, const gemma4_generate_params* params,
                                      gemma4_token_fn on_token, void* user_data, gemma4_generate_result* result) {
  return guard([&] {
    Session& s = session_of(session);
    if (result) require(result->struct_size >= kGenerateResultV1, "gemma4_generate_result.struct_size is too small");
    gemma4_generate_params p = generate_defaults();
    api::read_sized(params, p, kGenerateParamsV1, "gemma4_generate_params");
    require(p.max_tokens >= 0, "max_tokens must be >= 0");
    require(std::isfinite(p.temperature) && p.temperature >= 0, "temperature must be finite and >= 0");
    require(p.top_k >= 0, "top_k must be >= 0");
    require(p.top_p > 0 && p.top_p <= 1, "top_p must be in (0, 1]");
    require(p.min_p >= 0 && p.min_p < 1, "min_p must be in [0, 1)");
    require(std::isfinite(p.repeat_penalty) && p.repeat_penalty > 0, "repeat_penalty must be > 0");
    require(p.repeat_last_n >= 0, "repeat_last_n must be >= 0");
    require(p.stop_strings != nullptr || p.n_stop_strings == 0, "stop_strings is NULL");
    require(p.logit_bias != nullptr || p.n_logit_bias == 0, "logit_bias is NULL");
    require(p.render_special == 0 || p.render_special == 1, "render_special must be 0 or 1");
    require(p.reserved0 == 0, "reserved0 must be 0");
    GenerateOptions g;
    g.max_tokens = p.max_tokens;
    g.sampling.temperature = p.temperature;
    g.sampling.top_k = p.top_k;
    g.sampling.top_p = p.top_p;
    g.sampling.min_p = p.min_p;
    g.sampling.repeat_penalty = p.repeat_penalty;
    g.sampling.repeat_last_n = p.repeat_last_n;
    g.seed = p.seed;
    g.render_special = p.render_special != 0;
    const int nv = s.context().config().n_vocab;
    for (size_t i = 0; i < p.n_stop_strings; ++i) {
      require(p.stop_strings[i] != nullptr, "a stop string is NULL");
      g.stop_strings.emplace_back(p.stop_strings[i]);
    }
    for (size_t i = 0; i < p.n_logit_bias; ++i) {
      const gemma4_logit_bias& b = p.logit_bias[i];
      if (b.token < 0 || b.token >= nv)
        fail(Status::invalid_argument, "logit_bias[" + std::to_string(i) + "].token " + std::to_string(b.token) +
                                           " is outside the vocabulary");
      require(!std::isnan(b.bias), "a logit bias is NaN");
      g.sampling.logit_bias.push_back({b.token, b.bias});
    }
    gemma4_token_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    std::function<bool(const TokenEvent&)> cb;
    if (on_token) {
      cb = [&](const TokenEvent& e) {
        ev.token = e.token;
        ev.text = e.text->c_str();
        ev.text_len = e.text->size();
        ev.is_special = e.is_special ? 1 : 0;
        ev.n_generated = e.n_generated;
        return on_token(user_data, &ev) != 0;
      };
    }
    GenerateResult r = s.generate(g, cb);
    if (result) {
      gemma4_generate_result out;
      std::memset(&out, 0, sizeof out);
      out.struct_size = sizeof out;
      out.stop_reason = static_cast<int32_t>(r.stop);
      out.n_generated = r.n_generated;
      out.n_prompt = r.n_prompt;
      out.prefill_ms = r.prefill_ms;
      out.decode_ms = r.decode_ms;
      api::write_sized(out, result, kGenerateResultV1, "gemma4_generate_result");
    }
    if (r.stop == StopReason::cancelled) fail(Status::cancelled, "generation cancelled by gemma4_session_cancel()");
    if (r.stop == StopReason::context_full && r.n_generated == 0)
      fail(Status::context_full, "the session's context is full");
  });
}

gemma4_status gemma4_session_cancel(gemma4_session* session) {
  // No guard: must be safe from any thread and must not touch this thread's last error
  // unnecessarily. It only sets an atomic flag.
  if (!session || !session->s) {
    t_last_error = "session is NULL";
    return GEMMA4_ERR_INVALID_ARGUMENT;
  }
  session->s->cancel();
  t_last_error.clear();  // "" after a success (thread-local: no race with the session's thread)
  return GEMMA4_OK;
}

gemma4_status gemma4_session_logits(const gemma4_session* session, float* out, size_t capacity, size_t* n_vocab) {
  return guard([&] {
    require(session != nullptr && session->s != nullptr, "session is NULL");
    require(n_vocab != nullptr, "n_vocab is NULL");
    const std::vector<float>& l = session->s->logits();
    *n_vocab = l.size();
    require(out != nullptr || capacity == 0, "out is NULL but capacity is not 0");
    if (capacity < l.size())
      fail(Status::buffer_too_small, "logits buffer holds " + std::to_string(capacity) + " floats; " +
                                         std::to_string(l.size()) + " needed");
    std::memcpy(out, l.data(), l.size() * sizeof(float));
  });
}

int32_t gemma4_session_n_tokens(const gemma4_session* session) {
  if (!session || !session->s) { t_last_error = "session is NULL"; return -1; }
  return session->s->n_tokens();
}

int32_t gemma4_session_n_ctx(const gemma4_session* session) {
  if (!session || !session->s) { t_last_error = "session is NULL"; return -1; }
  return session->s->n_ctx();
}

int64_t gemma4_session_kv_bytes(const gemma4_session* session) {
  if (!session || !session->s) { t_last_error = "session is NULL"; return -1; }
  return static_cast<int64_t>(session->s->kv_bytes());
}

gemma4_status gemma4_session_tokens(const gemma4_session* session, int32_t* out, size_t capacity, size_t* n_tokens) {
  return guard([&] {
    require(session != nullptr && session->s != nullptr, "session is NULL");
    require(n_tokens != nullptr, "n_tokens is NULL");
    require(out != nullptr || capacity == 0, "out is NULL but capacity is not 0");
    std::vector<int32_t> h = session->s->displayed_history();
    *n_tokens = h.size();
    if (capacity < h.size())
      fail(Status::buffer_too_small, "token buffer holds " + std::to_string(capacity) + " ids; " +
                                         std::to_string(h.size()) + " needed");
    if (!h.empty()) std::memcpy(out, h.data(), h.size() * sizeof(int32_t));
  });
}

}  // extern "C"
