# Programs built on the public API only: they link gemma4::gemma4 and include nothing but
# include/gemma4.h (no src/ directory is on their include path).

add_executable(gemma4-simple ${CMAKE_CURRENT_LIST_DIR}/simple.c)
target_link_libraries(gemma4-simple PRIVATE gemma4::gemma4)
set_target_properties(gemma4-simple PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF OUTPUT_NAME simple)

add_executable(gemma4-cli
  ${CMAKE_CURRENT_LIST_DIR}/cli/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli/options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli/console.cpp)
target_link_libraries(gemma4-cli PRIVATE gemma4::gemma4 Threads::Threads)

add_executable(gemma4-bench
  ${CMAKE_CURRENT_LIST_DIR}/bench/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bench/membw.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bench/report.cpp)
target_link_libraries(gemma4-bench PRIVATE gemma4::gemma4 Threads::Threads)

# Installed next to the library: bin/ finds lib/ through a relative RPATH, so an installed
# tree can be moved as a whole.
set_target_properties(gemma4-cli gemma4-bench PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS gemma4-cli gemma4-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
