import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AssetStaging, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { API_ENTRY, AttuneApi, type AttuneApiProps } from '../../infra/constructs/api.ts';
import { ESM_REQUIRE_BANNER, LAMBDA_BUNDLE_FILE } from '../../infra/constructs/bundling.ts';
import { AttuneStorage } from '../../infra/constructs/storage.ts';
import { bundleLikeCdk } from './bundle-like-cdk.ts';
import { allowedActions, newTestStack, statementFor } from './cdk-test-app.ts';

/** A stack holding storage and the API; `props` go to the API. */
function apiStack(props: Partial<AttuneApiProps> = {}) {
  const { stack } = newTestStack();
  const storage = new AttuneStorage(stack, 'Storage');
  return { stack, storage, build: () => new AttuneApi(stack, 'Api', { storage, ...props }) };
}

// Bundling is the slow part: synthesise the real construct (real esbuild bundling) once for the file.
const built = apiStack();
const api = built.build();
const template = Template.fromStack(built.stack);
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  Stack.of(built.stack).getLogicalId(construct.node.defaultChild as never);

describe('AttuneApi Lambda', () => {
  it('Given defaults, then the API Lambda runs Node 22 on arm64 from the bundled index.mjs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 29,
    });
  });

  it('Given defaults, then the Lambda gets the table, the bucket and the upload limit through its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalId(built.storage.table) },
          BUCKET_NAME: { Ref: logicalId(built.storage.bucket) },
          ATTUNE_MAX_UPLOAD_BYTES: String(4 * 1024 * 1024),
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'attune-api',
        },
      },
    });
  });

  it('Given defaults, then the Lambda logs to its own log group kept for a month', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^ApiHandlerLogs') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('Given defaults, then the Lambda role carries no AWS managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('Given defaults, then the Lambda may read and write table items', () => {
    expect(allowedActions(template)).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
      ]),
    );
  });

  it('Given defaults, then the Lambda may read and write objects under teams/ only', () => {
    const statement = statementFor(template, 's3:PutObject');
    expect(statement?.Action).toEqual(expect.arrayContaining(['s3:GetObject', 's3:DeleteObject']));
    expect(statement?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(built.storage.bucket), 'Arn'] }, '/teams/*']],
    });
  });

  it('Given defaults, then the Lambda may read live prices (pricing:GetProducts) and nothing else on every resource', () => {
    const statement = statementFor(template, 'pricing:GetProducts');
    expect(statement?.Action).toBe('pricing:GetProducts');
    expect(statement?.Resource).toBe('*');
  });

  it('Given the asset the CDK bundled, then it is byte for byte what the shared esbuild options produce', async () => {
    const staging = api.handler.node.findChild('Code').node.findChild('Stage') as AssetStaging;
    const cdkBundle = await readFile(join(staging.absoluteStagedPath, LAMBDA_BUNDLE_FILE), 'utf8');
    const ours = await readFile((await bundleLikeCdk(API_ENTRY)).file, 'utf8');
    expect(cdkBundle.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(ours).toBe(cdkBundle);
  });
});

describe('AttuneApi HTTP API', () => {
  it('Given defaults, then an HTTP API sends every route to the Lambda with payload format 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('Given defaults, then API Gateway may invoke the Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('Given defaults, then the auto-deployed $default stage writes JSON access logs to their own log group', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(api.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
  });
});

describe('AttuneApi props', () => {
  it('Given maxUploadBytes, then the Lambda environment carries it', () => {
    const { stack, build } = apiStack({ maxUploadBytes: 1_000_000 });
    build();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ATTUNE_MAX_UPLOAD_BYTES: '1000000' }) },
    });
  });

  it.each([0, -1, 1.5, 4_500_001])(
    'Given maxUploadBytes %s, then the constructor throws',
    (maxUploadBytes) => {
      const { build } = apiStack({ maxUploadBytes });
      expect(build).toThrow(/Api: maxUploadBytes must be a whole number of bytes from 1 to 4500000/);
    },
  );

  it.each([Duration.seconds(30), Duration.millis(500)])(
    'Given timeout %s, then the constructor throws',
    (timeout) => {
      const { build } = apiStack({ timeout });
      expect(build).toThrow(/Api: timeout must be a whole number of seconds from 1 to 29/);
    },
  );

  it.each([64, 10_241, 512.5])('Given memorySize %s, then the constructor throws', (memorySize) => {
    const { build } = apiStack({ memorySize });
    expect(build).toThrow(/Api\/Handler: memorySize must be a whole number of MB from 128 to 10240/);
  });
});
