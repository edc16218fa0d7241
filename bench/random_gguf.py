#!/usr/bin/env python3
"""Writes a random-weight Llama-family GGUF of a named or given shape.

For benchmarks: the bytes a decode step reads and the arithmetic a prefill
does depend on the shape and the weight type, not on the values. Weights
are random (normal, std 0.02, or random quantized blocks of that scale);
a pool of random bytes is reused across tensors so that writing an 8B
model takes seconds. Norm weights are ones.

usage: random_gguf.py --shape llama3-8b|llama3.2-1b --type f16|bf16|f32|q8_0|q4_0|q4_k_m OUT.gguf
       [--vocab N] [--layers N] [--vocab-from VOCAB.gguf]
--vocab-from copies a real tokenizer (every tokenizer.* key of a GGUF file,
e.g. ../shared/testdata/vocab/ggml-vocab-qwen2.gguf) and takes its
vocabulary size, so that tools which need a tokenizer (llama.cpp's
llama-bench, keel serve) load the file.
q4_k_m mixes the types as llama.cpp's Q4_K_M does: Q6_K for the output
head and for attn_v and ffn_down in the first and last eighth of the
layers and every third layer between, Q4_K for every other matrix.
Needs numpy only.
"""
import argparse
import struct

import numpy as np

SHAPES = {
    # hidden, layers, heads, kv_heads, ffn, vocab, tied embeddings
    "llama3-8b": (4096, 32, 32, 8, 14336, 128256, False),
    "llama3.2-1b": (2048, 16, 32, 8, 8192, 128256, True),
}
GGML = {"f32": (0, 1, 4), "f16": (1, 1, 2), "q4_0": (2, 32, 18), "q8_0": (8, 32, 34), "q4_k": (12, 256, 144),
        "q6_k": (14, 256, 210), "bf16": (30, 1, 2)}
MIXES = {"q4_k_m"}  # --type values that mix the types above
ALIGNMENT = 32


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, kind, value):
    out = gguf_string(key)
    if kind == "u32":
        return out + struct.pack("<II", 4, value)
    if kind == "f32":
        return out + struct.pack("<If", 6, value)
    if kind == "str":
        return out + struct.pack("<I", 8) + gguf_string(value)
    raise ValueError(kind)


class Pool:
    """Random bytes of each type, sliced cyclically for tensor data."""

    def __init__(self, rng, mib=64):
        n = mib << 20
        normal = rng.normal(0.0, 0.02, size=n // 2).astype(np.float32)
        self.data = {
            "f32": normal.tobytes(),
            "f16": normal.astype(np.float16).tobytes(),
            "bf16": (normal.view(np.uint32) >> 16).astype(np.uint16).tobytes(),
        }
        blocks = n // 34
        q8 = np.zeros((blocks, 34), dtype=np.uint8)
        q8[:, 0:2] = np.frombuffer(np.float16(0.02 / 64).tobytes(), dtype=np.uint8)
        q8[:, 2:] = rng.integers(-64, 64, size=(blocks, 32), dtype=np.int8).view(np.uint8)
        self.data["q8_0"] = q8.tobytes()
        blocks = n // 18
        q4 = np.zeros((blocks, 18), dtype=np.uint8)
        q4[:, 0:2] = np.frombuffer(np.float16(0.02 / 4).tobytes(), dtype=np.uint8)
        q4[:, 2:] = rng.integers(0, 256, size=(blocks, 16), dtype=np.uint8)
        self.data["q4_0"] = q4.tobytes()
        # Q4_K: d, dmin (f16), 12 bytes of 6-bit scales and mins, 128 bytes
        # of nibbles; w = d·scale·q − dmin·min stays within about ±0.03.
        blocks = n // 144
        q4k = rng.integers(0, 256, size=(blocks, 144), dtype=np.uint8)
        q4k[:, 0:2] = np.frombuffer(np.float16(0.02 / (15 * 32)).tobytes(), dtype=np.uint8)
        q4k[:, 2:4] = np.frombuffer(np.float16(0.01 / 32).tobytes(), dtype=np.uint8)
        self.data["q4_k"] = q4k.tobytes()
        # Q6_K: 128 bytes of low nibbles, 64 of high bit pairs, 16 int8
        # scales, d (f16) last.
        blocks = n // 210
        q6k = rng.integers(0, 256, size=(blocks, 210), dtype=np.uint8)
        q6k[:, 192:208] = rng.integers(-32, 32, size=(blocks, 16), dtype=np.int8).view(np.uint8)
        q6k[:, 208:210] = np.frombuffer(np.float16(0.02 / (32 * 32)).tobytes(), dtype=np.uint8)
        self.data["q6_k"] = q6k.tobytes()
        self.offset = 0

    def take(self, kind, nbytes, unit):
        pool = self.data[kind]
        usable = len(pool) // unit * unit
        out = bytearray()
        start = (self.offset * unit) % usable
        while len(out) < nbytes:
            piece = pool[start:start + min(usable - start, nbytes - len(out))]
            out += piece
            start = 0
        self.offset += 7919
        return bytes(out)


# GGUF metadata value types whose size is fixed, by type id.
FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9


def skip_value(data, pos, kind):
    """The position just past one metadata value of type `kind` at `pos`."""
    if kind in FIXED_SIZES:
        return pos + FIXED_SIZES[kind]
    if kind == STRING:
        (n,) = struct.unpack_from("<Q", data, pos)
        return pos + 8 + n
    if kind == ARRAY:
        item_kind, count = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if item_kind in FIXED_SIZES:
            return pos + count * FIXED_SIZES[item_kind]
        for _ in range(count):
            pos = skip_value(data, pos, item_kind)
        return pos
    raise ValueError(f"unknown GGUF metadata type {kind}")


def tokenizer_entries(path):
    """The raw bytes of every tokenizer.* key-value entry of a GGUF file, and
    the number of tokens in its tokenizer.ggml.tokens."""
    data = open(path, "rb").read()
    if data[:4] != b"GGUF":
        raise SystemExit(f"{path}: not a GGUF file")
    _, _, n_kv = struct.unpack_from("<IQQ", data, 4)
    pos, entries, n_tokens = 24, [], None
    for _ in range(n_kv):
        start = pos
        (n,) = struct.unpack_from("<Q", data, pos)
        key = data[pos + 8:pos + 8 + n].decode()
        (kind,) = struct.unpack_from("<I", data, pos + 8 + n)
        pos = skip_value(data, pos + 12 + n, kind)
        if key.startswith("tokenizer."):
            entries.append(data[start:pos])
        if key == "tokenizer.ggml.tokens":
            n_tokens = struct.unpack_from("<Q", data, start + 12 + n + 4)[0]
    if n_tokens is None:
        raise SystemExit(f"{path}: has no tokenizer.ggml.tokens")
    return entries, n_tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--type", choices=sorted(set(GGML) | MIXES), required=True)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--vocab-from")
    ap.add_argument("out")
    a = ap.parse_args()
    hidden, layers, heads, kv_heads, ffn, vocab, tied = SHAPES[a.shape]
    tokenizer, vocab_size = tokenizer_entries(a.vocab_from) if a.vocab_from else ([], None)
    vocab = vocab_size or a.vocab or vocab
    layers = a.layers or layers
    head_dim = hidden // heads
    mixed = a.type == "q4_k_m"
    base = "q4_k" if mixed else a.type

    def more_bits(i):  # llama.cpp's rule for Q4_K_M's attn_v and ffn_down
        return mixed and (i < layers // 8 or i >= 7 * layers // 8 or (i - layers // 8) % 3 == 2)

    tensors = [("token_embd.weight", (vocab, hidden), base)]
    for i in range(layers):
        p = f"blk.{i}."
        wide = "q6_k" if more_bits(i) else base
        tensors += [
            (p + "attn_norm.weight", (hidden,), "f32"),
            (p + "attn_q.weight", (heads * head_dim, hidden), base),
            (p + "attn_k.weight", (kv_heads * head_dim, hidden), base),
            (p + "attn_v.weight", (kv_heads * head_dim, hidden), wide),
            (p + "attn_output.weight", (hidden, heads * head_dim), base),
            (p + "ffn_norm.weight", (hidden,), "f32"),
            (p + "ffn_gate.weight", (ffn, hidden), base),
            (p + "ffn_up.weight", (ffn, hidden), base),
            (p + "ffn_down.weight", (hidden, ffn), wide),
        ]
    tensors.append(("output_norm.weight", (hidden,), "f32"))
    if not tied:
        tensors.append(("output.weight", (vocab, hidden), "q6_k" if mixed else base))

    meta = [
        kv("general.architecture", "str", "llama"),
        kv("general.name", "str", f"random {a.shape} {a.type}"),
        kv("llama.block_count", "u32", layers),
        kv("llama.context_length", "u32", 8192),
        kv("llama.embedding_length", "u32", hidden),
        kv("llama.feed_forward_length", "u32", ffn),
        kv("llama.attention.head_count", "u32", heads),
        kv("llama.attention.head_count_kv", "u32", kv_heads),
        kv("llama.rope.freq_base", "f32", 500000.0),
        kv("llama.attention.layer_norm_rms_epsilon", "f32", 1e-5),
        kv("llama.vocab_size", "u32", vocab),
        kv("general.alignment", "u32", ALIGNMENT),
    ] + tokenizer
    infos, sizes, offset = [], [], 0
    for name, shape, kind in tensors:
        type_id, block, block_bytes = GGML[kind]
        nbytes = int(np.prod(shape)) // block * block_bytes
        dims = list(reversed(shape))  # GGUF lists the innermost dimension first
        infos.append(gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims) +
                     struct.pack("<IQ", type_id, offset))
        sizes.append(nbytes)
        offset += (nbytes + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    pool = Pool(np.random.default_rng(0))
    with open(a.out, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)))
        for m in meta:
            f.write(m)
        for info in infos:
            f.write(info)
        f.write(b"\0" * (-f.tell() % ALIGNMENT))
        for (name, shape, kind), nbytes in zip(tensors, sizes):
            if kind == "f32" and len(shape) == 1:
                f.write(np.ones(shape, dtype=np.float32).tobytes())
            else:
                f.write(pool.take(kind, nbytes, GGML[kind][2] * (1 if GGML[kind][1] > 1 else 2)))
            f.write(b"\0" * (-nbytes % ALIGNMENT))
    print(f"wrote {a.out}: {a.shape} {a.type}, {offset / 1e9:.2f} GB of tensors")


if __name__ == "__main__":
    main()
