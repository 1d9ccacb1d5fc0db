import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A time-sortable id (ULID layout: 48-bit milliseconds then 80 random bits, Crockford base32, lower case),
 * so that DynamoDB sort keys list newest first without a second index.
 */
export function sortableId(now: number = Date.now(), random: Uint8Array = randomBytes(10)): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let bits = 0;
  let value = 0;
  let rand = '';
  for (const byte of random) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      rand += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return time + rand;
}

/** OpenAI-style prefixed ids: `file-…`, `ftjob-…`. */
export function newId(prefix: string): string {
  return `${prefix}-${sortableId()}`;
}

const ID_PATTERN = /^[a-z]+-[0-9a-hjkmnp-tv-z]{26}$/;

/** True for an id this module could have made: anything else is rejected before it reaches a key. */
export function isWellFormedId(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}-`) && ID_PATTERN.test(id);
}
