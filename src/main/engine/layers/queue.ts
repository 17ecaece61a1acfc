/**
 * The background layer queue. After M0 is written, a session is marked dirty; the queue then re-chunks messages that
 * lost their chunk (m0.ts), re-cuts the session's open tail into M1 episodes (m1-build.ts) and extracts M2 from every
 * episode that has no extraction record for its current text (m2.ts), a few episodes per write. After deletes, and
 * on open, it drops entities nothing mentions any more.
 *
 * It converges: every step is driven by what the journal lacks, not by what the last write changed, so a build cut
 * short (a kill, a full disk, a locked file, `close()`) is completed by the next pass over the session — on open, on
 * the next write, on `flush()`, or by the retry that follows a failure. A session's error is forgotten once the
 * session builds.
 */
import type { Embedder } from '../embed/embedder';
import { EmbedderPool } from '../embed/pool';
import type { Extractor } from '../extract/types';
import type { StorageManager } from '../storage/manager';
import { type EpisodeWork, type LayerDeps, Stopped } from './deps';
import { repairChunks } from './m0';
import { buildEpisodes } from './m1-build';
import { buildFacts, decisionKey, M2_BATCH_EPISODES, needsExtraction } from './m2';

export interface PipelineStatus {
  queued: number;
  running: boolean;
  processed: number;
  lastError: { code: string; message: string } | null;
}

/** The key under which a failure of orphan collection is kept (no session id can be empty). */
const ORPHANS = '';
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** Episodes whose extraction record is checked per read. */
const EPISODE_PAGE = 256;

export class LayerPipeline {
  private readonly dirty = new Set<string>();
  private orphansDue = false;
  private running: Promise<void> | null = null;
  private processed = 0;
  /** The latest failure of each session (or of orphan collection) not since rebuilt. */
  private readonly failed = new Map<string, Error>();
  private lastError: PipelineStatus['lastError'] = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = RETRY_FIRST_MS;
  private stopping = false;
  private readonly deps: LayerDeps;
  /** Called when a session's episodes (m1), then its facts (m2), are built (the app reports import progress). */
  onBuilt: ((sessionId: string, layer: 'm1' | 'm2') => void) | null = null;

  constructor(storage: StorageManager, embedder: Embedder, extractor: Extractor) {
    this.deps = {
      storage,
      embedder,
      extractor,
      episodes: embedder instanceof EmbedderPool ? poolEpisodeWork(embedder) : inThreadEpisodeWork(),
      checkpoint: () => {
        if (this.stopping) throw new Stopped();
      },
    };
  }

  notify(sessionId: string): void {
    if (this.stopping) return;
    this.dirty.add(sessionId);
    this.kick();
  }

  /** After a delete (and on open): once the queue has rebuilt what it can, drop entities nothing mentions any more. */
  collectOrphansAfter(): void {
    if (this.stopping) return;
    this.orphansDue = true;
    this.kick();
  }

  private kick(): void {
    if (this.running || this.stopping) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.dirty.size > 0 || this.orphansDue) this.kick();
      else this.scheduleRetry();
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopping && (this.dirty.size > 0 || this.orphansDue)) {
      const sessionId = this.dirty.size > 0 ? (this.dirty.values().next().value as string) : ORPHANS;
      if (sessionId === ORPHANS) this.orphansDue = false;
      else this.dirty.delete(sessionId);
      try {
        if (sessionId === ORPHANS) await this.collectOrphans();
        else {
          await this.buildSession(sessionId);
          this.processed++;
        }
        this.failed.delete(sessionId);
      } catch (err) {
        if (err instanceof Stopped) {
          // Not built yet: the next open finds it missing and builds it.
          continue;
        }
        if (sessionId !== ORPHANS && (err as { code?: string }).code === 'UNKNOWN_SESSION') {
          // Deleted while it built: its layer writes were refused inside the journal, so nothing is left to build.
          // The entities its refused batch would have shared are collected with the orphans.
          this.failed.delete(sessionId);
          this.orphansDue = true;
          continue;
        }
        const e = err instanceof Error ? err : new Error(String(err));
        this.failed.set(sessionId, e);
        this.lastError = {
          code: (e as { code?: string }).code ?? 'INTERNAL',
          message: `${sessionId === ORPHANS ? 'orphan collection' : `layers for ${sessionId}`}: ${e.message}`,
        };
      }
      if (this.failed.size === 0) {
        this.lastError = null;
        this.retryDelay = RETRY_FIRST_MS;
      }
    }
  }

  /** Failed sessions are tried again after a growing pause, so a cause that goes away (disk space, a lock) heals. */
  private scheduleRetry(): void {
    if (this.failed.size === 0 || this.retryTimer || this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requeueFailed();
      this.kick();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
  }

  private requeueFailed(): void {
    for (const id of this.failed.keys()) {
      if (id === ORPHANS) this.orphansDue = true;
      else this.dirty.add(id);
    }
  }

  /**
   * Resolves once every queued session is built. What failed before is tried again first (a flush asks for
   * convergence); rejects with the first failure that remains.
   */
  async flush(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.requeueFailed();
    while (!this.stopping && (this.running || this.dirty.size > 0 || this.orphansDue)) {
      this.kick();
      await this.running;
    }
    const [first] = this.failed.values();
    if (first) throw first;
  }

  /**
   * Stops building at the next step boundary (one write of a few episodes at most) and waits for it. What is left is
   * found missing and built on the next open.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    await this.running;
  }

  status(): PipelineStatus {
    return {
      queued: this.dirty.size,
      running: this.running !== null,
      processed: this.processed,
      lastError: this.lastError,
    };
  }

  /**
   * Every read here is bounded (a page of ids, a batch of episodes with their vectors): a long session never crosses
   * to the main thread whole, so the app's requests are not stuck behind a structured clone of it.
   */
  private async buildSession(sessionId: string): Promise<void> {
    const { storage } = this.deps;
    await repairChunks(this.deps, sessionId);
    // Nothing to build without a chunk (a session without messages).
    const any = await storage.read('sessionItemsPage', { sessionId, kinds: ['chunk'], afterRowid: 0, limit: 1 });
    if (any.ids.length === 0) return;
    this.deps.checkpoint();
    await buildEpisodes(this.deps, sessionId);
    this.onBuilt?.(sessionId, 'm1');
    this.deps.checkpoint();
    // M2 from what the journal lacks: every episode without an extraction record for its current text, read a page
    // at a time (texts and sources), with vectors only for the batch being extracted.
    let seen: Set<string> | null = null;
    for (let after = 0; ; ) {
      this.deps.checkpoint();
      const page = await storage.read('sessionItemsPage', {
        sessionId,
        kinds: ['episode'],
        afterRowid: after,
        limit: EPISODE_PAGE,
      });
      if (page.last === null) break;
      after = page.last;
      const { items: episodes } = await storage.read('items', { ids: page.ids, withVectors: false });
      const missing = episodes.filter(needsExtraction);
      if (missing.length === 0) continue;
      seen ??= new Set(
        (await storage.read('decisions', { sessionId })).map((d) => decisionKey(d.episodeId, d.candidate)),
      );
      for (let at = 0; at < missing.length; at += M2_BATCH_EPISODES) {
        this.deps.checkpoint();
        const batch = missing.slice(at, at + M2_BATCH_EPISODES);
        const read = await storage.read('items', { ids: batch.map((e) => e.id), withVectors: true });
        const dim = this.deps.embedder.dim;
        const byId = new Map(read.items.map((e, row) => [e.id, row]));
        const batchVectors = new Float32Array(batch.length * dim);
        batch.forEach((e, i) => {
          const row = byId.get(e.id);
          if (row !== undefined && read.vectors)
            batchVectors.set(read.vectors.subarray(row * dim, (row + 1) * dim), i * dim);
        });
        await buildFacts(this.deps, sessionId, batch, batchVectors, seen);
      }
    }
    this.onBuilt?.(sessionId, 'm2');
  }

  /** Removes entities nothing mentions any more (after deletes), so no trace of deleted content stays. */
  async collectOrphans(): Promise<number> {
    const { storage } = this.deps;
    const ids = await storage.read('orphanEntities', {});
    if (ids.length > 0) await storage.deleteItems(ids);
    return ids.length;
  }
}

/** M1 on the pool's workers, next to the rule extractor. */
function poolEpisodeWork(pool: EmbedderPool): EpisodeWork {
  return {
    segment: async (input) => (await pool.layerTask('segment', input)).spans,
    describe: async (input) => (await pool.layerTask('describe', input)).drafts,
  };
}

/**
 * M1 in this thread, for an engine given an Embedder object (tests, embedding): there is no worker to send it to.
 * Its NLP module loads with the first episode, and each task first yields to the event loop, so calls waiting on
 * the main thread get a turn between a session's small tasks rather than after all of them.
 */
function inThreadEpisodeWork(): EpisodeWork {
  let m1: Promise<typeof import('./m1')> | null = null;
  const load = async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    m1 ??= import('./m1');
    return m1;
  };
  return {
    segment: async ({ chunks, vectors, dim }) => (await load()).segment(chunks, vectors, dim),
    describe: async (input) => (await load()).describeSpans(input),
  };
}
