import type { Logger } from '@aws-lambda-powertools/logger';
import type { ApiKeyRepository } from '#aws/api-key-repository.ts';
import type { AttuneConfig } from '#aws/config.ts';
import type { FileRepository } from '#aws/file-repository.ts';
import type { ObjectStore } from '#aws/object-store.ts';
import type { AliasStore } from '#core/inference/aliases.ts';
import type { CompletionLog } from '#core/inference/feedback.ts';
import type { JobDispatcher } from '#core/jobs/dispatch.ts';

/**
 * What the API needs from the outside world. Passed in rather than imported so that the Lambda, the
 * embedded server and the tests build the very same app over different clients.
 */
export interface AppDeps {
  readonly files: FileRepository;
  readonly keys: ApiKeyRepository;
  readonly objects: ObjectStore;
  readonly config: AttuneConfig;
  readonly logger: Logger;
  /** The team's A/B aliases and their per-variant counters (`/v1/aliases`). */
  readonly aliases: AliasStore;
  /** Served completions, which `/v1/feedback` scores. */
  readonly completions: CompletionLog;
  /**
   * Where fine-tuning jobs run (AWS Batch, or the embedded stack's local runner). Absent where no training
   * backend is configured: creating or cancelling a job then answers 503, and nothing else changes.
   */
  readonly dispatcher?: JobDispatcher;
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
