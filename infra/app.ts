import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '#core/errors.ts';
import { MAX_UPLOAD_BYTES_LIMIT } from './constructs/api.ts';
import { DEFAULT_INFERENCE_MEMORY_MB, MAX_MEMORY_MB, MIN_MEMORY_MB } from './constructs/inference.ts';
import { AttuneStack } from './stack.ts';

/**
 * The context parameters a deployer may set (`cdk.json` "context", or `npx cdk deploy -c key=value`):
 *
 * - `attune:stage` — names the deployment; the stack is `Attune-<stage>`, so several stages can live in
 *   one account. Lower-case letters, digits and hyphens, starting with a letter, at most 20. Default `dev`.
 * - `attune:maxUploadBytes` — the largest file `POST /v1/files` accepts, in bytes (1 to 4 500 000: the
 *   Lambda payload limit). Default 4 MiB. Larger datasets use `POST /v1/uploads`.
 * - `attune:logRetentionDays` — how long every log group keeps logs, in days; one of CloudWatch's values
 *   (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
 *   3653; 9999 = never expire). Default 30.
 * - `attune:gpuInstanceTypes` — the instance types of the GPU training queue, x86-64 with
 *   NVIDIA GPUs: a JSON array in cdk.json, or a comma-separated list with `-c`. Default g5.xlarge,
 *   g5.2xlarge, g5.4xlarge, g5.8xlarge, g5.16xlarge.
 * - `attune:gpuMaxVcpus` — the most vCPUs each GPU compute environment (Spot, on-demand) runs at once.
 *   Default 64.
 * - `attune:cpuInstanceTypes` — the instance types of the small-instance (prompt-tuning) queue, x86-64
 *   without GPUs. Default c7i.large, c7i.xlarge, c7i.2xlarge, m7i.xlarge.
 * - `attune:cpuMaxVcpus` — the most vCPUs the small-instance compute environment runs at once. Default 32.
 * - `attune:trainingAzs` — how many Availability Zones the training VPC spans, 1 or 2. Each AZ adds six
 *   interface endpoints (about $44 a month); two give Spot more GPU capacity pools. Default 2.
 * - `attune:inferenceMemoryMb` — the inference Lambda's memory in MB (128 to 10240). Default 3008.
 * - `attune:inferenceReservedConcurrency` — concurrent executions reserved for (and capping) the inference
 *   Lambda, at least 1. Default none (it shares the account's unreserved concurrency).
 * - `attune:inferenceProvisionedConcurrency` — inference environments kept initialised on a `live` alias
 *   (no cold starts, billed while idle), 0 for none; at most the reserved concurrency when that is set.
 *   Default 0.
 */
export const CONTEXT_KEYS = {
  stage: 'attune:stage',
  maxUploadBytes: 'attune:maxUploadBytes',
  logRetentionDays: 'attune:logRetentionDays',
  gpuInstanceTypes: 'attune:gpuInstanceTypes',
  gpuMaxVcpus: 'attune:gpuMaxVcpus',
  cpuInstanceTypes: 'attune:cpuInstanceTypes',
  cpuMaxVcpus: 'attune:cpuMaxVcpus',
  trainingAzs: 'attune:trainingAzs',
  inferenceMemoryMb: 'attune:inferenceMemoryMb',
  inferenceReservedConcurrency: 'attune:inferenceReservedConcurrency',
  inferenceProvisionedConcurrency: 'attune:inferenceProvisionedConcurrency',
} as const;

/** The deployment settings read from context, validated. */
export interface AttuneContext {
  readonly stage: string;
  readonly maxUploadBytes?: number;
  readonly logRetention?: RetentionDays;
  readonly gpuInstanceTypes?: string[];
  readonly gpuMaxVcpus?: number;
  readonly cpuInstanceTypes?: string[];
  readonly cpuMaxVcpus?: number;
  readonly trainingAzs?: number;
  readonly inferenceMemoryMb?: number;
  readonly inferenceReservedConcurrency?: number;
  readonly inferenceProvisionedConcurrency?: number;
}

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const RETENTION_VALUES = new Set<number>(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/** Reads and validates Attune's context parameters; a bad value stops synthesis with its name and why. */
export function readAttuneContext(app: App): AttuneContext {
  const rawStage = app.node.tryGetContext(CONTEXT_KEYS.stage) ?? 'dev';
  const stage = String(rawStage);
  if (!STAGE_PATTERN.test(stage)) {
    throw new ConfigError(
      `${CONTEXT_KEYS.stage} must be lower-case letters, digits and hyphens, starting with a letter, at most 20 characters; got "${stage}"`,
    );
  }
  const maxUploadBytes = optionalInteger(app, CONTEXT_KEYS.maxUploadBytes);
  if (maxUploadBytes !== undefined && (maxUploadBytes < 1 || maxUploadBytes > MAX_UPLOAD_BYTES_LIMIT)) {
    throw new ConfigError(
      `${CONTEXT_KEYS.maxUploadBytes} must be from 1 to ${MAX_UPLOAD_BYTES_LIMIT}, got ${maxUploadBytes}`,
    );
  }
  const logRetentionDays = optionalInteger(app, CONTEXT_KEYS.logRetentionDays);
  if (logRetentionDays !== undefined && !RETENTION_VALUES.has(logRetentionDays)) {
    throw new ConfigError(
      `${CONTEXT_KEYS.logRetentionDays} must be one of ${[...RETENTION_VALUES].join(', ')}; got ${logRetentionDays}`,
    );
  }
  return {
    stage,
    maxUploadBytes,
    logRetention: logRetentionDays as RetentionDays | undefined,
    gpuInstanceTypes: optionalList(app, CONTEXT_KEYS.gpuInstanceTypes),
    gpuMaxVcpus: optionalInteger(app, CONTEXT_KEYS.gpuMaxVcpus),
    cpuInstanceTypes: optionalList(app, CONTEXT_KEYS.cpuInstanceTypes),
    cpuMaxVcpus: optionalInteger(app, CONTEXT_KEYS.cpuMaxVcpus),
    trainingAzs: optionalInteger(app, CONTEXT_KEYS.trainingAzs),
    ...readInferenceContext(app),
  };
}

/** The inference Lambda's context parameters, each checked against Lambda's own rules. */
function readInferenceContext(
  app: App,
): Pick<
  AttuneContext,
  'inferenceMemoryMb' | 'inferenceReservedConcurrency' | 'inferenceProvisionedConcurrency'
> {
  const memory = optionalInteger(app, CONTEXT_KEYS.inferenceMemoryMb);
  if (memory !== undefined && (memory < MIN_MEMORY_MB || memory > MAX_MEMORY_MB)) {
    throw new ConfigError(
      `${CONTEXT_KEYS.inferenceMemoryMb} must be from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB} (MB, Lambda's range; default ${DEFAULT_INFERENCE_MEMORY_MB}), got ${memory}`,
    );
  }
  const reserved = optionalInteger(app, CONTEXT_KEYS.inferenceReservedConcurrency);
  if (reserved !== undefined && reserved < 1) {
    throw new ConfigError(
      `${CONTEXT_KEYS.inferenceReservedConcurrency} must be at least 1 (leave it out for no reservation), got ${reserved}`,
    );
  }
  const provisioned = optionalInteger(app, CONTEXT_KEYS.inferenceProvisionedConcurrency);
  if (provisioned !== undefined && provisioned < 0) {
    throw new ConfigError(
      `${CONTEXT_KEYS.inferenceProvisionedConcurrency} must be 0 or more, got ${provisioned}`,
    );
  }
  if (provisioned !== undefined && reserved !== undefined && provisioned > reserved) {
    throw new ConfigError(
      `${CONTEXT_KEYS.inferenceProvisionedConcurrency} (${provisioned}) may not exceed ${CONTEXT_KEYS.inferenceReservedConcurrency} (${reserved}): provisioned environments count against the reservation`,
    );
  }
  return {
    inferenceMemoryMb: memory,
    inferenceReservedConcurrency: reserved,
    inferenceProvisionedConcurrency: provisioned,
  };
}

/**
 * A list from cdk.json arrives as an array, from `-c key=a,b` as a string: accept both (and a JSON array
 * string). Whether the names are good instance types is the training construct's to say.
 */
function optionalList(app: App, key: string): string[] | undefined {
  const raw: unknown = app.node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  const value: unknown = text?.startsWith('[') ? parseJsonList(key, text) : (text?.split(',') ?? raw);
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ConfigError(`${key} must be a list of instance types, got ${JSON.stringify(raw)}`);
  }
  return value.map((item) => item.trim());
}

function parseJsonList(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${key} is not a JSON array: ${text}`, { cause });
  }
}

/** Context from cdk.json arrives as a number, from `-c key=value` as a string: accept both, as integers. */
function optionalInteger(app: App, key: string): number | undefined {
  const raw: unknown = app.node.tryGetContext(key);
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigError(`${key} must be an integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * The Attune CDK app: one `Attune-<stage>` stack, checked by cdk-nag's AWS Solutions pack as a policy
 * validation plugin, so any finding not acknowledged (with its reason, next to the construct it
 * concerns) fails `cdk synth`.
 */
export function createAttuneApp(props: AppProps = {}): App {
  const app = new App(props);
  const context = readAttuneContext(app);
  new AttuneStack(app, `Attune-${context.stage}`, {
    description: `Attune (${context.stage}): adapt a language model to a team's data by fine-tuning or prompt tuning`,
    tags: { 'attune:stage': context.stage },
    maxUploadBytes: context.maxUploadBytes,
    logRetention: context.logRetention,
    training: {
      gpuInstanceTypes: context.gpuInstanceTypes,
      gpuMaxVcpus: context.gpuMaxVcpus,
      cpuInstanceTypes: context.cpuInstanceTypes,
      cpuMaxVcpus: context.cpuMaxVcpus,
    },
    trainingAzs: context.trainingAzs,
    inference: {
      memorySize: context.inferenceMemoryMb,
      reservedConcurrency: context.inferenceReservedConcurrency,
      provisionedConcurrency: context.inferenceProvisionedConcurrency,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** True when this file is the program being run (`npx tsx infra/app.ts`), not a module a test imports. */
function isMainModule(): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(realpathSync(script)).href === import.meta.url;
}

if (isMainModule()) {
  createAttuneApp().synth();
}
