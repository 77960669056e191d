"""Independent NumPy float64 reference of Gemma 4 (spec §1-5): text decoder and the encoder-free
image / audio / video embedders.

  gemma4_ref.py MODEL --tokens 2,17,... --n-gen N --out result.npz
      [--mmproj MMPROJ.gguf] [--image FILE[:BUDGET]]... [--audio FILE.wav]...
      [--video-frame FILE@SECONDS]... [--no-resize-uint8] [--dump-soft-tokens OUT.npy]

MODEL is a .gguf file or a Hugging Face safetensors folder (config.json + *.safetensors). Every
hyper-parameter is read from the file. The output holds
  prompt_tokens [T]            the --tokens list (with the -1 media markers)
  expanded_tokens [T']         the sequence actually run: each -1 replaced by its media token run
  soft_positions [n]           positions of expanded_tokens that carry soft tokens
  vision_blocks [T']           bidirectional block id per position (-1: none)
  logits        [N+1, vocab]   logits[0] after the whole prompt, logits[k] after k generated tokens
  gen_tokens    [N]            greedy: argmax(logits[k]) with <image|>/<audio|> suppressed
  margins       [N+1]          top1 - top2 of each row, over the row greedy chose from (suppressed)
The whole sequence is recomputed for each step (no cache: simplest, and cache bugs cannot hide).

Media: the i-th -1 in --tokens is the i-th media argument (command-line order; consecutive
--video-frame arguments with increasing times are one video). Images: PNG (8-bit) or binary PPM,
pre-processed per spec §3.2 (ref_media.py); audio: 16 kHz 16-bit PCM WAV. Video frames use the
budget 70 and are placed as <|image> n x <|video|> <image|> each, without the "mm:ss" timestamp
text (that needs the tokenizer; the engine's renderer test covers it).

This file has its own GGUF / safetensors readers and dequantizers and shares no code with the
model writer (tests/tools/make_model.py), so a mistake in one is not repeated in the other.
Run with /usr/bin/python3 (needs NumPy).
"""
import argparse
import glob
import json
import math
import os
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_media  # noqa: E402

AUDIO_FRAME = 640

# ---------------------------------------------------------------------------------------------
# GGUF reader


class _Cursor:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals[0] if len(vals) == 1 else vals

    def text(self):
        n = self.take("Q")
        s = bytes(self.buf[self.pos:self.pos + n]).decode("utf-8")
        self.pos += n
        return s


_SCALAR_FMT = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def _read_value(c, vtype):
    if vtype == 8:
        return c.text()
    if vtype == 9:
        etype, count = c.take("I"), c.take("Q")
        if etype in _SCALAR_FMT:
            fmt = _SCALAR_FMT[etype]
            vals = struct.unpack_from("<%d%s" % (count, fmt), c.buf, c.pos)
            c.pos += count * struct.calcsize(fmt)
            return list(vals)
        return [_read_value(c, etype) for _ in range(count)]
    return c.take(_SCALAR_FMT[vtype])


class GGUF:
    """Metadata dict plus tensor directory {name: (ggml type, numpy shape, absolute offset)}."""

    def __init__(self, path):
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        c = _Cursor(self.data)
        if bytes(self.data[:4]) != b"GGUF":
            raise ValueError("%s: not a GGUF file" % path)
        c.pos = 4
        version, n_tensors, n_kv = c.take("I"), c.take("Q"), c.take("Q")
        if version not in (2, 3):
            raise ValueError("unsupported GGUF version %d" % version)
        self.meta = {}
        for _ in range(n_kv):
            key = c.text()
            self.meta[key] = _read_value(c, c.take("I"))
        dirs = []
        for _ in range(n_tensors):
            name = c.text()
            nd = c.take("I")
            ne = [c.take("Q") for _ in range(nd)]
            ttype, off = c.take("I"), c.take("Q")
            dirs.append((name, ttype, tuple(reversed(ne)), off))
        align = self.meta.get("general.alignment", 32)
        base = (c.pos + align - 1) // align * align
        self.tensors = {n: (t, shape, base + off) for n, t, shape, off in dirs}

    def array(self, name):
        ttype, shape, off = self.tensors[name]
        count = int(np.prod(shape))
        per, size = _GGML_BLOCK[ttype]
        raw = self.data[off:off + count // per * size]
        return _DEQUANT[ttype](raw, count).reshape(shape)

# ---------------------------------------------------------------------------------------------
# Dequantizers: raw uint8 bytes -> float64 values.


def _f16_at(raw, stride, pos):
    """fp16 value at byte pos of every stride-byte block."""
    b = raw.reshape(-1, stride)[:, pos:pos + 2]
    return np.ascontiguousarray(b).view("<f2").astype(np.float64).reshape(-1)


def _bf16_to_f64(u16):
    return (u16.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def deq_f32(raw, n):
    return np.frombuffer(raw, "<f4", n).astype(np.float64)


def deq_f16(raw, n):
    return np.frombuffer(raw, "<f2", n).astype(np.float64)


def deq_bf16(raw, n):
    return _bf16_to_f64(np.frombuffer(raw, "<u2", n))


def deq_q8_0(raw, n):
    blocks = raw.reshape(-1, 34)
    scale = _f16_at(raw, 34, 0)
    q = np.ascontiguousarray(blocks[:, 2:]).view(np.int8).astype(np.float64)
    return (q * scale[:, None]).reshape(-1)


def deq_q4_0(raw, n):
    blocks = raw.reshape(-1, 18)
    scale = _f16_at(raw, 18, 0)
    packed = blocks[:, 2:].astype(np.int64)
    vals = np.concatenate([packed & 15, packed >> 4], axis=1) - 8   # 16 low nibbles, then 16 high
    return (vals * scale[:, None]).reshape(-1)


def _k4_scale_min(s, j):
    """6-bit scale and min of sub-block j from the 12 packed scale bytes (columns of s)."""
    if j < 4:
        return s[:, j] & 63, s[:, j + 4] & 63
    sc = (s[:, j + 4] & 15) | ((s[:, j - 4] >> 6) << 4)
    mn = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, mn


def deq_q4_k(raw, n):
    blocks = raw.reshape(-1, 144)
    d = _f16_at(raw, 144, 0)
    dmin = _f16_at(raw, 144, 2)
    s = blocks[:, 4:16].astype(np.int64)
    qs = blocks[:, 16:].astype(np.int64)
    out = np.empty((blocks.shape[0], 256))
    for j in range(8):
        sc, mn = _k4_scale_min(s, j)
        chunk = qs[:, (j // 2) * 32:(j // 2) * 32 + 32]
        nib = chunk & 15 if j % 2 == 0 else chunk >> 4
        out[:, j * 32:(j + 1) * 32] = (d * sc)[:, None] * nib - (dmin * mn)[:, None]
    return out.reshape(-1)


def deq_q6_k(raw, n):
    blocks = raw.reshape(-1, 210)
    ql = blocks[:, 0:128].astype(np.int64)
    qh = blocks[:, 128:192].astype(np.int64)
    sc = np.ascontiguousarray(blocks[:, 192:208]).view(np.int8).astype(np.float64)
    d = _f16_at(raw, 210, 208)
    out = np.empty((blocks.shape[0], 256))
    for e in range(256):
        half, r = divmod(e, 128)
        group, lane = divmod(r, 32)
        low_byte = ql[:, half * 64 + lane + (32 if group % 2 else 0)]
        low = (low_byte >> 4) if group >= 2 else (low_byte & 15)
        high = (qh[:, half * 32 + lane] >> (2 * group)) & 3
        q = (low | (high << 4)) - 32
        out[:, e] = d * sc[:, e // 16] * q
    return out.reshape(-1)


_GGML_BLOCK = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 12: (256, 144), 14: (256, 210)}
_DEQUANT = {0: deq_f32, 1: deq_f16, 30: deq_bf16, 8: deq_q8_0, 2: deq_q4_0, 12: deq_q4_k, 14: deq_q6_k}

# ---------------------------------------------------------------------------------------------
# safetensors reader


def read_safetensors_folder(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        with open(path, "rb") as f:
            hlen = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(hlen))
            body = f.read()
        for name, info in header.items():
            if name == "__metadata__":
                continue
            a, b = info["data_offsets"]
            raw = np.frombuffer(body[a:b], np.uint8)
            n = int(np.prod(info["shape"])) if info["shape"] else 1
            fn = {"F32": deq_f32, "F16": deq_f16, "BF16": deq_bf16}[info["dtype"]]
            out[name] = fn(raw, n).reshape(info["shape"])
    return out

# ---------------------------------------------------------------------------------------------
# Model loading: both formats become the same dict of hyper-parameters and float64 weights.


def _inv_freq(base, n_rot, hd, divisors=None):
    """Per-pair angular speed for NeoX RoPE over a head of hd dims: base^(-2i/n_rot); pairs at or
    beyond n_rot/2 do not rotate; optional llama.cpp frequency divisors (rope_freqs)."""
    i = np.arange(hd // 2, dtype=np.float64)
    w = np.where(i < n_rot // 2, base ** (-2.0 * i / n_rot), 0.0)
    if divisors is not None:
        w = w / divisors
    return w


def load_gguf(path):
    g = GGUF(path)
    m = g.meta
    a = m["general.architecture"] + "."
    n = m[a + "block_count"]
    kv = m[a + "attention.head_count_kv"]
    kv = kv if isinstance(kv, list) else [kv] * n
    sliding = m[a + "attention.sliding_window_pattern"]
    divisors = g.array("rope_freqs.weight") if "rope_freqs.weight" in g.tensors else None
    hd_full, hd_swa = m[a + "attention.key_length"], m[a + "attention.key_length_swa"]
    model = dict(
        d=m[a + "embedding_length"], n_head=m[a + "attention.head_count"],
        eps=m[a + "attention.layer_norm_rms_epsilon"], window=m[a + "attention.sliding_window"],
        softcap=m.get(a + "final_logit_softcapping", 0.0),
        vocab=m["tokenizer.ggml.tokens"], embed=g.array("token_embd.weight"),
        final_norm=g.array("output_norm.weight"), layers=[])
    for i in range(n):
        p = "blk.%d." % i
        hd = hd_swa if sliding[i] else hd_full
        if sliding[i]:
            freq = _inv_freq(m[a + "rope.freq_base_swa"], m[a + "rope.dimension_count_swa"], hd)
        else:
            freq = _inv_freq(m[a + "rope.freq_base"], m[a + "rope.dimension_count"], hd, divisors)
        w = lambda s: g.array(p + s) if p + s in g.tensors else None  # noqa: E731
        model["layers"].append(dict(
            sliding=bool(sliding[i]), n_kv=kv[i], hd=hd, inv_freq=freq,
            attn_norm=w("attn_norm.weight"), wq=w("attn_q.weight"), wk=w("attn_k.weight"),
            wv=w("attn_v.weight"), wo=w("attn_output.weight"), q_norm=w("attn_q_norm.weight"),
            k_norm=w("attn_k_norm.weight"), post_attn_norm=w("post_attention_norm.weight"),
            ffn_norm=w("ffn_norm.weight"), w_gate=w("ffn_gate.weight"), w_up=w("ffn_up.weight"),
            w_down=w("ffn_down.weight"), post_ffn_norm=w("post_ffw_norm.weight"),
            scale=float(w("layer_output_scale.weight").reshape(-1)[0])))
    return model


def load_hf(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    tc = cfg.get("text_config", cfg)
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    vocab_map = dict(tok["model"]["vocab"])
    for t in tok.get("added_tokens", []):
        vocab_map[t["content"]] = t["id"]
    vocab = [None] * max(tc["vocab_size"], max(vocab_map.values()) + 1)
    for t, i in vocab_map.items():
        vocab[i] = t
    w = read_safetensors_folder(folder)
    mm = hf_embedders(w, cfg)
    pre = "model.language_model."
    model = dict(d=tc["hidden_size"], n_head=tc["num_attention_heads"], eps=tc["rms_norm_eps"],
                 window=tc["sliding_window"], softcap=tc.get("final_logit_softcapping") or 0.0,
                 vocab=vocab, embed=w[pre + "embed_tokens.weight"], final_norm=w[pre + "norm.weight"],
                 layers=[], mm=mm)
    rope = tc["rope_parameters"]
    for i, lt in enumerate(tc["layer_types"]):
        sl = lt == "sliding_attention"
        hd = tc["head_dim"] if sl else tc["global_head_dim"]
        rp = rope[lt]
        # HF proportional RoPE: int(partial * hd / 2) pairs rotate, exponent over the full hd.
        n_rot = 2 * int(rp.get("partial_rotary_factor", 1.0) * hd // 2)
        i_ = np.arange(hd // 2, dtype=np.float64)
        freq = np.where(i_ < n_rot // 2, rp["rope_theta"] ** (-2.0 * i_ / hd), 0.0)
        p = pre + "layers.%d." % i
        g = lambda s: w.get(p + s)  # noqa: E731
        model["layers"].append(dict(
            sliding=sl, hd=hd, inv_freq=freq,
            n_kv=tc["num_key_value_heads"] if sl else tc["num_global_key_value_heads"],
            attn_norm=g("input_layernorm.weight"), wq=g("self_attn.q_proj.weight"),
            wk=g("self_attn.k_proj.weight"), wv=g("self_attn.v_proj.weight"),
            wo=g("self_attn.o_proj.weight"), q_norm=g("self_attn.q_norm.weight"),
            k_norm=g("self_attn.k_norm.weight"), post_attn_norm=g("post_attention_layernorm.weight"),
            ffn_norm=g("pre_feedforward_layernorm.weight"), w_gate=g("mlp.gate_proj.weight"),
            w_up=g("mlp.up_proj.weight"), w_down=g("mlp.down_proj.weight"),
            post_ffn_norm=g("post_feedforward_layernorm.weight"),
            scale=float(g("layer_scalar").reshape(-1)[0])))
    return model


def load_model(path, mmproj=None):
    if os.path.isdir(path):
        if mmproj:
            raise ValueError("a safetensors folder carries its own embedders; --mmproj is for GGUF models")
        return load_hf(path)
    model = load_gguf(path)
    model["mm"] = load_mmproj(mmproj) if mmproj else None
    return model

# ---------------------------------------------------------------------------------------------
# Multimodal embedders (spec §3.3, §4). Both formats become one dict; only the patch element
# order differs ('hwc' for HF, 'chw' for the llama.cpp mmproj), and the patches are cut to match.

LN_EPS, MM_RMS_EPS = 1e-5, 1e-6   # spec §3.1: nn.LayerNorm default; weightless RMSNorm


def hf_embedders(w, cfg):
    v = "model.vision_embedder."
    if v + "patch_dense.weight" not in w and "model.embed_audio.embedding_projection.weight" not in w:
        return None
    vc, ac = cfg.get("vision_config") or {}, cfg.get("audio_config") or {}
    mm = dict(order="hwc", ln_eps=vc.get("layer_norm_eps", LN_EPS), rms_eps=vc.get("rms_norm_eps", MM_RMS_EPS),
              audio_rms_eps=ac.get("rms_norm_eps", MM_RMS_EPS),
              audio_proj=w.get("model.embed_audio.embedding_projection.weight"), vision=None)
    if v + "patch_dense.weight" in w:
        pos = w[v + "pos_embedding"]                                 # [P, 2, d]: axis 1 = (x, y)
        mm["vision"] = dict(ln1=(w[v + "patch_ln1.weight"], w[v + "patch_ln1.bias"]),
                            dense=(w[v + "patch_dense.weight"], w[v + "patch_dense.bias"]),
                            ln2=(w[v + "patch_ln2.weight"], w[v + "patch_ln2.bias"]),
                            pos_x=pos[:, 0, :], pos_y=pos[:, 1, :],
                            ln3=(w[v + "pos_norm.weight"], w[v + "pos_norm.bias"]),
                            proj=w["model.embed_vision.embedding_projection.weight"])
    return mm


def load_mmproj(path):
    g = GGUF(path)
    m = g.meta
    if m.get("general.architecture") != "clip":
        raise ValueError("%s: not a clip (mmproj) GGUF file" % path)
    a = lambda n: g.array(n) if n in g.tensors else None  # noqa: E731
    # The published files carry eps keys of 1e-6 that do not apply to the 1e-5 LayerNorms (§7.3).
    mm = dict(order="chw", ln_eps=LN_EPS, rms_eps=MM_RMS_EPS, audio_rms_eps=MM_RMS_EPS, vision=None,
              audio_proj=a("mm.a.input_projection.weight") if m.get("clip.has_audio_encoder") else None)
    if m.get("clip.has_vision_encoder"):
        pos = g.array("v.position_embd.weight")                      # ne [d, P, 2] -> [2, P, d]
        mm["vision"] = dict(ln1=(a("v.patch_norm.1.weight"), a("v.patch_norm.1.bias")),
                            dense=(a("v.patch_embd.weight"), a("v.patch_embd.bias")),
                            ln2=(a("v.patch_norm.2.weight"), a("v.patch_norm.2.bias")),
                            pos_x=pos[0], pos_y=pos[1],
                            ln3=(a("v.patch_norm.3.weight"), a("v.patch_norm.3.bias")),
                            proj=a("mm.input_projection.weight"))
    return mm


def layer_norm(x, wb, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * wb[0] + wb[1]


def embed_image(mm, px, order=None):
    """Soft tokens [N, d] of a pre-processed picture px [H', W', 3] in [0, 1] (spec §3.3).
    order overrides the patch element order (only for the self-test's negative control)."""
    if mm is None or mm["vision"] is None:
        raise ValueError("the model has no vision embedder (GGUF models need --mmproj)")
    v = mm["vision"]
    x, kx, ky = ref_media.patches(px, order or mm["order"])
    P = v["pos_x"].shape[0]
    if kx.max() >= P or ky.max() >= P:
        raise ValueError("image of %dx%d patches exceeds the position table (%d)" % (kx.max() + 1, ky.max() + 1, P))
    u = layer_norm(x, v["ln1"], mm["ln_eps"])
    u = u @ v["dense"][0].T + v["dense"][1]
    u = layer_norm(u, v["ln2"], mm["ln_eps"])
    u = u + v["pos_x"][kx] + v["pos_y"][ky]
    u = layer_norm(u, v["ln3"], mm["ln_eps"])
    return rms(u, mm["rms_eps"]) @ v["proj"].T                       # not scaled by sqrt(d)


def embed_audio(mm, samples):
    """Soft tokens [ceil(n/640), d] of 16 kHz mono samples (spec §4)."""
    if mm is None or mm["audio_proj"] is None:
        raise ValueError("the model has no audio embedder (GGUF models need --mmproj)")
    n = -(-len(samples) // AUDIO_FRAME) * AUDIO_FRAME
    frames = np.zeros(n)
    frames[:len(samples)] = samples
    return rms(frames.reshape(-1, AUDIO_FRAME), mm["audio_rms_eps"]) @ mm["audio_proj"].T

# ---------------------------------------------------------------------------------------------
# Forward pass (spec §2.2), float64 throughout.


def rms(x, eps, w=None):
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return y if w is None else y * w


def rope_neox(x, pos, inv_freq):
    """x [T, heads, hd]; dim j pairs with j + hd/2."""
    half = x.shape[-1] // 2
    ang = pos[:, None].astype(np.float64) * inv_freq[None, :]      # [T, hd/2]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_forward(L, h, pos, n_head, eps, window, blocks=None):
    T = h.shape[0]
    hd, n_kv = L["hd"], L["n_kv"]
    a = rms(h, eps, L["attn_norm"])
    q = (a @ L["wq"].T).reshape(T, n_head, hd)
    q = rope_neox(rms(q, eps, L["q_norm"]), pos, L["inv_freq"])
    kraw = (a @ L["wk"].T).reshape(T, n_kv, hd)
    vraw = kraw if L["wv"] is None else (a @ L["wv"].T).reshape(T, n_kv, hd)  # k_eq_v on full layers
    k = rope_neox(rms(kraw, eps, L["k_norm"]), pos, L["inv_freq"])
    v = rms(vraw, eps)                                              # no weight, no RoPE
    i, j = pos[:, None], pos[None, :]
    allowed = j <= i
    if L["sliding"]:
        # Spec §2.4 / §3.6: AND(window, OR(causal, same vision block)); full layers stay causal.
        if blocks is not None:
            allowed = allowed | ((blocks[:, None] == blocks[None, :]) & (blocks[:, None] >= 0))
        allowed &= (i - j) < window
    group = n_head // n_kv
    o = np.empty((T, n_head, hd))
    for hh in range(n_head):
        s = q[:, hh, :] @ k[:, hh // group, :].T                    # attention scale 1.0
        s = np.where(allowed, s, -np.inf)
        s = np.exp(s - s.max(axis=1, keepdims=True))
        o[:, hh, :] = (s / s.sum(axis=1, keepdims=True)) @ v[:, hh // group, :]
    o = o.reshape(T, n_head * hd) @ L["wo"].T
    h1 = h + rms(o, eps, L["post_attn_norm"])
    m = rms(h1, eps, L["ffn_norm"])
    f = (gelu_tanh(m @ L["w_gate"].T) * (m @ L["w_up"].T)) @ L["w_down"].T
    h2 = h1 + rms(f, eps, L["post_ffn_norm"])
    return h2 * L["scale"]


def forward(model, tokens, soft=None, blocks=None):
    """Logits [T, vocab] for every position of tokens. soft = (positions, vectors [n, d]) replaces
    those positions' embeddings (unscaled); blocks [T] gives each position's bidirectional vision
    block id (-1: none; ids need not be contiguous in number)."""
    tokens = np.asarray(tokens, dtype=np.int64)
    # float64 sqrt(d). (HF casts the scale to the weight dtype, i.e. bf16 rounds sqrt(3840) to 62.0;
    # the engine follows the float value, so the reference does too.)
    h = model["embed"][tokens] * math.sqrt(model["d"])
    if soft is not None and len(soft[0]):
        h[soft[0]] = soft[1]
    pos = np.arange(len(tokens))
    if blocks is not None:
        blocks = np.concatenate([blocks, np.full(len(tokens) - len(blocks), -1)])
    for L in model["layers"]:
        h = layer_forward(L, h, pos, model["n_head"], model["eps"], model["window"], blocks)
    z = rms(h, model["eps"], model["final_norm"])
    logits = z @ model["embed"].T                                   # tied, unscaled
    cap = model["softcap"]
    return cap * np.tanh(logits / cap) if cap else logits


def generate(model, prompt, n_gen, soft=None, blocks=None, force=None):
    """Greedy continuation; with `force`, the sequence continues with those tokens instead
    (teacher forcing) while gen still records the reference's own argmax at each step."""
    if force is not None:
        n_gen = len(force)
    suppress = [i for i, t in enumerate(model["vocab"]) if t in ("<image|>", "<audio|>")]
    seq = list(prompt)
    rows, gen, margins = [], [], []
    for k in range(n_gen + 1):
        row = forward(model, seq, soft, blocks)[-1]
        rows.append(row)
        masked = row.copy()
        masked[suppress] = -np.inf
        top = np.sort(masked)[-2:]
        margins.append(top[1] - top[0])
        if k < n_gen:
            t = int(np.argmax(masked))
            gen.append(t)
            seq.append(t if force is None else int(force[k]))
    return np.array(rows), np.array(gen, dtype=np.int64), np.array(margins)

# ---------------------------------------------------------------------------------------------
# Media items and their placement (spec §3.4, §4, §5)

MM_NAMES = ("<|image>", "<image|>", "<|image|>", "<|audio>", "<audio|>", "<|audio|>", "<|video|>")


def media_items(model, media, uint8=True):
    """media: [(kind, value)] in command-line order -> [(kind, [soft token arrays])]; an image or
    audio is one array, a video one array per frame. Consecutive --video-frame arguments form one
    video; a frame whose time is not after the previous frame's starts a new video."""
    items = []
    for kind, value in media:
        if kind == "image":
            path, budget = value
            items.append(("image", [embed_image(model["mm"], ref_media.preprocess(
                ref_media.load_image(path), budget, uint8))]))
        elif kind == "audio":
            items.append(("audio", [embed_audio(model["mm"], ref_media.load_wav(value))]))
        else:
            path, t = value
            frame = embed_image(model["mm"], ref_media.preprocess(ref_media.load_image(path), 70, uint8))
            if items and items[-1][0] == "video" and t > items[-1][2]:
                items[-1][1].append(frame)
                items[-1] = ("video", items[-1][1], t)
            else:
                items.append(("video", [frame], t))
    return [(it[0], it[1]) for it in items]


def place_media(model, prompt, items):
    """Replaces the i-th -1 of prompt by item i's token run. Returns (tokens, (soft positions,
    soft vectors), blocks): image -> <|image> N x <|image|> <image|>; audio -> <|audio>
    N x <|audio|> <audio|>; video -> per frame <|image> n x <|video|> <image|> (the frames'
    "mm:ss " timestamp text of the HF processor is not produced: the reference is tokenizer-free).
    Each image and each video frame is its own bidirectional block; audio is not."""
    ids = {t: i for i, t in enumerate(model["vocab"]) if t in MM_NAMES}
    missing = [t for t in MM_NAMES if t not in ids]
    if missing:
        raise ValueError("vocabulary lacks %s" % missing)
    if prompt.count(-1) != len(items):
        raise ValueError("the prompt has %d media markers (-1) for %d media items" % (prompt.count(-1), len(items)))
    tokens, positions, vectors, blocks = [], [], [], []
    it = iter(items)
    n_block = 0
    for t in prompt:
        if t != -1:
            tokens.append(t)
            blocks.append(-1)
            continue
        kind, arrays = next(it)
        begin, soft, end = {"image": ("<|image>", "<|image|>", "<image|>"),
                            "audio": ("<|audio>", "<|audio|>", "<audio|>"),
                            "video": ("<|image>", "<|video|>", "<image|>")}[kind]
        for a in arrays:
            tokens.append(ids[begin])
            blocks.append(-1)
            positions += range(len(tokens), len(tokens) + len(a))
            vectors.append(a)
            tokens += [ids[soft]] * len(a)
            blocks += [n_block if kind != "audio" else -1] * len(a)
            n_block += 1
            tokens.append(ids[end])
            blocks.append(-1)
    soft = (np.array(positions, dtype=np.int64),
            np.concatenate(vectors) if vectors else np.zeros((0, model["d"])))
    return tokens, soft, np.array(blocks, dtype=np.int64)


class _Media(argparse.Action):
    """Collects --image / --audio / --video-frame in command-line order into args.media."""

    def __call__(self, parser, ns, value, option_string=None):
        if ns.media is None:
            ns.media = []
        if option_string == "--image":
            path, budget = value, 280
            head, sep, tail = value.rpartition(":")
            if sep and tail.isdigit():
                path, budget = head, int(tail)
            if budget not in ref_media.BUDGETS:
                parser.error("--image %s: budget must be one of %s" % (value, ref_media.BUDGETS))
            ns.media.append(("image", (path, budget)))
        elif option_string == "--audio":
            ns.media.append(("audio", value))
        else:
            path, sep, t = value.rpartition("@")
            if not sep:
                parser.error("--video-frame takes FILE@SECONDS, got %s" % value)
            ns.media.append(("video", (path, float(t))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help=".gguf file or safetensors folder")
    p.add_argument("--tokens", required=True, help="comma-separated prompt token ids; -1 marks a media item")
    p.add_argument("--n-gen", type=int, default=0)
    p.add_argument("--force", default=None,
                   help="comma-separated tokens to continue with instead of the argmax (teacher forcing)")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--mmproj", help="GGUF projector file (GGUF models); a safetensors folder has its own")
    p.add_argument("--image", action=_Media, metavar="FILE[:BUDGET]", dest="media", default=None,
                   help="PNG or binary PPM; budget 70/140/280/560/1120 soft tokens, default 280")
    p.add_argument("--audio", action=_Media, metavar="FILE.wav", dest="media", help="16 kHz 16-bit PCM WAV")
    p.add_argument("--video-frame", action=_Media, metavar="FILE@SECONDS", dest="media",
                   help="one video frame (budget 70); consecutive frames with increasing times form one video")
    p.add_argument("--resize-uint8", action=argparse.BooleanOptionalAction, default=True,
                   help="round and clamp to 0..255 after each resize pass, like torch/PIL (default on)")
    p.add_argument("--dump-soft-tokens", metavar="OUT.npy", help="save all media soft tokens [N, d] in order")
    args = p.parse_args()
    prompt = [int(t) for t in args.tokens.split(",") if t.strip()]
    model = load_model(args.model, args.mmproj)
    items = media_items(model, args.media or [], args.resize_uint8)
    tokens, soft, blocks = place_media(model, prompt, items)
    if args.dump_soft_tokens:
        np.save(args.dump_soft_tokens, soft[1])
    force = [int(t) for t in args.force.split(",") if t.strip()] if args.force is not None else None
    logits, gen, margins = generate(model, tokens, args.n_gen, soft, blocks, force)
    np.savez(args.out, prompt_tokens=np.array(prompt, dtype=np.int64), logits=logits,
             gen_tokens=gen, margins=margins, expanded_tokens=np.array(tokens, dtype=np.int64),
             soft_positions=soft[0], vision_blocks=blocks)


if __name__ == "__main__":
    main()
