/**
 * npm run bench:storage -- [--chunks N] [--batch B] [--window W] [--writes10 K] [--bulk-batch N]
 *
 * Writes the same deterministic chunks (about 600 characters, 512-dim vectors)
 * through the storage manager in `sequential` mode and in `parallel` mode, in one
 * run, then as the bulk path writes an import (new sessions in batches of --bulk-batch chunks, one journal
 * transaction and one fan-out each, two in flight), then through three raw better-sqlite3 workers with no engine
 * (the ceiling), then times K single 10-chunk writeToAll calls. Prints a table and writes
 * bench/results/storage.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StorageManager } from '../src/main/engine/storage/manager';
import { PAGE_SIZE } from '../src/main/engine/storage/migrations';
import type { WriteMode } from '../src/shared/types';
import { machineInfo, parseArgs, percentile, type SyntheticChunks, syntheticChunks } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const CHUNKS = Number(args.get('chunks') ?? 10_000);
const BATCH = Number(args.get('batch') ?? 500);
const WINDOW = Number(args.get('window') ?? 4);
const WRITES10 = Number(args.get('writes10') ?? 1_000);
const BULK_BATCH = Number(args.get('bulk-batch') ?? 2_000);
const DIM = 512;
const root = mkdtempSync(join(tmpdir(), 'strata-bench-storage-'));
const loadBefore = loadavg();

function batchOf(data: SyntheticChunks, from: number, to: number) {
  const items = [];
  for (let i = from; i < to; i++) {
    items.push({
      id: data.ids[i] as string,
      layer: 'm0' as const,
      kind: 'chunk',
      sessionId: 'bench',
      text: data.texts[i] as string,
      sources: [`msg-${i}`],
    });
  }
  return { items, vectors: data.vectors.slice(from * DIM, to * DIM) };
}

/**
 * CPU of the whole process (every thread) while the bulk and the raw runs are timed (open and close left out): on
 * a machine shared with other work the wall clock measures the share of the cores this process got, the CPU what
 * the work costs.
 */
const cpu = { bulk: 0, raw: 0 };
const cpuSince = (c0: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

/** Milliseconds of work per stage (summed span durations); in sequential mode nothing overlaps, so this is the CPU each stage costs. */
const work: Record<WriteMode, Record<string, number>> = { sequential: {}, parallel: {} };

async function engineIngest(mode: WriteMode, data: SyntheticChunks): Promise<number> {
  const dir = join(root, `engine-${mode}`);
  const m = await StorageManager.open({ dataDir: dir, dim: DIM, mode });
  await m.writeToAll({
    sessions: [
      { id: 'bench', title: 'bench', participants: [], startedAt: null, userId: null, agentId: null, createdAt: 0 },
    ],
    items: [],
    vectors: new Float32Array(0),
  });
  // Batches are prepared before the clock starts: only the engine is timed.
  const n = data.ids.length;
  const batches: ReturnType<typeof batchOf>[] = [];
  for (let from = 0; from < n; from += BATCH) batches.push(batchOf(data, from, Math.min(n, from + BATCH)));
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const res = await m.writeToAll(batches[next++] as ReturnType<typeof batchOf>);
      for (const o of Object.values(res.outcomes)) if (o.status !== 'ok') throw new Error(`${o.store} ${o.status}`);
      for (const sp of res.trace.spans) {
        const key = sp.store === 'core' ? 'journal' : (sp.store ?? sp.stage);
        work[mode][key] = (work[mode][key] ?? 0) + sp.durationMs;
      }
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const ms = performance.now() - t0;
  const counts = await Promise.all((['core', 'vector', 'keyword', 'graph'] as const).map((s) => m.storeCounts(s)));
  if (counts.some((c) => c.rows < n)) throw new Error(`missing rows: ${JSON.stringify(counts)}`);
  await m.close();
  return ms;
}

/** The bulk path as an import uses it: each batch new sessions (20 chunks each), `newSessions`, two in flight. */
async function bulkIngest(data: SyntheticChunks): Promise<number> {
  const m = await StorageManager.open({ dataDir: join(root, 'engine-bulk'), dim: DIM });
  const n = data.ids.length;
  const batches: (ReturnType<typeof batchOf> & { sessions: unknown[]; newSessions: true })[] = [];
  for (let from = 0; from < n; from += BULK_BATCH) {
    const b = batchOf(data, from, Math.min(n, from + BULK_BATCH));
    const sessions = new Map<string, unknown>();
    b.items.forEach((it, i) => {
      const sid = `bulk-${Math.floor((from + i) / 20)}`;
      it.sessionId = sid;
      sessions.set(sid, {
        id: sid,
        title: sid,
        participants: [],
        startedAt: null,
        userId: null,
        agentId: null,
        createdAt: 0,
      });
    });
    batches.push({ ...b, sessions: [...sessions.values()], newSessions: true });
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const res = await m.writeToAll(batches[next++] as Parameters<StorageManager['writeToAll']>[0]);
      for (const o of Object.values(res.outcomes)) if (o.status !== 'ok') throw new Error(`${o.store} ${o.status}`);
    }
  };
  await Promise.all([lane(), lane()]);
  const ms = performance.now() - t0;
  cpu.bulk = cpuSince(c0);
  const counts = await Promise.all((['core', 'vector', 'keyword', 'graph'] as const).map((s) => m.storeCounts(s)));
  if (counts.some((c) => c.rows < n)) throw new Error(`missing rows: ${JSON.stringify(counts)}`);
  await m.close();
  return ms;
}

async function rawIngest(data: SyntheticChunks): Promise<number> {
  const dir = join(root, 'raw');
  mkdirSync(dir, { recursive: true });
  const entry = new URL('../out/workers/raw-store.worker.mjs', import.meta.url);
  const workers = (['vector', 'keyword', 'graph'] as const).map(
    (store) =>
      new Worker(entry, {
        workerData: { store, file: join(dir, `${store}.db`), dim: DIM, pageSize: PAGE_SIZE[store] },
      }),
  );
  const batches: { base: number; ids: string[]; texts: string[]; from: number; to: number }[] = [];
  for (let from = 0; from < CHUNKS; from += BATCH) {
    const to = Math.min(CHUNKS, from + BATCH);
    batches.push({ base: from + 1, ids: data.ids.slice(from, to), texts: data.texts.slice(from, to), from, to });
  }
  // The clock starts once every worker has opened its file: only inserting is timed, as for the engine.
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(
    workers.map(
      (w, wi) =>
        new Promise<void>((resolve, reject) => {
          let i = 0;
          const send = () => {
            const b = batches[i++];
            if (!b) {
              resolve();
              return;
            }
            const vectors = wi === 0 ? data.vectors.slice(b.from * DIM, b.to * DIM) : null;
            w.postMessage({ base: b.base, ids: b.ids, texts: b.texts, vectors }, vectors ? [vectors.buffer] : []);
          };
          w.on('message', send);
          w.on('error', reject);
          send();
        }),
    ),
  );
  const ms = performance.now() - t0;
  cpu.raw = cpuSince(c0);
  await Promise.all(workers.map((w) => w.terminate()));
  return ms;
}

async function write10(mode: WriteMode, durability: 'power' | 'process'): Promise<number[]> {
  const m = await StorageManager.open({
    dataDir: join(root, `write10-${mode}-${durability}`),
    dim: DIM,
    mode,
    durability,
  });
  const data = syntheticChunks(10 * (WRITES10 + 50), DIM, 7);
  const lat: number[] = [];
  for (let w = 0; w < WRITES10 + 50; w++) {
    const b = batchOf(data, w * 10, w * 10 + 10);
    const t0 = performance.now();
    const res = await m.writeToAll(b);
    const ms = performance.now() - t0;
    for (const o of Object.values(res.outcomes)) if (o.status !== 'ok') throw new Error(`${o.store} ${o.status}`);
    if (w >= 50) lat.push(ms); // the first 50 warm the workers and statement caches
  }
  await m.close();
  return lat.sort((a, b) => a - b);
}

const data = syntheticChunks(CHUNKS, DIM);
console.log(`storage bench: ${CHUNKS} chunks, batch ${BATCH}, ${WINDOW} writes in flight, ${cpus().length} cores`);
await engineIngest('parallel', syntheticChunks(2_000, DIM, 3)); // warm-up: page cache, code paths
rmSync(join(root, 'engine-parallel'), { recursive: true, force: true });
work.parallel = {}; // only the timed run counts
const sequentialMs = await engineIngest('sequential', data);
const parallelMs = await engineIngest('parallel', data);
const bulkMs = await bulkIngest(data);
const rawMs = await rawIngest(data);
const bulkCpuMs = cpu.bulk;
const rawCpuMs = cpu.raw;
const lat = await write10('parallel', 'power');
const latProcess = await write10('parallel', 'process');
const latSeq = await write10('sequential', 'power');
rmSync(root, { recursive: true, force: true });

const r = (x: number, d = 2) => Number(x.toFixed(d));
const result = {
  chunks: CHUNKS,
  batch: BATCH,
  window: WINDOW,
  dim: DIM,
  sequential_ms: r(sequentialMs, 1),
  parallel_ms: r(parallelMs, 1),
  ratio: r(sequentialMs / parallelMs),
  throughput_chunks_per_s: Math.round(CHUNKS / (parallelMs / 1000)),
  raw_parallel_ms: r(rawMs, 1),
  parallel_vs_raw: r(rawMs / parallelMs),
  bulk_batch: BULK_BATCH,
  bulk_ms: r(bulkMs, 1),
  bulk_chunks_per_s: Math.round(CHUNKS / (bulkMs / 1000)),
  bulk_vs_raw: r(rawMs / bulkMs),
  bulk_reaches_80_pct_of_raw: rawMs / bulkMs >= 0.8,
  bulk_cpu_ms: r(bulkCpuMs, 1),
  raw_cpu_ms: r(rawCpuMs, 1),
  raw_cpu_vs_bulk_cpu: r(rawCpuMs / bulkCpuMs),
  write10_p50_ms: r(percentile(lat, 50), 3),
  write10_p95_ms: r(percentile(lat, 95), 3),
  write10_p99_ms: r(percentile(lat, 99), 3),
  stage_work_ms_sequential: Object.fromEntries(Object.entries(work.sequential).map(([k, v]) => [k, r(v, 1)])),
  stage_work_ms_parallel: Object.fromEntries(Object.entries(work.parallel).map(([k, v]) => [k, r(v, 1)])),
  write10_writes: lat.length,
  write10_durability: 'power',
  write10_process_durability_p50_ms: r(percentile(latProcess, 50), 3),
  write10_process_durability_p95_ms: r(percentile(latProcess, 95), 3),
  write10_process_durability_p99_ms: r(percentile(latProcess, 99), 3),
  write10_sequential_p50_ms: r(percentile(latSeq, 50), 3),
  write10_sequential_p99_ms: r(percentile(latSeq, 99), 3),
  machine: machineInfo(),
  load_before: loadBefore.map((x) => r(x)),
  load_after: loadavg().map((x) => r(x)),
  ran_at: new Date().toISOString(),
};

console.table({
  sequential: { ms: result.sequential_ms, 'chunks/s': Math.round(CHUNKS / (sequentialMs / 1000)) },
  parallel: { ms: result.parallel_ms, 'chunks/s': result.throughput_chunks_per_s },
  [`bulk path (batches of ${BULK_BATCH}, new sessions)`]: { ms: result.bulk_ms, 'chunks/s': result.bulk_chunks_per_s },
  'raw 3 workers (ceiling)': { ms: result.raw_parallel_ms, 'chunks/s': Math.round(CHUNKS / (rawMs / 1000)) },
});
console.log(`bulk path reaches ${(result.bulk_vs_raw * 100).toFixed(0)}% of raw (goal ≥ 80%)`);
console.log(
  `CPU (all threads): bulk ${result.bulk_cpu_ms} ms, raw ${result.raw_cpu_ms} ms: raw costs ${(result.raw_cpu_vs_bulk_cpu * 100).toFixed(0)}% of bulk's CPU`,
);
console.log(
  `ratio sequential/parallel ${result.ratio}x · parallel reaches ${(result.parallel_vs_raw * 100).toFixed(0)}% of raw`,
);
const seqWork = Object.values(work.sequential).reduce((a, b) => a + b, 0);
console.log(
  `work per stage in the sequential run (ms; nothing overlaps there): ${JSON.stringify(result.stage_work_ms_sequential)}` +
    ` = ${seqWork.toFixed(0)} ms, so ${cpus().length} cores need at least ~${(seqWork / cpus().length).toFixed(0)} ms`,
);
console.table({
  'write10 parallel, durability power (fsync)': {
    p50: result.write10_p50_ms,
    p95: result.write10_p95_ms,
    p99: result.write10_p99_ms,
  },
  'write10 parallel, durability process': {
    p50: result.write10_process_durability_p50_ms,
    p95: result.write10_process_durability_p95_ms,
    p99: result.write10_process_durability_p99_ms,
  },
  'write10 sequential, durability power': {
    p50: result.write10_sequential_p50_ms,
    p95: null,
    p99: result.write10_sequential_p99_ms,
  },
});

const outFile = new URL('./results/storage.json', import.meta.url);
let previous: { runs?: Record<string, unknown> } = {};
try {
  previous = JSON.parse(readFileSync(outFile, 'utf8')) as typeof previous;
} catch {
  // first run
}
const runs = { ...(previous.runs ?? {}), [String(CHUNKS)]: result };
const top = CHUNKS === 10_000 ? result : (runs['10000'] ?? result);
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({ ...top, runs }, null, 2)}\n`);
console.log(`wrote bench/results/storage.json`);
