"""Tests of the ctypes bindings (bindings/python/gemma4) on a generated small model.

    GEMMA4_TEST_MODEL=model.gguf GEMMA4_LIBRARY=build/libgemma4.so.0 /usr/bin/python3 tests/python/test_bindings.py

ctest generates the model first (fixture python_model) and sets both variables. Stdlib only.
"""
import math
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import gemma4  # noqa: E402

MODEL = os.environ.get("GEMMA4_TEST_MODEL", "")
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

    def test_context_full(self):
        s = gemma4.Session(self.model, n_ctx=16)
        with self.assertRaises(gemma4.Gemma4Error) as cm:
            s.append(" ".join(["word"] * 64))
        self.assertEqual(cm.exception.status, gemma4.Status.ERR_CONTEXT_FULL)
        self.assertEqual(s.n_tokens, 0)  # left as before the call


if __name__ == "__main__":
    unittest.main(verbosity=2)
