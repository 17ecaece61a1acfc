/** graph.db: session, message and item nodes with containment, order and provenance edges. */
import type { Handlers, StoreMethods } from '../workers/protocol';
import type { DB } from './sqlite';
import { storeHandlers } from './store-meta';

export function createGraphStore(db: DB): Handlers<StoreMethods> {
  const upsertNode = db.prepare<[string, string, string | null, string | null, string]>(
    `INSERT INTO nodes(id, kind, layer, session_id, label) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, layer = excluded.layer,
       session_id = excluded.session_id, label = excluded.label`,
  );
  const insertEdge = db.prepare<[string, string, string]>(
    'INSERT OR IGNORE INTO edges(src, dst, kind) VALUES (?, ?, ?)',
  );
  const deleteNode = db.prepare<[string]>('DELETE FROM nodes WHERE id = ?');
  const deleteEdgesFrom = db.prepare<[string]>('DELETE FROM edges WHERE src = ?');
  const deleteEdgesTo = db.prepare<[string]>('DELETE FROM edges WHERE dst = ?');
  const ITEMLESS = new Set(['session', 'message']);

  return storeHandlers(db, 'graph.db', {
    write: (op) => {
      let rows = 0;
      if (op.kind === 'upsert') {
        for (const n of op.nodes) {
          rows += upsertNode.run(n.id, n.kind, n.layer, n.sessionId, n.label).changes;
          // An item's outgoing edges are replaced by the ones its write carries, as in the journal.
          if (!ITEMLESS.has(n.kind)) deleteEdgesFrom.run(n.id);
        }
        for (const e of op.links) insertEdge.run(e.src, e.dst, e.kind);
      } else {
        for (const id of op.nodeIds) {
          rows += deleteNode.run(id).changes;
          deleteEdgesFrom.run(id);
          deleteEdgesTo.run(id);
        }
      }
      return rows;
    },
    reset: () => {
      db.exec('DELETE FROM edges; DELETE FROM nodes;');
    },
  });
}
