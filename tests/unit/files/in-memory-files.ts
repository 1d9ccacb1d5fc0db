import { Readable } from 'node:stream';
import {
  type FileStore,
  ObjectNotFoundError,
  type ObjectStorage,
  type StoredObject,
} from '#core/files/ports.ts';
import type { FileRecord } from '#core/files.ts';

/**
 * The file records and the bucket kept in memory for unit tests of the files domain. Both write what they
 * did to one shared `journal` (`files.create file-…`, `objects.put teams/…`), so a test can assert the
 * order of writes across the two, which is what keeps a record and its object consistent.
 */

export class InMemoryFileStore implements FileStore {
  readonly records = new Map<string, FileRecord>();
  /** The `after` cursor of every `list` call, in order. */
  readonly listCalls: Array<string | undefined> = [];

  constructor(
    private readonly journal: string[] = [],
    records: readonly FileRecord[] = [],
  ) {
    for (const record of records) this.records.set(this.key(record.team, record.id), record);
  }

  private key(team: string, id: string): string {
    return `${team}|${id}`;
  }

  async create(record: FileRecord): Promise<void> {
    const key = this.key(record.team, record.id);
    if (this.records.has(key)) throw new Error(`file ${record.id} exists`);
    this.journal.push(`files.create ${record.id}`);
    this.records.set(key, record);
  }

  async get(team: string, fileId: string): Promise<FileRecord | undefined> {
    return this.records.get(this.key(team, fileId));
  }

  /** Newest first (ids sort by time), after `after`, up to `limit + 1`. */
  async list(team: string, limit: number, after?: string): Promise<FileRecord[]> {
    this.listCalls.push(after);
    return [...this.records.values()]
      .filter((r) => r.team === team && (after === undefined || r.id < after))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, limit + 1);
  }

  async delete(team: string, fileId: string): Promise<boolean> {
    this.journal.push(`files.delete ${fileId}`);
    return this.records.delete(this.key(team, fileId));
  }
}

/** Objects by key; presigned URLs are fake but carry every argument, so a test can read what was signed. */
export class InMemoryObjectStorage implements ObjectStorage {
  readonly objects = new Map<string, Uint8Array>();
  /** Every stream handed out, so a test can see whether its reader destroyed it. */
  readonly streams: Readable[] = [];

  constructor(private readonly journal: string[] = []) {}

  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.journal.push(`objects.put ${key}`);
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
  }

  async stream(key: string): Promise<StoredObject> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new ObjectNotFoundError(key);
    const body = Readable.from([bytes]);
    this.streams.push(body);
    return { body, bytes: bytes.byteLength };
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async delete(key: string): Promise<void> {
    this.journal.push(`objects.delete ${key}`);
    this.objects.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    this.journal.push(`objects.deletePrefix ${prefix}`);
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix));
    for (const key of keys) this.objects.delete(key);
    return keys.length;
  }

  async presignGet(key: string, expiresInSeconds: number, contentDisposition?: string): Promise<string> {
    const disposition =
      contentDisposition === undefined ? '' : `&disposition=${encodeURIComponent(contentDisposition)}`;
    return `https://bucket.test/${key}?method=GET&expires=${expiresInSeconds}${disposition}`;
  }

  async presignPut(
    key: string,
    expiresInSeconds: number,
    _contentType?: string,
    bytes?: number,
  ): Promise<string> {
    return `https://bucket.test/${key}?method=PUT&expires=${expiresInSeconds}&bytes=${bytes}`;
  }
}
