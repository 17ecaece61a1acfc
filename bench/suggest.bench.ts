/**
 * npx tsx bench/suggest.bench.ts -- [--dir /tmp/strata-bench-ui-100000] [--rounds 3]
 *
 * The palette's suggest read (storage/suggest-reads.ts, the SQL of one keystroke) on bench:ui's kept 100,000-item
 * folder, before and after keyword-0003's prefix index: copies of its keyword.db and core.db, one left at its schema,
 * one migrated (timed, rows counted before and after), then every keystroke of bench:ui's 30 phrases typed on each,
 * the two alternating per keystroke (best of `--rounds` each, so both see the same load). Writes bench/results/suggest.json.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { suggestPlan } from '../src/main/engine/retrieval/suggest';
import { MIGRATIONS } from '../src/main/engine/storage/migrations';
import { migrate } from '../src/main/engine/storage/sqlite';
import { createSuggestReads } from '../src/main/engine/storage/suggest-reads';
import { normalizeKey } from '../src/main/engine/text';
import { locomoQuestions } from './locomo-corpus';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const SRC = args.get('dir') ?? join(tmpdir(), 'strata-bench-ui-100000');
const ROUNDS = Number(args.get('rounds') ?? 3);
const ROOT = resolve(import.meta.dirname, '..');
const r2 = (x: number) => Number(x.toFixed(2));

const work = mkdtempSync(join(tmpdir(), 'strata-bench-suggest-'));
const dirs = { before: join(work, 'before'), after: join(work, 'after') };
for (const d of Object.values(dirs)) {
  mkdirSync(d);
  for (const f of ['core.db', 'keyword.db']) copyFileSync(join(SRC, f), join(d, f));
}
const loadBefore = loadavg();

// ---- the migration, on the "after" copy ----
const kwFile = join(dirs.after, 'keyword.db');
const kw = new Database(kwFile);
kw.pragma('journal_mode = WAL');
kw.pragma('cache_size = -32768');
const fromVersion = kw.pragma('user_version', { simple: true }) as number;
const count = () => kw.prepare<[], number>('SELECT count(*) FROM fts_items').pluck().get() ?? 0;
const rowsBefore = count();
const tm = performance.now();
migrate(kw, kwFile, MIGRATIONS.keyword, { dim: 384 });
const migrateMs = performance.now() - tm;
const rowsAfter = count();
kw.pragma('wal_checkpoint(TRUNCATE)');
const pages = (db: Database.Database) =>
  (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
const mbAfter = pages(kw) / 1e6;
kw.close();

// ---- every keystroke of bench:ui's phrases, before and after, alternating ----
const open = (dir: string) => {
  const keyword = new Database(join(dir, 'keyword.db'), { readonly: true });
  const core = new Database(join(dir, 'core.db'), { readonly: true });
  for (const d of [keyword, core]) d.pragma('cache_size = -8192');
  const mb = pages(keyword) / 1e6;
  return { reads: createSuggestReads({ core, keyword }), mb, all: [] as number[], last: [] as number[] };
};
const sides = { before: open(dirs.before), after: open(dirs.after) };
const words = (s: string) =>
  s
    .replace(/[^\p{L}\p{N}' ]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 3);
const phrases = [...new Set(locomoQuestions(200).map((q) => words(q).slice(-2).join(' ')))]
  .filter(Boolean)
  .slice(0, 30);
for (const p of phrases) {
  for (let i = 1; i <= p.length; i++) {
    const text = p.slice(0, i);
    const plan = suggestPlan(text);
    const key = normalizeKey(text.trim());
    const params = {
      matches: plan.matches,
      prefix: plan.prefix,
      entityPrefix: key ? `entity:${key}` : null,
      title: text.trim(),
      limit: 8,
    };
    for (const side of Object.values(sides)) {
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        side.reads.suggest(params);
        best = Math.min(best, performance.now() - t0);
      }
      side.all.push(best);
      if (i === p.length) side.last.push(best);
    }
  }
}
const stats = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return { p50: r2(percentile(s, 50)), p95: r2(percentile(s, 95)), max: r2(s.at(-1) ?? 0) };
};
const out = {
  folder: SRC,
  rows: { before: rowsBefore, after: rowsAfter },
  migration: {
    from_version: fromVersion,
    ms: Math.round(migrateMs),
    keyword_mb_before: r2(sides.before.mb),
    keyword_mb_after: r2(mbAfter),
  },
  keystrokes: sides.before.all.length,
  phrases: phrases.length,
  note: 'the suggest read (SQL + row lookups) of one keystroke, best of rounds; "before" is the schema of the copied folder',
  every_key_ms: { before: stats(sides.before.all), after: stats(sides.after.all) },
  last_key_ms: { before: stats(sides.before.last), after: stats(sides.after.last) },
  load_avg: { before: loadBefore.map(r2), after: loadavg().map(r2) },
  machine: machineInfo(),
  date: new Date().toISOString(),
};
rmSync(work, { recursive: true, force: true });
console.log(
  `suggest read per keystroke, ${rowsBefore.toLocaleString('en-US')} rows, load ${out.load_avg.before[0]} → ${out.load_avg.after[0]}`,
);
for (const k of ['every_key_ms', 'last_key_ms'] as const)
  console.log(`${k.padEnd(14)} before ${JSON.stringify(out[k].before)}  after ${JSON.stringify(out[k].after)}`);
console.log(
  `migration v${fromVersion} → v3: ${out.migration.ms} ms, rows ${rowsBefore} → ${rowsAfter}, keyword.db ${out.migration.keyword_mb_before} → ${out.migration.keyword_mb_after} MB`,
);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'suggest.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/suggest.json');
