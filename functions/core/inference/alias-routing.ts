import { ConflictError } from '#core/errors.ts';
import type { AliasRecord, AliasVariant } from '#core/inference/ports.ts';

/**
 * Which variant of an A/B alias serves a request. Weighted: a variant with weight w gets w/Σw of the
 * traffic. Sticky: a request that names a `user` always lands on the same variant for as long as the
 * weights stay the same, because the draw is a stable hash of (alias, user) instead of a random number;
 * without a user each request draws afresh. Changing the weights re-spreads users at once (an instant
 * rollback: weight 0 sends nobody to a variant).
 */

/** FNV-1a (32 bit): small, stable across processes and releases, and well spread for short strings. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A user's fixed point in [0, 1) for one alias: the same user may land differently on two aliases. */
export function stickyDraw(aliasName: string, user: string): number {
  return fnv1a(`${aliasName}\u0000${user}`) / 2 ** 32;
}

/**
 * The variant a request is served by. `random` returns numbers in [0, 1) (Math.random in production, a
 * seeded one in tests). An alias whose weights do not sum to a positive number (the API refuses to
 * store one, so this means a damaged record) is a 409 rather than a guess.
 */
export function pickVariant(
  alias: AliasRecord,
  user: string | undefined,
  random: () => number,
): AliasVariant {
  const total = alias.variants.reduce((sum, v) => sum + Math.max(v.weight, 0), 0);
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new ConflictError(`The alias '${alias.name}' has no variant with a positive weight.`, {
      param: 'model',
      code: 'alias_without_traffic',
    });
  }
  const draw = user === undefined || user === '' ? random() : stickyDraw(alias.name, user);
  let point = draw * total;
  let last: AliasVariant | undefined;
  for (const variant of alias.variants) {
    if (!(variant.weight > 0)) continue;
    last = variant;
    point -= variant.weight;
    if (point < 0) return variant;
  }
  // Rounding can leave a sliver past the last boundary: it belongs to the last variant with traffic.
  return last as AliasVariant;
}
