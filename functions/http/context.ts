import type { Logger } from '@aws-lambda-powertools/logger';
import type { ApiKeyStore } from '#core/api-keys.ts';
import type { Clock } from '#core/clock.ts';
import type { SpendLedger, TeamBudgets } from '#core/estimate/budget.ts';
import type { PriceProvider } from '#core/estimate/prices.ts';
import type { CalibrationStore } from '#core/estimate/throughput.ts';
import type { TrainerSite } from '#core/estimate/trainer-site.ts';
import type { FileStore, ObjectStorage } from '#core/files/ports.ts';
import type { AliasStore } from '#core/inference/aliases.ts';
import type { CompletionLog } from '#core/inference/feedback.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';
import type { JobStore, ModelStore } from '#core/jobs/ports.ts';

/** The API's own limits, read once at start-up with the rest of its configuration. */
export interface ApiLimits {
  /**
   * Largest body `POST /v1/files` takes; larger datasets go through `POST /v1/uploads`. 4 MiB by default:
   * base64-encoded by API Gateway, a larger body would exceed Lambda's 6 MB payload limit.
   */
  readonly maxUploadBytes: number;
  /** Lifetime of presigned upload URLs. */
  readonly uploadUrlTtlSeconds: number;
}

/**
 * Everything the API needs from the outside world, and nothing it builds itself: each entry point's
 * composition root (the Lambda's, the embedded stack's, a test's) builds these once and passes them in,
 * so the same app runs over different clients and no route reaches for a process-wide one.
 */
export interface AppDeps {
  readonly files: FileStore;
  readonly objects: ObjectStorage;
  readonly keys: Pick<ApiKeyStore, 'teamForKey'>;
  readonly jobs: JobStore;
  readonly models: ModelStore;
  /** The team's A/B aliases and their per-variant counters (`/v1/aliases`). */
  readonly aliases: AliasStore;
  /** Served completions, which `/v1/feedback` scores. */
  readonly completions: CompletionLog;
  /** Measured throughput per bucket, which replaces the datasheet in estimates once there is enough. */
  readonly calibration: CalibrationStore;
  /** Each team's spend this month, charged at job creation and corrected when the job settles. */
  readonly spend: SpendLedger;
  readonly budgets: TeamBudgets;
  /** Live on-demand prices; the catalog's table when absent. */
  readonly prices?: PriceProvider;
  /** Where Attune's trainer runs: AWS Batch, or the embedded stack's local runner. */
  readonly trainer: TrainerSite;
  /**
   * Where fine-tuning jobs run (AWS Batch, or the embedded stack's local runner). Absent where no training
   * backend is configured: creating or cancelling a job then answers 503, and nothing else changes.
   */
  readonly dispatcher?: JobDispatcher;
  readonly limits: ApiLimits;
  readonly now: Clock;
  readonly logger: Logger;
}

/**
 * Hono's environment for the app. `Bindings` is what the adapter passes: `hono/aws-lambda` gives the API
 * Gateway `requestContext`; `@hono/node-server` and `app.request` give something else or nothing, so every
 * field is optional and read defensively.
 */
export interface AppEnv {
  Bindings: { requestContext?: { requestId?: unknown } } | undefined;
  Variables: {
    /** The id every log line and the `x-request-id` response header carry. */
    requestId: string;
    /** The team the request's API key names; set by the auth middleware on `/v1/*`. */
    team: string;
  };
}
