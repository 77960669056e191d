"""Multimodal embedder weights for the test models (spec §3.3, §4, §7.1, §7.3).

The values are generated once, in the Hugging Face layout (patches in HWC element order,
position table [P, 2, d]), from (seed, HF tensor name). The GGUF projector ("mmproj") holds the
same values permuted the way llama.cpp's converter does: patch vectors in CHW order and the
position table as planes [2][P][d] (plane 0 = x/column table, plane 1 = y/row table). So two files
of one seed differ only by those permutations, which is what an end-to-end test should catch.

Every value is "half-exact": representable in both bf16 and f16 (bf16-rounded, and magnitudes
below f16's normal range 2^-14 flushed to zero). Any storage type choice (--mm-type f32|f16,
--mm-proj-type bf16|f16, safetensors --dtype f32|f16|bf16) therefore stores identical numbers.
"""
import zlib

import numpy as np

import model_quant as mq

PATCH = 48                      # 16-px teacher patch x 3x3 pooling
PATCH_DIM = PATCH * PATCH * 3   # 6912
AUDIO_FRAME = 640               # 40 ms at 16 kHz
POS_STD = 0.5                   # x and y table rows: together a bit more than the unit-variance LN2 output
LN_EPS = 1e-5                   # nn.LayerNorm default (spec §3.1)
RMS_EPS = 1e-6

V = "model.vision_embedder."


def hf_tensors(d, P):
    """(HF name, shape, kind) of the vision and audio embedders, in file order."""
    return [(V + "patch_ln1.weight", (PATCH_DIM,), "lnw"),
            (V + "patch_ln1.bias", (PATCH_DIM,), "lnb"),
            (V + "patch_dense.weight", (d, PATCH_DIM), "mat"),
            (V + "patch_dense.bias", (d,), "lnb"),
            (V + "patch_ln2.weight", (d,), "lnw"),
            (V + "patch_ln2.bias", (d,), "lnb"),
            (V + "pos_embedding", (P, 2, d), "pos"),
            (V + "pos_norm.weight", (d,), "lnw"),
            (V + "pos_norm.bias", (d,), "lnb"),
            ("model.embed_vision.embedding_projection.weight", (d, d), "mat"),
            ("model.embed_audio.embedding_projection.weight", (d, AUDIO_FRAME), "mat")]


def half_exact(x):
    x = mq.bf16_round(np.asarray(x, np.float32))
    x[np.abs(x) < 2.0 ** -14] = 0.0   # f16 subnormals cannot hold every bf16 value there
    return x


def make_weight(seed, name, shape, kind):
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    g = rng.standard_normal(shape, dtype=np.float32)
    if kind == "lnw":
        return half_exact(1.0 + 0.1 * g)
    if kind == "lnb":
        return half_exact(0.1 * g)
    if kind == "pos":
        return half_exact(POS_STD * g)
    return half_exact(g / np.float32(np.sqrt(shape[1])))   # unit-variance outputs for unit inputs


def hwc_to_chw(x):
    """Permutes the last axis (6912 patch elements) from (row, col, c) to (c, row, col)."""
    lead = x.shape[:-1]
    return np.ascontiguousarray(
        x.reshape(lead + (PATCH, PATCH, 3)).transpose(tuple(range(len(lead))) + (len(lead) + 2, len(lead),
                                                                                 len(lead) + 1))
    ).reshape(lead + (PATCH_DIM,))


GGUF_NAME = {V + "patch_ln1.weight": "v.patch_norm.1.weight", V + "patch_ln1.bias": "v.patch_norm.1.bias",
             V + "patch_dense.weight": "v.patch_embd.weight", V + "patch_dense.bias": "v.patch_embd.bias",
             V + "patch_ln2.weight": "v.patch_norm.2.weight", V + "patch_ln2.bias": "v.patch_norm.2.bias",
             V + "pos_embedding": "v.position_embd.weight",
             V + "pos_norm.weight": "v.patch_norm.3.weight", V + "pos_norm.bias": "v.patch_norm.3.bias",
             "model.embed_vision.embedding_projection.weight": "mm.input_projection.weight",
             "model.embed_audio.embedding_projection.weight": "mm.a.input_projection.weight"}


def gguf_tensors(seed, d, P, mm_type, proj_type):
    """(GGUF name, numpy shape (reversed ggml ne), ggml type, float32 values) of the mmproj."""
    out = []
    for name, shape, kind in hf_tensors(d, P):
        w = make_weight(seed, name, shape, kind)
        gname = GGUF_NAME[name]
        gtype = mq.GGML_F32
        if gname.startswith("v.patch_norm.1."):
            w = hwc_to_chw(w)
        elif gname == "v.patch_embd.weight":
            w = hwc_to_chw(w)            # ne [6912, d]: each output row's 6912 columns in CHW order
            gtype = mq.TYPE_BY_NAME[mm_type]
        elif gname == "v.position_embd.weight":
            w = np.ascontiguousarray(w.transpose(1, 0, 2))   # [P,2,d] -> [2,P,d]: ne [d, P, 2]
        elif gname.startswith("mm."):
            gtype = mq.TYPE_BY_NAME[proj_type]
        out.append((gname, w.shape, gtype, w))
    return out


def mmproj_metadata(d, name, file_type):
    F32T, U32, BOOL, STR, ARR = 6, 4, 7, 8, 9
    return [
        ("general.architecture", STR, "clip"),
        ("general.name", STR, name),
        ("general.alignment", U32, 32),
        ("general.file_type", U32, file_type),
        ("clip.has_vision_encoder", BOOL, True),
        ("clip.has_audio_encoder", BOOL, True),
        ("clip.projector_type", STR, "gemma4uv"),
        ("clip.vision.projector_type", STR, "gemma4uv"),
        ("clip.audio.projector_type", STR, "gemma4ua"),
        ("clip.vision.embedding_length", U32, d),
        ("clip.vision.projection_dim", U32, d),
        ("clip.vision.patch_size", U32, 16),          # llama.cpp multiplies by the 3x3 pooling
        ("clip.vision.image_size", U32, 224),         # dummy, as in the published files
        ("clip.vision.image_mean", ARR, (F32T, [0.0, 0.0, 0.0])),
        ("clip.vision.image_std", ARR, (F32T, [1.0, 1.0, 1.0])),
        ("clip.vision.block_count", U32, 0),
        ("clip.vision.feed_forward_length", U32, 0),
        ("clip.vision.attention.head_count", U32, 0),
        ("clip.vision.attention.layer_norm_epsilon", F32T, RMS_EPS),   # published value; not the LN eps
        ("clip.audio.embedding_length", U32, AUDIO_FRAME),
        ("clip.audio.projection_dim", U32, d),
        ("clip.audio.block_count", U32, 0),
        ("clip.audio.feed_forward_length", U32, 0),
        ("clip.audio.attention.head_count", U32, 0),
        ("clip.audio.num_mel_bins", U32, 128),        # dummy
        ("clip.audio.attention.layer_norm_epsilon", F32T, RMS_EPS),
    ]


def hf_configs(d, P):
    """vision_config, audio_config (config.json sections) and processor_config.json."""
    vision = {"model_type": "gemma4_unified_vision", "patch_size": 16, "pooling_kernel_size": 3,
              "mm_embed_dim": d, "mm_posemb_size": P, "output_proj_dims": d,
              "layer_norm_eps": LN_EPS, "rms_norm_eps": RMS_EPS}
    audio = {"model_type": "gemma4_unified_audio", "audio_embed_dim": AUDIO_FRAME,
             "audio_samples_per_token": AUDIO_FRAME, "output_proj_dims": d, "rms_norm_eps": RMS_EPS}
    image_proc = {"image_processor_type": "Gemma4UnifiedImageProcessor", "do_convert_rgb": True,
                  "do_resize": True, "resample": 3, "do_rescale": True, "rescale_factor": 1.0 / 255,
                  "do_normalize": False, "image_mean": [0.0, 0.0, 0.0], "image_std": [1.0, 1.0, 1.0],
                  "patch_size": 16, "pooling_kernel_size": 3, "max_soft_tokens": 280}
    video_proc = {k: v for k, v in image_proc.items() if k != "image_processor_type"}
    video_proc.update(video_processor_type="Gemma4UnifiedVideoProcessor", max_soft_tokens=70,
                      num_frames=32, do_sample_frames=True)
    processor = {"processor_class": "Gemma4UnifiedProcessor", "image_processor": image_proc,
                 "video_processor": video_proc,
                 "feature_extractor": {"feature_extractor_type": "Gemma4UnifiedFeatureExtractor",
                                       "sampling_rate": 16000, "feature_size": 1,
                                       "audio_samples_per_token": AUDIO_FRAME},
                 "image_seq_length": 280, "audio_seq_length": 750}
    return vision, audio, processor
