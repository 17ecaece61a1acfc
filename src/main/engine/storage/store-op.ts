/**
 * The one builder of store ops. A journaled write becomes the op its stores apply here and only here, whether the
 * op is sent live (right after the journal commits), replayed from the outbox (catch-up) or paged out of the
 * journal's contents (rebuild): every path reads the same journal rows through the same statements, so a store
 * brought back from the journal holds exactly what live writes gave it, graph projection included (session,
 * message and item nodes, `in_session`, `next` and provenance edges). Runs on the core writer worker.
 */
import { STORE_NAMES, type StoreName } from '../../../shared/types';
import type { GraphNodeRow, ItemRow, JournalOp, LinkRow, StoreOp } from '../workers/protocol';
import type { DB } from './sqlite';
import type { ItemInput } from './validate';

/** What the outbox keeps for an upsert: journal rowids, so the op is rebuilt from the rows, never from a copy. */
export interface UpsertPayload {
  items: number[];
  messages: number[];
  sessions: string[];
  stores: StoreName[];
}

export interface DeletePayload {
  itemRowids: number[];
  nodeIds: string[];
}

const LABEL_CHARS = 120;

function label(line: string): string {
  const flat = line.replace(/\s+/g, ' ');
  return flat.length > LABEL_CHARS ? `${flat.slice(0, LABEL_CHARS - 1)}…` : flat;
}

export function sessionNode(s: { id: string; title: string }): GraphNodeRow {
  return { id: s.id, kind: 'session', layer: null, sessionId: s.id, label: s.title };
}

export function messageNode(m: { id: string; sessionId: string; speaker: string; text: string }): GraphNodeRow {
  return { id: m.id, kind: 'message', layer: 'm0', sessionId: m.sessionId, label: label(`${m.speaker}: ${m.text}`) };
}

export function itemNode(item: Pick<ItemRow, 'id' | 'kind' | 'layer' | 'sessionId' | 'text'>): GraphNodeRow {
  return { id: item.id, kind: item.kind, layer: item.layer, sessionId: item.sessionId, label: label(item.text) };
}

export interface OpBuilder {
  /**
   * The upsert op for a journaled write. `vectors`, when given, are the rows of the batch just journaled (byte for
   * byte what the items' vector column now holds, in `payload.items` order): the live path passes them to spare a
   * read-back; replay and rebuild read them from the journal.
   */
  upsert(seq: number, payload: UpsertPayload, vectors?: Float32Array): StoreOp;
  delete(seq: number, payload: DeletePayload): StoreOp;
  /** An outbox row as the op it stands for, with the stores it was written for. */
  fromOutbox(row: { seq: number; kind: string; payload: string }): JournalOp;
}

export function createOpBuilder(db: DB, dim: number): OpBuilder {
  const q = {
    session: db.prepare<[string], { id: string; title: string }>('SELECT id, title FROM sessions WHERE id = ?'),
    message: db.prepare<[number], { id: string; session_id: string; speaker: string; text: string }>(
      'SELECT id, session_id, speaker, text FROM messages WHERE rowid = ?',
    ),
    // Whole pages in one statement each (rowids and ids as a JSON array): a live write reads back its own rows
    // without a statement per row.
    items: db.prepare<
      [string],
      { rowid: number; id: string; layer: ItemRow['layer']; kind: string; session_id: string | null; text: string }
    >('SELECT rowid, id, layer, kind, session_id, text FROM items WHERE rowid IN (SELECT value FROM json_each(?))'),
    vectors: db.prepare<[string], { rowid: number; vector: Buffer }>(
      'SELECT rowid, vector FROM items WHERE rowid IN (SELECT value FROM json_each(?))',
    ),
    itemLinks: db.prepare<[string], LinkRow>(
      'SELECT src, dst, kind FROM links WHERE src IN (SELECT value FROM json_each(?)) ORDER BY src, dst, kind',
    ),
    // A message's write created exactly two kinds of edge: its own `in_session`, and the `next` edge into it from
    // the message before. The `next` edge out of it belongs to its successor's write.
    messageLinks: db.prepare<[string, string], LinkRow>(
      `SELECT src, dst, kind FROM links WHERE src = ? AND kind = 'in_session'
       UNION ALL SELECT src, dst, kind FROM links WHERE dst = ? AND kind = 'next'`,
    ),
  };

  const upsert = (seq: number, u: UpsertPayload, given?: Float32Array): StoreOp => {
    const items: ItemRow[] = [];
    const nodes: GraphNodeRow[] = [];
    const links: LinkRow[] = [];
    for (const id of u.sessions) {
      const s = q.session.get(id);
      if (s) nodes.push(sessionNode(s));
    }
    for (const r of u.messages) {
      const m = q.message.get(r);
      if (!m) continue; // deleted later; the delete op that follows covers it
      nodes.push(messageNode({ id: m.id, sessionId: m.session_id, speaker: m.speaker, text: m.text }));
      links.push(...q.messageLinks.all(m.id, m.id));
    }
    if (u.items.length > 0) {
      const byRowid = new Map(q.items.all(JSON.stringify(u.items)).map((r) => [r.rowid, r]));
      for (const r of u.items) {
        const it = byRowid.get(r);
        if (!it) continue; // deleted later; the delete op that follows covers it
        items.push({
          rowid: it.rowid,
          id: it.id,
          layer: it.layer,
          kind: it.kind,
          sessionId: it.session_id,
          text: it.text,
        });
      }
      const linksBySrc = new Map<string, LinkRow[]>();
      for (const l of q.itemLinks.all(JSON.stringify(items.map((i) => i.id)))) {
        const list = linksBySrc.get(l.src);
        if (list) list.push(l);
        else linksBySrc.set(l.src, [l]);
      }
      for (const item of items) {
        nodes.push(itemNode(item));
        links.push(...(linksBySrc.get(item.id) ?? []));
      }
    }
    let vectors: Float32Array;
    if (given && items.length === u.items.length) {
      // The batch just journaled: byte for byte what the items' vector column now holds, in the same order.
      vectors = given;
    } else {
      vectors = new Float32Array(items.length * dim);
      if (items.length > 0) {
        const blobs = new Map(q.vectors.all(JSON.stringify(items.map((i) => i.rowid))).map((r) => [r.rowid, r.vector]));
        items.forEach((it, i) => {
          const b = blobs.get(it.rowid);
          if (b) vectors.set(new Float32Array(b.buffer, b.byteOffset, dim), i * dim);
        });
      }
    }
    return { kind: 'upsert', seq, prevSeq: 0, items, vectors, nodes, links };
  };

  const del = (seq: number, d: DeletePayload): StoreOp => ({
    kind: 'delete',
    seq,
    prevSeq: 0,
    itemRowids: d.itemRowids,
    nodeIds: d.nodeIds,
  });

  return {
    upsert,
    delete: del,
    fromOutbox: (r) => {
      if (r.kind === 'delete') return { seq: r.seq, stores: [...STORE_NAMES], op: del(r.seq, JSON.parse(r.payload)) };
      const u = JSON.parse(r.payload) as UpsertPayload;
      return { seq: r.seq, stores: u.stores ?? [...STORE_NAMES], op: upsert(r.seq, u) };
    },
  };
}

/** The part of an op a store needs: vectors to the vector store, text to the keyword store, nodes and edges to the graph. */
export function sliceOp(store: StoreName, op: StoreOp): StoreOp {
  if (op.kind === 'delete') {
    return { ...op, itemRowids: store === 'graph' ? [] : op.itemRowids, nodeIds: store === 'graph' ? op.nodeIds : [] };
  }
  return {
    kind: 'upsert',
    seq: op.seq,
    prevSeq: op.prevSeq,
    items: store === 'graph' ? [] : op.items,
    vectors: store === 'vector' ? op.vectors : null,
    nodes: store === 'graph' ? op.nodes : [],
    links: store === 'graph' ? op.links : [],
  };
}

/** An op that carries nothing: a store an op was not for still moves past its seq, so the next prevSeq lines up. */
export function emptyOp(seq: number): StoreOp {
  return { kind: 'upsert', seq, prevSeq: 0, items: [], vectors: null, nodes: [], links: [] };
}

export function transferOf(op: StoreOp): ArrayBuffer[] {
  return op.kind === 'upsert' && op.vectors && op.vectors.byteLength > 0 ? [op.vectors.buffer as ArrayBuffer] : [];
}

/** An item's outgoing edges as its write gives them: what it was derived from, and its other links. */
export function itemLinks(items: Pick<ItemInput, 'id' | 'sources' | 'links'>[]): LinkRow[] {
  const links: LinkRow[] = [];
  for (const it of items) {
    for (const dst of it.sources) links.push({ src: it.id, dst, kind: 'derived_from' });
    for (const l of it.links ?? []) links.push({ src: it.id, dst: l.dst, kind: l.kind });
  }
  return links;
}
