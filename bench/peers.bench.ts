/**
 * npm run bench:peers -- [--sizes 10000,100000] [--queries 200] [--systems strata,raw-sqlite,...] [--rounds 1]
 *   [--timeout-min 10] [--budget-s 60] [--settle-s 300] [--batch 500] [--out bench/results/peers.json] [--merge]
 *
 * Strata side by side with the stores a user would otherwise pick, on one corpus (every LoCoMo turn, filled with
 * deterministic synthetic chunks to each size) and the same precomputed vectors for every system. Each system ×
 * size runs in a child process of its own (bench/peers/run-one.ts), systems alternating within each size, so peak
 * RSS is per system and one system's failure or hang (killed at the timeout) is recorded, not fatal. Prints a table
 * per size and each figure as a ratio to Strata's, and writes bench/results/peers.json (with --merge, only the
 * systems and sizes of this run are replaced in it, and the run is listed under `merged`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CorpusInfo, prepareCorpus } from './peers/corpus';
import { SYSTEM_ENV, SYSTEM_NAMES } from './peers/systems';
import { EMPTY_FIGURES, type RunFigures, type RunResult } from './peers/types';
import { machineInfo, parseArgs } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const SIZES = (args.get('sizes') ?? '10000').split(',').map(Number);
const QUERIES = Number(args.get('queries') ?? 200);
const SYSTEMS = (args.get('systems') ?? SYSTEM_NAMES.join(',')).split(',');
const ROUNDS = Number(args.get('rounds') ?? 1);
const TIMEOUT_MS = Number(args.get('timeout-min') ?? 10) * 60_000;
const BUDGET_S = Number(args.get('budget-s') ?? 60);
/** How long a system with background index work (Strata's IVF training) is waited for after ingest. */
const SETTLE_S = Number(args.get('settle-s') ?? 300);
const BATCH = Number(args.get('batch') ?? 500);
const OUT = args.get('out') ?? 'bench/results/peers.json';
const MERGE = args.has('merge');
const COMMAND = `npm run bench:peers -- ${process.argv.slice(2).join(' ')}`.trim();
const DIM = 512;
const root = join(tmpdir(), 'strata-bench-peers');
for (const s of SYSTEMS) if (!SYSTEM_NAMES.includes(s)) throw new Error(`unknown system "${s}" (${SYSTEM_NAMES})`);

function runOne(system: string, corpus: CorpusInfo, round: number): Promise<RunResult> {
  const dir = join(root, 'runs', `${system}-${corpus.size}-r${round}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = join(root, 'runs', `${system}-${corpus.size}-r${round}.json`);
  rmSync(out, { force: true });
  const childArgs = [
    '--import',
    'tsx',
    'bench/peers/run-one.ts',
    ...['--system', system, '--corpus', join(corpus.dir, 'info.json'), '--dir', join(dir, 'data'), '--out', out],
    ...['--batch', String(BATCH), '--budget-s', String(BUDGET_S), '--settle-s', String(SETTLE_S)],
  ];
  const failed = (error: string): RunResult => ({
    system,
    size: corpus.size,
    ok: false,
    error,
    figures: { ...EMPTY_FIGURES },
    detail: {},
  });
  return new Promise((resolve) => {
    const started = performance.now();
    // Its own process group, so a hung child is killed with everything it started.
    const child = spawn(process.execPath, childArgs, {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...SYSTEM_ENV[system]?.(dir) },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const secs = ((performance.now() - started) / 1000).toFixed(0);
      if (timedOut) {
        const partial = readResult(out);
        const progress = partial?.detail.progress as { items: number; ms: number } | undefined;
        const r = failed(
          `timed out after ${TIMEOUT_MS / 60_000} min (killed)` +
            (progress ? `; had ingested ${progress.items} items in ${(progress.ms / 1000).toFixed(0)} s` : ''),
        );
        r.detail = partial?.detail ?? {};
        resolve(r);
      } else {
        const r = readResult(out);
        if (!r) resolve(failed(`child exited (code ${code}, signal ${signal}) after ${secs} s with no result`));
        else {
          // Only progress was written: the child died mid-run (out of memory, a native crash).
          if (!r.ok && !r.error) r.error = `child exited (code ${code}, signal ${signal}) after ${secs} s mid-run`;
          resolve(r);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    });
  });
}

/** A child's result file, or null when there is none (or only half of one: it was killed while writing). */
function readResult(path: string): RunResult | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunResult;
  } catch {
    return null;
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Per figure, the median over the rounds that produced it. */
function combine(runs: RunResult[]): RunFigures {
  const out = { ...EMPTY_FIGURES };
  for (const key of Object.keys(out) as (keyof RunFigures)[]) {
    out[key] = median(runs.flatMap((r) => (r.figures[key] === null ? [] : [r.figures[key] as number])));
  }
  return out;
}

const COLUMNS: [keyof RunFigures, string][] = [
  ['ingest_per_s', 'ingest/s'],
  ['vector_p50_ms', 'vec p50'],
  ['vector_p95_ms', 'vec p95'],
  ['keyword_p50_ms', 'kw p50'],
  ['hybrid_p50_ms', 'hyb p50'],
  ['hybrid_p95_ms', 'hyb p95'],
  ['recall_at_10', 'recall@10'],
  ['rss_mb', 'RSS MB'],
  ['disk_mb', 'disk MB'],
];

interface PeersFile {
  command: string;
  sizes: number[];
  merged?: { command: string; systems: string[]; sizes: number[]; ran_at: string }[];
  systems: Record<string, Record<string, RunFigures>>;
  runs: Record<string, Record<string, RunResult[]>>;
}
const previous = MERGE && existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as PeersFile) : null;
const results: Record<string, Record<string, RunFigures>> = previous?.systems ?? {};
const details: Record<string, Record<string, RunResult[]>> = previous?.runs ?? {};
console.log(
  `peers bench: sizes ${SIZES.join(', ')}, ${QUERIES} queries, systems ${SYSTEMS.join(', ')}, ${ROUNDS} round(s)`,
);
for (const size of SIZES) {
  const t0 = performance.now();
  const corpus = prepareCorpus(root, size, QUERIES, DIM);
  console.log(
    `corpus ${size}: ${corpus.locomoItems} LoCoMo turns + ${size - corpus.locomoItems} synthetic, ready in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const runs: Record<string, RunResult[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const system of SYSTEMS) {
      const r = await runOne(system, corpus, round);
      runs[system] = [...(runs[system] ?? []), r];
      if (!r.ok) console.log(`  ${system} ${size}: FAILED ${r.error?.split('\n')[0]}`);
    }
  }
  const table: Record<string, Record<string, string | number | null>> = {};
  const ratios: Record<string, Record<string, string>> = {};
  for (const system of SYSTEMS) {
    const rs = runs[system] ?? [];
    const ok = rs.filter((r) => r.ok);
    const fig = ok.length > 0 ? combine(ok) : { ...EMPTY_FIGURES };
    results[system] = { ...results[system], [size]: fig };
    details[system] = { ...details[system], [size]: rs };
    table[system] = Object.fromEntries(COLUMNS.map(([k, label]) => [label, fig[k]]));
    if (ok.length === 0) table[system] = { error: (rs[0]?.error ?? 'no run').split('\n')[0]?.slice(0, 80) ?? null };
  }
  const strata = results.strata?.[size];
  if (strata) {
    for (const system of SYSTEMS) {
      const fig = results[system]?.[size] as RunFigures;
      ratios[system] = Object.fromEntries(
        COLUMNS.map(([k, label]) => {
          const a = fig[k];
          const b = strata[k];
          return [label, a === null || b === null || b === 0 ? '—' : `${(a / b).toFixed(2)}×`];
        }),
      );
    }
  }
  console.log(`\n${size} items (latency in ms, k=10):`);
  console.table(table);
  if (strata) {
    console.log(`${size} items, each figure as a ratio to Strata's (system / strata):`);
    console.table(ratios);
  }
}

writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      command: previous?.command ?? COMMAND,
      merged: [
        ...(previous?.merged ?? []),
        ...(previous ? [{ command: COMMAND, systems: SYSTEMS, sizes: SIZES, ran_at: new Date().toISOString() }] : []),
      ],
      sizes: [...new Set([...(previous?.sizes ?? []), ...SIZES])].sort((a, b) => a - b),
      queries: QUERIES,
      dim: DIM,
      batch: BATCH,
      rounds: ROUNDS,
      k: 10,
      corpus: 'every LoCoMo turn of locomo7.json (3,944, speaker-prefixed), filled with bench/synthetic.ts chunks',
      vectors: "Strata's hashing embedder (512 dims), computed once and given to every system",
      recall: 'vector top 10 against exact brute-force cosine over the same vectors (ties at the 10th count as hits)',
      systems: results,
      runs: details,
      machine: machineInfo(),
      ran_at: new Date().toISOString(),
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${OUT}`);
