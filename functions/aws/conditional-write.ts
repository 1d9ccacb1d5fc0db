import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** True when DynamoDB refused a write because its condition did not hold (a lost race, a stale state). */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error)?.name === 'ConditionalCheckFailedException'
  );
}

/**
 * Runs one conditional write and says whether it happened: false when its condition did not hold, which
 * callers treat as "someone else got there first"; any other failure is rethrown.
 */
export async function conditionalWrite(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Why DynamoDB cancelled a transaction: one code per item, in the transaction's order (`None` for an item
 * that was not the cause); undefined when the error is not a cancelled transaction.
 */
export function transactionCancellationCodes(error: unknown): string[] | undefined {
  if ((error as Error)?.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}
