import type { MiddlewareHandler } from 'hono';
import type { ApiKeyStore } from '#core/api-keys.ts';
import { AuthenticationError } from '#core/errors.ts';
import type { AppEnv } from '#http/context.ts';

/** Longer than any key Attune issues by far; anything longer is refused before it is hashed. */
const MAX_KEY_LENGTH = 256;
const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/**
 * The key in an `Authorization: Bearer <key>` header. A missing or malformed header is a 401 with OpenAI's
 * wording, so a client that forgot its key is told exactly that.
 */
export function parseBearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw new AuthenticationError(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { code: 'missing_api_key' },
    );
  }
  const match = BEARER.exec(header.trim());
  const key = match?.[1];
  if (key === undefined || key.length > MAX_KEY_LENGTH) {
    throw new AuthenticationError(
      'Malformed Authorization header: expected "Authorization: Bearer YOUR_KEY".',
      { code: 'invalid_api_key' },
    );
  }
  return key;
}

/**
 * Resolves the key to its team and sets `c.var.team`. An unknown key is the same 401 whatever the reason,
 * and never echoes the key back (it may be a real key of another system pasted by mistake).
 */
export function authenticate(keys: Pick<ApiKeyStore, 'teamForKey'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = parseBearerToken(c.req.header('authorization'));
    const team = await keys.teamForKey(key);
    if (team === undefined) throw new AuthenticationError('Incorrect API key provided.');
    c.set('team', team);
    await next();
  };
}
