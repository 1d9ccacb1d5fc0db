#!/usr/bin/env python3
"""A plain PyTorch GPT-2 forward pass, independent of Attune's TF.js code and of `transformers`.

It builds a small random GPT-2, saves it with GPT-2's tensor names and layouts (Conv1D weights are
[in, out]), runs a padded batch and a soft-prompted batch through it in float64, and writes the
fixtures the vitest reference tests read (tests/fixtures/reference/). CI runs on the committed
fixtures; regenerate them with Debian's python3-torch:

    /usr/bin/python3 tests/reference/gpt2_reference.py
"""
import json
import math
import struct
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
CONFIG = {"n_layer": 2, "n_head": 2, "n_embd": 32, "n_positions": 64, "vocab_size": 97,
          "layer_norm_epsilon": 1e-5}


def random_weights(c, gen):
    """Larger-than-GPT-2 random values (and non-trivial biases and LN gains) so every term matters."""
    def normal(*shape, std=0.2):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * std

    n = c["n_embd"]
    w = {"wte.weight": normal(c["vocab_size"], n, std=0.5), "wpe.weight": normal(c["n_positions"], n, std=0.3)}
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        for ln in ("ln_1", "ln_2"):
            w[p + ln + ".weight"] = 1 + normal(n, std=0.1)
            w[p + ln + ".bias"] = normal(n, std=0.1)
        for name, fan_in, fan_out in (("attn.c_attn", n, 3 * n), ("attn.c_proj", n, n),
                                      ("mlp.c_fc", n, 4 * n), ("mlp.c_proj", 4 * n, n)):
            w[p + name + ".weight"] = normal(fan_in, fan_out)
            w[p + name + ".bias"] = normal(fan_out, std=0.05)
    w["ln_f.weight"] = 1 + normal(n, std=0.1)
    w["ln_f.bias"] = normal(n, std=0.1)
    return w


def layer_norm(x, g, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * g + b


def gelu_new(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(c, w, inputs_embeds, mask):
    """inputs_embeds [B, T, C]; mask [B, T] (1 real, 0 padding); positions 0..T-1 as in HF's default."""
    bsz, t, n = inputs_embeds.shape
    h, d = c["n_head"], n // c["n_head"]
    x = inputs_embeds + w["wpe.weight"][:t]
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool)) & mask.bool()[:, None, None, :]
    for i in range(c["n_layer"]):
        p = f"h.{i}."
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], c["layer_norm_epsilon"])
        q, k, v = (a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]).split(n, dim=-1)
        q, k, v = (z.view(bsz, t, h, d).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        att = torch.softmax(scores, dim=-1) @ v
        att = att.transpose(1, 2).reshape(bsz, t, n)
        x = x + att @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], c["layer_norm_epsilon"])
        m = gelu_new(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], c["layer_norm_epsilon"])
    return x @ w["wte.weight"].T


def write_safetensors(path, tensors):
    """The safetensors layout by hand: u64 header length, JSON header padded to 8 bytes, raw LE data."""
    dtypes = {torch.float32: "F32", torch.int32: "I32"}
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(chunks))


def self_check():
    """The hand-written pieces agree with torch's own implementations."""
    x = torch.randn(4, 8, dtype=torch.float64)
    g, b = torch.rand(8, dtype=torch.float64), torch.rand(8, dtype=torch.float64)
    assert torch.allclose(layer_norm(x, g, b, 1e-5), torch.nn.functional.layer_norm(x, (8,), g, b, 1e-5))
    assert torch.allclose(gelu_new(x), torch.nn.functional.gelu(x, approximate="tanh"))


def main():
    self_check()
    gen = torch.Generator().manual_seed(20260611)
    # Rounded to float32 first: the saved weights are float32, the forward itself runs in float64.
    w = {k: v.float().double() for k, v in random_weights(CONFIG, gen).items()}
    # A full row, a right-padded row and a left-padded row (pad id 0 on purpose: padding must not matter).
    ids = torch.randint(1, CONFIG["vocab_size"], (3, 10), generator=gen, dtype=torch.int64)
    mask = torch.ones(3, 10, dtype=torch.int64)
    mask[1, 6:] = 0
    mask[2, :5] = 0
    ids[mask == 0] = 0
    embeds = w["wte.weight"][ids]
    logits = forward(CONFIG, w, embeds, mask)
    # The same batch with a soft prompt prepended to the embeddings (PEFT prompt tuning); always attended.
    prompt = (torch.randn(4, CONFIG["n_embd"], generator=gen, dtype=torch.float64) * 0.5).float().double()
    prompted = torch.cat([prompt.expand(3, -1, -1), embeds], dim=1)
    prompt_mask = torch.cat([torch.ones(3, 4, dtype=torch.int64), mask], dim=1)
    prompt_logits = forward(CONFIG, w, prompted, prompt_mask)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "config.json").write_text(json.dumps({**CONFIG, "model_type": "gpt2"}, indent=2) + "\n")
    write_safetensors(OUT / "model.safetensors", {k: v.float() for k, v in w.items()})
    write_safetensors(OUT / "cases.safetensors", {
        "input_ids": ids.int(), "attention_mask": mask.int(), "logits": logits.float(),
        "prompt": prompt.float(), "prompt_logits": prompt_logits.float(),
    })
    print(f"wrote {OUT}: logits {tuple(logits.shape)}, prompt_logits {tuple(prompt_logits.shape)}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
