import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '#core/errors.ts';
import { readLimitedBody } from '#http/limited-body.ts';

const tooLarge = () => new PayloadTooLargeError('too large');

/** A streamed body of the given chunks, counting how many were pulled and whether it was cancelled. */
function streamed(chunks: number[], headers: Record<string, string> = {}) {
  const state = { pulled: 0, cancelled: false };
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = chunks[i++];
      if (size === undefined) {
        controller.close();
        return;
      }
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(i));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const request = new Request('http://local/', {
    method: 'POST',
    body,
    headers,
    duplex: 'half',
  } as RequestInit);
  return { request, state };
}

describe('readLimitedBody', () => {
  it('Given a body in several chunks under the limit, when read, then all bytes come back in order', async () => {
    const { request } = streamed([3, 2]);
    expect([...(await readLimitedBody(request, 10, tooLarge))]).toEqual([1, 1, 1, 2, 2]);
  });

  it('Given a body of exactly the limit, when read, then it is accepted', async () => {
    const { request } = streamed([4, 6]);
    expect((await readLimitedBody(request, 10, tooLarge)).byteLength).toBe(10);
  });

  it('Given a declared Content-Length over the limit, when read, then 413 before any chunk is consumed', async () => {
    const { request, state } = streamed([1], { 'content-length': '11' });
    await expect(readLimitedBody(request, 10, tooLarge)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(state.pulled).toBeLessThanOrEqual(1);
  });

  it('Given a chunked body that passes the limit, when read, then 413 and the stream is cancelled', async () => {
    const { request, state } = streamed([6, 6, 6, 6]);
    await expect(readLimitedBody(request, 10, tooLarge)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(4);
  });

  it('Given a Content-Length that understates the body, when read, then the counted bytes still trip the limit', async () => {
    const { request } = streamed([8, 8], { 'content-length': '5' });
    await expect(readLimitedBody(request, 10, tooLarge)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('Given no body, when read, then an empty array', async () => {
    const request = new Request('http://local/', { method: 'POST' });
    expect((await readLimitedBody(request, 10, tooLarge)).byteLength).toBe(0);
  });
});
