/*
 * The x86-64 layout of every public struct, checked at run time (C99 has no _Static_assert).
 * These numbers are the ABI of libgemma4.so.0: a field moved, resized or inserted anywhere but
 * at the end changes one of them, and a program built against an older header would then read
 * the wrong bytes. Appending a field changes only the sizeof line of its struct; update that
 * line and keep the offsets. Also checks that the library's *_params_init and info calls agree
 * with the header's sizes (the library and this header belong to the same ABI generation).
 */
#include <gemma4.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(const char* what, size_t got, size_t want) {
  if (got != want) {
    fprintf(stderr, "FAIL %s: %zu, expected %zu\n", what, got, want);
    ++failures;
  }
}

#define SIZE(type, want) expect("sizeof(" #type ")", sizeof(type), (want))
#define OFF(type, field, want) expect("offsetof(" #type ", " #field ")", offsetof(type, field), (want))

static void context_params(void) {
  SIZE(gemma4_context_params, 64);
  OFF(gemma4_context_params, struct_size, 0);
  OFF(gemma4_context_params, n_threads, 4);
  OFF(gemma4_context_params, use_mmap, 8);
  OFF(gemma4_context_params, log_level, 12);
  OFF(gemma4_context_params, log_fn, 16);
  OFF(gemma4_context_params, log_user_data, 24);
  OFF(gemma4_context_params, progress_fn, 32);
  OFF(gemma4_context_params, progress_user_data, 40);
  OFF(gemma4_context_params, mmproj_path, 48);
  OFF(gemma4_context_params, modalities, 56);
  OFF(gemma4_context_params, reserved0, 60);
}

static void model_info(void) {
  SIZE(gemma4_model_info, 120);
  OFF(gemma4_model_info, struct_size, 0);
  OFF(gemma4_model_info, n_vocab, 4);
  OFF(gemma4_model_info, n_ctx_train, 8);
  OFF(gemma4_model_info, n_embd, 12);
  OFF(gemma4_model_info, n_layer, 16);
  OFF(gemma4_model_info, n_head, 20);
  OFF(gemma4_model_info, n_head_kv_sliding, 24);
  OFF(gemma4_model_info, n_head_kv_full, 28);
  OFF(gemma4_model_info, head_dim_sliding, 32);
  OFF(gemma4_model_info, head_dim_full, 36);
  OFF(gemma4_model_info, n_ff, 40);
  OFF(gemma4_model_info, sliding_window, 44);
  OFF(gemma4_model_info, n_layer_full, 48);
  OFF(gemma4_model_info, n_threads, 52);
  OFF(gemma4_model_info, has_vision, 56);
  OFF(gemma4_model_info, has_audio, 60);
  OFF(gemma4_model_info, add_bos, 64);
  OFF(gemma4_model_info, reserved0, 68);
  OFF(gemma4_model_info, n_params, 72);
  OFF(gemma4_model_info, bytes_mapped, 80);
  OFF(gemma4_model_info, bytes_weights, 88);
  OFF(gemma4_model_info, format, 96);
  OFF(gemma4_model_info, weight_type, 104);
  OFF(gemma4_model_info, isa, 112);
}

static void session_params(void) {
  SIZE(gemma4_session_params, 48);
  OFF(gemma4_session_params, struct_size, 0);
  OFF(gemma4_session_params, n_ctx, 4);
  OFF(gemma4_session_params, n_batch, 8);
  OFF(gemma4_session_params, thinking, 12);
  OFF(gemma4_session_params, seed, 16);
  OFF(gemma4_session_params, parse_special, 24);
  OFF(gemma4_session_params, kv_type, 28);
  OFF(gemma4_session_params, progress_fn, 32);
  OFF(gemma4_session_params, progress_user_data, 40);
}

static void logit_bias(void) {
  SIZE(gemma4_logit_bias, 8);
  OFF(gemma4_logit_bias, token, 0);
  OFF(gemma4_logit_bias, bias, 4);
}

static void generate_params(void) {
  SIZE(gemma4_generate_params, 80);
  OFF(gemma4_generate_params, struct_size, 0);
  OFF(gemma4_generate_params, max_tokens, 4);
  OFF(gemma4_generate_params, temperature, 8);
  OFF(gemma4_generate_params, top_k, 12);
  OFF(gemma4_generate_params, top_p, 16);
  OFF(gemma4_generate_params, min_p, 20);
  OFF(gemma4_generate_params, repeat_penalty, 24);
  OFF(gemma4_generate_params, repeat_last_n, 28);
  OFF(gemma4_generate_params, seed, 32);
  OFF(gemma4_generate_params, stop_strings, 40);
  OFF(gemma4_generate_params, n_stop_strings, 48);
  OFF(gemma4_generate_params, logit_bias, 56);
  OFF(gemma4_generate_params, n_logit_bias, 64);
  OFF(gemma4_generate_params, render_special, 72);
  OFF(gemma4_generate_params, reserved0, 76);
}

static void token_event(void) {
  SIZE(gemma4_token_event, 32);
  OFF(gemma4_token_event, struct_size, 0);
  OFF(gemma4_token_event, token, 4);
  OFF(gemma4_token_event, text, 8);
  OFF(gemma4_token_event, text_len, 16);
  OFF(gemma4_token_event, is_special, 24);
  OFF(gemma4_token_event, n_generated, 28);
}

static void generate_result(void) {
  SIZE(gemma4_generate_result, 32);
  OFF(gemma4_generate_result, struct_size, 0);
  OFF(gemma4_generate_result, stop_reason, 4);
  OFF(gemma4_generate_result, n_generated, 8);
  OFF(gemma4_generate_result, n_prompt, 12);
  OFF(gemma4_generate_result, prefill_ms, 16);
  OFF(gemma4_generate_result, decode_ms, 24);
}

/* Enums are passed by value: their size and fixed values are ABI too. */
static void enums(void) {
  SIZE(gemma4_status, 4);
  SIZE(gemma4_special, 4);
  SIZE(gemma4_role, 4);
  SIZE(gemma4_stop_reason, 4);
  expect("GEMMA4_ERR_INVALID_ARGUMENT", GEMMA4_ERR_INVALID_ARGUMENT, 1);
  expect("GEMMA4_ERR_IO", GEMMA4_ERR_IO, 2);
  expect("GEMMA4_ERR_BAD_FORMAT", GEMMA4_ERR_BAD_FORMAT, 3);
  expect("GEMMA4_ERR_UNSUPPORTED", GEMMA4_ERR_UNSUPPORTED, 4);
  expect("GEMMA4_ERR_OUT_OF_MEMORY", GEMMA4_ERR_OUT_OF_MEMORY, 5);
  expect("GEMMA4_ERR_CONTEXT_FULL", GEMMA4_ERR_CONTEXT_FULL, 6);
  expect("GEMMA4_ERR_CANCELLED", GEMMA4_ERR_CANCELLED, 7);
  expect("GEMMA4_ERR_INTERNAL", GEMMA4_ERR_INTERNAL, 8);
  expect("GEMMA4_ERR_BUFFER_TOO_SMALL", GEMMA4_ERR_BUFFER_TOO_SMALL, 9);
  expect("GEMMA4_TOKEN_CHANNEL_END", GEMMA4_TOKEN_CHANNEL_END, 7);
  expect("GEMMA4_TOKEN_TOOL_RESPONSE_START", GEMMA4_TOKEN_TOOL_RESPONSE_START, 12);
  expect("GEMMA4_ROLE_USER", GEMMA4_ROLE_USER, 1);
  expect("GEMMA4_STOP_EOS", GEMMA4_STOP_EOS, 1);
  expect("GEMMA4_STOP_STRING", GEMMA4_STOP_STRING, 2);
  expect("GEMMA4_STOP_MAX_TOKENS", GEMMA4_STOP_MAX_TOKENS, 3);
  expect("GEMMA4_STOP_CALLBACK", GEMMA4_STOP_CALLBACK, 4);
  expect("GEMMA4_STOP_CANCELLED", GEMMA4_STOP_CANCELLED, 5);
  expect("GEMMA4_LOG_DEBUG", GEMMA4_LOG_DEBUG, 3);
  expect("GEMMA4_TOKENIZE_PARSE_SPECIAL", GEMMA4_TOKENIZE_PARSE_SPECIAL, 2);
  expect("GEMMA4_DETOKENIZE_RENDER_SPECIAL", GEMMA4_DETOKENIZE_RENDER_SPECIAL, 1);
  expect("GEMMA4_KV_F32", GEMMA4_KV_F32, 2);
  expect("GEMMA4_MODALITY_AUDIO", GEMMA4_MODALITY_AUDIO, 4);
  expect("GEMMA4_PCM_S16", GEMMA4_PCM_S16, 1);
}

/* The loaded library fills exactly the sizes this header declares. */
static void library_agrees(void) {
  union {
    gemma4_context_params c;
    gemma4_session_params s;
    gemma4_generate_params g;
    unsigned char bytes[256];
  } u;
  size_t i;
  memset(&u, 0xCD, sizeof u);
  expect("gemma4_context_params_default status", (size_t)gemma4_context_params_default(&u.c), GEMMA4_OK);
  expect("gemma4_context_params.struct_size", u.c.struct_size, sizeof u.c);
  for (i = sizeof u.c; i < sizeof u.bytes; ++i)
    if (u.bytes[i] != 0xCD) {
      fprintf(stderr, "FAIL gemma4_context_params_init wrote byte %zu, beyond the struct\n", i);
      ++failures;
      break;
    }
  memset(&u, 0xCD, sizeof u);
  expect("gemma4_session_params_default status", (size_t)gemma4_session_params_default(&u.s), GEMMA4_OK);
  expect("gemma4_session_params.struct_size", u.s.struct_size, sizeof u.s);
  for (i = sizeof u.s; i < sizeof u.bytes; ++i)
    if (u.bytes[i] != 0xCD) {
      fprintf(stderr, "FAIL gemma4_session_params_init wrote byte %zu, beyond the struct\n", i);
      ++failures;
      break;
    }
  memset(&u, 0xCD, sizeof u);
  expect("gemma4_generate_params_default status", (size_t)gemma4_generate_params_default(&u.g), GEMMA4_OK);
  expect("gemma4_generate_params.struct_size", u.g.struct_size, sizeof u.g);
  for (i = sizeof u.g; i < sizeof u.bytes; ++i)
    if (u.bytes[i] != 0xCD) {
      fprintf(stderr, "FAIL gemma4_generate_params_init wrote byte %zu, beyond the struct\n", i);
      ++failures;
      break;
    }
  expect("gemma4_abi_version()", (size_t)gemma4_abi_version(), GEMMA4_ABI_VERSION);
}

int main(void) {
#if defined(__x86_64__) && defined(__LP64__)
  context_params();
  model_info();
  session_params();
  logit_bias();
  generate_params();
  token_event();
  generate_result();
  enums();
#else
  printf("not x86-64 LP64: layout numbers skipped\n");
#endif
  library_agrees();
  if (failures) {
    fprintf(stderr, "%d ABI layout check(s) failed\n", failures);
    return 1;
  }
  printf("ABI layout: all checks passed\n");
  return 0;
}
