#include "model/projector.h"

#include <algorithm>
#include <cmath>

#include "io/gguf.h"
#include "model/tensor_binder.h"

namespace g4 {

namespace {

// y = (x - mean) / sqrt(var + eps) * w + b over n values, statistics in double.
void layer_norm(const float* x, const float* w, const float* b, float* y, int64_t n, float eps) {
  double mean = 0, var = 0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(n);
  const double inv = 1.0 / std::sqrt(var + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>((x[i] - mean) * inv) * w[i] + b[i];
}

// Y[T][W.rows] = X[T][W.cols] W^T with a scratch buffer sized for this call (not in the
// per-token loop: embedders run once per media item).
void linear(const kernels::KernelTable& k, const MatView& W, const float* X, int64_t T, float* Y, ThreadPool& pool) {
  std::vector<uint8_t> scratch(std::max(kernels::matmul_scratch_bytes(W.type, W.cols, T, pool.size()),
                                        kernels::matvec_scratch_bytes(W.type, W.cols)));
  if (T == 1)
    kernels::matvec(k, W, X, Y, pool, scratch.data());
  else
    kernels::matmul(k, W, X, T, Y, pool, scratch.data());
}

}  // namespace

std::unique_ptr<Projector> Projector::from_gguf(const GgufFile& f, int d, bool want_vision, bool want_audio) {
  std::string arch;
  if (!f.get_string("general.architecture", arch) || arch != "clip")
    fail(Status::bad_format, "the projector file is not a GGUF 'clip' (mmproj) file");
  std::unique_ptr<Projector> p(new Projector());
  p->d_ = d;
  Binder bind([&f](const std::string& n) { return f.tensor(n); }, p->n_params_, p->bytes_);
  bool has_v = false, has_a = false;
  f.get_bool("clip.has_vision_encoder", has_v);
  f.get_bool("clip.has_audio_encoder", has_a);
  std::string vtype, atype;
  if (has_v && f.get_string("clip.vision.projector_type", vtype) && vtype != "gemma4uv")
    fail(Status::unsupported, "vision projector type '" + vtype + "' is not supported (expected gemma4uv)");
  if (has_a && f.get_string("clip.audio.projector_type", atype) && atype != "gemma4ua")
    fail(Status::unsupported, "audio projector type '" + atype + "' is not supported (expected gemma4ua)");
  int64_t emb = 0;
  if (has_v && f.get_int("clip.vision.projection_dim", emb) && emb != d)
    fail(Status::bad_format, "projector output size " + std::to_string(emb) + " does not match the model's " +
                                 std::to_string(d));
  if (has_v && want_vision) {
    VisionWeights& v = p->vision_;
    v.chw = true;  // llama.cpp permutes patch weights to CHW (spec §7.3)
    v.ln1_w = bind.vector("v.patch_norm.1.weight", kPatchDim);
    v.ln1_b = bind.vector("v.patch_norm.1.bias", kPatchDim);
    v.patch = bind.matrix("v.patch_embd.weight", d, kPatchDim);
    v.patch_b = bind.vector("v.patch_embd.bias", d);
    v.ln2_w = bind.vector("v.patch_norm.2.weight", d);
    v.ln2_b = bind.vector("v.patch_norm.2.bias", d);
    const TensorInfo& pos = bind.require("v.position_embd.weight");
    if (pos.ne.size() != 3 || pos.ne[0] != d || pos.ne[2] != 2)
      fail(Status::bad_format, "tensor 'v.position_embd.weight' has shape " + shape_str(pos.ne) + ", expected [" +
                                   std::to_string(d) + ", P, 2]");
    v.pos_size = static_cast<int>(pos.ne[1]);
    v.pos_axis_major = true;
    v.pos = bind.rows_view("v.position_embd.weight", d, 2 * pos.ne[1]);
    v.ln3_w = bind.vector("v.patch_norm.3.weight", d);
    v.ln3_b = bind.vector("v.patch_norm.3.bias", d);
    v.proj = bind.matrix("mm.input_projection.weight", d, d);
    p->has_vision_ = true;
  }
  if (has_a && want_audio) {
    p->audio_.proj = bind.matrix("mm.a.input_projection.weight", d, kAudioFrame);
    p->has_audio_ = true;
  }
  return p;
}

std::unique_ptr<Projector> Projector::from_hf(const TensorLookup& lookup, int d, bool want_vision, bool want_audio) {
  const std::string v = "model.vision_embedder.";
  const bool has_v = lookup(v + "patch_dense.weight") != nullptr;
  const bool has_a = lookup("model.embed_audio.embedding_projection.weight") != nullptr;
  if (!(has_v && want_vision) && !(has_a && want_audio)) return nullptr;
  std::unique_ptr<Projector> p(new Projector());
  p->d_ = d;
  Binder bind(lookup, p->n_params_, p->bytes_);
  if (has_v && want_vision) {
    VisionWeights& w = p->vision_;
    w.chw = false;  // the HF checkpoint expects RGBRGB... (HWC) patches (spec §3.2 step 5)
    w.ln1_w = bind.vector(v + "patch_ln1.weight", kPatchDim);
    w.ln1_b = bind.vector(v + "patch_ln1.bias", kPatchDim);
    w.patch = bind.matrix(v + "patch_dense.weight", d, kPatchDim);
    w.patch_b = bind.vector(v + "patch_dense.bias", d);
    w.ln2_w = bind.vector(v + "patch_ln2.weight", d);
    w.ln2_b = bind.vector(v + "patch_ln2.bias", d);
    const TensorInfo& pos = bind.require(v + "pos_embedding");
    if (pos.ne.size() != 3 || pos.ne[0] != d || pos.ne[1] != 2)
      fail(Status::bad_format, "tensor '" + v + "pos_embedding' has shape " + shape_str(pos.ne) + ", expected [" +
                                   std::to_string(d) + ", 2, P] (ne order)");
    w.pos_size = static_cast<int>(pos.ne[2]);
    w.pos_axis_major = false;
    w.pos = bind.rows_view(v + "pos_embedding", d, 2 * pos.ne[2]);
    w.ln3_w = bind.vector(v + "pos_norm.weight", d);
    w.ln3_b = bind.vector(v + "pos_norm.bias", d);
    w.proj = bind.matrix("model.embed_vision.embedding_projection.weight", d, d);
    p->has_vision_ = true;
  }
  if (has_a && want_audio) {
    p->audio_.proj = bind.matrix("model.embed_audio.embedding_projection.weight", d, kAudioFrame);
    p->has_audio_ = true;
  }
  return p;
}

void Projector::embed_image(const uint8_t* rgb, int width, int height, float* out, const kernels::KernelTable& k,
                            ThreadPool& pool) const {
  if (!has_vision_) fail(Status::unsupported, "this model has no vision embedder");
  if (width % kPatchSide || height % kPatchSide || width <= 0 || height <= 0)
    fail(Status::internal, "embed_image: size is not a multiple of 48");
  const VisionWeights& v = vision_;
  const int nx = width / kPatchSide, ny = height / kPatchSide, n = nx * ny;
  if (nx > v.pos_size || ny > v.pos_size)
    fail(Status::unsupported, "image of " + std::to_string(nx) + "x" + std::to_string(ny) +
                                  " patches exceeds the position table (" + std::to_string(v.pos_size) + ")");
  // Patches in raster order, pixels scaled to [0, 1] (no mean/std normalisation, spec §3.2).
  std::vector<float> x(static_cast<size_t>(n) * kPatchDim);
  for (int py = 0; py < ny; ++py)
    for (int px = 0; px < nx; ++px) {
      float* patch = &x[static_cast<size_t>(py * nx + px) * kPatchDim];
      for (int r = 0; r < kPatchSide; ++r)
        for (int c = 0; c < kPatchSide; ++c)
          for (int ch = 0; ch < 3; ++ch) {
            const uint8_t val = rgb[(static_cast<size_t>(py * kPatchSide + r) * width + px * kPatchSide + c) * 3 + ch];
            const int idx = v.chw ? ch * kPatchSide * kPatchSide + r * kPatchSide + c : (r * kPatchSide + c) * 3 + ch;
            patch[idx] = val / 255.0f;
          }
      layer_norm(patch, v.ln1_w.data(), v.ln1_b.data(), patch, kPatchDim, kVisionLayerNormEps);
    }
  std::vector<float> u(static_cast<size_t>(n) * d_), pe(static_cast<size_t>(d_));
  linear(k, v.patch, x.data(), n, u.data(), pool);
  for (int i = 0; i < n; ++i) {
    float* row = &u[static_cast<size_t>(i) * d_];
    for (int j = 0; j < d_; ++j) row[j] += v.patch_b[j];
    layer_norm(row, v.ln2_w.data(), v.ln2_b.data(), row, d_, kVisionLayerNormEps);
    // Factorised 2-D position: x (column) table plus y (row) table.
    const int px = i % nx, py = i / nx;
    k.dequantize_row(v.pos.type, v.pos.row(v.pos_row(0, px)), pe.data(), d_);
    for (int j = 0; j < d_; ++j) row[j] += pe[j];
    k.dequantize_row(v.pos.type, v.pos.row(v.pos_row(1, py)), pe.data(), d_);
    for (int j = 0; j < d_; ++j) row[j] += pe[j];
    layer_norm(row, v.ln3_w.data(), v.ln3_b.data(), row, d_, kVisionLayerNormEps);
    kernels::rms_norm(row, nullptr, row, d_, kMultimodalRmsEps);
  }
  linear(k, v.proj, u.data(), n, out, pool);
}

void Projector::embed_audio(const float* samples, size_t n, float* out, const kernels::KernelTable& k,
                            ThreadPool& pool) const {
  if (!has_audio_) fail(Status::unsupported, "this model has no audio embedder");
  const size_t frames = (n + kAudioFrame - 1) / kAudioFrame;
  std::vector<float> x(frames * kAudioFrame, 0.0f);  // zero-padded tail (spec §4)
  std::copy(samples, samples + n, x.begin());
  for (size_t f = 0; f < frames; ++f)
    kernels::rms_norm(&x[f * kAudioFrame], nullptr, &x[f * kAudioFrame], kAudioFrame, kMultimodalRmsEps);
  linear(k, audio_.proj, x.data(), static_cast<int64_t>(frames), out, pool);
}

}  // namespace g4
