import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createClients } from '#aws/clients.ts';
import { newId } from '#core/ids.ts';
import { testConfig } from '#tests/test-clients.ts';

describe('embedded services started by the global setup', () => {
  const config = testConfig();
  const { dynamo, s3 } = createClients(config);

  it('given the table, when an item is written, then it reads back over the wire', async () => {
    const pk = `TEST#${newId('item')}`;
    await dynamo.send(new PutCommand({ TableName: config.tableName, Item: { pk, sk: 'x', value: 42 } }));
    const out = await dynamo.send(new GetCommand({ TableName: config.tableName, Key: { pk, sk: 'x' } }));
    expect(out.Item?.value).toBe(42);
    await dynamo.send(new DeleteCommand({ TableName: config.tableName, Key: { pk, sk: 'x' } }));
  });

  it('given the bucket, when a string is put, then the same bytes come back without chunk framing', async () => {
    const key = `tests/${newId('obj')}`;
    await s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: 'hello, attune' }));
    const out = await s3.send(new GetObjectCommand({ Bucket: config.bucketName, Key: key }));
    expect(await out.Body?.transformToString()).toBe('hello, attune');
  });
});
