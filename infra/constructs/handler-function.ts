import { join } from 'node:path';
import { type Duration, type Size, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigError } from '#core/errors.ts';
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, nodejsBundlingOptions, REPO_ROOT } from './bundling.ts';

/** Lambda's own bounds on memory, in MB. */
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;

/** What an Attune handler needs to become a Lambda. */
export interface HandlerFunctionProps {
  /** The entry file, relative to the repository root (e.g. `functions/http/lambda.ts`). */
  readonly entry: string;
  /** One line for the console: what this function is for. */
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  /** The Powertools service name its logs carry. */
  readonly serviceName: string;
  readonly environment?: Record<string, string>;
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
  readonly onFailure?: IDestination;
  /** Commands around esbuild, e.g. copying run-time files into the bundle (see `nodejsBundlingOptions`). */
  readonly commandHooks?: ICommandHooks;
  /** Concurrent executions reserved for (and capping) this function; none reserved when absent. */
  readonly reservedConcurrentExecutions?: number;
  /** The size of `/tmp`; Lambda's 512 MiB when absent. */
  readonly ephemeralStorageSize?: Size;
}

/**
 * One Attune handler as a Lambda: Node 22 on arm64, bundled by the local esbuild exactly as
 * `bundling.ts` says, its own log group with a retention, and its own role that may write to that log
 * group and nothing else until a `bind*`/`grant*` call adds what the handler needs (no AWS managed
 * policy, whose `Resource: *` log rights would reach every log group in the account).
 */
export class HandlerFunction extends Construct {
  /** The function (this construct's default child, `Resource`). */
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const { memorySize } = props;
    if (!Number.isInteger(memorySize) || memorySize < MIN_MEMORY_MB || memorySize > MAX_MEMORY_MB) {
      throw new ConfigError(
        `${this.node.path}: memorySize must be a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, got ${memorySize}`,
      );
    }
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new Role(this, 'ServiceRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Resource', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      description: props.description,
      memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      bundling: nodejsBundlingOptions(props.commandHooks),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        ...props.environment,
      },
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: props.onFailure,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ephemeralStorageSize: props.ephemeralStorageSize,
    });
    const runtimeReason =
      'Node 22 (nodejs22.x, LTS, supported until 2027-04-30) is the runtime the whole project runs and is tested on: npm test runs vitest on the node 22 package pinned in package.json, and the trainer images use Node 22. Node 24 is not used because the native TF.js backends of the trainer images (tfjs-node 4.22.0, the last release) call util.isNullOrUndefined, which Node 23 removed; the bundle targets node22.';
    Validations.of(this.function).acknowledge({ id: 'AwsSolutions-L1', reason: runtimeReason });
  }
}
