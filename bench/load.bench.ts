/**
 * npm run bench:load -- [--clients 200] [--seconds 60] [--seed-messages 2000] [--no-layers]
 *
 * The browser-mode bridge under load, as a user's machine runs it: `src/server/serve.ts` in its own process on
 * loopback (hashing embedder, M1/M2 building in the background unless --no-layers), and N concurrent clients in
 * this one, half writing (one new message per call) and half querying (hybrid, k 10), each calling again as soon as
 * it is answered, for a fixed time. Bounded: no call starts after the deadline, and calls still open 60 s after it
 * count as errors. Then every acknowledged write is looked for in the journal (listMessages) and the stores are
 * checked against it (stats after flush). Prints a table and writes bench/results/load.json with the machine's load.
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ApiResult } from '../src/shared/api';
import type { EngineStats } from '../src/shared/app-types';
import { rng } from '../src/shared/rng';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const CLIENTS = Number(args.get('clients') ?? 200);
const SECONDS = Number(args.get('seconds') ?? 60);
const SEED_MESSAGES = Number(args.get('seed-messages') ?? 2000);
const LAYERS = args.get('no-layers') !== 'true';
const SESSIONS = 20;
const DRAIN_MS = 60_000;
const ROOT = resolve(import.meta.dirname, '..');
const WORDS = (
  'river lamp garden violin harbour letter market winter orchard signal pottery marathon puppy aquarium lighthouse ' +
  'choir tomato basil festival recital novel brother sister train bakery museum mountain beach camera guitar'
).split(' ');
const r1 = (x: number) => Number(x.toFixed(1));

async function startServer(dataDir: string, rendererDir: string): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/server/serve.ts',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--renderer-dir',
      rendererDir,
      ...(LAYERS ? [] : ['--no-layers']),
    ],
    { cwd: ROOT, env: { ...process.env, STRATA_EMBEDDER: 'hashing' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const url = await new Promise<URL>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start in 120 s:\n${out}`)), 120_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        ok(new URL(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}`)));
  });
  return { child, url };
}

// The bridge needs a renderer folder to serve; the load is all API, so a one-line page does.
const work = mkdtempSync(join(tmpdir(), 'strata-load-'));
mkdirSync(join(work, 'renderer'));
writeFileSync(join(work, 'renderer', 'index.html'), '<!doctype html><title>Strata</title>');
const { child, url } = await startServer(join(work, 'data'), join(work, 'renderer'));
const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? '';
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS + 8 });

/** One API call over HTTP; resolves its ApiResult (or a transport failure as one). */
function call(method: string, body: unknown[]): Promise<ApiResult<unknown>> {
  const text = JSON.stringify(body);
  return new Promise((ok) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port: url.port,
        path: `/api/${method}`,
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          data += c;
        });
        res.on('end', () => {
          try {
            ok(JSON.parse(data) as ApiResult<unknown>);
          } catch {
            ok({ ok: false, error: { code: 'INTERNAL', message: `HTTP ${res.statusCode}, not JSON` } });
          }
        });
      },
    );
    req.on('error', (err) => ok({ ok: false, error: { code: 'INTERNAL', message: `transport: ${err.message}` } }));
    req.end(text);
  });
}

async function must<T>(method: string, body: unknown[]): Promise<T> {
  const r = await call(method, body);
  if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

const words = (next: () => number, n: number) =>
  Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');

// A memory to search: sessions with messages, written before the clock starts.
const seedRnd = rng(11);
for (let s = 0; s < SESSIONS; s++) await must('createSession', [{ id: `load-${s}`, title: `Load ${s}` }]);
for (let i = 0; i < SEED_MESSAGES; i += 500) {
  const batch = Array.from({ length: Math.min(500, SEED_MESSAGES - i) }, (_, j) => ({
    id: `seed-${i + j}`,
    speaker: (i + j) % 2 ? 'Ann' : 'Bob',
    text: `Seed ${i + j}: the ${words(seedRnd, 12)}.`,
  }));
  await must('addMessages', [`load-${(i / 500) % SESSIONS}`, batch]);
}
await must('flush', []);

interface Sample {
  kind: 'write' | 'query';
  ms: number;
  ok: boolean;
}
const samples: Sample[] = [];
const acknowledged = new Map<string, string>();
const errors: Record<string, number> = {};
const startedAt = performance.now();
const deadline = startedAt + SECONDS * 1000;
const load0 = loadavg();

async function client(i: number): Promise<void> {
  const next = rng(1000 + i);
  const kind: Sample['kind'] = i % 2 === 0 ? 'write' : 'query';
  for (let n = 0; performance.now() < deadline; n++) {
    const t0 = performance.now();
    let r: ApiResult<unknown>;
    let id = '';
    const sessionId = `load-${i % SESSIONS}`;
    if (kind === 'write') {
      id = `w-${i}-${n}`;
      r = await call('addMessages', [
        sessionId,
        [{ id, speaker: 'Ann', text: `Client ${i} says the ${words(next, 10)}.` }],
      ]);
    } else {
      r = await call('query', [{ text: words(next, 3), k: 10 }]);
    }
    samples.push({ kind, ms: performance.now() - t0, ok: r.ok });
    if (r.ok && kind === 'write') acknowledged.set(id, sessionId);
    if (!r.ok) errors[`${kind} ${r.error.code}`] = (errors[`${kind} ${r.error.code}`] ?? 0) + 1;
  }
}

const running = Array.from({ length: CLIENTS }, (_, i) => client(i));
const drained = await Promise.race([
  Promise.all(running).then(() => true),
  new Promise<false>((r) => setTimeout(() => r(false), SECONDS * 1000 + DRAIN_MS).unref()),
]);
const elapsedS = (performance.now() - startedAt) / 1000;
const load1 = loadavg();
if (!drained) errors['calls still open 60 s after the deadline'] = CLIENTS;

// Every acknowledged write is in the journal, and after flush every store holds what the journal holds.
await must('flush', []);
const stored = new Set<string>();
for (let s = 0; s < SESSIONS; s++) {
  for (const m of await must<{ id: string }[]>('listMessages', [`load-${s}`])) stored.add(m.id);
}
const lost = [...acknowledged.keys()].filter((id) => !stored.has(id));
const stats = await must<EngineStats>('stats', []);
const storesMatch = (['vector', 'keyword'] as const).every((s) => stats.stores[s].rows === stats.stores.core.rows);

const exited = new Promise<void>((r) => child.once('exit', () => r()));
child.kill('SIGTERM');
await exited;
agent.destroy();

const of = (kind: Sample['kind']) =>
  samples
    .filter((s) => s.kind === kind)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
const writes = of('write');
const queries = of('query');
const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
const uptime = execSync('uptime').toString().trim();
const result = {
  bench: 'load',
  clients: CLIENTS,
  seconds: SECONDS,
  layers: LAYERS,
  embedder: 'hashing',
  seed_messages: SEED_MESSAGES,
  elapsed_s: r1(elapsedS),
  calls: samples.length,
  throughput_per_s: r1(samples.length / elapsedS),
  writes: writes.length,
  writes_acknowledged: acknowledged.size,
  queries: queries.length,
  errors: errorCount,
  error_kinds: errors,
  lost: lost.length,
  stores_match_journal: storesMatch,
  write_p50_ms: r1(percentile(writes, 50)),
  write_p95_ms: r1(percentile(writes, 95)),
  write_p99_ms: r1(percentile(writes, 99)),
  query_p50_ms: r1(percentile(queries, 50)),
  query_p95_ms: r1(percentile(queries, 95)),
  query_p99_ms: r1(percentile(queries, 99)),
  goals: { errors: 0, lost: 0, query_p95_ms: 200 },
  load_avg_before: load0.map(r1),
  load_avg_after: load1.map(r1),
  uptime,
  machine: machineInfo(),
  at: new Date().toISOString(),
};

console.log(`\nbench:load: ${CLIENTS} clients (half writes, half queries) for ${SECONDS} s on loopback`);
console.table({
  write: {
    calls: writes.length,
    per_s: r1(writes.length / elapsedS),
    p50_ms: result.write_p50_ms,
    p95_ms: result.write_p95_ms,
    p99_ms: result.write_p99_ms,
  },
  query: {
    calls: queries.length,
    per_s: r1(queries.length / elapsedS),
    p50_ms: result.query_p50_ms,
    p95_ms: result.query_p95_ms,
    p99_ms: result.query_p99_ms,
  },
});
console.log(
  `throughput ${result.throughput_per_s}/s · errors ${errorCount} · acknowledged ${acknowledged.size} · lost ${lost.length}` +
    ` · stores match journal: ${storesMatch}`,
);
if (errorCount > 0) console.log('errors:', errors);
console.log(`machine: ${uptime}`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'load.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/load.json');
rmSync(work, { recursive: true, force: true });
process.exit(0);
