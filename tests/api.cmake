# API contract tests (tests/api/): every promise of include/gemma4.h through the public library
# only, the x86-64 layout of the public structs, and hostile model files. The models are small
# random ones written by make_model.py into the build folder (deterministic from the seed).
find_package(doctest REQUIRED)
set(GEMMA4_API_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with NumPy for the API tests' model generator")
set(GEMMA4_API_MODELS_DIR ${CMAKE_CURRENT_BINARY_DIR}/api-models)

# Fixture: the models the API tests read (a Q8_0 and an F32 GGUF, a two-shard F32 folder).
add_test(NAME api_make_models COMMAND ${CMAKE_COMMAND} -E env bash -c "\
  set -e; mkdir -p ${GEMMA4_API_MODELS_DIR}; cd ${GEMMA4_API_MODELS_DIR}; \
  ${GEMMA4_API_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py api-q8_0.gguf --type q8_0; \
  ${GEMMA4_API_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py api-f32.gguf --type f32; \
  rm -rf api-st-f32; \
  ${GEMMA4_API_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py api-st-f32 --format safetensors --dtype f32 --shards 2")
set_tests_properties(api_make_models PROPERTIES FIXTURES_SETUP gemma4_api_models)

# Linked against the public target only: these programs see what a user of the library sees.
add_executable(api_test ${CMAKE_CURRENT_SOURCE_DIR}/api/api_test.cpp ${CMAKE_CURRENT_SOURCE_DIR}/api/api_session_test.cpp)
add_executable(hostile_files_test ${CMAKE_CURRENT_SOURCE_DIR}/api/hostile_files_test.cpp)
foreach(name api_test hostile_files_test)
  target_link_libraries(${name} PRIVATE gemma4 doctest::doctest Threads::Threads)
  target_compile_definitions(${name} PRIVATE GEMMA4_API_MODELS_DIR="${GEMMA4_API_MODELS_DIR}")
endforeach()
add_test(NAME api_contract COMMAND api_test)
add_test(NAME api_hostile_files COMMAND hostile_files_test)
set_tests_properties(api_contract api_hostile_files PROPERTIES FIXTURES_REQUIRED gemma4_api_models
  LABELS api TIMEOUT 600)

add_executable(abi_layout_test ${CMAKE_CURRENT_SOURCE_DIR}/api/abi_layout_test.c)
set_target_properties(abi_layout_test PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_link_libraries(abi_layout_test PRIVATE gemma4)
add_test(NAME api_abi_layout COMMAND abi_layout_test)
set_tests_properties(api_abi_layout PROPERTIES LABELS api)
