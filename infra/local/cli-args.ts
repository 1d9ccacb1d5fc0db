import { parseArgs } from 'node:util';
import { AttuneError } from '#core/errors.ts';

/**
 * Argument helpers shared by the local model commands (generate, train, pretrain): every bad argument
 * becomes a {@link UsageError} with a message that names the flag, which the command prints with its
 * usage and turns into exit status 2.
 */

/** A command line the command cannot run: a missing, unknown or malformed flag. */
export class UsageError extends AttuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

type FlagSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** `node:util` parseArgs in strict mode, its errors (unknown flag, missing value) as UsageErrors. */
export function parseFlags(args: string[], options: FlagSpec): Record<string, string | boolean | string[]> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | string[]
    >;
  } catch (cause) {
    throw new UsageError((cause as Error).message, { cause });
  }
}

/** The value of a string flag that must be given. */
export function requiredString(values: Record<string, unknown>, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

/** An optional string flag. */
export function optionalString(values: Record<string, unknown>, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

/** A number flag; `integer` and `min` (inclusive) are checked so the message can say what is wrong. */
export function numberFlag(
  values: Record<string, unknown>,
  flag: string,
  rules: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const kind = rules.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(n) || (rules.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} must be ${kind}, got '${String(raw)}'`);
  }
  if (rules.min !== undefined && n < rules.min) {
    throw new UsageError(`--${flag} must be at least ${rules.min}, got ${n}`);
  }
  if (rules.max !== undefined && n > rules.max) {
    throw new UsageError(`--${flag} must be at most ${rules.max}, got ${n}`);
  }
  return n;
}

/**
 * Runs a command body, mapping what a user can fix (bad flags, unreadable or invalid inputs: every
 * AttuneError) to a one-line message on stderr and exit 2. Anything else is a bug and propagates.
 */
export async function withUsageErrors(
  name: string,
  usage: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`attune ${name}: ${error.message}\nUsage: attune ${usage}`);
      return 2;
    }
    if (error instanceof AttuneError) {
      console.error(`attune ${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
