import { type AliasState, type AliasStore, NO_STATS } from '#core/inference/aliases.ts';
import type { AliasVariant } from '#core/inference/ports.ts';

/** A/B aliases kept in memory, with the repository's rule for counters on replace. */
export class InMemoryAliasStore implements AliasStore {
  private readonly aliases = new Map<string, AliasState>();
  private generations = 0;

  constructor(aliases: readonly AliasState[] = []) {
    for (const alias of aliases) this.aliases.set(this.key(alias.team, alias.name), alias);
  }

  private key(team: string, name: string): string {
    return `${team}|${name}`;
  }

  async get(team: string, name: string): Promise<AliasState | undefined> {
    return this.aliases.get(this.key(team, name));
  }

  /** Counters of variants that remain are kept; removed ones dropped; new ones start at zero. */
  async put(
    team: string,
    name: string,
    variants: readonly AliasVariant[],
    now: number,
  ): Promise<{ alias: AliasState; created: boolean }> {
    const before = this.aliases.get(this.key(team, name));
    const stats = variants.map((v) => {
      const i = before?.variants.findIndex((old) => old.model === v.model) ?? -1;
      return before?.stats[i] ?? NO_STATS;
    });
    const alias: AliasState = {
      team,
      name,
      variants: [...variants],
      stats,
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
      generation: before?.generation ?? `gen-${++this.generations}`,
    };
    this.aliases.set(this.key(team, name), alias);
    return { alias, created: before === undefined };
  }

  async list(team: string): Promise<AliasState[]> {
    return [...this.aliases.values()]
      .filter((a) => a.team === team)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async delete(team: string, name: string): Promise<boolean> {
    return this.aliases.delete(this.key(team, name));
  }
}
