#!/usr/bin/python3
"""Writes the fuzz seed corpus: a few tiny valid GGUF, JSON and safetensors files.

Run from anywhere: /usr/bin/python3 tests/fuzz/make_corpus.py  (standard library only).
The files land in tests/fuzz/corpus/<target>/, where fuzz_driver looks for them.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

# GGUF metadata value types and ggml tensor type ids (GGUF specification / ggml.h).
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<B", U64: "<Q",
       I64: "<q", F64: "<d"}
# type id: (elements per block, bytes per block)
GGML = {0: (1, 4), 1: (1, 2), 2: (32, 18), 8: (32, 34), 12: (256, 144), 14: (256, 210), 30: (1, 2)}


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gvalue(t, v):
    if t == STR:
        return gstr(v)
    return struct.pack(FMT[t], v)


def gguf(kvs, tensors, version=3, alignment=32):
    """kvs: [(key, type, value)] with type ARR values as (elem_type, [values]);
    tensors: [(name, ne, ggml_type)]."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for key, t, v in kvs:
        out += gstr(key) + struct.pack("<I", t)
        if t == ARR:
            et, items = v
            out += struct.pack("<IQ", et, len(items)) + b"".join(gvalue(et, x) for x in items)
        else:
            out += gvalue(t, v)
    offset, blobs = 0, []
    for i, (name, ne, ty) in enumerate(tensors):
        be, bb = GGML[ty]
        nbytes = ne[0] // be * bb
        for d in ne[1:]:
            nbytes *= d
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<IQ", ty, offset)
        blob = bytes((i * 37 + k) & 0xFF for k in range(nbytes))
        blob += b"\0" * (-len(blob) % alignment)
        blobs.append(blob)
        offset += len(blob)
    out += b"\0" * (-len(out) % alignment)
    return out + b"".join(blobs)


def safetensors(entries, metadata=None):
    """entries: [(name, dtype, shape, nbytes)] laid out back to back."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, nbytes in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + nbytes]}
        data += bytes((len(data) + k) & 0xFF for k in range(nbytes))
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)  # the reference writer pads the header with spaces
    return struct.pack("<Q", len(h)) + h + data


def write(sub, name, data):
    assert len(data) < 4096, (name, len(data))
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    all_types = [("a.f32", [4, 3], 0), ("b.f16", [8], 1), ("c.q4_0", [32, 2], 2), ("d.q8_0", [32], 8),
                 ("e.q4_k", [256], 12), ("f.q6_k", [256], 14), ("g.bf16", [2, 2, 2, 2], 30)]
    scalars = [("general.architecture", STR, "gemma4"), ("k.u8", U8, 200), ("k.i8", I8, -3), ("k.u16", U16, 60000),
               ("k.i16", I16, -300), ("k.u32", U32, 48), ("k.i32", I32, -7), ("k.f32", F32, 1e-6),
               ("k.bool", BOOL, 1), ("k.u64", U64, 1 << 40), ("k.i64", I64, -(1 << 40)), ("k.f64", F64, 0.5)]
    write("gguf", "all_types_v3.gguf", gguf(scalars, all_types))
    write("gguf", "align64_v2.gguf",
          gguf([("general.alignment", U32, 64), ("gemma4.block_count", U32, 1)],
               [("token_embd.weight", [32, 3], 8), ("output_norm.weight", [32], 0)], version=2, alignment=64))
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "\u2581a", "\u2581the", "<0x0A>", "<|turn>"]
    write("gguf", "tokenizer_v3.gguf",
          gguf([("tokenizer.ggml.model", STR, "gemma4"), ("tokenizer.ggml.tokens", ARR, (STR, tokens)),
                ("tokenizer.ggml.scores", ARR, (F32, [0.0, -1.0, -2.5, 0.0, -3.0, -4.0, 0.0, 0.0])),
                ("tokenizer.ggml.token_type", ARR, (I32, [3, 3, 3, 2, 1, 1, 6, 4])),
                ("tokenizer.ggml.merges", ARR, (STR, ["\u2581 a", "t h"])),
                ("gemma4.attention.sliding_window_pattern", ARR, (BOOL, [1, 1, 0])),
                ("tokenizer.ggml.add_bos_token", BOOL, 1), ("tokenizer.ggml.bos_token_id", U32, 2)],
               [("blk.0.attn_q.weight", [32, 2], 2)]))
    write("gguf", "empty_v3.gguf", gguf([], []))

    write("json", "config.json", json.dumps({
        "architectures": ["Gemma4ForConditionalGeneration"], "text_config": {
            "hidden_size": 3840, "num_hidden_layers": 48, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
            "layer_types": ["sliding_attention"] * 5 + ["full_attention"], "final_logit_softcapping": 30.0,
            "tie_word_embeddings": True, "sliding_window": 1024, "rope_scaling": None}}, indent=2).encode())
    write("json", "tokenizer.json", json.dumps({
        "version": "1.0", "added_tokens": [{"id": 2, "content": "<bos>", "special": True}],
        "model": {"type": "BPE", "byte_fallback": True, "vocab": {"<pad>": 0, "\u2581a": 1, "<0x0A>": 2, "\u00e9": 3},
                  "merges": [["\u2581", "a"], ["t", "h"]]}}).encode())
    write("json", "strings.json",
          '["a\\"b\\\\c\\/\\b\\f\\n\\r\\t", "\\u00e9\\u20ac\\ud83d\\ude00", "\u2581h\u00e9 \U0001F600", ""]'.encode())
    write("json", "numbers.json", b"[0, -0, 1, -1, 1.5, -2.5e-3, 1E10, 123456789012345678901234567890, 1e-400]")
    write("json", "nested.json", b'{"a": [[[[{"b": [true, false, null, {}]}]]]], "c": {"d": {"e": []}}}')

    write("safetensors", "model.safetensors",
          safetensors([("model.language_model.norm.weight", "BF16", [8], 16), ("w", "F32", [2, 3], 24),
                       ("layer_scalar", "F16", [], 2), ("empty", "F32", [0, 4], 0)], {"format": "pt"}))
    write("safetensors", "tiny.safetensors", safetensors([("x", "F16", [1, 1], 2)]))


if __name__ == "__main__":
    main()
