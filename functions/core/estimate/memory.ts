import type { RunShape } from '#core/estimate/formulas.ts';
import type { ModelShape } from '#core/estimate/model-catalog.ts';

/**
 * Memory one device needs for a training run. This is what decides the instance: a run either fits in a
 * device's memory or it does not run at all.
 */

/** Attune's trainer is fp32 throughout; `bf16-mixed` is the usual way past it (bf16 compute, fp32 master weights). */
export type Precision = 'fp32' | 'bf16-mixed';

/** How a run holds itself in memory on each device. */
export interface MemoryLayout {
  readonly precision: Precision;
  /** Devices the weights, gradients and optimiser state are sharded over (ZeRO-3/FSDP); 1 = no sharding. */
  readonly shards: number;
  /** Sequences one device holds at once. */
  readonly microBatch: number;
  readonly sequenceLength: number;
}

/** Bytes per device, by what they hold, and the formula. */
export interface MemoryBreakdown {
  readonly weights_bytes: number;
  readonly gradients_bytes: number;
  readonly optimizer_bytes: number;
  readonly activations_bytes: number;
  readonly overhead_bytes: number;
  readonly total_bytes: number;
  readonly formula: string;
}

/** CUDA context, kernels and allocator slack: about a gibibyte on any GPU, whatever the model. */
export const DEVICE_OVERHEAD_BYTES = 1024 ** 3;
/** Only this much of a device's memory is planned on; fragmentation takes the rest. */
export const USABLE_MEMORY_FRACTION = 0.9;

/**
 * Activations kept for the backward pass, after Korthikanti et al. 2022 (eq. 1, no parallelism):
 * n_layer · s · b · h · (34 + 5·a·s/h) bytes with 16-bit activations, doubled for fp32; plus the logits
 * and their gradient, b · s · V values each.
 */
export function activationBytes(model: ModelShape, layout: MemoryLayout): number {
  const scale = layout.precision === 'fp32' ? 2 : 1;
  const valueBytes = layout.precision === 'fp32' ? 4 : 2;
  const s = layout.sequenceLength;
  const b = layout.microBatch;
  const h = model.n_embd;
  const perLayer = s * b * h * (34 + (5 * model.n_head * s) / h) * scale;
  const logits = 2 * b * s * model.vocab_size * valueBytes;
  return model.n_layer * perLayer + logits;
}

/**
 * Bytes per device:
 * - fine-tuning, fp32 AdamW: weights 4N + gradients 4N + two fp32 moments 8N = 16N;
 * - fine-tuning, bf16 mixed AdamW: bf16 weights 2N + bf16 gradients 2N + fp32 master and moments 12N = 16N;
 * - prompt tuning: frozen weights (4N fp32, 2N bf16) + the prompt's own 16 bytes per trainable parameter;
 * the weight terms divided by `shards` (ZeRO-3/FSDP), plus activations and a fixed device overhead.
 */
export function trainingMemory(
  model: ModelShape,
  parameters: number,
  run: RunShape,
  layout: MemoryLayout,
): MemoryBreakdown {
  const d = layout.shards;
  const fp32 = layout.precision === 'fp32';
  const prompt = run.virtualTokens * model.n_embd;
  let weights: number;
  let gradients: number;
  let optimizer: number;
  let formula: string;
  if (run.method === 'supervised') {
    weights = ((fp32 ? 4 : 2) * parameters) / d;
    gradients = ((fp32 ? 4 : 2) * parameters) / d;
    optimizer = ((fp32 ? 8 : 12) * parameters) / d;
    formula = fp32
      ? 'weights 4·N + gradients 4·N + AdamW moments 8·N (= 16 bytes/param, fp32)'
      : 'bf16 weights 2·N + bf16 gradients 2·N + fp32 master weights and AdamW moments 12·N (= 16 bytes/param)';
  } else {
    weights = ((fp32 ? 4 : 2) * parameters) / d + 4 * prompt;
    gradients = 4 * prompt;
    optimizer = 8 * prompt;
    formula = `frozen weights ${fp32 ? 4 : 2}·N + soft prompt 16·v·d (weights, gradients, AdamW moments)`;
  }
  if (d > 1) formula += `, states sharded over ${d} devices (ZeRO-3/FSDP)`;
  const activations = activationBytes(model, layout);
  formula += `; activations n_layer·s·b·h·(34 + 5·a·s/h)${fp32 ? '·2' : ''} + logits 2·b·s·V at s = ${layout.sequenceLength}, b = ${layout.microBatch}; + 1 GiB device overhead`;
  const total = weights + gradients + optimizer + activations + DEVICE_OVERHEAD_BYTES;
  return {
    weights_bytes: Math.ceil(weights),
    gradients_bytes: Math.ceil(gradients),
    optimizer_bytes: Math.ceil(optimizer),
    activations_bytes: Math.ceil(activations),
    overhead_bytes: DEVICE_OVERHEAD_BYTES,
    total_bytes: Math.ceil(total),
    formula,
  };
}

/** Whether `bytes` fit in a device of `gib` GiB, leaving the unusable fraction free. */
export function fitsDevice(bytes: number, gib: number): boolean {
  return bytes <= gib * 1024 ** 3 * USABLE_MEMORY_FRACTION;
}
