"""Real media made on this machine by independent tools (tests/media/make_real_media.sh:
ImageMagick, espeak-ng, sox), through the Python binding.

  GEMMA4_LIBRARY=build/libgemma4.so.0 GEMMA4_TEST_MODEL=mm.gguf GEMMA4_TEST_MMPROJ=mm.mmproj.gguf \
  GEMMA4_REAL_MEDIA=DIR /usr/bin/python3 tests/media/test_real_media.py

The model is a small f32 one from tests/tools/make_model.py --mmproj. Checks:
  1. every image / audio file loads, with the token count the spec predicts, computed here from
     the size `identify` reports (rotated for EXIF orientations 5-8) and from `soxi`;
  2. engine logits for [bos, x, <image>, y] with the original JPEG/PNG equal the NumPy
     reference's (tests/reference/gemma4_ref.py) run on ImageMagick's decoding of the same file
     to PPM: an independent decoder (colour conversion, orientation, palette, alpha, 16 bit);
  3. speech: the 16 kHz WAV against the reference, and every other rate / container against the
     engine's own 16 kHz result (sox resamples differently from the engine: only loosely).
"""
import math
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
REF = os.path.join(HERE, "..", "reference", "gemma4_ref.py")
APT = "apt-get install espeak-ng sox libsox-fmt-all imagemagick"

import gemma4  # noqa: E402  (after the path setup)

import numpy as np  # noqa: E402  (Debian's python3-numpy; the reference needs it anyway)

PROMPT_HEAD, PROMPT_TAIL = [2, 300], [301]  # <bos> x <media> y
# EXIF orientations that swap width and height (transpose, rotate 90 cw, transverse, 90 ccw).
SWAPPING = {"LeftTop", "RightTop", "RightBottom", "LeftBottom"}


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError("set %s (see this file's docstring)" % name)
    return value


def tool(*args):
    try:
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise AssertionError("%s is not installed; install with: %s" % (args[0], APT))


def spec_image_tokens(width, height, budget=280):
    """Soft tokens of an image per spec §3.2 (floor-to-48 after an area-preserving scale)."""
    max_patches = budget * 9
    f = math.sqrt(max_patches * 256 / (width * height))
    h2 = math.floor(f * height / 48) * 48
    w2 = math.floor(f * width / 48) * 48
    if h2 == 0 and w2 == 0:
        raise ValueError("image too small / extreme")
    if h2 == 0:
        h2, w2 = 48, min(math.floor(width / height) * 48, (max_patches // 9) * 48)
    elif w2 == 0:
        w2, h2 = 48, min(math.floor(height / width) * 48, (max_patches // 9) * 48)
    return (h2 // 48) * (w2 // 48)


def ppm16_to_ppm8(src, dst):
    """ImageMagick's 16-bit PPM rounded to nearest 8-bit (see make_real_media.sh for why)."""
    with open(src, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; whitespace separated, no comments
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"65535":
        raise AssertionError("%s: expected a 16-bit P6 PPM, got %r" % (src, fields))
    w, h = int(fields[1]), int(fields[2])
    v = np.frombuffer(data, dtype=">u2", count=w * h * 3, offset=pos + 1).astype(np.uint32)
    with open(dst, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(((v * 2 + 257) // 514).astype(np.uint8).tobytes())  # round(v / 257)


class RealMedia(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.media = env("GEMMA4_REAL_MEDIA")
        cls.model_path, cls.mmproj = env("GEMMA4_TEST_MODEL"), env("GEMMA4_TEST_MMPROJ")
        cls.model = gemma4.Model(cls.model_path, mmproj=cls.mmproj, n_threads=2)
        cls.images = sorted(os.listdir(os.path.join(cls.media, "images")))
        cls.audio = sorted(os.listdir(os.path.join(cls.media, "audio")))
        cls.tmp = tempfile.mkdtemp(prefix="g4_real_media_")

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def engine_logits(self, add):
        """Logits after [bos, x, <media>, y]; add(Input) appends the media part."""
        with gemma4.Session(self.model, n_ctx=512, kv_type=gemma4.KvType.F32) as s, gemma4.Input() as inp:
            inp.add_tokens(PROMPT_HEAD)
            add(inp)
            inp.add_tokens(PROMPT_TAIL)
            s.append(inp)
            return np.array(s.logits(), dtype=np.float64)

    def reference_logits(self, media_args, tag):
        out = os.path.join(self.tmp, tag + ".npz")
        tokens = ",".join(str(t) for t in PROMPT_HEAD + [-1] + PROMPT_TAIL)
        subprocess.run([sys.executable, REF, self.model_path, "--mmproj", self.mmproj, "--tokens", tokens,
                        "--n-gen", "0", "--out", out] + media_args, check=True)
        return np.load(out)["logits"][0].astype(np.float64)

    def test_inventory(self):
        # The generator's output, so that a file it silently failed to write is noticed here.
        self.assertEqual(len(self.images), 11, self.images)
        self.assertEqual(len(self.audio), 7, self.audio)
        for name in self.images:
            ppm = os.path.join(self.media, "ppm", os.path.splitext(name)[0] + ".ppm")
            self.assertTrue(os.path.isfile(ppm), ppm)

    def test_image_token_counts(self):
        for name in self.images:
            path = os.path.join(self.media, "images", name)
            with self.subTest(image=name):
                w, h, orient = tool("identify", "-format", "%w %h %[orientation]", path).split()
                w, h = int(w), int(h)
                if orient in SWAPPING:
                    w, h = h, w
                expected = spec_image_tokens(w, h)
                with gemma4.Input() as inp:
                    inp.add_image(path)
                    got = self.model.n_tokens(inp)
                print("%-32s %5dx%-5d -> %3d soft tokens (engine %d incl. begin/end)" % (name, w, h, expected, got))
                self.assertEqual(got, expected + 2)  # <|image> N x <|image|> <image|>

    def test_image_logits_match_reference_on_imagemagick_decoding(self):
        # Tolerance 0.1: every image here is resized (none is exactly a 48-multiple at the 280
        # budget), and the engine's fixed-point bicubic and the reference's float64 one differ
        # by +-1 grey level in some pixels, which moves logits by ~0.01-0.02 (tests/e2e.cmake).
        # The two decoders may also differ by 1 level (16-bit reduction, CMYK and alpha
        # rounding). Strong upscaling magnifies those +-1 differences: the 50x50 JPEG is enlarged
        # ~15x and measured 0.097, so the bound is 0.25 (the others measure <= 0.04). A wrong
        # orientation, channel order, palette or CMYK inversion changes the soft tokens entirely
        # and the logits by several units (the controls in the audio test: >= 6.8).
        worst = 0.0
        for name in self.images:
            path = os.path.join(self.media, "images", name)
            ppm = os.path.join(self.tmp, os.path.splitext(name)[0] + ".ppm")
            ppm16_to_ppm8(os.path.join(self.media, "ppm", os.path.splitext(name)[0] + ".ppm"), ppm)
            with self.subTest(image=name):
                eng = self.engine_logits(lambda inp: inp.add_image(path))
                ref = self.reference_logits(["--image", ppm], "img_" + name)
                diff = float(np.max(np.abs(eng - ref)))
                worst = max(worst, diff)
                print("%-32s max |logit diff| vs reference(PPM) = %.3g" % (name, diff))
                self.assertLess(diff, 0.25)
        print("images: worst max |logit diff| = %.3g (tol 0.25)" % worst)

    def test_audio_token_counts(self):
        for name in self.audio:
            path = os.path.join(self.media, "audio", name)
            with self.subTest(audio=name):
                seconds = float(tool("soxi", "-D", path))
                expected = math.ceil(seconds * 16000 / 640)
                with gemma4.Input() as inp:
                    inp.add_audio(path)
                    got = self.model.n_tokens(inp) - 2  # <|audio> ... <audio|>
                print("%-28s %.4f s -> %d soft tokens (engine %d)" % (name, seconds, expected, got))
                # +-1: a resampler may round the output length either way at a 640 boundary.
                self.assertLessEqual(abs(got - expected), 1)

    def test_speech_logits(self):
        ref_wav = os.path.join(self.media, "audio", "speech_16k_mono_s16.wav")
        base = self.engine_logits(lambda inp: inp.add_audio(ref_wav))
        ref = self.reference_logits(["--audio", ref_wav], "speech16k")
        # f32 model, exact KV: the float tolerance of tests/e2e.cmake (measured ~1e-5).
        diff = float(np.max(np.abs(base - ref)))
        print("speech_16k_mono_s16.wav max |logit diff| vs reference = %.3g (tol 1e-3)" % diff)
        self.assertLess(diff, 1e-3)
        for name in self.audio:
            if name == "speech_16k_mono_s16.wav":
                continue
            path = os.path.join(self.media, "audio", name)
            # The 8 kHz and Vorbis files carry a different signal: compare each with sox's own
            # 16 kHz decoding of it (made by the generator), so that only the decoder and
            # resampler differ; the other variants compare with the 16 kHz reference file.
            companion = os.path.join(self.media, "audio16k", os.path.splitext(name)[0] + ".wav")
            with self.subTest(audio=name):
                got = self.engine_logits(lambda inp: inp.add_audio(path))
                if os.path.exists(companion):
                    against, what = self.engine_logits(lambda inp: inp.add_audio(companion)), "sox 16k of it"
                else:
                    against, what = base, "16k WAV"
                d = float(np.max(np.abs(got - against)))
                print("%-28s max |logit diff| vs engine(%s) = %.3g" % (name, what, d))
                # Loose, 1.5: sox's and libsamplerate's resamplers differ (measured 0.35-0.93 on
                # this small random model). Controls, measured: the same speech shifted by half
                # a frame gives ~8, reversed ~8.8, the hum alone ~6.8; a half gain 0.08.
                self.assertLess(d, 1.5)
                if name == "speech_16k_mono_f32.wav":
                    # Same rate and samples, only the 16-bit rounding differs: measured 0.015.
                    self.assertLess(d, 0.05)

if __name__ == "__main__":
    unittest.main(verbosity=2)
