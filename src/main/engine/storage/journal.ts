/**
 * The journal (core.db): sessions, messages, items with their vectors, links,
 * the outbox of store operations, and write traces. A write is acknowledged
 * once its journal transaction commits; every store is rebuilt from here.
 * Runs on the core writer worker only.
 */
import { StrataError } from '../../../shared/errors';
import { STORE_NAMES, type WriteTrace } from '../../../shared/types';
import type {
  AppendParams,
  AppendResult,
  CoreMethods,
  Handlers,
  JournalOp,
  SnapshotCursor,
  SnapshotPage,
} from '../workers/protocol';
import { createJournalDeletes } from './journal-deletes';
import { compact, type DB, truncateWal, walPages } from './sqlite';
import { assembleUpsert, createOpBuilder, type UpsertPayload, type UpsertRows } from './store-op';
import { encodeVector, encodeVectors } from './vector-codec';

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
    del: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
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

  // A re-embed that did not finish. Its new vectors wait in `reembed_staged` until the pass commits (the items keep
  // the old embedder's until then), so opened with the old embedder it is simply abandoned: a cancel costs no pass
  // back. Once committed (or a record from before staging, which wrote in place) only finishing it is safe.
  const reembed = meta.get.get('reembed')?.value;
  if (reembed !== undefined) {
    const r = JSON.parse(reembed) as { to: string; done: number; total: number; phase?: 'staged' | 'committed' };
    const stored = meta.get.get('embedder')?.value;
    if (r.phase === 'staged' && embedderId !== r.to && embedderId === stored) {
      db.transaction(() => {
        db.exec('DROP TABLE IF EXISTS reembed_staged');
        meta.del.run('reembed');
      }).immediate();
    } else if (embedderId !== r.to) {
      throw new StrataError(
        'EMBEDDER_MISMATCH',
        `core.db is in the middle of a re-embed to "${r.to}" (${r.done} of ${r.total} vectors done): its vectors are ` +
          `a mix of two embedders; open it with "${r.to}" and re-embedding on to finish, not with "${embedderId}"`,
        { file: 'core.db', reembedTo: r.to, done: r.done, total: r.total, requested: embedderId },
      );
    }
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
    lastSeq: db.prepare<[string], { seq: number }>(
      'SELECT seq FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT 1',
    ),
    // Positional parameters: binding by name costs a lookup per parameter per row on the bulk path.
    insertMessage: db.prepare<
      [string, string, number, string, string, string, number, string | null, string | null, number],
      { rowid: number }
    >(
      `INSERT INTO messages(id, session_id, seq, role, speaker, text, ts, external_id, metadata, journal_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid`,
    ),
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
  };

  const journalSeq = (): number => q.seqCounter.get()?.seq ?? 0;
  const build = createOpBuilder(db, dim);
  const deletes = createJournalDeletes(db, build, journalSeq);

  const persistTraces = (traces: WriteTrace[]): void => {
    for (const t of traces) q.insertTrace.run(t.id, t.startedAt, JSON.stringify(t));
    if (traces.length > 0) q.trimTraces.run(maxTraces);
  };

  const append = db.transaction((p: AppendParams): AppendResult => {
    const prior = q.outboxByWrite.get(p.writeId);
    if (prior) {
      // Replay of an append that had already committed (its worker died before answering): the same op, from the rows.
      const payload = JSON.parse(prior.payload) as UpsertPayload;
      const rowids = p.items.map((it) => q.itemRowid.get(it.id)?.rowid ?? 0);
      return { seq: prior.seq, rowids, messageSeqs: [], op: build.upsert(prior.seq, payload) };
    }

    for (const sid of p.requireSessions) {
      if (!q.sessionExists.get(sid) && !p.sessions.some((s) => s.id === sid)) {
        throw new StrataError('UNKNOWN_SESSION', `sessionId: no session "${sid}"`, { field: 'sessionId' });
      }
    }
    q.insertOutbox.run(p.writeId, 'upsert', '{}', Date.now());
    const seq = journalSeq();
    const payload: UpsertPayload = { items: [], messages: [], sessions: [], stores: p.stores };
    // The rows as this transaction leaves them, for the op: the live op is assembled from them, not read back.
    const rows: UpsertRows = { sessions: [], messages: [], items: [], itemLinks: [] };

    const fresh = new Set<string>();
    p.sessions.forEach((s, i) => {
      if (!p.newSessions) return;
      if (q.sessionExists.get(s.id)) {
        throw new StrataError('INVALID_INPUT', `sessions[${i}].id: a session "${s.id}" already exists`, {
          field: `sessions[${i}].id`,
        });
      }
      fresh.add(s.id);
    });
    for (const s of p.sessions) {
      q.upsertSession.run({ ...s, participants: JSON.stringify(s.participants) });
      payload.sessions.push(s.id);
      rows.sessions.push({ id: s.id, title: s.title });
    }

    const lastBySession = new Map<string, number>();
    const messageSeqs: number[] = [];
    const exists = (i: number, id: string) =>
      new StrataError('INVALID_INPUT', `messages[${i}].id: a message "${id}" already exists`, {
        field: `messages[${i}].id`,
      });
    p.messages.forEach((m, i) => {
      // A message of a new session has no earlier one to look up. A repeated id is caught by the id's unique key (no
      // lookup of its own first): the insert fails, and the transaction with everything of this write is rolled back.
      let prev = lastBySession.get(m.sessionId);
      if (prev === undefined) prev = fresh.has(m.sessionId) ? 0 : (q.lastSeq.get(m.sessionId)?.seq ?? 0);
      const mseq = prev + 1;
      let row: { rowid: number };
      try {
        row = q.insertMessage.get(
          m.id,
          m.sessionId,
          mseq,
          m.role,
          m.speaker,
          m.text,
          m.timestamp,
          m.externalId,
          m.metadata === null ? null : JSON.stringify(m.metadata),
          seq,
        ) as { rowid: number };
      } catch (err) {
        const e = err as { code?: string; message?: string };
        if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && e.message?.includes('messages.id')) throw exists(i, m.id);
        throw err;
      }
      payload.messages.push(row.rowid);
      messageSeqs.push(mseq);
      // No link rows of its own: the session a message is in and the one after it are its row's session id and
      // seq (messages_session_seq), so a message costs its row and two index entries, not four link entries more.
      rows.messages.push({ id: m.id, sessionId: m.sessionId, speaker: m.speaker, text: m.text });
      lastBySession.set(m.sessionId, mseq);
    });

    // Half floats in the journal; the op gets the decoded vectors, so live and replayed stores hold the same floats.
    const blobs = encodeVectors(p.vectors, p.items.length, dim);
    const rowids = p.items.map((it, i) => {
      const vec = blobs[i] as Buffer;
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
      // An item of a session this write creates has no earlier edges to clear.
      if (!fresh.has(it.sessionId ?? '')) q.clearOutgoing.run(it.id);
      payload.items.push(row.rowid);
      rows.items.push({
        rowid: row.rowid,
        id: it.id,
        layer: it.layer,
        kind: it.kind,
        sessionId: it.sessionId,
        text: it.text,
      });
      return row.rowid;
    });
    const itemIds = new Set(p.items.map((it) => it.id));
    for (const l of p.links) {
      q.insertLink.run(l.src, l.dst, l.kind);
      if (itemIds.has(l.src)) rows.itemLinks.push(l);
    }
    const at = Date.now();
    // A decision restored from an export keeps its own time.
    for (const d of p.decisions) q.insertDecision.run({ at, ...d });
    q.setPayload.run(JSON.stringify(payload), seq);
    return { seq, rowids, messageSeqs, op: assembleUpsert(seq, rows, p.vectors) };
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
        const jop = build.fromOutbox(r);
        ops.push(jop);
        rows += (jop.op.kind === 'delete' ? jop.op.nodeIds.length : jop.op.nodes.length) + 1;
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
        op: build.upsert(0, { ...empty, sessions: rows.map((r) => r.id) }),
        next: last ? { phase: 'sessions', after: last.id } : { phase: 'messages', after: 0 },
      };
    }
    const rows = (at.phase === 'messages' ? q.messagesAfter : q.itemsAfter).all(Number(at.after), maxRows);
    const last = rows.at(-1);
    const rowids = rows.map((r) => r.rowid);
    return {
      op: build.upsert(0, at.phase === 'messages' ? { ...empty, messages: rowids } : { ...empty, items: rowids }),
      next: last
        ? { phase: at.phase, after: last.rowid }
        : at.phase === 'messages'
          ? { phase: 'items', after: 0 }
          : null,
    };
  };

  return {
    open: () => ({ journalSeq: journalSeq(), dim, embedder: meta.get.get('embedder')?.value ?? embedderId }),
    setVectors: ({ ids, vectors, to, done, total }) => {
      let updated = 0;
      db.transaction(() => {
        // Staged beside the items, which keep the old vectors until commitReembed; the record in the same
        // transaction, so a kill leaves the two in step.
        if (done <= ids.length) {
          db.exec('DROP TABLE IF EXISTS reembed_staged');
          db.exec('CREATE TABLE reembed_staged (id TEXT PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID');
        }
        meta.set.run('reembed', JSON.stringify({ to, done, total, phase: 'staged' }));
        const stage = db.prepare<[string, Buffer]>(
          'INSERT INTO reembed_staged(id, vector) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET vector = excluded.vector',
        );
        ids.forEach((id, i) => {
          updated += stage.run(id, encodeVector(vectors, i * dim, dim)).changes;
        });
      }).immediate();
      return { updated };
    },
    commitReembed: ({ to }) => {
      let updated = 0;
      db.transaction(() => {
        const r = JSON.parse(meta.get.get('reembed')?.value ?? '{}') as { done?: number; total?: number };
        const staged = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'reembed_staged'").get();
        updated = !staged
          ? 0
          : db
              .prepare(
                'UPDATE items SET vector = (SELECT s.vector FROM reembed_staged s WHERE s.id = items.id) ' +
                  'WHERE id IN (SELECT id FROM reembed_staged)',
              )
              .run().changes;
        db.exec('DROP TABLE IF EXISTS reembed_staged');
        meta.set.run('reembed', JSON.stringify({ to, done: r.done ?? 0, total: r.total ?? 0, phase: 'committed' }));
      }).immediate();
      return { updated };
    },
    setEmbedder: ({ id }) => {
      db.transaction(() => {
        meta.set.run('embedder', id);
        meta.del.run('reembed');
      }).immediate();
      return { embedder: id };
    },
    append: (p) => append.immediate(p),
    ...deletes,
    readOps,
    readSnapshot: (p) => db.transaction(readSnapshot)(p),
    itemCounts: () => q.counts.get() ?? { items: 0, nodes: 0, edges: 0 },
    pruneOutbox: ({ upToSeq }) => ({ removed: q.prune.run(upToSeq).changes }),
    writeTraces: ({ traces }) => {
      db.transaction(persistTraces)(traces);
      return { kept: maxTraces };
    },
    checkpoint: () => ({ walPages: walPages(db) }),
    compact: () => compact(db),
    close: () => {
      // Fold the WAL back into the file and truncate it, so a closed data directory is its true size on disk.
      truncateWal(db);
      db.close();
      return { closed: true };
    },
  };
}
