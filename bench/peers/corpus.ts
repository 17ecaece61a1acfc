/**
 * The peers benchmark's corpus: every LoCoMo turn of the seven conversations (speaker-prefixed), filled up to the
 * requested size with deterministic synthetic chunks, every text embedded once with Strata's hashing embedder, and
 * LoCoMo questions as queries with their exact top 10 (brute-force cosine over the same vectors). Built once by the
 * parent into a cache folder; each child process streams it batch by batch, so the corpus never sits in a child's
 * memory (its peak RSS is the system's, plus the one batch in hand).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { hashEmbed, hashEmbedAll } from '../../src/main/engine/embed/hashing';
import { loadLocomo } from '../../test/support/locomo';
import { syntheticChunks } from '../synthetic';
import type { BenchQuery, CorpusBatch } from './types';

const FORMAT = 1;
/** Synthetic items get one fixed date (1 June 2023, inside LoCoMo's range). */
const SYNTHETIC_TS = Date.UTC(2023, 5, 1);

interface ItemLine {
  id: string;
  session: string;
  speaker: string;
  body: string;
  ts: number;
}

export interface CorpusQuery {
  text: string;
  vector: number[];
  /** Exact top 10 by cosine, best first. */
  exact: string[];
  /** Every item at least as similar as the 10th (ties included): a returned item in this set counts as a hit. */
  accepted: string[];
}

export interface CorpusInfo {
  dir: string;
  size: number;
  dim: number;
  locomoItems: number;
  queries: number;
}

/** Builds (or reuses) the corpus of `size` items and `nQueries` queries under `root`. */
export function prepareCorpus(root: string, size: number, nQueries: number, dim: number): CorpusInfo {
  const dir = join(root, `corpus-v${FORMAT}-${size}-q${nQueries}-d${dim}`);
  const infoPath = join(dir, 'info.json');
  if (existsSync(infoPath)) return JSON.parse(readFileSync(infoPath, 'utf8')) as CorpusInfo;
  mkdirSync(dir, { recursive: true });

  const conversations = loadLocomo();
  const items: ItemLine[] = [];
  for (const c of conversations) {
    for (const s of c.sessions) {
      for (const m of s.messages) {
        if (items.length >= size) break;
        items.push({
          id: m.id as string,
          session: c.sampleId,
          speaker: m.speaker ?? 'user',
          body: m.text,
          ts: Number(m.timestamp),
        });
      }
    }
  }
  const locomoItems = items.length;
  const fill = size - items.length;
  if (fill > 0) {
    // Only the texts are used: the vectors come from the hashing embedder like every other text's.
    const synthetic = syntheticChunks(fill, 1, 42);
    synthetic.texts.forEach((t, i) => {
      const colon = t.indexOf(':');
      items.push({
        id: `syn-${i}`,
        session: 'synthetic',
        speaker: t.slice(0, colon),
        body: t.slice(colon + 2),
        ts: SYNTHETIC_TS,
      });
    });
  }
  const texts = items.map(textOf);
  const vectors = hashEmbedAll(texts, dim);
  writeFileSync(join(dir, 'items.jsonl'), `${items.map((it) => JSON.stringify(it)).join('\n')}\n`);
  writeFileSync(join(dir, 'vectors.f32'), Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));

  // Questions taken round-robin over the conversations, so every conversation is asked about.
  const questions: string[] = [];
  for (let i = 0; questions.length < nQueries; i++) {
    let any = false;
    for (const c of conversations) {
      const qa = c.qa[i];
      if (!qa) continue;
      any = true;
      if (questions.length < nQueries) questions.push(qa.question);
    }
    if (!any) break;
  }
  const queries: CorpusQuery[] = questions.map((text) => {
    const q = new Float32Array(dim);
    hashEmbed(text, dim, q, 0);
    return { text, vector: Array.from(q), ...exactTop(q, vectors, items, dim, 10) };
  });
  writeFileSync(join(dir, 'queries.json'), JSON.stringify(queries));
  const info: CorpusInfo = { dir, size, dim, locomoItems, queries: queries.length };
  writeFileSync(`${infoPath}.tmp`, JSON.stringify(info));
  renameSync(`${infoPath}.tmp`, infoPath);
  return info;
}

function textOf(it: ItemLine): string {
  return `${it.speaker}: ${it.body}`;
}

/** Brute-force cosine (the vectors are unit-length, so a dot product) over every item. */
function exactTop(
  q: Float32Array,
  vectors: Float32Array,
  items: ItemLine[],
  dim: number,
  k: number,
): { exact: string[]; accepted: string[] } {
  const n = items.length;
  const sims = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    const base = i * dim;
    for (let d = 0; d < dim; d++) dot += (q[d] as number) * (vectors[base + d] as number);
    sims[i] = dot;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (sims[b] as number) - (sims[a] as number));
  const top = order.slice(0, k);
  const kth = sims[top[top.length - 1] as number] as number;
  const accepted: string[] = [];
  // float32 storage in the systems moves similarities by ~1e-7; anything that close to the 10th is a tie.
  for (const i of order) {
    if ((sims[i] as number) < kth - 1e-5) break;
    accepted.push((items[i] as ItemLine).id);
  }
  return { exact: top.map((i) => (items[i] as ItemLine).id), accepted };
}

export function loadQueries(info: CorpusInfo): (BenchQuery & { exact: string[]; accepted: Set<string> })[] {
  const raw = JSON.parse(readFileSync(join(info.dir, 'queries.json'), 'utf8')) as CorpusQuery[];
  return raw.map((q) => ({
    text: q.text,
    vector: Float32Array.from(q.vector),
    exact: q.exact,
    accepted: new Set(q.accepted),
  }));
}

/** The corpus in batches of `batchSize`, read from disk (1 MiB at a time) as they are needed. */
export function* corpusBatches(info: CorpusInfo, batchSize: number): Generator<CorpusBatch> {
  const textFd = openSync(join(info.dir, 'items.jsonl'), 'r');
  const vectorFd = openSync(join(info.dir, 'vectors.f32'), 'r');
  const chunk = Buffer.alloc(1 << 20);
  // A UTF-8 character can straddle two reads: the decoder keeps its first bytes until the rest arrive.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let textPos = 0;
  const nextLine = (): string => {
    for (;;) {
      const nl = pending.indexOf('\n');
      if (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        return line;
      }
      const got = readSync(textFd, chunk, 0, chunk.length, textPos);
      if (got === 0) throw new Error('corpus items.jsonl ended early');
      textPos += got;
      pending += decoder.write(chunk.subarray(0, got));
    }
  };
  try {
    let index = 0;
    while (index < info.size) {
      const n = Math.min(batchSize, info.size - index);
      const batch: CorpusBatch = {
        ids: [],
        sessions: [],
        speakers: [],
        bodies: [],
        texts: [],
        timestamps: [],
        vectors: new Float32Array(n * info.dim),
      };
      for (let i = 0; i < n; i++) {
        const it = JSON.parse(nextLine()) as ItemLine;
        batch.ids.push(it.id);
        batch.sessions.push(it.session);
        batch.speakers.push(it.speaker);
        batch.bodies.push(it.body);
        batch.texts.push(textOf(it));
        batch.timestamps.push(it.ts);
      }
      readSync(vectorFd, batch.vectors, 0, batch.vectors.byteLength, index * info.dim * 4);
      index += n;
      yield batch;
    }
  } finally {
    closeSync(textFd);
    closeSync(vectorFd);
  }
}
