"""Writes Gemma 4 text models with random weights for the engine's end-to-end tests.

  make_model.py OUT.gguf  [--type f32|f16|bf16|q8_0|q4_0|q4_k|q6_k|q4_k_m] [common options]
  make_model.py OUT_DIR --format safetensors [--dtype bf16|f16|f32] [--shards 1|2] [common options]
  make_model.py OUT.gguf --full-12b --type q4_0|q4_k_m|q8_0|bf16 [--dry-run]
  common options: --seed N (default 1) --layers N --pattern SSSSSF (S sliding, F full) --vocab N
  multimodal (spec §3, §4, §7.3; values from model_mm.py):
    GGUF:        --mmproj OUT_MMPROJ.gguf [--mm-type f32|f16] [--mm-proj-type bf16|f16]
    safetensors: --with-mm (embedder tensors in the same files, vision/audio config sections,
                 processor_config.json)
    both:        --mm-posemb P (position table size per axis, default 128; 1120 in the 12B)

Small models use the real tensor names and metadata keys with small dimensions (spec §1, §7).
The float weights depend only on (seed, tensor name), so one seed gives the same model in every
format: the f32 GGUF and f32 safetensors hold identical values, bf16 ones identical rounding.
1-D weights (norms, layer scalars) are generated bf16-exact, so they are equal in every file even
though GGUF stores them as F32. --full-12b streams a 12B-shaped file tensor by tensor with random
quantized blocks (never the whole model in memory).
Run with /usr/bin/python3 (needs NumPy).
"""
import argparse
import json
import math
import os
import struct
import sys
import time
import zlib

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_mm as mm  # noqa: E402
import model_quant as mq  # noqa: E402
import model_vocab as mv  # noqa: E402

ALIGN = 32
EMB_STD = 0.1  # embedding rows; with the final RMSNorm this sets the logit spread (std ~ sqrt(d)*EMB_STD)
QK_NORM = 0.35  # mean of the q_norm / k_norm weights (see make_weight)


def small_config(args):
    layers = args.layers
    pattern = args.pattern
    if pattern is None:
        layers = layers or 6
        pattern = "".join("F" if (i + 1) % 6 == 0 else "S" for i in range(layers))
        if not pattern.endswith("F"):
            pattern = pattern[:-1] + "F"
    layers = layers or len(pattern)
    pattern = (pattern * layers)[:layers]
    assert set(pattern) <= {"S", "F"}, "--pattern takes letters S and F"
    return dict(d=256, sliding=[c == "S" for c in pattern], n_head=4, n_kv_swa=2, hd_swa=64,
                n_kv_full=1, hd_full=128, ffn=512, window=16, ctx=512, theta_swa=1e4,
                theta_full=1e6, partial=0.25, softcap=30.0, eps=1e-6, vocab=args.vocab)


def full_config():
    return dict(d=3840, sliding=[(i + 1) % 6 != 0 for i in range(48)], n_head=16, n_kv_swa=8,
                hd_swa=256, n_kv_full=1, hd_full=512, ffn=15360, window=1024, ctx=262144,
                theta_swa=1e4, theta_full=1e6, partial=0.25, softcap=30.0, eps=1e-6, vocab=262144)


def layer_dims(cfg, i):
    if cfg["sliding"][i]:
        return cfg["n_kv_swa"], cfg["hd_swa"]
    return cfg["n_kv_full"], cfg["hd_full"]


def tensor_list(cfg):
    """(gguf name, hf name, numpy shape [out, in], kind, layer) in file order."""
    d, ffn, H = cfg["d"], cfg["ffn"], cfg["n_head"]
    lm = "model.language_model."
    out = [("token_embd.weight", lm + "embed_tokens.weight", (cfg["vocab"], d), "emb", -1),
           ("rope_freqs.weight", None, (cfg["hd_full"] // 2,), "rope", -1)]
    for i in range(len(cfg["sliding"])):
        kv, hd = layer_dims(cfg, i)
        g, h = "blk.%d." % i, lm + "layers.%d." % i
        out += [(g + "attn_norm.weight", h + "input_layernorm.weight", (d,), "norm", i),
                (g + "attn_q.weight", h + "self_attn.q_proj.weight", (H * hd, d), "mat", i),
                (g + "attn_k.weight", h + "self_attn.k_proj.weight", (kv * hd, d), "mat", i)]
        if cfg["sliding"][i]:  # full layers: V comes from the K projection (attention_k_eq_v)
            out.append((g + "attn_v.weight", h + "self_attn.v_proj.weight", (kv * hd, d), "mat", i))
        out += [(g + "attn_output.weight", h + "self_attn.o_proj.weight", (d, H * hd), "mat", i),
                (g + "attn_q_norm.weight", h + "self_attn.q_norm.weight", (hd,), "norm", i),
                (g + "attn_k_norm.weight", h + "self_attn.k_norm.weight", (hd,), "norm", i),
                (g + "post_attention_norm.weight", h + "post_attention_layernorm.weight", (d,), "norm", i),
                (g + "ffn_norm.weight", h + "pre_feedforward_layernorm.weight", (d,), "norm", i),
                (g + "ffn_gate.weight", h + "mlp.gate_proj.weight", (ffn, d), "mat", i),
                (g + "ffn_up.weight", h + "mlp.up_proj.weight", (ffn, d), "mat", i),
                (g + "ffn_down.weight", h + "mlp.down_proj.weight", (d, ffn), "mat", i),
                (g + "post_ffw_norm.weight", h + "post_feedforward_layernorm.weight", (d,), "norm", i),
                (g + "layer_output_scale.weight", h + "layer_scalar", (1,), "scalar", i)]
    out.append(("output_norm.weight", lm + "norm.weight", (d,), "norm", -1))
    return out


def make_weight(cfg, seed, name, shape, kind):
    """float32 values of one tensor; depends only on (seed, name, shape)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    if kind == "rope":
        n_rot = int(cfg["partial"] * cfg["hd_full"] / 2)  # rotated pairs of the full layers
        w = np.full(shape, 1e30, np.float32)
        w[:n_rot] = 1.0
        return w
    if kind == "norm":  # RMSNorm applies w directly (not 1+w)
        w = 1.0 + 0.1 * rng.standard_normal(shape, dtype=np.float32)
        if "_q_norm" in name or "_k_norm" in name:
            # Attention scale is 1.0: unit-RMS q and k would give scores of std sqrt(head_dim)
            # (8..11), near-hard attention and a chaotic random model (1e-3 weight noise moved
            # logits by 15%). With 0.35 the scores have std ~1 and that noise moves them ~0.5%.
            w = w * np.float32(QK_NORM)
        return mq.bf16_round(w)
    if kind == "scalar":
        return mq.bf16_round(rng.uniform(0.5, 1.0, shape).astype(np.float32))
    std = EMB_STD if kind == "emb" else 1.0 / math.sqrt(shape[1])
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)


def use_more_bits(i, n):
    """llama.cpp's Q4_K_M rule for which attn_v / ffn_down layers get Q6_K."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def gguf_type(qtype, gname, kind, layer, n_layers):
    if kind != "mat" and kind != "emb":
        return mq.GGML_F32
    if qtype == "q4_k_m":
        if kind == "emb":
            return mq.GGML_Q6_K
        if (".attn_v." in gname or ".ffn_down." in gname) and use_more_bits(layer, n_layers):
            return mq.GGML_Q6_K
        return mq.GGML_Q4_K
    if qtype == "q4_0" and kind == "emb":
        return mq.GGML_Q6_K  # as llama-quantize does for the (tied) output tensor
    return mq.TYPE_BY_NAME[qtype]


FILE_TYPE = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7, "q4_k": 14, "q4_k_m": 15, "q6_k": 18,
             "bf16": 32}

# ---------------------------------------------------------------------------------------------
# GGUF writing. Metadata values are (gguf type id, value) pairs; arrays are (9, (elem type, list)).
U32, I32, F32T, BOOL, STR, ARR = 4, 5, 6, 7, 8, 9


def _gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _gguf_scalar(t, v):
    if t == STR:
        return _gguf_str(v)
    return struct.pack({U32: "<I", I32: "<i", F32T: "<f", BOOL: "<?"}[t], v)


def _gguf_value(t, v):
    if t != ARR:
        return _gguf_scalar(t, v)
    et, items = v
    head = struct.pack("<IQ", et, len(items))
    if et == STR:
        return head + b"".join(_gguf_str(s) for s in items)
    code = {U32: "I", I32: "i", F32T: "f", BOOL: "?"}[et]
    return head + struct.pack("<%d%s" % (len(items), code), *items)


def gguf_metadata(cfg, vocab, merges, name, file_type):
    n = len(cfg["sliding"])
    ids = {t: i for i, (t, _, _) in enumerate(vocab)}
    a = "gemma4."
    return [
        ("general.architecture", STR, "gemma4"),
        ("general.name", STR, name),
        ("general.alignment", U32, ALIGN),
        ("general.file_type", U32, file_type),
        (a + "block_count", U32, n),
        (a + "context_length", U32, cfg["ctx"]),
        (a + "embedding_length", U32, cfg["d"]),
        (a + "embedding_length_per_layer_input", U32, 0),
        (a + "feed_forward_length", U32, cfg["ffn"]),
        (a + "attention.head_count", U32, cfg["n_head"]),
        (a + "attention.head_count_kv", ARR, (U32, [layer_dims(cfg, i)[0] for i in range(n)])),
        (a + "attention.key_length", U32, cfg["hd_full"]),
        (a + "attention.value_length", U32, cfg["hd_full"]),
        (a + "attention.key_length_swa", U32, cfg["hd_swa"]),
        (a + "attention.value_length_swa", U32, cfg["hd_swa"]),
        (a + "attention.layer_norm_rms_epsilon", F32T, cfg["eps"]),
        (a + "attention.shared_kv_layers", U32, 0),
        (a + "attention.sliding_window", U32, cfg["window"]),
        (a + "attention.sliding_window_pattern", ARR, (BOOL, list(cfg["sliding"]))),
        (a + "final_logit_softcapping", F32T, cfg["softcap"]),
        (a + "rope.dimension_count", U32, cfg["hd_full"]),
        (a + "rope.dimension_count_swa", U32, cfg["hd_swa"]),
        (a + "rope.freq_base", F32T, cfg["theta_full"]),
        (a + "rope.freq_base_swa", F32T, cfg["theta_swa"]),
        ("tokenizer.ggml.model", STR, "gemma4"),
        ("tokenizer.ggml.tokens", ARR, (STR, [t for t, _, _ in vocab])),
        ("tokenizer.ggml.scores", ARR, (F32T, [s for _, s, _ in vocab])),
        ("tokenizer.ggml.token_type", ARR, (I32, [k for _, _, k in vocab])),
        ("tokenizer.ggml.merges", ARR, (STR, merges)),
        ("tokenizer.ggml.bos_token_id", U32, ids["<bos>"]),
        ("tokenizer.ggml.eos_token_id", U32, ids["<eos>"]),
        ("tokenizer.ggml.padding_token_id", U32, ids["<pad>"]),
        ("tokenizer.ggml.unknown_token_id", U32, ids["<unk>"]),
        ("tokenizer.ggml.mask_token_id", U32, ids["<mask>"]),
        ("tokenizer.ggml.add_bos_token", BOOL, True),
        ("tokenizer.ggml.add_eos_token", BOOL, False),
        ("tokenizer.ggml.add_space_prefix", BOOL, False),
    ]


def write_gguf(path, metadata, tensors):
    """tensors: list of (name, numpy shape, ggml type, producer) where producer() yields the
    tensor's bytes in pieces. Tensor data is written one tensor at a time."""
    infos = []
    offset = 0
    for name, shape, gtype, _ in tensors:
        size = mq.nbytes(gtype, int(np.prod(shape)))
        infos.append(_gguf_str(name) + struct.pack("<I", len(shape))
                     + struct.pack("<%dQ" % len(shape), *reversed(shape))  # ggml ne0 = row length
                     + struct.pack("<IQ", gtype, offset))
        offset += (size + ALIGN - 1) // ALIGN * ALIGN
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    head += b"".join(_gguf_str(k) + struct.pack("<I", t) + _gguf_value(t, v) for k, t, v in metadata)
    head += b"".join(infos)
    head += b"\0" * (-len(head) % ALIGN)
    with open(path, "wb") as f:
        f.write(head)
        for name, shape, gtype, produce in tensors:
            size = 0
            for chunk in produce():
                f.write(chunk)
                size += len(chunk)
            assert size == mq.nbytes(gtype, int(np.prod(shape))), name
            f.write(b"\0" * (-size % ALIGN))
    return len(head) + offset


def small_gguf(args, cfg):
    vocab, merges = mv.small_vocab(cfg["vocab"])
    n = len(cfg["sliding"])
    tensors = []
    for gname, _, shape, kind, layer in tensor_list(cfg):
        gtype = gguf_type(args.type, gname, kind, layer, n)

        def produce(gname=gname, shape=shape, kind=kind, gtype=gtype):
            yield mq.encode(gtype, make_weight(cfg, args.seed, gname, shape, kind))
        tensors.append((gname, shape, gtype, produce))
    meta = gguf_metadata(cfg, vocab, merges, "gemma4-test-%s-seed%d" % (args.type, args.seed),
                         FILE_TYPE[args.type])
    size = write_gguf(args.out, meta, tensors)
    if args.mmproj:
        small_mmproj(args, cfg)
    return size


def small_mmproj(args, cfg):
    """The projector file beside the text model: embedder of width d = the text model's."""
    tensors = []
    for gname, shape, gtype, w in mm.gguf_tensors(args.seed, cfg["d"], args.mm_posemb, args.mm_type,
                                                  args.mm_proj_type):
        tensors.append((gname, shape, gtype, lambda w=w, gtype=gtype: iter([mq.encode(gtype, w)])))
    meta = mm.mmproj_metadata(cfg["d"], "gemma4-test-mmproj-seed%d" % args.seed, FILE_TYPE[args.mm_type])
    size = write_gguf(args.mmproj, meta, tensors)
    print("wrote %s: %d bytes" % (args.mmproj, size))
    return size


def full_gguf(args):
    cfg = full_config()
    if args.type not in ("q4_0", "q4_k_m", "q8_0", "bf16"):
        sys.exit("--full-12b supports --type q4_0, q4_k_m, q8_0, bf16")
    n = len(cfg["sliding"])
    chunk_values = 1 << 24
    tensors = []
    for gname, _, shape, kind, layer in tensor_list(cfg):
        gtype = gguf_type(args.type, gname, kind, layer, n)
        count = int(np.prod(shape))

        def produce(gname=gname, shape=shape, kind=kind, gtype=gtype, count=count):
            if gtype == mq.GGML_F32:  # small tensors: real values
                yield make_weight(cfg, args.seed, gname, shape, kind).tobytes()
                return
            rng = np.random.default_rng([args.seed, zlib.crc32(gname.encode())])
            for start in range(0, count, chunk_values):
                yield mq.random_blocks(gtype, min(chunk_values, count - start), rng)
        tensors.append((gname, shape, gtype, produce))
    total = sum(mq.nbytes(t, int(np.prod(s))) for _, s, t, _ in tensors)
    if args.dry_run:
        print("12B %s: %d tensors, %.3f GB of tensor data" % (args.type, len(tensors), total / 1e9))
        return total
    rng = np.random.default_rng(args.seed)
    vocab, merges = mv.full_vocab(cfg["vocab"], rng)
    meta = gguf_metadata(cfg, vocab, merges, "gemma4-12b-random-%s" % args.type, FILE_TYPE[args.type])
    return write_gguf(args.out, meta, tensors)

# ---------------------------------------------------------------------------------------------
# Hugging Face folder.


def hf_config(cfg, vocab):
    ids = {t: i for i, (t, _, _) in enumerate(vocab)}
    text = {
        "model_type": "gemma4_unified_text",
        "hidden_size": cfg["d"],
        "num_hidden_layers": len(cfg["sliding"]),
        "num_attention_heads": cfg["n_head"],
        "num_key_value_heads": cfg["n_kv_swa"],
        "num_global_key_value_heads": cfg["n_kv_full"],
        "head_dim": cfg["hd_swa"],
        "global_head_dim": cfg["hd_full"],
        "intermediate_size": cfg["ffn"],
        "vocab_size": cfg["vocab"],
        "max_position_embeddings": cfg["ctx"],
        "sliding_window": cfg["window"],
        "layer_types": ["sliding_attention" if s else "full_attention" for s in cfg["sliding"]],
        "rms_norm_eps": cfg["eps"],
        "final_logit_softcapping": cfg["softcap"],
        "attention_k_eq_v": True,
        "hidden_activation": "gelu_pytorch_tanh",
        "tie_word_embeddings": True,
        "num_kv_shared_layers": 0,
        "hidden_size_per_layer_input": 0,
        "rope_parameters": {
            "sliding_attention": {"rope_type": "default", "rope_theta": cfg["theta_swa"]},
            "full_attention": {"rope_type": "proportional", "partial_rotary_factor": cfg["partial"],
                               "rope_theta": cfg["theta_full"]},
        },
        "bos_token_id": ids["<bos>"], "eos_token_id": ids["<eos>"], "pad_token_id": ids["<pad>"],
        "torch_dtype": "bfloat16",
    }
    return {
        "model_type": "gemma4_unified",
        "architectures": ["Gemma4UnifiedForConditionalGeneration"],
        "text_config": text,
        "eos_token_id": [ids["<eos>"], ids["<turn|>"], ids["<|tool_response>"]],
        "bos_token_id": ids["<bos>"], "pad_token_id": ids["<pad>"],
        "boi_token_id": ids["<|image>"], "eoi_token_id": ids["<image|>"],
        "boa_token_id": ids["<|audio>"], "eoa_token_id": ids["<audio|>"],
        "image_token_id": ids["<|image|>"], "audio_token_id": ids["<|audio|>"],
        "video_token_id": ids["<|video|>"],
        "tie_word_embeddings": True,
    }


def hf_tokenizer(vocab, merges):
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": k != mv.USER_DEFINED}
             for i, (t, _, k) in enumerate(vocab) if k in (mv.CONTROL, mv.USER_DEFINED, mv.UNKNOWN)]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": mv.SPACE},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": mv.SPACE}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                  "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": True,
                  "byte_fallback": True, "ignore_merges": False,
                  "vocab": {t: i for i, (t, _, _) in enumerate(vocab)}, "merges": merges},
    }


ST_DTYPE = {"f32": "F32", "f16": "F16", "bf16": "BF16"}


def st_bytes(x, dtype):
    if dtype == "f32":
        return x.astype(np.float32).tobytes()
    if dtype == "f16":
        return x.astype(np.float16).tobytes()
    return mq.to_bf16_bits(x).tobytes()


def write_safetensors(path, items, dtype):
    """items: list of (name, shape, bytes)."""
    header, offset = {}, 0
    for name, shape, data in items:
        header[name] = {"dtype": ST_DTYPE[dtype], "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, _, data in items:
            f.write(data)
    return 8 + len(h) + offset


def small_safetensors(args, cfg):
    vocab, merges = mv.small_vocab(cfg["vocab"])
    os.makedirs(args.out, exist_ok=True)
    items = [(hname, shape, st_bytes(make_weight(cfg, args.seed, gname, shape, kind), args.dtype))
             for gname, hname, shape, kind, _ in tensor_list(cfg) if hname is not None]
    if args.with_mm:
        items += [(name, shape, st_bytes(mm.make_weight(args.seed, name, shape, kind), args.dtype))
                  for name, shape, kind in mm.hf_tensors(cfg["d"], args.mm_posemb)]
    total = 0
    if args.shards == 1:
        total += write_safetensors(os.path.join(args.out, "model.safetensors"), items, args.dtype)
    else:
        sizes = np.cumsum([len(b) for _, _, b in items])
        bounds = [0] + [int(np.searchsorted(sizes, sizes[-1] * k / args.shards)) + 1
                        for k in range(1, args.shards)] + [len(items)]
        weight_map = {}
        for s in range(args.shards):
            fname = "model-%05d-of-%05d.safetensors" % (s + 1, args.shards)
            part = items[bounds[s]:bounds[s + 1]]
            total += write_safetensors(os.path.join(args.out, fname), part, args.dtype)
            weight_map.update({name: fname for name, _, _ in part})
        index = {"metadata": {"total_size": int(sizes[-1])}, "weight_map": weight_map}
        with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f, indent=1)
    ids = {t: i for i, (t, _, _) in enumerate(vocab)}
    files = {
        "config.json": hf_config(cfg, vocab),
        "tokenizer.json": hf_tokenizer(vocab, merges),
        "tokenizer_config.json": {
            "add_bos_token": True, "add_eos_token": False, "bos_token": "<bos>",
            "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>",
            "model_max_length": cfg["ctx"], "tokenizer_class": "GemmaTokenizer",
            "clean_up_tokenization_spaces": False, "spaces_between_special_tokens": False},
        "generation_config.json": {
            "bos_token_id": ids["<bos>"], "pad_token_id": ids["<pad>"],
            "eos_token_id": [ids["<eos>"], ids["<turn|>"], ids["<|tool_response>"]],
            "suppress_tokens": [ids["<image|>"], ids["<audio|>"]]},
    }
    if args.with_mm:
        vision, audio, processor = mm.hf_configs(cfg["d"], args.mm_posemb)
        files["config.json"].update(vision_config=vision, audio_config=audio)
        files["processor_config.json"] = processor
    for fname, obj in files.items():
        with open(os.path.join(args.out, fname), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1, ensure_ascii=False)
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="output .gguf file, or folder for --format safetensors")
    p.add_argument("--format", choices=["gguf", "safetensors"], default="gguf")
    p.add_argument("--type", default="f32", choices=sorted(FILE_TYPE))
    p.add_argument("--dtype", default="bf16", choices=sorted(ST_DTYPE))
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--pattern", default=None, help="layer types, e.g. SSF or SSSSSF (cycled)")
    p.add_argument("--vocab", type=int, default=1024)
    p.add_argument("--full-12b", action="store_true", help="12B-shaped GGUF with random weights")
    p.add_argument("--dry-run", action="store_true", help="with --full-12b: only print the size")
    p.add_argument("--mmproj", default=None, help="GGUF: also write this projector (mmproj) file")
    p.add_argument("--mm-type", default="f32", choices=["f32", "f16"], help="mmproj v.patch_embd.weight type")
    p.add_argument("--mm-proj-type", default="bf16", choices=["bf16", "f16"],
                   help="mmproj mm.input_projection / mm.a.input_projection type")
    p.add_argument("--with-mm", action="store_true", help="safetensors: include the multimodal embedders")
    # 128 rather than a smaller table: a 1000x60 strip at the default budget 280 is 68 patches wide.
    p.add_argument("--mm-posemb", type=int, default=128, help="position table size P per axis")
    args = p.parse_args()
    if args.full_12b and (args.mmproj or args.with_mm):
        sys.exit("--mmproj / --with-mm are for the small models only")
    if args.mmproj and args.format != "gguf":
        sys.exit("--mmproj goes with a GGUF text model; use --with-mm for a safetensors folder")
    t0 = time.time()
    if args.full_12b:
        size = full_gguf(args)
    elif args.format == "gguf":
        size = small_gguf(args, small_config(args))
    else:
        size = small_safetensors(args, small_config(args))
    if not args.dry_run:
        print("wrote %s: %d bytes in %.2f s" % (args.out, size, time.time() - t0))


if __name__ == "__main__":
    main()
