/**
 * The journal's side of correct and forget (engine/edits.ts): the audit log's write (core worker) and the reads an
 * edit plans with (reader worker): what a forget would remove, found by the same derived_from closure the journal's
 * delete follows, what a literal text matches, the decisions behind facts, every link into an entity (a merge moves
 * them), and the log itself, one entry of it and whether an undo has answered an entry.
 * Declares its own method types so that the protocol imports from here, never the reverse.
 */
import type { AuditEntry } from '../../../shared/edit-schema';
import type { Decision, Layer } from '../../../shared/types';
import type { DB } from './sqlite';

type Table<M> = {
  [K in keyof M]: (
    params: M[K] extends { params: infer P } ? P : never,
  ) => M[K] extends { result: infer R } ? R : never;
};

export interface PlannedItem {
  id: string;
  layer: Layer;
  kind: string;
  sessionId: string | null;
  text: string;
}

export interface PlannedMessage {
  id: string;
  sessionId: string;
  speaker: string;
  text: string;
}

export interface DeletePlan {
  items: PlannedItem[];
  messages: PlannedMessage[];
  sessions: { id: string; title: string }[];
  /** Asked-for ids that are neither an item, a message nor (for sessionIds) a session. */
  missing: { field: 'ids' | 'sessionIds'; index: number; id: string }[];
  /** Sessions that keep messages but lose some: their layers are rebuilt. */
  touchedSessions: string[];
  /** Messages that stay but lose their chunk (it also covered a forgotten one): they are chunked again. */
  rechunked: string[];
}

export interface AuditMethods {
  appendAudit: { params: { entry: Omit<AuditEntry, 'id'> }; result: { id: number } };
}

export interface EditReadMethods {
  auditLog: { params: { limit: number; beforeId?: number }; result: AuditEntry[] };
  deletePlan: { params: { ids: string[]; sessionIds: string[] }; result: DeletePlan };
  /** Message and item ids whose text contains `text` (case-insensitive for ASCII, literal), at most `limit` + 1. */
  textMatches: { params: { text: string; limit: number }; result: { messageIds: string[]; itemIds: string[] } };
  decisionsForFacts: { params: { factIds: string[] }; result: Decision[] };
  /** Every link pointing at `dst`, whatever its kind, by source id. */
  linksTo: { params: { dst: string }; result: { src: string; kind: string }[] };
  auditEntry: { params: { id: number }; result: AuditEntry | null };
  /** The undo entry that answered audit entry `id`, if one did. */
  undoneBy: { params: { id: number }; result: number | null };
}

export function createAuditWriter(db: DB): Table<AuditMethods> {
  const insert = db.prepare<[number, string, string, string, string, string | null], { id: number }>(
    'INSERT INTO audit(at, actor, action, target, result, reason) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
  );
  return {
    appendAudit: ({ entry }) => {
      const row = insert.get(
        entry.at,
        entry.actor,
        entry.action,
        JSON.stringify(entry.target),
        JSON.stringify(entry.result),
        entry.reason,
      );
      return { id: row?.id ?? 0 };
    },
  };
}

type AuditRow = Omit<AuditEntry, 'target' | 'result'> & { target: string; result: string };

const toEntry = (r: AuditRow): AuditEntry => ({
  ...r,
  target: JSON.parse(r.target) as Record<string, unknown>,
  result: JSON.parse(r.result) as Record<string, unknown>,
});

const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createEditReads(core: DB): Table<EditReadMethods> {
  const item = core.prepare<
    [string],
    { id: string; layer: Layer; kind: string; session_id: string | null; text: string }
  >('SELECT id, layer, kind, session_id, text FROM items WHERE id = ?');
  const message = core.prepare<[string], { id: string; session_id: string; speaker: string; text: string }>(
    'SELECT id, session_id, speaker, text FROM messages WHERE id = ?',
  );
  const session = core.prepare<[string], { id: string; title: string }>('SELECT id, title FROM sessions WHERE id = ?');
  const messagesOf = core.prepare<[string], { id: string }>('SELECT id FROM messages WHERE session_id = ?');
  const itemsOf = core.prepare<[string], { id: string }>('SELECT id FROM items WHERE session_id = ?');
  const derivedInto = core.prepare<[string], { src: string }>(
    "SELECT src FROM links WHERE dst = ? AND kind = 'derived_from'",
  );
  const sourcesOf = core.prepare<[string], { dst: string }>(
    "SELECT dst FROM links WHERE src = ? AND kind = 'derived_from'",
  );

  const linksTo = core.prepare<[string], { src: string; kind: string }>(
    'SELECT src, kind FROM links WHERE dst = ? ORDER BY src, kind',
  );
  const auditById = core.prepare<[number], AuditRow>(
    'SELECT id, at, actor, action, target, result, reason FROM audit WHERE id = ?',
  );
  const undoOf = core.prepare<[number], { id: number }>(
    "SELECT id FROM audit WHERE action = 'undo' AND json_extract(target, '$.auditId') = ? ORDER BY id LIMIT 1",
  );

  return {
    auditLog: ({ limit, beforeId }) =>
      core
        .prepare<[number, number], AuditRow>(
          'SELECT id, at, actor, action, target, result, reason FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?',
        )
        .all(beforeId ?? Number.MAX_SAFE_INTEGER, limit)
        .map(toEntry),

    auditEntry: ({ id }) => {
      const row = auditById.get(id);
      return row ? toEntry(row) : null;
    },

    undoneBy: ({ id }) => undoOf.get(id)?.id ?? null,

    linksTo: ({ dst }) => linksTo.all(dst),

    deletePlan: ({ ids, sessionIds }) => {
      // One read transaction: the plan is one consistent snapshot of the journal.
      return core.transaction((): DeletePlan => {
        const missing: DeletePlan['missing'] = [];
        const itemIds = new Set<string>();
        const messageIds = new Set<string>();
        const sessions = new Map<string, { id: string; title: string }>();
        sessionIds.forEach((sid, index) => {
          const s = session.get(sid);
          if (!s) {
            missing.push({ field: 'sessionIds', index, id: sid });
            return;
          }
          sessions.set(s.id, s);
          for (const m of messagesOf.all(sid)) messageIds.add(m.id);
          for (const i of itemsOf.all(sid)) itemIds.add(i.id);
        });
        ids.forEach((id, index) => {
          if (item.get(id)) itemIds.add(id);
          else if (message.get(id)) messageIds.add(id);
          else missing.push({ field: 'ids', index, id });
        });
        // The same closure the journal's delete follows: whatever is derived, directly or not, goes too.
        const frontier = [...messageIds, ...itemIds];
        while (frontier.length > 0) {
          const cur = frontier.pop() as string;
          for (const { src } of derivedInto.all(cur)) {
            if (!itemIds.has(src)) {
              itemIds.add(src);
              frontier.push(src);
            }
          }
        }
        const items = [...itemIds]
          .map((i) => item.get(i))
          .filter((r) => r !== undefined)
          .map((r) => ({ id: r.id, layer: r.layer, kind: r.kind, sessionId: r.session_id, text: r.text }));
        const messages = [...messageIds]
          .map((m) => message.get(m))
          .filter((r) => r !== undefined)
          .map((r) => ({ id: r.id, sessionId: r.session_id, speaker: r.speaker, text: r.text }));
        const touched = new Set<string>();
        for (const m of messages) if (!sessions.has(m.sessionId)) touched.add(m.sessionId);
        const rechunked = new Set<string>();
        for (const it of items) {
          if (it.kind !== 'chunk') continue;
          for (const { dst } of sourcesOf.all(it.id)) {
            if (!messageIds.has(dst) && message.get(dst)) rechunked.add(dst);
          }
          if (it.sessionId && !sessions.has(it.sessionId)) touched.add(it.sessionId);
        }
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        return {
          items: items.sort(byId),
          messages: messages.sort(byId),
          sessions: [...sessions.values()].sort(byId),
          missing,
          touchedSessions: [...touched].sort(),
          rechunked: [...rechunked].sort(),
        };
      })();
    },

    textMatches: ({ text, limit }) => {
      const pattern = likePattern(text);
      const messageIds = core
        .prepare<[string, number], { id: string }>(
          "SELECT id FROM messages WHERE text LIKE ? ESCAPE '\\' ORDER BY rowid LIMIT ?",
        )
        .all(pattern, limit + 1)
        .map((r) => r.id);
      const itemIds = core
        .prepare<[string, number], { id: string }>(
          "SELECT id FROM items WHERE text LIKE ? ESCAPE '\\' ORDER BY rowid LIMIT ?",
        )
        .all(pattern, limit + 1)
        .map((r) => r.id);
      return { messageIds, itemIds };
    },

    decisionsForFacts: ({ factIds }) => {
      if (factIds.length === 0) return [];
      const marks = factIds.map(() => '?').join(', ');
      return core
        .prepare<unknown[], Decision>(
          `SELECT id, episode_id AS episodeId, session_id AS sessionId, candidate, action, fact_id AS factId,
             target_id AS targetId, reason, at FROM decisions WHERE fact_id IN (${marks}) ORDER BY id`,
        )
        .all(...factIds);
    },
  };
}
