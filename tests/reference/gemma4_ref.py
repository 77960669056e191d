"""Independent NumPy float64 reference of the Gemma 4 text decoder (spec §1-2).

  gemma4_ref.py MODEL --tokens 2,17,... --n-gen N --out result.npz

MODEL is a .gguf file or a Hugging Face safetensors folder (config.json + *.safetensors). Every
hyper-parameter is read from the file. The output holds
  prompt_tokens [T]            the --tokens list
  logits        [N+1, vocab]   logits[0] after the whole prompt, logits[k] after k generated tokens
  gen_tokens    [N]            greedy: argmax(logits[k]) with <image|>/<audio|> suppressed
  margins       [N+1]          top1 - top2 of each row, over the row greedy chose from (suppressed)
The whole sequence is recomputed for each step (no cache: simplest, and cache bugs cannot hide).

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

import numpy as np

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
    pre = "model.language_model."
    model = dict(d=tc["hidden_size"], n_head=tc["num_attention_heads"], eps=tc["rms_norm_eps"],
                 window=tc["sliding_window"], softcap=tc.get("final_logit_softcapping") or 0.0,
                 vocab=vocab, embed=w[pre + "embed_tokens.weight"], final_norm=w[pre + "norm.weight"],
                 layers=[])
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


def load_model(path):
    return load_hf(path) if os.path.isdir(path) else load_gguf(path)

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


def layer_forward(L, h, pos, n_head, eps, window):
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


def forward(model, tokens):
    """Logits [T, vocab] for every position of tokens."""
    tokens = np.asarray(tokens, dtype=np.int64)
    # float64 sqrt(d). (HF casts the scale to the weight dtype, i.e. bf16 rounds sqrt(3840) to 62.0;
    # the engine follows the float value, so the reference does too.)
    h = model["embed"][tokens] * math.sqrt(model["d"])
    pos = np.arange(len(tokens))
    for L in model["layers"]:
        h = layer_forward(L, h, pos, model["n_head"], model["eps"], model["window"])
    z = rms(h, model["eps"], model["final_norm"])
    logits = z @ model["embed"].T                                   # tied, unscaled
    cap = model["softcap"]
    return cap * np.tanh(logits / cap) if cap else logits


def generate(model, prompt, n_gen):
    suppress = [i for i, t in enumerate(model["vocab"]) if t in ("<image|>", "<audio|>")]
    seq = list(prompt)
    rows, gen, margins = [], [], []
    for k in range(n_gen + 1):
        row = forward(model, seq)[-1]
        rows.append(row)
        masked = row.copy()
        masked[suppress] = -np.inf
        top = np.sort(masked)[-2:]
        margins.append(top[1] - top[0])
        if k < n_gen:
            t = int(np.argmax(masked))
            gen.append(t)
            seq.append(t)
    return np.array(rows), np.array(gen, dtype=np.int64), np.array(margins)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help=".gguf file or safetensors folder")
    p.add_argument("--tokens", required=True, help="comma-separated prompt token ids")
    p.add_argument("--n-gen", type=int, default=0)
    p.add_argument("--out", required=True, help="output .npz")
    args = p.parse_args()
    prompt = [int(t) for t in args.tokens.split(",") if t.strip()]
    model = load_model(args.model)
    logits, gen, margins = generate(model, prompt, args.n_gen)
    np.savez(args.out, prompt_tokens=np.array(prompt, dtype=np.int64), logits=logits,
             gen_tokens=gen, margins=margins)


if __name__ == "__main__":
    main()
