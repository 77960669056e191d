#!/usr/bin/python3
"""Writes the media fuzz seeds: tiny JPEG, PNG, WAV, AU, AIFF and FLAC files (each < 4 KB).

Run from anywhere: /usr/bin/python3 tests/fuzz/make_media_corpus.py  (standard library only).
Files land in tests/fuzz/corpus/image/ and tests/fuzz/corpus/audio/, where fuzz_driver looks
for image_fuzz / audio_fuzz seeds. Everything is deterministic.

The JPEG writer is a minimal baseline encoder: float DCT, one flat quantisation table, and
"flat" Huffman tables (every DC category a 4-bit code, every AC symbol an 8-bit code), which
are valid tables but keep the code short. The FLAC writer emits VERBATIM subframes only.
"""
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def write(sub, name, data):
    assert len(data) <= 4096, (name, len(data))
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- JPEG

ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
          21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60,
          61, 54, 47, 55, 62, 63]
QUANT = 8
DC_SYMBOLS = list(range(12))
AC_SYMBOLS = [0x00, 0xF0] + [(r << 4) | s for r in range(16) for s in range(1, 11)]


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


class BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, bits):
        for i in range(bits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)  # byte stuffing
                self.acc = self.n = 0

    def flush(self):
        while self.n:
            self.put(1, 1)
        return bytes(self.out)


def fdct(block):
    out = [0.0] * 64
    for v in range(8):
        for u in range(8):
            s = 0.0
            for y in range(8):
                for x in range(8):
                    s += block[y * 8 + x] * math.cos((2 * x + 1) * u * math.pi / 16) * math.cos((2 * y + 1) * v * math.pi / 16)
            cu = math.sqrt(0.5) if u == 0 else 1.0
            cv = math.sqrt(0.5) if v == 0 else 1.0
            out[v * 8 + u] = 0.25 * cu * cv * s
    return out


def magnitude(v):
    s = abs(v).bit_length()
    return s, (v if v >= 0 else v + (1 << s) - 1)


def encode_block(bw, block, pred):
    coef = fdct([p - 128 for p in block])
    q = [int(round(coef[ZIGZAG[i]] / QUANT)) for i in range(64)]
    s, bits = magnitude(q[0] - pred)
    bw.put(DC_SYMBOLS.index(s), 4)
    bw.put(bits, s)
    run = 0
    for i in range(1, 64):
        if q[i] == 0:
            run += 1
            continue
        while run > 15:
            bw.put(AC_SYMBOLS.index(0xF0), 8)
            run -= 16
        s, bits = magnitude(q[i])
        bw.put(AC_SYMBOLS.index((run << 4) | s), 8)
        bw.put(bits, s)
        run = 0
    if run:
        bw.put(AC_SYMBOLS.index(0x00), 8)
    return q[0]


def jpeg(planes, w, h, sampling, app=b"", adobe=None):
    """planes: one list of w*h samples per component; sampling: (h, v) factors per component."""
    hmax = max(s[0] for s in sampling)
    vmax = max(s[1] for s in sampling)
    out = b"\xff\xd8" + app
    if adobe is not None:
        out += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe))
    out += segment(0xDB, bytes([0]) + bytes([QUANT] * 64))
    sof = struct.pack(">BHHB", 8, h, w, len(planes))
    for i, (sh, sv) in enumerate(sampling):
        sof += bytes([i + 1, (sh << 4) | sv, 0])
    out += segment(0xC0, sof)
    dc_bits = [0, 0, 0, 12] + [0] * 12
    ac_bits = [0] * 7 + [len(AC_SYMBOLS)] + [0] * 8
    out += segment(0xC4, bytes([0x00] + dc_bits + DC_SYMBOLS) + bytes([0x10] + ac_bits + AC_SYMBOLS))
    sos = bytes([len(planes)]) + b"".join(bytes([i + 1, 0x00]) for i in range(len(planes))) + bytes([0, 63, 0])
    out += segment(0xDA, sos)
    bw = BitWriter()
    preds = [0] * len(planes)
    mcu_w, mcu_h = 8 * hmax, 8 * vmax
    for my in range(0, h, mcu_h):
        for mx in range(0, w, mcu_w):
            for c, (sh, sv) in enumerate(sampling):
                fx, fy = hmax // sh, vmax // sv  # subsampling factors
                for by in range(sv):
                    for bx in range(sh):
                        block = []
                        for y in range(8):
                            for x in range(8):
                                # average the fx×fy source pixels behind this sample, edges replicated
                                acc = 0
                                for dy in range(fy):
                                    for dx in range(fx):
                                        px = min(mx + (bx * 8 + x) * fx + dx, w - 1)
                                        py = min(my + (by * 8 + y) * fy + dy, h - 1)
                                        acc += planes[c][py * w + px]
                                block.append(acc / (fx * fy))
                        preds[c] = encode_block(bw, block, preds[c])
    return out + bw.flush() + b"\xff\xd9"


def exif_app1(orientation):
    tiff = b"MM" + struct.pack(">HI", 42, 8) + struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(">I", 0)
    return segment(0xE1, b"Exif\x00\x00" + tiff)


def jfif_app0():
    return segment(0xE0, b"JFIF\x00" + struct.pack(">BBBHHBB", 1, 1, 0, 1, 1, 0, 0))


def picture(w, h, k):
    return [int(128 + 100 * math.sin(0.4 * x + k) * math.cos(0.3 * y - k)) for y in range(h) for x in range(w)]


def make_jpegs():
    w = h = 16
    y, cb, cr = picture(w, h, 0), picture(w, h, 1), picture(w, h, 2)
    write("image", "gray.jpg", jpeg([y], w, h, [(1, 1)]))
    write("image", "ycc444.jpg", jpeg([y, cb, cr], w, h, [(1, 1)] * 3, app=jfif_app0()))
    write("image", "ycc420.jpg", jpeg([y, cb, cr], w, h, [(2, 2), (1, 1), (1, 1)], app=jfif_app0()))
    write("image", "exif6.jpg", jpeg([y, cb, cr], 16, 8, [(1, 1)] * 3, app=exif_app1(6)))
    write("image", "cmyk_adobe.jpg", jpeg([y, cb, cr, picture(w, h, 3)], 8, 8, [(1, 1)] * 4, adobe=0))


# ---------------------------------------------------------------- PNG

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(w, h, depth, color, rows, extra=b"", interlace=0):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def make_pngs():
    rgb = [bytes((x * 30 + y * 5) % 256 for x in range(8) for _ in range(3)) for y in range(8)]
    write("image", "rgb8.png", png(8, 8, 8, 2, rgb))
    pal = chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])) + chunk(b"tRNS", bytes([0, 128]))
    write("image", "palette_trns.png", png(4, 4, 8, 3, [bytes([(x + y) % 4 for x in range(4)]) for y in range(4)], pal))
    write("image", "gray16.png", png(3, 2, 16, 0, [struct.pack(">HHH", 0, 40000, 65535), struct.pack(">HHH", 1, 2, 3)]))
    write("image", "gray1.png", png(10, 2, 1, 0, [bytes([0b10110011, 0b01000000]), bytes([0xFF, 0xC0])]))
    write("image", "ga8.png", png(2, 2, 8, 4, [bytes([10, 0, 20, 255]), bytes([30, 128, 40, 64])]))
    # 5×5 RGBA, Adam7: each pass is its own little image of filtered rows.
    px = [[(x * 50, y * 50, 100, 255 - x * 40) for x in range(5)] for y in range(5)]
    raw = b""
    for x0, y0, dx, dy in ADAM7:
        for y in range(y0, 5, dy):
            row = b"".join(bytes(px[y][x]) for x in range(x0, 5, dx))
            if row:
                raw += b"\x00" + row
    ihdr = struct.pack(">IIBBBBB", 5, 5, 8, 6, 0, 0, 1)
    write("image", "rgba_adam7.png",
          b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- audio

def tone(n, rate, amp=0.5, freq=440.0):
    return [amp * math.sin(2 * math.pi * freq * i / rate) for i in range(n)]


def wav(channels, rate, bits, data, tag=1):
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def extended80(v):
    """IEEE 754 80-bit extended (AIFF sample rate), for positive integers."""
    e = v.bit_length() - 1
    return struct.pack(">HQ", 16383 + e, v << (63 - e))


def make_audio():
    t = tone(200, 16000)
    write("audio", "mono16k_s16.wav", wav(1, 16000, 16, b"".join(struct.pack("<h", int(v * 32767)) for v in t)))
    st = tone(300, 8000)
    write("audio", "stereo8k_u8.wav", wav(2, 8000, 8, bytes(b for v in st for b in (int(128 + v * 127), int(128 - v * 127)))))
    write("audio", "float44k.wav", wav(1, 44100, 32, b"".join(struct.pack("<f", v) for v in tone(150, 44100)), tag=3))
    au = struct.pack(">4sIIIII", b".snd", 24, 200, 3, 22050, 1) + b"".join(struct.pack(">h", int(v * 30000)) for v in tone(100, 22050))
    write("audio", "mono22k.au", au)
    frames = tone(120, 48000)
    comm = struct.pack(">hIh", 2, len(frames), 16) + extended80(48000)
    ssnd = struct.pack(">II", 0, 0) + b"".join(struct.pack(">hh", int(v * 20000), int(-v * 20000)) for v in frames)
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    write("audio", "stereo48k.aiff", b"FORM" + struct.pack(">I", len(body)) + body)
    write("audio", "stereo44k.flac", flac_verbatim(tone(64, 44100), tone(64, 44100, 0.25, 1000.0)))


def crc8(data):
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = ((c << 1) ^ 0x07) & 0xFF if c & 0x80 else (c << 1) & 0xFF
    return c


def crc16(data):
    c = 0
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x8005) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c


def flac_verbatim(left, right):
    """One FLAC frame of two independent VERBATIM 16-bit subframes at 44.1 kHz."""
    n = len(left)
    info = struct.pack(">HH", n, n) + b"\x00\x00\x00" + b"\x00\x00\x00"
    # 20 bits rate, 3 bits channels-1, 5 bits bps-1, 36 bits total samples
    packed = (44100 << 44) | (1 << 41) | (15 << 36) | n
    info += packed.to_bytes(8, "big") + bytes(16)
    out = b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info
    hdr = bytes([0xFF, 0xF8, (0b0110 << 4) | 0b1001, (0b0001 << 4) | (0b100 << 1), 0x00, n - 1])
    hdr += bytes([crc8(hdr)])
    body = b""
    for ch in (left, right):
        body += b"\x02" + b"".join(struct.pack(">h", int(v * 32767)) for v in ch)
    frame = hdr + body
    return out + frame + struct.pack(">H", crc16(frame))


def main():
    make_jpegs()
    make_pngs()
    make_audio()


if __name__ == "__main__":
    main()
