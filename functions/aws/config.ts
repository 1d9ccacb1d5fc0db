import { z } from 'zod';
import { ConfigError } from '#core/errors.ts';

/**
 * Runtime configuration of every handler, read once from the environment and validated at start-up so a
 * missing variable fails the cold start, not the hundredth request. The same names are set by the CDK
 * constructs in AWS and by the embedded stack locally.
 */
const ConfigSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUCKET_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Local endpoints (embedded stack); absent in AWS. */
  ATTUNE_DYNAMODB_ENDPOINT: z.url().optional(),
  ATTUNE_S3_ENDPOINT: z.url().optional(),
  /**
   * Largest body `POST /v1/files` takes; larger datasets go through `POST /v1/uploads`. 4 MiB by default:
   * base64-encoded by API Gateway, a larger body would exceed Lambda's 6 MB payload limit.
   */
  ATTUNE_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** Lifetime of presigned upload URLs. */
  ATTUNE_UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(3600),
});

export interface AttuneConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly region: string;
  readonly dynamodbEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly maxUploadBytes: number;
  readonly uploadUrlTtlSeconds: number;
}

export function parseConfig(env: NodeJS.ProcessEnv): AttuneConfig {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${detail}`, { cause: parsed.error });
  }
  const e = parsed.data;
  return {
    tableName: e.TABLE_NAME,
    bucketName: e.BUCKET_NAME,
    region: e.AWS_REGION,
    ...(e.ATTUNE_DYNAMODB_ENDPOINT ? { dynamodbEndpoint: e.ATTUNE_DYNAMODB_ENDPOINT } : {}),
    ...(e.ATTUNE_S3_ENDPOINT ? { s3Endpoint: e.ATTUNE_S3_ENDPOINT } : {}),
    maxUploadBytes: e.ATTUNE_MAX_UPLOAD_BYTES,
    uploadUrlTtlSeconds: e.ATTUNE_UPLOAD_URL_TTL_SECONDS,
  };
}
