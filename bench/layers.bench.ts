/**
 * npm run bench:layers -- [--conversation N] [--writes K]
 *
 * The layers on real storage and the real embedder: 10-message M0 writes with
 * the static embedder (the default), USE-lite and hashing (embedding included), the
 * seed system's M1 (8 episodes) and M2 (10 items) storage cases in sequential and
 * parallel mode, embedding throughput (static on one thread; USE-lite on one worker
 * and on the pool), and one whole LoCoMo conversation through all three layers with
 * the static embedder and with USE-lite, against embedding that conversation's texts
 * and nothing else. Prints a table and writes bench/results/layers.json with the
 * machine's load average beside the figures.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbedderPool } from '../src/main/engine/embed/pool';
import { loadStaticModel } from '../src/main/engine/embed/static';
import { Engine } from '../src/main/engine/engine';
import { StorageManager } from '../src/main/engine/storage/manager';
import type { WriteMode } from '../src/shared/types';
import { loadLocomo } from '../test/support/locomo';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const CONV = Number(args.get('conversation') ?? 0);
const WRITES = Number(args.get('writes') ?? 30);
const root = mkdtempSync(join(tmpdir(), 'strata-bench-layers-'));
const convs = loadLocomo();
const picked = convs[CONV];
if (!picked) throw new Error(`no conversation ${CONV}`);
const conv = picked;
// Turns from the other conversations, so M0 writes and throughput runs never hit the cache.
const spare = convs.filter((_, i) => i !== CONV).flatMap((c) => c.sessions.flatMap((s) => s.messages));
const r = (x: number, d = 2) => Number(x.toFixed(d));
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

type Kind = 'static' | 'use-lite' | 'hashing';

async function m0Write10(embedder: Kind, offset: number, layers: boolean): Promise<number> {
  const engine = await Engine.open({ dataDir: join(root, `m0-${embedder}-${layers}`), embedder, layers });
  await engine.createSession({ id: 's' });
  await engine.addMessages(
    's',
    spare.slice(offset, offset + 10).map((m) => ({ ...m, id: `warm-${m.id}` })),
  );
  const lat: number[] = [];
  for (let w = 0; w < WRITES; w++) {
    const batch = spare.slice(offset + 10 + w * 10, offset + 20 + w * 10);
    const t0 = performance.now();
    await engine.addMessages('s', batch);
    lat.push(performance.now() - t0);
  }
  await engine.close();
  return median(lat);
}

/** The seed's storage cases: already-built items written to all stores, sequential vs parallel, same run. */
async function storeCase(kind: 'episode' | 'fact', n: number): Promise<Record<WriteMode, number>> {
  const out = {} as Record<WriteMode, number>;
  const pool = await EmbedderPool.open('hashing', { workers: 1 });
  for (const mode of ['sequential', 'parallel'] as const) {
    const m = await StorageManager.open({
      dataDir: join(root, `${kind}-${mode}`),
      dim: 512,
      mode,
      embedderId: pool.id,
    });
    const lat: number[] = [];
    for (let w = 0; w < 60; w++) {
      const texts = spare.slice(w * n, w * n + n).map((t, i) => `${kind} ${w}-${i}: ${t.text}`);
      const items = texts.map((text, i) => ({
        id: `${kind}-${w}-${i}`,
        layer: kind === 'episode' ? ('m1' as const) : ('m2' as const),
        kind,
        sessionId: 's',
        text,
        sources: [`chunk-${w}-${i}`],
        data: { built: true },
      }));
      const vectors = await pool.embed(texts);
      const t0 = performance.now();
      await m.writeToAll({ items, vectors });
      if (w >= 10) lat.push(performance.now() - t0);
    }
    await m.close();
    out[mode] = median(lat);
  }
  await pool.close();
  return out;
}

async function embedRate(workers: number, texts: string[]): Promise<number> {
  const pool = await EmbedderPool.open('use-lite', { workers, cacheEntries: 0 });
  await pool.embed(texts.slice(0, 4)); // warm the model
  const t0 = performance.now();
  await pool.embed(texts.slice(4));
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  return (texts.length - 4) / s;
}

/** The static embedder on this thread: every LoCoMo turn as the engine embeds it, over and over, for ~2 s. */
function staticRate(): number {
  const model = loadStaticModel();
  const turns = convs.flatMap((c) => c.sessions.flatMap((s) => s.messages.map((m) => `${m.speaker}: ${m.text}`)));
  model.embedSync(turns.slice(0, 200)); // compile the hot loop
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (let i = 0; i < turns.length; i += 10) model.embedSync(turns.slice(i, i + 10));
    n += turns.length;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function ingest(
  embedder: Kind,
): Promise<{ s: number; texts: string[]; stats: Awaited<ReturnType<Engine['stats']>> }> {
  const t0 = performance.now();
  const engine = await Engine.open({ dataDir: join(root, `ingest-${embedder}`), embedder });
  for (const s of conv.sessions) {
    const id = `${conv.sampleId}:${s.key}`;
    await engine.createSession({ id, participants: conv.speakers, startedAt: s.startedAt });
    await engine.addMessages(id, s.messages);
  }
  await engine.flush();
  const s = (performance.now() - t0) / 1000;
  const stats = await engine.stats();
  const texts: string[] = [];
  for (const layer of ['m0', 'm1', 'm2'] as const) {
    for (let offset = 0; ; offset += 1000) {
      const page = await engine.list(layer, {}, { limit: 1000, offset });
      texts.push(...page.items.map((i) => i.text));
      if (offset + 1000 >= page.total) break;
    }
  }
  await engine.close();
  return { s, texts, stats };
}

const loadBefore = loadavg();
console.log(
  `layers bench: LoCoMo conversation ${conv.sampleId}, ${availableParallelism()} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
);
// The M0 path alone (the seed's case), then the same writes while M1 and M2 build in the background.
const m0Static = await m0Write10('static', 2800, false);
const m0StaticLayers = await m0Write10('static', 3200, true);
const staticPerS = staticRate();
const m0Use = await m0Write10('use-lite', 0, false);
const m0Hash = await m0Write10('hashing', 2000, false);
const m0UseLayers = await m0Write10('use-lite', 400, true);
const m0HashLayers = await m0Write10('hashing', 2400, true);
const m1 = await storeCase('episode', 8);
const m2 = await storeCase('fact', 10);
const rateTexts = spare.slice(700, 824).map((m) => `${m.speaker}: ${m.text}`);
const single = await embedRate(1, rateTexts);
const pooled = await embedRate(availableParallelism(), rateTexts);

// The whole conversation through every layer: the static default, then USE-lite as it was.
const staticIngest = await ingest('static');
const useIngest = await ingest('use-lite');
const { texts, stats } = useIngest;
const ingestS = staticIngest.s;
const embedOnly = await EmbedderPool.open('use-lite', { cacheEntries: 0 });
const t1 = performance.now();
await embedOnly.embed(texts);
const embedOnlyS = (performance.now() - t1) / 1000;
await embedOnly.close();
rmSync(root, { recursive: true, force: true });

const result = {
  m0_write10_p50_ms_static: r(m0Static, 3),
  m0_write10_p50_ms_static_with_layers: r(m0StaticLayers, 3),
  embed_static_per_s: r(staticPerS, 0),
  m0_write10_p50_ms_use: r(m0Use),
  m0_write10_p50_ms_hashing: r(m0Hash, 3),
  m0_write10_p50_ms_use_with_layers: r(m0UseLayers),
  m0_write10_p50_ms_hashing_with_layers: r(m0HashLayers, 3),
  m1_8episodes_sequential_ms: r(m1.sequential, 3),
  m1_8episodes_parallel_ms: r(m1.parallel, 3),
  m2_10items_sequential_ms: r(m2.sequential, 3),
  m2_10items_parallel_ms: r(m2.parallel, 3),
  embed_single_per_s: r(single, 1),
  embed_pool_per_s: r(pooled, 1),
  embed_pool_speedup: r(pooled / single),
  locomo_embed_only_s: r(embedOnlyS),
  locomo_conversation_ingest_s: r(ingestS),
  locomo_conversation_ingest_s_use: r(useIngest.s),
  ingest_over_embed_only: r(useIngest.s / embedOnlyS),
  conversation: conv.sampleId,
  messages: conv.sessions.reduce((n, s) => n + s.messages.length, 0),
  texts_embedded: texts.length,
  layer_counts: stats.layers,
  layer_counts_static: staticIngest.stats.layers,
  machine: { ...machineInfo(), load_before: loadBefore.map((l) => r(l)), load_after: loadavg().map((l) => r(l)) },
  ran_at: new Date().toISOString(),
};
console.table({
  'M0 10 messages, static (p50 ms)': { value: result.m0_write10_p50_ms_static, goal: '≤ 2' },
  'M0 10 messages while M1/M2 build, static (p50 ms)': { value: result.m0_write10_p50_ms_static_with_layers, goal: '' },
  'embed, static, one thread (turns/s)': { value: result.embed_static_per_s, goal: '≥ 20,000' },
  'M0 10 messages, USE-lite (p50 ms)': { value: result.m0_write10_p50_ms_use, goal: '≤ 50' },
  'M0 10 messages, hashing (p50 ms)': { value: result.m0_write10_p50_ms_hashing, goal: '≤ 2' },
  'M0 10 messages while M1/M2 build, USE-lite / hashing (p50 ms)': {
    value: `${result.m0_write10_p50_ms_use_with_layers} / ${result.m0_write10_p50_ms_hashing_with_layers}`,
    goal: '',
  },
  'M1 8 episodes sequential / parallel (ms)': {
    value: `${result.m1_8episodes_sequential_ms} / ${result.m1_8episodes_parallel_ms}`,
    goal: 'parallel ≤ 5',
  },
  'M2 10 items sequential / parallel (ms)': {
    value: `${result.m2_10items_sequential_ms} / ${result.m2_10items_parallel_ms}`,
    goal: 'parallel ≤ 5',
  },
  'embed, 1 worker (turns/s)': { value: result.embed_single_per_s, goal: '' },
  'embed, pool (turns/s)': {
    value: `${result.embed_pool_per_s} (${result.embed_pool_speedup}x)`,
    goal: '≥ 150 and ≥ 1.7x',
  },
  'LoCoMo conversation: USE-lite embed only (s)': { value: result.locomo_embed_only_s, goal: '' },
  'LoCoMo conversation: full ingest, static (s)': { value: result.locomo_conversation_ingest_s, goal: '≤ 5' },
  'LoCoMo conversation: full ingest, USE-lite (s)': {
    value: `${result.locomo_conversation_ingest_s_use} (${result.ingest_over_embed_only}x embed only)`,
    goal: '',
  },
});
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/layers.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/layers.json');
