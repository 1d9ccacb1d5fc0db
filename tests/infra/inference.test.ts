import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseInferenceEnv } from '#inference/deps-from-env.ts';
import {
  AttuneInference,
  type AttuneInferenceProps,
  DEFAULT_INFERENCE_MEMORY_MB,
} from '../../infra/constructs/inference.ts';
import { AttuneStorage, type AttuneStorageProps } from '../../infra/constructs/storage.ts';
import { allowedActions, cdkJsonContext, policyStatements, statementFor } from './cdk-test-app.ts';
import { synthValidationReport, unacknowledgedFindings } from './validation-report.ts';

/**
 * Template assertions on the inference construct, each in a fresh stack that holds storage, a bare HTTP
 * API and the construct (so every IAM policy in the template is the inference function's). Bundling is
 * skipped here (`aws:cdk:bundling-stacks: []`): these tests read the template, and the package itself is
 * built and loaded in inference-bundle.test.ts.
 */
function inferenceStack(props: Partial<AttuneInferenceProps> = {}, storageProps: AttuneStorageProps = {}) {
  const app = new App({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new Stack(app, 'Test');
  const storage = new AttuneStorage(stack, 'Storage', storageProps);
  const httpApi = new HttpApi(stack, 'Api', { createDefaultStage: false });
  const build = () => new AttuneInference(stack, 'Inference', { storage, httpApi, ...props });
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as never);
  return { stack, storage, httpApi, build, logicalId };
}

/** Builds the construct with `props` and returns its template. */
function synth(props: Partial<AttuneInferenceProps> = {}, storageProps: AttuneStorageProps = {}) {
  const built = inferenceStack(props, storageProps);
  const inference = built.build();
  return { ...built, inference, template: Template.fromStack(built.stack) };
}

const MIB = 1024 * 1024;

describe('AttuneInference function', () => {
  it('Given defaults, when synthesised, then the function runs Node 22 on arm64 with 3008 MB, 29 s and 2 GiB of /tmp', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: DEFAULT_INFERENCE_MEMORY_MB,
      Timeout: 29,
      EphemeralStorage: { Size: 2048 },
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('Given defaults, when synthesised, then the environment names the table, bucket, package paths and caches', () => {
    const { template, storage, logicalId } = synth();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalId(storage.table) },
          BUCKET_NAME: { Ref: logicalId(storage.bucket) },
          ATTUNE_TFJS_WASM_DIR: '/var/task',
          ATTUNE_BASE_MODELS_ROOT: '/var/task',
          ATTUNE_ARTIFACT_CACHE_DIR: '/tmp/attune-artifacts',
          ATTUNE_ARTIFACT_CACHE_BYTES: String(1504 * MIB),
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'attune-inference',
        },
      },
    });
  });

  it('Given the environment the construct sets, when the handler parses it, then it reads the package root, cache dir and bound', () => {
    const { template } = synth({ artifactCacheBytes: 987_654_321 });
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;
    const literals = Object.fromEntries(Object.entries(variables).filter(([, v]) => typeof v === 'string'));

    expect(parseInferenceEnv(literals as NodeJS.ProcessEnv)).toEqual({
      baseModelsRoot: '/var/task',
      artifactCacheDir: '/tmp/attune-artifacts',
      artifactCacheBytes: 987_654_321,
    });
  });

  it('Given defaults, when synthesised, then there is no alias and no version: API Gateway invokes the function', () => {
    const { template, inference } = synth();
    template.resourceCountIs('AWS::Lambda::Alias', 0);
    template.resourceCountIs('AWS::Lambda::Version', 0);
    expect(inference.target).toBe(inference.handler);
  });

  it('Given memorySize, timeout, reservedConcurrency and ephemeralStorageSize, when synthesised, then the function carries them', () => {
    const { template } = synth({
      memorySize: 4096,
      timeout: Duration.seconds(20),
      reservedConcurrency: 8,
      ephemeralStorageSize: Size.gibibytes(6),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 4096,
      Timeout: 20,
      ReservedConcurrentExecutions: 8,
      EphemeralStorage: { Size: 6144 },
      Environment: { Variables: Match.objectLike({ ATTUNE_ARTIFACT_CACHE_BYTES: String(2048 * MIB) }) },
    });
  });

  it('Given a large memory size and no cache bound, when synthesised, then the cache is capped at 3 GiB (the wasm heap is 4 GiB)', () => {
    const { template } = synth({ memorySize: 10_240 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ATTUNE_ARTIFACT_CACHE_BYTES: String(3072 * MIB) }) },
    });
  });

  it('Given artifactCacheBytes, when synthesised, then the handler gets exactly that bound', () => {
    const { template } = synth({ artifactCacheBytes: 123_456_789 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ATTUNE_ARTIFACT_CACHE_BYTES: '123456789' }) },
    });
  });
});

describe('AttuneInference provisioned concurrency', () => {
  it('Given provisionedConcurrency 2, when synthesised, then a live alias on a published version keeps 2 environments warm', () => {
    const { template, inference, stack } = synth({ reservedConcurrency: 4, provisionedConcurrency: 2 });
    template.resourceCountIs('AWS::Lambda::Version', 1);
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: stack.getLogicalId(inference.handler.node.defaultChild as never) },
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
  });

  it('Given provisionedConcurrency, when synthesised, then both routes integrate with the alias, not the unqualified function', () => {
    const { template, inference, stack } = synth({ provisionedConcurrency: 1 });
    expect(inference.target).toBe(inference.alias);
    const aliasId = stack.getLogicalId(inference.alias?.node.defaultChild as never);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { Ref: aliasId },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { Ref: aliasId },
      Principal: 'apigateway.amazonaws.com',
    });
  });
});

describe('AttuneInference routes', () => {
  it.each(['POST /v1/completions', 'POST /v1/chat/completions'])(
    'Given defaults, when synthesised, then %s is a route on the HTTP API that targets the inference integration',
    (routeKey) => {
      const { template, httpApi, logicalId } = synth();
      const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
      const [integrationId] = Object.keys(integrations);
      expect(Object.keys(integrations)).toHaveLength(1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        ApiId: { Ref: logicalId(httpApi) },
        RouteKey: routeKey,
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    },
  );

  it('Given defaults, when synthesised, then the integration invokes the inference function with payload format 2.0', () => {
    const { template, inference, stack } = synth();
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: {
        'Fn::GetAtt': [stack.getLogicalId(inference.handler.node.defaultChild as never), 'Arn'],
      },
    });
  });

  it('Given defaults, when synthesised, then API Gateway may invoke the inference function', () => {
    const { template, inference, stack } = synth();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: {
        'Fn::GetAtt': [stack.getLogicalId(inference.handler.node.defaultChild as never), 'Arn'],
      },
      Principal: 'apigateway.amazonaws.com',
    });
  });
});

describe('AttuneInference permissions', () => {
  it('Given defaults, when synthesised, then the only object action is GetObject, on teams/*/models/*', () => {
    const { template, storage, logicalId } = synth();
    const objectActions = allowedActions(template).filter((action) => action.startsWith('s3:'));
    expect(objectActions.sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(statementFor(template, 's3:GetObject')?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(storage.bucket), 'Arn'] }, '/teams/*/models/*']],
    });
  });

  it('Given defaults, when synthesised, then listing is allowed only within the model prefixes', () => {
    const { template, storage, logicalId } = synth();
    const statement = statementFor(template, 's3:ListBucket');
    expect(statement?.Resource).toEqual({ 'Fn::GetAtt': [logicalId(storage.bucket), 'Arn'] });
    expect(statement?.Condition).toEqual({ StringLike: { 's3:prefix': ['teams/*/models/*'] } });
  });

  it('Given defaults, when synthesised, then on the table it may get, query, put and update items and nothing more', () => {
    const { template, storage, logicalId } = synth();
    const tableActions = allowedActions(template).filter((action) => action.startsWith('dynamodb:'));
    expect(tableActions.sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(statementFor(template, 'dynamodb:GetItem')?.Resource).toEqual({
      'Fn::GetAtt': [logicalId(storage.table), 'Arn'],
    });
  });

  it('Given defaults, when synthesised, then no statement reaches beyond the log group, the table and the bucket', () => {
    const { template } = synth();
    const resources = policyStatements(template).flatMap((statement) => [statement.Resource].flat());
    expect(resources).not.toContain('*');
  });

  it('Given a KMS-encrypted bucket, when synthesised, then the function may decrypt with its key but not encrypt', () => {
    const { template } = synth({}, { encryption: BucketEncryption.KMS });
    expect(allowedActions(template)).toContain('kms:Decrypt');
    expect(allowedActions(template)).not.toContain('kms:Encrypt');
  });
});

describe('AttuneInference props validation', () => {
  it.each([64, 10_241, 1536.5])('Given memorySize %s, when constructed, then it throws', (memorySize) => {
    const { build } = inferenceStack({ memorySize });
    expect(build).toThrow(/Inference: memorySize must be a whole number of MB from 128 to 10240/);
  });

  it.each([Duration.seconds(30), Duration.millis(1500), Duration.seconds(0)])(
    'Given timeout %s, when constructed, then it throws naming the 30 s API Gateway limit',
    (timeout) => {
      const { build } = inferenceStack({ timeout });
      expect(build).toThrow(
        /Inference: timeout must be a whole number of seconds from 1 to 29 \(API Gateway/,
      );
    },
  );

  it.each([0, -1, 2.5])(
    'Given reservedConcurrency %s, when constructed, then it throws',
    (reservedConcurrency) => {
      const { build } = inferenceStack({ reservedConcurrency });
      expect(build).toThrow(/Inference: reservedConcurrency must be a whole number at least 1/);
    },
  );

  it.each([-1, 0.5])(
    'Given provisionedConcurrency %s, when constructed, then it throws',
    (provisionedConcurrency) => {
      const { build } = inferenceStack({ provisionedConcurrency });
      expect(build).toThrow(/Inference: provisionedConcurrency must be a whole number at least 0/);
    },
  );

  it('Given more provisioned than reserved concurrency, when constructed, then it throws', () => {
    const { build } = inferenceStack({ reservedConcurrency: 2, provisionedConcurrency: 3 });
    expect(build).toThrow(/provisionedConcurrency \(3\) may not exceed reservedConcurrency \(2\)/);
  });

  it.each([Size.mebibytes(256), Size.gibibytes(11), Size.kibibytes(600 * 1024 + 1)])(
    'Given ephemeralStorageSize %s, when constructed, then it throws',
    (ephemeralStorageSize) => {
      const { build } = inferenceStack({ ephemeralStorageSize });
      expect(build).toThrow(
        /Inference: ephemeralStorageSize must be a whole number of MiB from 512 to 10240/,
      );
    },
  );

  it.each([0, 1.5, 3008 * MIB, 3 * 1024 * MIB + 1])(
    'Given artifactCacheBytes %s with the default memory, when constructed, then it throws',
    (artifactCacheBytes) => {
      const { build } = inferenceStack({ artifactCacheBytes });
      expect(build).toThrow(/Inference: artifactCacheBytes must be a whole number from 1 to 3154116607/);
    },
  );
});

describe('AttuneInference under cdk-nag', () => {
  /** Storage, a bare HTTP API and the construct (with an alias), synthesised under AwsSolutions. */
  function nagged(widen?: (storage: AttuneStorage, inference: AttuneInference) => void) {
    const outdir = mkdtempSync(join(tmpdir(), 'attune-inference-nag-'));
    const app = new App({
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
      outdir,
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'Test');
    const storage = new AttuneStorage(stack, 'Storage');
    const httpApi = new HttpApi(stack, 'Api', { createDefaultStage: false });
    const inference = new AttuneInference(stack, 'Inference', {
      storage,
      httpApi,
      reservedConcurrency: 4,
      provisionedConcurrency: 1,
    });
    widen?.(storage, inference);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return { inference, findings: unacknowledgedFindings(synthValidationReport(app, outdir)) };
  }

  /** Every acknowledgement recorded in the construct's tree: rule id → reason. */
  function acknowledgements(inference: AttuneInference): Map<string, string> {
    const entries = inference.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    return new Map(entries);
  }

  it('Given the construct with an alias, when synthesised under AwsSolutions, then no finding is left unacknowledged', () => {
    expect(nagged().findings).toEqual([]);
  });

  it('Given the construct, then each acknowledgement names its rule precisely and says why at length', () => {
    const acknowledged = acknowledgements(nagged().inference);
    expect([...acknowledged.keys()]).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/AwsSolutions-IAM5\[Resource::<Storage\w+\.Arn>\/teams\/\*\/models\/\*\]$/),
        expect.stringMatching(/AwsSolutions-APIG4$/),
      ]),
    );
    for (const [rule, reason] of acknowledged) expect(reason.length, rule).toBeGreaterThan(80);
  });

  it('Given a grant wider than the model prefixes, when synthesised, then cdk-nag reports it (the check is live)', () => {
    const { findings } = nagged((storage, inference) =>
      storage.bucket.grantRead(inference.handler, 'teams/*'),
    );
    expect(findings).toContain(
      'AwsSolutions: AwsSolutions-IAM5[Resource::<Storage6B64FB91.Arn>/teams/*] (error) at Test/Inference/Resource/ServiceRole/DefaultPolicy/Resource',
    );
  });
});
