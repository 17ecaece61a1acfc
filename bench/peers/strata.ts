/**
 * Strata through its engine API: `Engine.open` with `layers: false` (a plain M0 store) and one chunk per message,
 * `addMessages` in calls of up to 500 messages with a few calls in flight, every store written by its own worker, and
 * `engine.query` for search. The engine is given the benchmark's precomputed vectors through an Embedder that looks
 * each text up (so Strata embeds nothing: the same vectors as every other system).
 */
import type { Embedder } from '../../src/main/engine/embed/embedder';
import { hashEmbed } from '../../src/main/engine/embed/hashing';
import { Engine } from '../../src/main/engine/engine';
import type { QueryInput } from '../../src/shared/schema';
import { dirBytes } from './disk';
import type { BenchQuery, PeerSystem } from './types';

/** addMessages calls in flight at once (the storage bench's window). */
const WINDOW = 4;

/**
 * Answers from vectors handed over before each call; a text not handed over (none, unless the engine changes a
 * text before embedding it) is hashed on the spot, which gives the same vector, and counted.
 */
class PrecomputedEmbedder implements Embedder {
  readonly id: string;
  private readonly known = new Map<string, Float32Array>();
  misses = 0;

  constructor(readonly dim: number) {
    this.id = `bench-precomputed-hashing-${dim}`;
  }

  provide(text: string, vector: Float32Array): void {
    this.known.set(text, vector);
  }

  async embed(texts: readonly string[]): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    texts.forEach((t, i) => {
      const v = this.known.get(t);
      if (v) {
        out.set(v, i * this.dim);
        // Dropped once used, so the engine's process does not hold the corpus's vectors.
        this.known.delete(t);
      } else {
        this.misses++;
        hashEmbed(t, this.dim, out, i * this.dim);
      }
    });
    return out;
  }
}

/** The vector store's IVF threshold (the same variable lowers it there). */
const ANN_MIN_ROWS = Number(process.env.STRATA_ANN_MIN_ROWS) || 20_000;

/** Strata through its engine API: exact vector search below the IVF threshold, the IVF index above it. */
export function createStrata(): PeerSystem {
  let engine: Engine;
  let embedder: PrecomputedEmbedder;
  let dir = '';
  let ingested = 0;
  const sessions = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  let failure: unknown = null;

  const annOf = async () => (await engine.stats()).stores.vector?.ann?.find((a) => a.layer === 'm0');
  const annFigures = (ann: Awaited<ReturnType<typeof annOf>>) =>
    ann
      ? {
          ann_rows: ann.rows,
          ann_trained_rows: ann.trainedRows,
          ann_rebuilding: ann.rebuilding,
          ann_delta_rows: ann.deltaRows,
          ann_nlist: ann.nlist,
          ann_nprobe: ann.nprobe,
          ann_self_check_recall: ann.recall,
          ann_train_ms: ann.trainMs,
        }
      : { ann_rows: 0 };

  const query = async (q: BenchQuery, input: Omit<QueryInput, 'text'>): Promise<string[]> => {
    embedder.provide(q.text, q.vector);
    const res = await engine.query({ text: q.text, ...input });
    // One chunk per message: a hit's source message is the corpus item.
    return res.hits.map((h) => h.messageIds[0] ?? h.id);
  };

  const send = async (sessionId: string, messages: Parameters<Engine['addMessages']>[1]): Promise<void> => {
    if (!sessions.has(sessionId)) {
      sessions.add(sessionId);
      await engine.createSession({ id: sessionId, title: sessionId });
    }
    while (inFlight.size >= WINDOW) await Promise.race(inFlight);
    if (failure) throw failure;
    const p = engine.addMessages(sessionId, messages).then(
      (res) => {
        for (const o of Object.values(res.outcomes))
          if (o.status !== 'ok') failure ??= new Error(`${o.store} ${o.status}`);
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  return {
    name: 'strata',
    notes: [
      'Engine.open({layers:false, chunking:{shortTokens:0, maxTokens:1e6}}): one M0 chunk per message, default durability (power: the journal fsyncs every commit)',
      `addMessages in calls of up to 500 messages (one per session run), ${WINDOW} calls in flight; vector, keyword and graph stores written in parallel by their workers`,
      'vector = engine.query weights {keyword:0, graph:0, time:0}; keyword = {vector:0, graph:0, time:0}; hybrid = the defaults',
      `vector search: sqlite-vec's exact scan below ${ANN_MIN_ROWS} vectors, the IVF index in vector.db above (queried right after ingest, before_settle; then after its background training and recall self-check covering the corpus are done, waited for at most --settle-s: settle_ms, outside ingest_per_s)`,
    ],
    async open(d, dim) {
      dir = d;
      embedder = new PrecomputedEmbedder(dim);
      engine = await Engine.open({
        dataDir: dir,
        embedder,
        layers: false,
        chunking: { shortTokens: 0, maxTokens: 1_000_000 },
      });
    },
    async ingest(batch) {
      ingested += batch.ids.length;
      batch.texts.forEach((t, i) => {
        embedder.provide(t, batch.vectors.subarray(i * embedder.dim, (i + 1) * embedder.dim));
      });
      // One addMessages call per run of consecutive items of one session.
      let from = 0;
      for (let i = 1; i <= batch.ids.length; i++) {
        if (i < batch.ids.length && batch.sessions[i] === batch.sessions[from]) continue;
        const messages = [];
        for (let j = from; j < i; j++) {
          messages.push({
            id: batch.ids[j] as string,
            role: 'user' as const,
            speaker: batch.speakers[j] as string,
            text: batch.bodies[j] as string,
            timestamp: batch.timestamps[j] as number,
          });
        }
        await send(batch.sessions[from] as string, messages);
        from = i;
      }
    },
    async finish() {
      await Promise.all(inFlight);
      if (failure) throw failure;
    },
    vectorSearch: (q, k) =>
      query(q, { k, layers: ['m0'], weights: { keyword: 0, graph: 0, time: 0 }, timeMode: 'off', group: false }),
    keywordSearch: (q, k) =>
      query(q, { k, layers: ['m0'], weights: { vector: 0, graph: 0, time: 0 }, timeMode: 'off', group: false }),
    hybridSearch: (q, k) => query(q, { k }),
    async close() {
      await engine.close();
    },
    async settle(boundMs) {
      if (ingested < ANN_MIN_ROWS) return { settled: true };
      const t0 = performance.now();
      for (;;) {
        const ann = await annOf();
        if (ann && ann.recall !== null && ann.rows < 2 * ann.trainedRows && !ann.rebuilding) {
          await new Promise((r) => setTimeout(r, 3000)); // idle folding of the last delta
          return { settled: true, ...annFigures(ann) };
        }
        // Past the bound the queries run on what the engine serves now: exact search over a layer it has not
        // indexed yet, the IVF index of an earlier training (its delta searched exactly) where there is one.
        if (performance.now() - t0 > boundMs) return { settled: false, ...annFigures(ann) };
        await new Promise((r) => setTimeout(r, 2000));
      }
    },
    async progress() {
      return { ...annFigures(await annOf()) };
    },
    diskBytes: () => dirBytes(dir),
    extra: () => ({ texts_embedded_on_the_spot: embedder.misses }),
  };
}
