import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, createAttuneApp, readAttuneContext } from '../../infra/app.ts';
import { cdkJsonContext } from './cdk-test-app.ts';
import { acknowledgementsIn, synthValidationReport, unacknowledgedFindings } from './validation-report.ts';

const freshOutdir = () => mkdtempSync(join(tmpdir(), 'attune-cdk-out-'));

// The whole app, exactly as `npx cdk synth` builds it (cdk.json context, every validation plugin), once.
const outdir = freshOutdir();
const app = createAttuneApp({ context: cdkJsonContext(), outdir });
const report = synthValidationReport(app, outdir);

describe('Attune app under cdk-nag', () => {
  it('Given the app, when synthesised, then cdk-nag and CloudFormation validation leave no finding unacknowledged', () => {
    expect(unacknowledgedFindings(report)).toEqual([]);
  });

  it('Given the acknowledged findings and every acknowledgement in the app, then each carries a reason of substance', () => {
    const reported = report.pluginReports
      .flatMap((plugin) => plugin.suppressedViolations ?? [])
      .map((finding) => ({ id: finding.acknowledgedId, reason: finding.reason }));
    const acknowledged = [...reported, ...acknowledgementsIn(app)];
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledged) {
      expect(reason?.length, `${id} needs a real reason`).toBeGreaterThan(80);
    }
  });

  it('Given the app with a careless bucket added, when synthesised, then cdk-nag reports that bucket', () => {
    const carelessOutdir = freshOutdir();
    const careless = createAttuneApp({
      context: cdkJsonContext(),
      outdir: carelessOutdir,
      builtinCloudFormationValidation: false,
    });
    new Bucket(careless.node.findChild('Attune-dev'), 'Careless');
    const findings = unacknowledgedFindings(synthValidationReport(careless, carelessOutdir));
    expect(findings).toContain('AwsSolutions: AwsSolutions-S10 (error) at Attune-dev/Careless/Resource');
    // A second whole app (four Lambdas bundled, two image contexts staged) on cores shared with other suites.
  }, 180_000);
});

describe('Attune app stack', () => {
  const assembly = app.synth();
  const stack = assembly.getStackByName('Attune-dev');

  it('Given no account or region, then the stack is environment-agnostic, so synth needs no credentials', () => {
    expect(stack.environment).toMatchObject({ account: 'unknown-account', region: 'unknown-region' });
  });

  it('Given the stack, then it outputs the API URL, bucket, table, job queues and dead-letter queues', () => {
    expect(Object.keys(stack.template.Outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'BucketName',
        'TableName',
        'IngestionDeadLetterQueueUrl',
        'GpuJobQueue',
        'CpuJobQueue',
        'JobStatusDeadLetterQueueUrl',
      ]),
    );
  });

  it('Given cdk.json context, then the API Lambda gets its upload limit and every log group its retention', () => {
    const resources = Object.values(stack.template.Resources) as { Type: string; Properties: never }[];
    const logGroups = resources.filter((resource) => resource.Type === 'AWS::Logs::LogGroup');
    const retentions = logGroups.map(
      (group) => (group.Properties as { RetentionInDays?: number }).RetentionInDays,
    );
    expect(retentions.length).toBeGreaterThanOrEqual(6);
    expect(new Set(retentions)).toEqual(new Set([30]));
  });

  /** The parts of a template resource these tests read. */
  interface TemplateResource {
    readonly Type: string;
    readonly Properties: {
      readonly Environment?: { readonly Variables?: Record<string, unknown> };
      readonly Role?: { readonly 'Fn::GetAtt': [string, string] };
      readonly Roles?: unknown;
      readonly PolicyDocument?: { readonly Statement: { Action: string | string[]; Resource: unknown }[] };
    };
  }

  /** The API Lambda's environment and the statements of its role's policies. */
  function apiFunction() {
    const resources = Object.values(stack.template.Resources as Record<string, TemplateResource>);
    const fn = resources.find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'attune-api',
    );
    const roleId = fn?.Properties.Role?.['Fn::GetAtt'][0] ?? 'missing';
    const statements = resources
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
      .flatMap((r) => r.Properties.PolicyDocument?.Statement ?? []);
    return { variables: fn?.Properties.Environment?.Variables ?? {}, statements };
  }

  it('Given the stack, then the API Lambda gets both training queues and job definitions as the dispatcher reads them', () => {
    const { variables } = apiFunction();
    expect(variables).toMatchObject({
      ATTUNE_GPU_JOB_QUEUE: { 'Fn::GetAtt': [expect.stringMatching(/^TrainingGpuQueue/), 'JobQueueArn'] },
      ATTUNE_CPU_JOB_QUEUE: { 'Fn::GetAtt': [expect.stringMatching(/^TrainingCpuQueue/), 'JobQueueArn'] },
      ATTUNE_GPU_JOB_DEFINITION: { Ref: expect.stringMatching(/^TrainingGpuJobDefinition/) },
      ATTUNE_CPU_JOB_DEFINITION: { Ref: expect.stringMatching(/^TrainingCpuJobDefinition/) },
    });
  });

  it('Given the stack, then the API Lambda may submit to those queues and definitions only, and cancel or terminate jobs', () => {
    const { variables, statements } = apiFunction();
    const batch = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('batch:')));
    const submit = batch.find((s) => s.Action === 'batch:SubmitJob');
    expect(submit?.Resource).toEqual(
      expect.arrayContaining([
        variables.ATTUNE_GPU_JOB_QUEUE,
        variables.ATTUNE_CPU_JOB_QUEUE,
        variables.ATTUNE_GPU_JOB_DEFINITION,
        variables.ATTUNE_CPU_JOB_DEFINITION,
      ]),
    );
    expect(submit?.Resource).toHaveLength(4);
    expect(batch.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'batch:CancelJob',
      'batch:SubmitJob',
      'batch:TagResource',
      'batch:TerminateJob',
    ]);
  });
});

describe('Attune context parameters', () => {
  const contextOf = (context: Record<string, unknown>) => readAttuneContext(new App({ context }));

  it('Given no context, then the stage is dev and the constructs keep their defaults', () => {
    expect(contextOf({})).toEqual({
      stage: 'dev',
      maxUploadBytes: undefined,
      logRetention: undefined,
      gpuInstanceTypes: undefined,
      gpuMaxVcpus: undefined,
      cpuInstanceTypes: undefined,
      cpuMaxVcpus: undefined,
      trainingAzs: undefined,
    });
  });

  it('Given instance types as cdk.json arrays and vCPU ceilings as numbers, then they are read as given', () => {
    expect(
      contextOf({
        [CONTEXT_KEYS.gpuInstanceTypes]: ['g6.xlarge', 'g6.2xlarge'],
        [CONTEXT_KEYS.gpuMaxVcpus]: 16,
        [CONTEXT_KEYS.cpuInstanceTypes]: ['c7i.large'],
        [CONTEXT_KEYS.cpuMaxVcpus]: 8,
        [CONTEXT_KEYS.trainingAzs]: '1',
      }),
    ).toMatchObject({
      gpuInstanceTypes: ['g6.xlarge', 'g6.2xlarge'],
      gpuMaxVcpus: 16,
      cpuInstanceTypes: ['c7i.large'],
      cpuMaxVcpus: 8,
      trainingAzs: 1,
    });
  });

  it.each([
    ['g5.xlarge, g5.2xlarge', ['g5.xlarge', 'g5.2xlarge']],
    ['["g5.xlarge","g6.xlarge"]', ['g5.xlarge', 'g6.xlarge']],
  ])('Given gpuInstanceTypes %j as `-c` passes it, then it is read as a list', (raw, expected) => {
    expect(contextOf({ [CONTEXT_KEYS.gpuInstanceTypes]: raw }).gpuInstanceTypes).toEqual(expected);
  });

  it.each([42, [1, 2], '["g5.xlarge"'])('Given cpuInstanceTypes %j, then it is rejected', (value) => {
    expect(() => contextOf({ [CONTEXT_KEYS.cpuInstanceTypes]: value })).toThrow(/attune:cpuInstanceTypes/);
  });

  it.each(['many', 1.5])('Given gpuMaxVcpus %j, then it is rejected as not an integer', (value) => {
    expect(() => contextOf({ [CONTEXT_KEYS.gpuMaxVcpus]: value })).toThrow(
      /attune:gpuMaxVcpus must be an integer/,
    );
  });

  it.each([
    [CONTEXT_KEYS.gpuInstanceTypes, ['c7i.large'], /gpuInstanceTypes: "c7i.large" has no NVIDIA GPU/],
    [CONTEXT_KEYS.cpuInstanceTypes, 'c7g.large', /cpuInstanceTypes: "c7g.large" is an arm64/],
    [CONTEXT_KEYS.cpuMaxVcpus, '0', /cpuMaxVcpus must be a whole number of vCPUs, at least 1/],
    [CONTEXT_KEYS.trainingAzs, 3, /Network: maxAzs must be 1 or 2/],
  ])('Given %s %j, when the app is built, then synthesis stops with the reason', (key, value, reason) => {
    expect(() =>
      createAttuneApp({ context: { ...cdkJsonContext(), [key]: value }, outdir: freshOutdir() }),
    ).toThrow(reason);
  });

  it('Given string values as `-c key=value` passes them, then they are read as integers', () => {
    expect(
      contextOf({
        [CONTEXT_KEYS.stage]: 'prod-eu',
        [CONTEXT_KEYS.maxUploadBytes]: '1000000',
        [CONTEXT_KEYS.logRetentionDays]: '7',
      }),
    ).toEqual({ stage: 'prod-eu', maxUploadBytes: 1_000_000, logRetention: RetentionDays.ONE_WEEK });
  });

  it.each(['Prod', '1st', 'a'.repeat(21), 'dev_1'])('Given stage %s, then it is rejected', (stage) => {
    expect(() => contextOf({ [CONTEXT_KEYS.stage]: stage })).toThrow(
      /attune:stage must be lower-case letters/,
    );
  });

  it.each(['abc', '', 2.5, true])(
    'Given maxUploadBytes %j, then it is rejected as not an integer',
    (value) => {
      expect(() => contextOf({ [CONTEXT_KEYS.maxUploadBytes]: value })).toThrow(
        /attune:maxUploadBytes must be an integer/,
      );
    },
  );

  it.each([0, 4_500_001])('Given maxUploadBytes %s, then it is rejected as out of range', (value) => {
    expect(() => contextOf({ [CONTEXT_KEYS.maxUploadBytes]: value })).toThrow(
      /attune:maxUploadBytes must be from 1 to 4500000/,
    );
  });

  it.each([31, 0, '2'])(
    'Given logRetentionDays %j, then it is rejected as not a CloudWatch retention',
    (value) => {
      expect(() => contextOf({ [CONTEXT_KEYS.logRetentionDays]: value })).toThrow(
        /attune:logRetentionDays must be one of 1, 3, 5/,
      );
    },
  );

  it('Given a stage, then the stack is named after it', () => {
    const staged = createAttuneApp({
      context: { ...cdkJsonContext(), [CONTEXT_KEYS.stage]: 'qa' },
      outdir: freshOutdir(),
    });
    expect(staged.node.tryFindChild('Attune-qa')).toBeInstanceOf(Stack);
  });
});
