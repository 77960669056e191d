// Audio decoding (libsndfile over memory), mono mix and resampling to 16 kHz (libsamplerate).
// Everything streams in blocks: memory is the 16 kHz output plus one block, whatever the
// input rate, channel count or length.
#include "io/audio.h"

#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/error.h"

namespace g4 {
namespace {

constexpr size_t kBlockFrames = 4096;
// SINC_BEST: 97 dB SNR, 97% bandwidth. Speech is short (the model caps at 30 s per clip) so
// the extra cost over MEDIUM is affordable; measured in the tests' timing note.
constexpr int kConverter = SRC_SINC_MEDIUM_QUALITY;

// Mixes interleaved blocks to mono and feeds them through the resampler.
class MonoResampler {
 public:
  MonoResampler(int channels, int rate) : channels_(channels), ratio_(static_cast<double>(kAudioSampleRate) / rate) {
    if (rate != kAudioSampleRate) {
      int err = 0;
      state_.reset(src_new(kConverter, 1, &err));
      if (!state_) fail(Status::internal, std::string("libsamplerate: cannot create a converter: ") + src_strerror(err));
    }
  }

  // Returns false when a sample is NaN or infinite (the caller picks the status).
  template <class T>
  bool push(const T* interleaved, size_t frames, float scale) {
    mono_.resize(frames);
    const float inv = scale / static_cast<float>(channels_);
    for (size_t f = 0; f < frames; ++f) {
      float sum = 0.0f;
      for (int c = 0; c < channels_; ++c) sum += static_cast<float>(interleaved[f * channels_ + c]);
      if (!std::isfinite(sum)) return false;
      mono_[f] = sum * inv;
    }
    feed(mono_.data(), frames, false);
    return true;
  }

  Audio finish() {
    feed(nullptr, 0, true);
    // A couple of frames at a high rate can resample to nothing at 16 kHz.
    if (out_.samples.empty()) fail(Status::bad_format, "audio: no samples (too short to give one 16 kHz sample)");
    for (float& v : out_.samples) v = std::clamp(v, -1.0f, 1.0f);
    return std::move(out_);
  }

 private:
  struct SrcDeleter {
    void operator()(SRC_STATE* s) const { src_delete(s); }
  };

  void feed(const float* in, size_t n, bool end) {
    if (!state_) {
      out_.samples.insert(out_.samples.end(), in, in + n);
      return;
    }
    float buf[kBlockFrames];
    static const float kNothing = 0.0f;  // some libsamplerate versions reject a null data_in
    SRC_DATA d{};
    d.data_in = in ? in : &kNothing;
    d.input_frames = static_cast<long>(n);
    d.src_ratio = ratio_;
    d.end_of_input = end ? 1 : 0;
    for (;;) {
      d.data_out = buf;
      d.output_frames = static_cast<long>(kBlockFrames);
      const int err = src_process(state_.get(), &d);
      if (err) fail(Status::internal, std::string("libsamplerate: ") + src_strerror(err));
      out_.samples.insert(out_.samples.end(), buf, buf + d.output_frames_gen);
      d.data_in += d.input_frames_used;
      d.input_frames -= d.input_frames_used;
      // Not at the end: stop once the input is consumed and nothing more comes out.
      // At the end: keep draining until the converter has flushed its tail.
      if (d.output_frames_gen == 0 && (end || d.input_frames == 0 || d.input_frames_used == 0)) break;
    }
  }

  int channels_;
  double ratio_;
  std::unique_ptr<SRC_STATE, SrcDeleter> state_;
  std::vector<float> mono_;
  Audio out_;
};

// ---- libsndfile virtual I/O over a memory block ----

struct MemFile {
  const uint8_t* data;
  sf_count_t size;
  sf_count_t pos;
};

sf_count_t vio_len(void* u) { return static_cast<MemFile*>(u)->size; }

sf_count_t vio_seek(sf_count_t offset, int whence, void* u) {
  auto* m = static_cast<MemFile*>(u);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size;
  if ((offset > 0 && base > m->size - offset) || base + offset < 0) return -1;  // no overflow, no negatives
  m->pos = std::min(base + offset, m->size);
  return m->pos;
}

sf_count_t vio_read(void* out, sf_count_t count, void* u) {
  auto* m = static_cast<MemFile*>(u);
  if (count <= 0) return 0;
  const sf_count_t n = std::min(count, m->size - m->pos);
  if (n > 0) std::memcpy(out, m->data + m->pos, static_cast<size_t>(n));
  m->pos += n;
  return n;
}

sf_count_t vio_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t vio_tell(void* u) { return static_cast<MemFile*>(u)->pos; }

struct SndDeleter {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

void check_pcm_args(const void* pcm, size_t frames, int channels, int rate) {
  if (channels < 1 || channels > kAudioMaxChannels)
    fail(Status::invalid_argument, "audio: channel count " + std::to_string(channels) + " is outside 1.." +
                                       std::to_string(kAudioMaxChannels));
  if (rate < kAudioMinRate || rate > kAudioMaxRate)
    fail(Status::invalid_argument, "audio: sample rate " + std::to_string(rate) + " Hz is outside " +
                                       std::to_string(kAudioMinRate) + ".." + std::to_string(kAudioMaxRate));
  if (frames == 0) fail(Status::bad_format, "audio: no samples");
  if (!pcm) fail(Status::invalid_argument, "audio: null PCM pointer");
  if (frames > static_cast<uint64_t>(kAudioMaxSeconds) * rate)
    fail(Status::unsupported, "audio: " + std::to_string(frames) + " frames at " + std::to_string(rate) +
                                       " Hz is longer than " + std::to_string(kAudioMaxSeconds) + " s");
}

template <class T>
Audio from_pcm(const T* pcm, size_t frames, int channels, int rate, float scale) {
  check_pcm_args(pcm, frames, channels, rate);
  MonoResampler r(channels, rate);
  for (size_t f = 0; f < frames; f += kBlockFrames) {
    const size_t n = std::min(kBlockFrames, frames - f);
    if (!r.push(pcm + f * channels, n, scale))
      fail(Status::invalid_argument, "audio: non-finite sample near frame " + std::to_string(f));
  }
  return r.finish();
}

}  // namespace

Audio decode_audio(const uint8_t* data, size_t size, const std::string& name) {
  if (!data && size) fail(Status::invalid_argument, name + ": null audio data");
  if (size == 0) fail(Status::bad_format, name + ": no samples (empty input)");
  MemFile mem{data, static_cast<sf_count_t>(size), 0};
  SF_VIRTUAL_IO vio{vio_len, vio_seek, vio_read, vio_write, vio_tell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndDeleter> sf(sf_open_virtual(&vio, SFM_READ, &info, &mem));
  if (!sf) fail(Status::bad_format, name + ": cannot decode audio: " + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > kAudioMaxChannels)
    fail(Status::unsupported, name + ": " + std::to_string(info.channels) + " audio channels; supported 1.." +
                                  std::to_string(kAudioMaxChannels));
  if (info.samplerate < kAudioMinRate || info.samplerate > kAudioMaxRate)
    fail(Status::unsupported, name + ": sample rate " + std::to_string(info.samplerate) + " Hz; supported " +
                                  std::to_string(kAudioMinRate) + ".." + std::to_string(kAudioMaxRate));
  const int64_t max_frames = kAudioMaxSeconds * info.samplerate;
  // info.frames may be unknown (SF_COUNT_MAX) or a lie; the read loop enforces the limit too.
  if (info.frames != SF_COUNT_MAX && info.frames > max_frames)
    fail(Status::unsupported, name + ": " + std::to_string(info.frames / info.samplerate) +
                                  " s of audio; the limit is " + std::to_string(kAudioMaxSeconds) + " s");

  MonoResampler r(info.channels, info.samplerate);
  std::vector<float> block(kBlockFrames * static_cast<size_t>(info.channels));
  int64_t total = 0;
  sf_count_t got;
  while ((got = sf_readf_float(sf.get(), block.data(), static_cast<sf_count_t>(kBlockFrames))) > 0) {
    total += got;
    if (total > max_frames)
      fail(Status::unsupported, name + ": more than " + std::to_string(kAudioMaxSeconds) + " s of audio");
    if (!r.push(block.data(), static_cast<size_t>(got), 1.0f))
      fail(Status::bad_format, name + ": non-finite sample near frame " + std::to_string(total - got));
  }
  if (sf_error(sf.get()) != SF_ERR_NO_ERROR)
    fail(Status::bad_format, name + ": audio decoding failed: " + sf_strerror(sf.get()));
  if (total == 0) fail(Status::bad_format, name + ": no samples");
  return r.finish();
}

Audio decode_audio_file(const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail(Status::io, path + ": cannot open audio file: " + std::strerror(errno));
  std::vector<uint8_t> buf;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) {
    if (buf.size() + got > kMaxAudioFileBytes)
      fail(Status::io, path + ": audio file is larger than " + std::to_string(kMaxAudioFileBytes) + " bytes");
    buf.insert(buf.end(), chunk, chunk + got);
  }
  if (std::ferror(f.get())) fail(Status::io, path + ": read error: " + std::strerror(errno));
  return decode_audio(buf.data(), buf.size(), path);
}

Audio audio_from_pcm_f32(const float* pcm, size_t frames, int channels, int sample_rate) {
  return from_pcm(pcm, frames, channels, sample_rate, 1.0f);
}

Audio audio_from_pcm_s16(const int16_t* pcm, size_t frames, int channels, int sample_rate) {
  return from_pcm(pcm, frames, channels, sample_rate, 1.0f / 32768.0f);
}

}  // namespace g4
