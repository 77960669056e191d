"""Tests of the ctypes bindings (bindings/python/gemma4) on a generated small model.

    GEMMA4_TEST_MODEL=model.gguf GEMMA4_LIBRARY=build/libgemma4.so.0 \
    GEMMA4_TEST_MMPROJ=mmproj.gguf GEMMA4_TEST_MEDIA=media_dir /usr/bin/python3 tests/python/test_bindings.py

ctest generates the model, its projector (make_model.py --mmproj) and the media (make_media.py)
first (fixtures tools_model, tools_media) and sets the variables. Stdlib only.
"""
import array
import math
import os
import struct
import sys
import tempfile
import threading
import unittest
import wave
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import gemma4  # noqa: E402

MODEL = os.environ.get("GEMMA4_TEST_MODEL", "")
MMPROJ = os.environ.get("GEMMA4_TEST_MMPROJ", "")
MEDIA = os.environ.get("GEMMA4_TEST_MEDIA", "")
PROMPT = "Write a short story about a robot."
N_GEN = 48


def no_end_tokens(model):
    """Greedy runs of a random model may hit an end token at once; banning them makes every run
    generate exactly N_GEN tokens, so "several pieces" is guaranteed."""
    ids = [model.special_token(s) for s in (gemma4.Special.EOS, gemma4.Special.TURN_END,
                                              gemma4.Special.TOOL_RESPONSE_START)]
    return {i: float("-inf") for i in ids if i >= 0}


@unittest.skipUnless(MODEL and os.path.exists(MODEL), "GEMMA4_TEST_MODEL not set or missing")
class BindingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = gemma4.Model(MODEL, n_threads=2)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def greedy(self, **kw):
        args = dict(max_tokens=N_GEN, temperature=0, logit_bias=no_end_tokens(self.model))
        args.update(kw)
        return args

    def test_versions_match_header(self):
        self.assertEqual(gemma4.abi_version(), gemma4._capi.ABI_VERSION)
        self.assertRegex(gemma4.version(), r"^\d+\.\d+\.\d+")

    def test_info(self):
        info = self.model.info
        self.assertGreater(info.n_vocab, 256)  # at least the byte tokens plus specials
        self.assertGreater(info.n_layer, 0)
        self.assertEqual(info.format, "gguf")
        self.assertIn(info.isa, ("scalar", "avx2", "avx512"))

    def test_tokenize_round_trip(self):
        for text in ("Hello world! How are you today?", "def add(a, b):\n    return a + b\n",
                     "caf\u00e9 \u65e5\u672c \U0001f600", " leading and trailing spaces  "):
            ids = self.model.tokenize(text)
            self.assertTrue(ids)
            self.assertTrue(all(0 <= i < self.model.info.n_vocab for i in ids))
            self.assertEqual(self.model.detokenize(ids), text)

    def test_tokenize_flags(self):
        bos = self.model.special_token(gemma4.Special.BOS)
        self.assertEqual(self.model.tokenize("hi", add_bos=True)[0], bos)
        turn = self.model.special_token(gemma4.Special.TURN_START)
        self.assertEqual(self.model.tokenize("<|turn>", parse_special=True), [turn])
        self.assertNotEqual(self.model.tokenize("<|turn>"), [turn])  # plain text otherwise
        self.assertEqual(self.model.token_lookup("<|turn>"), turn)

    def test_streaming_pieces_join_to_full_text(self):
        s = gemma4.Session(self.model, n_ctx=256)
        s.add_turn("user", PROMPT)
        n_before = s.n_tokens
        stream = s.generate(**self.greedy())
        first = next(stream)
        # Streaming: the first piece arrives while the worker is still generating (it can run
        # at most the queue's 16 tokens ahead of this consumer, and N_GEN = 48).
        self.assertTrue(any(t.name == "gemma4-generate" and t.is_alive() for t in threading.enumerate()))
        self.assertIsNone(s.last_result)
        pieces = [first] + list(stream)
        self.assertGreaterEqual(len(pieces), 3)
        self.assertEqual(s.last_result.n_generated, N_GEN)
        self.assertEqual(s.last_result.stop_reason, gemma4.StopReason.MAX_TOKENS)
        generated = s.tokens()[n_before:]
        self.assertGreaterEqual(len(generated), N_GEN)  # plus the model-turn opener

        # The same greedy run again, token by token: the streamed text is the detokenized text
        # of the generated tokens (byte tokens of one character arrive as one piece).
        s2 = gemma4.Session(self.model, n_ctx=256)
        s2.add_turn("user", PROMPT)
        toks = list(s2.generate_tokens(**self.greedy()))
        self.assertEqual(len(toks), N_GEN)
        self.assertEqual("".join(pieces), "".join(t.text for t in toks))
        # The stream holds back the bytes of an unfinished character until the token that
        # completes it; when generation stops inside one (random weights emit byte tokens),
        # those up-to-3 bytes are not delivered, while detokenize shows them as U+FFFD.
        full = self.model.detokenize([t.id for t in toks])
        joined = "".join(pieces)
        self.assertTrue(full.startswith(joined), (full, joined))
        self.assertLessEqual(len(full) - len(joined), 3)
        self.assertTrue(set(full[len(joined):]) <= {"\ufffd"}, full[len(joined):])

    def test_greedy_is_deterministic(self):
        outs = []
        for _ in range(2):
            with gemma4.Session(self.model, n_ctx=256) as s:
                outs.append((s.chat(PROMPT, **self.greedy()), s.tokens()))
        self.assertEqual(outs[0], outs[1])
        self.assertTrue(outs[0][0])

    def test_leaving_the_stream_early_stops_generation(self):
        s = gemma4.Session(self.model, n_ctx=512)
        s.add_turn("user", PROMPT)
        n_before = s.n_tokens
        for i, _ in enumerate(s.generate(**self.greedy(max_tokens=400))):
            if i == 1:
                break
        self.assertIn(s.last_result.stop_reason, (gemma4.StopReason.CANCELLED, gemma4.StopReason.CALLBACK))
        self.assertLess(s.n_tokens - n_before, 400)
        answer = s.chat("And then?", **self.greedy(max_tokens=4))  # the session is still usable
        self.assertEqual(s.last_result.n_generated, 4)
        self.assertIsInstance(answer, str)

    def test_missing_file_raises_io_error_naming_the_path(self):
        path = "/nonexistent/dir/no-such-model.gguf"
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            gemma4.Model(path)
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_IO)
        self.assertIn(path, cm.exception.message)
        self.assertIn(path, str(cm.exception))

    def test_logits_shape(self):
        s = gemma4.Session(self.model, n_ctx=128)
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            s.logits()  # nothing processed yet
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_INVALID_ARGUMENT)
        s.append(PROMPT)
        logits = s.logits()
        self.assertEqual(len(logits), self.model.info.n_vocab)
        self.assertTrue(all(math.isfinite(x) for x in logits))
        self.assertGreater(max(logits) - min(logits), 0)  # not a constant vector

    def test_append_tokens_and_raw_text(self):
        s = gemma4.Session(self.model, n_ctx=128)
        ids = self.model.tokenize("Hello world")
        s.append(ids)
        hist = s.tokens()
        self.assertEqual(hist[-len(ids):], ids)
        self.assertEqual(s.n_tokens, len(hist))
        self.assertEqual(s.n_ctx, 128)

    def test_kv_types(self):
        sizes = {}
        for kv in (gemma4.KvType.F16, gemma4.KvType.BF16, gemma4.KvType.F32):
            with gemma4.Session(self.model, n_ctx=128, kv_type=kv) as s:
                sizes[kv] = s.kv_bytes
                s.append("Hello world")
                self.assertTrue(all(math.isfinite(x) for x in s.logits()))
        self.assertGreater(sizes[gemma4.KvType.F16], 0)
        self.assertEqual(sizes[gemma4.KvType.F16], sizes[gemma4.KvType.BF16])
        self.assertEqual(sizes[gemma4.KvType.F32], 2 * sizes[gemma4.KvType.F16])  # 4 vs 2 bytes an element
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            gemma4.Session(self.model, n_ctx=128, kv_type=7)
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_INVALID_ARGUMENT)

    def test_context_full(self):
        s = gemma4.Session(self.model, n_ctx=16)
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            s.append(" ".join(["word"] * 64))
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_CONTEXT_FULL)
        self.assertEqual(s.n_tokens, 0)  # left as before the call


def test_pixels(w, h, channels, seed=0):
    """Deterministic textured 8-bit pixels (rows packed). Texture matters: a flat patch has zero
    variance and the embedder's first LayerNorm turns that into noise-sized differences."""
    out = bytearray()
    for y in range(h):
        for x in range(w):
            for c in range(channels):
                out.append(255 if c == 3 else (x * (7 + c) + y * (13 - 2 * c) + seed * 31 + (x * y) % 17) % 256)
    return bytes(out)


def png_of(pixels, w, h, channels):
    """A PNG (filter 0 rows) of packed RGB / RGBA pixels, written with zlib only."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\0" + pixels[y * w * channels:(y + 1) * w * channels] for y in range(h))
    color = {3: 2, 4: 6}[channels]
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def tone_s16(n, rate=16000):
    """n frames of a mono 16-bit chirp, as little-endian bytes."""
    return b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * (300 + 0.05 * i) * i / rate)))
                    for i in range(n))


def wav_of(pcm, rate=16000, channels=1):
    with tempfile.SpooledTemporaryFile() as f:
        with wave.open(f, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(pcm)
        f.seek(0)
        return f.read()


@unittest.skipUnless(MODEL and MMPROJ and os.path.exists(MODEL) and os.path.exists(MMPROJ),
                     "GEMMA4_TEST_MODEL / GEMMA4_TEST_MMPROJ not set or missing")
class MediaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = gemma4.Model(MODEL, n_threads=2, mmproj=MMPROJ)
        cls.text_model = gemma4.Model(MODEL, n_threads=2)
        m = cls.model
        cls.ids = {name: m.token_lookup(name) for name in ("<|image|>", "<|audio|>", "<|video|>")}
        cls.image_start = m.special_token(gemma4.Special.IMAGE_START)
        cls.image_end = m.special_token(gemma4.Special.IMAGE_END)
        cls.audio_start = m.special_token(gemma4.Special.AUDIO_START)
        cls.audio_end = m.special_token(gemma4.Special.AUDIO_END)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        cls.text_model.close()

    def media(self, name):
        path = os.path.join(MEDIA, name)
        if not (MEDIA and os.path.exists(path)):
            self.skipTest("GEMMA4_TEST_MEDIA not set or lacks " + name)
        return path

    def appended(self, inp, model=None):
        """(session tokens, logits) after appending inp to a fresh session."""
        with gemma4.Session(model or self.model, n_ctx=512, n_batch=512) as s:
            s.append(inp)
            return s.tokens(), s.logits()

    def test_info_and_modalities(self):
        self.assertEqual((self.model.info.has_vision, self.model.info.has_audio), (1, 1))
        self.assertEqual((self.text_model.info.has_vision, self.text_model.info.has_audio), (0, 0))
        with gemma4.Model(MODEL, n_threads=1, mmproj=MMPROJ, modalities=gemma4.Modality.IMAGE) as m:
            self.assertEqual((m.info.has_vision, m.info.has_audio), (1, 0))
        with gemma4.Model(MODEL, n_threads=1, mmproj=MMPROJ, modalities=gemma4.Modality.TEXT) as m:
            self.assertEqual((m.info.has_vision, m.info.has_audio), (0, 0))
            # Text-only: the projector is not mapped, so fewer bytes than with it.
            self.assertLess(m.info.bytes_mapped, self.model.info.bytes_mapped)

    def test_image_and_audio_turn_generates(self):
        s = gemma4.Session(self.model, n_ctx=512)
        w, h = 96, 64
        s.add_turn("user", "Describe this.", images=[png_of(test_pixels(w, h, 3), w, h, 3)],
                   audio=[(tone_s16(1600), 16000, 1, "s16")], image_tokens=70)
        hist = s.tokens()
        # The grid size is the library's choice (tested exactly for squares below); here the
        # structure: <|image> n x <|image|> <image|> ... <|audio> 3 x <|audio|> <audio|>
        # (1600 samples / 640 per token -> 3, the tail zero-padded).
        i0 = hist.index(self.image_start)
        n_img = hist.count(self.ids["<|image|>"])
        self.assertTrue(1 <= n_img <= 70, n_img)
        self.assertEqual(hist[i0 + 1:i0 + 1 + n_img], [self.ids["<|image|>"]] * n_img)
        self.assertEqual(hist[i0 + 1 + n_img], self.image_end)
        a0 = hist.index(self.audio_start)
        self.assertGreater(a0, i0)  # images first, then audio, then the text
        self.assertEqual(hist[a0 + 1:a0 + 5], [self.ids["<|audio|>"]] * 3 + [self.audio_end])
        answer = "".join(s.generate(max_tokens=8, temperature=0, logit_bias=no_end_tokens(self.model)))
        self.assertIsInstance(answer, str)
        self.assertEqual(s.last_result.n_generated, 8)

    def test_square_image_token_budgets(self):
        # A square image keeps k x k patches with k = floor(sqrt(budget)) (the largest square
        # grid within the budget), plus <|image> and <image|>.
        px = test_pixels(200, 200, 3)
        for budget, k in ((70, 8), (140, 11), (280, 16), (560, 23), (1120, 33)):
            with gemma4.Input().add_image((200, 200, px), budget) as inp:
                self.assertEqual(self.model.n_tokens(inp), k * k + 2, budget)
        with gemma4.Input().add_image((200, 200, px)) as inp:  # 0 = the default, 280
            self.assertEqual(self.model.n_tokens(inp), 16 * 16 + 2)

    def test_n_tokens_matches_the_session_after_append(self):
        w, h = 120, 80
        frame = png_of(test_pixels(w, h, 3, seed=3), w, h, 3)
        inputs = [
            gemma4.Input("A picture: ").add_image(png_of(test_pixels(w, h, 3), w, h, 3), 140).add_text(" ok"),
            gemma4.Input().add_audio(wav_of(tone_s16(5000))).add_text("transcribe"),
            gemma4.Input("clip:").add_video_frame(frame, 0.0).add_video_frame((w, h, test_pixels(w, h, 3, 4)), 1.0)
                                 .add_audio((tone_s16(3200), 16000, 1, "s16")).add_text("what happens?"),
        ]
        bos = 1 if self.model.info.add_bos else 0
        for inp in inputs:
            with inp:
                n = self.model.n_tokens(inp)
                with gemma4.Session(self.model, n_ctx=512) as s:
                    s.append(inp)
                    self.assertEqual(s.n_tokens, n + bos)
                    self.assertEqual(len(s.tokens()), n + bos)

    def test_video_frames_render_timestamps(self):
        w, h = 96, 96
        with gemma4.Input() as inp:
            for t in (0.0, 1.0, 65.0):
                inp.add_video_frame((w, h, test_pixels(w, h, 3, int(t))), t)
            hist, _ = self.appended(inp)
        text = self.model.detokenize(hist, render_special=True)
        for stamp in ("00:00", "00:01", "01:05"):
            self.assertIn(stamp, text)
        self.assertEqual(hist.count(self.image_start), 3)
        self.assertGreater(hist.count(self.ids["<|video|>"]), 0)
        self.assertEqual(hist.count(self.ids["<|image|>"]), 0)  # frames use <|video|> soft tokens

    def test_image_sources_agree(self):
        # A path, PNG bytes, RGB pixels and opaque RGBA pixels are one picture: the soft tokens
        # (hence the logits after them) must be identical, bit for bit -- same decoded pixels,
        # same code path from there on.
        w, h = 100, 75
        rgb = test_pixels(w, h, 3, seed=5)
        rgba = bytes(b for i in range(w * h) for b in rgb[3 * i:3 * i + 3] + b"\xff")
        png = png_of(rgb, w, h, 3)
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
            f.write(png)
        try:
            results = []
            for src in (f.name, png, bytearray(png), (w, h, rgb), (w, h, rgba), (w, h, array.array("B", rgb), 3)):
                with gemma4.Input("look ").add_image(src, 70) as inp:
                    results.append(self.appended(inp))
        finally:
            os.unlink(f.name)
        for tokens, logits in results[1:]:
            self.assertEqual(tokens, results[0][0])
            self.assertEqual(list(logits), list(results[0][1]))
        # A different picture gives different logits (the comparison above can fail).
        with gemma4.Input("look ").add_image((w, h, test_pixels(w, h, 3, seed=6)), 70) as inp:
            self.assertNotEqual(list(self.appended(inp)[1]), list(results[0][1]))

    def test_audio_sources_agree(self):
        pcm = tone_s16(4000)
        floats = array.array("f", [v / 32768.0 for v in array.array("h", pcm)])
        outs = []
        for src in (wav_of(pcm), (pcm, 16000, 1, "s16"), (floats, 16000, 1, "f32"), (floats.tobytes(), 16000, 1, 0)):
            with gemma4.Input().add_audio(src).add_text("say") as inp:
                outs.append(self.appended(inp))
        for tokens, logits in outs[1:]:
            self.assertEqual(tokens, outs[0][0])
            # int16 -> float is x / 32768 on every path, exact in float32; the rest is the same
            # code. Allow float32 rounding should a path scale in another order (1e-5 relative).
            for a, b in zip(logits, outs[0][1]):
                self.assertAlmostEqual(a, b, delta=1e-5 * max(1.0, abs(b)))

    def test_media_files_from_make_media(self):
        with gemma4.Session(self.model, n_ctx=512) as s:
            s.add_turn("user", "What are these?", images=[self.media("rgba_200x300.png")],
                       audio=[self.media("chirp_0p5s_stereo.wav")], image_tokens=70)
            hist = s.tokens()
        self.assertEqual(hist.count(self.image_start), 1)
        self.assertEqual(hist.count(self.ids["<|audio|>"]), 13)  # 8000 samples / 640 -> 13 (tail padded)

    def test_context_without_projector_refuses_media(self):
        s = gemma4.Session(self.text_model, n_ctx=256)
        s.add_turn("user", "hello")
        before = s.tokens()
        for kw in ({"images": [png_of(test_pixels(48, 48, 3), 48, 48, 3)]}, {"audio": [wav_of(tone_s16(800))]}):
            with self.assertRaises(gemma4.Gemma4Error) as cm:
                s.add_turn("user", "what is this?", **kw)
            self.assertEqual(cm.exception.status, gemma4.Status.ERR_UNSUPPORTED)
            self.assertIn("mmproj", cm.exception.message)
            self.assertEqual(s.tokens(), before)  # left as before the call

    def test_corrupt_media_raise_bad_format(self):
        w, h = 64, 64
        png = png_of(test_pixels(w, h, 3), w, h, 3)
        for bad in (png[:len(png) // 2], png[:8] + b"\0" * 40, b"not an image at all"):
            with self.assertRaises(gemma4.Gemma4Error) as cm:
                gemma4.Input().add_image(bad)
            self.assertEqual(cm.exception.status, gemma4.Status.ERR_BAD_FORMAT)
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
            f.write(png[:100])  # truncated inside IDAT
        try:
            with self.assertRaises(gemma4.Gemma4Error) as cm:
                gemma4.Session(self.model, n_ctx=128).add_turn("user", "x", images=[f.name])
            self.assertEqual(cm.exception.status, gemma4.Status.ERR_BAD_FORMAT)
        finally:
            os.unlink(f.name)
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            gemma4.Input().add_audio(b"RIFF\x10\0\0\0WAVEjunk")
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_BAD_FORMAT)
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            gemma4.Input().add_image("/nonexistent/picture.png")
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_IO)
        self.assertIn("/nonexistent/picture.png", cm.exception.message)

    def test_argument_errors(self):
        with self.assertRaises(ValueError):
            gemma4.Input().add_image((10, 10, b"\0" * 299))  # neither 3 nor 4 bytes per pixel
        with self.assertRaises(ValueError):
            gemma4.Input().add_audio((b"\0" * 3, 16000, 1, "s16"))  # half a frame
        with self.assertRaises(ValueError):
            gemma4.Input().add_audio((b"\0" * 4, 16000, 1, "u8"))
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            gemma4.Input().add_image((48, 48, test_pixels(48, 48, 3)), 100)  # not a trained budget
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main(verbosity=2)
