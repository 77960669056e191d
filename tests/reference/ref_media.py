"""Media inputs of the float64 reference (spec §3.2, §4): PNG / PPM / WAV reading and the HF
image pre-processing (target size, antialiased bicubic resize, ×1/255, 48-px patches).

Standard library + NumPy only, and no code shared with the test-media writer
(tests/tools/make_media.py) or the engine. Pixel conventions follow the engine's documented
loader (src/io/image.h), which follows HF/PIL: alpha is composited on white with rounding,
gray becomes R = G = B. Samples are int16 / 32768, channels mixed by their mean.
"""
import math
import struct
import wave
import zlib

import numpy as np

PATCH = 48
BUDGETS = (70, 140, 280, 560, 1120)

# ---------------------------------------------------------------------------------------------
# PNG (8-bit, non-interlaced; gray, RGB, palette, gray+alpha, RGBA) and binary PPM (P6)

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(data, width, height, bpp):
    stride = width * bpp
    if len(data) != height * (stride + 1):
        raise ValueError("PNG: %d bytes of image data, expected %d" % (len(data), height * (stride + 1)))
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.int64)
    for y in range(height):
        ftype = data[y * (stride + 1)]
        raw = np.frombuffer(data, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        if ftype == 0:
            cur = raw
        elif ftype == 1:    # Sub: running sum per channel
            cur = np.cumsum(raw.reshape(width, bpp), axis=0).reshape(-1) & 255
        elif ftype == 2:    # Up
            cur = (raw + prev) & 255
        elif ftype in (3, 4):   # Average / Paeth: sequential in x
            r, p, c = raw.tolist(), prev.tolist(), [0] * stride
            for i in range(stride):
                left = c[i - bpp] if i >= bpp else 0
                if ftype == 3:
                    c[i] = (r[i] + ((left + p[i]) >> 1)) & 255
                else:
                    c[i] = (r[i] + _paeth(left, p[i], p[i - bpp] if i >= bpp else 0)) & 255
            cur = np.array(c, np.int64)
        else:
            raise ValueError("PNG: row %d has filter type %d" % (y, ftype))
        out[y] = cur
        prev = cur
    return out


def decode_png(buf):
    if buf[:8] != _PNG_SIG:
        raise ValueError("not a PNG file")
    pos, idat, ihdr, palette = 8, [], None, None
    while pos < len(buf):
        n, ctype = struct.unpack(">I4s", buf[pos:pos + 8])
        body = buf[pos + 8:pos + 8 + n]
        pos += 12 + n
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif ctype == b"tRNS":
            raise ValueError("PNG: tRNS transparency is not supported by the reference")
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or interlace != 0 or ctype not in _CHANNELS:
        raise ValueError("PNG: only 8-bit non-interlaced files (depth %d, colour type %d, interlace %d)"
                         % (depth, ctype, interlace))
    ch = _CHANNELS[ctype]
    px = _unfilter(zlib.decompress(b"".join(idat)), w, h, ch).reshape(h, w, ch).astype(np.int64)
    if ctype == 3:
        return palette[px[:, :, 0]]
    if ctype in (4, 6):   # composite on white, rounded (no ties: 255 is odd)
        a = px[:, :, -1:]
        px = (px[:, :, :-1] * a + 255 * (255 - a) + 127) // 255
    if px.shape[2] == 1:
        px = np.repeat(px, 3, axis=2)
    return px.astype(np.uint8)


def decode_ppm(buf):
    fields, pos = [], 2
    while len(fields) < 3:
        while buf[pos:pos + 1].isspace():
            pos += 1
        if buf[pos:pos + 1] == b"#":
            pos = buf.index(b"\n", pos) + 1
            continue
        start = pos
        while not buf[pos:pos + 1].isspace():
            pos += 1
        fields.append(int(buf[start:pos]))
    w, h, maxval = fields
    if maxval != 255:
        raise ValueError("PPM: maxval %d (only 255 is supported)" % maxval)
    pos += 1   # the single whitespace before the raster
    return np.frombuffer(buf, np.uint8, w * h * 3, pos).reshape(h, w, 3).copy()


def load_image(path):
    """8-bit RGB [H, W, 3] from a PNG or binary PPM file."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:8] == _PNG_SIG:
        return decode_png(buf)
    if buf[:2] == b"P6":
        return decode_ppm(buf)
    raise ValueError("%s: neither PNG nor binary PPM (P6)" % path)


def load_wav(path):
    """16 kHz 16-bit PCM WAV -> float64 mono samples (channel mean of v / 32768)."""
    with wave.open(path, "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError("%s: %d-bit samples, the reference reads 16-bit PCM" % (path, 8 * f.getsampwidth()))
        if f.getframerate() != 16000:
            raise ValueError("%s: %d Hz; the reference takes 16 kHz audio only (no resampler)"
                             % (path, f.getframerate()))
        ch = f.getnchannels()
        pcm = np.frombuffer(f.readframes(f.getnframes()), "<i2").astype(np.float64) / 32768.0
    x = pcm.reshape(-1, ch).mean(axis=1)
    if x.size == 0:
        raise ValueError("%s: no samples" % path)
    return x

# ---------------------------------------------------------------------------------------------
# Spec §3.2 pre-processing


def target_size(width, height, budget):
    """(W', H'): multiples of 48 with the input's aspect ratio and at most `budget` patches."""
    if budget not in BUDGETS:
        raise ValueError("soft-token budget %d is not one of %s" % (budget, BUDGETS))
    max_patches = budget * 9
    target_px = max_patches * 16 * 16
    f = math.sqrt(target_px / (height * width))
    th = math.floor(f * height / PATCH) * PATCH
    tw = math.floor(f * width / PATCH) * PATCH
    if th == 0 and tw == 0:
        raise ValueError("image %dx%d resizes to nothing" % (width, height))
    if th == 0:
        th, tw = PATCH, min(math.floor(width / height) * PATCH, (max_patches // 9) * PATCH)
    elif tw == 0:
        tw, th = PATCH, min(math.floor(height / width) * PATCH, (max_patches // 9) * PATCH)
    return tw, th


def _keys(t, a=-0.5):
    t = np.abs(t)
    return np.where(t < 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                    np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))


def axis_weights(n_in, n_out):
    """[n_out, n_in] normalised antialiased bicubic weights: output i is centred at input
    coordinate (i + 0.5)·n_in/n_out (pixel centres at j + 0.5); when shrinking, the kernel is
    stretched by the scale (support 2·scale), when enlarging it is the plain Keys kernel."""
    scale = n_in / n_out
    stretch = max(scale, 1.0)
    centre = (np.arange(n_out) + 0.5) * scale
    w = _keys(((np.arange(n_in) + 0.5)[None, :] - centre[:, None]) / stretch)
    return w / w.sum(axis=1, keepdims=True)


def _level(x, uint8):
    return np.clip(np.floor(x + 0.5), 0, 255) if uint8 else x


def resize(img, out_w, out_h, uint8=True):
    """Separable resize, horizontal pass then vertical pass (a pass is skipped when its size does
    not change). uint8=True rounds and clamps to 0..255 after each pass, as torch's uint8 kernel
    and PIL keep a uint8 intermediate; False keeps float64 throughout (no clamp)."""
    x = img.astype(np.float64)
    h, w = x.shape[:2]
    if out_w != w:
        x = _level(np.einsum("ow,hwc->hoc", axis_weights(w, out_w), x), uint8)
    if out_h != h:
        x = _level(np.einsum("oh,hwc->owc", axis_weights(h, out_h), x), uint8)
    return x


def preprocess(img, budget, uint8=True):
    """uint8 RGB [H, W, 3] -> float64 [H', W', 3] in [0, 1] (float mode may leave the range)."""
    h, w = img.shape[:2]
    tw, th = target_size(w, h, budget)
    px = img.astype(np.float64) if (tw, th) == (w, h) else resize(img, tw, th, uint8)
    return px / 255.0


def patches(px, order):
    """Raster-order 48x48 patches of px [H', W', 3]: x [N, 6912] with elements in 'hwc'
    ((row·48 + col)·3 + c) or 'chw' (c·2304 + row·48 + col) order, and positions (col, row)."""
    ny, nx = px.shape[0] // PATCH, px.shape[1] // PATCH
    b = px.reshape(ny, PATCH, nx, PATCH, 3).transpose(0, 2, 1, 3, 4)   # [ny, nx, row, col, c]
    if order == "chw":
        b = b.transpose(0, 1, 4, 2, 3)
    elif order != "hwc":
        raise ValueError(order)
    ky, kx = np.divmod(np.arange(ny * nx), nx)
    return b.reshape(ny * nx, PATCH * PATCH * 3), kx, ky
