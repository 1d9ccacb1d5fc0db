import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '#model/backend.ts';
import { generate } from '#model/generate.ts';
import { disposeGpt2Weights } from '#model/gpt2.ts';
import { loadModelDir, type ModelDir } from '#model/model-dir.ts';
import { computePromptPrefix, disposePromptPrefix } from '#model/prompt-prefix.ts';
import { type AttuneTokenizer, loadTokenizer } from '#model/tokenizer.ts';

/**
 * Greedy generation of the built-in attune-tiny against an independent PyTorch GPT-2
 * (tests/reference/attune_tiny_greedy.py: float64, no KV cache, the whole sequence recomputed each
 * step), on committed fixtures: four prompts, each bare and behind a random soft prompt. Attune's
 * KV-cached float32 generation, and its shared prompt prefix, must pick exactly the same tokens; the
 * fixture records each step's top-2 logit margin, so a near-tie would show up there, not here.
 */

interface GreedyCase {
  readonly text: string;
  readonly ids: number[];
  readonly soft_prompt: boolean;
  readonly tokens: number[];
  readonly margins: number[];
}

interface GreedyFixture {
  readonly steps: number;
  readonly soft_prompt: { readonly shape: [number, number]; readonly values: number[] };
  readonly cases: GreedyCase[];
}

const ROOT = path.join(import.meta.dirname, '..', '..');
let fixture: GreedyFixture;
let model: ModelDir;
let tokenizer: AttuneTokenizer;
let softPrompt: tf.Tensor2D;

beforeAll(async () => {
  await initBackend({ log: () => {} });
  fixture = JSON.parse(
    await readFile(path.join(ROOT, 'tests', 'fixtures', 'reference', 'attune-tiny-greedy.json'), 'utf8'),
  ) as GreedyFixture;
  model = await loadModelDir(path.join(ROOT, 'models', 'attune-tiny'));
  tokenizer = loadTokenizer(model.tokenizerJson);
  softPrompt = tf.tensor2d(fixture.soft_prompt.values, fixture.soft_prompt.shape);
});

afterAll(() => {
  softPrompt?.dispose();
  if (model) disposeGpt2Weights(model.weights);
});

describe('attune-tiny greedy generation against the PyTorch reference', () => {
  it('Given the fixture, then every step of the reference had a clear winner (margin above float32 noise)', () => {
    const smallest = Math.min(...fixture.cases.flatMap((c) => c.margins));
    expect(smallest).toBeGreaterThan(1e-3);
  });

  it("Given the reference prompts' texts, when Attune tokenizes them, then it gets the ids the reference was fed", () => {
    for (const c of fixture.cases) expect(tokenizer.encode(c.text), c.text).toEqual(c.ids);
  });

  it('Given a bare prompt, when Attune generates greedily with its KV cache, then it picks the reference tokens', () => {
    for (const c of fixture.cases.filter((x) => !x.soft_prompt)) {
      const result = generate(model.config, model.weights, c.ids, {
        maxTokens: fixture.steps,
        temperature: 0,
      });
      expect(result.tokens, c.text).toEqual(c.tokens);
    }
  });

  it('Given a soft prompt passed with the request, when Attune generates greedily, then it picks the reference tokens', () => {
    for (const c of fixture.cases.filter((x) => x.soft_prompt)) {
      const result = generate(model.config, model.weights, c.ids, {
        maxTokens: fixture.steps,
        temperature: 0,
        prompt: softPrompt,
      });
      expect(result.tokens, c.text).toEqual(c.tokens);
    }
  });

  it("Given the soft prompt's shared, precomputed prefix, when Attune generates greedily, then it picks the reference tokens", () => {
    const prefix = computePromptPrefix(model.config, model.weights, softPrompt);
    try {
      for (const c of fixture.cases.filter((x) => x.soft_prompt)) {
        const result = generate(model.config, model.weights, c.ids, {
          maxTokens: fixture.steps,
          temperature: 0,
          prefix,
        });
        expect(result.tokens, c.text).toEqual(c.tokens);
      }
    } finally {
      disposePromptPrefix(prefix);
    }
  });
});
