/**
 * The journal (core.db): sessions, messages, items with their vectors, links,
 * the outbox of store operations, and write traces. A write is acknowledged
 * once its journal transaction commits; every store is rebuilt from here.
 * Runs on the core writer worker only.
 */
import { StrataError } from '../../../shared/errors';
import { type Layer, STORE_NAMES, type StoreName, type WriteTrace } from '../../../shared/types';
import type {
  AppendParams,
  AppendResult,
  CoreMethods,
  DeleteResult,
  GraphNodeRow,
  Handlers,
  ItemRow,
  JournalOp,
  LinkRow,
  MessageRow,
  SessionRow,
  SnapshotCursor,
  SnapshotPage,
} from '../workers/protocol';
import { type DB, truncateWal, walPages } from './sqlite';

interface UpsertPayload {
  items: number[];
  messages: number[];
  sessions: string[];
  stores: StoreName[];
}
interface DeletePayload {
  itemRowids: number[];
  nodeIds: string[];
}

const LABEL_CHARS = 120;

export function messageLabel(speaker: string, text: string): string {
  const line = `${speaker}: ${text}`.replace(/\s+/g, ' ');
  return line.length > LABEL_CHARS ? `${line.slice(0, LABEL_CHARS - 1)}…` : line;
}

export function sessionNode(s: Pick<SessionRow, 'id' | 'title'>): GraphNodeRow {
  return { id: s.id, kind: 'session', layer: null, sessionId: s.id, label: s.title };
}

export function messageNode(m: Pick<MessageRow, 'id' | 'sessionId' | 'speaker' | 'text'>): GraphNodeRow {
  return { id: m.id, kind: 'message', layer: 'm0', sessionId: m.sessionId, label: messageLabel(m.speaker, m.text) };
}

export function itemNode(item: Pick<ItemRow, 'id' | 'kind' | 'layer' | 'sessionId' | 'text'>): GraphNodeRow {
  const text = item.text.replace(/\s+/g, ' ');
  return {
    id: item.id,
    kind: item.kind,
    layer: item.layer,
    sessionId: item.sessionId,
    label: text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text,
  };
}

export function createJournal(
  db: DB,
  dim: number,
  maxTraces: number,
  embedderId: string,
  acceptOtherEmbedder = false,
): Handlers<CoreMethods> {
  const meta = {
    get: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    set: db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };
  const storedDim = meta.get.get('dim')?.value;
  if (storedDim === undefined) {
    meta.set.run('dim', String(dim));
  } else if (Number(storedDim) !== dim) {
    throw new StrataError(
      'DIMENSION_MISMATCH',
      `core.db holds ${storedDim}-dimensional vectors but the engine was opened with dim ${dim}`,
      { file: 'core.db', stored: Number(storedDim), requested: dim },
    );
  }

  const storedEmbedder = meta.get.get('embedder')?.value;
  if (storedEmbedder === undefined) {
    meta.set.run('embedder', embedderId);
  } else if (storedEmbedder !== embedderId && !acceptOtherEmbedder) {
    throw new StrataError(
      'EMBEDDER_MISMATCH',
      `core.db holds vectors from the embedder "${storedEmbedder}" but the engine was opened with "${embedderId}"; ` +
        'vectors from different embedders cannot be compared',
      { file: 'core.db', stored: storedEmbedder, requested: embedderId },
    );
  }
  const q = {
    seqCounter: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"),
    outboxByWrite: db.prepare<[string], { seq: number; payload: string }>(
      'SELECT seq, payload FROM outbox WHERE write_id = ?',
    ),
    insertOutbox: db.prepare<[string | null, string, string, number]>(
      'INSERT INTO outbox(write_id, kind, payload, created_at) VALUES (?, ?, ?, ?)',
    ),
    setPayload: db.prepare<[string, number]>('UPDATE outbox SET payload = ? WHERE seq = ?'),
    sessionExists: db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE id = ?'),
    upsertSession: db.prepare(
      `INSERT INTO sessions(id, title, participants, started_at, user_id, agent_id, created_at)
       VALUES (@id, @title, @participants, @startedAt, @userId, @agentId, @createdAt)
       ON CONFLICT(id) DO UPDATE SET title = excluded.title, participants = excluded.participants,
         started_at = excluded.started_at, user_id = excluded.user_id, agent_id = excluded.agent_id`,
    ),
    lastMessage: db.prepare<[string], { id: string; seq: number }>(
      'SELECT id, seq FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT 1',
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages(id, session_id, seq, role, speaker, text, ts, external_id, metadata, journal_seq)
       VALUES (@id, @sessionId, @seq, @role, @speaker, @text, @timestamp, @externalId, @metadata, @journalSeq)
       RETURNING rowid`,
    ),
    messageExists: db.prepare<[string], { rowid: number }>('SELECT rowid FROM messages WHERE id = ?'),
    upsertItem: db.prepare<
      [string, string, string, string | null, string, Buffer, number, string | null, number | null, number | null],
      { rowid: number }
    >(
      `INSERT INTO items(id, layer, kind, session_id, text, vector, journal_seq, data, valid_from, valid_to)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET layer = excluded.layer, kind = excluded.kind, session_id = excluded.session_id,
         text = excluded.text, vector = excluded.vector, journal_seq = excluded.journal_seq, data = excluded.data,
         valid_from = excluded.valid_from, valid_to = excluded.valid_to
       RETURNING rowid`,
    ),
    itemRowid: db.prepare<[string], { rowid: number }>('SELECT rowid FROM items WHERE id = ?'),
    setVector: db.prepare<[Buffer, string]>('UPDATE items SET vector = ? WHERE id = ?'),
    insertLink: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO links(src, dst, kind) VALUES (?, ?, ?)'),
    // An item's outgoing edges are exactly what its latest write says: sources can shrink when an episode is re-cut.
    clearOutgoing: db.prepare<[string]>('DELETE FROM links WHERE src = ?'),
    insertDecision: db.prepare(
      `INSERT INTO decisions(episode_id, session_id, candidate, action, fact_id, target_id, reason, at)
       VALUES (@episodeId, @sessionId, @candidate, @action, @factId, @targetId, @reason, @at)`,
    ),
    insertTrace: db.prepare<[string, number, string]>(
      'INSERT INTO traces(trace_id, started_at, body) VALUES (?, ?, ?)',
    ),
    trimTraces: db.prepare<[number]>('DELETE FROM traces WHERE id <= (SELECT max(id) FROM traces) - ?'),
    opsAfter: db.prepare<[number, number], { seq: number; kind: string; payload: string }>(
      'SELECT seq, kind, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?',
    ),
    itemByRowid: db.prepare<
      [number],
      { rowid: number; id: string; layer: Layer; kind: string; session_id: string | null; text: string; vector: Buffer }
    >('SELECT rowid, id, layer, kind, session_id, text, vector FROM items WHERE rowid = ?'),
    messageByRowid: db.prepare<[number], { id: string; session_id: string; speaker: string; text: string }>(
      'SELECT id, session_id, speaker, text FROM messages WHERE rowid = ?',
    ),
    sessionById: db.prepare<[string], { id: string; title: string }>('SELECT id, title FROM sessions WHERE id = ?'),
    linksFrom: db.prepare<[string], LinkRow>('SELECT src, dst, kind FROM links WHERE src = ?'),
    // A message's own edges plus the `next` edge into it, which its write created (it names the previous message).
    messageLinks: db.prepare<[string, string], LinkRow>(
      "SELECT src, dst, kind FROM links WHERE src = ? UNION SELECT src, dst, kind FROM links WHERE dst = ? AND kind = 'next'",
    ),
    prune: db.prepare<[number]>('DELETE FROM outbox WHERE seq <= ?'),
    sessionsAfter: db.prepare<[string, number], { id: string; title: string }>(
      'SELECT id, title FROM sessions WHERE id > ? ORDER BY id LIMIT ?',
    ),
    messagesAfter: db.prepare<[number, number], { rowid: number }>(
      'SELECT rowid FROM messages WHERE rowid > ? ORDER BY rowid LIMIT ?',
    ),
    itemsAfter: db.prepare<[number, number], { rowid: number }>(
      'SELECT rowid FROM items WHERE rowid > ? ORDER BY rowid LIMIT ?',
    ),
    counts: db.prepare<[], { items: number; nodes: number; edges: number }>(
      `SELECT (SELECT count(*) FROM items) AS items,
         (SELECT count(*) FROM items) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM sessions) AS nodes,
         (SELECT count(*) FROM links) AS edges`,
    ),
    messagesById: db.prepare<[string], { rowid: number; id: string; session_id: string }>(
      'SELECT rowid, id, session_id FROM messages WHERE id = ?',
    ),
    messagesOfSession: db.prepare<[string], { id: string }>('SELECT id FROM messages WHERE session_id = ?'),
    itemsOfSession: db.prepare<[string], { id: string }>('SELECT id FROM items WHERE session_id = ?'),
    derivedFrom: db.prepare<[string], { src: string }>("SELECT src FROM links WHERE dst = ? AND kind = 'derived_from'"),
    deleteItem: db.prepare<[string], { rowid: number }>('DELETE FROM items WHERE id = ? RETURNING rowid'),
    deleteMessage: db.prepare<[string]>('DELETE FROM messages WHERE id = ?'),
    deleteLinksOf: db.prepare<[string, string]>('DELETE FROM links WHERE src = ? OR dst = ?'),
    deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE id = ?'),
  };

  const journalSeq = (): number => q.seqCounter.get()?.seq ?? 0;

  const persistTraces = (traces: WriteTrace[]): void => {
    for (const t of traces) q.insertTrace.run(t.id, t.startedAt, JSON.stringify(t));
    if (traces.length > 0) q.trimTraces.run(maxTraces);
  };

  const resultFor = (seq: number, payload: UpsertPayload, p: AppendParams): AppendResult => {
    // Replay of an append that had already committed: rebuild the answer from what is stored.
    const rowids = p.items.map((it) => q.itemRowid.get(it.id)?.rowid ?? 0);
    const nodes: GraphNodeRow[] = [];
    const links: LinkRow[] = [];
    for (const id of payload.sessions) {
      const s = q.sessionById.get(id);
      if (s) nodes.push(sessionNode(s));
    }
    for (const r of payload.messages) {
      const m = q.messageByRowid.get(r);
      if (!m) continue;
      nodes.push(messageNode({ id: m.id, sessionId: m.session_id, speaker: m.speaker, text: m.text }));
      links.push(...q.messageLinks.all(m.id, m.id));
    }
    return { seq, rowids, nodes, links, messageSeqs: [] };
  };

  const append = db.transaction((p: AppendParams): AppendResult => {
    const prior = q.outboxByWrite.get(p.writeId);
    if (prior) return resultFor(prior.seq, JSON.parse(prior.payload) as UpsertPayload, p);

    for (const sid of p.requireSessions) {
      if (!q.sessionExists.get(sid) && !p.sessions.some((s) => s.id === sid)) {
        throw new StrataError('UNKNOWN_SESSION', `sessionId: no session "${sid}"`, { field: 'sessionId' });
      }
    }
    q.insertOutbox.run(p.writeId, 'upsert', '{}', Date.now());
    const seq = journalSeq();
    const payload: UpsertPayload = { items: [], messages: [], sessions: [], stores: p.stores };
    const nodes: GraphNodeRow[] = [];
    const links: LinkRow[] = [];

    for (const s of p.sessions) {
      q.upsertSession.run({ ...s, participants: JSON.stringify(s.participants) });
      payload.sessions.push(s.id);
      nodes.push(sessionNode(s));
    }

    const lastBySession = new Map<string, { id: string; seq: number } | undefined>();
    const messageSeqs: number[] = [];
    p.messages.forEach((m, i) => {
      if (q.messageExists.get(m.id)) {
        throw new StrataError('INVALID_INPUT', `messages[${i}].id: a message "${m.id}" already exists`, {
          field: `messages[${i}].id`,
        });
      }
      if (!lastBySession.has(m.sessionId)) lastBySession.set(m.sessionId, q.lastMessage.get(m.sessionId));
      const prev = lastBySession.get(m.sessionId);
      const mseq = (prev?.seq ?? 0) + 1;
      const row = q.insertMessage.get({
        ...m,
        seq: mseq,
        metadata: m.metadata === null ? null : JSON.stringify(m.metadata),
        journalSeq: seq,
      }) as { rowid: number };
      payload.messages.push(row.rowid);
      messageSeqs.push(mseq);
      nodes.push(messageNode(m));
      const own: LinkRow[] = [{ src: m.id, dst: m.sessionId, kind: 'in_session' }];
      if (prev) own.push({ src: prev.id, dst: m.id, kind: 'next' });
      for (const l of own) {
        q.insertLink.run(l.src, l.dst, l.kind);
        links.push(l);
      }
      lastBySession.set(m.sessionId, { id: m.id, seq: mseq });
    });

    const bytes = dim * 4;
    const rowids = p.items.map((it, i) => {
      const vec = Buffer.from(p.vectors.buffer, p.vectors.byteOffset + i * bytes, bytes);
      const data = it.data === null ? null : JSON.stringify(it.data);
      const row = q.upsertItem.get(
        it.id,
        it.layer,
        it.kind,
        it.sessionId,
        it.text,
        vec,
        seq,
        data,
        it.validFrom,
        it.validTo,
      ) as { rowid: number };
      q.clearOutgoing.run(it.id);
      payload.items.push(row.rowid);
      return row.rowid;
    });
    for (const l of p.links) q.insertLink.run(l.src, l.dst, l.kind);
    const at = Date.now();
    // A decision restored from an export keeps its own time.
    for (const d of p.decisions) q.insertDecision.run({ at, ...d });
    q.setPayload.run(JSON.stringify(payload), seq);
    return { seq, rowids, nodes, links, messageSeqs };
  });

  const recordDelete = (messageIds: string[], itemIds: Set<string>, sessionIds: string[]): DeleteResult => {
    // Everything derived, directly or through other items, from what is being removed goes with it.
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
    }
    for (const id of messageIds) {
      q.deleteMessage.run(id);
      q.deleteLinksOf.run(id, id);
    }
    for (const id of sessionIds) {
      q.deleteLinksOf.run(id, id);
      q.deleteSession.run(id);
    }
    const nodeIds = [...messageIds, ...itemIds, ...sessionIds];
    const payload: DeletePayload = { itemRowids, nodeIds };
    q.insertOutbox.run(null, 'delete', JSON.stringify(payload), Date.now());
    return {
      seq: journalSeq(),
      itemRowids,
      nodeIds,
      messages: messageIds.length,
      items: itemRowids.length,
      touchedSessions: [],
    };
  };

  const deleteMessages = db.transaction(({ messageIds }: { messageIds: string[] }): DeleteResult => {
    const touched = new Set<string>();
    messageIds.forEach((id, i) => {
      const m = q.messagesById.get(id);
      if (!m) {
        throw new StrataError('NOT_FOUND', `messageIds[${i}]: no message "${id}"`, { field: `messageIds[${i}]` });
      }
      touched.add(m.session_id);
    });
    return { ...recordDelete(messageIds, new Set(), []), touchedSessions: [...touched] };
  });

  const deleteSession = db.transaction(({ sessionId }: { sessionId: string }): DeleteResult => {
    if (!q.sessionExists.get(sessionId)) {
      throw new StrataError('UNKNOWN_SESSION', `sessionId: no session "${sessionId}"`, { field: 'sessionId' });
    }
    const messageIds = q.messagesOfSession.all(sessionId).map((r) => r.id);
    const itemIds = new Set(q.itemsOfSession.all(sessionId).map((r) => r.id));
    return recordDelete(messageIds, itemIds, [sessionId]);
  });

  const deleteItems = db.transaction(({ itemIds }: { itemIds: string[] }): DeleteResult => {
    const present = itemIds.filter((id) => q.itemRowid.get(id));
    return recordDelete([], new Set(present), []);
  });

  const readOps = ({ afterSeq, maxRows }: { afterSeq: number; maxRows: number }): JournalOp[] => {
    const ops: JournalOp[] = [];
    let rows = 0;
    let cursor = afterSeq;
    // Reads in pages so one huge backlog does not build one huge message.
    while (rows < maxRows) {
      const page = q.opsAfter.all(cursor, 64);
      if (page.length === 0) break;
      for (const r of page) {
        cursor = r.seq;
        if (r.kind === 'delete') {
          const d = JSON.parse(r.payload) as DeletePayload;
          ops.push({
            seq: r.seq,
            stores: [...STORE_NAMES],
            op: { kind: 'delete', seq: r.seq, prevSeq: 0, itemRowids: d.itemRowids, nodeIds: d.nodeIds },
          });
          rows += d.nodeIds.length + 1;
        } else {
          const u = JSON.parse(r.payload) as UpsertPayload;
          ops.push({ seq: r.seq, stores: u.stores ?? [...STORE_NAMES], op: rebuildUpsert(r.seq, u) });
          rows += u.items.length + u.messages.length + 1;
        }
        if (rows >= maxRows) break;
      }
    }
    return ops;
  };

  const readSnapshot = ({ cursor, maxRows }: { cursor: SnapshotCursor | null; maxRows: number }): SnapshotPage => {
    const at: SnapshotCursor = cursor ?? { phase: 'sessions', after: '' };
    const empty: UpsertPayload = { items: [], messages: [], sessions: [], stores: [...STORE_NAMES] };
    if (at.phase === 'sessions') {
      const rows = q.sessionsAfter.all(String(at.after), maxRows);
      const last = rows.at(-1);
      return {
        op: rebuildUpsert(0, { ...empty, sessions: rows.map((r) => r.id) }),
        next: last ? { phase: 'sessions', after: last.id } : { phase: 'messages', after: 0 },
      };
    }
    const rows = (at.phase === 'messages' ? q.messagesAfter : q.itemsAfter).all(Number(at.after), maxRows);
    const last = rows.at(-1);
    const rowids = rows.map((r) => r.rowid);
    return {
      op: rebuildUpsert(0, at.phase === 'messages' ? { ...empty, messages: rowids } : { ...empty, items: rowids }),
      next: last
        ? { phase: at.phase, after: last.rowid }
        : at.phase === 'messages'
          ? { phase: 'items', after: 0 }
          : null,
    };
  };

  const rebuildUpsert = (seq: number, u: UpsertPayload): JournalOp['op'] => {
    const items: ItemRow[] = [];
    const blobs: Buffer[] = [];
    const nodes: GraphNodeRow[] = [];
    const links: LinkRow[] = [];
    for (const id of u.sessions) {
      const s = q.sessionById.get(id);
      if (s) nodes.push(sessionNode(s));
    }
    for (const r of u.messages) {
      const m = q.messageByRowid.get(r);
      if (!m) continue; // deleted later; the delete op that follows covers it
      nodes.push(messageNode({ id: m.id, sessionId: m.session_id, speaker: m.speaker, text: m.text }));
      links.push(...q.messageLinks.all(m.id, m.id));
    }
    for (const r of u.items) {
      const it = q.itemByRowid.get(r);
      if (!it) continue;
      const item: ItemRow = {
        rowid: it.rowid,
        id: it.id,
        layer: it.layer,
        kind: it.kind,
        sessionId: it.session_id,
        text: it.text,
      };
      items.push(item);
      blobs.push(it.vector);
      nodes.push(itemNode(item));
      links.push(...q.linksFrom.all(it.id));
    }
    const vectors = new Float32Array(items.length * dim);
    blobs.forEach((b, i) => {
      vectors.set(new Float32Array(b.buffer, b.byteOffset, dim), i * dim);
    });
    return { kind: 'upsert', seq, prevSeq: 0, items, vectors, nodes, links };
  };

  return {
    open: () => ({ journalSeq: journalSeq(), dim, embedder: meta.get.get('embedder')?.value ?? embedderId }),
    setVectors: ({ ids, vectors }) => {
      const bytes = dim * 4;
      let updated = 0;
      db.transaction(() => {
        ids.forEach((id, i) => {
          updated += q.setVector.run(Buffer.from(vectors.buffer, vectors.byteOffset + i * bytes, bytes), id).changes;
        });
      }).immediate();
      return { updated };
    },
    setEmbedder: ({ id }) => {
      meta.set.run('embedder', id);
      return { embedder: id };
    },
    append: (p) => append.immediate(p),
    deleteMessages: (p) => deleteMessages.immediate(p),
    deleteSession: (p) => deleteSession.immediate(p),
    deleteItems: (p) => deleteItems.immediate(p),
    readOps,
    readSnapshot: (p) => db.transaction(readSnapshot)(p),
    itemCounts: () => q.counts.get() ?? { items: 0, nodes: 0, edges: 0 },
    pruneOutbox: ({ upToSeq }) => ({ removed: q.prune.run(upToSeq).changes }),
    writeTraces: ({ traces }) => {
      db.transaction(persistTraces)(traces);
      return { kept: maxTraces };
    },
    checkpoint: () => ({ walPages: walPages(db) }),
    close: () => {
      // Fold the WAL back into the file and truncate it, so a closed data directory is its true size on disk.
      truncateWal(db);
      db.close();
      return { closed: true };
    },
  };
}
