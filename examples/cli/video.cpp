// --video of gemma4-cli through FFmpeg: libavformat demuxes, libavcodec decodes, libswscale
// converts frames to RGB24, libswresample turns the soundtrack into 16 kHz mono float.
// Frames go into the gemma4_input as they are sampled (the library shrinks each to its token
// budget at once), so a long video never holds more than one full-size frame here.
#include "video.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <cmath>
#include <vector>

namespace cli {
namespace {

constexpr int kAudioRate = 16000;  // what the audio embedder takes (spec §4); saves a resample

std::string av_message(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

// One open decoder of one stream.
struct Decoder {
  AVCodecContext* cc = nullptr;
  AVStream* stream = nullptr;
  ~Decoder() { avcodec_free_context(&cc); }
};

// Everything one add_video() call owns, freed in the destructor whatever happened.
class VideoReader {
 public:
  VideoReader(gemma4_input* input, const std::string& path, double fps, int32_t max_tokens, bool with_audio)
      : input_(input), path_(path), fps_(fps), max_tokens_(max_tokens), with_audio_(with_audio) {}
  ~VideoReader() {
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    sws_freeContext(sws_);
    swr_free(&swr_);
    avformat_close_input(&fmt_);
  }
  gemma4_status run(bool (*cancelled)(), VideoSummary* summary, std::string* err);

 private:
  gemma4_status open(std::string* err);
  gemma4_status open_decoder(AVMediaType type, int related, Decoder* d, std::string* err);
  gemma4_status drain(Decoder* d, std::string* err);  // receives every frame the decoder has
  gemma4_status on_video_frame(std::string* err);
  gemma4_status on_audio_frame(std::string* err);
  gemma4_status fail(gemma4_status st, const std::string& what, std::string* err) {
    *err = "--video '" + path_ + "': " + what;
    return st;
  }
  gemma4_status library_failed(gemma4_status st, const char* call, std::string* err) {
    return fail(st, std::string(call) + ": " + gemma4_last_error(), err);
  }

  gemma4_input* input_;
  std::string path_;
  double fps_;
  int32_t max_tokens_;
  bool with_audio_;
  AVFormatContext* fmt_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
  Decoder video_, audio_;
  SwsContext* sws_ = nullptr;
  SwrContext* swr_ = nullptr;
  std::vector<uint8_t> rgb_;
  std::vector<float> pcm_;
  int64_t next_k_ = 0;           // index of the next sampling time k / fps
  int64_t first_pts_ = AV_NOPTS_VALUE;
  VideoSummary sum_;
};

gemma4_status VideoReader::open(std::string* err) {
  int rc = avformat_open_input(&fmt_, path_.c_str(), nullptr, nullptr);
  if (rc < 0) {
    // ENOENT/EACCES are I/O problems; anything else means the bytes are not a known container.
    const bool io = rc == AVERROR(ENOENT) || rc == AVERROR(EACCES) || rc == AVERROR(EISDIR);
    return fail(io ? GEMMA4_ERR_IO : GEMMA4_ERR_BAD_FORMAT, "cannot open: " + av_message(rc), err);
  }
  if ((rc = avformat_find_stream_info(fmt_, nullptr)) < 0)
    return fail(GEMMA4_ERR_BAD_FORMAT, "cannot read the stream info: " + av_message(rc), err);
  gemma4_status st = open_decoder(AVMEDIA_TYPE_VIDEO, -1, &video_, err);
  if (st != GEMMA4_OK) return st;
  // The soundtrack is optional: a missing or undecodable audio stream leaves the frames only.
  std::string ignored;
  if (with_audio_ && open_decoder(AVMEDIA_TYPE_AUDIO, video_.stream->index, &audio_, &ignored) != GEMMA4_OK)
    avcodec_free_context(&audio_.cc), audio_.stream = nullptr;
  packet_ = av_packet_alloc();
  frame_ = av_frame_alloc();
  if (!packet_ || !frame_) return fail(GEMMA4_ERR_OUT_OF_MEMORY, "out of memory", err);
  return GEMMA4_OK;
}

gemma4_status VideoReader::open_decoder(AVMediaType type, int related, Decoder* d, std::string* err) {
  const AVCodec* codec = nullptr;
  int idx = av_find_best_stream(fmt_, type, -1, related, &codec, 0);
  const char* kind = type == AVMEDIA_TYPE_VIDEO ? "video" : "audio";
  if (idx < 0 || !codec)
    return fail(GEMMA4_ERR_BAD_FORMAT, std::string("no decodable ") + kind + " stream", err);
  d->stream = fmt_->streams[idx];
  d->cc = avcodec_alloc_context3(codec);
  if (!d->cc) return fail(GEMMA4_ERR_OUT_OF_MEMORY, "out of memory", err);
  int rc = avcodec_parameters_to_context(d->cc, d->stream->codecpar);
  if (rc >= 0) {
    d->cc->pkt_timebase = d->stream->time_base;
    rc = avcodec_open2(d->cc, codec, nullptr);
  }
  if (rc < 0) return fail(GEMMA4_ERR_BAD_FORMAT, std::string("cannot open the ") + kind + " decoder: " +
                          av_message(rc), err);
  return GEMMA4_OK;
}

gemma4_status VideoReader::on_video_frame(std::string* err) {
  int64_t pts = frame_->best_effort_timestamp;
  if (pts == AV_NOPTS_VALUE) pts = frame_->pts;
  if (pts == AV_NOPTS_VALUE) return GEMMA4_OK;  // a frame with no time cannot be placed: skip it
  // Times count from the stream's start (or its first frame): containers often start at an
  // offset, and the model is told "00:00" for the first second of what it sees.
  int64_t start = video_.stream->start_time;
  if (first_pts_ == AV_NOPTS_VALUE) first_pts_ = pts;
  if (start == AV_NOPTS_VALUE) start = first_pts_;
  const double t = static_cast<double>(pts - start) * av_q2d(video_.stream->time_base);
  // 1 µs slack: k / fps rounded to a time base must still count as "at" the sampling time.
  if (t + 1e-6 < static_cast<double>(next_k_) / fps_) return GEMMA4_OK;
  next_k_ = static_cast<int64_t>(std::floor(t * fps_ + 1e-6)) + 1;

  const int w = frame_->width, h = frame_->height;
  // Anamorphic video (sample aspect ratio != 1) is stretched to its display shape, the shape
  // the frames were meant to be seen in, before the library fits it to its patch grid.
  int dw = w;
  const AVRational sar = frame_->sample_aspect_ratio;
  if (sar.num > 0 && sar.den > 0 && sar.num != sar.den)
    dw = static_cast<int>(std::lround(w * av_q2d(sar)));
  if (w <= 0 || h <= 0 || dw <= 0) return fail(GEMMA4_ERR_BAD_FORMAT, "a frame has no size", err);
  sws_ = sws_getCachedContext(sws_, w, h, static_cast<AVPixelFormat>(frame_->format), dw, h, AV_PIX_FMT_RGB24,
                              SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!sws_) return fail(GEMMA4_ERR_UNSUPPORTED, "cannot convert the frames' pixel format to RGB", err);
  rgb_.resize(static_cast<size_t>(dw) * h * 3);
  uint8_t* dst[1] = {rgb_.data()};
  const int dst_stride[1] = {dw * 3};
  sws_scale(sws_, frame_->data, frame_->linesize, 0, h, dst, dst_stride);
  gemma4_status st = gemma4_input_add_video_frame_rgb(input_, rgb_.data(), dw, h, static_cast<size_t>(dw) * 3, 3,
                                                      t < 0 ? 0 : t, max_tokens_);
  if (st != GEMMA4_OK) return library_failed(st, "gemma4_input_add_video_frame_rgb", err);
  sum_.n_frames++;
  sum_.duration_s = t < 0 ? 0 : t;
  sum_.width = dw;
  sum_.height = h;
  return GEMMA4_OK;
}

gemma4_status VideoReader::on_audio_frame(std::string* err) {
  if (!swr_) {
    AVChannelLayout in_layout;
    // Streams without a channel map (order UNSPEC) get the default layout of their count,
    // which swresample needs to build its downmix matrix.
    if (frame_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_default(&in_layout, frame_->ch_layout.nb_channels);
    else if (av_channel_layout_copy(&in_layout, &frame_->ch_layout) < 0)
      return fail(GEMMA4_ERR_OUT_OF_MEMORY, "out of memory", err);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    int rc = swr_alloc_set_opts2(&swr_, &mono, AV_SAMPLE_FMT_FLT, kAudioRate, &in_layout,
                                 static_cast<AVSampleFormat>(frame_->format), frame_->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    if (rc >= 0) rc = swr_init(swr_);
    if (rc < 0) return fail(GEMMA4_ERR_UNSUPPORTED, "cannot resample the soundtrack: " + av_message(rc), err);
  }
  const int cap = swr_get_out_samples(swr_, frame_->nb_samples);
  if (cap < 0) return fail(GEMMA4_ERR_BAD_FORMAT, "bad audio frame", err);
  const size_t old = pcm_.size();
  pcm_.resize(old + cap);
  uint8_t* out[1] = {reinterpret_cast<uint8_t*>(pcm_.data() + old)};
  int n = swr_convert(swr_, out, cap, const_cast<const uint8_t**>(frame_->extended_data), frame_->nb_samples);
  if (n < 0) return fail(GEMMA4_ERR_BAD_FORMAT, "cannot resample the soundtrack: " + av_message(n), err);
  pcm_.resize(old + n);
  return GEMMA4_OK;
}

gemma4_status VideoReader::drain(Decoder* d, std::string* err) {
  for (;;) {
    int rc = avcodec_receive_frame(d->cc, frame_);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return GEMMA4_OK;
    if (rc < 0) {
      if (d == &audio_) return GEMMA4_OK;  // a broken soundtrack ends it; the frames still count
      return fail(GEMMA4_ERR_BAD_FORMAT, "cannot decode a frame: " + av_message(rc), err);
    }
    gemma4_status st = d == &video_ ? on_video_frame(err) : on_audio_frame(err);
    av_frame_unref(frame_);
    if (st != GEMMA4_OK) return st;
  }
}

gemma4_status VideoReader::run(bool (*cancelled)(), VideoSummary* summary, std::string* err) {
  gemma4_status st = open(err);
  if (st != GEMMA4_OK) return st;
  int rc = 0;
  while ((rc = av_read_frame(fmt_, packet_)) >= 0) {
    Decoder* d = packet_->stream_index == video_.stream->index ? &video_
                 : audio_.cc && packet_->stream_index == audio_.stream->index ? &audio_ : nullptr;
    // A corrupt packet is the decoder's to report or conceal (it usually skips to the next
    // key frame), so send errors other than "no memory" are not fatal here.
    if (d && avcodec_send_packet(d->cc, packet_) == AVERROR(ENOMEM))
      st = fail(GEMMA4_ERR_OUT_OF_MEMORY, "out of memory", err);
    av_packet_unref(packet_);
    if (st == GEMMA4_OK && d) st = drain(d, err);
    if (st == GEMMA4_OK && cancelled && cancelled()) st = fail(GEMMA4_ERR_CANCELLED, "interrupted", err);
    if (st != GEMMA4_OK) return st;
  }
  if (rc != AVERROR_EOF) return fail(GEMMA4_ERR_BAD_FORMAT, "cannot read: " + av_message(rc), err);
  // End of file: flush the decoders (they hold back reordered frames) and the resampler.
  for (Decoder* d : {&video_, &audio_}) {
    if (!d->cc) continue;
    avcodec_send_packet(d->cc, nullptr);
    if ((st = drain(d, err)) != GEMMA4_OK) return st;
  }
  if (swr_) {
    const int cap = swr_get_out_samples(swr_, 0);
    if (cap > 0) {
      const size_t old = pcm_.size();
      pcm_.resize(old + cap);
      uint8_t* out[1] = {reinterpret_cast<uint8_t*>(pcm_.data() + old)};
      int n = swr_convert(swr_, out, cap, nullptr, 0);
      pcm_.resize(old + (n > 0 ? n : 0));
    }
  }
  if (sum_.n_frames == 0) return fail(GEMMA4_ERR_BAD_FORMAT, "no video frame could be decoded", err);
  if (!pcm_.empty()) {
    st = gemma4_input_add_audio_pcm(input_, pcm_.data(), pcm_.size(), 1, kAudioRate, GEMMA4_PCM_F32);
    if (st != GEMMA4_OK) return library_failed(st, "gemma4_input_add_audio_pcm", err);
    sum_.audio_s = static_cast<double>(pcm_.size()) / kAudioRate;
  }
  *summary = sum_;
  return GEMMA4_OK;
}

}  // namespace

bool video_supported() { return true; }

gemma4_status add_video(gemma4_input* input, const std::string& path, double fps, int32_t max_tokens,
                        bool with_audio, bool (*cancelled)(), VideoSummary* summary, std::string* err) {
  if (!(fps > 0)) {
    *err = "--video-fps must be positive";
    return GEMMA4_ERR_INVALID_ARGUMENT;
  }
  // FFmpeg logs to stderr itself; its errors reach the user through *err, so only fatal ones.
  av_log_set_level(AV_LOG_FATAL);
  VideoReader reader(input, path, fps, max_tokens, with_audio);
  return reader.run(cancelled, summary, err);
}

}  // namespace cli
