# Tests of what stands on the public API: header hygiene, exported symbols and SONAME, the ABI
# baseline, the installed package (find_package and pkg-config consumers), the Python bindings,
# and the CLI / bench / simple programs. Included by tests/CMakeLists.txt.

set(GEMMA4_TOOLS_DIR ${CMAKE_CURRENT_LIST_DIR})

# ---- the header is C99 (and parses as C++) ----
add_test(NAME header_c99 COMMAND ${CMAKE_C_COMPILER} -std=c99 -pedantic -Werror -Wall -Wextra -fsyntax-only
  -I${CMAKE_SOURCE_DIR}/include ${GEMMA4_TOOLS_DIR}/api/header_c99_test.c)
add_test(NAME header_cxx COMMAND ${CMAKE_CXX_COMPILER} -x c++ -std=c++11 -pedantic -Werror -Wall -Wextra
  -fsyntax-only -I${CMAKE_SOURCE_DIR}/include ${GEMMA4_TOOLS_DIR}/api/header_c99_test.c)

if(GEMMA4_BUILD_SHARED)
  # ---- the shared library exports the header's functions only, SONAME libgemma4.so.<ABI> ----
  add_test(NAME library_exports COMMAND sh ${GEMMA4_TOOLS_DIR}/consumer/check_exports.sh
    $<TARGET_FILE:gemma4> ${GEMMA4_SOVERSION} ${CMAKE_SOURCE_DIR}/include/gemma4.h)

  # ---- ABI baseline (lib/abi_check.sh; the API layer is built with -g, see CMakeLists.txt) ----
  if(EXISTS ${CMAKE_SOURCE_DIR}/lib/gemma4.abi)
    add_test(NAME abi_check COMMAND sh ${CMAKE_SOURCE_DIR}/lib/abi_check.sh $<TARGET_FILE_DIR:gemma4>)
  endif()

  # ---- installed package: find_package(gemma4) and pkg-config consumers ----
  # Installs the whole build tree, so it needs every installed target built (the default build).
  add_test(NAME install_consumers COMMAND sh ${GEMMA4_TOOLS_DIR}/consumer/run_consumer_test.sh ${CMAKE_BINARY_DIR})
endif()

# ---- a small generated model shared by the Python and CLI tests ----
# make_model.py needs NumPy, which the system interpreter has.
if(EXISTS /usr/bin/python3)
  set(GEMMA4_TEST_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with NumPy for the model generator and Python tests")
else()
  set(GEMMA4_TEST_PYTHON ${Python3_EXECUTABLE} CACHE FILEPATH "Python with NumPy for the model generator and Python tests")
endif()
set(GEMMA4_TOOLS_MODEL ${CMAKE_CURRENT_BINARY_DIR}/tools_model.gguf)
set(GEMMA4_TOOLS_MMPROJ ${CMAKE_CURRENT_BINARY_DIR}/tools_mmproj.gguf)
set(GEMMA4_TOOLS_MEDIA ${CMAKE_CURRENT_BINARY_DIR}/tools_media)
if(GEMMA4_TEST_PYTHON)
  # The text model and its projector (image + audio embedders) come from one run and seed.
  add_test(NAME tools_model_setup COMMAND ${GEMMA4_TEST_PYTHON} ${GEMMA4_TOOLS_DIR}/tools/make_model.py
    ${GEMMA4_TOOLS_MODEL} --type f32 --mmproj ${GEMMA4_TOOLS_MMPROJ})
  add_test(NAME tools_media_setup COMMAND ${GEMMA4_TEST_PYTHON} ${GEMMA4_TOOLS_DIR}/tools/make_media.py
    ${GEMMA4_TOOLS_MEDIA})
  set_tests_properties(tools_model_setup PROPERTIES FIXTURES_SETUP tools_model)
  set_tests_properties(tools_media_setup PROPERTIES FIXTURES_SETUP tools_media)
  set(media_env "GEMMA4_TEST_MMPROJ=${GEMMA4_TOOLS_MMPROJ}" "GEMMA4_TEST_MEDIA=${GEMMA4_TOOLS_MEDIA}")

  if(GEMMA4_BUILD_SHARED)
    add_test(NAME python_bindings COMMAND ${GEMMA4_TEST_PYTHON} ${GEMMA4_TOOLS_DIR}/python/test_bindings.py)
    set_tests_properties(python_bindings PROPERTIES FIXTURES_REQUIRED "tools_model;tools_media" TIMEOUT 300
      ENVIRONMENT "GEMMA4_TEST_MODEL=${GEMMA4_TOOLS_MODEL};GEMMA4_LIBRARY=$<TARGET_FILE:gemma4>;${media_env}")
  endif()

  if(TARGET gemma4-cli AND TARGET gemma4-bench AND TARGET gemma4-simple)
    add_test(NAME cli_programs COMMAND ${GEMMA4_TEST_PYTHON} ${GEMMA4_TOOLS_DIR}/python/test_cli.py)
    # The video tests need the ffmpeg program (to make a clip) and a CLI built with FFmpeg.
    set(cli_env "GEMMA4_TEST_MODEL=${GEMMA4_TOOLS_MODEL};GEMMA4_CLI=$<TARGET_FILE:gemma4-cli>"
      "GEMMA4_BENCH=$<TARGET_FILE:gemma4-bench>;GEMMA4_SIMPLE=$<TARGET_FILE:gemma4-simple>" ${media_env}
      "GEMMA4_CLI_VIDEO=$<BOOL:${GEMMA4_CLI_VIDEO}>")
    if(GEMMA4_BUILD_SHARED)
      list(APPEND cli_env "GEMMA4_LIBRARY=$<TARGET_FILE:gemma4>")
    endif()
    set_tests_properties(cli_programs PROPERTIES FIXTURES_REQUIRED "tools_model;tools_media" TIMEOUT 600
      ENVIRONMENT "${cli_env}")
  endif()
endif()
