/**
 * One error hierarchy for all of Attune. Domain code throws these; entry points map them to HTTP.
 * Every subclass sets `name` and keeps `cause`, so logs show what really went wrong.
 */
export class AttuneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttuneError';
  }
}

/** The OpenAI error object: what every existing client knows how to read. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface HttpErrorOptions {
  readonly type?: string;
  readonly param?: string | null;
  readonly code?: string | null;
  readonly cause?: unknown;
}

/** An error that knows its HTTP status and renders as OpenAI's `{"error": {...}}` shape. */
export class HttpError extends AttuneError {
  readonly statusCode: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(statusCode: number, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.type = options.type ?? 'invalid_request_error';
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  toJSON(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is malformed or a field is wrong; `param` names the field. */
export class ValidationError extends HttpError {
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(400, message, { code: 'invalid_request', ...options });
    this.name = 'ValidationError';
  }
}

/** 401: no key, or a key that names no team. */
export class AuthenticationError extends HttpError {
  constructor(message = 'Incorrect API key provided.', options: HttpErrorOptions = {}) {
    super(401, message, { type: 'invalid_request_error', code: 'invalid_api_key', ...options });
    this.name = 'AuthenticationError';
  }
}

/** 404: absent, or another team's: the two are indistinguishable on purpose. */
export class NotFoundError extends HttpError {
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(404, message, { code: 'not_found', ...options });
    this.name = 'NotFoundError';
  }
}

/** 409: the resource is in a state that forbids the request (a conditional write lost). */
export class ConflictError extends HttpError {
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(409, message, { code: 'conflict', ...options });
    this.name = 'ConflictError';
  }
}

/** 413: the body is larger than the route accepts. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string, options: HttpErrorOptions = {}) {
    super(413, message, { code: 'payload_too_large', ...options });
    this.name = 'PayloadTooLargeError';
  }
}

/** A file that claims to be a format it is not (safetensors, tokenizer.json, JSONL). */
export class FormatError extends AttuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FormatError';
  }
}

/** Configuration that is missing or invalid at start-up. */
export class ConfigError extends AttuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/**
 * A stored item that does not have the shape of the record it should hold (a bug, an old writer, a hand
 * edit). It names the item's kind and key so the operator can find it; `cause` holds the parser's issues.
 * Not an HttpError on purpose: it is the server's fault, so the boundary answers a bare 500, and a read
 * never mistakes it for absence or returns a record that is silently wrong.
 */
export class CorruptItemError extends AttuneError {
  readonly kind: string;
  readonly key: string;

  /** `problems` says what is wrong, field by field (`status: Invalid option …`). */
  constructor(kind: string, key: string, problems: string, options?: { cause?: unknown }) {
    super(`Malformed ${kind} item ${key}: ${problems}`, options);
    this.name = 'CorruptItemError';
    this.kind = kind;
    this.key = key;
  }
}
