/**
 * Deletes in the journal (core.db): a message, a session or a derived item goes with everything derived from it,
 * directly or through other items, and with every row that repeats its text (links, M2 decisions). The delete op
 * the stores apply is journaled in the same transaction and built by the one op builder. Runs on the core worker.
 */
import { StrataError } from '../../../shared/errors';
import type { CoreMethods, DeleteResult, Handlers, StoreOp } from '../workers/protocol';
import type { DB } from './sqlite';
import type { DeletePayload, OpBuilder } from './store-op';

type DeleteHandlers = Pick<Handlers<CoreMethods>, 'deleteMessages' | 'deleteSession' | 'deleteItems'>;

export function createJournalDeletes(db: DB, build: OpBuilder, journalSeq: () => number): DeleteHandlers {
  const q = {
    insertOutbox: db.prepare<[string | null, string, string, number]>(
      'INSERT INTO outbox(write_id, kind, payload, created_at) VALUES (?, ?, ?, ?)',
    ),
    sessionExists: db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE id = ?'),
    itemExists: db.prepare<[string], { rowid: number }>('SELECT rowid FROM items WHERE id = ?'),
    messageById: db.prepare<[string], { session_id: string }>('SELECT session_id FROM messages WHERE id = ?'),
    messagesOfSession: db.prepare<[string], { id: string }>('SELECT id FROM messages WHERE session_id = ?'),
    itemsOfSession: db.prepare<[string], { id: string }>('SELECT id FROM items WHERE session_id = ?'),
    derivedFrom: db.prepare<[string], { src: string }>("SELECT src FROM links WHERE dst = ? AND kind = 'derived_from'"),
    deleteItem: db.prepare<[string], { rowid: number }>('DELETE FROM items WHERE id = ? RETURNING rowid'),
    deleteMessage: db.prepare<[string]>('DELETE FROM messages WHERE id = ?'),
    deleteLinksOf: db.prepare<[string, string]>('DELETE FROM links WHERE src = ? OR dst = ?'),
    deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE id = ?'),
    // A decision quotes its candidate fact's text: it goes with its episode, its fact, the fact it updated, its session.
    deleteDecisionsOfItem: db.prepare<[string, string, string]>(
      'DELETE FROM decisions WHERE episode_id = ? OR fact_id = ? OR target_id = ?',
    ),
    deleteDecisionsOfSession: db.prepare<[string]>('DELETE FROM decisions WHERE session_id = ?'),
  };

  const recordDelete = (
    messageIds: string[],
    itemIds: Set<string>,
    sessionIds: string[],
  ): DeleteResult & { op: StoreOp } => {
    const frontier = [...messageIds, ...itemIds];
    while (frontier.length > 0) {
      const id = frontier.pop() as string;
      for (const { src } of q.derivedFrom.all(id)) {
        if (!itemIds.has(src)) {
          itemIds.add(src);
          frontier.push(src);
        }
      }
    }
    const itemRowids: number[] = [];
    for (const id of itemIds) {
      const row = q.deleteItem.get(id);
      if (row) itemRowids.push(row.rowid);
      q.deleteLinksOf.run(id, id);
      q.deleteDecisionsOfItem.run(id, id, id);
    }
    for (const id of messageIds) {
      q.deleteMessage.run(id);
      q.deleteLinksOf.run(id, id);
    }
    for (const id of sessionIds) {
      q.deleteLinksOf.run(id, id);
      q.deleteDecisionsOfSession.run(id);
      q.deleteSession.run(id);
    }
    const nodeIds = [...messageIds, ...itemIds, ...sessionIds];
    const payload: DeletePayload = { itemRowids, nodeIds };
    q.insertOutbox.run(null, 'delete', JSON.stringify(payload), Date.now());
    const seq = journalSeq();
    return {
      seq,
      itemRowids,
      nodeIds,
      messages: messageIds.length,
      items: itemRowids.length,
      touchedSessions: [],
      op: build.delete(seq, payload),
    };
  };

  const deleteMessages = db.transaction(({ messageIds }: { messageIds: string[] }) => {
    const touched = new Set<string>();
    messageIds.forEach((id, i) => {
      const m = q.messageById.get(id);
      if (!m) {
        throw new StrataError('NOT_FOUND', `messageIds[${i}]: no message "${id}"`, { field: `messageIds[${i}]` });
      }
      touched.add(m.session_id);
    });
    return { ...recordDelete(messageIds, new Set(), []), touchedSessions: [...touched] };
  });

  const deleteSession = db.transaction(({ sessionId }: { sessionId: string }) => {
    if (!q.sessionExists.get(sessionId)) {
      throw new StrataError('UNKNOWN_SESSION', `sessionId: no session "${sessionId}"`, { field: 'sessionId' });
    }
    const messageIds = q.messagesOfSession.all(sessionId).map((r) => r.id);
    const itemIds = new Set(q.itemsOfSession.all(sessionId).map((r) => r.id));
    return recordDelete(messageIds, itemIds, [sessionId]);
  });

  const deleteItems = db.transaction(({ itemIds }: { itemIds: string[] }) => {
    const present = itemIds.filter((id) => q.itemExists.get(id));
    return recordDelete([], new Set(present), []);
  });

  return {
    deleteMessages: (p) => deleteMessages.immediate(p),
    deleteSession: (p) => deleteSession.immediate(p),
    deleteItems: (p) => deleteItems.immediate(p),
  };
}
