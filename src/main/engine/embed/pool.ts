/**
 * The embedder pool: one embedding worker per core, a work queue of small
 * batches so every worker stays busy, and an LRU cache so the same text is never
 * embedded twice. If the chosen model cannot load, the hashing embedder stands in
 * and says so in its status: a fallback is never silent.
 *
 * With the static embedder the vectors are computed right here, in the caller's thread (microseconds a text, so a
 * write or a query never queues behind background work); the workers then run only CPU-heavy tasks (extraction).
 * A large call is embedded in slices with the event loop let through between them, so a query arriving during a
 * 10,000-message write is answered between two slices instead of after the whole batch.
 */
import { availableParallelism } from 'node:os';
import { StrataError } from '../../../shared/errors';
import type { IsolateMemory } from '../../../shared/types';
import type { ExtractInput, Extraction } from '../extract/types';
import { WorkerClient, workerEntry } from '../workers/client';
import type { EmbedMethods, Params, Result } from '../workers/protocol';
import type { Embedder, EmbedderKind, EmbedderStatus, EmbedOptions } from './embedder';
import { loadStaticModel, type StaticModel } from './static';

/** Texts embedded in the caller's thread before other work (a query) gets a turn: a few milliseconds of work. */
const LOCAL_SLICE = 128;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface PoolOptions {
  workers?: number;
  /** Texts kept with their vectors; the least recently used go first. */
  cacheEntries?: number;
  /** Most texts per request to one worker: small, so foreground work never waits long behind background work. */
  chunk?: number;
  /** Dimension of the hashing embedder. */
  hashingDim?: number;
  /** Where the USE-lite files are (tests point it at a missing folder to exercise the fallback). */
  modelDir?: string;
  /** The static embedder's model file (default: models/static-en-512.bin in the project). */
  staticModelFile?: string;
}

interface Job {
  text: string;
  resolve(vec: Float32Array): void;
  reject(err: unknown): void;
}

/** Layer work for a worker (an extraction, a segmentation, a few episode descriptions). */
interface LayerTask {
  run(client: WorkerClient<'embed'>): Promise<void>;
  reject(err: unknown): void;
}

export class EmbedderPool implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly cache = new Map<string, Float32Array>();
  private cacheHits = 0;
  private embedded = 0;
  private closed = false;
  /** Texts waiting for a worker: [foreground, background]. */
  private readonly queues: [Job[], Job[]] = [[], []];
  /** Every text queued or being embedded, so a second caller waits for the first. */
  private readonly inFlight = new Map<string, Promise<Float32Array>>();
  private readonly busy = new Set<WorkerClient<'embed'>>();
  /** Layer work waiting for a worker (served after foreground texts, before background ones). */
  private readonly tasks: LayerTask[] = [];

  private constructor(
    readonly kind: EmbedderKind,
    private readonly clients: WorkerClient<'embed'>[],
    info: { id: string; dim: number },
    private readonly fallback: EmbedderStatus['fallback'],
    private readonly cacheEntries: number,
    private readonly chunk: number,
    /** The static model, when it is the embedder: texts are embedded in this thread, not on the workers. */
    private readonly local: StaticModel | null = null,
  ) {
    this.id = local?.id ?? info.id;
    this.dim = local?.dim ?? info.dim;
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
        if (k !== 'static') await Promise.all(clients.map((c) => c.call('embed', { texts: ['warm up'] })));
        return { clients, info: (infos[0] as (typeof infos)[number]).result };
      } catch (err) {
        await Promise.allSettled(clients.map((c) => c.close()));
        throw err;
      }
    };
    const cacheEntries = opts.cacheEntries ?? 10_000;
    const chunk = opts.chunk ?? 4;
    try {
      // Read before any worker starts: a missing or damaged model file falls back like a model that cannot load.
      const local = kind === 'static' ? loadStaticModel(opts.staticModelFile) : null;
      const { clients, info } = await start(kind);
      return new EmbedderPool(kind, clients, info, null, cacheEntries, chunk, local);
    } catch (err) {
      if (kind === 'hashing') throw err;
      const reason = err instanceof Error ? err.message : String(err);
      const { clients, info } = await start('hashing');
      return new EmbedderPool('hashing', clients, info, { from: kind, reason }, cacheEntries, chunk);
    }
  }

  /**
   * Vectors for `texts`, in order. Cached texts cost nothing, a text already being
   * embedded for another caller is awaited rather than embedded again, and the
   * rest join the pool's queue: foreground work (a write waiting on M0) is served
   * before background work (episodes, facts), and a request is split evenly over
   * the workers so a 10-message write uses every core.
   */
  async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array> {
    if (this.closed) throw new StrataError('ENGINE_CLOSED', 'the embedder pool is closed');
    if (this.local) {
      // Cheaper to embed again than to hash the text for a cache lookup and hold its vector.
      this.embedded += texts.length;
      if (texts.length <= LOCAL_SLICE) return this.local.embedSync(texts);
      const out = new Float32Array(texts.length * this.dim);
      for (let at = 0; at < texts.length; at += LOCAL_SLICE) {
        if (at > 0) await yieldToEventLoop();
        if (this.closed) throw new StrataError('ENGINE_CLOSED', 'the embedder pool is closed');
        out.set(this.local.embedSync(texts.slice(at, at + LOCAL_SLICE)), at * this.dim);
      }
      return out;
    }
    const dim = this.dim;
    const out = new Float32Array(texts.length * dim);
    const waits: Promise<void>[] = [];
    const asked = new Map<string, Promise<Float32Array>>();
    texts.forEach((t, i) => {
      const hit = this.cache.get(t);
      if (hit) {
        this.cache.delete(t); // refresh its place in the LRU order
        this.cache.set(t, hit);
        out.set(hit, i * dim);
        this.cacheHits++;
        return;
      }
      let vec = asked.get(t);
      if (!vec) {
        vec = this.inFlight.get(t) ?? this.enqueue(t, opts.priority === 'background' ? 1 : 0);
        asked.set(t, vec);
      }
      waits.push(vec.then((v) => out.set(v, i * dim)));
    });
    this.pump();
    await Promise.all(waits);
    return out;
  }

  private enqueue(text: string, priority: 0 | 1): Promise<Float32Array> {
    const vec = new Promise<Float32Array>((resolve, reject) => {
      this.queues[priority].push({ text, resolve, reject });
    });
    this.inFlight.set(text, vec);
    return vec;
  }

  /**
   * Hands work to every idle worker: foreground texts first, then extractions, then background texts, texts in even
   * shares of at most `chunk`. A worker runs one request at a time, so a write or a query never waits behind more
   * than the one request each worker is already running.
   */
  private pump(): void {
    for (const client of this.clients) {
      if (this.busy.has(client)) continue;
      const next = nextWork(this.queues[0].length, this.tasks.length, this.queues[1].length);
      if (next === null) return;
      if (next === 'task') {
        const task = this.tasks.shift() as LayerTask;
        this.busy.add(client);
        void this.runTask(client, task);
        continue;
      }
      const queue = this.queues[next === 'foreground' ? 0 : 1];
      const share = Math.ceil(queue.length / this.clients.length);
      const jobs = queue.splice(0, Math.max(1, Math.min(this.chunk, share)));
      this.busy.add(client);
      void this.run(client, jobs);
    }
  }

  private async runTask(client: WorkerClient<'embed'>, task: LayerTask): Promise<void> {
    try {
      await task.run(client);
    } catch (err) {
      task.reject(err);
    } finally {
      this.busy.delete(client);
      if (!this.closed) this.pump();
    }
  }

  private async run(client: WorkerClient<'embed'>, jobs: Job[]): Promise<void> {
    const dim = this.dim;
    try {
      const { result } = await client.call('embed', { texts: jobs.map((j) => j.text) });
      jobs.forEach((job, j) => {
        const vec = result.vectors.slice(j * dim, (j + 1) * dim);
        this.remember(job.text, vec);
        this.inFlight.delete(job.text);
        job.resolve(vec);
      });
      this.embedded += jobs.length;
    } catch (err) {
      for (const job of jobs) {
        this.inFlight.delete(job.text);
        job.reject(err);
      }
    } finally {
      this.busy.delete(client);
      if (!this.closed) this.pump();
    }
  }

  /** Runs the rule extractor on the next free worker, after any foreground texts. */
  extract(input: ExtractInput): Promise<Extraction> {
    return this.layerTask('extract', { input });
  }

  /** Runs a layer method (M1's segment or describe, M2's extract) on the next free worker, after foreground texts. */
  layerTask<K extends 'extract' | 'segment' | 'describe'>(
    method: K,
    params: Params<EmbedMethods, K>,
  ): Promise<Result<EmbedMethods, K>> {
    if (this.closed) return Promise.reject(new StrataError('ENGINE_CLOSED', 'the embedder pool is closed'));
    const done = new Promise<Result<EmbedMethods, K>>((resolve, reject) => {
      this.tasks.push({ run: async (client) => resolve((await client.call(method, params)).result), reject });
    });
    this.pump();
    return done;
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

  /** Each embed worker's own memory report. */
  memory(): Promise<IsolateMemory[]> {
    return Promise.all(this.clients.map((c, i) => c.memory(`embed:${i}`)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = new StrataError('ENGINE_CLOSED', 'the embedder pool closed before this text was embedded');
    for (const job of this.queues.flatMap((q) => q.splice(0))) job.reject(closed);
    for (const task of this.tasks.splice(0)) task.reject(closed);
    this.inFlight.clear();
    await Promise.allSettled(this.clients.map((c) => c.close()));
  }
}

/**
 * What an idle worker takes next: foreground texts (a write or a query waiting on its vectors) first, then layer
 * tasks (extraction, segmentation, descriptions), then background texts. The whole scheduling policy, as a pure
 * function, so it is tested as a table rather than by racing threads.
 */
export function nextWork(
  foreground: number,
  tasks: number,
  background: number,
): 'foreground' | 'task' | 'background' | null {
  if (foreground > 0) return 'foreground';
  if (tasks > 0) return 'task';
  if (background > 0) return 'background';
  return null;
}
