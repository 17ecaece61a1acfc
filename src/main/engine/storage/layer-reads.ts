/**
 * Reads of the layers from the journal (core.db, read-only): items with their
 * edges and vectors, listings, provenance both ways, held facts, decisions.
 * Runs on the reader worker.
 */
import type { Decision, Item, ItemPage, Layer, Message, Provenance } from '../../../shared/types';
import type { Handlers, ReaderMethods } from '../workers/protocol';
import type { DB } from './sqlite';
import { decodeVector } from './vector-codec';

interface ItemRowDb {
  id: string;
  layer: Layer;
  kind: string;
  session_id: string | null;
  text: string;
  data: string | null;
  valid_from: number | null;
  valid_to: number | null;
  vector?: Buffer;
}

type LayerReads = Pick<
  Handlers<ReaderMethods>,
  | 'items'
  | 'sessionItems'
  | 'listItems'
  | 'factsBySubject'
  | 'itemsByKind'
  | 'provenance'
  | 'orphanEntities'
  | 'decisions'
  | 'layerCounts'
>;

const COLS = 'id, layer, kind, session_id, text, data, valid_from, valid_to';

/** LIKE pattern for a literal substring: %, _ and the escape character itself lose their meaning. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE clause (or '') and its arguments for items of a layer, kind and session, containing a text. */
export function itemFilter(f: { layer?: Layer; kind?: string; sessionId?: string; text?: string }): {
  where: string;
  args: unknown[];
} {
  const where: string[] = [];
  const args: unknown[] = [];
  for (const [column, value] of [
    ['layer', f.layer],
    ['kind', f.kind],
    ['session_id', f.sessionId],
  ] as const) {
    if (value) {
      where.push(`${column} = ?`);
      args.push(value);
    }
  }
  if (f.text && f.text.trim().length > 0) {
    where.push("text LIKE ? ESCAPE '\\'");
    args.push(likePattern(f.text.trim()));
  }
  return { where: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', args };
}

export function createLayerReads(core: DB, dim: () => number): LayerReads {
  const linksFrom = core.prepare<[string], { dst: string; kind: string }>(
    'SELECT dst, kind FROM links WHERE src = ? ORDER BY kind, dst',
  );
  const derivedInto = core.prepare<[string], { src: string }>(
    "SELECT src FROM links WHERE dst = ? AND kind = 'derived_from'",
  );
  const byId = core.prepare<[string], ItemRowDb>(`SELECT ${COLS} FROM items WHERE id = ?`);
  const byIdWithVector = core.prepare<[string], ItemRowDb>(`SELECT ${COLS}, vector FROM items WHERE id = ?`);
  const messageById = core.prepare<[string], Message & { metadata: string | null }>(
    `SELECT id, session_id AS sessionId, seq, role, speaker, text, ts AS timestamp, external_id AS externalId, metadata
     FROM messages WHERE id = ?`,
  );

  // Counting a layer by its `layer` column reads every row with its vector (1.2 s at 100,000 chunks); a kind lives in
  // one layer (the id scheme), so counts per kind come from the (kind, session_id) index alone, in milliseconds.
  const perKind = core.prepare<[], { kind: string; n: number }>('SELECT kind, count(*) AS n FROM items GROUP BY kind');
  const layerOfKind = core.prepare<[string], { layer: Layer }>('SELECT layer FROM items WHERE kind = ? LIMIT 1');
  const kindCounts = () =>
    perKind.all().map((r) => ({ layer: layerOfKind.get(r.kind)?.layer ?? ('m0' as Layer), kind: r.kind, n: r.n }));
  const indexedCount = (layer?: Layer, kind?: string, sessionId?: string): number => {
    const counts = kindCounts().filter((k) => (!layer || k.layer === layer) && (!kind || k.kind === kind));
    if (!sessionId) return counts.reduce((n, k) => n + k.n, 0);
    const kinds = counts.map((k) => k.kind);
    if (kinds.length === 0) return 0;
    const marks = kinds.map(() => '?').join(', ');
    return (core
      .prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM items WHERE kind IN (${marks}) AND session_id = ?`)
      .get(...kinds, sessionId)?.n ?? 0) as number;
  };

  const toItem = (r: ItemRowDb): Item => {
    const sources: string[] = [];
    const links: { dst: string; kind: string }[] = [];
    for (const l of linksFrom.all(r.id)) {
      if (l.kind === 'derived_from') sources.push(l.dst);
      else links.push(l);
    }
    return {
      id: r.id,
      layer: r.layer,
      kind: r.kind,
      sessionId: r.session_id,
      text: r.text,
      data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
      validFrom: r.valid_from,
      validTo: r.valid_to,
      sources,
      links,
    };
  };

  const withVectors = (rows: ItemRowDb[], want: boolean) => {
    const items = rows.map(toItem);
    if (!want) return { items, vectors: null };
    const d = dim();
    const vectors = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      if (r.vector) decodeVector(r.vector, d, vectors, i * d);
    });
    return { items, vectors };
  };

  const toMessage = (m: Message & { metadata: string | null }): Message => ({
    ...m,
    metadata: m.metadata === null ? null : (JSON.parse(m.metadata) as Record<string, unknown>),
  });

  return {
    items: ({ ids, withVectors: want }) => {
      const rows = ids.map((id) => (want ? byIdWithVector : byId).get(id)).filter((r): r is ItemRowDb => !!r);
      return withVectors(rows, want);
    },
    sessionItems: ({ sessionId, kinds, withVectors: want }) => {
      const marks = kinds.map(() => '?').join(', ');
      const rows = core
        .prepare<unknown[], ItemRowDb>(
          `SELECT ${COLS}${want ? ', vector' : ''} FROM items WHERE session_id = ? AND kind IN (${marks}) ORDER BY rowid`,
        )
        .all(sessionId, ...kinds);
      return withVectors(rows, want);
    },
    listItems: ({ layer, kind, sessionId, text, limit, offset }): ItemPage => {
      const { where: w, args } = itemFilter({ layer, kind, sessionId, text });
      const total = text?.trim()
        ? ((core.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM items ${w}`).get(...args)?.n ??
            0) as number)
        : indexedCount(layer, kind, sessionId);
      const rows = core
        .prepare<unknown[], ItemRowDb>(`SELECT ${COLS} FROM items ${w} ORDER BY rowid LIMIT ? OFFSET ?`)
        .all(...args, limit, offset);
      return { items: rows.map(toItem), total };
    },
    factsBySubject: ({ subjects }) => {
      if (subjects.length === 0) return [];
      const marks = subjects.map(() => '?').join(', ');
      return core
        .prepare<unknown[], ItemRowDb>(
          `SELECT ${COLS} FROM items WHERE kind = 'fact' AND json_extract(data, '$.subjectKey') IN (${marks}) ORDER BY rowid`,
        )
        .all(...subjects)
        .map(toItem);
    },
    itemsByKind: ({ kind }) =>
      core
        .prepare<[string], ItemRowDb>(`SELECT ${COLS} FROM items WHERE kind = ? ORDER BY rowid`)
        .all(kind)
        .map(toItem),
    provenance: ({ id }): Provenance | null => {
      const row = byId.get(id);
      const message = row ? undefined : messageById.get(id);
      if (!row && !message) return null;
      const ancestors: Item[] = [];
      const messages = new Map<string, Message>();
      const seen = new Set<string>([id]);
      // Breadth-first, so nearer sources come first.
      let frontier = row ? toItem(row).sources : [];
      while (frontier.length > 0) {
        const next: string[] = [];
        for (const src of frontier) {
          if (seen.has(src)) continue;
          seen.add(src);
          const it = byId.get(src);
          if (it) {
            const item = toItem(it);
            ancestors.push(item);
            next.push(...item.sources);
            continue;
          }
          const m = messageById.get(src);
          if (m) messages.set(m.id, toMessage(m));
        }
        frontier = next;
      }
      if (message) messages.set(message.id, toMessage(message));
      const descendants: Item[] = [];
      const down = [id];
      const seenDown = new Set<string>([id]);
      while (down.length > 0) {
        const cur = down.shift() as string;
        for (const { src } of derivedInto.all(cur)) {
          if (seenDown.has(src)) continue;
          seenDown.add(src);
          const it = byId.get(src);
          if (!it) continue;
          descendants.push(toItem(it));
          down.push(src);
        }
      }
      const item: Item = row
        ? toItem(row)
        : {
            id,
            layer: 'm0',
            kind: 'message',
            sessionId: message?.sessionId ?? null,
            text: message ? `${message.speaker}: ${message.text}` : '',
            data: null,
            validFrom: message?.timestamp ?? null,
            validTo: null,
            sources: [],
            links: [],
          };
      return {
        item,
        ancestors,
        messages: [...messages.values()].sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq),
        descendants,
      };
    },
    orphanEntities: () =>
      core
        .prepare<[], { id: string }>(
          `SELECT id FROM items WHERE kind = 'entity'
             AND NOT EXISTS (SELECT 1 FROM links WHERE dst = items.id AND kind IN ('mentions', 'from', 'to'))`,
        )
        .all()
        .map((r) => r.id),
    decisions: ({ sessionId }) =>
      core
        .prepare<unknown[], Decision>(
          `SELECT id, episode_id AS episodeId, session_id AS sessionId, candidate, action, fact_id AS factId,
             target_id AS targetId, reason, at FROM decisions ${sessionId ? 'WHERE session_id = ?' : ''} ORDER BY id`,
        )
        .all(...(sessionId ? [sessionId] : [])),
    layerCounts: () => kindCounts().sort((a, b) => (a.layer < b.layer ? -1 : a.layer > b.layer ? 1 : 0)),
  };
}
