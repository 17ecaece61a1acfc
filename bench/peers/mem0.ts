/**
 * mem0 open source (`mem0ai/oss`) with `infer: false` (no LLM: each message is stored as a memory as it is) and its
 * default local store (the `memory` provider: a SQLite table of vectors and JSON payloads, searched by scanning every
 * row in JavaScript) plus its default SQLite history. The precomputed vectors go in through its `langchain` embedder
 * hook (any object with embedQuery/embedDocuments). Telemetry is off (MEM0_TELEMETRY=false, MEM0_DIR inside the run
 * folder) and `fetch` is replaced by one that throws, so a network call would fail the run instead of happening.
 * mem0 attaches one metadata object per `add` call, so each item is its own `add` (what infer:false does inside anyway:
 * one insert and one history row per message).
 */
import { join } from 'node:path';
import { Memory } from 'mem0ai/oss';
import { hashEmbed } from '../../src/main/engine/embed/hashing';
import { dirBytes } from './disk';
import type { PeerSystem } from './types';

const USER = 'bench';

/** The parts of mem0's vector store the benchmark calls (it is a private field of Memory). */
interface Mem0Store {
  search(
    query: number[],
    topK: number,
    filters: Record<string, string>,
  ): Promise<{ payload?: Record<string, unknown> }[]>;
}

export function createMem0(): PeerSystem {
  let memory: Memory;
  let dir = '';
  let dim = 0;
  const known = new Map<string, Float32Array>();
  let misses = 0;
  let networkCalls = 0;

  const vectorOf = (text: string): number[] => {
    const v = known.get(text);
    if (v) return Array.from(v);
    misses++;
    const out = new Float32Array(dim);
    hashEmbed(text, dim, out, 0);
    return Array.from(out);
  };
  const embedder = {
    embedQuery: async (text: string) => vectorOf(text),
    embedDocuments: async (texts: string[]) => texts.map(vectorOf),
  };
  const store = (): Mem0Store => (memory as unknown as { vectorStore: Mem0Store }).vectorStore;
  const itemId = (payload: Record<string, unknown> | undefined): string => String(payload?.item_id ?? '');

  return {
    name: 'mem0',
    notes: [
      'mem0ai 3.3.1 mem0ai/oss, infer:false, default local vector store (provider memory: SQLite rows scanned in JS) and SQLite history; one add() per item',
      'vector: its vector store search (exhaustive cosine); hybrid: Memory.search (vector + its BM25 + entity boost, threshold 0); keyword-only: not reachable (its store expects a query lemmatised by a function mem0 does not export)',
    ],
    async open(d, dimension) {
      dir = d;
      dim = dimension;
      globalThis.fetch = (async () => {
        networkCalls++;
        throw new Error('network call refused by the peers benchmark');
      }) as typeof fetch;
      memory = new Memory({
        version: 'v1.1',
        embedder: { provider: 'langchain', config: { model: embedder as never, embeddingDims: dim } },
        vectorStore: {
          provider: 'memory',
          config: { collectionName: 'bench', dimension: dim, dbPath: join(dir, 'vector_store.db') },
        },
        // Never called with infer:false; a local address so that nothing could leave the machine anyway.
        llm: { provider: 'openai', config: { apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1', model: 'unused' } },
        historyStore: { provider: 'sqlite', config: { historyDbPath: join(dir, 'history.db') } },
      });
    },
    async ingest(b) {
      for (let i = 0; i < b.ids.length; i++) {
        const text = b.texts[i] as string;
        known.set(text, b.vectors.subarray(i * dim, (i + 1) * dim));
        await memory.add([{ role: 'user', content: text }], {
          userId: USER,
          infer: false,
          metadata: { item_id: b.ids[i] as string },
        });
        known.delete(text);
      }
    },
    async finish() {
      // Every add() has committed its rows.
    },
    vectorSearch: async (q, k) =>
      (await store().search(Array.from(q.vector), k, { user_id: USER })).map((r) => itemId(r.payload)),
    keywordSearch: null,
    hybridSearch: async (q, k) => {
      known.set(q.text, q.vector);
      const res = await memory.search(q.text, { filters: { user_id: USER }, topK: k, threshold: 0 });
      return res.results.map((r) => itemId(r.metadata as Record<string, unknown> | undefined));
    },
    async close() {
      // mem0's Memory has no close; its SQLite handles go with the process.
    },
    diskBytes: () => dirBytes(dir),
    extra: () => ({ texts_embedded_on_the_spot: misses, network_calls_refused: networkCalls }),
  };
}
