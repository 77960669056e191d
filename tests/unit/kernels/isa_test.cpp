// ISA detection and the GEMMA4_ISA override.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "kernel_test_util.h"

using namespace g4::kernels;

namespace {

Isa detect_with(const char* value) {
  const char* old = std::getenv("GEMMA4_ISA");
  std::string saved = old ? old : "";
  if (value) setenv("GEMMA4_ISA", value, 1);
  else unsetenv("GEMMA4_ISA");
  Isa isa = detect_isa();
  if (old) setenv("GEMMA4_ISA", saved.c_str(), 1);
  else unsetenv("GEMMA4_ISA");
  return isa;
}

Isa best() {
  Isa b = Isa::scalar;
  for (Isa i : {Isa::avx2, Isa::avx512})
    if (cpu_supports(i)) b = i;
  return b;
}

}  // namespace

TEST_CASE("kernel tables exist exactly for the supported ISAs") {
  CHECK(cpu_supports(Isa::scalar));
  for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    const KernelTable* t = kernel_table(i);
    CHECK((t != nullptr) == cpu_supports(i));
    if (t) {
      CHECK(t->isa == i);
      bool all_set = t->matvec_rows && t->quantize_activation && t->dequantize_row && t->dot_f32 &&
                     t->axpy_f32;
      CHECK(all_set);
    }
  }
  // AVX-512 here implies AVX2 (the AVX-512 file also uses the 256-bit kernels).
  if (cpu_supports(Isa::avx512)) CHECK(cpu_supports(Isa::avx2));
  CHECK(std::string(isa_name(Isa::avx512)) == "avx512");
}

TEST_CASE("GEMMA4_ISA lowers the choice; unknown values give the best ISA") {
  CHECK(detect_with(nullptr) == best());
  CHECK(detect_with("scalar") == Isa::scalar);
  CHECK(detect_with("avx2") == (cpu_supports(Isa::avx2) ? Isa::avx2 : Isa::scalar));
  CHECK(detect_with("avx512") == best());
  CHECK(detect_with("bogus") == best());
  CHECK(detect_with("") == best());
}
