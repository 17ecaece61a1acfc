/**
 * npm run bench:query -- [--chunks 100000 | --sizes 10000,100000] [--queries N] [--keep DIR]
 *                          [--embedder static|hashing]
 *
 * Query latency on a deterministic synthetic corpus: each chunk is two or three LoCoMo turns recombined by a seeded
 * generator (natural wording, so keyword queries are neither trivial nor match everything), written through the
 * engine API with no M1/M2. The embedder is the app's default, `static` (real word vectors: clustered, as sentence
 * embeddings are); `--embedder hashing` is the stress case (nearly isotropic vectors, the IVF's worst). Queries are
 * LoCoMo questions. Query vectors are embedded once before timing (their cost is reported apart), so the latencies
 * are retrieval alone: hybrid (all sources), vector only, keyword only. ann_recall_at_10 compares the engine's
 * vector top 10 with exact search (every dot product) over the very vectors vector.db stored, the questions
 * embedded by the same model in this process. Past the IVF threshold the benchmark waits for the index's background
 * training and self-check before timing, and reports the nprobe chosen, the training time, the index's size and the
 * process RSS (every isolate: writers, readers, embed workers). `--keep DIR` builds the corpus in DIR once and reuses
 * it on later runs (the 1M corpus); a build cut short (killed, or a session's end) is resumed from the messages it
 * holds, and only a build that finished is reused as it is (it leaves `corpus.json` beside the files). Each run is merged into bench/results/query.json's `runs` by size; the top-level
 * keys are the 100,000-chunk run's.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EmbedderKind } from '../src/main/engine/embed/embedder';
import { createHashingEmbedder } from '../src/main/engine/embed/hashing';
import { loadStaticModel } from '../src/main/engine/embed/static';
import { Engine } from '../src/main/engine/engine';
import { RowScorer, unitCopy } from '../src/main/engine/storage/ann/kernel';
import { IvfReader } from '../src/main/engine/storage/ann/search';
import { openDatabase } from '../src/main/engine/storage/sqlite';
import type { QueryInput } from '../src/shared/schema';
import type { AnnLayerStatus } from '../src/shared/types';
import { locomoQuestions, recombinedTurns } from './locomo-corpus';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const SIZES = (args.get('chunks') ?? args.get('sizes') ?? '10000,100000').split(',').map(Number);
const KEEP = args.get('keep');
/** The vector store's IVF threshold (the same variable lowers it there). */
const ANN_MIN_ROWS = Number(process.env.STRATA_ANN_MIN_ROWS) || 20_000;
const QUERIES = Number(args.get('queries') ?? 200);
const EMBEDDER = (args.get('embedder') ?? 'static') as EmbedderKind;
if (EMBEDDER !== 'static' && EMBEDDER !== 'hashing') throw new Error(`--embedder static|hashing, not ${EMBEDDER}`);
const BATCH = 1000;
const r2 = (x: number) => Number(x.toFixed(2));

const questions = locomoQuestions(QUERIES);
const corpus = recombinedTurns;

/** The questions' vectors, by the same model the engine embeds with (in this process). */
async function questionVectors(): Promise<Float32Array[]> {
  const model = EMBEDDER === 'static' ? loadStaticModel() : createHashingEmbedder(512);
  const all = await model.embed(questions);
  return questions.map((_, i) => all.slice(i * model.dim, (i + 1) * model.dim));
}

/** Chunk rowid → message id, from vector.db's ids and the journal's derived_from links. */
function messageIds(vdb: Database.Database, cdb: Database.Database): Map<number, string> {
  const messageOf = new Map<string, string>();
  for (const r of cdb
    .prepare<[], { src: string; dst: string }>("SELECT src, dst FROM links WHERE kind = 'derived_from'")
    .iterate())
    messageOf.set(r.src, r.dst);
  const out = new Map<number, string>();
  for (const r of vdb
    .prepare<[], { rowid: number; id: string }>("SELECT rowid, id FROM vec_ids WHERE layer = 'm0'")
    .iterate())
    out.set(r.rowid, messageOf.get(r.id) ?? r.id);
  return out;
}

/**
 * The true top 10 message ids per question: every stored m0 vector of vector.db scored against each question (the
 * kernel over blocks of 4,096 rows, so memory stays small), after the engine closed.
 */
function exactTop10(dir: string, queries: Float32Array[]): string[][] {
  // vec_items is a vec0 table: opened as the engine opens it, with sqlite-vec loaded.
  const vdb = openDatabase(join(dir, 'vector.db'), {
    readonly: true,
    busyTimeoutMs: 5000,
    pageSize: 0,
    loadVec: true,
    synchronous: 'NORMAL',
  });
  const cdb = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    const msg = messageIds(vdb, cdb);
    const dim = queries[0]?.length ?? 512;
    const units = queries.map((q) => unitCopy(q, 0, dim));
    const best = units.map(() => [] as [number, number][]);
    const scorer = new RowScorer();
    const BLOCK = 4096;
    const rows = new Float32Array(BLOCK * dim);
    const ids: number[] = [];
    const flush = () => {
      if (ids.length === 0) return;
      scorer.load(rows, 0, ids.length, dim);
      units.forEach((q, qi) => {
        const s = scorer.score(q, 0);
        const b = best[qi] as [number, number][];
        for (let i = 0; i < ids.length; i++) {
          const v = s[i] as number;
          if (b.length < 10 || v > (b[b.length - 1] as [number, number])[0]) {
            b.push([v, ids[i] as number]);
            b.sort((x, y) => y[0] - x[0]);
            if (b.length > 10) b.pop();
          }
        }
      });
      ids.length = 0;
    };
    for (const r of vdb
      .prepare<[], { rowid: number; embedding: Buffer }>("SELECT rowid, embedding FROM vec_items WHERE layer = 'm0'")
      .iterate()) {
      const v = new Float32Array(r.embedding.buffer, r.embedding.byteOffset, dim);
      rows.set(unitCopy(v, 0, dim), ids.length * dim);
      ids.push(r.rowid);
      if (ids.length === BLOCK) flush();
    }
    flush();
    return best.map((b) => b.map(([, rowid]) => msg.get(rowid) ?? ''));
  } finally {
    vdb.close();
    cdb.close();
  }
}

const STAGES = ['embed', 'vector', 'keyword', 'graph', 'provenance', 'fuse'] as const;

/**
 * The IVF search alone, in this process on vector.db after the engine closed: p50 per query with the WASM kernel
 * (int8 codes re-scored, the default), on float cells, and with the JS loop (same index, same queries), and recall@10 against exact along an nprobe ladder.
 */
function kernelAndCurve(dir: string, queries: Float32Array[], want: string[][], nprobe: number) {
  const vdb = new Database(join(dir, 'vector.db'), { readonly: true });
  const cdb = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    const msg = messageIds(vdb, cdb);
    const units = queries.map((q) => unitCopy(q, 0, q.length));
    const ms: Record<string, number> = {};
    // The default (int8 codes first, re-scored), the same with a 16 MiB cache (most cells missed: scored from the
    // floats SQLite holds), the float cells on the same kernel, and the JS loop.
    for (const [key, kernel, codes, cacheMb] of [
      ['wasm-simd-int8', 'wasm-simd', true, undefined],
      ['wasm-simd-int8-cache16', 'wasm-simd', true, 16],
      ['wasm-simd', 'wasm-simd', false, undefined],
      ['js', 'js', false, undefined],
    ] as const) {
      const reader = new IvfReader(vdb, cacheMb === undefined ? undefined : cacheMb * 2 ** 20, kernel, codes);
      if (!reader.hasIndex('m0')) return null;
      // A full pass first, so every kernel times a warm cell cache (missed cells are admitted after each query, as
      // a reader worker admits them once it has replied).
      for (const q of units) {
        reader.search('m0', q, 50);
        reader.admitPending();
      }
      const lat: number[] = [];
      for (const q of units) {
        const t0 = performance.now();
        reader.search('m0', q, 50);
        lat.push(performance.now() - t0);
        reader.admitPending();
      }
      ms[key] = r2(
        percentile(
          lat.sort((a, b) => a - b),
          50,
        ),
      );
    }
    const reader = new IvfReader(vdb);
    const nlist = reader.index('m0')?.nlist ?? 0;
    const curve: { nprobe: number; recall_at_10: number }[] = [];
    for (const p of [...new Set([8, 16, 32, 48, 64, 96, 128, 192, nprobe])]
      .filter((p) => p <= nlist)
      .sort((a, b) => a - b)) {
      let agree = 0;
      units.forEach((q, i) => {
        const got = new Set(
          (reader.search('m0', q, 50, { nprobe: p }) ?? []).slice(0, 10).map((h) => msg.get(h.rowid) ?? ''),
        );
        reader.admitPending();
        agree += (want[i] ?? []).filter((id) => got.has(id)).length;
      });
      curve.push({ nprobe: p, recall_at_10: Number((agree / (10 * units.length)).toFixed(3)) });
    }
    return {
      ivf_search_p50_ms_wasm: ms['wasm-simd-int8'],
      ivf_search_p50_ms_wasm_cache16: ms['wasm-simd-int8-cache16'],
      ivf_search_p50_ms_wasm_f32: ms['wasm-simd'],
      ivf_search_p50_ms_js: ms.js,
      kernel: reader.kernel(512),
      recall_by_nprobe: curve,
    };
  } finally {
    vdb.close();
    cdb.close();
  }
}

async function timed(
  engine: Engine,
  input: Partial<QueryInput>,
): Promise<{ p50: number; p95: number; ids: string[][]; stages: Record<string, number> }> {
  const lat: number[] = [];
  const ids: string[][] = [];
  // Per stage (the query trace's spans), p50 over the queries: each source, hydration (provenance), fusion, when
  // the last source finished, what the engine did after it, and what the call cost beyond the engine's own trace.
  const per = new Map<string, number[]>();
  const add = (k: string, v: number) => {
    const l = per.get(k) ?? [];
    l.push(v);
    per.set(k, l);
  };
  for (const text of questions) {
    const t0 = performance.now();
    const r = await engine.query({ text, k: 10, ...input });
    const wall = performance.now() - t0;
    lat.push(wall);
    ids.push(r.hits.map((h) => h.messageIds[0] ?? h.id));
    const sums = new Map<string, number>();
    let sourcesEnd = 0;
    for (const sp of r.trace.spans) {
      sums.set(sp.source, (sums.get(sp.source) ?? 0) + sp.durationMs);
      if (sp.source === 'vector' || sp.source === 'keyword' || sp.source === 'graph')
        sourcesEnd = Math.max(sourcesEnd, sp.start + sp.durationMs);
    }
    for (const st of STAGES) add(st, sums.get(st) ?? 0);
    add('sources_done_at', sourcesEnd);
    add('after_sources', r.trace.totalMs - sourcesEnd);
    add('engine_total', r.trace.totalMs);
    add('call_beyond_trace', wall - r.trace.totalMs);
  }
  const s = lat.sort((a, b) => a - b);
  const stages = Object.fromEntries(
    [...per].map(([k, v]) => [
      k,
      r2(
        percentile(
          v.sort((a, b) => a - b),
          50,
        ),
      ),
    ]),
  );
  return { p50: r2(percentile(s, 50)), p95: r2(percentile(s, 95)), ids, stages };
}

const uptime = (): string => {
  try {
    return execSync('uptime').toString().trim();
  } catch {
    return `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`;
  }
};
const fileMb = (dir: string) =>
  Object.fromEntries(
    ['core.db', 'vector.db', 'keyword.db', 'graph.db'].map((f) => {
      const p = join(dir, f);
      return [f, existsSync(p) ? Number((statSync(p).size / 2 ** 20).toFixed(1)) : 0];
    }),
  );

type Row = Record<string, number | string | boolean | null | Record<string, unknown> | unknown[]>;
const results: Record<string, Row> = {};
for (const size of SIZES) {
  // A kept corpus per embedder (the hashing one keeps its old folder name).
  const dir = KEEP
    ? join(KEEP, EMBEDDER === 'hashing' ? `q${size}` : `q${size}-${EMBEDDER}`)
    : mkdtempSync(join(tmpdir(), 'strata-bench-query-'));
  // A kept corpus is whole once its marker is written; before that it is resumed: ids and texts are deterministic and
  // each addMessages call is acknowledged whole or not at all, so the chunks held say where the build stopped.
  const marker = join(dir, 'corpus.json');
  const reuse = KEEP !== undefined && existsSync(marker);
  const started = KEEP !== undefined && existsSync(join(dir, 'core.db'));
  if (KEEP) mkdirSync(dir, { recursive: true });
  const loadBefore = uptime();
  const engine = await Engine.open({
    dataDir: dir,
    embedder: EMBEDDER,
    layers: false,
    chunking: { shortTokens: 0, maxTokens: 1_000_000 },
    durability: 'process',
  });
  const texts = corpus(size);
  const t0 = performance.now();
  let resumedFrom = 0;
  if (!reuse) {
    if (started) {
      resumedFrom = (await engine.layerCounts()).find((c) => c.layer === 'm0' && c.kind === 'chunk')?.n ?? 0;
      console.log(`  resuming the kept corpus at ${resumedFrom} chunks`);
    }
    if (!(await engine.listSessions()).some((x) => x.id === 'bench')) await engine.createSession({ id: 'bench' });
    for (let i = resumedFrom; i < size; i += BATCH) {
      await engine.addMessages(
        'bench',
        texts.slice(i, i + BATCH).map((text, j) => ({ id: `m${i + j}`, role: 'user', speaker: 'bench', text })),
      );
      if (i % 100_000 === 0 && i > 0)
        console.log(`  ${i} chunks written, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    await engine.flush();
  }
  const ingestS = (performance.now() - t0) / 1000;
  if (KEEP && !reuse) {
    const built = {
      chunks: size,
      embedder: EMBEDDER,
      finished_at: new Date().toISOString(),
      last_leg_s: Math.round(ingestS),
    };
    writeFileSync(marker, `${JSON.stringify({ ...built, resumed_from: resumedFrom }, null, 2)}\n`);
  }

  // The IVF index trains in the background past its threshold: wait for a generation covering the corpus that has
  // run its recall self-check (bounded, so a stuck trainer ends the run instead of hanging it).
  const tw = performance.now();
  let ann: AnnLayerStatus | undefined;
  for (;;) {
    ann = (await engine.stats()).stores.vector?.ann?.find((a) => a.layer === 'm0');
    const settled = ann && ann.recall !== null && ann.rows < 2 * ann.trainedRows && !ann.rebuilding;
    if (settled || size < ANN_MIN_ROWS || performance.now() - tw > 3 * 3600_000) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const waitS = (performance.now() - tw) / 1000;
  if (ann) await new Promise((r) => setTimeout(r, 3000)); // idle folding of the last delta
  ann = (await engine.stats()).stores.vector?.ann?.find((a) => a.layer === 'm0');

  // Query embeddings, once, apart: later queries find them in the embedder's cache.
  let embedMs = 0;
  for (const q of questions) {
    const r = await engine.query({ text: q, k: 1, weights: { keyword: 0, graph: 0, time: 0 } });
    embedMs += r.trace.spans.find((s) => s.source === 'embed')?.durationMs ?? 0;
  }
  embedMs /= questions.length;

  const vectorOnly = { weights: { keyword: 0, graph: 0, time: 0 }, group: false };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const hybrid = await timed(engine, {});
  const vector = await timed(engine, vectorOnly);
  const keyword = await timed(engine, { weights: { vector: 0, graph: 0, time: 0 }, group: false });
  clearInterval(sampler);
  const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  // Each isolate's own report (stats().memory): heap, memory outside it, page-cache bounds, IVF cells.
  const isolates = ((await engine.stats()).memory ?? []).map((m) => ({
    isolate: m.isolate,
    heap_used_mb: m.heapUsedMb,
    heap_total_mb: m.heapTotalMb,
    external_mb: m.externalMb,
    ann_cache_mb: m.annCacheMb,
    page_cache_bound_mb: Number((m.connections.reduce((a, c) => a + c.cacheKiB, 0) / 1024).toFixed(1)),
    connections: m.connections.map((c) => c.file).join(' '),
  }));
  await engine.close();
  const files = fileMb(dir);
  const queryVecs = await questionVectors();
  const truth = exactTop10(dir, queryVecs);
  let agree = 0;
  let total = 0;
  truth.forEach((want, i) => {
    const got = new Set(vector.ids[i]);
    agree += want.filter((id) => got.has(id)).length;
    total += want.length;
  });
  const ivf = size >= ANN_MIN_ROWS ? kernelAndCurve(dir, queryVecs, truth, ann?.nprobe ?? 0) : null;
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
  results[String(size)] = {
    chunks: size,
    embedder: EMBEDDER,
    ingest_per_s: reuse || resumedFrom === size ? null : Math.round((size - resumedFrom) / ingestS),
    ingest_s: reuse ? null : Math.round(ingestS),
    ingest_resumed_from: resumedFrom,
    hybrid_p50_ms: hybrid.p50,
    hybrid_p95_ms: hybrid.p95,
    vector_p50_ms: vector.p50,
    vector_p95_ms: vector.p95,
    keyword_p50_ms: keyword.p50,
    keyword_p95_ms: keyword.p95,
    ann_recall_at_10: Number((agree / Math.max(1, total)).toFixed(3)),
    query_embed_ms: r2(embedMs),
    ann_nlist: ann?.nlist ?? 0,
    ann_nprobe: ann?.nprobe ?? 0,
    ann_self_check_recall: ann?.recall ?? null,
    ann_trained_rows: ann?.trainedRows ?? 0,
    ann_train_s: ann ? r2(ann.trainMs / 1000) : 0,
    ann_wait_after_ingest_s: r2(waitS),
    ann_index_mb: ann ? r2(ann.bytes / 2 ** 20) : 0,
    hybrid_stages_p50_ms: hybrid.stages,
    vector_stages_p50_ms: vector.stages,
    ivf_search_p50_ms_wasm: ivf?.ivf_search_p50_ms_wasm ?? null,
    ivf_search_p50_ms_wasm_cache16: ivf?.ivf_search_p50_ms_wasm_cache16 ?? null,
    ivf_search_p50_ms_wasm_f32: ivf?.ivf_search_p50_ms_wasm_f32 ?? null,
    ivf_search_p50_ms_js: ivf?.ivf_search_p50_ms_js ?? null,
    kernel: ivf?.kernel ?? null,
    recall_by_nprobe: ivf?.recall_by_nprobe ?? null,
    files_mb: files,
    rss_after_mb: rssMb,
    rss_peak_during_queries_mb: Math.round(peakRss / 2 ** 20),
    isolates,
    uptime_before: loadBefore,
    uptime_after: uptime(),
    reused_corpus: reuse,
  };
  console.log(`${size} chunks done`, JSON.stringify(results[String(size)]));
}

// Merge with the runs already recorded (a 1M run is made on its own), by size; the headline is the 100k run's.
const path = new URL('./results/query.json', import.meta.url);
let previous: { runs?: Row[] } = {};
try {
  previous = JSON.parse(readFileSync(path, 'utf8')) as { runs?: Row[] };
} catch {
  // first run
}
const command = `npm run bench:query${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const ranAt = new Date().toISOString();
// Runs are kept per size and embedder (earlier runs without the field were hashing); the headline is the 100k
// run with the app's default embedder when there is one.
const keyOf = (r: Row) => `${Number(r.chunks)}:${String(r.embedder ?? 'hashing')}`;
const byChunks = new Map<string, Row>((previous.runs ?? []).map((r) => [keyOf(r), r]));
for (const r of Object.values(results)) byChunks.set(keyOf(r), { ...r, command, ran_at: ranAt });
const runs = [...byChunks.values()].sort(
  (a, b) => Number(a.chunks) - Number(b.chunks) || String(a.embedder).localeCompare(String(b.embedder)),
);
const head = (byChunks.get('100000:static') ?? byChunks.get('100000:hashing') ?? runs[runs.length - 1] ?? {}) as Row;
const result = {
  chunks: head.chunks,
  p50_ms: head.hybrid_p50_ms,
  p95_ms: head.hybrid_p95_ms,
  ann_recall_at_10: head.ann_recall_at_10,
  query_embed_ms: head.query_embed_ms,
  runs,
  queries: questions.length,
  embedder: `${String(head.embedder ?? 'hashing')}-512`,
  command: head.command ?? command,
  machine: machineInfo(),
  ran_at: head.ran_at ?? ranAt,
};
console.table(
  Object.fromEntries(
    Object.entries(results).map(([k, r]) => [
      k,
      Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'object' || v === null)),
    ]),
  ),
);
console.log('hybrid query, p50 per stage (ms; trace spans):');
console.table(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.hybrid_stages_p50_ms])));
console.log('isolates after the queries (stats().memory):');
for (const r of Object.values(results)) console.table(r.isolates);
console.log('IVF search alone (this process) and recall@10 of the bench questions by nprobe:');
for (const r of Object.values(results))
  console.log(
    `  ${r.chunks}: wasm int8 ${r.ivf_search_p50_ms_wasm} ms (16 MiB cache: ${r.ivf_search_p50_ms_wasm_cache16} ms), wasm f32 ${r.ivf_search_p50_ms_wasm_f32} ms, js ${r.ivf_search_p50_ms_js} ms;`,
    JSON.stringify(r.recall_by_nprobe),
  );
console.log(
  'goals: hybrid p50 ≤ 10 ms / p95 ≤ 25 ms at 100k, ≤ 25 / 50 ms at 1M, ann_recall_at_10 ≥ 0.95; ' +
    Object.values(results)
      .map((r) => `${r.chunks}: ${r.hybrid_p50_ms} / ${r.hybrid_p95_ms} ms, recall ${r.ann_recall_at_10}`)
      .join('; '),
);
writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/query.json');
