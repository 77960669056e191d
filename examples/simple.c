/*
 * simple.c -- the smallest complete libgemma4 program.
 *
 *   simple MODEL "Why is the sky blue?"
 *
 * Loads the model, adds one user turn, streams the answer to stdout. Every call is checked:
 * on failure the status name and gemma4_last_error() go to stderr and the exit code is 1.
 */
#include <gemma4.h>

#include <stdio.h>

static int32_t on_token(void* user_data, const gemma4_token_event* ev) {
  (void)user_data;
  fwrite(ev->text, 1, ev->text_len, stdout);
  fflush(stdout); /* show each piece as it arrives */
  return 0;       /* 0 = keep going */
}

static int check(gemma4_status st, const char* what) {
  if (st == GEMMA4_OK) return 0;
  fprintf(stderr, "simple: %s failed: %s: %s\n", what, gemma4_status_string(st), gemma4_last_error());
  return 1;
}

int main(int argc, char** argv) {
  gemma4_context* ctx = NULL;
  gemma4_session* session = NULL;
  gemma4_input* input = NULL;
  gemma4_generate_params gp;
  int failed;

  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL PROMPT\n", argv[0]);
    return 2;
  }
  failed = check(gemma4_context_create(argv[1], NULL, &ctx), "gemma4_context_create") ||
           check(gemma4_session_create(ctx, NULL, &session), "gemma4_session_create") ||
           check(gemma4_input_create(&input), "gemma4_input_create") ||
           check(gemma4_input_add_text(input, argv[2], GEMMA4_NUL_TERMINATED), "gemma4_input_add_text") ||
           check(gemma4_session_add_turn(session, GEMMA4_ROLE_USER, input), "gemma4_session_add_turn") ||
           check(gemma4_generate_params_default(&gp), "gemma4_generate_params_default") ||
           check(gemma4_session_generate(session, &gp, on_token, NULL, NULL), "gemma4_session_generate");
  if (!failed) putchar('\n');

  /* Every free accepts NULL, so cleanup is the same on every path. */
  gemma4_input_free(input);
  gemma4_session_free(session);
  gemma4_context_free(ctx);
  return failed;
}
