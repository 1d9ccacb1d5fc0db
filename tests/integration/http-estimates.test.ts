import { afterAll, describe, expect, it } from 'vitest';
import { SpendRepository } from '#aws/spend-repository.ts';
import { budgetMonth, DEFAULT_MONTHLY_BUDGET_USD } from '#core/estimate/budget.ts';
import type { Estimate } from '#core/estimate/estimate.ts';
import { type FileRecord, fileObjectKey } from '#core/files.ts';
import { newId } from '#core/ids.ts';
import { createHarness, errorOf } from '#tests/integration/http-harness.ts';
import { testClients } from '#tests/test-clients.ts';

const harness = createHarness();
afterAll(() => harness.cleanup());

/** A file record as ingestion leaves it, written straight to the table: the estimate only reads it. */
async function fileOf(team: string, status: FileRecord['status']): Promise<string> {
  const id = newId('file');
  await harness.deps.files.create({
    team,
    id,
    filename: 'train.jsonl',
    purpose: 'fine-tune',
    bytes: 1234,
    createdAt: Math.floor(Date.now() / 1000),
    status,
    statusDetails: null,
    objectKey: fileObjectKey(team, id),
    ...(status === 'processed'
      ? {
          report: {
            format: 'chat' as const,
            examples: 600,
            tokens: { min: 10, max: 700, mean: 120, p95: 300, total: 72_000 },
            duplicates: 0,
            errors: [],
            tokenizer: 'gpt2',
          },
        }
      : {}),
  });
  return id;
}

function post(auth: { authorization: string }, body: unknown) {
  return harness.app.request('/v1/estimates', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/estimates', () => {
  it('given planning figures, then every method is estimated side by side with a recommendation', async () => {
    const { auth } = await harness.team();
    const res = await post(auth, {
      model: 'gpt2',
      training_tokens: 100_000,
      examples: 500,
      iteration: 'weekly',
    });
    expect(res.status).toBe(200);
    const estimate = (await res.json()) as Estimate;
    expect(estimate.object).toBe('estimate');
    expect(Object.keys(estimate.methods).sort()).toEqual(['hybrid', 'prompt_tuning', 'supervised']);
    expect(estimate.methods.supervised?.flops.formula).toContain('6·N·T');
    expect(estimate.methods.prompt_tuning?.plan?.throughput.source).toBe('datasheet × assumed utilisation');
    expect(estimate.recommendation.method).toBe('prompt_tuning');
    expect(estimate.budget?.monthly_usd).toBeGreaterThan(0);
  });

  it("given the team's processed file, then its statistics are used", async () => {
    const { team, auth } = await harness.team();
    const id = await fileOf(team, 'processed');
    const res = await post(auth, { model: 'gpt2', training_file: id, methods: ['prompt_tuning'] });
    expect(res.status).toBe(200);
    const estimate = (await res.json()) as Estimate;
    expect(estimate.data).toMatchObject({ examples: 600, mean_tokens: 120, training_file: id });
    expect(Object.keys(estimate.methods)).toEqual(['prompt_tuning']);
  });

  it('given a file not yet processed, then 400 file_not_processed', async () => {
    const { team, auth } = await harness.team();
    const id = await fileOf(team, 'uploaded');
    const res = await post(auth, { model: 'gpt2', training_file: id });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'training_file', code: 'file_not_processed' });
  });

  it("given another team's processed file, then 404, as for a file that does not exist", async () => {
    const owner = await harness.team();
    const other = await harness.team();
    const id = await fileOf(owner.team, 'processed');
    const res = await post(other.auth, { model: 'gpt2', training_file: id });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).param).toBe('training_file');
  });

  it('given an unknown model, then 400 naming model', async () => {
    const { auth } = await harness.team();
    const res = await post(auth, { model: 'gpt-9', training_tokens: 1000, examples: 10 });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'model', code: 'model_not_found' });
  });

  it('given negative tokens, then 400 naming training_tokens', async () => {
    const { auth } = await harness.team();
    const res = await post(auth, { model: 'gpt2', training_tokens: -1, examples: 10 });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe('training_tokens');
  });

  it("given spend recorded this month, then the estimate shows what is left of the team's budget", async () => {
    const { team, auth } = await harness.team();
    const spend = new SpendRepository(testClients().dynamo, harness.config.tableName);
    await spend.add(team, budgetMonth(new Date()), 40);
    const res = await post(auth, { model: 'attune-tiny', training_tokens: 10_000, examples: 100 });
    const estimate = (await res.json()) as Estimate;
    expect(estimate.budget).toMatchObject({ monthly_usd: DEFAULT_MONTHLY_BUDGET_USD, spent_usd: 40 });
    expect(estimate.budget?.remaining_usd).toBe(DEFAULT_MONTHLY_BUDGET_USD - 40);
  });

  it('given no API key, then 401', async () => {
    const res = await post({ authorization: '' }, { model: 'gpt2', training_tokens: 1000, examples: 10 });
    expect(res.status).toBe(401);
  });
});
