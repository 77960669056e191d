"""Self-check of the model writer (tests/tools/make_model.py) against the independent reference
(gemma4_ref.py): run with /usr/bin/python3 tests/reference/selftest.py [--keep DIR].

1. Writes the small model of one seed in every GGUF type and as safetensors folders.
2. The reference's dequantized weights of every quantized/half file are within the error bound of
   that storage type of the f32 file's weights (bounds below), and not suspiciously exact.
3. Logits of the f32 GGUF and f32 safetensors (2 shards) agree to 1e-9, likewise bf16 and f16
   (the files hold the same rounded values; only float64 summation order differs, ~1e-13).
4. Multimodal (selftest_mm.py): the spec §3.2 target-size table, resize properties, the test
   media decode to the pixels/samples they were written from, and the GGUF mmproj (CHW patches,
   [2][P][d] positions) and safetensors (HWC, [P][2][d]) of one seed give the same soft tokens
   and logits with media (1e-9), while the wrong patch order or swapped position planes do not.
Exits non-zero on the first failure.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, HERE)
import gemma4_ref as ref  # noqa: E402

WRITER = os.path.join(HERE, "..", "tools", "make_model.py")
F32, F16, Q4_0, Q8_0, Q4_K, Q6_K, BF16 = 0, 1, 2, 8, 12, 14, 30
SEED = 7


def make(out, *opts):
    t0 = time.time()
    subprocess.run([sys.executable, WRITER, out, "--seed", str(SEED)] + list(opts), check=True,
                   stdout=subprocess.DEVNULL)
    return time.time() - t0


def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


def f16_up(v):
    return v * (1 + 2.0 ** -10)  # an fp16 rounded up exceeds v by less than one ulp (2^-10 relative)


def bound(gtype, w):
    """Per-value error bound of storing float32 matrix w (rows = last axis) as gtype."""
    a = np.abs(w)
    if gtype == F16:
        return a * 2.0 ** -11 + 2.0 ** -25            # half ulp; absolute ulp of fp16 subnormals
    if gtype == BF16:
        return a * 2.0 ** -8                           # half ulp of an 8-bit mantissa
    if gtype == Q8_0:                                  # step amax/127 (fp16), round to nearest
        b = a.reshape(-1, 32)
        return np.repeat(f16_up(b.max(axis=1) / 254), 32).reshape(w.shape)
    if gtype == Q4_0:
        # Step d = |max|/8; a value opposite the max can clip to 7 steps: error one step, plus
        # 8 times the fp16 rounding of d (2^-11 relative each).
        b = a.reshape(-1, 32)
        return np.repeat(b.max(axis=1) / 8 * (1 + 2.0 ** -7), 32).reshape(w.shape)
    if gtype == Q4_K:
        # 16 levels over [lo, hi] of each 32-value sub-block, lo = min(0, min). The 6-bit offset is
        # rounded up by at most dmin = max(-lo)/63 and the 6-bit step up by at most d = max step/63,
        # so the data stays in range and the error is at most half the (enlarged) step.
        b = w.reshape(-1, 8, 32)
        lo = np.minimum(b.min(axis=2), 0)
        dmin = f16_up(np.max(-lo, axis=1, keepdims=True) / 63)
        step = (b.max(axis=2) - lo + dmin) / 15
        step = step + f16_up(step.max(axis=1, keepdims=True) / 63)
        return np.repeat(step / 2, 32, axis=1).reshape(w.shape) * (1 + 1e-6)
    if gtype == Q6_K:
        # Symmetric 6-bit: step amax/31 per 16 values, 8-bit sub-scales rounded up by at most d.
        b = a.reshape(-1, 16, 16)
        step = b.max(axis=2) / 31
        step = step + f16_up(step.max(axis=1, keepdims=True) / 127)
        return np.repeat(step / 2, 16, axis=1).reshape(w.shape) * (1 + 1e-6)
    raise ValueError(gtype)


def expected_type(qtype, name, n_layers):
    if not (name.endswith(".weight") and any(k in name for k in ("attn_q.", "attn_k.", "attn_v.",
                                                                "attn_output", "ffn_gate", "ffn_up",
                                                                "ffn_down", "token_embd"))):
        return F32
    simple = {"f32": F32, "f16": F16, "bf16": BF16, "q8_0": Q8_0, "q4_0": Q4_0, "q4_k": Q4_K,
              "q6_k": Q6_K}
    if qtype == "q4_k_m":
        if name == "token_embd.weight":
            return Q6_K
        if ".attn_v." in name or ".ffn_down." in name:
            i = int(name.split(".")[1])
            more = i < n_layers // 8 or i >= 7 * n_layers // 8 or (i - n_layers // 8) % 3 == 2
            return Q6_K if more else Q4_K
        return Q4_K
    if qtype == "q4_0" and name == "token_embd.weight":
        return Q6_K
    return simple[qtype]


SPEC_KEYS = ["block_count", "context_length", "embedding_length", "feed_forward_length",
             "attention.head_count", "attention.head_count_kv", "attention.key_length",
             "attention.value_length", "attention.key_length_swa", "attention.value_length_swa",
             "attention.layer_norm_rms_epsilon", "attention.sliding_window",
             "attention.sliding_window_pattern", "final_logit_softcapping", "rope.dimension_count",
             "rope.dimension_count_swa", "rope.freq_base", "rope.freq_base_swa",
             "embedding_length_per_layer_input", "attention.shared_kv_layers"]


def check_metadata(g):
    m = g.meta
    check(m["general.architecture"] == "gemma4", "architecture")
    for k in SPEC_KEYS:
        check("gemma4." + k in m, "missing key gemma4." + k)
    check(m["gemma4.attention.sliding_window_pattern"] == [True] * 5 + [False], "pattern")
    check(m["gemma4.attention.head_count_kv"] == [2] * 5 + [1], "head_count_kv")
    toks = m["tokenizer.ggml.tokens"]
    for i, t in [(0, "<pad>"), (1, "<eos>"), (2, "<bos>"), (3, "<unk>"), (4, "<mask>"),
                 (50, "<|tool_response>"), (98, "<|think|>"), (105, "<|turn>"), (106, "<turn|>"),
                 (256, "<0x00>"), (511, "<0xFF>"), (512, "\u2581")]:
        check(toks[i] == t, "token %d is %r, expected %r" % (i, toks[i], t))
    check(toks[-3] == "<image|>" and toks[-2] == "<audio|>", "multimodal tokens at the end")
    # Every merge joins two existing pieces into an existing piece.
    vocab = set(toks)
    for mg in m["tokenizer.ggml.merges"]:
        a, b = mg.split(" ")
        check(a in vocab and b in vocab and a + b in vocab, "merge %r inconsistent" % mg)
    rf = g.array("rope_freqs.weight")
    check(rf.shape == (64,) and np.all(rf[:16] == 1) and np.all(rf[16:] > 1e29), "rope_freqs")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--keep", help="write the models here and keep them")
    args = p.parse_args()
    tmp = args.keep or tempfile.mkdtemp(prefix="g4selftest_")
    os.makedirs(tmp, exist_ok=True)
    try:
        run(tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp)


def check_edge_blocks():
    """Blocks the random models never contain: zeros, one sign only, a single spike, tiny values."""
    sys.path.insert(0, os.path.join(HERE, "..", "tools"))
    import model_quant as mq
    rng = np.random.default_rng(3)
    rows = np.stack([np.zeros(256), np.abs(rng.standard_normal(256)) + 1, -np.abs(rng.standard_normal(256)),
                     np.eye(256)[17] * 5, rng.standard_normal(256) * 1e-3,
                     np.concatenate([np.zeros(128), rng.standard_normal(128)])]).astype(np.float32)
    for gtype, deq in [(Q8_0, ref.deq_q8_0), (Q4_0, ref.deq_q4_0), (Q4_K, ref.deq_q4_k),
                       (Q6_K, ref.deq_q6_k), (F16, ref.deq_f16), (BF16, ref.deq_bf16)]:
        raw = np.frombuffer(mq.encode(gtype, rows), np.uint8)
        got = deq(raw, rows.size).reshape(rows.shape)
        err = np.abs(got - rows)
        check(np.all(np.isfinite(got)) and np.all(err <= bound(gtype, rows)),
              "edge blocks of type %d: error %.3g" % (gtype, err.max()))
        check(np.all(got[0] == 0), "zero block of type %d not exact" % gtype)
    print("edge blocks (zeros, one-signed, spike, tiny) within bounds")


def run(tmp):
    check_edge_blocks()
    types = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q6_k", "q4_k_m"]
    for t in types:
        path = os.path.join(tmp, "m_%s.gguf" % t)
        dt = make(path, "--type", t)
        print("wrote %-7s gguf %9d bytes in %.2f s" % (t, os.path.getsize(path), dt))
    for dt_, shards in [("f32", 2), ("bf16", 1), ("f16", 2)]:
        path = os.path.join(tmp, "st_%s" % dt_)
        dt = make(path, "--format", "safetensors", "--dtype", dt_, "--shards", str(shards))
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
        print("wrote %-7s safetensors (%d shard) %9d bytes in %.2f s" % (dt_, shards, size, dt))

    base = ref.GGUF(os.path.join(tmp, "m_f32.gguf"))
    check_metadata(base)
    n_layers = base.meta["gemma4.block_count"]
    for t in types[1:]:
        g = ref.GGUF(os.path.join(tmp, "m_%s.gguf" % t))
        check(set(g.tensors) == set(base.tensors), "%s: tensor set differs" % t)
        worst = 0.0
        for name in base.tensors:
            gtype = g.tensors[name][0]
            want = expected_type(t, name, n_layers)
            check(gtype == want, "%s: %s has type %d, expected %d" % (t, name, gtype, want))
            w, q = base.array(name), g.array(name)
            if gtype == F32:
                check(np.array_equal(w, q), "%s: %s F32 copy differs" % (t, name))
                continue
            err, lim = np.abs(q - w), bound(gtype, w)
            bad = err > lim
            if bad.any():
                check(False, "%s: %s error %.3g > bound %.3g at %s" % (
                    t, name, err[bad][0], lim[bad][0], np.argwhere(bad)[0]))
            # The bound must be reached to some degree, else the file might not be quantized.
            ratio = err.max() / lim.max()
            check(ratio > 0.2, "%s: %s error suspiciously small (%.3g of bound)" % (t, name, ratio))
            worst = max(worst, float(np.divide(err, lim, out=np.zeros_like(err), where=lim > 0).max()))
        print("%-7s dequantized weights within bounds (worst err/bound %.3f)" % (t, worst))

    rng = np.random.default_rng(11)
    prompt = [2] + [int(x) for x in rng.integers(512, 1017, 39)]   # 40 tokens, crosses the window 16
    res = {}
    for name in ["m_f32.gguf", "st_f32", "m_bf16.gguf", "st_bf16", "m_f16.gguf", "st_f16",
                 "m_q8_0.gguf", "m_q4_0.gguf", "m_q4_k.gguf", "m_q6_k.gguf", "m_q4_k_m.gguf"]:
        t0 = time.time()
        res[name] = ref.generate(ref.load_model(os.path.join(tmp, name)), prompt, 8)
        print("reference %-13s %.2f s  gen %s  margins min %.3f median %.3f" % (
            name, time.time() - t0, res[name][1].tolist(), res[name][2].min(), np.median(res[name][2])))
    for a, b in [("m_f32.gguf", "st_f32"), ("m_bf16.gguf", "st_bf16"), ("m_f16.gguf", "st_f16")]:
        diff = np.abs(res[a][0] - res[b][0]).max()
        print("logits %s vs %s: max diff %.3g" % (a, b, diff))
        check(diff <= 1e-9, "logits differ: %s vs %s" % (a, b))
        check(np.array_equal(res[a][1], res[b][1]), "greedy tokens differ")
    # Margins of all prompt positions (full forward once): the model must not be degenerate.
    logits = ref.forward(ref.load_model(os.path.join(tmp, "m_f32.gguf")), prompt)
    s = np.sort(logits, axis=1)
    m = s[:, -1] - s[:, -2]
    print("f32 margins over the 40 prompt positions: min %.3f median %.3f, %d of 40 below 0.05"
          % (m.min(), np.median(m), int((m < 0.05).sum())))
    check(np.median(m) > 0.05, "degenerate logits")
    check(len(set(res["m_f32.gguf"][1].tolist())) > 1, "greedy output is a single repeated token")
    import selftest_mm
    selftest_mm.run(tmp, make, check)
    print("selftest OK")


if __name__ == "__main__":
    main()
