/**
 * The inspector's reads over the engine: paged and text-filtered layer listings, the entity graph, an entity's
 * facts, and stats with file sizes. All reads go through the reader worker; nothing here touches SQLite.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { ListInput } from '../../shared/app-schema';
import type { EngineStats, GraphData, GraphEntity } from '../../shared/app-types';
import type { Item, ItemPage, StoreName } from '../../shared/types';
import type { Engine } from '../engine/engine';
import { FILES } from '../engine/storage/migrations';

export async function listItems(engine: Engine, input: ListInput): Promise<ItemPage> {
  const { ids, total } = await engine.storage.read('searchItemIds', {
    layer: input.layer,
    ...(input.kind !== undefined && { kind: input.kind }),
    ...(input.sessionId !== undefined && { sessionId: input.sessionId }),
    ...(input.text !== undefined && { text: input.text }),
    limit: input.limit ?? 100,
    offset: input.offset ?? 0,
  });
  if (ids.length === 0) return { items: [], total };
  const { items } = await engine.storage.read('items', { ids, withVectors: false });
  return { items, total };
}

export async function entityFacts(engine: Engine, entityId: string): Promise<Item[]> {
  const ids = await engine.storage.read('linkedFrom', { dst: entityId, kind: 'mentions' });
  if (ids.length === 0) return [];
  const { items } = await engine.storage.read('items', { ids, withVectors: false });
  return items.filter((i) => i.kind === 'fact');
}

export async function graphData(engine: Engine, limit = 300): Promise<GraphData> {
  const [entities, relationships] = await Promise.all([
    engine.storage.read('itemsByKind', { kind: 'entity' }),
    engine.storage.read('itemsByKind', { kind: 'relationship' }),
  ]);
  const rels = relationships.flatMap((r) => {
    const from = r.links.find((l) => l.kind === 'from')?.dst;
    const to = r.links.find((l) => l.kind === 'to')?.dst;
    if (!from || !to) return [];
    return [{ id: r.id, from, to, relation: String(r.data?.relation ?? ''), text: r.text }];
  });
  const degree = new Map<string, number>();
  for (const r of rels) {
    degree.set(r.from, (degree.get(r.from) ?? 0) + 1);
    degree.set(r.to, (degree.get(r.to) ?? 0) + 1);
  }
  const all: GraphEntity[] = entities.map((e) => ({
    id: e.id,
    name: String(e.data?.name ?? e.text),
    entityKind: String(e.data?.entityKind ?? 'thing'),
    degree: degree.get(e.id) ?? 0,
  }));
  all.sort((a, b) => b.degree - a.degree || a.name.localeCompare(b.name));
  const kept = all.slice(0, limit);
  const keptIds = new Set(kept.map((e) => e.id));
  return {
    entities: kept,
    relationships: rels.filter((r) => keptIds.has(r.from) && keptIds.has(r.to)),
    totalEntities: all.length,
    totalRelationships: rels.length,
  };
}

function bytesOf(path: string): number {
  let n = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      n += statSync(p).size;
    } catch {
      // A file that is not there (no WAL yet) weighs nothing.
    }
  }
  return n;
}

export async function engineStats(engine: Engine): Promise<EngineStats> {
  const s = await engine.stats();
  const roles: (StoreName | 'core')[] = ['core', 'vector', 'keyword', 'graph'];
  const fileBytes = Object.fromEntries(
    roles.map((r) => [r, bytesOf(join(engine.storage.dataDir, FILES[r]))]),
  ) as EngineStats['fileBytes'];
  return { ...s, stores: s.stores as EngineStats['stores'], fileBytes };
}
