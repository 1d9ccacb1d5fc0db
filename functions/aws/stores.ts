import { AliasRepository } from '#aws/alias-repository.ts';
import { ApiKeyRepository } from '#aws/api-key-repository.ts';
import { CalibrationRepository } from '#aws/calibration-repository.ts';
import type { AwsClients } from '#aws/clients.ts';
import { CompletionLogRepository } from '#aws/completion-log-repository.ts';
import type { AttuneConfig } from '#aws/config.ts';
import { FileRepository } from '#aws/file-repository.ts';
import { JobRepository } from '#aws/job-repository.ts';
import { ModelRepository } from '#aws/model-repository.ts';
import { ObjectStore } from '#aws/object-store.ts';
import { SpendRepository } from '#aws/spend-repository.ts';

/** Every adapter of Attune's one table and one bucket, over one set of clients. */
export interface AttuneStores {
  readonly files: FileRepository;
  readonly objects: ObjectStore;
  readonly keys: ApiKeyRepository;
  readonly jobs: JobRepository;
  readonly models: ModelRepository;
  readonly aliases: AliasRepository;
  readonly completions: CompletionLogRepository;
  readonly calibration: CalibrationRepository;
  readonly spend: SpendRepository;
}

/**
 * The one place the table and bucket of a configuration become repositories: each composition root takes
 * the ones its entry point uses. Building them is a few plain objects and no network call.
 */
export function createStores(config: AttuneConfig, clients: AwsClients): AttuneStores {
  const { dynamo } = clients;
  return {
    files: new FileRepository(dynamo, config.tableName),
    objects: new ObjectStore(clients.s3, config.bucketName),
    keys: new ApiKeyRepository(dynamo, config.tableName),
    jobs: new JobRepository(dynamo, config.tableName),
    models: new ModelRepository(dynamo, config.tableName),
    aliases: new AliasRepository(dynamo, config.tableName),
    completions: new CompletionLogRepository(dynamo, config.tableName),
    calibration: new CalibrationRepository(dynamo, config.tableName),
    spend: new SpendRepository(dynamo, config.tableName),
  };
}
