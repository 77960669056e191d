// Run-time ISA choice: CPUID (through the compiler's cpu-feature cache, which also checks that
// the OS saves the AVX/AVX-512 register state), lowered by GEMMA4_ISA, and the per-ISA tables.
#include <cstdlib>
#include <cstring>

#include "kernels/gemm.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref.h"

namespace g4::kernels {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
#if defined(__x86_64__)
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case Isa::avx512:
      // The AVX-512 file is built for Zen 4 / Ice Lake class parts: F, BW, VL, DQ, VNNI, BF16.
      return cpu_supports(Isa::avx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512bf16");
#endif
    default: return false;
  }
}

Isa detect_isa() {
  // An unset or unknown GEMMA4_ISA asks for the best; a known value caps the choice, and an
  // unsupported cap falls to the best supported ISA below it.
  Isa want = Isa::avx512;
  if (const char* env = std::getenv("GEMMA4_ISA")) {
    if (std::strcmp(env, "scalar") == 0) want = Isa::scalar;
    else if (std::strcmp(env, "avx2") == 0) want = Isa::avx2;
  }
  for (int i = static_cast<int>(want); i > 0; --i)
    if (cpu_supports(static_cast<Isa>(i))) return static_cast<Isa>(i);
  return Isa::scalar;
}

const KernelTable* kernel_table(Isa isa) {
  if (!cpu_supports(isa)) return nullptr;
  switch (isa) {
    case Isa::scalar: return ref::table();
    case Isa::avx2: return avx2::table();
    case Isa::avx512: return avx512::table();
  }
  return nullptr;
}

GemmPanelFn gemm_panel_for(Isa isa) {
  if (!cpu_supports(isa)) return ref::gemm_panel;
  switch (isa) {
    case Isa::avx2: return avx2::gemm_panel;
    case Isa::avx512: return avx512::gemm_panel;
    default: return ref::gemm_panel;
  }
}

}  // namespace g4::kernels
