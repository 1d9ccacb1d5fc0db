import type { z } from 'zod';
import { CorruptItemError } from '#core/errors.ts';

/**
 * Reading DynamoDB items as records. An item is whatever the table holds (a bug, an older writer or a hand
 * edit may have put anything there), so each repository parses it with its record's schema here, at the
 * edge, instead of casting it: a malformed item fails loudly with its key, and code past the repository
 * can trust the record's type.
 */

/** The item's key as an operator would look it up: `TEAM#sales/JOB#ftjob-…`. */
export function itemKey(item: Readonly<Record<string, unknown>>): string {
  const part = (value: unknown) => (value === undefined ? '?' : String(value));
  return `${part(item.pk)}/${part(item.sk)}`;
}

/** Every issue of a failed parse on one line, each with the dotted path of its field. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(item)'}: ${issue.message}`).join('; ');
}

/**
 * The record an item holds, parsed with `schema`; a {@link CorruptItemError} naming the item's `kind`
 * (`job`, `file`, …), its key and each bad field when the item does not fit. Object schemas drop the
 * attributes they do not name, so the table's own attributes (`pk`, `sk`, index keys, claims, ranks)
 * never reach a record.
 */
export function parseItem<S extends z.ZodType>(
  schema: S,
  item: Readonly<Record<string, unknown>>,
  kind: string,
): z.output<S> {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  throw new CorruptItemError(kind, itemKey(item), describeIssues(result.error), { cause: result.error });
}

/** `T` with every array read-only, at any depth: how the domain's record types declare their lists. */
type Frozen<T> = T extends (infer E)[]
  ? readonly Frozen<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;

/** True when `A` (a schema's output) and `B` (a record type) have the same keys and fit each other. */
type Mirrors<A, B> = [A] extends [B]
  ? [B] extends [Frozen<A>]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

/**
 * Ties a schema to the record type it parses: `schemaOf<FileRecord>()(z.object({…}))` compiles only when
 * the schema's output has exactly the record's fields and each side's values fit the other's, so a field
 * added to the type (or a status added to a union) cannot be forgotten in the schema, nor the reverse.
 * Nested record types get their own `schemaOf`, since the key check looks at one level.
 */
export function schemaOf<T>() {
  return <S extends z.ZodType>(
    schema: S &
      (Mirrors<z.output<S>, T> extends true ? unknown : 'schema output differs from the record type'),
  ): S => schema;
}
