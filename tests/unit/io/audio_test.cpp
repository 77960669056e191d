// Audio decoding / mixing / resampling tests. Real WAV, FLAC (and OGG when libsndfile can
// write it) files are made with libsndfile's writer at run time; hostile headers by hand.
#include <doctest/doctest.h>
#include <sndfile.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/audio.h"

using namespace g4;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr double kPi = 3.14159265358979323846;

// Interleaved frames: channel 0 carries the sine, channel c > 0 carries gain[c]·sine.
std::vector<float> sine(int rate, double seconds, double freq, double amp, int channels = 1,
                        std::vector<float> gain = {}) {
  const size_t n = static_cast<size_t>(rate * seconds);
  std::vector<float> v(n * channels);
  for (size_t i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c) {
      const float g = c == 0 ? 1.0f : (c < static_cast<int>(gain.size()) ? gain[c] : 1.0f);
      v[i * channels + c] = g * static_cast<float>(amp * std::sin(2 * kPi * freq * i / rate));
    }
  return v;
}

struct ToneStats {
  double freq, amp;
};

// Frequency from zero crossings and amplitude from RMS·√2, over the middle 80% (the
// resampler's filter transients sit at the ends).
ToneStats tone_stats(const std::vector<float>& s, int rate) {
  const size_t a = s.size() / 10, b = s.size() - s.size() / 10;
  size_t first = 0, last = 0, crossings = 0;
  double sq = 0;
  for (size_t i = a; i < b; ++i) {
    sq += double(s[i]) * s[i];
    if ((s[i - 1] < 0) != (s[i] < 0)) {
      if (!crossings) first = i;
      last = i;
      ++crossings;
    }
  }
  const double seconds = double(last - first) / rate;
  return {(crossings - 1) / 2.0 / seconds, std::sqrt(sq / double(b - a)) * std::sqrt(2.0)};
}

std::string temp_path(const std::string& ext) {
  static int counter = 0;
  return (std::filesystem::temp_directory_path() /
          ("g4_audio_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ext))
      .string();
}

Bytes read_all(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f);
  Bytes b;
  int c;
  while ((c = std::fgetc(f)) != EOF) b.push_back(static_cast<uint8_t>(c));
  std::fclose(f);
  return b;
}

// Writes with libsndfile; returns the path (caller removes it) or "" if the format is unavailable.
std::string write_sndfile(const std::vector<float>& frames, int rate, int channels, int format, const std::string& ext) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  if (!sf_format_check(&info)) return "";
  std::string path = temp_path(ext);
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  INFO(sf_strerror(nullptr));
  REQUIRE(f);
  REQUIRE(sf_writef_float(f, frames.data(), frames.size() / channels) == sf_count_t(frames.size() / channels));
  sf_close(f);
  return path;
}

void le(Bytes& b, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(uint8_t(v >> (8 * i)));
}
void be(Bytes& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(uint8_t(v >> (8 * i)));
}

// Hand-built RIFF/WAVE: fmt chunk with the given fields, then `data`.
Bytes make_wav(uint32_t channels, uint32_t rate, uint32_t bits, const Bytes& data, uint32_t tag = 1) {
  Bytes b = {'R', 'I', 'F', 'F'};
  le(b, uint32_t(4 + 8 + 16 + 8 + data.size()), 4);
  b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  le(b, 16, 4);
  le(b, tag, 2);
  le(b, channels, 2);
  le(b, rate, 4);
  le(b, rate * channels * bits / 8, 4);
  le(b, channels * bits / 8, 2);
  le(b, bits, 2);
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  le(b, uint32_t(data.size()), 4);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Status status_of(const Bytes& b, std::string* msg = nullptr) {
  try {
    decode_audio(b.data(), b.size(), "test.audio");
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

template <class F>
Status status_of_call(F fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

}  // namespace

TEST_CASE("PCM at 16 kHz: mono is copied, channels are averaged, int16 is scaled") {
  std::vector<float> mono = {0.0f, 0.25f, -0.5f, 1.0f, -1.0f};
  CHECK(audio_from_pcm_f32(mono.data(), 5, 1, 16000).samples == mono);
  std::vector<float> st = {1.0f, 0.0f, -0.5f, -0.25f, 2.0f, 1.0f};  // last frame's mean 1.5 is clamped
  CHECK(audio_from_pcm_f32(st.data(), 3, 2, 16000).samples == std::vector<float>{0.5f, -0.375f, 1.0f});
  std::vector<int16_t> s16 = {16384, -32768, 0, 0, 32767, 32767};
  Audio a = audio_from_pcm_s16(s16.data(), 3, 2, 16000);
  CHECK(a.samples == std::vector<float>{-0.25f, 0.0f, 32767.0f / 32768.0f});
}

TEST_CASE("resampling keeps frequency and amplitude") {
  // Tolerances: frequency from ~1600 zero crossings is resolved to ~0.1%; the sinc converter's
  // passband ripple is far below 1%, so amplitude within 1% is a real check.
  for (int rate : {8000, 22050, 44100, 48000, 96000}) {
    CAPTURE(rate);
    std::vector<float> in = sine(rate, 1.0, 1000.0, 0.5);
    Audio a = audio_from_pcm_f32(in.data(), in.size(), 1, rate);
    CHECK(std::abs(double(a.samples.size()) - 16000.0) <= 2.0);
    ToneStats t = tone_stats(a.samples, 16000);
    CHECK(t.freq == doctest::Approx(1000.0).epsilon(0.005));
    CHECK(t.amp == doctest::Approx(0.5).epsilon(0.01));
  }
  // Stereo with a silent right channel: the mean halves the amplitude.
  std::vector<float> st = sine(44100, 1.0, 1000.0, 0.5, 2, {1.0f, 0.0f});
  Audio a = audio_from_pcm_f32(st.data(), st.size() / 2, 2, 44100);
  CHECK(tone_stats(a.samples, 16000).amp == doctest::Approx(0.25).epsilon(0.01));
}

TEST_CASE("WAV and FLAC files written by libsndfile decode, from memory and from a file") {
  struct Case { int rate, channels, format; const char* ext; };
  for (Case c : {Case{8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, ".wav"},
                 Case{22050, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_24, ".wav"},
                 Case{44100, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, ".flac"},
                 Case{48000, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT, ".wav"},
                 Case{48000, 6, SF_FORMAT_FLAC | SF_FORMAT_PCM_24, ".flac"},
                 Case{16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_U8, ".wav"}}) {
    CAPTURE(c.rate);
    CAPTURE(c.channels);
    CAPTURE(c.ext);
    std::vector<float> frames = sine(c.rate, 1.0, 1000.0, 0.5, c.channels);  // same tone on all channels
    std::string path = write_sndfile(frames, c.rate, c.channels, c.format, c.ext);
    REQUIRE(!path.empty());
    Audio from_file = decode_audio_file(path);
    Bytes bytes = read_all(path);
    std::filesystem::remove(path);
    Audio from_mem = decode_audio(bytes.data(), bytes.size(), c.ext);
    CHECK(from_file.samples == from_mem.samples);
    CHECK(std::abs(double(from_mem.samples.size()) - 16000.0) <= 2.0);
    ToneStats t = tone_stats(from_mem.samples, 16000);
    CHECK(t.freq == doctest::Approx(1000.0).epsilon(0.005));
    // 1%, except 8-bit PCM whose quantisation noise (±1/256) still stays well inside 2%.
    CHECK(t.amp == doctest::Approx(0.5).epsilon((c.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_U8 ? 0.02 : 0.01));
  }
}

TEST_CASE("OGG/Vorbis (when libsndfile was built with it)") {
  std::vector<float> frames = sine(44100, 1.0, 1000.0, 0.5, 2);
  std::string path = write_sndfile(frames, 44100, 2, SF_FORMAT_OGG | SF_FORMAT_VORBIS, ".ogg");
  if (path.empty()) {
    MESSAGE("libsndfile cannot write OGG/Vorbis here; skipped");
    return;
  }
  Audio a = decode_audio_file(path);
  std::filesystem::remove(path);
  ToneStats t = tone_stats(a.samples, 16000);
  CHECK(t.freq == doctest::Approx(1000.0).epsilon(0.005));
  CHECK(t.amp == doctest::Approx(0.5).epsilon(0.05));  // lossy codec: 5%
}

TEST_CASE("resampling cost (informational)") {
  std::vector<float> frames = sine(48000, 30.0, 440.0, 0.3, 2);
  auto t0 = std::chrono::steady_clock::now();
  Audio a = audio_from_pcm_f32(frames.data(), frames.size() / 2, 2, 48000);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK(std::abs(double(a.samples.size()) - 480000.0) <= 2.0);
  MESSAGE("30 s of 48 kHz stereo -> 16 kHz mono: " << ms << " ms");
}

TEST_CASE("hostile audio: statuses and messages, no crash") {
  std::string msg;
  CHECK(status_of(make_wav(1, 16000, 16, {}), &msg) == Status::bad_format);  // zero-length data chunk
  CHECK(msg.find("no samples") != std::string::npos);
  CHECK(status_of(Bytes{}, &msg) == Status::bad_format);
  CHECK(msg.find("no samples") != std::string::npos);
  std::vector<float> two = {0.5f, 0.5f};  // 2 frames at 48 kHz resample to no 16 kHz sample
  CHECK(status_of_call([&] { audio_from_pcm_f32(two.data(), 2, 1, 48000); }) == Status::bad_format);

  Bytes pcm(400, 0);
  CHECK(status_of(make_wav(0xFFFF, 16000, 16, pcm)) == Status::bad_format);  // libsndfile refuses > 1024
  CHECK(status_of(make_wav(100, 16000, 16, pcm), &msg) == Status::unsupported);
  CHECK(msg.find("100") != std::string::npos);
  CHECK(status_of(make_wav(1, 500, 16, pcm), &msg) == Status::unsupported);
  CHECK(msg.find("500") != std::string::npos);
  CHECK(status_of(make_wav(1, 0, 16, pcm)) != Status::ok);

  // Sun AU carries a 32-bit channel count: claim 2^31 channels.
  Bytes au = {'.', 's', 'n', 'd'};
  be(au, 24), be(au, 400), be(au, 3), be(au, 16000), be(au, 0x80000000u);
  au.insert(au.end(), 400, 0);
  CHECK(status_of(au) == Status::bad_format);
  Bytes au_ok(au);
  au_ok[23] = 1, au_ok[20] = 0;  // the same file with one channel decodes
  CHECK(status_of(au_ok) == Status::ok);

  // A float WAV holding a NaN.
  Bytes fl;
  for (float v : {0.1f, std::nanf(""), 0.2f, 0.3f}) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    le(fl, u, 4);
  }
  CHECK(status_of(make_wav(1, 16000, 32, fl, 3), &msg) == Status::bad_format);
  CHECK(msg.find("non-finite") != std::string::npos);

  // More than one hour (1000 Hz, 8-bit: 3.6 MB).
  Bytes hour(3600 * 1000 + 10, 128);
  CHECK(status_of(make_wav(1, 1000, 8, hour), &msg) == Status::unsupported);
  CHECK(msg.find("3600") != std::string::npos);

  // Truncations of a real FLAC and WAV, and random bytes: an Error or a (shorter) decode.
  std::vector<float> frames = sine(44100, 0.2, 1000.0, 0.5, 2);
  std::string path = write_sndfile(frames, 44100, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, ".flac");
  Bytes flac = read_all(path);
  std::filesystem::remove(path);
  Bytes wav = make_wav(2, 44100, 16, Bytes(4000, 1));
  for (const Bytes* f : {&flac, &wav})
    for (size_t cut : {size_t{4}, size_t{30}, size_t{44}, size_t{100}, f->size() / 2, f->size() - 1}) {
      CAPTURE(cut);
      Status s = status_of(Bytes(f->begin(), f->begin() + cut));
      CHECK((s == Status::ok || s == Status::bad_format));
    }
  std::mt19937 rng(3);
  for (int i = 0; i < 50; ++i) {
    Bytes r(1 + rng() % 500);
    for (auto& c : r) c = static_cast<uint8_t>(rng());
    CHECK(status_of(r) == Status::bad_format);
  }
  CHECK(status_of_call([] { decode_audio_file("/nonexistent/x.wav"); }) == Status::io);
}

TEST_CASE("PCM argument checks") {
  std::vector<float> v(100, 0.1f);
  CHECK(status_of_call([&] { audio_from_pcm_f32(v.data(), 0, 1, 16000); }) == Status::bad_format);
  CHECK(status_of_call([&] { audio_from_pcm_f32(v.data(), 10, 0, 16000); }) == Status::invalid_argument);
  CHECK(status_of_call([&] { audio_from_pcm_f32(v.data(), 1, 65, 16000); }) == Status::invalid_argument);
  CHECK(status_of_call([&] { audio_from_pcm_f32(v.data(), 10, 1, 999); }) == Status::invalid_argument);
  CHECK(status_of_call([&] { audio_from_pcm_f32(v.data(), 10, 1, 768001); }) == Status::invalid_argument);
  CHECK(status_of_call([&] { audio_from_pcm_f32(nullptr, 10, 1, 16000); }) == Status::invalid_argument);
  v[50] = INFINITY;
  CHECK(status_of_call([&] { audio_from_pcm_f32(v.data(), 100, 1, 16000); }) == Status::invalid_argument);
  std::vector<int16_t> hour(3600 * 1000 + 1, 0);
  CHECK(status_of_call([&] { audio_from_pcm_s16(hour.data(), hour.size(), 1, 1000); }) == Status::unsupported);
}
