import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { attachment, type FileContent } from '#core/files/file-service.ts';

/**
 * A file's content as the HTTP answer: its bytes streamed as an attachment, or a 302 to where they can be
 * fetched when they are too large for one Lambda response.
 */
export function fileDownload(content: FileContent): Response {
  if (content.kind === 'redirect')
    return new Response(null, { status: 302, headers: { location: content.url } });
  const body = Readable.toWeb(
    content.body,
  ) as NodeWebReadableStream<Uint8Array> as ReadableStream<Uint8Array>;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(content.bytes),
      'content-disposition': attachment(content.filename),
    },
  });
}
