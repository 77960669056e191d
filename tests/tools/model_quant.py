"""NumPy quantizers producing ggml's block layouts (the writer side of the test models).

Round-to-nearest only: the goal is files with the exact byte layout the engine must decode, not
llama-quantize's error-minimising search. Each quantizer takes a float32 matrix [rows, cols]
(cols a multiple of the block size) and returns the raw bytes of all rows, row after row.

Block layouts (ggml-common.h):
  Q8_0  32 values, 34 bytes:  f16 d | int8 q[32]                     x = d*q
  Q4_0  32 values, 18 bytes:  f16 d | u8 qs[16]                      x = d*(nibble-8); byte j holds
                              value j (low nibble) and value j+16 (high nibble)
  Q4_K 256 values, 144 bytes: f16 d | f16 dmin | u8 scales[12] | u8 qs[128]
                              8 sub-blocks of 32, 6-bit scale sc and min m per sub-block:
                              x = d*sc*nibble - dmin*m; qs[32c+l] holds value 64c+l (low) and
                              64c+32+l (high)
  Q6_K 256 values, 210 bytes: u8 ql[128] | u8 qh[64] | int8 scales[16] | f16 d
                              16 sub-blocks of 16, x = d*scale*(q6-32)
"""
import numpy as np

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0, GGML_Q4_K, GGML_Q6_K, GGML_BF16 = 0, 1, 2, 8, 12, 14, 30

# (values per block, bytes per block) by ggml type id.
BLOCK = {GGML_F32: (1, 4), GGML_F16: (1, 2), GGML_BF16: (1, 2), GGML_Q8_0: (32, 34),
         GGML_Q4_0: (32, 18), GGML_Q4_K: (256, 144), GGML_Q6_K: (256, 210)}

TYPE_BY_NAME = {"f32": GGML_F32, "f16": GGML_F16, "bf16": GGML_BF16, "q8_0": GGML_Q8_0,
                "q4_0": GGML_Q4_0, "q4_k": GGML_Q4_K, "q6_k": GGML_Q6_K}


def nbytes(ggml_type, n_values):
    per, size = BLOCK[ggml_type]
    assert n_values % per == 0, (ggml_type, n_values)
    return n_values // per * size


def to_bf16_bits(x):
    """float32 -> bf16 bit patterns, round to nearest even (what torch's .to(bfloat16) does)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


def bf16_round(x):
    """float32 values rounded to the nearest bf16 value, returned as float32."""
    return (to_bf16_bits(x).astype(np.uint32) << 16).view(np.float32)


def _f16_up(v):
    """Smallest float16 >= v (v >= 0): a scale rounded up guarantees the quant range covers the data."""
    h = v.astype(np.float16)
    low = h.astype(np.float32) < v
    h[low] = np.nextafter(h[low], np.float16(np.inf))
    return h


def _safe_div(a, b):
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def quant_q8_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    amax = np.abs(b).max(axis=1)
    d = (amax / 127).astype(np.float16)
    q = np.clip(np.rint(_safe_div(b, d.astype(np.float32)[:, None])), -127, 127).astype(np.int8)
    out = np.empty((b.shape[0], 34), np.uint8)
    out[:, :2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quant_q4_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    signed_max = b[np.arange(b.shape[0]), idx]
    d = (signed_max / -8).astype(np.float16)
    q = np.clip(np.rint(_safe_div(b, d.astype(np.float32)[:, None]) + 8), 0, 15).astype(np.uint8)
    out = np.empty((b.shape[0], 18), np.uint8)
    out[:, :2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def quant_q4_k(x):
    b = x.reshape(-1, 8, 32).astype(np.float32)
    n = b.shape[0]
    lo = np.minimum(b.min(axis=2), 0)            # the min is subtracted, so it is never positive
    hi = b.max(axis=2)
    mn = -lo                                      # [n, 8], >= 0
    dmin = _f16_up(mn.max(axis=1) / 63)           # [n]
    dmin32 = dmin.astype(np.float32)
    m = np.clip(np.ceil(_safe_div(mn, dmin32[:, None])), 0, 63)   # ceil: offset reaches the min
    off = m * dmin32[:, None]
    # Step so that off + 15*step still reaches the max although the offset was rounded up.
    step_want = (hi + off) / 15
    d = _f16_up(step_want.max(axis=1) / 63)
    d32 = d.astype(np.float32)
    sc = np.clip(np.ceil(_safe_div(step_want, d32[:, None])), 0, 63)
    step = sc * d32[:, None]
    q = np.clip(np.rint(_safe_div(b + off[:, :, None], step[:, :, None])), 0, 15).astype(np.uint8)
    sc = sc.astype(np.uint8)
    m = m.astype(np.uint8)
    out = np.empty((n, 144), np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = dmin.view(np.uint8).reshape(-1, 2)
    s = out[:, 4:16]
    s[:, 0:4] = sc[:, 0:4] | ((sc[:, 4:8] >> 4) << 6)
    s[:, 4:8] = m[:, 0:4] | ((m[:, 4:8] >> 4) << 6)
    s[:, 8:12] = (sc[:, 4:8] & 0xF) | ((m[:, 4:8] & 0xF) << 4)
    q = q.reshape(n, 4, 2, 32)                    # chunk c of 64 = sub-blocks 2c (low) and 2c+1 (high)
    out[:, 16:] = (q[:, :, 0, :] | (q[:, :, 1, :] << 4)).reshape(n, 128)
    return out.tobytes()


def quant_q6_k(x):
    b = x.reshape(-1, 16, 16).astype(np.float32)
    n = b.shape[0]
    want = np.abs(b).max(axis=2) / 31             # symmetric: q in [-31, 31], never the -32 code
    d = _f16_up(want.max(axis=1) / 127)
    d32 = d.astype(np.float32)
    sc = np.clip(np.ceil(_safe_div(want, d32[:, None])), 0, 127)
    step = sc * d32[:, None]
    q = (np.clip(np.rint(_safe_div(b, step[:, :, None])), -32, 31) + 32).astype(np.uint8)
    q = q.reshape(n, 2, 4, 32)                    # half h, group g, lane l: value 128h + 32g + l
    ql = np.empty((n, 2, 64), np.uint8)
    ql[:, :, 0:32] = (q[:, :, 0] & 0xF) | ((q[:, :, 2] & 0xF) << 4)
    ql[:, :, 32:64] = (q[:, :, 1] & 0xF) | ((q[:, :, 3] & 0xF) << 4)
    qh = ((q[:, :, 0] >> 4) | ((q[:, :, 1] >> 4) << 2) | ((q[:, :, 2] >> 4) << 4)
          | ((q[:, :, 3] >> 4) << 6))
    out = np.empty((n, 210), np.uint8)
    out[:, 0:128] = ql.reshape(n, 128)
    out[:, 128:192] = qh.reshape(n, 64)
    out[:, 192:208] = sc.astype(np.int8).view(np.uint8)
    out[:, 208:210] = d.view(np.uint8).reshape(-1, 2)
    return out.tobytes()


def encode(ggml_type, x):
    """Bytes of float32 array x stored as ggml_type (rows are the last axis)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if ggml_type == GGML_F32:
        return x.tobytes()
    if ggml_type == GGML_F16:
        return x.astype(np.float16).tobytes()
    if ggml_type == GGML_BF16:
        return to_bf16_bits(x).tobytes()
    fn = {GGML_Q8_0: quant_q8_0, GGML_Q4_0: quant_q4_0, GGML_Q4_K: quant_q4_k,
          GGML_Q6_K: quant_q6_k}[ggml_type]
    return fn(x)


def random_blocks(ggml_type, n_values, rng):
    """Random but well-formed quantized blocks (for the full-size model, where quantizing floats
    would take too long): random quants, fp16 scales chosen so values are O(0.05)."""
    per, size = BLOCK[ggml_type]
    nb = n_values // per
    raw = np.frombuffer(rng.bytes(nb * size), np.uint8).reshape(nb, size).copy()

    def f16(lo, hi):
        return rng.uniform(lo, hi, nb).astype(np.float16).view(np.uint8).reshape(nb, 2)

    if ggml_type == GGML_Q4_0:
        raw[:, 0:2] = f16(4e-3, 8e-3)
    elif ggml_type == GGML_Q8_0:
        raw[:, 0:2] = f16(2e-4, 4e-4)
    elif ggml_type == GGML_Q4_K:
        raw[:, 0:2] = f16(7e-5, 1e-4)
        raw[:, 2:4] = f16(5e-4, 7e-4)
    elif ggml_type == GGML_Q6_K:
        scales = raw[:, 192:208].astype(np.int16) % 81 - 40          # int8 sub-block scales in [-40, 40]
        raw[:, 192:208] = scales.astype(np.int8).view(np.uint8)
        raw[:, 208:210] = f16(6.2e-5, 8e-5)
    elif ggml_type == GGML_BF16:
        # sign + exponent 2^-8..2^-5 + random mantissa: |x| in [0.004, 0.06).
        u = raw.view(np.uint16).reshape(-1)
        e = (119 + (u >> 7) % 4).astype(np.uint16)
        u[:] = (u & 0x807F) | (e << 7)
    else:
        raise ValueError("random_blocks: unsupported type %d" % ggml_type)
    return raw.tobytes()
