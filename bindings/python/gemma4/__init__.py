"""Python bindings of libgemma4 (Gemma 4 on the CPU), on ctypes: no compiler needed.

    import gemma4
    with gemma4.Model("model.gguf") as model:
        s = gemma4.Session(model)
        s.add_turn("user", "Why is the sky blue?")
        for piece in s.generate(max_tokens=200):
            print(piece, end="", flush=True)

    # Images and audio need the embedders: a GGUF model plus its projector file (mmproj),
    # or a Hugging Face folder that carries them.
    with gemma4.Model("model.gguf", mmproj="mmproj.gguf") as model:
        s = gemma4.Session(model, n_ctx=4096)
        s.add_turn("user", "What is in this picture?", images=["photo.jpg"])
        print("".join(s.generate(max_tokens=200)))

Every failing call raises Gemma4Error(status, message). The library is found through the
GEMMA4_LIBRARY environment variable, then next to this package or in the repository's build*
folders, then by the system loader.
"""
import array
import contextlib
import ctypes
import os
import queue
import threading
from collections import namedtuple

from . import _capi
from ._capi import KvType, LogLevel, Modality, Role, Special, Status, StopReason  # noqa: F401  (re-exported)

__all__ = ["Model", "Session", "Input", "Gemma4Error", "Status", "Role", "Special", "StopReason", "LogLevel",
           "Modality", "KvType", "Token", "GenerateResult", "version", "abi_version", "library_path"]

_lib, library_path = _capi.load_library()


class Gemma4Error(Exception):
    """A libgemma4 call failed. .status is a Status, .message the library's explanation."""

    def __init__(self, status, message):
        try:
            status = Status(status)
        except ValueError:
            pass  # a code appended by a newer library: keep the number
        self.status = status
        self.message = message
        super().__init__("%s: %s" % (_lib.gemma4_status_string(int(status)).decode(), message))


def _check(status):
    # last_error is per thread and valid until this thread's next call: read it first.
    if status != 0:
        raise Gemma4Error(status, _lib.gemma4_last_error().decode("utf-8", "replace"))


def version():
    return _lib.gemma4_version().decode()


def abi_version():
    return _lib.gemma4_abi_version()


if abi_version() != _capi.ABI_VERSION:
    raise ImportError("libgemma4 at %s has ABI %d, these bindings need ABI %d"
                      % (library_path, abi_version(), _capi.ABI_VERSION))


def _encode(text):
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _progress_callback(fn):
    """Wraps fn(fraction) -> truthy-to-cancel as a C progress callback (None stays NULL)."""
    if fn is None:
        return _capi.PROGRESS_FN()
    return _capi.PROGRESS_FN(lambda _ud, fraction: 1 if fn(fraction) else 0)


ModelInfo = namedtuple("ModelInfo", [name for name, _ in _capi.ModelInfo._fields_ if name != "struct_size"])
Token = namedtuple("Token", ["id", "text", "is_special"])
GenerateResult = namedtuple("GenerateResult", ["stop_reason", "n_generated", "n_prompt", "prefill_ms", "decode_ms"])


class Model:
    """A loaded model (gemma4_context): weights, tokenizer, thread pool.

    Model(path, n_threads=0, use_mmap=True, log=None, log_level=LogLevel.WARN, progress=None,
          mmproj=None, modalities=0)
      log(level, message) receives the library's log lines; progress(fraction) is called while
      loading and may return True to cancel (Gemma4Error with Status.ERR_CANCELLED).
      mmproj: the GGUF projector holding the image/audio embedders of a GGUF model (a Hugging
      Face folder carries them itself). modalities: Modality flags of the embedders to load;
      0 = all the files provide, Modality.TEXT = none. info.has_vision / has_audio tell.
    """

    def __init__(self, path, n_threads=0, use_mmap=True, log=None, log_level=LogLevel.WARN, progress=None,
                 mmproj=None, modalities=0):
        self._ctx = None
        params = _capi.ContextParams()
        _check(_lib.gemma4_context_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        params.n_threads = n_threads
        params.use_mmap = 1 if use_mmap else 0
        params.log_level = int(log_level)
        # The log callback lives as long as the context: keep it referenced (sessions keep a
        # reference to this Model for the same reason).
        self._log_cb = _capi.LOG_FN()
        if log is not None:
            self._log_cb = _capi.LOG_FN(lambda _ud, level, msg: log(level, msg.decode("utf-8", "replace")))
        params.log_fn = self._log_cb
        progress_cb = _progress_callback(progress)
        params.progress_fn = progress_cb
        mmproj_bytes = None if mmproj is None else _encode(os.fspath(mmproj))  # borrowed by the call
        params.mmproj_path = mmproj_bytes
        params.modalities = int(modalities)
        handle = ctypes.c_void_p()
        _check(_lib.gemma4_context_create(_encode(str(path)), ctypes.byref(params), ctypes.byref(handle)))
        self._ctx = handle
        info = _capi.ModelInfo()
        info.struct_size = ctypes.sizeof(info)
        _check(_lib.gemma4_context_info(self._ctx, ctypes.byref(info)))
        values = []
        for name in ModelInfo._fields:
            v = getattr(info, name)
            values.append(v.decode() if isinstance(v, bytes) else v)
        self.info = ModelInfo(*values)

    def _handle(self):
        if not self._ctx:
            raise Gemma4Error(Status.ERR_INVALID_ARGUMENT, "the Model is closed")
        return self._ctx

    def close(self):
        """Releases the model; open sessions keep it alive until they close."""
        if self._ctx:
            _lib.gemma4_context_free(self._ctx)
            self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_ctx", None):
            self.close()

    def tokenize(self, text, add_bos=False, parse_special=False):
        """Token ids of text (str or UTF-8 bytes)."""
        data = _encode(text)
        flags = (_capi.TOKENIZE_ADD_BOS if add_bos else 0) | (_capi.TOKENIZE_PARSE_SPECIAL if parse_special else 0)
        n = ctypes.c_size_t(0)
        cap = len(data) + 2  # a token covers at least one byte; + BOS; retried below if not enough
        while True:
            buf = (ctypes.c_int32 * cap)()
            st = _lib.gemma4_tokenize(self._handle(), data, len(data), flags, buf, cap, ctypes.byref(n))
            if st == Status.ERR_BUFFER_TOO_SMALL and n.value > cap:
                cap = n.value
                continue
            _check(st)
            return list(buf[:n.value])

    def detokenize(self, tokens, render_special=False):
        """Text of token ids (control tokens omitted unless render_special)."""
        ids = (ctypes.c_int32 * len(tokens))(*tokens)
        flags = _capi.DETOKENIZE_RENDER_SPECIAL if render_special else 0
        return self._bytes_call(lambda buf, cap, n: _lib.gemma4_detokenize(
            self._handle(), ids, len(tokens), flags, buf, cap, n)).decode("utf-8", "replace")

    def token_to_piece(self, token):
        """The raw bytes of one token (may be an incomplete UTF-8 sequence)."""
        return self._bytes_call(lambda buf, cap, n: _lib.gemma4_token_to_piece(self._handle(), token, buf, cap, n))

    @staticmethod
    def _bytes_call(call):
        cap = 256
        n = ctypes.c_size_t(0)
        while True:
            buf = ctypes.create_string_buffer(cap)
            st = call(buf, cap, ctypes.byref(n))
            if st == Status.ERR_BUFFER_TOO_SMALL and n.value + 1 > cap:
                cap = n.value + 1
                continue
            _check(st)
            return buf.raw[:n.value]

    def n_tokens(self, *parts):
        """Tokens the parts (an Input, or text / token lists) take when appended raw, counted
        without running the model (media with their begin/end tokens; no <bos>)."""
        n = ctypes.c_size_t(0)
        with _input_of(parts) as h:
            _check(_lib.gemma4_input_n_tokens(self._handle(), h, ctypes.byref(n)))
        return n.value

    def special_token(self, which):
        """Id of a named special token (Special.EOS, ...) or -1."""
        return _lib.gemma4_special_token(self._handle(), int(which))

    def token_lookup(self, text):
        """Id of the vocabulary entry exactly equal to text, or -1."""
        return _lib.gemma4_token_lookup(self._handle(), _encode(text))


_ROLES = {"system": Role.SYSTEM, "user": Role.USER, "model": Role.MODEL, "assistant": Role.MODEL}


def _as_bytes(data):
    """bytes of any buffer (bytes, bytearray, memoryview, array.array): the library copies
    media when they are added, so one copy here costs nothing extra in lifetime."""
    return data if isinstance(data, bytes) else memoryview(data).tobytes()


def _is_path(x):
    return isinstance(x, (str, os.PathLike))


_PCM_FORMATS = {"f32": (_capi.PCM_F32, 4), "s16": (_capi.PCM_S16, 2),
                _capi.PCM_F32: (_capi.PCM_F32, 4), _capi.PCM_S16: (_capi.PCM_S16, 2)}


class Input:
    """The parts of one turn or raw append (gemma4_input), in order.

        Input("text", [token ids], ...)            positional parts: str/bytes text, int lists
        .add_text(text) .add_tokens(ids)
        .add_image(image, max_tokens=0)            image: a path; encoded JPEG/PNG bytes; or
                                                   (width, height, pixels[, channels]) with 8-bit
                                                   RGB or RGBA pixels, rows packed
        .add_audio(audio)                          audio: a path; encoded bytes (WAV, FLAC, ...);
                                                   or (pcm, sample_rate, channels, "f32"|"s16")
                                                   with interleaved samples
        .add_video_frame(image, timestamp_s, max_tokens=0)
                                                   consecutive frames form one video
    Media are decoded when added: a corrupt file raises Gemma4Error(ERR_BAD_FORMAT) here.
    The add_* methods return the Input, so calls chain. Close it (or use `with`) when done;
    sessions copy what they need.
    """

    def __init__(self, *parts):
        self._h = ctypes.c_void_p()
        _check(_lib.gemma4_input_create(ctypes.byref(self._h)))
        try:
            for part in parts:
                if isinstance(part, (str, bytes)):
                    self.add_text(part)
                else:
                    self.add_tokens(part)
        except BaseException:
            self.close()
            raise

    def _handle(self):
        if not self._h:
            raise Gemma4Error(Status.ERR_INVALID_ARGUMENT, "the Input is closed")
        return self._h

    def add_text(self, text):
        data = _encode(text)
        _check(_lib.gemma4_input_add_text(self._handle(), data, len(data)))
        return self

    def add_tokens(self, ids):
        ids = list(ids)
        arr = (ctypes.c_int32 * len(ids))(*ids)
        _check(_lib.gemma4_input_add_tokens(self._handle(), arr, len(ids)))
        return self

    @staticmethod
    def _pixels(image):
        """(pixels bytes, width, height, stride, channels) of a (w, h, pixels[, channels]) tuple."""
        if len(image) not in (3, 4):
            raise TypeError("an image tuple is (width, height, pixels[, channels])")
        width, height, pixels = int(image[0]), int(image[1]), _as_bytes(image[2])
        if len(image) == 4:
            channels = int(image[3])
        else:
            channels = len(pixels) // (width * height) if width > 0 and height > 0 else 0
        if channels not in (3, 4) or len(pixels) != width * height * channels:
            raise ValueError("pixels: expected width*height*3 (RGB) or *4 (RGBA) bytes, got %d for %dx%d"
                             % (len(pixels), width, height))
        return pixels, width, height, width * channels, channels

    def add_image(self, image, max_tokens=0):
        """max_tokens: 70, 140, 280, 560 or 1120 soft tokens (0 = 280)."""
        h = self._handle()
        if _is_path(image):
            _check(_lib.gemma4_input_add_image_file(h, _encode(os.fspath(image)), max_tokens))
        elif isinstance(image, tuple):
            px, w, ht, stride, ch = self._pixels(image)
            _check(_lib.gemma4_input_add_image_rgb(h, px, w, ht, stride, ch, max_tokens))
        else:
            data = _as_bytes(image)
            _check(_lib.gemma4_input_add_image_encoded(h, data, len(data), max_tokens))
        return self

    def add_video_frame(self, image, timestamp_s, max_tokens=0):
        """A frame (encoded bytes or a pixel tuple as add_image) at timestamp_s seconds; 0 = 70 tokens."""
        h = self._handle()
        if _is_path(image):
            with open(image, "rb") as f:
                image = f.read()
        if isinstance(image, tuple):
            px, w, ht, stride, ch = self._pixels(image)
            _check(_lib.gemma4_input_add_video_frame_rgb(h, px, w, ht, stride, ch, float(timestamp_s), max_tokens))
        else:
            data = _as_bytes(image)
            _check(_lib.gemma4_input_add_video_frame_encoded(h, data, len(data), float(timestamp_s), max_tokens))
        return self

    def add_audio(self, audio):
        h = self._handle()
        if _is_path(audio):
            _check(_lib.gemma4_input_add_audio_file(h, _encode(os.fspath(audio))))
        elif isinstance(audio, tuple):
            if len(audio) != 4:
                raise TypeError('PCM audio is (samples, sample_rate, channels, "f32" | "s16")')
            pcm, rate, channels, fmt = _as_bytes(audio[0]), int(audio[1]), int(audio[2]), audio[3]
            if fmt not in _PCM_FORMATS:
                raise ValueError('PCM format: "f32" or "s16", got %r' % (fmt,))
            code, size = _PCM_FORMATS[fmt]
            if channels <= 0 or len(pcm) % (channels * size):
                raise ValueError("PCM: %d bytes is not a whole number of %d-channel frames" % (len(pcm), channels))
            _check(_lib.gemma4_input_add_audio_pcm(h, pcm, len(pcm) // (channels * size), channels, rate, code))
        else:
            data = _as_bytes(audio)
            _check(_lib.gemma4_input_add_audio_encoded(h, data, len(data)))
        return self

    def clear(self):
        _check(_lib.gemma4_input_clear(self._handle()))
        return self

    def close(self):
        if self._h:
            _lib.gemma4_input_free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()


@contextlib.contextmanager
def _input_of(parts):
    """The handle of parts given as one Input (borrowed), or of a temporary Input built from them."""
    if len(parts) == 1 and isinstance(parts[0], Input):
        yield parts[0]._handle()
        return
    with Input(*parts) as inp:
        yield inp._handle()


_DONE = object()
_QUEUE_TOKENS = 16  # tokens the generating thread may run ahead of the consumer


class Session:
    """One conversation (gemma4_session): KV cache, history, sampler state.

    Session(model, n_ctx=0, n_batch=0, thinking=False, seed=0, parse_special=True, progress=None,
            kv_type=KvType.F16)
    Use from one thread at a time; cancel() may be called from any thread.
    """

    def __init__(self, model, n_ctx=0, n_batch=0, thinking=False, seed=0, parse_special=True, progress=None,
                 kv_type=KvType.F16):
        self._s = None
        self._model = model  # keeps the Model's Python callbacks alive as long as the context
        params = _capi.SessionParams()
        _check(_lib.gemma4_session_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.thinking = 1 if thinking else 0
        params.seed = seed
        params.parse_special = 1 if parse_special else 0
        params.kv_type = int(kv_type)
        self._progress_cb = _progress_callback(progress)  # called on every prefill: keep alive
        params.progress_fn = self._progress_cb
        handle = ctypes.c_void_p()
        _check(_lib.gemma4_session_create(model._handle(), ctypes.byref(params), ctypes.byref(handle)))
        self._s = handle
        self.last_result = None  # GenerateResult of the last finished generate()

    def _handle(self):
        if not self._s:
            raise Gemma4Error(Status.ERR_INVALID_ARGUMENT, "the Session is closed")
        return self._s

    def close(self):
        if self._s:
            _lib.gemma4_session_free(self._s)
            self._s = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_s", None):
            self.close()

    # ---- input ----

    def add_turn(self, role, text="", images=(), audio=(), image_tokens=0):
        """Adds a chat turn (role "system", "user", "model" or a Role) and prefills it.

        text: str/bytes, or an Input with any parts (then images/audio must be empty).
        images, audio: lists as Input.add_image / add_audio take them; the turn is the images,
        then the audio, then the text. image_tokens: per image (70..1120, 0 = 280).
        """
        role = _ROLES[role] if isinstance(role, str) else Role(role)
        if isinstance(text, Input):
            if images or audio:
                raise TypeError("add_turn: give the media inside the Input, or text with images=/audio=")
            _check(_lib.gemma4_session_add_turn(self._handle(), int(role), text._handle()))
            return
        with Input() as inp:
            for image in images:
                inp.add_image(image, image_tokens)
            for clip in audio:
                inp.add_audio(clip)
            if text or not (images or audio):
                inp.add_text(text)
            _check(_lib.gemma4_session_add_turn(self._handle(), int(role), inp._handle()))

    def append(self, *parts):
        """Feeds text (str/bytes) and/or token id lists as they are, without the chat template;
        or one Input (any parts, media included)."""
        with _input_of(parts) as h:
            _check(_lib.gemma4_session_append(self._handle(), h))

    def reset(self):
        _check(_lib.gemma4_session_reset(self._handle()))

    def cancel(self):
        """Stops the running generate/add_turn/append (any thread)."""
        if self._s:
            _check(_lib.gemma4_session_cancel(self._s))

    # ---- generation ----

    def generate(self, max_tokens=None, temperature=None, top_k=None, top_p=None, min_p=None,
                 repeat_penalty=None, repeat_last_n=None, seed=None, stop=None, logit_bias=None,
                 render_special=False):
        """Generator of the answer's text pieces (str), yielded while the model generates.

        Unset arguments take the library's defaults. stop: list of stop strings; logit_bias:
        {token_id: bias} (float('-inf') bans a token). Leaving the loop early cancels the
        generation. The outcome is in .last_result afterwards.
        """
        tokens = self.generate_tokens(max_tokens, temperature, top_k, top_p, min_p, repeat_penalty,
                                      repeat_last_n, seed, stop, logit_bias, render_special)
        with contextlib.closing(tokens):  # leaving early closes the inner stream now, which cancels
            for tok in tokens:
                if tok.text:
                    yield tok.text

    def generate_tokens(self, max_tokens=None, temperature=None, top_k=None, top_p=None, min_p=None,
                        repeat_penalty=None, repeat_last_n=None, seed=None, stop=None, logit_bias=None,
                        render_special=False):
        """Like generate(), but yields Token(id, text, is_special) for every token."""
        params = _capi.GenerateParams()
        _check(_lib.gemma4_generate_params_init(ctypes.byref(params), ctypes.sizeof(params)))
        for name, value in (("max_tokens", max_tokens), ("temperature", temperature), ("top_k", top_k),
                            ("top_p", top_p), ("min_p", min_p), ("repeat_penalty", repeat_penalty),
                            ("repeat_last_n", repeat_last_n), ("seed", seed)):
            if value is not None:
                setattr(params, name, value)
        params.render_special = 1 if render_special else 0
        # Borrowed by the call only; these locals outlive it because the thread is joined below.
        stops = [_encode(s) for s in (stop or [])]
        stop_arr = (ctypes.c_char_p * len(stops))(*stops)
        if stops:
            params.stop_strings = stop_arr
            params.n_stop_strings = len(stops)
        bias = list((logit_bias or {}).items())
        bias_arr = (_capi.LogitBias * len(bias))(*[_capi.LogitBias(t, b) for t, b in bias])
        if bias:
            params.logit_bias = bias_arr
            params.n_logit_bias = len(bias)
        return self._stream(params, (stop_arr, bias_arr))

    def _stream(self, params, keepalive):
        # gemma4_session_generate blocks until the end, so it runs on a worker thread whose
        # token callback feeds a queue; this generator yields from the queue as tokens arrive.
        # The worker is the only thread touching the session meanwhile (one thread at a time).
        # The queue is bounded so a slow consumer holds generation back instead of buffering
        # the whole answer: the generator really streams.
        q = queue.Queue(maxsize=_QUEUE_TOKENS)
        abandon = threading.Event()
        handle = self._handle()

        def on_token(_ud, ev_ptr):
            if abandon.is_set():
                return 1  # the consumer left: stop generating
            ev = ev_ptr.contents
            text = ctypes.string_at(ev.text, ev.text_len).decode("utf-8", "replace") if ev.text_len else ""
            q.put(Token(ev.token, text, bool(ev.is_special)))
            return 0

        callback = _capi.TOKEN_FN(on_token)
        result = _capi.GenerateResult()
        result.struct_size = ctypes.sizeof(result)

        def work():
            try:
                st = _lib.gemma4_session_generate(handle, ctypes.byref(params), callback, None, ctypes.byref(result))
                # Read the message on this thread: gemma4_last_error() is per thread.
                q.put(Gemma4Error(st, _lib.gemma4_last_error().decode("utf-8", "replace")) if st else _DONE)
            except BaseException as e:  # noqa: BLE001 -- handed to the consumer
                q.put(e)

        worker = threading.Thread(target=work, name="gemma4-generate", daemon=True)
        worker.start()
        finished = False
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    finished = True
                    break
                if isinstance(item, BaseException):
                    finished = True
                    raise item
                yield item
        finally:
            if not finished:  # the consumer left early (break, exception, close()): stop the worker
                abandon.set()
                _lib.gemma4_session_cancel(handle)
                while worker.is_alive():  # drain so a put() blocked on the full queue returns
                    try:
                        q.get(timeout=0.05)
                    except queue.Empty:
                        pass
            worker.join()
            del keepalive  # the arrays params points into may go only now
            try:
                reason = StopReason(result.stop_reason)
            except ValueError:
                reason = result.stop_reason
            self.last_result = GenerateResult(reason, result.n_generated, result.n_prompt, result.prefill_ms,
                                              result.decode_ms)

    def chat(self, text, images=(), audio=(), **generate_args):
        """Adds a user turn (with optional media, as add_turn) and returns the whole answer."""
        self.add_turn(Role.USER, text, images=images, audio=audio)
        return "".join(self.generate(**generate_args))

    # ---- state ----

    def logits(self):
        """Logits of the last processed position: array('f') of n_vocab floats."""
        n = ctypes.c_size_t(0)
        st = _lib.gemma4_session_logits(self._handle(), None, 0, ctypes.byref(n))
        if st != Status.ERR_BUFFER_TOO_SMALL:
            _check(st)
        out = array.array("f", bytes(4 * n.value))
        addr, _ = out.buffer_info()
        _check(_lib.gemma4_session_logits(self._handle(), ctypes.cast(addr, ctypes.POINTER(ctypes.c_float)),
                                          len(out), ctypes.byref(n)))
        return out

    @property
    def n_tokens(self):
        return _lib.gemma4_session_n_tokens(self._handle())

    @property
    def n_ctx(self):
        return _lib.gemma4_session_n_ctx(self._handle())

    @property
    def kv_bytes(self):
        """Bytes of the KV cache (allocated when the session was created)."""
        return _lib.gemma4_session_kv_bytes(self._handle())

    def tokens(self):
        """Token history of the session (everything in its context)."""
        n = self.n_tokens
        buf = (ctypes.c_int32 * max(n, 1))()
        count = ctypes.c_size_t(0)
        _check(_lib.gemma4_session_tokens(self._handle(), buf, n, ctypes.byref(count)))
        return list(buf[:count.value])
