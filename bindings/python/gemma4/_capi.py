"""ctypes mirror of include/gemma4.h: every type, constant and function, nothing more.

Kept in the header's order so the two are easy to compare. Structs carry `struct_size` first;
the Pythonic layer fills them through the *_init functions with ctypes.sizeof, which is what the
header's *_default() macros do in C.
"""
import ctypes
import ctypes.util
import enum
import glob
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int32,
                    c_size_t, c_uint32, c_uint64, c_void_p)

ABI_VERSION = 0  # GEMMA4_ABI_VERSION of the header these declarations follow
NUL_TERMINATED = ctypes.c_size_t(-1).value


# ---- status codes and enums (values fixed by the header) ----

class Status(enum.IntEnum):
    OK = 0
    ERR_INVALID_ARGUMENT = 1
    ERR_IO = 2
    ERR_BAD_FORMAT = 3
    ERR_UNSUPPORTED = 4
    ERR_OUT_OF_MEMORY = 5
    ERR_CONTEXT_FULL = 6
    ERR_CANCELLED = 7
    ERR_INTERNAL = 8
    ERR_BUFFER_TOO_SMALL = 9


class LogLevel(enum.IntEnum):
    ERROR = 0
    WARN = 1
    INFO = 2
    DEBUG = 3


TOKENIZE_ADD_BOS = 1
TOKENIZE_PARSE_SPECIAL = 2
DETOKENIZE_RENDER_SPECIAL = 1


class Special(enum.IntEnum):
    PAD = 0
    EOS = 1
    BOS = 2
    TURN_START = 3
    TURN_END = 4
    THINK = 5
    CHANNEL_START = 6
    CHANNEL_END = 7
    IMAGE_START = 8
    IMAGE_END = 9
    AUDIO_START = 10
    AUDIO_END = 11
    TOOL_RESPONSE_START = 12


class Modality(enum.IntFlag):
    TEXT = 1
    IMAGE = 2
    AUDIO = 4


PCM_F32 = 0
PCM_S16 = 1


class KvType(enum.IntEnum):
    F16 = 0
    BF16 = 1
    F32 = 2


class Role(enum.IntEnum):
    SYSTEM = 0
    USER = 1
    MODEL = 2


class StopReason(enum.IntEnum):
    NONE = 0
    EOS = 1
    STRING = 2
    MAX_TOKENS = 3
    CALLBACK = 4
    CANCELLED = 5
    CONTEXT_FULL = 6


# ---- callbacks ----

LOG_FN = CFUNCTYPE(None, c_void_p, c_int32, c_char_p)
PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_float)


# ---- structs ----

class ContextParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("n_threads", c_int32),
        ("use_mmap", c_int32),
        ("log_level", c_int32),
        ("log_fn", LOG_FN),
        ("log_user_data", c_void_p),
        ("progress_fn", PROGRESS_FN),
        ("progress_user_data", c_void_p),
        ("mmproj_path", c_char_p),
        ("modalities", c_uint32),
        ("reserved0", c_int32),
    ]


class ModelInfo(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("n_vocab", c_int32),
        ("n_ctx_train", c_int32),
        ("n_embd", c_int32),
        ("n_layer", c_int32),
        ("n_head", c_int32),
        ("n_head_kv_sliding", c_int32),
        ("n_head_kv_full", c_int32),
        ("head_dim_sliding", c_int32),
        ("head_dim_full", c_int32),
        ("n_ff", c_int32),
        ("sliding_window", c_int32),
        ("n_layer_full", c_int32),
        ("n_threads", c_int32),
        ("has_vision", c_int32),
        ("has_audio", c_int32),
        ("add_bos", c_int32),
        ("reserved0", c_int32),
        ("n_params", c_uint64),
        ("bytes_mapped", c_uint64),
        ("bytes_weights", c_uint64),
        ("format", c_char_p),
        ("weight_type", c_char_p),
        ("isa", c_char_p),
    ]


class SessionParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("n_ctx", c_int32),
        ("n_batch", c_int32),
        ("thinking", c_int32),
        ("seed", c_uint64),
        ("parse_special", c_int32),
        ("kv_type", c_int32),
        ("progress_fn", PROGRESS_FN),
        ("progress_user_data", c_void_p),
    ]


class LogitBias(Structure):
    _fields_ = [("token", c_int32), ("bias", c_float)]


class GenerateParams(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("max_tokens", c_int32),
        ("temperature", c_float),
        ("top_k", c_int32),
        ("top_p", c_float),
        ("min_p", c_float),
        ("repeat_penalty", c_float),
        ("repeat_last_n", c_int32),
        ("seed", c_uint64),
        ("stop_strings", POINTER(c_char_p)),
        ("n_stop_strings", c_size_t),
        ("logit_bias", POINTER(LogitBias)),
        ("n_logit_bias", c_size_t),
        ("render_special", c_int32),
        ("reserved0", c_int32),
    ]


class TokenEvent(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("token", c_int32),
        ("text", POINTER(c_char)),  # not c_char_p: text_len bytes, may hold no NUL-free prefix
        ("text_len", c_size_t),
        ("is_special", c_int32),
        ("n_generated", c_int32),
    ]


class GenerateResult(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("stop_reason", c_int32),
        ("n_generated", c_int32),
        ("n_prompt", c_int32),
        ("prefill_ms", c_double),
        ("decode_ms", c_double),
    ]


TOKEN_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(TokenEvent))


# ---- the shared library ----

def _candidates():
    """Where libgemma4 is looked for, in order (see README.md)."""
    env = os.environ.get("GEMMA4_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is never silently replaced by another library
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (here, os.path.dirname(here)):
        for name in ("libgemma4.so.%d" % ABI_VERSION, "libgemma4.so"):
            yield os.path.join(d, name)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))  # bindings/python/gemma4 -> repo
    for d in sorted(glob.glob(os.path.join(repo, "build*"))):
        yield os.path.join(d, "libgemma4.so.%d" % ABI_VERSION)
    found = ctypes.util.find_library("gemma4")
    yield found or "libgemma4.so.%d" % ABI_VERSION


def load_library():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append("%s: not found" % path)
            continue
        try:
            return _declare(ctypes.CDLL(path)), path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    raise OSError("libgemma4 not found (set GEMMA4_LIBRARY to its path); tried:\n  " + "\n  ".join(errors))


def _declare(lib):
    """Sets argtypes/restype of every function of the header on `lib`."""
    st = c_int32  # gemma4_status
    ctx, sess, inp = c_void_p, c_void_p, c_void_p
    P = POINTER
    sig = {
        "gemma4_version": (c_char_p, []),
        "gemma4_version_number": (c_int32, []),
        "gemma4_abi_version": (c_int32, []),
        "gemma4_status_string": (c_char_p, [c_int32]),
        "gemma4_last_error": (c_char_p, []),
        "gemma4_context_params_init": (st, [P(ContextParams), c_size_t]),
        "gemma4_context_create": (st, [c_char_p, P(ContextParams), P(c_void_p)]),
        "gemma4_context_free": (None, [ctx]),
        "gemma4_context_info": (st, [ctx, P(ModelInfo)]),
        "gemma4_tokenize": (st, [ctx, c_char_p, c_size_t, c_int32, P(c_int32), c_size_t, P(c_size_t)]),
        "gemma4_detokenize": (st, [ctx, P(c_int32), c_size_t, c_int32, c_char_p, c_size_t, P(c_size_t)]),
        "gemma4_token_to_piece": (st, [ctx, c_int32, c_char_p, c_size_t, P(c_size_t)]),
        "gemma4_special_token": (c_int32, [ctx, c_int32]),
        "gemma4_token_lookup": (c_int32, [ctx, c_char_p]),
        "gemma4_input_create": (st, [P(c_void_p)]),
        "gemma4_input_free": (None, [inp]),
        "gemma4_input_clear": (st, [inp]),
        "gemma4_input_add_text": (st, [inp, c_char_p, c_size_t]),
        "gemma4_input_add_tokens": (st, [inp, P(c_int32), c_size_t]),
        "gemma4_input_add_image_file": (st, [inp, c_char_p, c_int32]),
        "gemma4_input_add_image_encoded": (st, [inp, c_void_p, c_size_t, c_int32]),
        "gemma4_input_add_image_rgb": (st, [inp, c_void_p, c_int32, c_int32, c_size_t, c_int32, c_int32]),
        "gemma4_input_add_audio_file": (st, [inp, c_char_p]),
        "gemma4_input_add_audio_encoded": (st, [inp, c_void_p, c_size_t]),
        "gemma4_input_add_audio_pcm": (st, [inp, c_void_p, c_size_t, c_int32, c_int32, c_int32]),
        "gemma4_input_add_video_frame_encoded": (st, [inp, c_void_p, c_size_t, c_double, c_int32]),
        "gemma4_input_add_video_frame_rgb": (st, [inp, c_void_p, c_int32, c_int32, c_size_t, c_int32, c_double,
                                                  c_int32]),
        "gemma4_input_n_tokens": (st, [ctx, inp, P(c_size_t)]),
        "gemma4_session_params_init": (st, [P(SessionParams), c_size_t]),
        "gemma4_session_create": (st, [ctx, P(SessionParams), P(c_void_p)]),
        "gemma4_session_free": (None, [sess]),
        "gemma4_session_reset": (st, [sess]),
        "gemma4_session_add_turn": (st, [sess, c_int32, inp]),
        "gemma4_session_append": (st, [sess, inp]),
        "gemma4_generate_params_init": (st, [P(GenerateParams), c_size_t]),
        "gemma4_session_generate": (st, [sess, P(GenerateParams), TOKEN_FN, c_void_p, P(GenerateResult)]),
        "gemma4_session_cancel": (st, [sess]),
        "gemma4_session_logits": (st, [sess, P(c_float), c_size_t, P(c_size_t)]),
        "gemma4_session_n_tokens": (c_int32, [sess]),
        "gemma4_session_n_ctx": (c_int32, [sess]),
        "gemma4_session_kv_bytes": (ctypes.c_int64, [sess]),
        "gemma4_session_tokens": (st, [sess, P(c_int32), c_size_t, P(c_size_t)]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)  # AttributeError here = the library lacks a function of the header
        fn.restype = restype
        fn.argtypes = argtypes
    return lib
