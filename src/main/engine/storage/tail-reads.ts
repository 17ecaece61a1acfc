/**
 * The background layers' bounded reads (on the reader worker): a session's open tail (the chunks M1 must cut again,
 * found here so the main thread never receives a whole session), the messages that lost their chunk, messages by id,
 * and a session's episodes a page at a time. A 100,000-chunk session read whole, with its vectors, is a structured
 * clone of hundreds of megabytes on the main thread, where every HTTP request of browser mode waits behind it.
 */
import type { Message } from '../../../shared/types';
import type { DB } from './sqlite';

export interface TailReadMethods {
  sessionTail: {
    params: { sessionId: string };
    result: {
      /** The ids of the chunks in the open episode or in none, in session order, joined by '\n' (one string clones
       * in a memcpy; a 100,000-element array of strings does not). '' when there are none. */
      ids: string;
      /** Indexes into `ids` where a run starts (runs are separated by closed episodes); [0] when there are ids. */
      runStarts: number[];
      /** The session's last episode (the one holding the newest assigned chunk), re-cut with the tail. */
      open: string | null;
    };
  };
  orphanMessages: { params: { sessionId: string }; result: Message[] };
  messagesByIds: { params: { ids: string[] }; result: Message[] };
  /** Items of the given kinds in a session after a rowid, at most `limit`, without vectors; `last` is the paging key. */
  sessionItemsPage: {
    params: { sessionId: string; kinds: string[]; afterRowid: number; limit: number };
    result: { ids: string[]; last: number | null };
  };
}

type Table<M> = {
  [K in keyof M]: (
    params: M[K] extends { params: infer P } ? P : never,
  ) => M[K] extends { result: infer R } ? R : never;
};

const MESSAGE_COLS =
  'id, session_id AS sessionId, seq, role, speaker, text, ts AS timestamp, external_id AS externalId, metadata';
type MessageRow = Message & { metadata: string | null };
const toMessage = (m: MessageRow): Message => ({
  ...m,
  metadata: m.metadata === null ? null : (JSON.parse(m.metadata) as Record<string, unknown>),
});

export function createTailReads(core: DB): Table<TailReadMethods> {
  // Every chunk of the session with the first message it was cut from and the episode built from it (if any):
  // index lookups only (items_kind_session, the links key, links_dst), no text and no vector.
  const chunkRows = core.prepare<[string], { id: string; seq: number | null; episode: string | null }>(
    `SELECT c.id AS id,
       (SELECT min(m.seq) FROM links l JOIN messages m ON m.id = l.dst
          WHERE l.src = c.id AND l.kind = 'derived_from') AS seq,
       (SELECT l.src FROM links l JOIN items e ON e.id = l.src
          WHERE l.dst = c.id AND l.kind = 'derived_from' AND e.kind = 'episode' LIMIT 1) AS episode
     FROM items c WHERE c.kind = 'chunk' AND c.session_id = ?`,
  );
  const orphans = core.prepare<[string], MessageRow>(
    `SELECT ${MESSAGE_COLS} FROM messages m WHERE m.session_id = ?
       AND NOT EXISTS (SELECT 1 FROM links l JOIN items c ON c.id = l.src
                        WHERE l.dst = m.id AND l.kind = 'derived_from' AND c.kind = 'chunk')
     ORDER BY m.seq`,
  );
  const messageById = core.prepare<[string], MessageRow>(`SELECT ${MESSAGE_COLS} FROM messages WHERE id = ?`);

  return {
    sessionTail: ({ sessionId }) => {
      const rows = chunkRows
        .all(sessionId)
        .map((r) => ({ ...r, seq: r.seq ?? Number.MAX_SAFE_INTEGER }))
        .sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      let open: string | null = null;
      for (let i = rows.length - 1; i >= 0 && open === null; i--)
        open = (rows[i] as { episode: string | null }).episode;
      const ids: string[] = [];
      const runStarts: number[] = [];
      let inRun = false;
      for (const r of rows) {
        if (r.episode === null || r.episode === open) {
          if (!inRun) runStarts.push(ids.length);
          ids.push(r.id);
          inRun = true;
        } else inRun = false;
      }
      return { ids: ids.join('\n'), runStarts, open };
    },
    orphanMessages: ({ sessionId }) => orphans.all(sessionId).map(toMessage),
    messagesByIds: ({ ids }) => ids.map((id) => messageById.get(id)).flatMap((m) => (m ? [toMessage(m)] : [])),
    sessionItemsPage: ({ sessionId, kinds, afterRowid, limit }) => {
      const marks = kinds.map(() => '?').join(', ');
      const rows = core
        .prepare<unknown[], { rowid: number; id: string }>(
          `SELECT rowid, id FROM items WHERE session_id = ? AND kind IN (${marks}) AND rowid > ? ORDER BY rowid LIMIT ?`,
        )
        .all(sessionId, ...kinds, afterRowid, limit);
      return { ids: rows.map((r) => r.id), last: rows.at(-1)?.rowid ?? null };
    },
  };
}
