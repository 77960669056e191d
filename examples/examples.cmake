# Programs built on the public API only: they link gemma4::gemma4 and include nothing but
# include/gemma4.h (no src/ directory is on their include path).

add_executable(gemma4-simple ${CMAKE_CURRENT_LIST_DIR}/simple.c)
target_link_libraries(gemma4-simple PRIVATE gemma4::gemma4)
set_target_properties(gemma4-simple PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF OUTPUT_NAME simple)

# gemma4-cli --video reads video files with FFmpeg (the library itself takes frames and PCM
# only). On by default when pkg-config finds the libraries; without them the CLI still
# builds, and --video says it was built without FFmpeg.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(GEMMA4_FFMPEG QUIET IMPORTED_TARGET libavformat libavcodec libswscale libswresample libavutil)
endif()
set(gemma4_cli_video_default OFF)
if(GEMMA4_FFMPEG_FOUND)
  set(gemma4_cli_video_default ON)
endif()
option(GEMMA4_CLI_VIDEO "gemma4-cli: --video through FFmpeg (libavformat, libavcodec, libswscale, libswresample)"
  ${gemma4_cli_video_default})
if(GEMMA4_CLI_VIDEO AND NOT GEMMA4_FFMPEG_FOUND)
  message(FATAL_ERROR "GEMMA4_CLI_VIDEO=ON but pkg-config finds no FFmpeg (libavformat-dev libavcodec-dev "
    "libswscale-dev libswresample-dev libavutil-dev)")
endif()

set(gemma4_cli_sources
  ${CMAKE_CURRENT_LIST_DIR}/cli/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli/options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cli/console.cpp)
if(GEMMA4_CLI_VIDEO)
  list(APPEND gemma4_cli_sources ${CMAKE_CURRENT_LIST_DIR}/cli/video.cpp)
else()
  list(APPEND gemma4_cli_sources ${CMAKE_CURRENT_LIST_DIR}/cli/video_none.cpp)
endif()
add_executable(gemma4-cli ${gemma4_cli_sources})
target_link_libraries(gemma4-cli PRIVATE gemma4::gemma4 Threads::Threads)
if(GEMMA4_CLI_VIDEO)
  target_link_libraries(gemma4-cli PRIVATE PkgConfig::GEMMA4_FFMPEG)
endif()
message(STATUS "gemma4-cli --video (FFmpeg): ${GEMMA4_CLI_VIDEO}")

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
