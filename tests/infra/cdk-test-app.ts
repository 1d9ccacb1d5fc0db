import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
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
export function newTestStack(): { app: App; stack: Stack } {
  const app = new App({
    context: cdkJsonContext(),
    builtinCloudFormationValidation: false,
  });
  return { app, stack: new Stack(app, 'Test') };
}

/** One IAM policy statement as it appears in a synthesised template. */
export interface TemplateStatement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The statements of every IAM policy in the template, flattened. */
export function policyStatements(template: Template): TemplateStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as TemplateStatement[],
  );
}

/** Every action any IAM policy in the template allows. */
export function allowedActions(template: Template): string[] {
  return policyStatements(template).flatMap((statement) => [statement.Action].flat());
}

/** The statement that allows `action`, if any. */
export function statementFor(template: Template, action: string): TemplateStatement | undefined {
  return policyStatements(template).find((statement) => [statement.Action].flat().includes(action));
}
