# End-to-end tests: the engine (through the C API) against the NumPy float64 reference, on small
# generated models in every weight type and both file formats (tests/e2e/compare.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
# NumPy comes from Debian's python3-numpy: use the system interpreter, not a virtualenv's.
set(GEMMA4_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with NumPy for the reference tests")

add_executable(e2e_runner ${CMAKE_CURRENT_SOURCE_DIR}/e2e/e2e_runner.c)
target_link_libraries(e2e_runner PRIVATE gemma4)

set(GEMMA4_MODELS_DIR ${CMAKE_CURRENT_BINARY_DIR}/models)
set(MAKE_MODEL ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py)

# Fixture: write the small models once per ctest run (deterministic from the seed).
add_test(NAME e2e_make_models COMMAND ${CMAKE_COMMAND} -E env bash -c "\
  set -e; mkdir -p ${GEMMA4_MODELS_DIR}; cd ${GEMMA4_MODELS_DIR}; \
  for t in f32 f16 bf16 q8_0 q4_0 q4_k q6_k q4_k_m; do ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py tiny-$t.gguf --type $t; done; \
  ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py tiny-st-f32 --format safetensors --dtype f32; \
  ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py tiny-st-bf16 --format safetensors --dtype bf16 --shards 2; \
  ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py tiny-st-f16 --format safetensors --dtype f16; \
  ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py tiny3-q8_0.gguf --type q8_0 --layers 3 --pattern SSF --seed 7;   ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py mm-f32.gguf --type f32 --mmproj mm-f32.mmproj.gguf;   ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py mm-q4_0.gguf --type q4_0 --mmproj mm-q4_0.mmproj.gguf --mm-type f16 --mm-proj-type f16 --seed 3;   ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_model.py mm-st-bf16 --format safetensors --dtype bf16 --with-mm --shards 2;   ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/tools/make_media.py media")
set_tests_properties(e2e_make_models PROPERTIES FIXTURES_SETUP gemma4_models)

# Tolerances on the soft-capped logits (max absolute difference over all steps):
# - float weights (F32/F16/BF16): the engine computes in float32 on exactly the weight values the
#   reference uses in float64; measured differences are ~1e-5, so 1e-3 leaves room for summation
#   order and still catches any real deviation (a wrong norm or RoPE detail moves logits by >0.1).
# - quantized weights: the weights are again identical, but the engine quantizes activations to
#   8 bits (Q8_0 blocks of 32 / 256-element blocks, as llama.cpp does) for the integer dot
#   products. Each rounding is <= 1/254 of a block's max; through 6 layers this gives logit noise
#   of ~1% of the logit spread (measured: mean 0.02, max 0.10-0.24 on logits with std ~1.6).
#   0.35 bounds that with margin; an actual format or kernel bug gives errors of order 1 or more.
# compare.py continues the reference with the engine's tokens (teacher forcing), so every step's
# logits are compared, and checks the engine's greedy token wherever the reference's top-2
# margin exceeds 2*tol (below that, either token is a legitimate rounding outcome).
function(gemma4_e2e name model tol)
  add_test(NAME e2e_${name}
    COMMAND ${GEMMA4_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/compare.py --runner $<TARGET_FILE:e2e_runner>
            --model ${GEMMA4_MODELS_DIR}/${model} --tol ${tol} --workdir ${GEMMA4_MODELS_DIR} ${ARGN})
  set_tests_properties(e2e_${name} PROPERTIES FIXTURES_REQUIRED gemma4_models LABELS e2e)
endfunction()
foreach(t f32 f16 bf16)
  gemma4_e2e(gguf_${t} tiny-${t}.gguf 1e-3)
endforeach()
foreach(t q8_0 q4_0 q4_k q6_k q4_k_m)
  gemma4_e2e(gguf_${t} tiny-${t}.gguf 0.35)
endforeach()
gemma4_e2e(safetensors_f32 tiny-st-f32 1e-3)
gemma4_e2e(safetensors_bf16_sharded tiny-st-bf16 1e-3)
gemma4_e2e(safetensors_f16 tiny-st-f16 1e-3)
# Small prefill batches: the sliding-window rings wrap (capacity = window 16 + batch) and
# prompts are processed in several chunks; one thread and two threads must agree too.
gemma4_e2e(gguf_f32_batch5_t1 tiny-f32.gguf 1e-3 --batch 5 --threads 1 --n-gen 12)
gemma4_e2e(gguf_q4_0_batch3 tiny-q4_0.gguf 0.35 --batch 3 --n-gen 12)
gemma4_e2e(gguf_3layer_q8_0 tiny3-q8_0.gguf 0.35 --batch 7)
# KV cache types: entries rounded to F16 (11-bit mantissa, relative error <= 2^-11) or BF16
# (8-bit, <= 2^-8) before attention. On the float model that moves logits by ~3e-3 (F16) and
# ~3e-2 (BF16), measured; tolerances 0.02 and 0.15 bound those with margin while a wrong
# conversion (e.g. reading F16 bits as BF16) gives errors of order 1.
gemma4_e2e(gguf_f32_kv_f16 tiny-f32.gguf 0.02 --n-gen 12)
set_tests_properties(e2e_gguf_f32_kv_f16 PROPERTIES ENVIRONMENT GEMMA4_E2E_KV=f16)
gemma4_e2e(gguf_f32_kv_bf16 tiny-f32.gguf 0.15 --n-gen 12)
set_tests_properties(e2e_gguf_f32_kv_bf16 PROPERTIES ENVIRONMENT GEMMA4_E2E_KV=bf16)

# Images and audio (spec §3-4): soft tokens from the GGUF projector (CHW patches) and from the
# safetensors checkpoint (HWC), placed at the -1 markers, with bidirectional attention inside
# each image on sliding layers. A 768x768 image at the default budget needs no resize, so the
# engine and the reference see identical pixels and the float tolerance applies (measured
# ~1e-5). Resized images differ by +-1 grey level in some pixels between torch's fixed-point
# bicubic (ours) and the reference's float64 one; that moves logits by ~0.01-0.02 (measured), so
# those runs use 0.1 - the resize itself is tested to +-1 level in tests/unit/io.
set(MEDIA ${GEMMA4_MODELS_DIR}/media)
gemma4_e2e(mm_gguf_image_audio mm-f32.gguf 1e-3 --mmproj ${GEMMA4_MODELS_DIR}/mm-f32.mmproj.gguf
  --image ${MEDIA}/rgb_768x768.png --audio ${MEDIA}/chirp_0p5s_stereo.wav --tokens 2,300,301,-1,302,-1,303 --tag mm)
gemma4_e2e(mm_safetensors_image_audio mm-st-bf16 1e-3
  --image ${MEDIA}/rgb_768x768.png --audio ${MEDIA}/noise_0p5s_mono.wav --tokens 2,300,-1,301,-1,304 --tag mm)
gemma4_e2e(mm_gguf_q4_0_long_audio mm-q4_0.gguf 0.35 --mmproj ${GEMMA4_MODELS_DIR}/mm-q4_0.mmproj.gguf
  --image ${MEDIA}/rgb_768x768.png --audio ${MEDIA}/chirp_3s_mono.wav --tokens 2,300,-1,301,-1,304 --tag mm)
# Resized images (upscaled, downscaled at budgets 70/140, extreme aspect), with a small batch
# so that chunk boundaries move to keep each image in one forward pass.
gemma4_e2e(mm_gguf_resized_images mm-f32.gguf 0.1 --mmproj ${GEMMA4_MODELS_DIR}/mm-f32.mmproj.gguf
  --image ${MEDIA}/gray_97x61.png --image ${MEDIA}/rgb_768x768.png:70 --image ${MEDIA}/strip_1000x60.png:140
  --tokens 2,300,301,302,-1,303,-1,-1,304 --batch 300 --tag resized)

# Video: three frames (70-token budget, so resized) rendered by the engine as "mm:ss " + frame;
# compare.py hands the engine's expanded prompt to the reference with each frame re-expanded
# there (the timestamp text itself is checked in tests/api).
gemma4_e2e(mm_gguf_video mm-f32.gguf 0.1 --mmproj ${GEMMA4_MODELS_DIR}/mm-f32.mmproj.gguf
  --video-frame ${MEDIA}/rgb_768x768.png@0 --video-frame ${MEDIA}/rgb_320x240.png@1.5
  --video-frame ${MEDIA}/tall_90x500.png@65 --tokens 2,300,-1,-1,-1,301 --tag video)
