import { createHash, randomBytes } from 'node:crypto';

/** Prefix of every Attune API key: recognisable in logs and by secret scanners. */
export const API_KEY_PREFIX = 'sk-attune-';

/** A new random API key: 32 bytes of entropy, URL-safe. Printed once, never stored in clear. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The stored form of a key. Keys carry 256 bits of entropy, so an unsalted SHA-256 is enough to make a
 * stolen table useless (the practice of GitHub and Stripe tokens) while keeping lookup a single GetItem.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const TEAM_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Team names appear in S3 keys and model ids, so they are restricted to a safe alphabet. */
export function isValidTeamName(team: string): boolean {
  return TEAM_PATTERN.test(team);
}

/** Where API keys are kept (only their hashes): what authentication and `attune keys create` need. */
export interface ApiKeyStore {
  /** The team a key names, or undefined for a key that names none. */
  teamForKey(key: string): Promise<string | undefined>;
  register(team: string, key: string): Promise<void>;
}
