import type { ModelRecord } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/** How long a found model record is reused without asking the table again. */
export const MODEL_RECORD_TTL_MS = 15_000;
/** Records kept at most; the oldest goes first (a container serves a handful of models). */
export const MODEL_RECORD_CAPACITY = 1_000;

/**
 * The tuned-model lookups of the completion path, remembered for a few seconds. Without it every request
 * naming an `ft:`/`pt:` model pays a table read that a base-model request does not (measured by
 * bench/infer.ts: about 25 ms, 17% of a 16-token completion, in the embedded stack), which defeats
 * the point of a cached prompt prefix. A record never changes once registered, only disappears: so a
 * found record is reused for {@link MODEL_RECORD_TTL_MS} (a deleted model stays servable by a warm
 * container for at most that long), and a miss is never remembered, so a model registered a moment ago is
 * found at once. Keyed by team and id, so one team's record can never answer another team's request.
 */
export class RecentModelRecords implements Pick<ModelStore, 'get'> {
  private readonly records = new Map<string, { readonly record: ModelRecord; readonly until: number }>();

  constructor(
    private readonly store: Pick<ModelStore, 'get'>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = MODEL_RECORD_TTL_MS,
    private readonly capacity: number = MODEL_RECORD_CAPACITY,
  ) {}

  async get(team: string, id: string): Promise<ModelRecord | undefined> {
    const key = JSON.stringify([team, id]);
    const hit = this.records.get(key);
    if (hit && hit.until > this.now()) return hit.record;
    this.records.delete(key);
    const record = await this.store.get(team, id);
    if (record) {
      if (this.records.size >= this.capacity) {
        const oldest = this.records.keys().next().value;
        if (oldest !== undefined) this.records.delete(oldest);
      }
      this.records.set(key, { record, until: this.now() + this.ttlMs });
    }
    return record;
  }
}
