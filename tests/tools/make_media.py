"""Writes small deterministic test media for the multimodal end-to-end tests.

  make_media.py OUT_DIR

PNGs (RGB, RGBA, gray, gray+alpha, palette; sizes from 40x30, i.e. smaller than one 48-px patch,
to a 1000x60 strip), binary PPMs, and 16 kHz 16-bit WAVs (chirp and noise; 0.5 s, 3 s and a
1234-sample clip that is not a whole number of 640-sample frames; mono and stereo). The PNG
rows cycle through all five filter types so a decoder's unfiltering is exercised.
Pictures are textured (gradients, sinusoids, noise): a flat 48x48 patch has zero variance, and
its first LayerNorm would amplify a one-level resize difference into a large soft-token change.
Standard library + NumPy; shares no code with the reference's decoders (tests/reference).
Run with /usr/bin/python3.
"""
import os
import struct
import sys
import wave
import zlib

import numpy as np


def picture(w, h, seed, channels=3):
    """uint8 [h, w, channels]: smooth colour ramps + a sinusoidal texture + mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = []
    for c in range(channels):
        fx, fy, ph = rng.uniform(0.05, 0.4), rng.uniform(0.05, 0.4), rng.uniform(0, 6.3)
        ramp = 255 * (0.3 + 0.4 * (x / max(w - 1, 1)) * (c % 2) + 0.3 * (y / max(h - 1, 1)) * ((c + 1) % 2))
        v = ramp + 60 * np.sin(fx * x + fy * y + ph) + rng.normal(0, 12, (h, w))
        out.append(v)
    return np.clip(np.rint(np.stack(out, axis=2)), 0, 255).astype(np.uint8)


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filter_row(ftype, x, prev, bpp):
    """PNG filter of one row (int64 arrays); returns bytes including the filter type byte."""
    left = np.concatenate([np.zeros(bpp, np.int64), x[:-bpp]])
    upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
    if ftype == 0:
        pred = np.zeros_like(x)
    elif ftype == 1:
        pred = left
    elif ftype == 2:
        pred = prev
    elif ftype == 3:
        pred = (left + prev) // 2
    else:
        p = left + prev - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
        pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
    return bytes([ftype]) + ((x - pred) & 255).astype(np.uint8).tobytes()


def png_bytes(px, color_type, palette=None):
    """px: uint8 [h, w, ch] (ch 1 gray / palette index, 2 gray+alpha, 3 RGB, 4 RGBA)."""
    h, w, ch = px.shape
    rows, prev = [], np.zeros(w * ch, np.int64)
    for y in range(h):
        cur = px[y].reshape(-1).astype(np.int64)
        rows.append(_filter_row(y % 5, cur, prev, ch))
        prev = cur
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
    if palette is not None:
        out += _chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    out += _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _chunk(b"IEND", b"")
    return out


def ppm_bytes(px):
    h, w, _ = px.shape
    return b"P6\n# make_media.py\n%d %d\n255\n" % (w, h) + px.tobytes()


def images():
    """{file name: (bytes, expected RGB uint8 [h, w, 3] before any alpha compositing, alpha or None)}."""
    out = {}
    for name, (w, h, seed) in {"rgb_320x240.png": (320, 240, 1), "rgb_768x768.png": (768, 768, 2),
                               "tiny_40x30.png": (40, 30, 3), "strip_1000x60.png": (1000, 60, 4),
                               "tall_90x500.png": (90, 500, 5)}.items():
        px = picture(w, h, seed)
        out[name] = (png_bytes(px, 2), px, None)
    rgba = picture(200, 300, 6, 4)
    rgba[:, :, 3] = np.clip(rgba[:, :, 3].astype(np.int64) + np.arange(200)[None, :] - 60, 0, 255)
    out["rgba_200x300.png"] = (png_bytes(rgba, 6), rgba[:, :, :3], rgba[:, :, 3])
    gray = picture(97, 61, 7, 1)
    out["gray_97x61.png"] = (png_bytes(gray, 0), np.repeat(gray, 3, axis=2), None)
    ga = picture(64, 64, 8, 2)
    out["gray_alpha_64x64.png"] = (png_bytes(ga, 4), np.repeat(ga[:, :, :1], 3, axis=2), ga[:, :, 1])
    rng = np.random.default_rng(9)
    pal = rng.integers(0, 256, (16, 3))
    idx = (picture(50, 50, 10, 1) // 16).astype(np.uint8)
    out["palette_50x50.png"] = (png_bytes(idx, 3, pal), pal[idx[:, :, 0]].astype(np.uint8), None)
    for name, (w, h, seed) in {"photo_256x192.ppm": (256, 192, 11), "small_100x37.ppm": (100, 37, 12)}.items():
        px = picture(w, h, seed)
        out[name] = (ppm_bytes(px), px, None)
    return out


def sounds():
    """{file name: (int16 [n, channels], rate)}, all 16 kHz."""
    rate = 16000
    rng = np.random.default_rng(20)

    def chirp(n, f0=200.0, f1=4000.0, amp=0.5):
        t = np.arange(n) / rate
        k = (f1 - f0) / (n / rate)
        return amp * np.sin(2 * np.pi * (f0 * t + 0.5 * k * t * t))

    def pcm(*chans):
        return np.clip(np.rint(np.stack(chans, axis=1) * 32767), -32768, 32767).astype(np.int16)

    return {"chirp_3s_mono.wav": pcm(chirp(48000)),
            "noise_0p5s_mono.wav": pcm(rng.uniform(-0.3, 0.3, 8000)),
            "chirp_0p5s_stereo.wav": pcm(chirp(8000), 0.5 * chirp(8000, 300.0, 1000.0)),
            "noise_3s_stereo.wav": pcm(rng.normal(0, 0.2, 48000), rng.normal(0, 0.05, 48000)),
            "chirp_1234_mono.wav": pcm(chirp(1234, 500.0, 600.0, 0.9))}


def wav_bytes_to(path, data):
    with wave.open(path, "wb") as f:
        f.setnchannels(data.shape[1])
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(data.astype("<i2").tobytes())


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    imgs, snds = images(), sounds()
    for name, (data, _, _) in imgs.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    for name, data in snds.items():
        wav_bytes_to(os.path.join(out, name), data)
    print("wrote %d files to %s" % (len(imgs) + len(snds), out))


if __name__ == "__main__":
    main()
