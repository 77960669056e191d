// Audio decoding for the audio input path (spec §4): any container libsndfile reads (WAV,
// FLAC, OGG/Vorbis, AIFF, AU, ...) or raw caller PCM becomes 16 kHz mono float in [-1, 1].
//
// Channels are mixed to mono by their mean; other rates are resampled with libsamplerate
// (SRC_SINC_MEDIUM_QUALITY: 3x faster than BEST and far above what speech needs; skipped at 16 kHz). Samples are clamped to [-1, 1] at the end (float
// files and the resampler's ringing may exceed it slightly).
//
// Errors (g4::Error): bad_format for corrupt / unrecognised data, non-finite samples and for no
// samples at all ("no samples"); unsupported for more than one hour of audio and for a file
// whose channel count is outside 1..64 or rate outside 1000..768000 Hz; invalid_argument for
// caller PCM with such a channel count or rate (or a null pointer, or non-finite samples);
// io when decode_audio_file cannot read the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace g4 {

constexpr int kAudioSampleRate = 16000;  // spec §4: the embedder consumes 16 kHz mono
constexpr int kAudioMaxChannels = 64;
constexpr int kAudioMinRate = 1000;
constexpr int kAudioMaxRate = 768000;
constexpr int64_t kAudioMaxSeconds = 3600;
constexpr size_t kMaxAudioFileBytes = size_t{2} << 30;

struct Audio {
  std::vector<float> samples;  // 16 kHz mono, each in [-1, 1]
};

// name_for_errors only appears in messages.
Audio decode_audio(const uint8_t* data, size_t size, const std::string& name_for_errors);
Audio decode_audio_file(const std::string& path);

// Interleaved PCM, frames × channels values. int16 maps to float as v / 32768.
Audio audio_from_pcm_f32(const float* pcm, size_t frames, int channels, int sample_rate);
Audio audio_from_pcm_s16(const int16_t* pcm, size_t frames, int channels, int sample_rate);

}  // namespace g4
