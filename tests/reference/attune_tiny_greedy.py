#!/usr/bin/env python3
"""Greedy continuations of the built-in attune-tiny by the plain PyTorch GPT-2 of gpt2_reference.py.

Reads models/attune-tiny (config.json, model.safetensors, read by hand here) and the prompts' token ids
in tests/fixtures/reference/attune-tiny-prompts.json, generates STEPS tokens greedily by recomputing the
whole sequence each step (no KV cache, float64), once without and once with a seeded random soft prompt
prepended to the embeddings (PEFT prompt tuning), and writes the tokens with the margin between the best
and second-best logit at each step to tests/fixtures/reference/attune-tiny-greedy.json. The vitest test
compares Attune's KV-cached float32 generation with these tokens. Regenerate with Debian's python3-torch:

    /usr/bin/python3 tests/reference/attune_tiny_greedy.py
"""
import json
import struct
from pathlib import Path

import torch

from gpt2_reference import forward

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "attune-tiny"
FIXTURES = ROOT / "tests" / "fixtures" / "reference"
STEPS = 24
VIRTUAL_TOKENS = 6


def read_safetensors(path):
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    body = raw[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: expected F32, got {entry['dtype']}")
        start, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32).reshape(entry["shape"])
    return tensors


def greedy(config, weights, ids, prompt):
    tokens, margins = [], []
    sequence = list(ids)
    for _ in range(STEPS):
        embeds = weights["wte.weight"][torch.tensor([sequence])]
        if prompt is not None:
            embeds = torch.cat([prompt[None], embeds], dim=1)
        logits = forward(config, weights, embeds, torch.ones(embeds.shape[:2], dtype=torch.int64))[0, -1]
        top = torch.topk(logits, 2)
        tokens.append(int(top.indices[0]))
        margins.append(float(top.values[0] - top.values[1]))
        sequence.append(tokens[-1])
    return tokens, margins


def main():
    config = json.loads((MODEL / "config.json").read_text())
    weights = {k: v.double() for k, v in read_safetensors(MODEL / "model.safetensors").items()}
    prompts = json.loads((FIXTURES / "attune-tiny-prompts.json").read_text())["texts"]
    gen = torch.Generator().manual_seed(20261129)
    soft_prompt = (torch.randn(VIRTUAL_TOKENS, config["n_embd"], generator=gen, dtype=torch.float64) * 0.2).float()
    cases = []
    for entry in prompts:
        for prompt in (None, soft_prompt.double()):
            tokens, margins = greedy(config, weights, entry["ids"], prompt)
            cases.append({"text": entry["text"], "ids": entry["ids"], "soft_prompt": prompt is not None,
                          "tokens": tokens, "margins": [round(m, 6) for m in margins]})
    out = {"model": "models/attune-tiny", "steps": STEPS, "torch": torch.__version__,
           "soft_prompt": {"shape": list(soft_prompt.shape), "values": soft_prompt.flatten().tolist()},
           "cases": cases}
    (FIXTURES / "attune-tiny-greedy.json").write_text(json.dumps(out) + "\n")
    print(f"wrote {len(cases)} greedy cases of {STEPS} tokens; smallest margin "
          f"{min(min(c['margins']) for c in cases):.6f}")


if __name__ == "__main__":
    main()
