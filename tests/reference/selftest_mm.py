"""Multimodal part of the reference self-test (run through selftest.py, which passes its model
writer and check function). See selftest.py's docstring, item 4."""
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import gemma4_ref as ref  # noqa: E402
import ref_media as rm  # noqa: E402

MEDIA_WRITER = os.path.join(HERE, "..", "tools", "make_media.py")

# (width, height, budget) -> (W', H'), worked out by hand from spec §3.2.
TARGETS = [((1000, 1000, 70), (384, 384)), ((1000, 1000, 140), (528, 528)), ((1000, 1000, 280), (768, 768)),
           ((1000, 1000, 560), (1104, 1104)), ((1000, 1000, 1120), (1584, 1584)),
           ((100, 100, 280), (768, 768)),          # upscaled
           ((768, 768, 280), (768, 768)),          # already the target: no resize
           ((320, 240, 70), (432, 336)), ((1000, 60, 280), (3264, 192)), ((1000, 60, 70), (1632, 96)),
           ((90, 500, 280), (336, 1872)), ((40, 30, 280), (912, 672)),
           ((1000, 16, 70), (3168, 48)), ((1000, 15, 70), (3264, 48)),
           ((1000, 14, 70), (3360, 48)),           # H' rounds to 0: H' = 48, W' = min(71, 70)·48
           ((4000, 10, 70), (3360, 48)), ((10, 4000, 280), (48, 13440))]


def check_targets(check):
    for (w, h, b), want in TARGETS:
        got = rm.target_size(w, h, b)
        check(got == want, "target size of %dx%d at %d: %s, expected %s" % (w, h, b, got, want))
    rng = np.random.default_rng(5)
    for w, h in rng.integers(1, 5000, (300, 2)):
        for b in rm.BUDGETS:
            tw, th = rm.target_size(int(w), int(h), b)
            check(tw % 48 == 0 and th % 48 == 0 and tw > 0 and th > 0 and (tw // 48) * (th // 48) <= b,
                  "target size of %dx%d at %d: %dx%d" % (w, h, b, tw, th))
    print("target sizes: %d hand-worked cases (incl. budgets 70..1120 -> 384..1584 square) + 1500 "
          "random sizes within budget" % len(TARGETS))


def check_resize(check):
    const = np.full((37, 53, 3), 77, np.uint8)
    for tw, th in [(96, 48), (48, 144), (480, 336), (53, 48)]:
        for u8 in (True, False):
            check(np.abs(rm.resize(const, tw, th, u8) - 77).max() < 1e-9, "constant image changed by resize")
    # Keys' cubic with a = -0.5 reproduces polynomials up to degree 2 at unit sample spacing: true
    # for any upscale and (the stretched kernel sampled at spacing 1/k) integer downscales k.
    worst = 0.0
    for n_in, n_out, deg in [(40, 120, 2), (40, 97, 2), (37, 48, 2), (120, 40, 1), (96, 48, 2), (144, 48, 1)]:
        u = np.arange(n_in) + 0.5
        f = (lambda t: 10 + 0.5 * t + (0.01 * t * t if deg == 2 else 0))
        img = np.repeat(f(u)[None, :, None], 3, axis=2)
        out = rm.resize(img, n_out, 1, uint8=False)[0, :, 0]
        scale = n_in / n_out
        c = (np.arange(n_out) + 0.5) * scale
        inner = (c - 2 * max(scale, 1) >= 0) & (c + 2 * max(scale, 1) <= n_in)
        err = np.abs(out[inner] - f(c[inner])).max()
        worst = max(worst, err)
        check(inner.sum() > n_out // 3 and err < 1e-9, "resize %d->%d: degree-%d error %.3g" % (n_in, n_out, deg, err))
    pic = rm.load_image(os.path.join(check.media, "rgb_320x240.png"))
    d = [np.abs(rm.resize(pic, tw, th, True) - rm.resize(pic, tw, th, False)) for tw, th in [(432, 336), (912, 672)]]
    print("resize: constants kept, polynomial reproduction err %.2g; uint8 vs float64 passes on a test photo: "
          "max %.2f, mean %.3f levels" % (worst, max(x.max() for x in d), np.mean([x.mean() for x in d])))


def check_media_files(check, media):
    import make_media as mk
    for name, (_, rgb, alpha) in mk.images().items():
        want = rgb.astype(np.int64)
        if alpha is not None:                                  # composited on white, rounded
            a = alpha.astype(np.float64)[:, :, None]
            want = np.rint((want * a + 255 * (255 - a)) / 255)
        check(np.array_equal(rm.load_image(os.path.join(media, name)), want), "decoded %s differs" % name)
    for name, pcm in mk.sounds().items():
        x = rm.load_wav(os.path.join(media, name))
        check(np.abs(x - pcm.mean(axis=1) / 32768.0).max() < 1e-15, "decoded %s differs" % name)
    print("test media: %d images and %d WAVs decode to the written pixels / samples"
          % (len(mk.images()), len(mk.sounds())))


def run(tmp, make, check):
    media = os.path.join(tmp, "media")
    subprocess.run([sys.executable, MEDIA_WRITER, media], check=True, stdout=subprocess.DEVNULL)
    check.media = media
    check_targets(check)
    check_resize(check)
    check_media_files(check, media)

    t0 = time.time()
    make(os.path.join(tmp, "mmt_a.gguf"), "--mmproj", os.path.join(tmp, "mm_f32.gguf"))
    make(os.path.join(tmp, "mmt_b.gguf"), "--mmproj", os.path.join(tmp, "mm_f16.gguf"), "--mm-type", "f16",
         "--mm-proj-type", "f16")
    make(os.path.join(tmp, "st_mm_f32"), "--format", "safetensors", "--dtype", "f32", "--with-mm", "--shards", "2")
    make(os.path.join(tmp, "st_mm_bf16"), "--format", "safetensors", "--dtype", "bf16", "--with-mm")
    print("wrote mmproj f32/bf16, mmproj f16/f16, safetensors f32 and bf16 with embedders in %.2f s"
          % (time.time() - t0))
    g = ref.GGUF(os.path.join(tmp, "mm_f32.gguf"))
    check(g.tensors["v.position_embd.weight"][1] == (2, 128, 256) and
          g.tensors["v.patch_embd.weight"][1] == (256, 6912) and
          g.tensors["mm.a.input_projection.weight"][1] == (256, 640) and
          g.tensors["mm.input_projection.weight"][0] == 30 and g.meta["clip.vision.projector_type"] == "gemma4uv",
          "mmproj tensor shapes / types / metadata")
    f16 = ref.GGUF(os.path.join(tmp, "mm_f16.gguf"))
    check(f16.tensors["v.patch_embd.weight"][0] == 1 and f16.tensors["mm.input_projection.weight"][0] == 1,
          "--mm-type f16 / --mm-proj-type f16 not applied")

    models = {"gguf+mmproj f32/bf16": ref.load_model(os.path.join(tmp, "m_f32.gguf"), os.path.join(tmp, "mm_f32.gguf")),
              "gguf+mmproj f16/f16": ref.load_model(os.path.join(tmp, "m_f32.gguf"), os.path.join(tmp, "mm_f16.gguf")),
              "safetensors f32": ref.load_model(os.path.join(tmp, "st_mm_f32")),
              "safetensors bf16": ref.load_model(os.path.join(tmp, "st_mm_bf16"))}
    base = models["safetensors f32"]["mm"]
    pics = [("rgb_320x240.png", 70), ("rgba_200x300.png", 280), ("strip_1000x60.png", 280),
            ("tiny_40x30.png", 140), ("gray_97x61.png", 70), ("rgb_768x768.png", 280), ("photo_256x192.ppm", 560)]
    pix = {p: rm.preprocess(rm.load_image(os.path.join(media, p)), b) for p, b in pics}
    want = {p: ref.embed_image(base, x) for p, x in pix.items()}
    wav = rm.load_wav(os.path.join(media, "chirp_0p5s_stereo.wav"))
    want_a = ref.embed_audio(base, wav)
    check(want_a.shape[0] == 13, "0.5 s of audio must give ceil(8000/640) = 13 soft tokens")
    for name, m in models.items():
        diff = max(max(np.abs(ref.embed_image(m["mm"], x) - want[p]).max() for p, x in pix.items()),
                   np.abs(ref.embed_audio(m["mm"], wav) - want_a).max())
        print("soft tokens %-22s vs safetensors f32: max diff %.3g (%d images, %d tokens; 1 audio)"
              % (name, diff, len(pix), sum(len(v) for v in want.values())))
        check(diff <= 1e-9, "soft tokens of %s differ" % name)
    # Negative controls: the same GGUF weights with HWC patches, or with the planes swapped.
    gm = models["gguf+mmproj f32/bf16"]["mm"]
    x = pix["rgb_320x240.png"]
    wrong_order = np.abs(ref.embed_image(gm, x, order="hwc") - want["rgb_320x240.png"]).max()
    swapped = dict(gm, vision=dict(gm["vision"], pos_x=gm["vision"]["pos_y"], pos_y=gm["vision"]["pos_x"]))
    wrong_pos = np.abs(ref.embed_image(swapped, x) - want["rgb_320x240.png"]).max()
    print("negative controls: HWC patches on CHW weights move soft tokens by %.3g, swapped position "
          "planes by %.3g (soft-token std %.2f)" % (wrong_order, wrong_pos, want["rgb_320x240.png"].std()))
    check(wrong_order > 0.1 and wrong_pos > 0.1, "the permutation checks have no power")

    # Whole model with media: image, audio and a two-frame video.
    media_args = [("image", (os.path.join(media, "rgb_320x240.png"), 70)),
                  ("audio", os.path.join(media, "chirp_1234_mono.wav")),
                  ("video", (os.path.join(media, "tiny_40x30.png"), 0.0)),
                  ("video", (os.path.join(media, "small_100x37.ppm"), 1.0))]
    prompt = [2, 300, -1, 301, -1, 302, -1, 303]
    runs = {}
    for name in ("gguf+mmproj f32/bf16", "safetensors f32"):
        m = models[name]
        items = ref.media_items(m, media_args)
        toks, soft, blocks = ref.place_media(m, prompt, items)
        t0 = time.time()
        runs[name] = ref.generate(m, toks, 3, soft, blocks)
        print("reference %-22s with media: %d positions, %.2f s, gen %s" % (
            name, len(toks), time.time() - t0, runs[name][1].tolist()))
    diff = np.abs(runs["gguf+mmproj f32/bf16"][0] - runs["safetensors f32"][0]).max()
    print("logits with media, gguf+mmproj vs safetensors: max diff %.3g" % diff)
    check(diff <= 1e-9, "logits with media differ between formats")

    m = models["safetensors f32"]
    ids = {t: i for i, t in enumerate(m["vocab"])}
    n_img, n_aud = len(items[0][1][0]), len(items[1][1][0])
    n_f = [len(a) for a in items[2][1]]
    check(len(items) == 3 and len(items[2][1]) == 2, "two consecutive video frames must form one video")
    check(n_aud == 2 and n_img == 63 and n_f == [63, 65], "soft token counts %d %d %s" % (n_img, n_aud, n_f))
    want_toks = ([2, 300, ids["<|image>"]] + [ids["<|image|>"]] * n_img + [ids["<image|>"], 301, ids["<|audio>"]]
                 + [ids["<|audio|>"]] * n_aud + [ids["<audio|>"], 302]
                 + sum(([ids["<|image>"]] + [ids["<|video|>"]] * n + [ids["<image|>"]] for n in n_f), []) + [303])
    check(toks == want_toks, "media token layout")
    blk = blocks
    check(sorted(set(blk.tolist())) == [-1, 0, 2, 3] and np.all(blk[np.array(toks) == ids["<|audio|>"]] == -1),
          "vision blocks: one per image / frame, none for audio")

    # Masks: text before the image cannot see it; the block overlay changes the image positions on
    # sliding layers; on full layers it must have no effect.
    first = int(soft[0][0])
    other = ref.media_items(m, [("image", (os.path.join(media, "photo_256x192.ppm"), 70))] + media_args[1:])
    t2, s2, b2 = ref.place_media(m, prompt, other)
    la, lb = ref.forward(m, toks, soft, blocks), ref.forward(m, t2, s2, b2)
    check(np.abs(la[:first] - lb[:first]).max() < 1e-12 and np.abs(la[first:] - lb[first:len(t2)]).max() > 1e-3,
          "causality around the image")
    causal = ref.forward(m, toks, soft, None)
    bi_eff = np.abs(la - causal).max(axis=1)
    check(bi_eff[:first].max() < 1e-12 and bi_eff[first:first + n_img].max() > 1e-3,
          "bidirectional overlay: no effect before the image, an effect inside it")
    full_only = dict(m, layers=[L for L in m["layers"] if not L["sliding"]])
    fo = np.abs(ref.forward(full_only, toks, soft, blocks) - ref.forward(full_only, toks, soft, None)).max()
    check(fo == 0.0, "the bidirectional overlay leaked into full layers (%.3g)" % fo)
    print("masks: prefix independent of the image, overlay moves image-position logits by up to %.3g "
          "(sliding layers), no effect on full layers" % bi_eff[first:first + n_img].max())
