import { App } from 'aws-cdk-lib';
import type { CfnAlias, CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, createAttuneApp, readAttuneContext } from '../../infra/app.ts';
import type { AttuneStack } from '../../infra/stack.ts';
import { cdkJsonContext } from './cdk-test-app.ts';

/** The inference context keys: read, validated, and carried through the app into the construct. */

const contextOf = (context: Record<string, unknown>) => readAttuneContext(new App({ context }));

describe('Inference context parameters', () => {
  it('Given no inference context, then all three are left to the construct’s defaults', () => {
    expect(contextOf({})).toMatchObject({
      inferenceMemoryMb: undefined,
      inferenceReservedConcurrency: undefined,
      inferenceProvisionedConcurrency: undefined,
    });
  });

  it('Given numbers from cdk.json, then they are read as given', () => {
    expect(
      contextOf({
        [CONTEXT_KEYS.inferenceMemoryMb]: 4096,
        [CONTEXT_KEYS.inferenceReservedConcurrency]: 10,
        [CONTEXT_KEYS.inferenceProvisionedConcurrency]: 2,
      }),
    ).toMatchObject({
      inferenceMemoryMb: 4096,
      inferenceReservedConcurrency: 10,
      inferenceProvisionedConcurrency: 2,
    });
  });

  it('Given strings as `-c key=value` passes them, then they are read as integers', () => {
    expect(
      contextOf({
        [CONTEXT_KEYS.inferenceMemoryMb]: '1769',
        [CONTEXT_KEYS.inferenceReservedConcurrency]: '3',
        [CONTEXT_KEYS.inferenceProvisionedConcurrency]: '0',
      }),
    ).toMatchObject({
      inferenceMemoryMb: 1769,
      inferenceReservedConcurrency: 3,
      inferenceProvisionedConcurrency: 0,
    });
  });

  it.each([
    CONTEXT_KEYS.inferenceMemoryMb,
    CONTEXT_KEYS.inferenceReservedConcurrency,
    CONTEXT_KEYS.inferenceProvisionedConcurrency,
  ])('Given %s that is not an integer, then it is rejected by name', (key) => {
    expect(() => contextOf({ [key]: '2.5' })).toThrow(new RegExp(`${key} must be an integer, got "2.5"`));
  });

  it.each([64, 127, 10_241])(
    'Given inferenceMemoryMb %s, then it is rejected as outside Lambda’s range',
    (value) => {
      expect(() => contextOf({ [CONTEXT_KEYS.inferenceMemoryMb]: value })).toThrow(
        /attune:inferenceMemoryMb must be from 128 to 10240 \(MB, Lambda's range; default 3008\)/,
      );
    },
  );

  it.each([0, -4])('Given inferenceReservedConcurrency %s, then it is rejected', (value) => {
    expect(() => contextOf({ [CONTEXT_KEYS.inferenceReservedConcurrency]: value })).toThrow(
      /attune:inferenceReservedConcurrency must be at least 1 \(leave it out for no reservation\)/,
    );
  });

  it('Given a negative inferenceProvisionedConcurrency, then it is rejected', () => {
    expect(() => contextOf({ [CONTEXT_KEYS.inferenceProvisionedConcurrency]: -1 })).toThrow(
      /attune:inferenceProvisionedConcurrency must be 0 or more, got -1/,
    );
  });

  it('Given more provisioned than reserved concurrency, then it is rejected naming both keys', () => {
    expect(() =>
      contextOf({
        [CONTEXT_KEYS.inferenceReservedConcurrency]: 2,
        [CONTEXT_KEYS.inferenceProvisionedConcurrency]: 3,
      }),
    ).toThrow(
      /attune:inferenceProvisionedConcurrency \(3\) may not exceed attune:inferenceReservedConcurrency \(2\)/,
    );
  });
});

describe('Inference context in the app', () => {
  // Bundling skipped: these tests read the constructs the app builds, not the packages.
  const app = createAttuneApp({
    context: {
      ...cdkJsonContext(),
      'aws:cdk:bundling-stacks': [],
      [CONTEXT_KEYS.inferenceMemoryMb]: '5120',
      [CONTEXT_KEYS.inferenceReservedConcurrency]: '6',
      [CONTEXT_KEYS.inferenceProvisionedConcurrency]: '2',
    },
  });
  const stack = app.node.findChild('Attune-dev') as AttuneStack;

  it('Given inference context, when the app is built, then the inference function and its alias carry it', () => {
    const fn = stack.inference.handler.node.defaultChild as CfnFunction;
    const alias = stack.inference.alias?.node.defaultChild as CfnAlias;

    expect({ memory: fn.memorySize, reserved: fn.reservedConcurrentExecutions }).toEqual({
      memory: 5120,
      reserved: 6,
    });
    expect(stack.resolve(alias.provisionedConcurrencyConfig)).toEqual({ provisionedConcurrentExecutions: 2 });
  });

  it('Given the app, when built, then the completion routes sit on the same HTTP API as the $default route', () => {
    expect(stack.inference.routes).toHaveLength(2);
    for (const route of stack.inference.routes) expect(route.httpApi).toBe(stack.api.httpApi);
  });
});
