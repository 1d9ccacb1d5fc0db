import type { HttpError } from '#core/errors.ts';

/**
 * Reads a request body into memory, refusing it once it passes `limit` bytes. The declared
 * `Content-Length` is checked first so an honest oversize request is refused before a byte is read, and the
 * bytes are counted as they arrive so a chunked body, or one whose `Content-Length` lies, is refused too,
 * without ever holding more than `limit` bytes plus one chunk.
 *
 * `tooLarge` builds the error, so each route can say what its limit is and where larger bodies go.
 */
export async function readLimitedBody(
  request: Request,
  limit: number,
  tooLarge: () => HttpError,
): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
