// Gemma 4's encoder-free multimodal embedders (spec §3.3, §4): 48x48 image patches and 640-sample
// audio frames projected straight into the decoder's embedding space. Loaded from a GGUF
// projector file (llama.cpp "mmproj", CHW patch order) or from the Hugging Face checkpoint
// (HWC patch order). The soft tokens they produce are inserted unscaled (spec §2.1).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "model/weights.h"

namespace g4 {

class GgufFile;

constexpr int kPatchSide = 48;                                 // 16-px teacher patch x 3x3 pooling
constexpr int kPatchDim = kPatchSide * kPatchSide * 3;         // 6912
constexpr int kAudioFrame = 640;                               // 40 ms at 16 kHz
constexpr float kVisionLayerNormEps = 1e-5f;                   // nn.LayerNorm default (spec §3.1)
constexpr float kMultimodalRmsEps = 1e-6f;                     // weightless RMSNorm before projection

struct VisionWeights {
  std::vector<float> ln1_w, ln1_b;   // [6912], in the file's patch element order
  MatView patch;                     // [d][6912]
  std::vector<float> patch_b;        // [d]
  std::vector<float> ln2_w, ln2_b;   // [d]
  MatView pos;                       // position table as rows of d (see pos_row)
  int pos_size = 0;                  // P: positions per axis (1120 in 12B)
  bool pos_axis_major = true;        // GGUF [2][P][d] (true) or HF [P][2][d]
  std::vector<float> ln3_w, ln3_b;   // [d]
  MatView proj;                      // [d][d]
  bool chw = true;                   // patch element order: CHW (GGUF) or HWC (HF)
  int64_t pos_row(int axis, int p) const { return pos_axis_major ? int64_t(axis) * pos_size + p : int64_t(p) * 2 + axis; }
};

struct AudioWeights {
  MatView proj;                      // [d][640]
};

class Projector {
 public:
  // From a GGUF mmproj file (general.architecture = clip, projector types gemma4uv / gemma4ua).
  // want_vision / want_audio select what is bound; tensors of the other modality are not touched.
  static std::unique_ptr<Projector> from_gguf(const GgufFile& f, int n_embd, bool want_vision, bool want_audio);
  // From the HF checkpoint's model.vision_embedder.* / model.embed_vision.* / model.embed_audio.*.
  // Returns nullptr when the checkpoint has neither.
  static std::unique_ptr<Projector> from_hf(const TensorLookup& lookup, int n_embd, bool want_vision,
                                            bool want_audio);

  bool has_vision() const { return has_vision_; }
  bool has_audio() const { return has_audio_; }
  int max_positions() const { return vision_.pos_size; }
  uint64_t bytes() const { return bytes_; }

  // Soft tokens of an image already resized to multiples of 48 (rgb: width*height*3 bytes):
  // writes (width/48)*(height/48) rows of n_embd floats to out, patches in raster order.
  void embed_image(const uint8_t* rgb, int width, int height, float* out, const kernels::KernelTable& k,
                   ThreadPool& pool) const;
  // Soft tokens of 16 kHz mono audio: ceil(n/640) rows (the tail zero-padded).
  void embed_audio(const float* samples, size_t n, float* out, const kernels::KernelTable& k,
                   ThreadPool& pool) const;

 private:
  Projector() = default;
  int d_ = 0;
  bool has_vision_ = false, has_audio_ = false;
  VisionWeights vision_;
  AudioWeights audio_;
  uint64_t n_params_ = 0, bytes_ = 0;
};

}  // namespace g4
