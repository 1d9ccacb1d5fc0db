import { describe, expect, it } from 'vitest';
import type { RunShape } from '#core/estimate/formulas.ts';
import {
  activationBytes,
  DEVICE_OVERHEAD_BYTES,
  fitsDevice,
  type MemoryLayout,
  trainingMemory,
} from '#core/estimate/memory.ts';
import { ATTUNE_TINY, countParameters } from '#core/estimate/model-catalog.ts';

const N = countParameters(ATTUNE_TINY);
const fp32: MemoryLayout = { precision: 'fp32', shards: 1, microBatch: 2, sequenceLength: 64 };
const fineTune: RunShape = { method: 'supervised', epochs: 1, batchSize: 2, virtualTokens: 0 };
const promptTune: RunShape = { method: 'prompt_tuning', epochs: 1, batchSize: 2, virtualTokens: 8 };

describe('activation memory', () => {
  it('given attune-tiny at batch 2 × 64 tokens in fp32, then it matches the hand-computed Korthikanti figure plus logits', () => {
    // per layer: s·b·h·(34 + 5·a·s/h)·2 = 64·2·128·(34 + 10)·2; logits and their gradient: 2·b·s·V·4 bytes
    const perLayer = 64 * 2 * 128 * 44 * 2;
    const logits = 2 * 2 * 64 * 4096 * 4;
    expect(activationBytes(ATTUNE_TINY, fp32)).toBe(4 * perLayer + logits);
  });

  it('given bf16, then activations take half the bytes of fp32', () => {
    const bf16 = activationBytes(ATTUNE_TINY, { ...fp32, precision: 'bf16-mixed' });
    expect(bf16 * 2).toBe(activationBytes(ATTUNE_TINY, fp32));
  });
});

describe('training memory', () => {
  it('given fp32 AdamW fine-tuning, then weights, gradients and moments take 16 bytes a parameter, plus activations', () => {
    const m = trainingMemory(ATTUNE_TINY, N, fineTune, fp32);
    expect(m.weights_bytes + m.gradients_bytes + m.optimizer_bytes).toBe(16 * N);
    expect(m.total_bytes).toBe(16 * N + activationBytes(ATTUNE_TINY, fp32) + DEVICE_OVERHEAD_BYTES);
    expect(m.formula).toContain('16 bytes/param');
  });

  it('given prompt tuning, then the weights are frozen and only the prompt carries gradients and moments', () => {
    const m = trainingMemory(ATTUNE_TINY, N, promptTune, fp32);
    const prompt = 8 * 128;
    expect(m.weights_bytes).toBe(4 * N + 4 * prompt);
    expect(m.gradients_bytes).toBe(4 * prompt);
    expect(m.optimizer_bytes).toBe(8 * prompt);
  });

  it('given ZeRO-3 sharding over 4 devices, then each device holds a quarter of the states', () => {
    const bf16 = { ...fp32, precision: 'bf16-mixed' as const };
    const one = trainingMemory(ATTUNE_TINY, N, fineTune, bf16);
    const four = trainingMemory(ATTUNE_TINY, N, fineTune, { ...bf16, shards: 4 });
    expect(four.optimizer_bytes).toBe(Math.ceil(one.optimizer_bytes / 4));
    expect(four.activations_bytes).toBe(one.activations_bytes);
    expect(four.formula).toContain('sharded over 4 devices');
  });
});

describe('fitting a device', () => {
  it('given exactly 90% of a 16 GiB device, then it fits', () => {
    expect(fitsDevice(16 * 1024 ** 3 * 0.9, 16)).toBe(true);
  });

  it('given one byte more than 90% of a 16 GiB device, then it does not fit', () => {
    expect(fitsDevice(16 * 1024 ** 3 * 0.9 + 1, 16)).toBe(false);
  });
});
