/*
 * gemma4.h -- the public C API of libgemma4: Google's Gemma 4 12B on the CPU.
 *
 * This header is the whole contract. Anything not declared here is not API. It is plain C99,
 * exposes no C++ or third-party type, and every object is an opaque handle.
 *
 * Stability
 *   - Functions and types are never removed or changed incompatibly within one ABI generation
 *     (the SONAME libgemma4.so.<GEMMA4_ABI_VERSION>). New functions may be added.
 *   - Status codes and enum values have fixed numbers; new ones may be appended.
 *   - Every parameter/result struct starts with `uint32_t struct_size`. Fill parameter structs
 *     with the *_default() macros, which pass sizeof for you. A caller compiled against an
 *     older header (smaller struct) keeps working: missing fields take their defaults. A larger
 *     struct is accepted only if the bytes the library does not know are all zero.
 *
 * Threads
 *   gemma4_context  immutable after creation; any number of threads and sessions may share it.
 *   gemma4_session  one thread at a time. gemma4_session_cancel() may be called from any thread.
 *   gemma4_input    one thread at a time; sessions copy what they need from it.
 *   Global functions (version, status strings, last error) are thread-safe.
 *   gemma4_last_error() is per thread.
 *
 * Ownership and lifetimes
 *   Every *_create() has a *_free() that accepts NULL. Creators write the new handle to an
 *   out-parameter, set to NULL on failure. A session holds a reference to its context: the
 *   context may be freed before its sessions; its memory is released with the last session.
 *   Strings and arrays passed in are borrowed for the duration of the call only.
 *
 * Walkthrough
 *   gemma4_context_params cp;  gemma4_context_params_default(&cp);
 *   gemma4_context* ctx;       if (gemma4_context_create("model.gguf", &cp, &ctx)) die(gemma4_last_error());
 *   gemma4_session* s;         gemma4_session_create(ctx, NULL, &s);
 *   gemma4_input* in;          gemma4_input_create(&in);
 *   gemma4_input_add_text(in, "Why is the sky blue?", GEMMA4_NUL_TERMINATED);
 *   gemma4_session_add_turn(s, GEMMA4_ROLE_USER, in);
 *   gemma4_generate_params gp; gemma4_generate_params_default(&gp);
 *   gemma4_session_generate(s, &gp, on_token, user_data, NULL);   // streams UTF-8 to on_token
 *   gemma4_input_free(in); gemma4_session_free(s); gemma4_context_free(ctx);
 */
#ifndef GEMMA4_H
#define GEMMA4_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(GEMMA4_BUILDING)
#    define GEMMA4_API __declspec(dllexport)
#  else
#    define GEMMA4_API __declspec(dllimport)
#  endif
#else
#  define GEMMA4_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

#define GEMMA4_VERSION_MAJOR 0
#define GEMMA4_VERSION_MINOR 1
#define GEMMA4_VERSION_PATCH 0
/** MAJOR*1000000 + MINOR*1000 + PATCH of this header. */
#define GEMMA4_VERSION_NUMBER 1000
#define GEMMA4_VERSION_STRING "0.1.0"
/** ABI generation of this header; equals the SONAME suffix. */
#define GEMMA4_ABI_VERSION 0

/** Library version string, e.g. "0.1.0". Static storage. Threads: any. Since: 0.1 */
GEMMA4_API const char* gemma4_version(void);
/** Library version as GEMMA4_VERSION_NUMBER computes it. Threads: any. Since: 0.1 */
GEMMA4_API int32_t gemma4_version_number(void);
/** ABI generation of the loaded library; compare with GEMMA4_ABI_VERSION. Threads: any. Since: 0.1 */
GEMMA4_API int32_t gemma4_abi_version(void);

/* ---------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------- */

/** Result of every fallible call. Values are fixed; new codes may be appended. */
typedef enum gemma4_status {
  GEMMA4_OK = 0,
  GEMMA4_ERR_INVALID_ARGUMENT = 1, /**< NULL handle, bad value, wrong struct_size, misuse */
  GEMMA4_ERR_IO = 2,               /**< a file could not be opened or read */
  GEMMA4_ERR_BAD_FORMAT = 3,       /**< a file or buffer is malformed, truncated or inconsistent */
  GEMMA4_ERR_UNSUPPORTED = 4,      /**< valid but not supported (weight type, feature, struct tail) */
  GEMMA4_ERR_OUT_OF_MEMORY = 5,
  GEMMA4_ERR_CONTEXT_FULL = 6,     /**< the input or generation does not fit the session's context */
  GEMMA4_ERR_CANCELLED = 7,        /**< stopped by gemma4_session_cancel() or a progress callback */
  GEMMA4_ERR_INTERNAL = 8,         /**< a bug in libgemma4; the message says where */
  GEMMA4_ERR_BUFFER_TOO_SMALL = 9  /**< output buffer too small; the needed size was reported */
} gemma4_status;

/** Static English name of a status ("GEMMA4_ERR_IO: input/output error"). Never NULL. Threads: any. */
GEMMA4_API const char* gemma4_status_string(gemma4_status status);

/**
 * Message describing the last failure of a gemma4_* call on the calling thread (names the
 * argument, file, tensor or offset, and what was expected). "" if the last call succeeded.
 * Valid until this thread's next gemma4_* call. Never NULL. Threads: per thread.
 */
GEMMA4_API const char* gemma4_last_error(void);

/** Pass as a length to mean "the string is NUL-terminated". */
#define GEMMA4_NUL_TERMINATED ((size_t)-1)

/* ---------------------------------------------------------------------------------------------
 * Callbacks
 * ------------------------------------------------------------------------------------------- */

/** Log levels (values fixed). */
enum { GEMMA4_LOG_ERROR = 0, GEMMA4_LOG_WARN = 1, GEMMA4_LOG_INFO = 2, GEMMA4_LOG_DEBUG = 3 };

/**
 * Log sink: one complete line without trailing newline. Called on the thread doing the work.
 * Must not call back into the context that logs.
 */
typedef void (*gemma4_log_fn)(void* user_data, int32_t level, const char* message);

/**
 * Load progress in [0, 1], called on the loading thread. Return non-zero to cancel the load
 * (gemma4_context_create then returns GEMMA4_ERR_CANCELLED).
 */
typedef int32_t (*gemma4_progress_fn)(void* user_data, float progress);

/* ---------------------------------------------------------------------------------------------
 * Context: the loaded model (weights, tokenizer, config, thread pool)
 * ------------------------------------------------------------------------------------------- */

typedef struct gemma4_context gemma4_context;

/** Parameters of gemma4_context_create(). Fill with gemma4_context_params_default(). */
typedef struct gemma4_context_params {
  uint32_t struct_size;  /**< sizeof(gemma4_context_params); set by the _default() macro */
  int32_t n_threads;     /**< worker threads incl. the caller; 0 [default] = online CPUs; 1..1024 */
  int32_t use_mmap;      /**< 1 [default] = map the weights (pages shared between processes);
                              0 = read them into memory */
  int32_t log_level;     /**< most verbose level passed to log_fn; default GEMMA4_LOG_WARN */
  gemma4_log_fn log_fn;  /**< NULL [default] = no logging */
  void* log_user_data;
  gemma4_progress_fn progress_fn; /**< NULL [default] = no progress reports */
  void* progress_user_data;
  const char* mmproj_path; /**< GGUF projector ("mmproj") holding the image and audio embedders
                                of a GGUF model; NULL [default] = none. A Hugging Face folder
                                carries its embedders itself. */
  uint32_t modalities;     /**< embedders to load, GEMMA4_MODALITY_IMAGE | GEMMA4_MODALITY_AUDIO;
                                0 [default] = every one the files provide. A text-only app passes
                                GEMMA4_MODALITY_TEXT: nothing else is mapped or bound. */
  int32_t reserved0;       /**< must be 0 */
} gemma4_context_params;

/** Modalities (bit flags, values fixed). */
enum { GEMMA4_MODALITY_TEXT = 1, GEMMA4_MODALITY_IMAGE = 2, GEMMA4_MODALITY_AUDIO = 4 };

/** Fills *params with defaults for a struct of `struct_size` bytes. Use the macro below. */
GEMMA4_API gemma4_status gemma4_context_params_init(gemma4_context_params* params, size_t struct_size);
#define gemma4_context_params_default(p) gemma4_context_params_init((p), sizeof *(p))

/**
 * Loads a model. Constructor of gemma4_context.
 * @param path    a GGUF file (general.architecture = gemma4) or a Hugging Face model folder
 *                (config.json, tokenizer.json, model.safetensors or sharded with
 *                model.safetensors.index.json).
 * @param params  NULL for defaults.
 * @param out     receives the context; set to NULL on failure.
 * @return GEMMA4_OK; INVALID_ARGUMENT (NULL path/out, bad params); IO (cannot read); BAD_FORMAT
 *         (malformed or inconsistent file, missing tensor); UNSUPPORTED (weight type or
 *         architecture); OUT_OF_MEMORY; CANCELLED (progress_fn returned non-zero).
 * Threads: any.
 */
GEMMA4_API gemma4_status gemma4_context_create(const char* path, const gemma4_context_params* params,
                                               gemma4_context** out);

/** Releases the caller's reference. NULL is a no-op. Sessions keep the context alive. */
GEMMA4_API void gemma4_context_free(gemma4_context* ctx);

/** Hyper-parameters and resources of a loaded model. Set struct_size before the call. */
typedef struct gemma4_model_info {
  uint32_t struct_size;       /**< in: sizeof(gemma4_model_info) */
  int32_t n_vocab;            /**< vocabulary size (262144 for Gemma 4 12B) */
  int32_t n_ctx_train;        /**< context length the model was trained for */
  int32_t n_embd;             /**< hidden size d */
  int32_t n_layer;
  int32_t n_head;             /**< query heads */
  int32_t n_head_kv_sliding;  /**< KV heads on sliding-window layers */
  int32_t n_head_kv_full;     /**< KV heads on full-attention layers */
  int32_t head_dim_sliding;
  int32_t head_dim_full;
  int32_t n_ff;               /**< MLP intermediate size */
  int32_t sliding_window;     /**< keys a sliding layer sees, including the current token */
  int32_t n_layer_full;       /**< number of full-attention layers */
  int32_t n_threads;          /**< threads the context computes with */
  int32_t has_vision;         /**< 1 if images and video frames can be given */
  int32_t has_audio;          /**< 1 if audio can be given */
  int32_t add_bos;            /**< 1 if the model's metadata asks for <bos> at the start of raw
                                   input (gemma4_session_append inserts it then) */
  int32_t reserved0;          /**< 0 */
  uint64_t n_params;          /**< parameters of the text decoder */
  uint64_t bytes_mapped;      /**< bytes of model files mapped or read */
  uint64_t bytes_weights;     /**< bytes of tensor data used by the decoder */
  const char* format;         /**< "gguf" or "safetensors"; owned by the context */
  const char* weight_type;    /**< main weight type, e.g. "Q4_0", "BF16", "mixed Q4_K/Q6_K" */
  const char* isa;            /**< kernel variant in use: "scalar", "avx2" or "avx512" */
} gemma4_model_info;

/**
 * Fills *info (up to info->struct_size bytes). Method of gemma4_context.
 * @return GEMMA4_OK; INVALID_ARGUMENT (NULL, struct_size too small). Threads: any.
 */
GEMMA4_API gemma4_status gemma4_context_info(const gemma4_context* ctx, gemma4_model_info* info);

/* ---------------------------------------------------------------------------------------------
 * Tokenizer
 * ------------------------------------------------------------------------------------------- */

/** Flags of gemma4_tokenize(). */
enum {
  GEMMA4_TOKENIZE_ADD_BOS = 1,       /**< prepend <bos> */
  GEMMA4_TOKENIZE_PARSE_SPECIAL = 2  /**< text such as "<|turn>" becomes that special token */
};

/**
 * Splits UTF-8 text into token ids. Method of gemma4_context.
 * @param text      UTF-8 (invalid bytes become byte tokens); len may be GEMMA4_NUL_TERMINATED.
 * @param tokens    output array of `capacity` ids; may be NULL when capacity is 0.
 * @param n_tokens  out: number of tokens of the text (also when the buffer is too small).
 * @return GEMMA4_OK; BUFFER_TOO_SMALL (nothing written beyond capacity; *n_tokens = needed);
 *         INVALID_ARGUMENT. Threads: any.
 */
GEMMA4_API gemma4_status gemma4_tokenize(const gemma4_context* ctx, const char* text, size_t len,
                                         int32_t flags, int32_t* tokens, size_t capacity,
                                         size_t* n_tokens);

/** Flags of gemma4_detokenize(). */
enum {
  GEMMA4_DETOKENIZE_RENDER_SPECIAL = 1 /**< write special tokens as their text ("<|turn>") */
};

/**
 * Joins tokens into text (the inverse of gemma4_tokenize for ordinary text). Control tokens
 * are omitted unless GEMMA4_DETOKENIZE_RENDER_SPECIAL. Writes a terminating NUL when room.
 * @param n_bytes  out: bytes of text, excluding the NUL (also when the buffer is too small).
 * @return GEMMA4_OK; BUFFER_TOO_SMALL (*n_bytes = needed, buffer must hold n_bytes + 1);
 *         INVALID_ARGUMENT (NULL, token id out of range). Threads: any.
 */
GEMMA4_API gemma4_status gemma4_detokenize(const gemma4_context* ctx, const int32_t* tokens,
                                           size_t n, int32_t flags, char* buf, size_t capacity,
                                           size_t* n_bytes);

/**
 * The raw bytes of one token ("▁the" gives " the"; byte tokens give one byte, which may be an
 * incomplete UTF-8 sequence; special tokens give their text). Same buffer rules as
 * gemma4_detokenize(). Threads: any.
 */
GEMMA4_API gemma4_status gemma4_token_to_piece(const gemma4_context* ctx, int32_t token, char* buf,
                                               size_t capacity, size_t* n_bytes);

/** Named special tokens (values fixed). */
typedef enum gemma4_special {
  GEMMA4_TOKEN_PAD = 0,
  GEMMA4_TOKEN_EOS = 1,
  GEMMA4_TOKEN_BOS = 2,
  GEMMA4_TOKEN_TURN_START = 3,    /**< <|turn> */
  GEMMA4_TOKEN_TURN_END = 4,      /**< <turn|> */
  GEMMA4_TOKEN_THINK = 5,         /**< <|think|> */
  GEMMA4_TOKEN_CHANNEL_START = 6, /**< <|channel> */
  GEMMA4_TOKEN_CHANNEL_END = 7,   /**< <channel|> */
  GEMMA4_TOKEN_IMAGE_START = 8,   /**< <|image> */
  GEMMA4_TOKEN_IMAGE_END = 9,     /**< <image|> */
  GEMMA4_TOKEN_AUDIO_START = 10,  /**< <|audio> */
  GEMMA4_TOKEN_AUDIO_END = 11,    /**< <audio|> */
  GEMMA4_TOKEN_TOOL_RESPONSE_START = 12 /**< <|tool_response> */
} gemma4_special;

/** Id of a named special token, or -1 if the vocabulary lacks it (or ctx is NULL). Threads: any. */
GEMMA4_API int32_t gemma4_special_token(const gemma4_context* ctx, gemma4_special which);

/** Id of the token whose vocabulary string is exactly `text` ("<|turn>", "▁the"), else -1. */
GEMMA4_API int32_t gemma4_token_lookup(const gemma4_context* ctx, const char* text);

/* ---------------------------------------------------------------------------------------------
 * Input: an ordered list of parts for one turn or raw append
 * ------------------------------------------------------------------------------------------- */

typedef struct gemma4_input gemma4_input;

/** Creates an empty input. @return GEMMA4_OK; INVALID_ARGUMENT (out NULL); OUT_OF_MEMORY. */
GEMMA4_API gemma4_status gemma4_input_create(gemma4_input** out);
/** Frees an input. NULL is a no-op. */
GEMMA4_API void gemma4_input_free(gemma4_input* input);
/** Removes all parts. */
GEMMA4_API gemma4_status gemma4_input_clear(gemma4_input* input);
/**
 * Appends UTF-8 text (copied). len may be GEMMA4_NUL_TERMINATED.
 * @return GEMMA4_OK; INVALID_ARGUMENT (NULL input or text). Threads: the input's owner.
 */
GEMMA4_API gemma4_status gemma4_input_add_text(gemma4_input* input, const char* text, size_t len);
/** Appends token ids as they are (copied; checked against the vocabulary when consumed). */
GEMMA4_API gemma4_status gemma4_input_add_tokens(gemma4_input* input, const int32_t* tokens, size_t n);

/*
 * Media parts. Images, audio and video frames are decoded (and images resized to their token
 * budget) when added, so a corrupt file fails here, with GEMMA4_ERR_BAD_FORMAT (corrupt or
 * truncated data), GEMMA4_ERR_UNSUPPORTED (valid but beyond the limits: more than 2^26 pixels or
 * 32768 px a side, more than one hour of audio, > 64 channels), GEMMA4_ERR_IO (file unreadable)
 * or GEMMA4_ERR_INVALID_ARGUMENT. A session given media needs a context with the matching
 * embedder (gemma4_model_info.has_vision / has_audio), else GEMMA4_ERR_UNSUPPORTED.
 *
 * Images: JPEG (baseline, progressive, grayscale, CMYK; EXIF orientation applied) or PNG (8/16
 * bit, palette, gray, alpha); alpha is composited on white. The image is resized, keeping its
 * aspect ratio, to the largest multiple-of-48 size with at most `max_tokens` 48x48 patches
 * (small images are enlarged): one soft token per patch, between <|image> and <image|>.
 * max_tokens: 70, 140, 280, 560 or 1120; 0 = 280. An image must fit in the session's n_batch.
 *
 * Audio: anything libsndfile reads (WAV, FLAC, OGG/Vorbis, ...), or PCM; mixed to mono and
 * resampled to 16 kHz. One soft token per 40 ms (640 samples, the tail zero-padded), between
 * <|audio> and <audio|>; audio longer than 30 s (750 tokens) becomes several such blocks.
 *
 * Video: consecutive video-frame parts form one video; each frame is rendered as its time
 * ("mm:ss"), a space, then <|image> + its soft tokens (<|video|>) + <image|>, frames separated by
 * a space. max_tokens per frame: as for images, 0 = 70. A video's soundtrack is an audio part.
 */
GEMMA4_API gemma4_status gemma4_input_add_image_file(gemma4_input* input, const char* path, int32_t max_tokens);
GEMMA4_API gemma4_status gemma4_input_add_image_encoded(gemma4_input* input, const void* data, size_t size,
                                                        int32_t max_tokens);
/** 8-bit pixels, channels 3 (RGB) or 4 (RGBA), rows `stride` bytes apart (>= width*channels). */
GEMMA4_API gemma4_status gemma4_input_add_image_rgb(gemma4_input* input, const uint8_t* pixels, int32_t width,
                                                    int32_t height, size_t stride, int32_t channels,
                                                    int32_t max_tokens);
GEMMA4_API gemma4_status gemma4_input_add_audio_file(gemma4_input* input, const char* path);
GEMMA4_API gemma4_status gemma4_input_add_audio_encoded(gemma4_input* input, const void* data, size_t size);

/** PCM sample formats (values fixed). */
enum { GEMMA4_PCM_F32 = 0, GEMMA4_PCM_S16 = 1 };
/** Interleaved PCM: n_frames x channels samples (float in [-1, 1] or int16), any rate 1000..768000. */
GEMMA4_API gemma4_status gemma4_input_add_audio_pcm(gemma4_input* input, const void* samples, size_t n_frames,
                                                    int32_t channels, int32_t sample_rate, int32_t format);
/** A video frame from JPEG/PNG bytes, at `timestamp_s` seconds (>= 0) from the video's start. */
GEMMA4_API gemma4_status gemma4_input_add_video_frame_encoded(gemma4_input* input, const void* data, size_t size,
                                                              double timestamp_s, int32_t max_tokens);
/** A video frame from pixels (as gemma4_input_add_image_rgb). */
GEMMA4_API gemma4_status gemma4_input_add_video_frame_rgb(gemma4_input* input, const uint8_t* pixels,
                                                          int32_t width, int32_t height, size_t stride,
                                                          int32_t channels, double timestamp_s, int32_t max_tokens);

/**
 * Number of tokens the input takes when given raw to gemma4_session_append (text tokenized,
 * media counted with their begin/end tokens), without running the model. A chat turn adds the
 * template's few tokens. Threads: any.
 */
GEMMA4_API gemma4_status gemma4_input_n_tokens(const gemma4_context* ctx, const gemma4_input* input,
                                               size_t* n_tokens);

/* ---------------------------------------------------------------------------------------------
 * Session: one conversation (KV cache, token history, sampler state)
 * ------------------------------------------------------------------------------------------- */

typedef struct gemma4_session gemma4_session;

typedef struct gemma4_session_params {
  uint32_t struct_size;   /**< sizeof(gemma4_session_params); set by the _default() macro */
  int32_t n_ctx;          /**< context length in tokens; 0 [default] = min(model's, 8192) */
  int32_t n_batch;        /**< prompt tokens per forward pass, 1..4096; 0 [default] = 512 */
  int32_t thinking;       /**< chat template: 1 = thinking on (<|think|>), 0 [default] = off */
  uint64_t seed;          /**< sampler seed; 0 [default] = 0x5eed (fixed: runs are repeatable) */
  int32_t parse_special;  /**< 1 [default]: special-token text in input text parts becomes the
                               special token (as chat templates do); 0: plain text */
  int32_t kv_type;        /**< KV cache element type: GEMMA4_KV_F16 [default, 0], GEMMA4_KV_BF16
                               or GEMMA4_KV_F32 (twice the memory, exact) */
  gemma4_progress_fn progress_fn; /**< NULL [default]; else called during prompt processing with
                                       the fraction done (per chunk of n_batch tokens); a non-zero
                                       return cancels like gemma4_session_cancel() */
  void* progress_user_data;
} gemma4_session_params;

/** KV cache element types (values fixed). */
enum { GEMMA4_KV_F16 = 0, GEMMA4_KV_BF16 = 1, GEMMA4_KV_F32 = 2 };

GEMMA4_API gemma4_status gemma4_session_params_init(gemma4_session_params* params, size_t struct_size);
#define gemma4_session_params_default(p) gemma4_session_params_init((p), sizeof *(p))

/**
 * Creates a session on a context (takes a reference to it). Constructor of gemma4_session.
 * Allocates the KV cache and scratch buffers up front: generation allocates nothing per token.
 * @param params NULL for defaults.
 * @return GEMMA4_OK; INVALID_ARGUMENT; OUT_OF_MEMORY. Threads: any.
 */
GEMMA4_API gemma4_status gemma4_session_create(gemma4_context* ctx, const gemma4_session_params* params,
                                               gemma4_session** out);
/** Frees a session. NULL is a no-op. Must not run concurrently with another call on it. */
GEMMA4_API void gemma4_session_free(gemma4_session* session);
/** Forgets everything (history, KV cache, chat state); keeps buffers. Threads: the owner. */
GEMMA4_API gemma4_status gemma4_session_reset(gemma4_session* session);

/** Chat roles (values fixed). */
typedef enum gemma4_role {
  GEMMA4_ROLE_SYSTEM = 0,
  GEMMA4_ROLE_USER = 1,
  GEMMA4_ROLE_MODEL = 2 /**< an earlier answer of the model (history); thoughts are stripped */
} gemma4_role;

/**
 * Adds one chat turn rendered with Gemma 4's template and runs it through the model (prefill).
 * The first call emits <bos>; a system turn (and, with thinking on, <|think|>) is only allowed
 * first. A model answer left open by gemma4_session_generate() is closed first, and its
 * thoughts are removed from the history as the template requires.
 * @return GEMMA4_OK; INVALID_ARGUMENT (NULL, bad role, system turn not first, bad token id);
 *         CONTEXT_FULL (the turn does not fit: the session is left as before the call);
 *         CANCELLED. Threads: the owner.
 */
GEMMA4_API gemma4_status gemma4_session_add_turn(gemma4_session* session, gemma4_role role,
                                                 const gemma4_input* input);

/**
 * Feeds input as is, without any template (prefill). If the session is empty and the model's
 * metadata asks for it (tokenizer.ggml.add_bos_token), <bos> is inserted first unless the input
 * already starts with it. An empty input only evaluates a token left pending by generate.
 * @return as gemma4_session_add_turn(). Threads: the owner.
 */
GEMMA4_API gemma4_status gemma4_session_append(gemma4_session* session, const gemma4_input* input);

/** Why generation stopped (values fixed). */
typedef enum gemma4_stop_reason {
  GEMMA4_STOP_NONE = 0,
  GEMMA4_STOP_EOS = 1,          /**< an end token (<eos>, <turn|>, <|tool_response>) */
  GEMMA4_STOP_STRING = 2,       /**< a stop string appeared */
  GEMMA4_STOP_MAX_TOKENS = 3,
  GEMMA4_STOP_CALLBACK = 4,     /**< the token callback returned non-zero */
  GEMMA4_STOP_CANCELLED = 5,
  GEMMA4_STOP_CONTEXT_FULL = 6
} gemma4_stop_reason;

/** A logit bias entry: logits[token] += bias (use -INFINITY to ban a token). */
typedef struct gemma4_logit_bias {
  int32_t token;
  float bias;
} gemma4_logit_bias;

typedef struct gemma4_generate_params {
  uint32_t struct_size;    /**< set by the _default() macro */
  int32_t max_tokens;      /**< tokens to generate at most; default 512; 0 = until the context is full */
  float temperature;       /**< 0 = greedy (argmax); default 1.0 (the IT model's) */
  int32_t top_k;           /**< keep the k most likely; default 64; 0 = off */
  float top_p;             /**< nucleus; default 0.95; 1 = off */
  float min_p;             /**< drop tokens below min_p * p(top); default 0 = off */
  float repeat_penalty;    /**< >1 penalises tokens of the last repeat_last_n; default 1 = off */
  int32_t repeat_last_n;   /**< window of repeat_penalty; default 64 */
  uint64_t seed;           /**< 0 [default] = continue the session's random stream; else reseed */
  const char* const* stop_strings; /**< generation stops when one appears (not delivered) */
  size_t n_stop_strings;
  const gemma4_logit_bias* logit_bias; /**< added to the logits before sampling */
  size_t n_logit_bias;
  int32_t render_special;  /**< 1: events carry the text of control tokens too ("<eos>");
                                0 [default]: control tokens have empty text (the id is still
                                given). User-defined special tokens ("<|channel>", tool tokens)
                                are always rendered, as the model uses them in its answers. */
  int32_t reserved0;       /**< must be 0 */
} gemma4_generate_params;

GEMMA4_API gemma4_status gemma4_generate_params_init(gemma4_generate_params* params, size_t struct_size);
#define gemma4_generate_params_default(p) gemma4_generate_params_init((p), sizeof *(p))

/** One streamed token. Pointers are valid during the callback only. */
typedef struct gemma4_token_event {
  uint32_t struct_size;    /**< sizeof(gemma4_token_event) of the library */
  int32_t token;           /**< sampled id */
  const char* text;        /**< complete UTF-8 only: bytes of an incomplete character are held
                                back and delivered with the token that completes it (an incomplete
                                character at the very end is dropped; invalid bytes become
                                U+FFFD); may be empty; NUL-terminated */
  size_t text_len;
  int32_t is_special;      /**< 1 for control and user-defined special tokens */
  int32_t n_generated;     /**< tokens generated so far in this call, this one included */
} gemma4_token_event;

/** Token callback, on the generating thread. Return non-zero to stop. It may call
 *  gemma4_session_cancel() but nothing else on the session. */
typedef int32_t (*gemma4_token_fn)(void* user_data, const gemma4_token_event* event);

/** Outcome of one gemma4_session_generate() call. Set struct_size before the call. */
typedef struct gemma4_generate_result {
  uint32_t struct_size;
  int32_t stop_reason;     /**< gemma4_stop_reason */
  int32_t n_generated;
  int32_t n_prompt;        /**< tokens prefilled by this call (the generation prompt) */
  double prefill_ms;       /**< time spent on pending prompt tokens */
  double decode_ms;        /**< time spent generating */
} gemma4_generate_result;

/**
 * Generates tokens, streaming each to on_token. After a user turn, the model turn is opened
 * first (<|turn>model\n, plus an empty thought block when thinking is off). Stops at an end
 * token, a stop string, max_tokens, a non-zero callback return, cancel, or a full context.
 * The generated tokens stay in the session's history.
 * @param on_token may be NULL (tokens are still generated and kept).
 * @param result   NULL or receives the outcome.
 * @return GEMMA4_OK for every normal stop (incl. max tokens, callback, stop string);
 *         CANCELLED; CONTEXT_FULL (nothing fits any more); INVALID_ARGUMENT (NULL, bad params,
 *         empty session). Threads: the owner.
 */
GEMMA4_API gemma4_status gemma4_session_generate(gemma4_session* session,
                                                 const gemma4_generate_params* params,
                                                 gemma4_token_fn on_token, void* user_data,
                                                 gemma4_generate_result* result);

/**
 * Asks the call running on the session (generate, add_turn, append) to stop at the next token
 * or prefill chunk boundary; it then returns GEMMA4_ERR_CANCELLED. Tokens already processed stay
 * in the session. If no call is running, nothing happens. Threads: any.
 */
GEMMA4_API gemma4_status gemma4_session_cancel(gemma4_session* session);

/**
 * Copies the logits of the last processed position (after the soft-cap, before sampling) into
 * out[capacity]. @param n_vocab out: the vocabulary size.
 * @return GEMMA4_OK; BUFFER_TOO_SMALL (capacity < vocab); INVALID_ARGUMENT (NULL, or no
 *         position processed yet). Threads: the owner.
 */
GEMMA4_API gemma4_status gemma4_session_logits(const gemma4_session* session, float* out,
                                               size_t capacity, size_t* n_vocab);

/** Tokens currently in the session's context, or -1 for NULL. Threads: the owner. */
GEMMA4_API int32_t gemma4_session_n_tokens(const gemma4_session* session);
/** The session's context length, or -1 for NULL. */
GEMMA4_API int32_t gemma4_session_n_ctx(const gemma4_session* session);
/** Bytes of the session's KV cache (allocated at creation), or -1 for NULL. */
GEMMA4_API int64_t gemma4_session_kv_bytes(const gemma4_session* session);
/**
 * Copies the session's token history (everything in its context) into out[capacity]; media soft
 * tokens appear as their placeholders (<|image|>, <|audio|>, <|video|>).
 * @return GEMMA4_OK; BUFFER_TOO_SMALL (*n_tokens = needed); INVALID_ARGUMENT.
 */
GEMMA4_API gemma4_status gemma4_session_tokens(const gemma4_session* session, int32_t* out,
                                               size_t capacity, size_t* n_tokens);

#ifdef __cplusplus
}
#endif

#endif /* GEMMA4_H */
