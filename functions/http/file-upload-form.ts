import { PayloadTooLargeError, ValidationError } from '#core/errors.ts';
import { FILE_PURPOSES, validateFilename } from '#core/files.ts';
import { readLimitedBody } from '#http/limited-body.ts';

/** Room for the multipart framing around the file: boundaries, headers, the `purpose` field. */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** A validated `POST /v1/files` form: what the route needs to store the file, and nothing more. */
export interface FileUploadForm {
  readonly filename: string;
  readonly purpose: (typeof FILE_PURPOSES)[number];
  readonly content: Uint8Array;
}

/** The 413 every oversize upload gets, saying both the limit and the way around it. */
export function uploadTooLarge(maxFileBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `File exceeds the maximum size of ${maxFileBytes} bytes for POST /v1/files; upload larger files with POST /v1/uploads.`,
    { param: 'file' },
  );
}

function isPurpose(value: string): value is (typeof FILE_PURPOSES)[number] {
  return (FILE_PURPOSES as readonly string[]).includes(value);
}

/**
 * Reads and validates the multipart form the official clients send to `POST /v1/files` (`file` and
 * `purpose`). Everything is checked here, before anything is written, so a refused upload leaves no
 * trace: the size (declared and counted), the purpose, the file name, and emptiness. An empty file is
 * refused with a 400 rather than stored and failed by ingestion, since nothing could ever be trained on it.
 */
export async function readFileUploadForm(request: Request, maxFileBytes: number): Promise<FileUploadForm> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new ValidationError('POST /v1/files takes a multipart/form-data body with `file` and `purpose`.', {
      code: 'invalid_content_type',
    });
  }
  const body = await readLimitedBody(request, maxFileBytes + MULTIPART_OVERHEAD_BYTES, () =>
    uploadTooLarge(maxFileBytes),
  );
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new ValidationError('The multipart body could not be parsed.', {
      code: 'invalid_multipart',
      cause: error,
    });
  }
  const purpose = form.get('purpose');
  if (typeof purpose !== 'string') {
    throw new ValidationError("Missing required parameter: 'purpose'.", { param: 'purpose' });
  }
  if (!isPurpose(purpose)) {
    throw new ValidationError(
      `Invalid value for 'purpose': '${purpose.slice(0, 40)}'. Supported values: ${FILE_PURPOSES.join(', ')}.`,
      { param: 'purpose', code: 'invalid_value' },
    );
  }
  const file = form.get('file');
  if (!(file instanceof File)) {
    throw new ValidationError("Missing required parameter: 'file' (a file part of the multipart body).", {
      param: 'file',
    });
  }
  if (file.size > maxFileBytes) throw uploadTooLarge(maxFileBytes);
  if (file.size === 0) {
    throw new ValidationError('The file is empty: a training file needs at least one example.', {
      param: 'file',
      code: 'empty_file',
    });
  }
  const filename = validateFilename(file.name);
  return { filename, purpose, content: new Uint8Array(await file.arrayBuffer()) };
}
