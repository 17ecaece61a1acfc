/**
 * npm run bench:query -- [--sizes 10000,100000] [--queries N]
 *
 * Query latency on a deterministic synthetic corpus: each chunk is two or three LoCoMo turns recombined by a seeded
 * generator (natural wording, so keyword queries are neither trivial nor match everything), written through the
 * engine API with the hashing embedder and no M1/M2. Queries are LoCoMo questions. Query vectors are embedded once
 * before timing (their cost is reported apart), so the latencies are retrieval alone: hybrid (all sources), vector
 * only, keyword only. ann_recall_at_10 compares the engine's vector top 10 with a brute-force cosine search in
 * JavaScript over the same hashing vectors. Writes bench/results/query.json (headline figures for the largest size).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashEmbed } from '../src/main/engine/embed/hashing';
import { Engine } from '../src/main/engine/engine';
import { rng } from '../src/shared/rng';
import type { QueryInput } from '../src/shared/schema';
import { loadLocomo } from '../test/support/locomo';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const SIZES = (args.get('sizes') ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(args.get('queries') ?? 200);
const BATCH = 1000;
const r2 = (x: number) => Number(x.toFixed(2));

const convs = loadLocomo();
const turns = convs.flatMap((c) => c.sessions.flatMap((s) => s.messages.map((m) => `${m.speaker}: ${m.text}`)));
const questions = convs.flatMap((c) => c.qa.map((q) => q.question)).slice(0, QUERIES);

function corpus(n: number): string[] {
  const next = rng(7);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts = 2 + Math.floor(next() * 2);
    const picked: string[] = [];
    for (let p = 0; p < parts; p++) picked.push(turns[Math.floor(next() * turns.length)] as string);
    out.push(picked.join(' '));
  }
  return out;
}

/** The true top 10 message ids per question, by cosine over the same hashing vectors the engine stored. */
function bruteForceTop10(texts: string[], dim: number): string[][] {
  const vecs = new Float32Array(texts.length * dim);
  // The engine embeds each chunk's text, which is the message prefixed with its speaker.
  for (let i = 0; i < texts.length; i++) hashEmbed(`bench: ${texts[i]}`, dim, vecs, i * dim);
  const q = new Float32Array(dim);
  return questions.map((text) => {
    q.fill(0);
    hashEmbed(text, dim, q, 0);
    const best: [number, number][] = [];
    for (let i = 0; i < texts.length; i++) {
      let dot = 0;
      for (let d = 0, o = i * dim; d < dim; d++) dot += (vecs[o + d] as number) * (q[d] as number);
      if (best.length < 10 || dot > (best[9] as [number, number])[0]) {
        best.push([dot, i]);
        best.sort((a, b) => b[0] - a[0]);
        if (best.length > 10) best.pop();
      }
    }
    return best.map(([, i]) => `m${i}`);
  });
}

async function timed(
  engine: Engine,
  input: Partial<QueryInput>,
): Promise<{ p50: number; p95: number; ids: string[][] }> {
  const lat: number[] = [];
  const ids: string[][] = [];
  for (const text of questions) {
    const t0 = performance.now();
    const r = await engine.query({ text, k: 10, ...input });
    lat.push(performance.now() - t0);
    ids.push(r.hits.map((h) => h.messageIds[0] ?? h.id));
  }
  const s = lat.sort((a, b) => a - b);
  return { p50: r2(percentile(s, 50)), p95: r2(percentile(s, 95)), ids };
}

const results: Record<string, Record<string, number>> = {};
for (const size of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-query-'));
  const engine = await Engine.open({
    dataDir: dir,
    embedder: 'hashing',
    layers: false,
    chunking: { shortTokens: 0, maxTokens: 1_000_000 },
    durability: 'process',
  });
  await engine.createSession({ id: 'bench' });
  const texts = corpus(size);
  const t0 = performance.now();
  for (let i = 0; i < size; i += BATCH) {
    await engine.addMessages(
      'bench',
      texts.slice(i, i + BATCH).map((text, j) => ({ id: `m${i + j}`, role: 'user', speaker: 'bench', text })),
    );
  }
  await engine.flush();
  const ingestS = (performance.now() - t0) / 1000;

  // Query embeddings, once, apart: later queries find them in the embedder's cache.
  let embedMs = 0;
  for (const q of questions) {
    const r = await engine.query({ text: q, k: 1, weights: { keyword: 0, graph: 0, time: 0 } });
    embedMs += r.trace.spans.find((s) => s.source === 'embed')?.durationMs ?? 0;
  }
  embedMs /= questions.length;

  const vectorOnly = { weights: { keyword: 0, graph: 0, time: 0 }, group: false };
  const hybrid = await timed(engine, {});
  const vector = await timed(engine, vectorOnly);
  const keyword = await timed(engine, { weights: { vector: 0, graph: 0, time: 0 }, group: false });
  let agree = 0;
  let total = 0;
  bruteForceTop10(texts, 512).forEach((want, i) => {
    const got = new Set(vector.ids[i]);
    agree += want.filter((id) => got.has(id)).length;
    total += want.length;
  });
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  results[String(size)] = {
    chunks: size,
    ingest_per_s: Math.round(size / ingestS),
    hybrid_p50_ms: hybrid.p50,
    hybrid_p95_ms: hybrid.p95,
    vector_p50_ms: vector.p50,
    vector_p95_ms: vector.p95,
    keyword_p50_ms: keyword.p50,
    keyword_p95_ms: keyword.p95,
    ann_recall_at_10: Number((agree / Math.max(1, total)).toFixed(3)),
    query_embed_ms: r2(embedMs),
  };
  console.log(`${size} chunks done`);
}

const largest = results[String(Math.max(...SIZES))] as Record<string, number>;
const result = {
  chunks: largest.chunks,
  p50_ms: largest.hybrid_p50_ms,
  p95_ms: largest.hybrid_p95_ms,
  ann_recall_at_10: largest.ann_recall_at_10,
  query_embed_ms: largest.query_embed_ms,
  sizes: results,
  queries: questions.length,
  embedder: 'hashing-512',
  command: `npm run bench:query${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: machineInfo(),
  ran_at: new Date().toISOString(),
};
console.table(results);
console.log(
  `goals at 100,000: hybrid p50 ≤ 15 ms, p95 ≤ 40 ms, ann_recall_at_10 ≥ 0.95; ` +
    `measured at ${result.chunks}: ${result.p50_ms} / ${result.p95_ms} ms, ${result.ann_recall_at_10}`,
);
writeFileSync(new URL('./results/query.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/query.json');
