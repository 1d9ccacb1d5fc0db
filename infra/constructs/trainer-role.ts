import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type AttuneStorage, TableAccess, TEAMS_PREFIX } from './storage.ts';

/**
 * The object key patterns a trainer touches (functions/core/files.ts and functions/core/jobs/models.ts):
 * it reads the job's training files, and reads and writes checkpoints and model artifacts (a hybrid
 * prompt tune reads the `ft:` model it attaches to from the models prefix).
 */
export const TRAINER_READ_PATTERNS = [`${TEAMS_PREFIX}*/files/*`] as const;
export const TRAINER_READ_WRITE_PATTERNS = [
  `${TEAMS_PREFIX}*/checkpoints/*`,
  `${TEAMS_PREFIX}*/models/*`,
] as const;

/**
 * The role every trainer container runs as, with what one training run needs and nothing more: get
 * objects under `teams/*\/files/`, get and put objects under `teams/*\/checkpoints/` and `teams/*\/models/`,
 * list only those two prefixes (without list rights S3 answers a HEAD of a missing checkpoint pointer with
 * 403 instead of 404, and the trainer's first run would fail), and write table items (no delete, no scan).
 * One role serves every team, as one handler does; which team a job may touch is fixed by the job record.
 */
export function trainerJobRole(scope: Construct, id: string, storage: AttuneStorage): Role {
  const role = new Role(scope, id, {
    assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
    description: 'Runs an Attune training job: the team files in, checkpoints and the model out',
  });
  const bucket = storage.bucket;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:GetObject'],
      resources: TRAINER_READ_PATTERNS.map((pattern) => bucket.arnForObjects(pattern)),
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: TRAINER_READ_WRITE_PATTERNS.map((pattern) => bucket.arnForObjects(pattern)),
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [...TRAINER_READ_WRITE_PATTERNS] } },
    }),
  );
  if (storage.encryptionKey) storage.encryptionKey.grantEncryptDecrypt(role);
  storage.grantTable(role, TableAccess.WRITE);

  const bucketId = Stack.of(scope).resolve((bucket.node.defaultChild as CfnBucket).logicalId);
  for (const pattern of [...TRAINER_READ_PATTERNS, ...TRAINER_READ_WRITE_PATTERNS]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
      reason:
        'One trainer role serves every team’s jobs, so the team and job segments of the key are wildcards; the pattern still pins the kind of object (files read-only; checkpoints and models read-write), and the team a run touches comes from its job record, written by the API for the authenticated team.',
    });
  }
  return role;
}
