import { describe, expect, it } from 'vitest';
import { resolveRequestId } from '#http/request-id.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('resolveRequestId', () => {
  it("Given API Gateway's requestContext and a header, when resolved, then the gateway's id wins", () => {
    expect(resolveRequestId({ requestContext: { requestId: 'JKJaXmPLvHcESHA=' } }, 'hdr')).toBe(
      'JKJaXmPLvHcESHA=',
    );
  });

  it('Given a gateway id outside the safe alphabet, when resolved, then the header is used instead', () => {
    expect(resolveRequestId({ requestContext: { requestId: 'bad id\n' } }, 'hdr')).toBe('hdr');
  });

  it('Given a gateway id that is not a string, when resolved, then the header is used instead', () => {
    expect(resolveRequestId({ requestContext: { requestId: 42 } }, 'hdr')).toBe('hdr');
  });

  it('Given only a well-formed header, when resolved, then the header is used', () => {
    expect(resolveRequestId(undefined, 'req-42')).toBe('req-42');
  });

  it.each(['has space', 'line\nbreak', 'x'.repeat(129), ''])(
    'Given the unsafe header %j and no gateway id, when resolved, then a fresh UUID is generated',
    (header) => {
      expect(resolveRequestId({ incoming: {} }, header)).toMatch(UUID);
    },
  );

  it('Given nothing, when resolved twice, then two different UUIDs', () => {
    const a = resolveRequestId(undefined, undefined);
    const b = resolveRequestId(undefined, undefined);
    expect(a).toMatch(UUID);
    expect(a).not.toBe(b);
  });
});
