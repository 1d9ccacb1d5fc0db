import { handle } from 'hono/aws-lambda';
import { createInferenceApp } from '#inference/app.ts';
import { inferenceDepsFromEnv } from '#inference/deps-from-env.ts';
import { initBackend } from '#model/backend.ts';

/**
 * The inference Lambda's entry point and composition root. The app and its clients are built once per
 * execution environment, and the TF.js backend (wasm, binaries beside the bundle or in
 * ATTUNE_TFJS_WASM_DIR) starts at init, with a top-level await: Lambda runs that in the init phase, so a
 * provisioned-concurrency environment is ready before its first request, and an on-demand one pays it
 * once, not per request. A backend that cannot start fails the init, which Lambda reports and retries.
 */
await initBackend();

export const handler = handle(createInferenceApp(inferenceDepsFromEnv(process.env)));
