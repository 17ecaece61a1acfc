/**
 * The one builder of store ops. A journaled write becomes the op its stores apply here and only here, whether the
 * op is sent live (right after the journal commits), replayed from the outbox (catch-up) or paged out of the
 * journal's contents (rebuild): every path reads the same journal rows through the same statements, so a store
 * brought back from the journal holds exactly what live writes gave it, graph projection included (session,
 * message and item nodes, provenance and item edges; a message's session and order are its row's, not edges: see
 * `messageEdges`). Runs on the core writer worker.
 */
import { STORE_NAMES, type StoreName } from '../../../shared/types';
import type { GraphNodeRow, ItemRow, JournalOp, LinkRow, StoreOp } from '../workers/protocol';
import type { DB } from './sqlite';
import type { ItemInput } from './validate';
import { decodeVector } from './vector-codec';

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

/** JavaScript's `\s`: ECMAScript white space and line terminators. */
function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * The text with each run of white space made one space, cut to LABEL_CHARS: `line.replace(/\s+/g, ' ')` then the cut,
 * but scanning only as far as the label reaches (a regex over a whole 600-character chunk cost ~40 µs a node, two
 * nodes a message, on the journal's thread).
 */
export function label(line: string): string {
  let out = '';
  let seg = 0;
  let i = 0;
  const n = line.length;
  while (i < n && out.length + (i - seg) <= LABEL_CHARS) {
    const c = line.charCodeAt(i);
    if (!isSpace(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isSpace(line.charCodeAt(j))) j++;
    if (c !== 32 || j > i + 1) {
      out += `${line.slice(seg, i)} `;
      seg = j;
    }
    i = j;
  }
  out += line.slice(seg, i);
  return out.length > LABEL_CHARS ? `${out.slice(0, LABEL_CHARS - 1)}…` : out;
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

/**
 * The rows an upsert op is made of, as the journal holds them after the write: what `assembleUpsert` turns into the
 * op. Replay and rebuild read them back from core.db; the live write passes the rows it has just written, so the
 * same function makes the op on every path and the live one costs no read-back.
 */
export interface UpsertRows {
  sessions: { id: string; title: string }[];
  /**
   * Each message, as a node only: its session and its order are the node's `sessionId` and the journal's
   * messages(session_id, seq), not edges (see `messageEdges`).
   */
  messages: { id: string; sessionId: string; speaker: string; text: string }[];
  items: ItemRow[];
  /** Every outgoing edge of the items, in any order (assembly sorts them as SQLite's BINARY order would). */
  itemLinks: LinkRow[];
}

/** Code-point order, which is SQLite's BINARY (UTF-8 byte) order: JS's `<` compares UTF-16 units instead. */
function cmpBinary(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+10000 and up) sort after U+E000–U+FFFF in code-point order.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x2000;
    else if (x >= 0xe000) x -= 0x800;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x2000;
    else if (y >= 0xe000) y -= 0x800;
    return x - y;
  }
  return a.length - b.length;
}

const cmpLink = (a: LinkRow, b: LinkRow): number =>
  cmpBinary(a.src, b.src) || cmpBinary(a.dst, b.dst) || cmpBinary(a.kind, b.kind);

/** The one assembly of an upsert op from its rows (graph projection included), for live writes, replay and rebuild. */
export function assembleUpsert(seq: number, rows: UpsertRows, vectors: Float32Array): StoreOp {
  const nodes: GraphNodeRow[] = [];
  const links: LinkRow[] = [];
  for (const s of rows.sessions) nodes.push(sessionNode(s));
  for (const m of rows.messages) nodes.push(messageNode(m));
  const linksBySrc = new Map<string, LinkRow[]>();
  for (const l of rows.itemLinks) {
    const list = linksBySrc.get(l.src);
    if (list) list.push(l);
    else linksBySrc.set(l.src, [l]);
  }
  for (const item of rows.items) {
    nodes.push(itemNode(item));
    const own = linksBySrc.get(item.id);
    if (!own) continue;
    own.sort(cmpLink);
    let last: LinkRow | undefined;
    for (const l of own) {
      // The links table has one row per (src, dst, kind): a repeated edge in the input is one edge.
      if (last && last.dst === l.dst && last.kind === l.kind) continue;
      links.push(l);
      last = l;
    }
  }
  return { kind: 'upsert', seq, prevSeq: 0, items: rows.items, vectors, nodes, links };
}

export interface OpBuilder {
  /** The upsert op for a journaled write, read from the journal's rows (replay, rebuild, a re-sent append). */
  upsert(seq: number, payload: UpsertPayload): StoreOp;
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
    // Whole pages in one statement each (rowids and ids as a JSON array), not a statement per row.
    items: db.prepare<
      [string],
      { rowid: number; id: string; layer: ItemRow['layer']; kind: string; session_id: string | null; text: string }
    >('SELECT rowid, id, layer, kind, session_id, text FROM items WHERE rowid IN (SELECT value FROM json_each(?))'),
    vectors: db.prepare<[string], { rowid: number; vector: Buffer }>(
      'SELECT rowid, vector FROM items WHERE rowid IN (SELECT value FROM json_each(?))',
    ),
    itemLinks: db.prepare<[string], LinkRow>(
      'SELECT src, dst, kind FROM links WHERE src IN (SELECT value FROM json_each(?))',
    ),
  };

  const upsert = (seq: number, u: UpsertPayload): StoreOp => {
    const rows: UpsertRows = { sessions: [], messages: [], items: [], itemLinks: [] };
    for (const id of u.sessions) {
      const s = q.session.get(id);
      if (s) rows.sessions.push(s);
    }
    for (const r of u.messages) {
      const m = q.message.get(r);
      if (!m) continue; // deleted later; the delete op that follows covers it
      rows.messages.push({ id: m.id, sessionId: m.session_id, speaker: m.speaker, text: m.text });
    }
    if (u.items.length > 0) {
      const byRowid = new Map(q.items.all(JSON.stringify(u.items)).map((r) => [r.rowid, r]));
      for (const r of u.items) {
        const it = byRowid.get(r);
        if (!it) continue; // deleted later; the delete op that follows covers it
        rows.items.push({
          rowid: it.rowid,
          id: it.id,
          layer: it.layer,
          kind: it.kind,
          sessionId: it.session_id,
          text: it.text,
        });
      }
      rows.itemLinks = q.itemLinks.all(JSON.stringify(rows.items.map((i) => i.id)));
    }
    const vectors = new Float32Array(rows.items.length * dim);
    if (rows.items.length > 0) {
      const blobs = new Map(
        q.vectors.all(JSON.stringify(rows.items.map((i) => i.rowid))).map((r) => [r.rowid, r.vector]),
      );
      rows.items.forEach((it, i) => {
        const b = blobs.get(it.rowid);
        if (b) decodeVector(b, dim, vectors, i * dim);
      });
    }
    return assembleUpsert(seq, rows, vectors);
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
