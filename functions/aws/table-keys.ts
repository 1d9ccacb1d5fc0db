/**
 * The single-table layout. Every team-owned item lives under `TEAM#<team>`, so a query can never cross
 * teams; API keys are the only items outside a team partition, addressed by their hash.
 */
export const teamPk = (team: string): string => `TEAM#${team}`;
export const fileSk = (fileId: string): string => `FILE#${fileId}`;
export const FILE_SK_PREFIX = 'FILE#';
export const apiKeyPk = (hash: string): string => `APIKEY#${hash}`;
export const API_KEY_SK = 'APIKEY';

/**
 * The attribute DynamoDB's TTL reads (Unix seconds): items that are only worth keeping for a while (served
 * completions, Idempotency-Key claims) carry it, and the table deletes them some time after it passes.
 */
export const TTL_ATTRIBUTE = 'expiresAt';
