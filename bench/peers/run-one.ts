/**
 * One system at one size, in a process of its own (so its peak RSS is its own):
 *   tsx bench/peers/run-one.ts --system NAME --corpus INFO_JSON --dir WORK_DIR --out RESULT_JSON
 *     [--batch 500] [--budget-s 60] [--k 10] [--settle-s 300] [--early-s 10]
 * Ingests the corpus batch by batch (timed to the end of `finish`), runs every query through each search the system
 * has (each search for at most `budget-s` seconds, and at least 10 queries), then writes a RunResult to --out.
 * A system with background index work (`settle`) is also queried right after ingest, before that work ends (each
 * search for `early-s` seconds: `detail.before_settle`), and waits for it at most `settle-s` seconds: past that bound
 * it is queried as it then is, and `detail.settled` says so.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, percentile } from '../synthetic';
import { type CorpusInfo, corpusBatches, loadQueries } from './corpus';
import { SYSTEMS } from './systems';
import { EMPTY_FIGURES, type RunResult, type Search } from './types';

const args = parseArgs(process.argv.slice(2));
const systemName = args.get('system') ?? '';
const info = JSON.parse(readFileSync(args.get('corpus') ?? '', 'utf8')) as CorpusInfo;
const dir = args.get('dir') ?? '';
const out = args.get('out') ?? '';
const BATCH = Number(args.get('batch') ?? 500);
const BUDGET_MS = Number(args.get('budget-s') ?? 60) * 1000;
const K = Number(args.get('k') ?? 10);
const SETTLE_MS = Number(args.get('settle-s') ?? 300) * 1000;
const EARLY_MS = Number(args.get('early-s') ?? 10) * 1000;
const MIN_QUERIES = 10;
/** A search slower than this gets no more warm-up and as few as SLOW_MIN_QUERIES timed queries. */
const SLOW_MS = 1_000;
const SLOW_MIN_QUERIES = 3;
const WARM_UP = 2;
const PROGRESS_MS = 5_000;

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const ms = (x: number): number => Math.round(x * 100) / 100;

const result: RunResult = {
  system: systemName,
  size: info.size,
  ok: false,
  error: null,
  figures: { ...EMPTY_FIGURES },
  detail: {},
};
const errors: Record<string, string> = {};
const errorText = (err: unknown): string =>
  (err instanceof Error ? (err.stack ?? err.message) : String(err)).slice(0, 2000);

async function main(): Promise<void> {
  const make = SYSTEMS[systemName];
  if (!make) throw new Error(`unknown system "${systemName}"`);
  const queries = loadQueries(info);
  mkdirSync(dir, { recursive: true });
  const system = await make();
  result.detail.notes = system.notes;
  result.detail.rss_before_open_mb = mb(process.memoryUsage().rss);
  await system.open(dir, info.dim);

  let readMs = 0;
  let ingested = 0;
  let lastProgress = performance.now();
  let finishMs = 0;
  const t0 = performance.now();
  const batches = corpusBatches(info, BATCH);
  for (;;) {
    const r0 = performance.now();
    const next = batches.next();
    readMs += performance.now() - r0;
    if (next.done) break;
    await system.ingest(next.value);
    ingested += next.value.ids.length;
    if (performance.now() - lastProgress > PROGRESS_MS) {
      // Left behind in case the parent has to kill this run: how far it got.
      lastProgress = performance.now();
      result.detail.progress = { items: ingested, ms: ms(lastProgress - t0) };
      writeFileSync(out, JSON.stringify(result, null, 2));
    }
  }
  const f0 = performance.now();
  await system.finish();
  finishMs = performance.now() - f0;
  const ingestMs = performance.now() - t0;
  result.figures.ingest_per_s = Math.round(info.size / (ingestMs / 1000));
  result.detail.progress = undefined;
  Object.assign(result.detail, { ingest_ms: ms(ingestMs), finish_ms: ms(finishMs), read_ms: ms(readMs) });
  log(`ingested ${info.size} in ${ingestMs.toFixed(0)} ms (finish ${finishMs.toFixed(0)} ms)`);
  const counts = { vector: 0, keyword: 0, hybrid: 0 };
  const timed = async (
    kind: 'vector' | 'keyword' | 'hybrid',
    search: Search | null,
    onIds: (ids: string[], i: number) => void,
    budgetMs = BUDGET_MS,
  ): Promise<number[] | null> => {
    if (!search) return null;
    try {
      let slow = false;
      for (const q of queries.slice(0, WARM_UP)) {
        const w0 = performance.now();
        await search(q, K);
        slow = performance.now() - w0 > SLOW_MS;
        if (slow) break;
      }
      const lat: number[] = [];
      const start = performance.now();
      for (const [i, q] of queries.entries()) {
        const q0 = performance.now();
        const ids = await search(q, K);
        lat.push(performance.now() - q0);
        onIds(ids, i);
        if (performance.now() - start > budgetMs && lat.length >= (slow ? SLOW_MIN_QUERIES : MIN_QUERIES)) break;
      }
      counts[kind] = lat.length;
      log(
        `${kind}: ${lat.length} queries, p50 ${percentile(
          [...lat].sort((a, b) => a - b),
          50,
        ).toFixed(2)} ms`,
      );
      return lat.sort((a, b) => a - b);
    } catch (err) {
      errors[kind] = errorText(err);
      log(`${kind} failed: ${errors[kind]?.split('\n')[0]}`);
      return null;
    }
  };

  if (system.settle) {
    // Before the background work ends: what a person querying right after an import gets.
    let early = 0;
    const v = await timed(
      'vector',
      system.vectorSearch,
      (ids, i) => {
        const q = queries[i] as (typeof queries)[number];
        early += Math.min(K, ids.slice(0, K).filter((id) => q.accepted.has(id)).length) / K;
      },
      EARLY_MS,
    );
    const h = await timed('hybrid', system.hybridSearch, () => undefined, EARLY_MS);
    result.detail.before_settle = {
      vector_p50_ms: v ? ms(percentile(v, 50)) : null,
      recall_at_10: v ? Math.round((early / v.length) * 1000) / 1000 : null,
      hybrid_p50_ms: h ? ms(percentile(h, 50)) : null,
      hybrid_p95_ms: h ? ms(percentile(h, 95)) : null,
      queries: { vector: v?.length ?? 0, hybrid: h?.length ?? 0 },
      ...(await system.progress?.()),
    };
    const s0 = performance.now();
    const settled = await system.settle(SETTLE_MS);
    Object.assign(result.detail, settled, { settle_ms: ms(performance.now() - s0) });
    log(
      `settle ${settled.settled ? 'done' : `not done within ${SETTLE_MS / 1000} s`} after ${(performance.now() - s0).toFixed(0)} ms`,
    );
  }

  let recallSum = 0;
  const vector = await timed('vector', system.vectorSearch, (ids, i) => {
    const q = queries[i] as (typeof queries)[number];
    recallSum += Math.min(K, ids.slice(0, K).filter((id) => q.accepted.has(id)).length) / K;
  });
  if (vector) {
    result.figures.vector_p50_ms = ms(percentile(vector, 50));
    result.figures.vector_p95_ms = ms(percentile(vector, 95));
    result.figures.recall_at_10 = Math.round((recallSum / vector.length) * 1000) / 1000;
  }
  let keywordHits = 0;
  const keyword = await timed('keyword', system.keywordSearch, (ids) => {
    if (ids.length > 0) keywordHits++;
  });
  if (keyword) {
    result.figures.keyword_p50_ms = ms(percentile(keyword, 50));
    result.figures.keyword_p95_ms = ms(percentile(keyword, 95));
    result.detail.keyword_hit_rate = Math.round((keywordHits / keyword.length) * 1000) / 1000;
  }
  let hybridHits = 0;
  const hybrid = await timed('hybrid', system.hybridSearch, (ids) => {
    if (ids.length > 0) hybridHits++;
  });
  if (hybrid) {
    result.figures.hybrid_p50_ms = ms(percentile(hybrid, 50));
    result.figures.hybrid_p95_ms = ms(percentile(hybrid, 95));
    result.detail.hybrid_hit_rate = Math.round((hybridHits / hybrid.length) * 1000) / 1000;
  }
  result.detail.queries = counts;
  Object.assign(result.detail, system.extra?.() ?? {});

  await system.close();
  result.figures.disk_mb = mb(await system.diskBytes());
  result.ok = true;
}

function log(line: string): void {
  process.stderr.write(`[${systemName} ${info.size}] ${line}\n`);
}

try {
  await main();
} catch (err) {
  result.error = errorText(err);
  log(`failed: ${result.error.split('\n')[0]}`);
}
// ru_maxrss is in kilobytes on Linux: the process's peak, worker threads and native threads included.
result.figures.rss_mb = mb(process.resourceUsage().maxRSS * 1024);
if (Object.keys(errors).length > 0) result.detail.errors = errors;
writeFileSync(out, JSON.stringify(result, null, 2));
// Some peers keep handles open (stdio transports, native thread pools): the result is written, so leave now.
process.exit(0);
