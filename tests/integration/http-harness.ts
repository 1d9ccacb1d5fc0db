import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { AliasRepository } from '#aws/alias-repository.ts';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { getClients } from '#aws/clients.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import { type AttuneConfig, getConfig } from '#aws/config.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { API_KEY_SK, apiKeyPk } from '#aws/table-keys.ts';
import { generateApiKey, hashApiKey } from '#core/api-keys.ts';
import type { OpenAIErrorBody } from '#core/errors.ts';
import { type AppDeps, createApp } from '#http/app.ts';

/**
 * The API app over the real repositories, against the DynamoDB Local and s3rver that tests/global-setup.ts
 * started. Each test makes its own teams, so tests never see each other's files, and cleans them up.
 */
export interface Harness {
  readonly app: ReturnType<typeof createApp>;
  readonly deps: AppDeps;
  /** A new team with a registered key; removed, with all its files, by `cleanup`. */
  team(): Promise<{ team: string; key: string; auth: { authorization: string } }>;
  /** Everything a team has written: its file records and the object keys under its S3 prefix. */
  written(team: string): Promise<{ records: number; objects: string[] }>;
  cleanup(): Promise<void>;
}

export function createHarness(
  overrides: { config?: Partial<AttuneConfig>; objects?: ObjectStore; logger?: Logger } = {},
): Harness {
  const config = { ...getConfig(), ...overrides.config };
  const clients = getClients(config);
  const deps: AppDeps = {
    files: new FileRepository(clients.dynamo, config.tableName),
    keys: new ApiKeyRepository(clients.dynamo, config.tableName),
    objects: overrides.objects ?? new ObjectStore(clients.s3, config.bucketName),
    config,
    logger: overrides.logger ?? new Logger({ serviceName: 'attune-api-test', logLevel: 'SILENT' }),
    aliases: new AliasRepository(clients.dynamo, config.tableName),
    completions: new CompletionLogRepository(clients.dynamo, config.tableName),
  };
  const created: { team: string; key: string }[] = [];
  const objects = new ObjectStore(clients.s3, config.bucketName);
  return {
    app: createApp(deps),
    deps,
    async team() {
      const team = `t-${randomUUID().slice(0, 12)}`;
      const key = generateApiKey();
      await deps.keys.register(team, key);
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
