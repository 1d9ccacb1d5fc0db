import { type ModelRecord, modelArtifactPrefix } from '#core/jobs/models.ts';
import type { ModelStore } from '#core/jobs/ports.ts';

/**
 * The record of a tuned model as its job registers it, read off its `ft:`/`pt:` name (team, kind, job);
 * a `pt:` attaches to the base model unless overridden.
 */
export function modelRecord(id: string, overrides: Partial<ModelRecord> = {}): ModelRecord {
  const [kind, base, team, , short] = id.split(':') as [ModelRecord['kind'], string, string, string, string];
  const jobId = `ftjob-${short}`;
  return {
    team,
    id,
    kind,
    baseModel: base,
    attachesTo: kind === 'pt' ? base : null,
    jobId,
    createdAt: 1_795_900_000,
    artifactPrefix: modelArtifactPrefix(team, jobId),
    ...overrides,
  };
}

/** The team's tuned models kept in memory; deletes are journaled beside the bucket's for order checks. */
export class InMemoryModelStore implements ModelStore {
  private readonly models = new Map<string, ModelRecord>();

  constructor(
    records: readonly ModelRecord[] = [],
    private readonly journal: string[] = [],
  ) {
    for (const record of records) this.models.set(this.key(record.team, record.id), record);
  }

  private key(team: string, id: string): string {
    return `${team}|${id}`;
  }

  async put(record: ModelRecord): Promise<void> {
    this.models.set(this.key(record.team, record.id), record);
  }

  async get(team: string, id: string): Promise<ModelRecord | undefined> {
    return this.models.get(this.key(team, id));
  }

  /** Newest first, as the repository lists them. */
  async list(team: string): Promise<ModelRecord[]> {
    return [...this.models.values()].filter((m) => m.team === team).sort((a, b) => b.createdAt - a.createdAt);
  }

  async delete(team: string, id: string): Promise<boolean> {
    this.journal.push(`models.delete ${id}`);
    return this.models.delete(this.key(team, id));
  }
}
