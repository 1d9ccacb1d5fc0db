import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttuneNetwork } from '../../infra/constructs/network.ts';
import { AttuneStorage } from '../../infra/constructs/storage.ts';
import { AttuneTraining, type AttuneTrainingProps } from '../../infra/constructs/training.ts';
import { newTestStack } from './cdk-test-app.ts';

/** A fresh test stack holding storage and a network, ready for a training construct. */
export function trainingScope() {
  const { app, stack } = newTestStack();
  const storage = new AttuneStorage(stack, 'Storage');
  const network = new AttuneNetwork(stack, 'Network');
  return { app, stack, storage, network };
}

/**
 * A fresh stack with storage, network and training (`props` go to training), and its template; `extend`
 * adds to the stack before it is synthesised.
 */
export function trainingStack(
  props: Partial<Omit<AttuneTrainingProps, 'storage' | 'vpc'>> = {},
  extend: (stack: Stack, training: AttuneTraining) => void = () => {},
) {
  const scope = trainingScope();
  const training = new AttuneTraining(scope.stack, 'Training', {
    storage: scope.storage,
    vpc: scope.network.vpc,
    ...props,
  });
  extend(scope.stack, training);
  return { ...scope, training, template: Template.fromStack(scope.stack) };
}

/** The logical id a construct's default child has in its stack. */
export function logicalIdOf(construct: { node: { defaultChild?: unknown } }, stack: Stack): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}
