import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SERVER_ERROR_MESSAGE } from '#http/error-mapper.ts';
import { createHarness, errorOf } from '#tests/integration/http-harness.ts';

const h = createHarness();
afterEach(() => h.cleanup());

const json = (body: unknown) => JSON.stringify(body);

describe('GET /healthz', () => {
  it('Given no key, when /healthz is called, then it answers 200 with a request id', async () => {
    const res = await h.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request id', () => {
  it('Given a well-formed x-request-id, when a request is made, then it is echoed back', async () => {
    const res = await h.app.request('/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
  });

  it("Given API Gateway's requestContext, when a request is made, then its requestId wins over the header", async () => {
    const res = await h.app.request(
      '/healthz',
      { headers: { 'x-request-id': 'from-header' } },
      {
        requestContext: { requestId: 'gw-req-1' },
      },
    );
    expect(res.headers.get('x-request-id')).toBe('gw-req-1');
  });

  it('Given an error answer, when it is returned, then it carries the request id too', async () => {
    const res = await h.app.request('/v1/files', { headers: { 'x-request-id': 'err-1' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe('err-1');
  });

  it('Given a request, when it completes, then one structured access-log line names the request id and team', async () => {
    const logger = new Logger({ serviceName: 'attune-api-test', logLevel: 'SILENT' });
    const info = vi.spyOn(logger, 'info');
    const logged = createHarness({ logger });
    try {
      const { team, auth } = await logged.team();
      await logged.app.request('/v1/files', { headers: { ...auth, 'x-request-id': 'log-1' } });
      expect(info).toHaveBeenCalledWith(
        'request',
        expect.objectContaining({ requestId: 'log-1', team, method: 'GET', path: '/v1/files', status: 200 }),
      );
    } finally {
      await logged.cleanup();
    }
  });
});

describe('authentication', () => {
  it('Given no Authorization header, when /v1/files is called, then 401 in OpenAI shape', async () => {
    const res = await h.app.request('/v1/files');
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body).toEqual({
      error: {
        message: expect.stringContaining("didn't provide an API key"),
        type: 'invalid_request_error',
        param: null,
        code: 'missing_api_key',
      },
    });
  });

  it('Given a malformed Authorization header, when /v1/files is called, then 401', async () => {
    const res = await h.app.request('/v1/files', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe('invalid_api_key');
  });

  it('Given an unknown key, when /v1/files is called, then 401 without echoing the key', async () => {
    const res = await h.app.request('/v1/files', { headers: { authorization: 'Bearer sk-attune-nope' } });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('invalid_api_key');
    expect(text).not.toContain('sk-attune-nope');
  });

  it('Given a registered key, when /v1/files is called, then the team is served', async () => {
    const { auth } = await h.team();
    const res = await h.app.request('/v1/files', { headers: auth });
    expect(res.status).toBe(200);
  });
});

describe('errors', () => {
  it('Given an unknown route, when called with a key, then 404 in OpenAI shape', async () => {
    const { auth } = await h.team();
    const res = await h.app.request('/v1/nothing-here', { headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        message: 'Invalid URL (GET /v1/nothing-here)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('Given a malformed JSON body, when POST /v1/uploads, then 400 invalid_json and nothing written', async () => {
    const { team, auth } = await h.team();
    const res = await h.app.request('/v1/uploads', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"filename": "a.jsonl",',
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });

  it('Given a field of the wrong type, when POST /v1/uploads, then 400 naming that field', async () => {
    const { team, auth } = await h.team();
    const res = await h.app.request('/v1/uploads', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: json({ filename: 'a.jsonl', purpose: 'fine-tune', bytes: '12', mime_type: 'application/jsonl' }),
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'bytes', type: 'invalid_request_error' });
    expect(await h.written(team)).toEqual({ records: 0, objects: [] });
  });

  it('Given an unexpected failure, when a request hits it, then 500 server_error leaks nothing and is logged with the request id', async () => {
    const logger = new Logger({ serviceName: 'attune-api-test', logLevel: 'SILENT' });
    const logError = vi.spyOn(logger, 'error');
    const failing = createHarness({ logger });
    vi.spyOn(failing.deps.files, 'list').mockRejectedValueOnce(new Error('secret table detail at /var/task'));
    try {
      const { auth } = await failing.team();
      const res = await failing.app.request('/v1/files', { headers: { ...auth, 'x-request-id': 'boom-1' } });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null },
      });
      expect(text).not.toContain('secret');
      expect(logError).toHaveBeenCalledWith(
        'unhandled error',
        expect.objectContaining({ requestId: 'boom-1', error: expect.any(Error) }),
      );
    } finally {
      await failing.cleanup();
    }
  });
});
