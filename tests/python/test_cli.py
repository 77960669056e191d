"""End-to-end tests of gemma4-cli, gemma4-bench and the simple example on a generated model.

Environment (ctest sets it): GEMMA4_TEST_MODEL, GEMMA4_CLI, GEMMA4_BENCH, GEMMA4_SIMPLE and,
for the cross-checks against the Python bindings, GEMMA4_LIBRARY. Stdlib only.
"""
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))

MODEL = os.environ.get("GEMMA4_TEST_MODEL", "")
CLI = os.environ.get("GEMMA4_CLI", "")
BENCH = os.environ.get("GEMMA4_BENCH", "")
SIMPLE = os.environ.get("GEMMA4_SIMPLE", "")
PROMPT = "Hello world! How are you today?"


def run(*args, stdin=None, timeout=120):
    return subprocess.run(list(args), input=stdin, capture_output=True, timeout=timeout)


@unittest.skipUnless(MODEL and CLI and os.path.exists(MODEL), "GEMMA4_TEST_MODEL / GEMMA4_CLI not set")
class CliTest(unittest.TestCase):
    def cli(self, *args, **kw):
        return run(CLI, "-m", MODEL, "-t", "2", *args, **kw)

    def test_help_and_version(self):
        r = run(CLI, "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--logits-out", r.stdout)
        r = run(CLI, "--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"libgemma4 \d+\.\d+\.\d+")

    def test_usage_errors_exit_1(self):
        for args in (["--bogus"], ["-m"], ["-m", MODEL, "-n", "abc"], ["-m", MODEL, "--temp", "-1"], ["-p", "x"]):
            r = run(CLI, *args)
            self.assertEqual(r.returncode, 1, args)
            self.assertTrue(r.stderr, args)

    def test_missing_model_exits_2_naming_the_path(self):
        path = "/nonexistent/cli-model.gguf"
        r = run(CLI, "-m", path, "-p", "hi")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"GEMMA4_ERR_IO", r.stderr)
        self.assertIn(path.encode(), r.stderr)

    def test_tokenize_matches_the_library(self):
        import gemma4
        text = "<|turn>user\n" + PROMPT
        r = self.cli("--tokenize", "-p", text)
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = [int(x) for x in r.stdout.split()]
        with gemma4.Model(MODEL) as m:
            # The test models ask for <bos> (tokenizer.ggml.add_bos_token = true).
            self.assertEqual(ids, m.tokenize(text, add_bos=True, parse_special=True))
            self.assertEqual(ids[1], m.special_token(gemma4.Special.TURN_START))

    def test_logits_out_equals_the_bindings(self):
        import gemma4
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "logits.f32")
            r = self.cli("--raw", "-p", PROMPT, "-n", "0", "--logits-out", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"")  # -n 0: nothing generated
            with open(path, "rb") as f:
                data = f.read()
        with gemma4.Model(MODEL, n_threads=2) as m:
            self.assertEqual(len(data), 4 * m.info.n_vocab)
            s = gemma4.Session(m)
            s.append(PROMPT)
            want = s.logits()
        got = struct.unpack("<%df" % (len(data) // 4), data)
        # Same library, same input, same thread count: the forward pass is the same code path,
        # but allow float32 rounding noise in case the batch split differs.
        for a, b in zip(got, want):
            self.assertAlmostEqual(a, b, delta=1e-3 * max(1.0, abs(b)))

    def test_greedy_generation_is_repeatable(self):
        outs = [self.cli("-p", PROMPT, "--temp", "0", "-n", "24") for _ in range(2)]
        for r in outs:
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(outs[0].stdout, outs[1].stdout)

    def test_raw_generation_and_stop_string(self):
        r = self.cli("--raw", "-p", PROMPT, "--temp", "0", "-n", "32")
        self.assertEqual(r.returncode, 0, r.stderr)
        text = r.stdout.decode("utf-8", "replace").rstrip("\n")
        if len(text) >= 4:  # stop at a substring of the greedy answer: output ends before it
            stop = text[len(text) // 2:len(text) // 2 + 2]
            r2 = self.cli("--raw", "-p", PROMPT, "--temp", "0", "-n", "32", "--stop", stop)
            self.assertEqual(r2.returncode, 0, r2.stderr)
            out2 = r2.stdout.decode("utf-8", "replace").rstrip("\n")
            self.assertNotIn(stop, out2)
            self.assertTrue(text.startswith(out2))

    def test_sampling_flags_and_seed(self):
        args = ("-p", PROMPT, "--temp", "0.8", "--top-k", "20", "--top-p", "0.9", "--min-p", "0.01",
                "--repeat-penalty", "1.1", "--repeat-last-n", "16", "-n", "16", "-c", "256")
        a = self.cli(*args, "--seed", "42")
        b = self.cli(*args, "--seed", "42")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)  # same seed, same tokens

    def test_system_and_think(self):
        r = self.cli("-s", "You are terse.", "--think", "-p", PROMPT, "--temp", "0", "-n", "8", "-v")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"[stats]", r.stderr)  # -v logs to stderr

    def test_interactive_chat_from_a_pipe(self):
        r = self.cli("-i", "--temp", "0", "-n", "8", stdin=b"hello\n/reset\nhi there\n/exit\nnot read\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"(conversation reset)", r.stdout)
        self.assertNotIn(b"> ", r.stdout)  # no prompt marker when stdin is not a terminal

    def test_prompt_from_file_and_stdin(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write(PROMPT)
        try:
            a = self.cli("-f", f.name, "--temp", "0", "-n", "8")
        finally:
            os.unlink(f.name)
        b = self.cli("--temp", "0", "-n", "8", stdin=PROMPT.encode())  # no -p on a pipe: stdin
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)

    def test_ctrl_c_cancels_generation(self):
        # Greedy raw generation on the test model runs until its 512-token context is full
        # (about 0.4 s on one thread): the signal sent at the first byte lands mid-generation.
        p = subprocess.Popen([CLI, "-m", MODEL, "-t", "1", "--raw", "-p", PROMPT, "-n", "-1", "--temp", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = p.stdout.read(1)  # generation has started (or, if it printed no text, ended)
            p.send_signal(signal.SIGINT)
            code = p.wait(timeout=30)  # cancel is honoured at the next token
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()
        if code == 0 and first == b"\n":
            self.skipTest("the test model's greedy answer has no visible text to wait for")
        self.assertEqual(code, 130)


@unittest.skipUnless(MODEL and SIMPLE and os.path.exists(MODEL), "GEMMA4_SIMPLE not set")
class SimpleTest(unittest.TestCase):
    def test_simple(self):
        r = run(SIMPLE, MODEL, PROMPT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.endswith(b"\n"))
        r = run(SIMPLE, "/nonexistent/simple.gguf", "hi")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"/nonexistent/simple.gguf", r.stderr)
        self.assertEqual(run(SIMPLE).returncode, 2)


@unittest.skipUnless(MODEL and BENCH and os.path.exists(MODEL), "GEMMA4_BENCH not set")
class BenchTest(unittest.TestCase):
    def test_json(self):
        r = run(BENCH, "-m", MODEL, "-t", "1,2", "-p", "16", "-n", "4", "-d", "0,8", "-r", "2", "-o", "json",
                "--bw-mib", "64", timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual(len(rows), 2 * 2 * 2)  # threads x depths x {pp, tg}
        keys = ("model_filename", "model_type", "model_size", "model_n_params", "n_threads", "n_prompt", "n_gen",
                "n_depth", "avg_ts", "stddev_ts", "samples_ts", "ttft_ms", "peak_rss_bytes")
        for row in rows:
            for k in keys:
                self.assertIn(k, row)
            self.assertEqual(len(row["samples_ts"]), 2)
            self.assertGreater(row["avg_ts"], 0)
            self.assertGreater(row["ttft_ms"], 0)
            self.assertGreater(row["peak_rss_bytes"], 0)
            self.assertIn(row["n_threads"], (1, 2))
            if row["n_gen"] > 0:
                self.assertGreater(row["bandwidth_gbs"], 0)
                self.assertGreater(row["fraction_of_bound"], 0)
            else:
                self.assertNotIn("bandwidth_gbs", row)
        self.assertEqual({(r["n_prompt"], r["n_gen"], r["n_depth"]) for r in rows},
                         {(16, 0, 0), (0, 4, 0), (16, 0, 8), (0, 4, 8)})

    def test_markdown(self):
        r = run(BENCH, "-m", MODEL, "-p", "8", "-n", "2", "-r", "1", "--no-warmup", "--bw-mib", "32")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().strip().splitlines()
        self.assertTrue(lines[0].startswith("| model"))
        self.assertEqual(len(lines), 4)  # header, rule, pp8, tg2
        self.assertIn("pp8", lines[2])
        self.assertIn("tg2", lines[3])

    def test_usage(self):
        self.assertEqual(run(BENCH, "-m", MODEL, "-o", "xml").returncode, 1)
        self.assertEqual(run(BENCH).returncode, 1)
        self.assertEqual(run(BENCH, "--help").returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
