/**
 * Reads the inspector needs beyond the layers' own: item ids matching a text filter (a case-insensitive
 * substring, paged, with the total), and the items linking to one (an entity's facts). Runs on the reader worker;
 * the items themselves come from the layer reads' `items`.
 */
import type { Handlers, InspectorReadMethods, ReaderMethods } from '../workers/protocol';
import { itemFilter } from './layer-reads';
import type { DB } from './sqlite';

export function createInspectorReads(core: DB): Pick<Handlers<ReaderMethods>, keyof InspectorReadMethods> {
  const linked = core.prepare<[string, string], { src: string }>(
    'SELECT src FROM links WHERE dst = ? AND kind = ? ORDER BY src',
  );
  return {
    searchItemIds: ({ layer, kind, sessionId, text, limit, offset }) => {
      const { where: w, args } = itemFilter({ layer, kind, sessionId, text });
      const total = core.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM items ${w}`).get(...args)?.n ?? 0;
      const ids = core
        .prepare<unknown[], { id: string }>(`SELECT id FROM items ${w} ORDER BY rowid LIMIT ? OFFSET ?`)
        .all(...args, limit, offset)
        .map((r) => r.id);
      return { ids, total };
    },
    linkedFrom: ({ dst, kind }) => linked.all(dst, kind).map((r) => r.src),
  };
}
