import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, decaysByDefault } from '#model/optimizer.ts';
import { useTrainingBackend } from './backend.ts';

beforeAll(useTrainingBackend);

/** torch.optim.AdamW's update for one scalar, written independently of the implementation under test. */
function referenceAdamW(p: number, grads: number[], lr: number, wd: number): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    p -= (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
  });
  return p;
}

const named = (entries: Record<string, tf.Variable>) => new Map(Object.entries(entries));

describe('AdamW', () => {
  it('given three steps with decay, when applied, then the parameter follows torch AdamW', () => {
    const w = tf.variable(tf.tensor2d([[0.5, -1]]));
    const opt = new AdamW(named({ 'h.0.mlp.c_fc.weight': w }), { weightDecay: 0.1, maxGradNorm: Infinity });
    const grads = [
      [0.3, -0.2],
      [0.1, 0.4],
      [-0.5, 0.05],
    ];
    for (const g of grads) opt.applyGradients({ 'h.0.mlp.c_fc.weight': tf.tensor2d([g]) }, 0.01);
    const expected = [0, 1].map((j) =>
      referenceAdamW(
        [0.5, -1][j] ?? 0,
        grads.map((g) => g[j] ?? 0),
        0.01,
        0.1,
      ),
    );
    const actual = Array.from(w.dataSync());
    expect(actual[0]).toBeCloseTo(expected[0] ?? Number.NaN, 6);
    expect(actual[1]).toBeCloseTo(expected[1] ?? Number.NaN, 6);
  });

  it('given a bias, when a decaying step is applied, then it is not decayed', () => {
    const b = tf.variable(tf.tensor1d([2]));
    const opt = new AdamW(named({ 'h.0.mlp.c_fc.bias': b }), { weightDecay: 0.5 });
    opt.applyGradients({ 'h.0.mlp.c_fc.bias': tf.tensor1d([0]) }, 0.1);
    expect(b.dataSync()[0]).toBe(2);
  });

  it('given gradients of global norm 5 and a limit of 1, when applied, then they are clipped before the moments', () => {
    const a = tf.variable(tf.tensor1d([0]));
    const b = tf.variable(tf.tensor1d([0]));
    const opt = new AdamW(named({ a, b }), { maxGradNorm: 1 });
    const report = opt.applyGradients({ a: tf.tensor1d([3]), b: tf.tensor1d([4]) }, 0.1);
    expect(report.gradNorm).toBeCloseTo(5, 6);
    expect(report.clipped).toBe(true);
    const m = opt.snapshot().moments;
    expect(m.get('a')?.m[0]).toBeCloseTo(0.1 * 0.6, 6);
    expect(m.get('b')?.m[0]).toBeCloseTo(0.1 * 0.8, 6);
  });

  it('given gradients, when applied, then the gradients are disposed and nothing leaks', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const opt = new AdamW(named({ a }));
    opt.applyGradients({ a: tf.tensor1d([1, 1]) }, 0.1);
    const before = tf.memory().numTensors;
    const g = tf.tensor1d([1, 1]);
    opt.applyGradients({ a: g }, 0.1);
    expect(g.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('given a missing gradient, when applied, then it throws naming the tensor and disposes the rest', () => {
    const opt = new AdamW(named({ a: tf.variable(tf.scalar(1)), b: tf.variable(tf.scalar(1)) }));
    const g = tf.scalar(1);
    expect(() => opt.applyGradients({ a: g }, 0.1)).toThrow(/no gradient for trained tensor "b"/);
    expect(g.isDisposed).toBe(true);
  });

  it('given a NaN gradient, when applied, then it throws instead of corrupting the weights', () => {
    const a = tf.variable(tf.scalar(1));
    const opt = new AdamW(named({ a }));
    expect(() => opt.applyGradients({ a: tf.scalar(Number.NaN) }, 0.1)).toThrow(/diverged/);
    expect(a.dataSync()[0]).toBe(1);
  });

  it('given no tensors, when constructed, then it throws', () => {
    expect(() => new AdamW(new Map())).toThrow(RangeError);
  });

  it('given a snapshot restored into a fresh optimizer, when both step again, then they agree exactly', () => {
    const a1 = tf.variable(tf.tensor1d([1, -1, 0.5]));
    const first = new AdamW(named({ a: a1 }), { weightDecay: 0.1, decays: () => true });
    first.applyGradients({ a: tf.tensor1d([0.2, 0.1, -0.3]) }, 0.05);
    first.applyGradients({ a: tf.tensor1d([0.1, -0.4, 0.3]) }, 0.05);
    const a2 = tf.variable(tf.tensor1d(a1.dataSync()));
    const second = new AdamW(named({ a: a2 }), { weightDecay: 0.1, decays: () => true });
    second.restore(first.snapshot());
    expect(second.step).toBe(2);
    first.applyGradients({ a: tf.tensor1d([0.3, 0.3, 0.3]) }, 0.05);
    second.applyGradients({ a: tf.tensor1d([0.3, 0.3, 0.3]) }, 0.05);
    expect(Array.from(a2.dataSync())).toEqual(Array.from(a1.dataSync()));
  });

  it('given a snapshot for other tensors or sizes, when restored, then it throws', () => {
    const opt = new AdamW(named({ a: tf.variable(tf.tensor1d([1, 2])) }));
    const other = new AdamW(named({ b: tf.variable(tf.tensor1d([1, 2])) })).snapshot();
    expect(() => opt.restore(other)).toThrow(/no moments for "a"/);
    const small = new AdamW(named({ a: tf.variable(tf.tensor1d([1])) })).snapshot();
    expect(() => opt.restore(small)).toThrow(/has 1 values, expected 2/);
  });
});

describe('decaysByDefault', () => {
  it('given GPT-2 tensor names, when asked, then only block matrices decay', () => {
    const matrix = tf.variable(tf.zeros([2, 2]));
    const vector = tf.variable(tf.zeros([2]));
    expect(decaysByDefault('h.0.attn.c_attn.weight', matrix)).toBe(true);
    expect(decaysByDefault('h.0.ln_1.weight', vector)).toBe(false);
    expect(decaysByDefault('wte.weight', matrix)).toBe(false);
    expect(decaysByDefault('prompt', matrix)).toBe(false);
  });
});
