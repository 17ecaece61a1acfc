/** The entities one episode names, with aliases ("Mel" for "Melanie") merged into one canonical name. */

import { cleanName } from './rules-terms';
import type { EntityKind, ExtractedEntity } from './types';
import { normalizeKey } from './update';

export function rawJson<T>(view: { json: (opts?: object) => unknown }, opts?: object): T[] {
  return view.json(opts) as T[];
}

export class EntityRegistry {
  private readonly byKey = new Map<string, ExtractedEntity & { participant: boolean }>();
  private readonly aliasOf = new Map<string, string>();

  add(rawName: string, kind: EntityKind, participant = false): string | undefined {
    const name = cleanName(rawName);
    const key = normalizeKey(name);
    if (!key) return undefined;
    const existing = this.byKey.get(key);
    if (existing) {
      // A name first seen as a thing and later recognised as a person or place is that.
      if (existing.kind === 'thing' && kind !== 'thing') existing.kind = kind;
      if (participant && existing.kind !== 'person') existing.kind = 'person';
      existing.participant ||= participant;
      return existing.name;
    }
    this.byKey.set(key, { name, kind, aliases: [], participant });
    return name;
  }

  /**
   * "Mel" and "Melanie" are one person when both are used as person names in the episode and the
   * short form is a prefix of exactly one longer name; a participant's own name stays canonical.
   */
  mergeAliases(): void {
    const people = [...this.byKey.entries()].filter(([, e]) => e.kind === 'person');
    for (const [shortKey, short] of people) {
      if (shortKey.length < 2) continue;
      const longer = people.filter(([k]) => k.length > shortKey.length && k.startsWith(shortKey));
      if (longer.length !== 1) continue;
      const [longKey, long] = longer[0] as [string, ExtractedEntity & { participant: boolean }];
      const [keepKey, keep, dropKey, drop] =
        short.participant && !long.participant ? [shortKey, short, longKey, long] : [longKey, long, shortKey, short];
      if (!this.byKey.has(dropKey) || !this.byKey.has(keepKey)) continue;
      keep.aliases.push(drop.name, ...drop.aliases);
      this.byKey.delete(dropKey);
      this.aliasOf.set(dropKey, keep.name);
    }
  }

  canonical(name: string): string {
    const key = normalizeKey(cleanName(name));
    return this.aliasOf.get(key) ?? this.byKey.get(key)?.name ?? cleanName(name);
  }

  entities(): ExtractedEntity[] {
    return [...this.byKey.values()].map(({ name, kind, aliases }) => ({ name, kind, aliases: [...new Set(aliases)] }));
  }
}
