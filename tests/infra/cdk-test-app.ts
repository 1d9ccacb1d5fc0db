import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { REPO_ROOT } from '../../infra/constructs/bundling.ts';

/**
 * The context `npx cdk` would pass the app: everything under "context" in cdk.json (Attune's parameters
 * and the feature flags), so a test app synthesises as the CLI's does.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

/**
 * A fresh App and Stack for a template test, with cdk.json's context. CloudFormation's built-in template
 * validation (the slow part of synthesis) is off here: these tests assert on the template itself, and the
 * app test (app.test.ts) runs the full validation, cdk-nag included, on the real app.
 */
export function newTestStack(extraContext: Record<string, unknown> = {}): { app: App; stack: Stack } {
  const app = new App({
    context: { ...cdkJsonContext(), ...extraContext },
    builtinCloudFormationValidation: false,
  });
  return { app, stack: new Stack(app, 'Test') };
}
