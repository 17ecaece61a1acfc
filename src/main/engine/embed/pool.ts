/**
 * The embedder pool: one embedding worker per core, a work queue of small
 * batches so every worker stays busy, and an LRU cache so the same text is never
 * embedded twice. If USE-lite cannot load, the hashing embedder stands in and
 * says so in its status: a fallback is never silent.
 */
import { availableParallelism } from 'node:os';
import { StrataError } from '../../../shared/errors';
import type { ExtractInput, Extraction } from '../extract/types';
import { WorkerClient, workerEntry } from '../workers/client';
import type { Embedder, EmbedderKind, EmbedderStatus } from './embedder';

export interface PoolOptions {
  workers?: number;
  /** Texts kept with their vectors; the least recently used go first. */
  cacheEntries?: number;
  /** Texts per request to one worker. */
  chunk?: number;
  /** Dimension of the hashing embedder. */
  hashingDim?: number;
  /** Where the USE-lite files are (tests point it at a missing folder to exercise the fallback). */
  modelDir?: string;
}

export class EmbedderPool implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly cache = new Map<string, Float32Array>();
  private cacheHits = 0;
  private embedded = 0;
  private closed = false;

  private constructor(
    readonly kind: EmbedderKind,
    private readonly clients: WorkerClient<'embed'>[],
    info: { id: string; dim: number },
    private readonly fallback: EmbedderStatus['fallback'],
    private readonly cacheEntries: number,
    private readonly chunk: number,
  ) {
    this.id = info.id;
    this.dim = info.dim;
  }

  static async open(kind: EmbedderKind, opts: PoolOptions = {}): Promise<EmbedderPool> {
    const workers = Math.max(1, opts.workers ?? availableParallelism());
    const hashingDim = opts.hashingDim ?? 512;
    const start = async (k: EmbedderKind) => {
      const clients = Array.from(
        { length: workers },
        () =>
          new WorkerClient(
            'embed',
            { role: 'embed', embedder: k, dim: hashingDim, ...(opts.modelDir && { modelDir: opts.modelDir }) },
            workerEntry('embed'),
          ),
      );
      try {
        const infos = await Promise.all(clients.map((c) => c.call('open', {})));
        // The model's first run compiles its graph (slow): pay it now on every worker, not in the first write.
        await Promise.all(clients.map((c) => c.call('embed', { texts: ['warm up'] })));
        return { clients, info: (infos[0] as (typeof infos)[number]).result };
      } catch (err) {
        await Promise.allSettled(clients.map((c) => c.close()));
        throw err;
      }
    };
    const cacheEntries = opts.cacheEntries ?? 10_000;
    const chunk = opts.chunk ?? 16;
    try {
      const { clients, info } = await start(kind);
      return new EmbedderPool(kind, clients, info, null, cacheEntries, chunk);
    } catch (err) {
      if (kind === 'hashing') throw err;
      const reason = err instanceof Error ? err.message : String(err);
      const { clients, info } = await start('hashing');
      return new EmbedderPool('hashing', clients, info, { from: kind, reason }, cacheEntries, chunk);
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array> {
    if (this.closed) throw new StrataError('ENGINE_CLOSED', 'the embedder pool is closed');
    const dim = this.dim;
    const out = new Float32Array(texts.length * dim);
    // Texts not in the cache, each once, with every position it fills.
    const missing = new Map<string, number[]>();
    texts.forEach((t, i) => {
      const hit = this.cache.get(t);
      if (hit) {
        this.cache.delete(t); // refresh its place in the LRU order
        this.cache.set(t, hit);
        out.set(hit, i * dim);
        this.cacheHits++;
      } else {
        const at = missing.get(t);
        if (at) at.push(i);
        else missing.set(t, [i]);
      }
    });
    if (missing.size === 0) return out;

    const todo = [...missing.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < todo.length; i += this.chunk) chunks.push(todo.slice(i, i + this.chunk));
    let next = 0;
    // Each worker pulls the next chunk when it is free, so a slow chunk never idles the others.
    const lane = async (client: WorkerClient<'embed'>) => {
      while (next < chunks.length) {
        const batch = chunks[next++] as string[];
        const { result } = await client.call('embed', { texts: batch });
        batch.forEach((text, j) => {
          const vec = result.vectors.slice(j * dim, (j + 1) * dim);
          for (const i of missing.get(text) ?? []) out.set(vec, i * dim);
          this.remember(text, vec);
        });
        this.embedded += batch.length;
      }
    };
    const idle = [...this.clients].sort((a, b) => a.pendingCalls - b.pendingCalls);
    await Promise.all(idle.slice(0, Math.min(idle.length, chunks.length)).map(lane));
    return out;
  }

  /** Runs the rule extractor on the least busy worker. */
  async extract(input: ExtractInput): Promise<Extraction> {
    if (this.closed) throw new StrataError('ENGINE_CLOSED', 'the embedder pool is closed');
    const client = [...this.clients].sort((a, b) => a.pendingCalls - b.pendingCalls)[0] as WorkerClient<'embed'>;
    return (await client.call('extract', { input })).result;
  }

  private remember(text: string, vec: Float32Array): void {
    if (this.cacheEntries <= 0) return;
    this.cache.set(text, vec);
    if (this.cache.size > this.cacheEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  status(): EmbedderStatus {
    return {
      id: this.id,
      kind: this.kind,
      dim: this.dim,
      workers: this.clients.length,
      fallback: this.fallback,
      cacheEntries: this.cache.size,
      cacheHits: this.cacheHits,
      embedded: this.embedded,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.clients.map((c) => c.close()));
  }
}
