/**
 * Names the user merged or renamed (entity-edits.ts keeps them as the kept entity's `aliases`) are read back by
 * extraction: after "Mel" was merged into "Melanie", a later message about Mel is about Melanie, not a new "Mel".
 * Pure: the caller reads the stored entities; this maps an extraction's names onto them.
 */

import { entityId } from '../ids';
import { normalizeKey } from '../text';
import type { ExtractedEntity, Extraction } from './types';

/** A stored entity as this needs it: its id and the names in its data. */
export interface StoredEntity {
  id: string;
  data: Record<string, unknown> | null;
}

/** A name's key → the name that builds the stored entity's id (entity ids are built from the first name seen). */
export type AliasTable = Map<string, string>;

/**
 * The table from the stored entities: every alias and current name leads to its entity. A name that is an entity of
 * its own keeps it, and an alias two entities share leads to neither (the user has not said which is meant).
 */
export function aliasTable(stored: readonly StoredEntity[]): AliasTable {
  const own = new Set(stored.map((e) => e.id));
  const table: AliasTable = new Map();
  const shared = new Set<string>();
  for (const e of stored) {
    const name = typeof e.data?.name === 'string' ? e.data.name : '';
    const aliases = Array.isArray(e.data?.aliases) ? e.data.aliases.filter((a) => typeof a === 'string') : [];
    const names = [name, ...aliases].filter((n) => normalizeKey(n) !== '');
    // A renamed entity keeps its id, built from its old name, which is now one of its aliases.
    const idName = names.find((n) => entityId(n) === e.id);
    if (idName === undefined) continue;
    for (const n of names) {
      const key = normalizeKey(n);
      if (entityId(n) === e.id || own.has(entityId(n))) continue;
      const held = table.get(key);
      if (held !== undefined && entityId(held) !== e.id) shared.add(key);
      else table.set(key, idName);
    }
  }
  for (const key of shared) table.delete(key);
  return table;
}

/** The extraction with every name the table knows replaced by its entity's; the name said stays as an alias. */
export function resolveAliases(x: Extraction, table: AliasTable): Extraction {
  if (table.size === 0) return x;
  const to = (name: string) => table.get(normalizeKey(name)) ?? name;
  const entities = new Map<string, ExtractedEntity>();
  for (const e of x.entities) {
    const name = to(e.name);
    const aliases = [...e.aliases, ...(name === e.name ? [] : [e.name])];
    const held = entities.get(entityId(name));
    if (held) held.aliases = [...new Set([...held.aliases, ...aliases])];
    else entities.set(entityId(name), { ...e, name, aliases: [...new Set(aliases)] });
  }
  return {
    ...x,
    entities: [...entities.values()],
    facts: x.facts.map((f) => ({ ...f, subject: to(f.subject), entities: [...new Set(f.entities.map(to))] })),
    relationships: x.relationships
      .map((r) => ({ ...r, from: to(r.from), to: to(r.to) }))
      .filter((r) => entityId(r.from) !== entityId(r.to)),
  };
}
