/**
 * npm run bench:locomo -- [--data PATH] [--conversations N] [--skip N] [--embedder static|use-lite|hashing]
 *                          [--keep DIR] [--only "graph only,fused"]
 *
 * Retrieval recall on LoCoMo: each conversation goes into a fresh data directory through all three layers with
 * the default embedder; every question with evidence is asked in several configurations; the ranked results
 * become a ranked list of source turns (dia_id) through provenance; recall@k is the share of a question's
 * evidence turns in the top k. Prints tables (overall, and per category for the fused configuration) beside the
 * LoCoMo paper's DRAGON figures and the baselines measured here, and writes bench/results/locomo.json.
 * `--keep DIR` keeps (and on later runs reuses) the ingested directories, for tuning retrieval alone; `--only`
 * asks only the named configurations and writes no JSON (a partial run is not a result).
 * `--skip N` leaves out the first N conversations (tune on some, report on the others). A run with the default
 * embedder keeps the last USE-lite run's figures beside its own in the JSON (under `use_lite`), for comparison.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/main/engine/engine';
import type { QueryInput } from '../src/shared/schema';
import type { QueryResult } from '../src/shared/types';
import { LOCOMO_PATH, loadLocomo } from '../test/support/locomo';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const DATA = args.get('data') ?? LOCOMO_PATH;
const LIMIT = Number(args.get('conversations') ?? 7);
const SKIP = Number(args.get('skip') ?? 0);
const EMBEDDER = (args.get('embedder') ?? 'static') as 'static' | 'use-lite' | 'hashing';
const KEEP = args.get('keep');
const KS = [5, 10, 25, 50] as const;
const DEPTH = 50;

/** The LoCoMo paper's categories. */
const CATEGORY: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
  5: 'adversarial',
};

type Config = { name: string; input: Partial<QueryInput>; fromItems?: boolean };
const ALL_CONFIGS: Config[] = [
  { name: 'fused', input: { returns: 'messages' } },
  { name: 'fused, items in rank order', input: {}, fromItems: true },
  { name: 'vector only', input: { returns: 'messages', weights: { keyword: 0, graph: 0, time: 0 } } },
  { name: 'keyword only', input: { returns: 'messages', weights: { vector: 0, graph: 0, time: 0 } } },
  { name: 'graph only', input: { returns: 'messages', weights: { vector: 0, keyword: 0, time: 0 } } },
  { name: 'M0 only', input: { returns: 'messages', layers: ['m0'] } },
];

const ONLY = args.get('only')?.split(',');
const CONFIGS = ONLY ? ALL_CONFIGS.filter((c) => ONLY.includes(c.name)) : ALL_CONFIGS;

const PAPER_DRAGON = { '5': 58.8, '10': 67.5, '25': 79.9, '50': 84.8 };
const BASELINES: Record<string, Record<string, number>> = {
  'BM25, speaker-prefixed turns': { '5': 49, '10': 59, '25': 70, '50': 75 },
  'BM25, stop words dropped': { '5': 55, '10': 64, '25': 72, '50': 77 },
  'BM25 + half the better neighbour': { '5': 61, '10': 71, '25': 79, '50': 85 },
  'that + USE-lite by RRF': { '5': 56, '10': 68, '25': 82, '50': 88 },
  'USE-lite alone': { '5': 27, '10': 38, '25': 54, '50': 67 },
};

/** Ranked turn ids from a result: each hit's source messages in rank order, each turn once. */
function turnsOf(r: QueryResult, dia: Map<string, string>): string[] {
  const seen = new Set<string>();
  for (const h of r.hits) {
    for (const m of h.messageIds) {
      const t = dia.get(m);
      if (t) seen.add(t);
    }
  }
  return [...seen];
}

interface Tally {
  n: number;
  sum: Record<string, number>;
}
const tally = (): Tally => ({ n: 0, sum: Object.fromEntries(KS.map((k) => [String(k), 0])) });
const add = (t: Tally, ranked: string[], evidence: Set<string>) => {
  t.n++;
  for (const k of KS) {
    const top = new Set(ranked.slice(0, k));
    const found = [...evidence].filter((e) => top.has(e)).length;
    t.sum[String(k)] = (t.sum[String(k)] ?? 0) + found / evidence.size;
  }
};
const pct = (t: Tally) =>
  Object.fromEntries(
    KS.map((k) => [String(k), t.n === 0 ? 0 : Number(((100 * (t.sum[String(k)] ?? 0)) / t.n).toFixed(1))]),
  );

const overall = new Map(CONFIGS.map((c) => [c.name, tally()]));
const byCategory = new Map<string, Tally>();
const latencies: number[] = [];
const convs = loadLocomo(DATA).slice(SKIP, SKIP + LIMIT);
const loadBefore = loadavg();
const root = KEEP ?? mkdtempSync(join(tmpdir(), 'strata-bench-locomo-'));
let questions = 0;
let ingestS = 0;
const started = performance.now();

for (const conv of convs) {
  const dir = join(root, `${conv.sampleId}-${EMBEDDER}`);
  const reuse = KEEP !== undefined && existsSync(join(dir, 'ingested'));
  const t0 = performance.now();
  const engine = await Engine.open({ dataDir: dir, embedder: EMBEDDER });
  if (!reuse) {
    for (const s of conv.sessions) {
      const id = `${conv.sampleId}:${s.key}`;
      await engine.createSession({ id, participants: conv.speakers, startedAt: s.startedAt });
      await engine.addMessages(id, s.messages);
    }
    await engine.flush();
    writeFileSync(join(dir, 'ingested'), new Date().toISOString());
    ingestS += (performance.now() - t0) / 1000;
  }
  const dia = new Map<string, string>();
  for (const s of conv.sessions) for (const m of s.messages) dia.set(m.id as string, m.externalId as string);

  let asked = 0;
  for (const qa of conv.qa) {
    const evidence = new Set(qa.evidence.flatMap((e) => e.split(/[;,\s]+/)).filter((e) => /^D\d+:\d+$/.test(e)));
    if (evidence.size === 0) continue;
    asked++;
    for (const c of CONFIGS) {
      const q0 = performance.now();
      const r = await engine.query({ text: qa.question, k: DEPTH, ...c.input });
      if (c.name === 'fused') latencies.push(performance.now() - q0);
      const ranked = turnsOf(r, dia);
      add(overall.get(c.name) as Tally, ranked, evidence);
      if (c.name === 'fused') {
        const cat = CATEGORY[qa.category] ?? String(qa.category);
        if (!byCategory.has(cat)) byCategory.set(cat, tally());
        add(byCategory.get(cat) as Tally, ranked, evidence);
      }
    }
  }
  questions += asked;
  await engine.close();
  console.log(`${conv.sampleId}: ${conv.sessions.length} sessions, ${asked} questions${reuse ? ' (reused)' : ''}`);
}
if (!KEEP) rmSync(root, { recursive: true, force: true });

const recall = Object.fromEntries([...overall].map(([name, t]) => [name, pct(t)]));
const categories = Object.fromEntries([...byCategory].map(([name, t]) => [name, { questions: t.n, ...pct(t) }]));
const sorted = [...latencies].sort((a, b) => a - b);
const RESULTS = new URL('./results/locomo.json', import.meta.url);
/** The USE-lite figures this run is compared with: this run's own, or those kept from the last USE-lite run. */
const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
const useLite =
  EMBEDDER === 'use-lite'
    ? undefined
    : previous.embedder === 'use-lite'
      ? (({ use_lite: _, ...rest }) => rest)(previous)
      : previous.use_lite;
const r2 = (x: number) => Number(x.toFixed(2));
const result = {
  questions,
  conversations: convs.length,
  conversation_ids: convs.map((c) => c.sampleId),
  embedder: EMBEDDER,
  depth: DEPTH,
  recall,
  recall_by_category_fused: categories,
  paper_dragon: PAPER_DRAGON,
  baselines: BASELINES,
  fused_query_p50_ms: Number(percentile(sorted, 50).toFixed(2)),
  fused_query_p95_ms: Number(percentile(sorted, 95).toFixed(2)),
  ingest_s: Number(ingestS.toFixed(1)),
  total_s: Number(((performance.now() - started) / 1000).toFixed(1)),
  command: `npm run bench:locomo${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: { ...machineInfo(), load_before: loadBefore.map(r2), load_after: loadavg().map(r2) },
  ran_at: new Date().toISOString(),
  ...(useLite !== undefined && { use_lite: useLite }),
};

const row = (r: Record<string, number>) => ({ '@5': r['5'], '@10': r['10'], '@25': r['25'], '@50': r['50'] });
console.log(`\nrecall@k over ${questions} questions (%), ${convs.length} conversations, ${EMBEDDER}`);
console.table({
  ...Object.fromEntries(Object.entries(recall).map(([k, v]) => [k, row(v)])),
  'LoCoMo paper, DRAGON over turns': row(PAPER_DRAGON),
  ...Object.fromEntries(Object.entries(BASELINES).map(([k, v]) => [`baseline: ${k}`, row(v)])),
});
console.log('fused, per category');
console.table(
  Object.fromEntries(Object.entries(categories).map(([k, v]) => [k, { questions: v.questions, ...row(v) }])),
);
console.log(`fused query p50 ${result.fused_query_p50_ms} ms, p95 ${result.fused_query_p95_ms} ms (k = ${DEPTH})`);
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
// A partial run (a subset of the conversations) must not overwrite the full run's record.
const out =
  SKIP === 0 && LIMIT >= 7 ? RESULTS : new URL(`./results/locomo-${SKIP}-${SKIP + convs.length}.json`, import.meta.url);
if (ONLY) console.log('--only: no JSON written');
else {
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out.pathname}`);
}
