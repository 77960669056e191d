// --video in a gemma4-cli built without FFmpeg (GEMMA4_CLI_VIDEO=OFF): says so.
#include "video.h"

namespace cli {

bool video_supported() { return false; }

gemma4_status add_video(gemma4_input*, const std::string& path, double, int32_t, bool, bool (*)(), VideoSummary*,
                        std::string* err) {
  *err = "cannot read '" + path + "': this gemma4-cli was built without FFmpeg (GEMMA4_CLI_VIDEO=OFF; install "
         "libavformat-dev libavcodec-dev libswscale-dev libswresample-dev and rebuild)";
  return GEMMA4_ERR_UNSUPPORTED;
}

}  // namespace cli
