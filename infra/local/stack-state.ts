import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a running embedded stack publishes in its data directory, so the `attune` CLI can reach the same
 * DynamoDB Local and s3rver without being told their ports.
 */
export interface StackState {
  readonly url: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  readonly pid: number;
}

const STATE_FILE = 'stack.json';

export async function writeStackState(dataDir: string, state: StackState): Promise<void> {
  await writeFile(join(dataDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

export async function readStackState(dataDir: string): Promise<StackState | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, STATE_FILE), 'utf8')) as StackState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The environment that points handlers and SDK clients at the embedded services. */
export function stackEnvironment(state: Omit<StackState, 'url' | 'pid'>): Record<string, string> {
  return {
    TABLE_NAME: state.tableName,
    BUCKET_NAME: state.bucketName,
    AWS_REGION: 'us-east-1',
    ATTUNE_DYNAMODB_ENDPOINT: state.dynamodbEndpoint,
    ATTUNE_S3_ENDPOINT: state.s3Endpoint,
  };
}
