#!/usr/bin/env python3
"""Write an example transformer layer in the formats ceasim's weights loader
reads (src/weights), plus the float64 reference the tests compare to.

    /usr/bin/python3 analysis/make_example_weights.py            # -> weights_example/
    build/ceasim attention --weights weights_example/weights_bf16.safetensors --n-heads 4 --head 0

By default the layer is a usable example: 64 tokens of unit-variance embeddings
(what a LayerNorm hands to attention), d_model = 64, 4 heads of d_k = 16, d_ff = 128,
PyTorch-initialised weights (std 1/sqrt(fan_in)), so the raw scores q.k have a spread
of about sqrt(d_k) as in a freshly initialised model. `--fixture` writes the small
test fixture instead (6 tokens, d_model = 12, 2 heads of d_k = 4, d_ff = 16) with a
few embedding entries that exercise half precision (a subnormal, an F16 overflow at
1e5, -65504) and every 16-bit pattern in halfbits.safetensors: these values are for
round-trip tests of the readers and make a meaningless head.

Files written into OUTDIR [weights_example] (all deterministic from --seed):
  weights.h5                 float32 datasets X, W_q, W_k, W_v, W_o and group ffn/{W_1, W_2}
  weights.safetensors        the same tensors, dtype F32 (names "ffn/W_1" etc.)
  weights_f16.safetensors    the same, dtype F16 (numpy's float32 -> float16 rounding)
  weights_bf16.safetensors   the same, dtype BF16 (float32 -> bfloat16, round to nearest even)
  halfbits.safetensors       (--fixture) every 16-bit pattern as F16 ("f16") and as BF16 ("bf16")
  reference.h5               float64 references: f32/<name>, f16/<name>, bf16/<name>,
                             heads/<name>/<h> (per-head slices of the f32 tensors),
                             halfbits/f16, halfbits/bf16 (--fixture)
  direct.h5                  (--direct) float64 Q, K, V of head 0 of the f32 tensors
                             (Q = X W_q,0^T, ...): the direct layout of `ceasim map`

Shapes follow PyTorch nn.Linear weights [out_features, in_features]:
  X   [n_tokens, d_model]           token embeddings
  W_q, W_k, W_v [n_heads*d_k, d_model]   head h = rows h*d_k ... (h+1)*d_k - 1
  W_o [d_model, n_heads*d_k]        head h = columns h*d_k ... (h+1)*d_k - 1
  ffn/W_1 [d_ff, d_model], ffn/W_2 [d_model, d_ff]
  ffn/b_1 [d_ff], ffn/b_2 [d_model]  (--biases: FFN biases, y = W_2 f(W_1 x + b_1) + b_2)

The optional extras (--biases, --direct) are off by default so that the default
files keep exactly the tensors listed above (tests/test_weights.c counts them);
they are drawn after everything else, so the other tensors do not change.

safetensors is written by hand (struct + json), no torch or safetensors package.
"""
import argparse
import json
import os
import struct
import sys

import h5py
import numpy as np

ST_DTYPE = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "BF16": "<u2"}


def to_bf16_bits(a):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even
    (what torch's .to(torch.bfloat16) does for finite values)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bias = ((u >> 16) & 1) + 0x7FFF
    out = ((u + bias) >> 16).astype(np.uint16)
    nan = np.isnan(a)
    out[nan] = 0x7FC0
    return out


def bf16_bits_to_f64(bits):
    with np.errstate(invalid="ignore"):
        return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype name, numpy array already in that dtype
    (uint16 bit patterns for BF16))."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, dtype, arr in tensors:
        raw = np.ascontiguousarray(arr).astype(ST_DTYPE[dtype], copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # align the data section, as writers do
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def make(seed, n_tokens, d_model, n_heads, d_k, d_ff, biases=False, fixture=False):
    rng = np.random.default_rng(seed)
    hk = n_heads * d_k
    t = {
        "X": rng.standard_normal((n_tokens, d_model)),
        "W_q": rng.standard_normal((hk, d_model)) / np.sqrt(d_model),
        "W_k": rng.standard_normal((hk, d_model)) / np.sqrt(d_model),
        "W_v": rng.standard_normal((hk, d_model)) / np.sqrt(d_model),
        "W_o": rng.standard_normal((d_model, hk)) / np.sqrt(hk),
        "ffn/W_1": rng.standard_normal((d_ff, d_model)) / np.sqrt(d_model),
        "ffn/W_2": rng.standard_normal((d_model, d_ff)) / np.sqrt(d_ff),
    }
    if biases:
        t["ffn/b_1"] = 0.5 * rng.standard_normal(d_ff)
        t["ffn/b_2"] = 0.5 * rng.standard_normal(d_model)
    if fixture and d_model >= 4:
        # Values that exercise half precision: subnormal, F16 overflow, tiny, F16 max.
        t["X"][0, :4] = [3e-6, -7e-8, 1e5, -65504.0]
    return {k: v.astype(np.float32) for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", default="weights_example",
                    help="output directory, created if missing [weights_example]")
    ap.add_argument("--fixture", action="store_true",
                    help="the test fixture: small sizes, half-precision edge values, halfbits")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n-tokens", type=int, help="[64; fixture 6]")
    ap.add_argument("--d-model", type=int, help="[64; fixture 12]")
    ap.add_argument("--n-heads", type=int, help="[4; fixture 2]")
    ap.add_argument("--d-k", type=int, help="[16; fixture 4]")
    ap.add_argument("--d-ff", type=int, help="[128; fixture 16]")
    ap.add_argument("--no-halfbits", action="store_true",
                    help="with --fixture: skip halfbits.safetensors (256 KiB) and its reference")
    ap.add_argument("--force", action="store_true", help="overwrite existing files in OUTDIR")
    ap.add_argument("--biases", action="store_true",
                    help="add the FFN biases ffn/b_1 [d_ff] and ffn/b_2 [d_model]")
    ap.add_argument("--direct", action="store_true",
                    help="also write direct.h5 with float64 Q, K, V of head 0")
    a = ap.parse_args()
    sizes = (6, 12, 2, 4, 16) if a.fixture else (64, 64, 4, 16, 128)
    for name, default in zip(("n_tokens", "d_model", "n_heads", "d_k", "d_ff"), sizes):
        if getattr(a, name) is None:
            setattr(a, name, default)
        elif getattr(a, name) < 1:
            ap.error(f"--{name.replace('_', '-')}: expected a positive integer")
    if not a.fixture:
        a.no_halfbits = True
    names = ["weights.h5", "weights.safetensors", "weights_f16.safetensors",
             "weights_bf16.safetensors", "reference.h5"]
    names += [] if a.no_halfbits else ["halfbits.safetensors"]
    names += ["direct.h5"] if a.direct else []
    existing = [n for n in names if os.path.exists(os.path.join(a.outdir, n))]
    if existing and not a.force:
        print(f"make_example_weights.py: {os.path.join(a.outdir, existing[0])} exists "
              "(use --force to overwrite)", file=sys.stderr)
        sys.exit(2)
    os.makedirs(a.outdir, exist_ok=True)
    t = make(a.seed, a.n_tokens, a.d_model, a.n_heads, a.d_k, a.d_ff, a.biases, a.fixture)
    meta = {"format": "pt", "seed": str(a.seed), "n_heads": str(a.n_heads)}
    out = lambda name: os.path.join(a.outdir, name)

    with h5py.File(out("weights.h5"), "w") as f:
        for k, v in t.items():
            f.create_dataset(k, data=v)
        f.attrs["n_heads"] = a.n_heads
    write_safetensors(out("weights.safetensors"), [(k, "F32", v) for k, v in t.items()], meta)
    with np.errstate(over="ignore"):
        f16 = {k: v.astype(np.float16) for k, v in t.items()}
    write_safetensors(out("weights_f16.safetensors"), [(k, "F16", v) for k, v in f16.items()],
                      meta)
    bf16 = {k: to_bf16_bits(v) for k, v in t.items()}
    write_safetensors(out("weights_bf16.safetensors"),
                      [(k, "BF16", v) for k, v in bf16.items()], meta)

    with h5py.File(out("reference.h5"), "w") as f:
        for k in t:
            f["f32/" + k] = t[k].astype(np.float64)
            f["f16/" + k] = f16[k].astype(np.float64)
            f["bf16/" + k] = bf16_bits_to_f64(bf16[k])
        for k in ("W_q", "W_k", "W_v"):
            for h in range(a.n_heads):
                f[f"heads/{k}/{h}"] = t[k][h * a.d_k:(h + 1) * a.d_k, :].astype(np.float64)
        for h in range(a.n_heads):
            f[f"heads/W_o/{h}"] = t["W_o"][:, h * a.d_k:(h + 1) * a.d_k].astype(np.float64)
        if not a.no_halfbits:
            bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
            with np.errstate(invalid="ignore"):
                f["halfbits/f16"] = bits.view(np.float16).astype(np.float64)
            f["halfbits/bf16"] = bf16_bits_to_f64(bits)
    if a.direct:
        x = t["X"].astype(np.float64)
        with h5py.File(out("direct.h5"), "w") as f:
            for k, w in (("Q", "W_q"), ("K", "W_k"), ("V", "W_v")):
                f[k] = x @ t[w][:a.d_k, :].astype(np.float64).T
    if not a.no_halfbits:
        bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
        write_safetensors(out("halfbits.safetensors"),
                          [("f16", "F16", bits.view(np.float16)), ("bf16", "BF16", bits)])
    print(f"wrote {', '.join(names)} into {a.outdir}/ ({a.n_tokens} tokens, d_model {a.d_model}, "
          f"{a.n_heads} heads of d_k {a.d_k}, d_ff {a.d_ff}, seed {a.seed})")


if __name__ == "__main__":
    main()
