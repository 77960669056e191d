"""Vocabularies for the test models: the real Gemma 4 special tokens at their real ids, the 256
byte-fallback tokens, and BPE pieces (with a merges list consistent with them) learned from a
small built-in English/code text by a plain BPE trainer.

A vocabulary is a list of (text, score, token_type) plus a list of merges "left right".
token_type uses llama.cpp's numbering: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte.
"""
import re

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6
SPACE = "\u2581"  # "▁", SentencePiece's visible space

# Special tokens below 256 (spec §6). <|channel>, <channel|>, the tool tokens and <|"|> are
# user-defined so that they render in output (as llama.cpp's converter stores them).
LOW_SPECIALS = {
    0: ("<pad>", CONTROL), 1: ("<eos>", CONTROL), 2: ("<bos>", CONTROL), 3: ("<unk>", UNKNOWN),
    4: ("<mask>", CONTROL),
    46: ("<|tool>", USER_DEFINED), 47: ("<tool|>", USER_DEFINED),
    48: ("<|tool_call>", USER_DEFINED), 49: ("<tool_call|>", USER_DEFINED),
    50: ("<|tool_response>", USER_DEFINED), 51: ("<tool_response|>", USER_DEFINED),
    52: ('<|"|>', USER_DEFINED),
    98: ("<|think|>", CONTROL), 100: ("<|channel>", USER_DEFINED), 101: ("<channel|>", USER_DEFINED),
    105: ("<|turn>", CONTROL), 106: ("<turn|>", CONTROL),
}
# Multimodal tokens in the order of their real ids 255999, 256000, 258880..258884.
MM_TOKENS = ["<|image>", "<|audio>", "<|image|>", "<|audio|>", "<image|>", "<audio|>", "<|video|>"]
MM_REAL_IDS = [255999, 256000, 258880, 258881, 258882, 258883, 258884]

CORPUS = """\
The quick brown fox jumps over the lazy dog. A model reads the text one token at a time,
and every token is a piece of a word, a whole word, or a single byte when nothing else fits.
In the beginning the weights are random, so the answers are not useful, but the shapes and
the order of the operations are the same as in the real network. This is what the tests check.
Large language models are trained on a lot of text from books, articles, forums and source code.
They learn to predict the next token given all the tokens before it. The attention layers let
each position look at the earlier positions; the sliding layers only look at a short window,
while the full layers see the whole context. Normalization keeps the values in a good range.
Hello world! How are you today? I am fine, thank you. What is the weather like in the city?
It is sunny and warm, with a light wind from the west. Tomorrow there will be rain and clouds.
Please write a short story about a robot who wants to learn how to paint the sea at night.
The robot walked to the shore, looked at the water and the stars, and started to mix colors.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 256 1024 2048 3840 15360 262144 and 3.14159.

def add(a, b):
    return a + b

def softmax(x):
    m = max(x)
    e = [math.exp(v - m) for v in x]
    s = sum(e)
    return [v / s for v in e]

for i in range(10):
    print("value", i, add(i, i * 2))

class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.merges = {pair: rank for rank, pair in enumerate(merges)}

    def encode(self, text):
        tokens = list(text.replace(" ", "_"))
        return [self.vocab.get(t, 0) for t in tokens]

int main(int argc, char** argv) {
  std::vector<float> data(argc * 16, 0.0f);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) * 0.5f;
  if (argc > 1) { printf("%s\\n", argv[1]); }
  return 0;
}

struct Layer { int head_dim; int n_heads; bool sliding; };
const char* name = "gemma"; // the name of the model
SELECT id, name, value FROM tensors WHERE value > 0 ORDER BY id;
<html><body><p>Text in a paragraph.</p></body></html>
{"key": "value", "list": [1, 2, 3], "nested": {"a": true, "b": null}}
"""


def _train_chunks(text):
    """Split text SentencePiece-style: spaces become ▁ and start a chunk; lines are separate."""
    words = {}
    for line in text.split("\n"):
        line = "".join(c for c in line if 32 <= ord(c) < 127).replace(" ", SPACE)
        for chunk in re.findall(SPACE + "+|" + SPACE + "?[^" + SPACE + "]+", line):
            words[chunk] = words.get(chunk, 0) + 1
    return words


def train_bpe(text, n_pieces):
    """Returns (pieces, merges): the base characters then one new piece per merge, at most
    n_pieces pieces in all. Ties between equally frequent pairs are broken by the pair text so
    the result does not depend on dict order."""
    counts = _train_chunks(text)
    alphabet = [SPACE] + sorted({c for w in counts for c in w} - {SPACE})
    pieces = list(alphabet)
    have = set(pieces)
    merges = []
    words = [(list(w), n) for w, n in counts.items()]
    while len(pieces) < n_pieces:
        pairs = {}
        for syms, n in words:
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        joined = best[0] + best[1]
        if joined not in have:
            have.add(joined)
            pieces.append(joined)
        for syms, _ in words:
            i = 0
            while i < len(syms) - 1:
                if syms[i] == best[0] and syms[i + 1] == best[1]:
                    syms[i:i + 2] = [joined]
                i += 1
    return pieces, merges


def _low_and_bytes():
    vocab = []
    unused = 0
    for i in range(256):
        if i in LOW_SPECIALS:
            text, ttype = LOW_SPECIALS[i]
        else:
            text, ttype = "<unused%d>" % unused, CONTROL
            unused += 1
        vocab.append((text, 0.0, ttype))
    for b in range(256):
        vocab.append(("<0x%02X>" % b, 0.0, BYTE))
    return vocab, unused


def small_vocab(size):
    """Specials (ids < 256), bytes (256..511), BPE pieces, then the 7 multimodal tokens last."""
    vocab, unused = _low_and_bytes()
    n_pieces = size - len(vocab) - len(MM_TOKENS)
    assert n_pieces > 100, "vocabulary too small"
    pieces, merges = train_bpe(CORPUS, n_pieces)
    for k, p in enumerate(pieces):
        vocab.append((p, -float(k), NORMAL))
    while len(vocab) < size - len(MM_TOKENS):  # corpus exhausted: pad with unused controls
        vocab.append(("<unused%d>" % unused, 0.0, CONTROL))
        unused += 1
    for t in MM_TOKENS:
        vocab.append((t, 0.0, CONTROL))
    return vocab, [a + " " + b for a, b in merges]


def full_vocab(size, rng):
    """262144-entry vocabulary: specials and multimodal tokens at their real ids, bytes at
    256..511, the corpus BPE pieces, then synthetic pieces each made by a merge of two shorter
    existing pieces (so the merges list stays consistent with the pieces)."""
    low, _ = _low_and_bytes()
    fixed = dict(zip(MM_REAL_IDS, MM_TOKENS))
    free = [i for i in range(len(low), size) if i not in fixed]
    pieces, merges = train_bpe(CORPUS, 600)
    have = set(pieces)
    short = [p for p in pieces if len(p) <= 4]
    need = len(free) - len(pieces)
    picks = rng.integers(0, 1 << 30, size=(need * 2 + 1000, 2))
    k = 0
    while len(pieces) < len(free):
        a = short[picks[k, 0] % len(short)]
        b = short[picks[k, 1] % len(short)]
        k += 1
        if k == len(picks):
            picks = rng.integers(0, 1 << 30, size=(need, 2))
            k = 0
        joined = a + b
        if joined in have or (SPACE in b and b.strip(SPACE)):  # ▁ only starts a piece
            continue
        have.add(joined)
        pieces.append(joined)
        merges.append((a, b))
        if len(joined) <= 4:
            short.append(joined)
    vocab = [None] * size
    vocab[:len(low)] = low
    for i, t in fixed.items():
        vocab[i] = (t, 0.0, CONTROL)
    for k, (i, p) in enumerate(zip(free, pieces)):
        vocab[i] = (p, -float(k), NORMAL)
    return vocab, [a + " " + b for a, b in merges]
