/*
 * Compiled with -std=c99 -pedantic -Werror -Wall -Wextra (ctest header_c99, and header_cxx
 * as C++11): include/gemma4.h must be plain C99 that also parses as C++. Uses every type and
 * macro of the header once so a non-C99 construct anywhere in it is caught, and checks at
 * compile time the layout rules the ABI depends on (struct_size first; fixed enum values).
 */
#include <gemma4.h>

#include <stddef.h>

/* C99 has no _Static_assert: a negative array size fails the compile instead. */
#define CHECK(name, cond) typedef char check_##name[(cond) ? 1 : -1]

CHECK(context_params_size_first, offsetof(gemma4_context_params, struct_size) == 0);
CHECK(model_info_size_first, offsetof(gemma4_model_info, struct_size) == 0);
CHECK(session_params_size_first, offsetof(gemma4_session_params, struct_size) == 0);
CHECK(generate_params_size_first, offsetof(gemma4_generate_params, struct_size) == 0);
CHECK(token_event_size_first, offsetof(gemma4_token_event, struct_size) == 0);
CHECK(generate_result_size_first, offsetof(gemma4_generate_result, struct_size) == 0);
CHECK(logit_bias_packed, sizeof(gemma4_logit_bias) == 8);
CHECK(status_values, GEMMA4_OK == 0 && GEMMA4_ERR_BUFFER_TOO_SMALL == 9);
CHECK(role_values, GEMMA4_ROLE_SYSTEM == 0 && GEMMA4_ROLE_MODEL == 2);
CHECK(special_values, GEMMA4_TOKEN_PAD == 0 && GEMMA4_TOKEN_TOOL_RESPONSE_START == 12);
CHECK(stop_values, GEMMA4_STOP_NONE == 0 && GEMMA4_STOP_CONTEXT_FULL == 6);
CHECK(version_number, GEMMA4_VERSION_NUMBER == GEMMA4_VERSION_MAJOR * 1000000 +
                                                  GEMMA4_VERSION_MINOR * 1000 + GEMMA4_VERSION_PATCH);
CHECK(nul_terminated, GEMMA4_NUL_TERMINATED == (size_t)-1);

static int32_t on_token(void* user_data, const gemma4_token_event* ev) {
  (void)user_data;
  return ev->is_special;
}

static int32_t on_progress(void* user_data, float p) {
  (void)user_data;
  return p > 1.0f;
}

static void on_log(void* user_data, int32_t level, const char* msg) {
  (void)user_data;
  (void)level;
  (void)msg;
}

/* Never called: it only has to compile (and link nothing: this file is compiled, not linked). */
int header_c99_use_everything(void);
int header_c99_use_everything(void) {
  gemma4_context_params cp;
  gemma4_session_params sp;
  gemma4_generate_params gp;
  gemma4_model_info info;
  gemma4_generate_result res;
  gemma4_logit_bias bias = {0, -1.0f};
  gemma4_context* ctx = NULL;
  gemma4_session* s = NULL;
  gemma4_input* in = NULL;
  gemma4_token_fn tf = on_token;
  gemma4_progress_fn pf = on_progress;
  gemma4_log_fn lf = on_log;
  gemma4_status st;
  gemma4_role role = GEMMA4_ROLE_USER;
  gemma4_special sp_tok = GEMMA4_TOKEN_EOS;
  gemma4_stop_reason why = GEMMA4_STOP_EOS;
  int32_t toks[4];
  float logits[4];
  char buf[16];
  size_t n = 0;
  const char* stops[1] = {"\n"};

  st = gemma4_context_params_default(&cp);
  cp.log_fn = lf;
  cp.progress_fn = pf;
  cp.log_level = GEMMA4_LOG_DEBUG;
  st = gemma4_context_create("x", &cp, &ctx);
  info.struct_size = sizeof info;
  st = gemma4_context_info(ctx, &info);
  st = gemma4_tokenize(ctx, "a", GEMMA4_NUL_TERMINATED, GEMMA4_TOKENIZE_ADD_BOS | GEMMA4_TOKENIZE_PARSE_SPECIAL,
                       toks, 4, &n);
  st = gemma4_detokenize(ctx, toks, n, GEMMA4_DETOKENIZE_RENDER_SPECIAL, buf, sizeof buf, &n);
  st = gemma4_token_to_piece(ctx, toks[0], buf, sizeof buf, &n);
  toks[0] = gemma4_special_token(ctx, sp_tok) + gemma4_token_lookup(ctx, "<|turn>");
  st = gemma4_input_create(&in);
  st = gemma4_input_add_text(in, "hi", 2);
  st = gemma4_input_add_tokens(in, toks, 1);
  st = gemma4_session_params_default(&sp);
  sp.progress_fn = pf;
  st = gemma4_session_create(ctx, &sp, &s);
  st = gemma4_session_add_turn(s, role, in);
  st = gemma4_input_clear(in);
  st = gemma4_session_append(s, in);
  st = gemma4_generate_params_default(&gp);
  gp.stop_strings = stops;
  gp.n_stop_strings = 1;
  gp.logit_bias = &bias;
  gp.n_logit_bias = 1;
  res.struct_size = sizeof res;
  st = gemma4_session_generate(s, &gp, tf, NULL, &res);
  st = gemma4_session_cancel(s);
  st = gemma4_session_logits(s, logits, 4, &n);
  st = gemma4_session_tokens(s, toks, 4, &n);
  st = gemma4_session_reset(s);
  n = (size_t)(gemma4_session_n_tokens(s) + gemma4_session_n_ctx(s));
  gemma4_session_free(s);
  gemma4_input_free(in);
  gemma4_context_free(ctx);
  return (int)st + (int)n + (int)why + gemma4_version_number() + gemma4_abi_version() +
         (gemma4_version()[0] == GEMMA4_VERSION_STRING[0]) + (gemma4_status_string(st)[0] != 0) +
         (gemma4_last_error()[0] != 0) + GEMMA4_ERR_CONTEXT_FULL;
}
