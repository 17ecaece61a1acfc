/**
 * The readable part of the graph: which entities to draw (one entity's neighbourhood, grown by expanding nodes, or
 * everything on request), filtered by kind, and where to put them so the picture is the same on every visit (a
 * concentric start around the focus, then positions kept: a node once placed stays, a new one lands on a ring
 * around the node it was expanded from, at an angle fixed by its id).
 */
import type { GraphData, GraphRelationship } from '../../../../shared/app-types';

export interface Neighbourhood {
  nodes: Set<string>;
  edges: GraphRelationship[];
  /** Hops from the nearest expanded entity (0 for the expanded ones). */
  hops: Map<string, number>;
}

export function adjacency(data: GraphData): Map<string, Set<string>> {
  const adj = new Map<string, Set<string>>();
  const add = (a: string, b: string) => {
    const s = adj.get(a) ?? new Set<string>();
    s.add(b);
    adj.set(a, s);
  };
  for (const r of data.relationships) {
    add(r.from, r.to);
    add(r.to, r.from);
  }
  return adj;
}

/** Expanded entities and their direct neighbours (or every entity when `full`), of the kinds asked for. */
export function neighbourhood(
  data: GraphData,
  expanded: readonly string[],
  opts: { full?: boolean; kinds?: ReadonlySet<string> } = {},
): Neighbourhood {
  const kindOf = new Map(data.entities.map((e) => [e.id, e.entityKind]));
  const keep = (id: string) => kindOf.has(id) && (!opts.kinds || opts.kinds.has(kindOf.get(id) as string));
  const hops = new Map<string, number>();
  if (opts.full) {
    for (const e of data.entities) if (keep(e.id)) hops.set(e.id, 0);
  } else {
    const adj = adjacency(data);
    for (const id of expanded) if (kindOf.has(id)) hops.set(id, 0);
    for (const id of expanded) {
      for (const n of adj.get(id) ?? []) if (!hops.has(n) && keep(n)) hops.set(n, 1);
    }
  }
  const nodes = new Set(hops.keys());
  const edges = data.relationships.filter((r) => nodes.has(r.from) && nodes.has(r.to));
  return { nodes, edges, hops };
}

function angleOf(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return ((h >>> 0) / 2 ** 32) * 2 * Math.PI;
}

export type Positions = Map<string, { x: number; y: number }>;

/**
 * Positions for `nodes`: kept ones unchanged; new ones on a ring around an already placed neighbour (the first
 * expanded one that links to them), else on a ring around the origin by hops. Deterministic for the same input.
 */
export function place(
  nodes: Iterable<string>,
  hops: Map<string, number>,
  adj: Map<string, Set<string>>,
  kept: Positions,
): Positions {
  const out: Positions = new Map();
  const list = [...nodes].sort((a, b) => (hops.get(a) ?? 0) - (hops.get(b) ?? 0) || (a < b ? -1 : 1));
  for (const id of list) {
    const old = kept.get(id);
    if (old) {
      out.set(id, old);
      continue;
    }
    const anchor = [...(adj.get(id) ?? [])].sort().find((n) => out.has(n) || kept.has(n));
    const a = angleOf(id);
    if (anchor) {
      const c = out.get(anchor) ?? kept.get(anchor) ?? { x: 0, y: 0 };
      out.set(id, { x: c.x + 160 * Math.cos(a), y: c.y + 160 * Math.sin(a) });
    } else {
      const r = 220 * (hops.get(id) ?? 0) + (out.size === 0 ? 0 : 60);
      out.set(id, { x: r * Math.cos(a), y: r * Math.sin(a) });
    }
  }
  return out;
}

/** Neighbourhoods read one at a time, as one graph: each entity and relationship once, the newest totals. */
export function merge(parts: readonly (GraphData | undefined)[]): GraphData | undefined {
  const present = parts.filter((p) => p !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  const entities = new Map<string, GraphData['entities'][number]>();
  const relationships = new Map<string, GraphRelationship>();
  for (const p of present) {
    for (const e of p.entities) if (!entities.has(e.id)) entities.set(e.id, e);
    for (const r of p.relationships) if (!relationships.has(r.id)) relationships.set(r.id, r);
  }
  const last = present[present.length - 1] as GraphData;
  return {
    entities: [...entities.values()],
    relationships: [...relationships.values()],
    totalEntities: last.totalEntities,
    totalRelationships: last.totalRelationships,
  };
}
