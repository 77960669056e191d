# ISA hygiene: see tests/unit/kernels/check_isa_symbols.sh.
add_test(NAME kernels_isa_symbols COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/unit/kernels/check_isa_symbols.sh
  $<TARGET_FILE:gemma4_kernels>)
