/**
 * npm run bench:extraction -- [--conversations conv-26,conv-30] [--embedder hashing|use-lite|…]
 *                             [--llm URL --model NAME] [--keep DIR]
 *
 * M1 and M2 measured against LoCoMo's own gold (issue 16): each conversation goes through all three layers in a
 * fresh data directory, then its facts are scored against the gold observations (best token F1 of the facts
 * derived from each observation's evidence turns, beside the evidence turn itself as the "fact"), its entities
 * against the names the gold writes with a capital, and its episode summaries against the gold session summaries
 * (beside the session's first sentences at the same length). Five conversations are the dev set the rules are
 * tuned on; two are held out and only reported. Prints a table; writes bench/results/extraction.json.
 *
 * The default embedder is hashing: extraction reads no vectors, and only segmentation (where episodes are cut)
 * depends on them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbedderKind } from '../src/main/engine/embed/embedder';
import { Engine } from '../src/main/engine/engine';
import type { Item } from '../src/shared/types';
import { loadLocomo } from '../test/support/locomo';
import {
  type EntityFigures,
  type FactFigures,
  loadLocomoGold,
  round,
  type SummaryFigures,
  scoreEntities,
  scoreFacts,
  scoreSummaries,
} from './extraction-score';
import { machineInfo, parseArgs } from './synthetic';

/** Tuned on these; the other two are held out. */
export const DEV = ['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43'];
export const HELD_OUT = ['conv-44', 'conv-49'];

const args = parseArgs(process.argv.slice(2));
const EMBEDDER = (args.get('embedder') ?? 'hashing') as EmbedderKind;
const WANT = args.get('conversations')?.split(',') ?? [...DEV, ...HELD_OUT];
const LLM_URL = args.get('llm');
const LLM_MODEL = args.get('model') ?? 'default';
const KEEP = args.get('keep');

async function listAll(engine: Engine, layer: 'm1' | 'm2', kind: string): Promise<Item[]> {
  const out: Item[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await engine.list(layer, { kind }, { limit: 1000, offset });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

interface ConversationFigures {
  conversation: string;
  set: 'dev' | 'held-out';
  messages: number;
  episodes: number;
  ingest_s: number;
  facts: FactFigures;
  entities: EntityFigures & { with_fact_links: number };
  summaries: SummaryFigures;
  entity_names: string[];
  sample_facts: string[];
  sample_titles: string[];
}

const gold = new Map(loadLocomoGold().map((g) => [g.sampleId, g]));
const convs = loadLocomo().filter((c) => WANT.includes(c.sampleId));
const root = KEEP ?? mkdtempSync(join(tmpdir(), 'strata-bench-extraction-'));
const loadBefore = loadavg();
const results: ConversationFigures[] = [];

for (const conv of convs) {
  const g = gold.get(conv.sampleId);
  if (!g) throw new Error(`no gold for ${conv.sampleId}`);
  const dir = join(root, conv.sampleId);
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const engine = await Engine.open({
    dataDir: dir,
    embedder: EMBEDDER,
    ...(LLM_URL && { llm: { url: LLM_URL, model: LLM_MODEL } }),
  });
  for (const s of conv.sessions) {
    const id = `${conv.sampleId}:${s.key}`;
    await engine.createSession({ id, participants: conv.speakers, startedAt: s.startedAt });
    await engine.addMessages(id, s.messages);
  }
  await engine.flush();
  const ingestS = (performance.now() - t0) / 1000;

  const prefix = `${conv.sampleId}:`;
  const turnText = new Map<string, string>();
  // The turn as a fact would read it: with its speaker, as every gold observation names one.
  for (const s of conv.sessions) {
    for (const m of s.messages) turnText.set(m.externalId as string, `${m.speaker}: ${m.text}`);
  }
  const facts = await listAll(engine, 'm2', 'fact');
  const entities = await listAll(engine, 'm2', 'entity');
  const episodes = await listAll(engine, 'm1', 'episode');
  const factRows = facts.map((f) => ({
    text: f.text,
    turns: f.sources.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length)),
  }));
  const entityRows = entities.map((e) => ({
    name: String(e.data?.name ?? e.text),
    aliases: (e.data?.aliases as string[] | undefined) ?? [],
  }));
  let withLinks = 0;
  for (const e of entities) {
    const ids = await engine.storage.read('linkedFrom', { dst: e.id, kind: 'mentions' });
    if (ids.length > 0) withLinks++;
  }
  const sessions = conv.sessions.map((s, i) => {
    const id = `${conv.sampleId}:${s.key}`;
    const mine = episodes
      .filter((e) => e.sessionId === id)
      .sort((a, b) => (a.validFrom ?? 0) - (b.validFrom ?? 0) || a.id.localeCompare(b.id));
    return {
      session: Number(/session_(\d+)/.exec(s.key)?.[1] ?? i + 1),
      summaries: mine.map((e) => String(e.data?.summary ?? '')),
      turns: s.messages.map((m) => ({ speaker: m.speaker ?? '', text: m.text })),
    };
  });
  await engine.close();

  const figures: ConversationFigures = {
    conversation: conv.sampleId,
    set: DEV.includes(conv.sampleId) ? 'dev' : 'held-out',
    messages: turnText.size,
    episodes: episodes.length,
    ingest_s: round(ingestS, 1),
    facts: scoreFacts(g.observations, factRows, turnText),
    entities: { ...scoreEntities(entityRows, g.goldText), with_fact_links: withLinks },
    summaries: scoreSummaries(sessions, g.sessionSummaries),
    entity_names: entityRows.map((e) => e.name),
    sample_facts: facts.slice(0, 12).map((f) => f.text),
    sample_titles: episodes.slice(0, 12).map((e) => String(e.data?.title ?? '')),
  };
  results.push(figures);
  console.log(
    `${conv.sampleId} (${figures.set}): ${figures.messages} turns, ${facts.length} facts, ${entities.length} entities, ${episodes.length} episodes, ${figures.ingest_s} s`,
  );
}
if (!KEEP) rmSync(root, { recursive: true, force: true });

/** Observation-weighted means for fact figures, plain means for the rest. */
function pool(list: ConversationFigures[]) {
  if (list.length === 0) return null;
  const obs = list.reduce((a, c) => a + c.facts.observations, 0);
  const w = (pick: (c: ConversationFigures) => number) =>
    round(list.reduce((a, c) => a + pick(c) * c.facts.observations, 0) / obs);
  const mean = (pick: (c: ConversationFigures) => number) => round(list.reduce((a, c) => a + pick(c), 0) / list.length);
  return {
    conversations: list.map((c) => c.conversation),
    observations: obs,
    mean_best_f1: w((c) => c.facts.mean_best_f1),
    share_at_05: w((c) => c.facts.share_at_05),
    share_without_fact: w((c) => c.facts.share_without_fact),
    facts_per_observation: w((c) => c.facts.facts_per_observation),
    baseline_turn_mean_f1: w((c) => c.facts.baseline_turn_mean_f1),
    baseline_turn_share_at_05: w((c) => c.facts.baseline_turn_share_at_05),
    entities_per_conversation: mean((c) => c.entities.entities),
    named_share: mean((c) => c.entities.named_share),
    entities_with_fact_links_share: mean((c) => c.entities.with_fact_links / Math.max(1, c.entities.entities)),
    summary_rouge_l: mean((c) => c.summaries.rouge_l),
    summary_baseline_rouge_l: mean((c) => c.summaries.baseline_rouge_l),
    summary_token_f1: mean((c) => c.summaries.token_f1),
    summary_baseline_token_f1: mean((c) => c.summaries.baseline_token_f1),
  };
}

const dev = pool(results.filter((r) => r.set === 'dev'));
const heldOut = pool(results.filter((r) => r.set === 'held-out'));
const loadAfter = loadavg();

const pct = (x: number) => `${round(x * 100, 1)} %`;
const rows: [string, (p: NonNullable<typeof dev>) => string, string][] = [
  ['mean best token F1 of facts', (p) => String(p.mean_best_f1), '≥ 0.55'],
  ['  baseline: the evidence turn', (p) => String(p.baseline_turn_mean_f1), ''],
  ['observations at F1 ≥ 0.5', (p) => pct(p.share_at_05), '≥ 65 %'],
  ['  baseline: the evidence turn', (p) => pct(p.baseline_turn_share_at_05), ''],
  ['observations without a fact', (p) => pct(p.share_without_fact), '≤ 5 %'],
  ['facts per observation', (p) => String(p.facts_per_observation), '≤ 3'],
  ['entities per conversation', (p) => String(p.entities_per_conversation), '≤ half of today'],
  ['entities named in the gold', (p) => pct(p.named_share), '≥ 50 %'],
  ['entities with linked facts', (p) => pct(p.entities_with_fact_links_share), ''],
  ['episode summaries, ROUGE-L', (p) => String(p.summary_rouge_l), '> baseline'],
  ['  baseline: first sentences', (p) => String(p.summary_baseline_rouge_l), ''],
  ['episode summaries, token F1', (p) => String(p.summary_token_f1), '> baseline'],
  ['  baseline: first sentences', (p) => String(p.summary_baseline_token_f1), ''],
];
console.log(
  `\n| figure | dev (${dev?.conversations.length ?? 0}) | held out (${heldOut?.conversations.length ?? 0}) | goal |`,
);
console.log('|---|---|---|---|');
for (const [name, f, goal] of rows) {
  console.log(`| ${name} | ${dev ? f(dev) : '—'} | ${heldOut ? f(heldOut) : '—'} | ${goal} |`);
}
console.log(
  `\nload average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`,
);

const result = {
  command: `npm run bench:extraction${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  embedder: EMBEDDER,
  extractor: LLM_URL ? `llm ${LLM_MODEL} at ${LLM_URL} (rules on failure)` : 'rules',
  dev,
  held_out: heldOut,
  conversations: results,
  machine: { ...machineInfo(), loadavg_before: loadBefore, loadavg_after: loadAfter },
  at: new Date().toISOString(),
};
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/extraction.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/extraction.json');
