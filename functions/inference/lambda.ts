import type { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import type { AppEnv } from '#http/context.ts';
import { createInferenceApp } from '#inference/app.ts';
import { inferenceDepsFromEnv } from '#inference/deps-from-env.ts';
import { initBackend } from '#model/backend.ts';

/**
 * The inference Lambda's entry point. The app and its clients are built once per execution environment,
 * and the TF.js backend (wasm, binaries beside the bundle or in ATTUNE_TFJS_WASM_DIR) starts at module
 * load, with a top-level await: Lambda runs that in the init phase, so a provisioned-concurrency
 * environment is ready before its first request, and an on-demand one pays it once, not per request.
 * A backend that cannot start fails the init, which Lambda reports and retries, rather than every request.
 */
await initBackend();
const app: Hono<AppEnv> = createInferenceApp(inferenceDepsFromEnv());

export const handler = handle(app);
