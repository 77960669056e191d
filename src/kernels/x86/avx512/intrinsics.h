// <immintrin.h> for the AVX-512 translation units. GCC 12's avx512fintrin.h trips
// -Wuninitialized / -Wmaybe-uninitialized inside its own intrinsics (GCC bug 105593); the
// pragmas silence only those, and only in the files that include this header.
#pragma once
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
