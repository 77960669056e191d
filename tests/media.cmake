# Real media made on this machine by independent tools (ImageMagick, espeak-ng, sox): JPEG/PNG
# variants and speech in several rates and containers, through the Python binding, against the
# NumPy reference on ImageMagick's decoding (tests/media/test_real_media.py).
# The tools are required, not optional: without them the generator fails and names the
# apt-get command (.ci/install-deps installs them), so nothing is skipped silently.
if(NOT GEMMA4_PYTHON)  # normally set by e2e.cmake (included first, alphabetically)
  set(GEMMA4_PYTHON /usr/bin/python3)
endif()
set(GEMMA4_REAL_MEDIA_DIR ${CMAKE_CURRENT_BINARY_DIR}/real_media)

# Fixture: a small f32 model with its projector, and the media (both deterministic).
add_test(NAME real_media_make COMMAND ${CMAKE_COMMAND} -E env bash -c "\
  set -e; mkdir -p ${GEMMA4_REAL_MEDIA_DIR}; \
  ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py ${GEMMA4_REAL_MEDIA_DIR}/mm-f32.gguf --type f32 \
    --mmproj ${GEMMA4_REAL_MEDIA_DIR}/mm-f32.mmproj.gguf; \
  bash ${CMAKE_CURRENT_SOURCE_DIR}/media/make_real_media.sh ${GEMMA4_REAL_MEDIA_DIR}/media")
set_tests_properties(real_media_make PROPERTIES FIXTURES_SETUP gemma4_real_media)

# About 2 minutes: the float64 reference runs once per image (1920x1080 ones take ~20 s).
add_test(NAME real_media COMMAND ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/media/test_real_media.py)
set_tests_properties(real_media PROPERTIES FIXTURES_REQUIRED gemma4_real_media LABELS "e2e;media" TIMEOUT 1200
  ENVIRONMENT "GEMMA4_LIBRARY=$<TARGET_FILE:gemma4>;GEMMA4_REAL_MEDIA=${GEMMA4_REAL_MEDIA_DIR}/media;GEMMA4_TEST_MODEL=${GEMMA4_REAL_MEDIA_DIR}/mm-f32.gguf;GEMMA4_TEST_MMPROJ=${GEMMA4_REAL_MEDIA_DIR}/mm-f32.mmproj.gguf")
