/**
 * npm run bench:during-write -- [--messages 10000] [--seed-messages 500] [--idle-queries 60] [--build-seconds 60]
 *   [--embedder static]
 *
 * Issue 12 item 4: a query during a 10,000-message write answers in ≤ 2× its idle time. In one process, the engine
 * as the app opens it (layers on, the default static embedder): a seeded memory, then hybrid queries one after
 * another while nothing writes (idle), then the same kind of queries one after another while one `addMessages` of
 * 10,000 messages runs (during the call), and while the layers it started build in the background (for at most
 * --build-seconds; close() then stops the build at its next step).
 * Prints p50/p95 of each and the ratios to idle, and writes bench/results/during-write.json with the machine's load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/main/engine/engine';
import { rng } from '../src/shared/rng';
import { machineInfo, parseArgs, percentile } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const MESSAGES = Number(args.get('messages') ?? 10_000);
const SEED = Number(args.get('seed-messages') ?? 500);
const BUILD_SECONDS = Number(args.get('build-seconds') ?? 60);
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
const IDLE_QUERIES = Number(args.get('idle-queries') ?? 60);
const EMBEDDER = (args.get('embedder') ?? 'static') as 'static' | 'hashing';
const WORDS = (
  'river lamp garden violin harbour letter market winter orchard signal pottery marathon puppy aquarium lighthouse ' +
  'choir tomato basil festival recital novel brother sister train bakery museum mountain beach camera guitar'
).split(' ');
const NAMES = ['Ann', 'Bob', 'Caroline', 'Melanie', 'Jon'];

const next = rng(7);
const words = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
const messages = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    speaker: NAMES[i % NAMES.length] as string,
    text: `${NAMES[(i + 1) % NAMES.length]} went to the ${words(3)} with ${NAMES[(i + 2) % NAMES.length]} and talked about the ${words(6)}.`,
  }));

const dir = mkdtempSync(join(tmpdir(), 'strata-during-write-'));
const engine = await Engine.open({ dataDir: dir, embedder: EMBEDDER, layers: true });
await engine.createSession({ id: 'seed', title: 'Seed' });
for (let i = 0; i < SEED; i += 500) await engine.addMessages('seed', messages(`seed${i}`, Math.min(500, SEED - i)));
await engine.flush();
log(`seeded ${SEED} messages with their layers`);

const ask = async (): Promise<number> => {
  const t0 = performance.now();
  await engine.query({ text: `what did ${NAMES[Math.floor(next() * NAMES.length)]} say about the ${words(2)}`, k: 10 });
  return performance.now() - t0;
};
// Warm the readers (first query opens the search workers) before anything is timed.
for (let i = 0; i < 5; i++) await ask();

const loadBefore = loadavg();
const idle: number[] = [];
for (let i = 0; i < IDLE_QUERIES; i++) idle.push(await ask());

await engine.createSession({ id: 'big', title: 'Big' });
const batch = messages('big', MESSAGES);
const writeStart = performance.now();
let writeMs = 0;
let writing = true;
const write = engine.addMessages('big', batch).then(() => {
  writeMs = performance.now() - writeStart;
  writing = false;
});
const duringCall: number[] = [];
while (writing) duringCall.push(await ask());
await write;
log(`addMessages of ${MESSAGES} took ${Math.round(writeMs)} ms; ${duringCall.length} queries meanwhile`);
let building = true;
const flushStart = performance.now();
let flushMs = 0;
void engine.flush().then(
  () => {
    flushMs = performance.now() - flushStart;
    building = false;
  },
  () => undefined,
);
const duringBuild: number[] = [];
const buildDeadline = performance.now() + BUILD_SECONDS * 1000;
while (building && performance.now() < buildDeadline) duringBuild.push(await ask());
const stillBuilding = building;
log(
  `${duringBuild.length} queries while the layers built${stillBuilding ? ' (still building: stopped by close)' : ''}`,
);
const loadAfter = loadavg();
const stats = await engine.stats();
await engine.close();
rmSync(dir, { recursive: true, force: true });

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const r2 = (x: number) => Number(x.toFixed(2));
const summary = (xs: number[]) => ({
  n: xs.length,
  p50: r2(percentile(sorted(xs), 50)),
  p95: r2(percentile(sorted(xs), 95)),
});
const idleS = summary(idle);
const callS = summary(duringCall);
const buildS = summary(duringBuild);
const ratio = (a: number, b: number) => r2(a / b);
const result = {
  bench: 'during-write',
  when: new Date().toISOString(),
  machine: machineInfo(),
  load_before: loadBefore.map(r2),
  load_after: loadAfter.map(r2),
  embedder: EMBEDDER,
  layers: true,
  seed_messages: SEED,
  write_messages: MESSAGES,
  write_ms: Math.round(writeMs),
  layers_after_write_ms: stillBuilding ? null : Math.round(flushMs),
  layers_build_observed_s: stillBuilding ? BUILD_SECONDS : null,
  idle_query: idleS,
  query_during_write: callS,
  query_during_layer_build: buildS,
  ratio_p50_during_write: ratio(callS.p50, idleS.p50),
  ratio_p95_during_write: ratio(callS.p95, idleS.p95),
  ratio_p50_during_build: ratio(buildS.p50, idleS.p50),
  ratio_p95_during_build: ratio(buildS.p95, idleS.p95),
  goal: 'query during a 10,000-message write ≤ 2× its idle time',
  layer_counts: stats.layers,
};

console.log(
  `during-write bench: ${MESSAGES} messages in one addMessages, ${EMBEDDER} embedder, layers on, load ${loadBefore.map(r2).join(' ')} → ${loadAfter.map(r2).join(' ')}`,
);
console.table({
  idle: { n: idleS.n, p50_ms: idleS.p50, p95_ms: idleS.p95, 'p50 ×idle': 1, 'p95 ×idle': 1 },
  'during the addMessages call': {
    n: callS.n,
    p50_ms: callS.p50,
    p95_ms: callS.p95,
    'p50 ×idle': result.ratio_p50_during_write,
    'p95 ×idle': result.ratio_p95_during_write,
  },
  'during M1/M2 building after it': {
    n: buildS.n,
    p50_ms: buildS.p50,
    p95_ms: buildS.p95,
    'p50 ×idle': result.ratio_p50_during_build,
    'p95 ×idle': result.ratio_p95_during_build,
  },
});
console.log(
  `write ${result.write_ms} ms, layers after it ${result.layers_after_write_ms ?? `> ${BUILD_SECONDS} s (stopped)`} ms (goal: ratios ≤ 2)`,
);
writeFileSync(new URL('./results/during-write.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/during-write.json');
