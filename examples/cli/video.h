// --video of gemma4-cli: a video file becomes video-frame parts plus an audio part of a
// gemma4_input. The library takes frames and PCM only; reading container formats is the
// application's business, done here with FFmpeg (video.cpp) or refused (video_none.cpp).
#ifndef GEMMA4_CLI_VIDEO_H
#define GEMMA4_CLI_VIDEO_H

#include <gemma4.h>

#include <string>

namespace cli {

struct VideoSummary {
  int n_frames = 0;         // frames added
  double duration_s = 0;    // time of the last frame added
  double audio_s = 0;       // seconds of soundtrack added (0: none)
  int width = 0, height = 0;  // of the frames, as displayed (sample aspect ratio applied)
};

// True if this build can read video files (GEMMA4_CLI_VIDEO).
bool video_supported();

// Adds the video at `path` to `input`: one frame per 1/fps seconds of presentation time (the
// first frame whose timestamp is at or after k/fps, k = 0, 1, ...; a frame is never used
// twice, so a source slower than fps gives every frame once), each as
// gemma4_input_add_video_frame_rgb with its timestamp and `max_tokens`; then the first audio
// stream, if any and `with_audio`, as one 16 kHz mono float part. `cancelled` is polled
// between packets.
// On failure returns the status (IO: cannot open; BAD_FORMAT: undecodable; UNSUPPORTED: this
// build has no FFmpeg; CANCELLED; or the library's status) with a message in *err.
gemma4_status add_video(gemma4_input* input, const std::string& path, double fps, int32_t max_tokens,
                        bool with_audio, bool (*cancelled)(), VideoSummary* summary, std::string* err);

}  // namespace cli

#endif  // GEMMA4_CLI_VIDEO_H
