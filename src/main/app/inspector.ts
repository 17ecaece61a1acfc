/**
 * The inspector's reads over the engine: paged and text-filtered layer listings, the entity graph and an entity's
 * facts, and an entity's hub (its facts, relationships and episodes). Everything goes through the engine's own read methods; nothing here touches storage or SQLite.
 */
import type { ListInput } from '../../shared/app-schema';
import type { GraphData, GraphEntity } from '../../shared/app-types';
import type { EntityHub } from '../../shared/edit-schema';
import { StrataError } from '../../shared/errors';
import type { Item, ItemPage } from '../../shared/types';
import type { Engine } from '../engine/engine';

export function listItems(engine: Engine, input: ListInput): Promise<ItemPage> {
  const { layer, limit = 100, offset = 0, ...filters } = input;
  return engine.list(layer, filters, { limit, offset });
}

export function entityFacts(engine: Engine, entityId: string): Promise<Item[]> {
  return engine.itemsLinkingTo(entityId, 'mentions', 'fact');
}

export async function graphData(engine: Engine, limit?: number, around?: string): Promise<GraphData> {
  if (around !== undefined) {
    const data = await engine.graphAround(around === '' ? null : around, limit ?? 150);
    if (around !== '' && data.entities[0]?.id !== around) {
      throw new StrataError('NOT_FOUND', `around: no entity "${around}"`, { field: 'around' });
    }
    return data;
  }
  return wholeGraph(engine, limit ?? 300);
}

async function wholeGraph(engine: Engine, limit: number): Promise<GraphData> {
  const [entities, relationships] = await Promise.all([
    engine.itemsOfKind('entity'),
    engine.itemsOfKind('relationship'),
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

const byTime = (a: Item, b: Item) => (a.validFrom ?? 0) - (b.validFrom ?? 0) || (a.id < b.id ? -1 : 1);

export async function entityHub(engine: Engine, entityId: string): Promise<EntityHub> {
  const [entity] = await engine.itemsById([entityId]);
  if (!entity) throw new StrataError('NOT_FOUND', `entityId: no entity "${entityId}"`, { field: 'entityId' });
  if (entity.kind !== 'entity') {
    throw new StrataError('INVALID_INPUT', `entityId: "${entityId}" is a ${entity.kind}, not an entity`, {
      field: 'entityId',
    });
  }
  const [facts, from, to] = await Promise.all([
    engine.itemsLinkingTo(entityId, 'mentions', 'fact'),
    engine.itemsLinkingTo(entityId, 'from', 'relationship'),
    engine.itemsLinkingTo(entityId, 'to', 'relationship'),
  ]);
  const ends = [
    ...from.map((item) => ({
      item,
      direction: 'from' as const,
      otherId: item.links.find((l) => l.kind === 'to')?.dst,
    })),
    ...to.map((item) => ({ item, direction: 'to' as const, otherId: item.links.find((l) => l.kind === 'from')?.dst })),
  ];
  const episodeIds = new Set<string>();
  for (const it of [...facts, ...from, ...to]) {
    for (const s of it.sources) if (s.startsWith('episode:')) episodeIds.add(s);
  }
  const [others, episodes] = await Promise.all([
    engine.itemsById([...new Set(ends.flatMap((e) => (e.otherId ? [e.otherId] : [])))]),
    engine.itemsById([...episodeIds]),
  ]);
  const names = new Map(others.map((o) => [o.id, String(o.data?.name ?? o.text)]));
  return {
    entity,
    facts: facts.sort(byTime),
    relationships: ends.map(({ item, direction, otherId }) => ({
      item,
      direction,
      other: otherId ? { id: otherId, name: names.get(otherId) ?? otherId } : null,
    })),
    episodes: episodes.sort(byTime),
  };
}
