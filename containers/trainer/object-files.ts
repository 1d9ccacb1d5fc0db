import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from '#aws/object-store.ts';

/** Moving whole files between the bucket and the trainer's local disk. */

/** The whole object as bytes (datasets and model files fit in the trainer's memory). */
export async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const { body } = await store.stream(key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Downloads `prefix + name` for each name into `dir`. */
export async function downloadFiles(
  store: ObjectStore,
  prefix: string,
  names: readonly string[],
  dir: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(
    names.map(async (name) => writeFile(path.join(dir, name), await readObject(store, prefix + name))),
  );
}

/** Uploads each named file of `dir` to `prefix + name`. */
export async function uploadFiles(
  store: ObjectStore,
  dir: string,
  names: readonly string[],
  prefix: string,
): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const type = name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      await store.put(prefix + name, await readFile(path.join(dir, name)), type);
    }),
  );
}
