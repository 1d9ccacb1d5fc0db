import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A document client that answers each `send` with the next reply in turn (an Error reply is thrown), for
 * unit tests of how a repository reads what the table hands back; the commands themselves are not checked.
 */
export function fakeDynamo(...replies: unknown[]): DynamoDBDocumentClient {
  const queue = [...replies];
  const send = async () => {
    if (queue.length === 0) throw new Error('fakeDynamo: no reply left for this send');
    const reply = queue.shift();
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { send } as unknown as DynamoDBDocumentClient;
}
