/* An out-of-tree program using an installed libgemma4 (built by CMakeLists.txt through
 * find_package and by build_pkgconfig.sh through pkg-config). Prints the library version and
 * fails unless the header it was compiled with and the library it runs with agree. */
#include <gemma4.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  gemma4_context* ctx = NULL;
  gemma4_status st;
  printf("libgemma4 %s (ABI %d)\n", gemma4_version(), gemma4_abi_version());
  if (GEMMA4_ABI_VERSION != gemma4_abi_version()) {
    fprintf(stderr, "consumer: header ABI %d, library ABI %d\n", GEMMA4_ABI_VERSION, gemma4_abi_version());
    return 1;
  }
  if (strcmp(GEMMA4_VERSION_STRING, gemma4_version()) != 0 || gemma4_version_number() != GEMMA4_VERSION_NUMBER) {
    fprintf(stderr, "consumer: header %s, library %s\n", GEMMA4_VERSION_STRING, gemma4_version());
    return 1;
  }
  /* One real call through the library: a missing file must be an I/O error, not a crash. */
  st = gemma4_context_create("/nonexistent/consumer-model.gguf", NULL, &ctx);
  if (st != GEMMA4_ERR_IO || ctx != NULL) {
    fprintf(stderr, "consumer: expected GEMMA4_ERR_IO, got %s: %s\n", gemma4_status_string(st), gemma4_last_error());
    return 1;
  }
  return 0;
}
