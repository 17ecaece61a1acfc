/**
 * npm run bench:import -- [--conversations 10000] [--messages 20] [--embedder KIND] [--no-layers] [--keep DIR]
 *
 * Issue 14's benchmark: a deterministic synthetic ChatGPT export (N conversations of M messages, a seeded
 * vocabulary, a linear message tree as ChatGPT writes it) imported through the real CLI (`strata import`, a child
 * process) into a fresh data folder with layers on. Reports M0 messages/s (parse and plan apart from the writes),
 * the time until M1/M2 are built, and the CLI process's peak RSS (workers included), beside the machine's load.
 * Each size run replaces its own entry in bench/results/import.json.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../src/shared/rng';
import { machineInfo, parseArgs } from './synthetic';

const args = parseArgs(process.argv.slice(2));
const CONVERSATIONS = Number(args.get('conversations') ?? 10_000);
const PER = Number(args.get('messages') ?? 20);
const EMBEDDER = args.get('embedder');
const LAYERS = args.get('no-layers') === undefined;
const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'results', 'import.json');
/** Keeps the export and the data folder in DIR (to read its traces) instead of a temp folder removed at the end. */
const KEEP = args.get('keep');

const WORDS =
  'garden lisbon tickets concert sister birthday dentist python recipe marathon train flat lease cat vet job library book climbing wall paris berlin moving plan trip budget weekend project thesis chapter coffee bakery piano lesson flight hotel museum river bicycle doctor school teacher friend cousin wedding holiday beach mountain winter summer'.split(
    ' ',
  );
const NAMES = ['Ana', 'Ben', 'Carla', 'Dan', 'Eve', 'Finn', 'Gus', 'Hana'];

/** conversations.json of N conversations, M messages each, the same bytes for the same N, M. */
function syntheticExport(n: number, m: number): string {
  const next = rng(14);
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const parts: string[] = [];
  const t0 = 1_600_000_000;
  for (let c = 0; c < n; c++) {
    const mapping: Record<string, unknown> = { root: { id: 'root', parent: null, children: ['n0'], message: null } };
    const start = t0 + c * 3600;
    for (let i = 0; i < m; i++) {
      const words = Array.from({ length: 8 + Math.floor(next() * 12) }, () => pick(WORDS));
      const text =
        i % 2 === 0
          ? `My ${pick(['sister', 'friend', 'cousin'])} ${pick(NAMES)} and I talked about the ${words.join(' ')}.`
          : `That sounds good: ${words.join(' ')}.`;
      mapping[`n${i}`] = {
        id: `n${i}`,
        parent: i === 0 ? 'root' : `n${i - 1}`,
        children: i + 1 < m ? [`n${i + 1}`] : [],
        message: {
          id: `c${c}-m${i}`,
          author: { role: i % 2 === 0 ? 'user' : 'assistant' },
          create_time: start + i * 30,
          content: { content_type: 'text', parts: [text] },
        },
      };
    }
    parts.push(
      JSON.stringify({
        id: `conv-${c}`,
        title: `Conversation ${c}`,
        create_time: start,
        update_time: start + m * 30,
        current_node: `n${m - 1}`,
        mapping,
      }),
    );
  }
  return `[${parts.join(',\n')}]`;
}

function strata(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'src', 'cli', 'bin.mjs'), ...argv],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...(EMBEDDER && { STRATA_EMBEDDER: EMBEDDER }) },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

if (KEEP) rmSync(KEEP, { recursive: true, force: true });
const work = KEEP ?? mkdtempSync(join(tmpdir(), 'strata-bench-import-'));
if (KEEP) mkdirSync(KEEP, { recursive: true });
try {
  const file = join(work, 'conversations.json');
  const text = syntheticExport(CONVERSATIONS, PER);
  writeFileSync(file, text);
  const loadBefore = loadavg();
  const r = await strata([
    '--data-dir',
    join(work, 'data'),
    '--json',
    'import',
    ...(LAYERS ? [] : ['--no-layers']),
    file,
  ]);
  const loadAfter = loadavg();
  if (r.code !== 0) throw new Error(`strata import exited ${r.code}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as {
    preview: { newMessages: number; sessions: number };
    job: { state: string; embedder?: string };
    timings: { planMs: number; m0Ms: number; totalMs: number; maxRssMb: number };
  };
  const messages = out.preview.newMessages;
  const t = out.timings;
  const writeMs = t.m0Ms - t.planMs;
  const layersMs = t.totalMs - t.m0Ms;
  const row = {
    conversations: CONVERSATIONS,
    messages,
    file_mb: Number((text.length / 1024 / 1024).toFixed(1)),
    embedder: EMBEDDER ?? 'default',
    layers: LAYERS,
    state: out.job.state,
    plan_ms: t.planMs,
    m0_write_ms: writeMs,
    m0_messages_per_s: Math.round((messages * 1000) / writeMs),
    m0_messages_per_s_incl_parse: Math.round((messages * 1000) / t.m0Ms),
    layers_after_m0_ms: LAYERS ? layersMs : null,
    layers_over_m0: LAYERS ? Number((layersMs / t.m0Ms).toFixed(2)) : null,
    total_ms: t.totalMs,
    peak_rss_mb: t.maxRssMb,
    load_before: loadBefore.map((x) => Number(x.toFixed(2))),
    load_after: loadAfter.map((x) => Number(x.toFixed(2))),
    goals: {
      m0_20000_per_s: (messages * 1000) / writeMs >= 20_000,
      layers_within_10x_m0: LAYERS ? layersMs <= 10 * t.m0Ms : null,
      rss_500_mb: t.maxRssMb <= 500,
    },
    at: new Date().toISOString(),
  };
  console.table([row]);
  const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { runs: (typeof row)[] }) : { runs: [] };
  const runs = prev.runs.filter(
    (x) => !(x.conversations === row.conversations && x.embedder === row.embedder && x.layers === row.layers),
  );
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ machine: machineInfo(), runs: [...runs, row] }, null, 2)}\n`);
  console.log(`wrote ${OUT}`);
} finally {
  if (!KEEP) rmSync(work, { recursive: true, force: true });
}
