"""End-to-end tests of gemma4-cli, gemma4-bench and the simple example on a generated model.

Environment (ctest sets it): GEMMA4_TEST_MODEL, GEMMA4_CLI, GEMMA4_BENCH, GEMMA4_SIMPLE; for
the cross-checks against the Python bindings, GEMMA4_LIBRARY; for the media tests
GEMMA4_TEST_MMPROJ, GEMMA4_TEST_MEDIA (make_media.py's folder) and GEMMA4_CLI_VIDEO (1 if the
CLI has FFmpeg; the video tests also need the ffmpeg program to make a clip). Stdlib only.
"""
import json
import os
import re
import shutil
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
MMPROJ = os.environ.get("GEMMA4_TEST_MMPROJ", "")
MEDIA = os.environ.get("GEMMA4_TEST_MEDIA", "")
CLI_VIDEO = os.environ.get("GEMMA4_CLI_VIDEO", "") == "1"
PROMPT = "Hello world! How are you today?"
MARK = "<__media__>"


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


def input_tokens(stderr):
    """The count the CLI prints before running media ("input: N tokens")."""
    m = re.search(rb"input: (\d+) tokens", stderr)
    return int(m.group(1)) if m else None


@unittest.skipUnless(MODEL and CLI and MMPROJ and MEDIA and os.path.exists(MMPROJ) and os.path.isdir(MEDIA),
                     "GEMMA4_TEST_MMPROJ / GEMMA4_TEST_MEDIA not set or missing")
class CliMediaTest(unittest.TestCase):
    IMAGE = "rgb_320x240.png"
    AUDIO = "chirp_0p5s_stereo.wav"

    def cli(self, *args, **kw):
        return run(CLI, "-m", MODEL, "--mmproj", MMPROJ, "-t", "2", *args, **kw)

    def path(self, name):
        return os.path.join(MEDIA, name)

    def test_help_lists_the_media_flags(self):
        out = run(CLI, "--help").stdout
        for flag in (b"--mmproj", b"--image", b"--audio", b"--video", b"--video-fps", b"--image-tokens",
                     b"--video-tokens", MARK.encode()):
            self.assertIn(flag, out)

    def test_image_and_audio_chat(self):
        r = self.cli("--image", self.path(self.IMAGE), "--audio", self.path(self.AUDIO), "-p", "Describe both.",
                     "--temp", "0", "-n", "6")
        self.assertEqual(r.returncode, 0, r.stderr)
        n = input_tokens(r.stderr)
        # 280-token image (<= 280 soft + 2) + 0.5 s audio (13 soft + 2) + the text.
        self.assertIsNotNone(n, r.stderr)
        self.assertGreater(n, 13 + 2 + 2)
        self.assertLessEqual(n, 280 + 2 + 13 + 2 + 8)

    def test_tokenize_expands_media_at_markers(self):
        import gemma4
        prompt = "A" + MARK + "B" + MARK + "C" + MARK
        r = self.cli("--tokenize", "--image-tokens", "70", "-p", prompt, "--image", self.path(self.IMAGE),
                     "--audio", self.path(self.AUDIO), "--image", self.path("tiny_40x30.png"))
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = [int(x) for x in r.stdout.split()]
        with gemma4.Model(MODEL, n_threads=2, mmproj=MMPROJ) as m:
            with gemma4.Input("A") as inp:
                inp.add_image(self.path(self.IMAGE), 70).add_text("B").add_audio(self.path(self.AUDIO))
                inp.add_text("C").add_image(self.path("tiny_40x30.png"), 70)
                n = m.n_tokens(inp)
                with gemma4.Session(m, n_ctx=512) as s:
                    s.append(inp)
                    want = s.tokens()
            image_start = m.special_token(gemma4.Special.IMAGE_START)
            audio_start = m.special_token(gemma4.Special.AUDIO_START)
        self.assertEqual(ids, want)
        self.assertEqual(input_tokens(r.stderr), n)
        self.assertEqual(ids.count(image_start), 2)
        self.assertEqual(ids.count(audio_start), 1)
        # In marker order: image, then audio, then the second image.
        first_img = ids.index(image_start)
        self.assertLess(first_img, ids.index(audio_start))
        self.assertLess(ids.index(audio_start), len(ids) - 1 - ids[::-1].index(image_start))

    def test_raw_marker_count_must_match(self):
        for prompt, media in ((PROMPT, ["--image", self.path(self.IMAGE)]),
                              (MARK + MARK, ["--image", self.path(self.IMAGE)]),
                              (MARK, [])):
            r = self.cli("--raw", "-p", prompt, "-n", "0", *media)
            self.assertEqual(r.returncode, 1, (prompt, media, r.stderr))
            self.assertIn(MARK.encode(), r.stderr)

    def test_logits_out_with_media_equals_the_bindings(self):
        import gemma4
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "logits.f32")
            r = self.cli("--raw", "-p", "Look: " + MARK + " and listen: " + MARK + " done", "--image",
                         self.path(self.IMAGE), "--audio", self.path(self.AUDIO), "-n", "0", "--logits-out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                data = f.read()
        with gemma4.Model(MODEL, n_threads=2, mmproj=MMPROJ) as m:
            with gemma4.Input("Look: ").add_image(self.path(self.IMAGE)).add_text(" and listen: ") as inp:
                inp.add_audio(self.path(self.AUDIO)).add_text(" done")
                s = gemma4.Session(m)
                s.append(inp)
                want = s.logits()
        got = struct.unpack("<%df" % (len(data) // 4), data)
        self.assertEqual(len(got), len(want))
        # Same library, input and thread count; float32 noise allowed should batch splits differ.
        for a, b in zip(got, want):
            self.assertAlmostEqual(a, b, delta=1e-3 * max(1.0, abs(b)))

    def test_media_errors(self):
        # No projector: the library refuses the image turn (runtime error, exit 2).
        r = run(CLI, "-m", MODEL, "-t", "2", "--image", self.path(self.IMAGE), "-p", "x", "-n", "0")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"GEMMA4_ERR_UNSUPPORTED", r.stderr)
        # A corrupt image names the file.
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
            with open(self.path(self.IMAGE), "rb") as src:
                f.write(src.read()[:300])
        try:
            r = self.cli("--image", f.name, "-p", "x", "-n", "0")
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"GEMMA4_ERR_BAD_FORMAT", r.stderr)
        self.assertIn(f.name.encode(), r.stderr)
        # Usage errors (exit 1): a budget the embedder was not trained for, a bad frame rate.
        for args in (["--image-tokens", "100"], ["--video-tokens", "0"], ["--video-fps", "0"], ["--image"]):
            r = self.cli("-p", "x", *args)
            self.assertEqual(r.returncode, 1, (args, r.stderr))

    def test_media_too_big_for_the_context(self):
        r = self.cli("-c", "128", "--image", self.path(self.IMAGE), "-p", "x", "-n", "0")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"GEMMA4_ERR_CONTEXT_FULL", r.stderr)
        self.assertGreater(input_tokens(r.stderr), 128)

    # ---- video: needs the ffmpeg program and a CLI built with FFmpeg ----

    def make_clip(self, d, seconds, size="160x120", rate=10, audio=True):
        if not shutil.which("ffmpeg"):
            self.skipTest("no ffmpeg program to make a test clip")
        path = os.path.join(d, "clip.mp4")
        args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                "testsrc=size=%s:rate=%d:duration=%d" % (size, rate, seconds)]
        if audio:
            args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=%d" % seconds]
        args += ["-c:v", "mpeg4", "-pix_fmt", "yuv420p"] + (["-c:a", "aac"] if audio else []) + [path]
        r = run(*args, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return path

    def test_video_without_ffmpeg_says_so(self):
        if CLI_VIDEO:
            self.skipTest("this CLI has FFmpeg")
        r = self.cli("--video", "clip.mp4", "-p", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"without FFmpeg", r.stderr)

    @unittest.skipUnless(CLI_VIDEO, "gemma4-cli built without FFmpeg (GEMMA4_CLI_VIDEO=OFF)")
    def test_video_frames_timestamps_and_soundtrack(self):
        import gemma4
        with gemma4.Model(MODEL, n_threads=1, mmproj=MMPROJ) as m:
            image_start = m.special_token(gemma4.Special.IMAGE_START)
            audio_start = m.special_token(gemma4.Special.AUDIO_START)
            audio_soft = m.token_lookup("<|audio|>")
            video_soft = m.token_lookup("<|video|>")
            with tempfile.TemporaryDirectory() as d:
                clip = self.make_clip(d, 3)
                runs = {}
                for fps in ("1", "0.5"):
                    r = self.cli("--tokenize", "-p", "Watch: " + MARK + " What happens?", "--video", clip,
                                 "--video-fps", fps, "-v")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    runs[fps] = [int(x) for x in r.stdout.split()]
                    self.assertEqual(len(runs[fps]), input_tokens(r.stderr) + 1)  # + <bos>
                r = self.cli("-p", "Describe the video.", "--video", clip, "--temp", "0", "-n", "4")
                self.assertEqual(r.returncode, 0, r.stderr)
            text1 = m.detokenize(runs["1"], render_special=True)
            text05 = m.detokenize(runs["0.5"], render_special=True)
        # 3 s sampled at 1 fps: frames at 0, 1, 2 s; at 0.5 fps: 0 and 2 s. (Higher rates do
        # not fit the test model's 512-token context.)
        self.assertEqual(runs["1"].count(image_start), 3)
        self.assertEqual(runs["0.5"].count(image_start), 2)
        for stamp in ("00:00", "00:01", "00:02"):
            self.assertIn(stamp, text1)
        self.assertNotIn("00:03", text1)
        self.assertIn("00:02", text05)
        self.assertNotIn("00:01", text05)
        # 160x120 frames at the default 70 tokens: the same grid for every frame.
        n_video = runs["1"].count(video_soft)
        self.assertEqual(n_video % 3, 0)
        self.assertTrue(0 < n_video // 3 <= 70, n_video)
        # The soundtrack follows the frames: 3 s at 40 ms per token = 75 soft tokens (the AAC
        # encoder may pad a frame or two at the ends: +-2 tokens).
        self.assertGreater(runs["1"].index(audio_start), len(runs["1"]) - 1 - runs["1"][::-1].index(image_start))
        self.assertLessEqual(abs(runs["1"].count(audio_soft) - 75), 2)

    @unittest.skipUnless(CLI_VIDEO, "gemma4-cli built without FFmpeg (GEMMA4_CLI_VIDEO=OFF)")
    def test_five_minute_video_fits_32k(self):
        # 5 min at 1 fps, 70 tokens a frame, with its soundtrack: the CLI counts it before
        # running anything. The test model's context is 512, so the run must stop there with a
        # clear message, and the count it printed must be within a 32k context.
        with tempfile.TemporaryDirectory() as d:
            clip = self.make_clip(d, 300, size="128x96", rate=2)
            r = self.cli("-p", "What happens?", "--video", clip, "-n", "0", timeout=300)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"GEMMA4_ERR_CONTEXT_FULL", r.stderr)
        self.assertIn(b"raise -c", r.stderr)
        n = input_tokens(r.stderr)
        self.assertIsNotNone(n, r.stderr)
        # 300 frames x (soft tokens + begin/end + timestamp) + 7500 audio tokens.
        self.assertGreater(n, 300 * 3 + 7500)
        self.assertLessEqual(n, 32768)


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
