import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { API_KEY_SK, apiKeyPk } from '#aws/table-keys.ts';
import { generateApiKey, hashApiKey } from '#core/api-keys.ts';
import type { OpenAIErrorBody } from '#core/errors.ts';
import type { ObjectStorage } from '#core/files/ports.ts';
import { apiDepsFromEnv } from '#http/api-deps.ts';
import { type AppDeps, createApp } from '#http/app.ts';
import type { ApiLimits } from '#http/context.ts';
import { testClients, testConfig } from '#tests/test-clients.ts';

/**
 * The API app over the real repositories, against the DynamoDB Local and s3rver that tests/global-setup.ts
 * started. Each test makes its own teams, so tests never see each other's files, and cleans them up.
 */
export interface Harness {
  readonly app: ReturnType<typeof createApp>;
  readonly deps: AppDeps;
  /** The table and bucket the app's repositories use. */
  readonly config: AttuneConfig;
  /** A new team with a registered key; removed, with all its files, by `cleanup`. */
  team(): Promise<{ team: string; key: string; auth: { authorization: string } }>;
  /** Everything a team has written: its file records and the object keys under its S3 prefix. */
  written(team: string): Promise<{ records: number; objects: string[] }>;
  cleanup(): Promise<void>;
}

/**
 * The test's composition root: the API's dependencies built as the Lambda builds them, from the
 * environment global-setup published (budgets, prices and trainer site included), over the worker's clients.
 */
export function createHarness(
  overrides: { limits?: Partial<ApiLimits>; objects?: ObjectStorage; logger?: Logger } = {},
): Harness {
  const config = testConfig();
  const clients = testClients();
  const base = apiDepsFromEnv(process.env, { clients });
  const deps: AppDeps = {
    ...base,
    objects: overrides.objects ?? base.objects,
    limits: { ...base.limits, ...overrides.limits },
    logger: overrides.logger ?? new Logger({ serviceName: 'attune-api-test', logLevel: 'SILENT' }),
  };
  const keys = new ApiKeyRepository(clients.dynamo, config.tableName);
  const created: { team: string; key: string }[] = [];
  const objects = new ObjectStore(clients.s3, config.bucketName);
  return {
    app: createApp(deps),
    deps,
    config,
    async team() {
      const team = `t-${randomUUID().slice(0, 12)}`;
      const key = generateApiKey();
      await keys.register(team, key);
      created.push({ team, key });
      return { team, key, auth: { authorization: `Bearer ${key}` } };
    },
    async written(team) {
      const records = await deps.files.list(team, 1000);
      const listed = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: config.bucketName, Prefix: `teams/${team}/` }),
      );
      return { records: records.length, objects: (listed.Contents ?? []).map((o) => o.Key ?? '') };
    },
    async cleanup() {
      for (const { team, key } of created.splice(0)) {
        for (const record of await deps.files.list(team, 1000)) {
          await objects.delete(record.objectKey);
          await deps.files.delete(team, record.id);
        }
        await clients.dynamo.send(
          new DeleteCommand({
            TableName: config.tableName,
            Key: { pk: apiKeyPk(hashApiKey(key)), sk: API_KEY_SK },
          }),
        );
      }
    },
  };
}

/** A multipart body as the official client sends it: `purpose` and a `file` part with a name. */
export function uploadForm(content: string | Uint8Array, filename = 'train.jsonl', purpose = 'fine-tune') {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new File([content], filename, { type: 'application/jsonl' }));
  return form;
}

/** One chat-format training line. */
export const CHAT_LINE = `${JSON.stringify({
  messages: [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello' },
  ],
})}\n`;

/** The `error` object of an OpenAI-shaped error answer. */
export async function errorOf(res: Response): Promise<OpenAIErrorBody['error']> {
  return ((await res.json()) as OpenAIErrorBody).error;
}
