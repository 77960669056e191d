"""End-to-end check of the C++ engine against the NumPy float64 reference (tests/reference).

  compare.py --runner BUILD/e2e_runner --model MODEL --tol TOL [--tokens 2,..] [--n-gen N]
             [--threads N] [--batch N] [--workdir DIR]

Runs the engine (greedy), then the reference on the same prompt continued with the engine's
tokens (teacher forcing), and requires
  * logits of every step (after the prompt, then after each generated token) within TOL of the
    reference (max absolute difference; logits are soft-capped to [-30, 30]);
  * the engine's token equal to the reference's argmax at every step where the reference's
    top-1/top-2 margin exceeds 2*TOL (below that, rounding may legitimately pick the other one).
Exit status 0 on success; prints the measured maximum differences either way.
"""
import argparse
import os
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "reference", "gemma4_ref.py")


def read_engine(path):
    with open(path, "rb") as f:
        n_gen, n_vocab, stop = struct.unpack("<3i", f.read(12))
        toks = np.frombuffer(f.read(4 * n_gen), dtype="<i4")
        logits = np.frombuffer(f.read(4 * n_vocab * (n_gen + 1)), dtype="<f4").reshape(n_gen + 1, n_vocab)
        (n_hist,) = struct.unpack("<i", f.read(4))
        hist = np.frombuffer(f.read(4 * n_hist), dtype="<i4")
    return toks, logits, stop, hist


def video_prompt(hist, vocab_ids):
    """The engine's expanded prompt with each <|image> ... <image|> run of video soft tokens
    replaced by one -1 marker: the reference re-expands each frame itself, while the frames'
    "mm:ss " timestamp text comes from the engine's rendering (checked in tests/api)."""
    out, i = [], 0
    while i < len(hist):
        if hist[i] == vocab_ids["<|image>"] and i + 1 < len(hist) and hist[i + 1] == vocab_ids["<|video|>"]:
            j = i + 1
            while hist[j] == vocab_ids["<|video|>"]:
                j += 1
            out.append(-1)
            i = j + 1
        else:
            out.append(int(hist[i]))
            i += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tol", type=float, required=True)
    ap.add_argument("--tokens", default=None, help="prompt ids; default: a fixed 40-token prompt")
    ap.add_argument("--n-gen", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--mmproj", default=None)
    ap.add_argument("--image", action="append", default=[], help="FILE[:BUDGET]; marks -1 in --tokens")
    ap.add_argument("--audio", action="append", default=[], help="16 kHz WAV; marks -1 in --tokens")
    ap.add_argument("--video-frame", action="append", default=[], help="FILE@SECONDS; marks -1 in --tokens")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()

    if a.tokens is None:
        # <bos> then ordinary ids spread over the vocabulary (avoiding the low special range);
        # 40 tokens cross the small models' 16-token sliding window more than twice.
        a.tokens = ",".join(["2"] + [str(300 + (i * 37) % 600) for i in range(39)])
    tag = os.path.basename(a.model.rstrip("/")) + f"_t{a.threads}_b{a.batch}{a.tag}"
    # Media, in order of the -1 markers: images first, then audio (as the markers are written).
    ref_media, eng_media = [], []
    if a.mmproj:
        ref_media += ["--mmproj", a.mmproj]
        eng_media += ["--mmproj", a.mmproj]
    for img in a.image:
        ref_media += ["--image", img]
        eng_media += ["--image", img]
    for au in a.audio:
        ref_media += ["--audio", au]
        eng_media += ["--audio", au]
    for vf in a.video_frame:
        # Each frame is its own item for the reference (time 0: never grouped with the previous).
        ref_media += ["--video-frame", vf.rsplit("@", 1)[0] + "@0"]
        eng_media += ["--video-frame", vf]
    ref_out = os.path.join(a.workdir, tag + ".ref.npz")
    eng_out = os.path.join(a.workdir, tag + ".engine.bin")
    subprocess.run([a.runner, a.model, a.tokens, str(a.n_gen), eng_out, str(a.threads), str(a.batch)] + eng_media,
                   check=True)
    e_tokens, e_logits, stop, hist = read_engine(eng_out)
    ref_tokens = a.tokens
    if a.video_frame:
        sys.path.insert(0, os.path.dirname(REF))
        import gemma4_ref  # the reference's own reader, for the two token ids
        vocab = gemma4_ref.load_model(a.model, a.mmproj)["vocab"]
        ids = {t: vocab.index(t) for t in ("<|image>", "<|video|>")}
        ref_tokens = ",".join(str(t) for t in video_prompt(hist, ids))
        if a.image or a.audio:
            print("FAIL: --video-frame cannot be combined with --image/--audio in this script")
            return 1
    force = ",".join(str(int(t)) for t in e_tokens)
    subprocess.run([sys.executable, REF, a.model, "--tokens", ref_tokens, "--force", force, "--out", ref_out]
                   + ref_media, check=True)
    ref = np.load(ref_out)
    r_logits, r_tokens, r_margins = ref["logits"], ref["gen_tokens"], ref["margins"]

    ok = True
    steps = len(e_tokens)
    max_diff = float(np.max(np.abs(e_logits[: steps + 1] - r_logits[: steps + 1])))
    checked = 0
    for k in range(steps):
        if r_margins[k] > 2 * a.tol:
            checked += 1
            if e_tokens[k] != r_tokens[k]:
                print(f"FAIL: step {k}: engine token {e_tokens[k]} != reference argmax {r_tokens[k]} "
                      f"(reference margin {r_margins[k]:.4f} > 2*tol)")
                ok = False
    print(f"{tag}: max |logit diff| = {max_diff:.3g} over {steps + 1} steps (tol {a.tol}); "
          f"greedy tokens checked at {checked}/{steps} steps (margin > 2*tol); stop reason {stop}")
    if max_diff > a.tol:
        print(f"FAIL: logits differ by {max_diff:.3g} > tol {a.tol}")
        ok = False
    if steps < 3:
        print("FAIL: the engine generated fewer than 3 tokens; the test would not mean much")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
