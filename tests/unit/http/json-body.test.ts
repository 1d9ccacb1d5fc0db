import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpError, PayloadTooLargeError } from '#core/errors.ts';
import { MAX_JSON_BODY_BYTES, readJsonBody } from '#http/json-body.ts';

const Schema = z.object({ name: z.string() });
const post = (body: string | Uint8Array) => new Request('http://local/', { method: 'POST', body });

describe('readJsonBody', () => {
  it('Given a valid body, when read, then the parsed value is returned', async () => {
    expect(await readJsonBody(post('{"name":"a"}'), Schema)).toEqual({ name: 'a' });
  });

  it.each(['{"name":', '', 'not json'])(
    'Given the unparseable body %j, when read, then 400 invalid_json',
    async (body) => {
      await expect(readJsonBody(post(body), Schema)).rejects.toMatchObject({
        statusCode: 400,
        code: 'invalid_json',
      });
    },
  );

  it('Given bytes that are not UTF-8, when read, then 400 invalid_json', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]);
    await expect(readJsonBody(post(bytes), Schema)).rejects.toMatchObject({
      statusCode: 400,
      code: 'invalid_json',
    });
  });

  it('Given JSON of the wrong shape, when read, then the ZodError is thrown for the mapper', async () => {
    await expect(readJsonBody(post('{"name":1}'), Schema)).rejects.toBeInstanceOf(z.ZodError);
  });

  it('Given a body over the JSON limit, when read, then 413', async () => {
    const body = `{"name":"${'x'.repeat(MAX_JSON_BODY_BYTES)}"}`;
    const error = await readJsonBody(post(body), Schema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as HttpError).statusCode).toBe(413);
  });
});
